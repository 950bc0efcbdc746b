"""Inventory: the stock records, how they are listed, checked, changed, imported and exported.

- `query`: the one filtered, scoped item query (filters, sort, paging, totals, the export stream)
- `items`: the Inventory page's reads: the list with its totals, one item with its history
- `forms`: parsing and checking what people type (numbers, text, a new item), the choices forms offer
- `stock`: every stock action (add, merge, edit, adjust, transfer, status, archive, issue, return,
  receive): the only caller of `lib.ledger` besides the bulk demo loader
- `importer`: spreadsheet import (validate every row, then write all or none)
- `export`: CSV / XLSX export of a whole filtered set
- `overview`: the Home page's stock figures and recent activity
"""
