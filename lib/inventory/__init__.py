"""Inventory: the stock records, how they are listed, changed, imported and exported.

- `query`: the one filtered, scoped item query (filters, sort, paging, totals)
- `items`: the Inventory page's reads and every action on an item
- `importer`: spreadsheet import (validate every row, then write all or none)
- `export`: CSV / XLSX export of a whole filtered set
- `overview`: the Home page's stock figures and recent activity
"""
