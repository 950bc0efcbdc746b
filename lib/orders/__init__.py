"""Orders: customers and suppliers, sales and purchase orders, the stock they move, and their statuses.

- `parties`: the customer and supplier directory (admins)
- `numbering`: order numbers (workspace prefix + zero-padded sequence, unique under concurrency)
- `fulfilment`: line statuses and the order's fulfilment status, derived (pure, no database), and the one
  closing rule for amounts in any unit (`slack`)
- `lines`: loading and locking orders and lines for a change, their amounts, the status refresh
- `orders`: creating and changing orders and lines (hold, ready, cancel), the form choices
- `listing`: the sales and purchase lists (filters, sort, paging) and their CSV / XLSX export
- `detail`: one order as its page shows it: lines, amounts, selections, receipts, shipments, timeline
- `selection`: matching stock for sales lines, selecting and removing stock (through lib.inventory.stock)
- `receipts`: receiving purchased stock into inventory (through lib.inventory.stock)
- `shipments`: shipments of sales orders, by selected item (exact amounts in the item's unit)
- `returns`: closing a partly shipped line short, receiving shipped goods back into inventory
- `demand`: a product's open sales demand and incoming purchases (Product Details, AI facts)
- `lines_ai`: AI-prepared lines from an order's notes

Orders are workspace-wide: admins change them, managers read them with
customer details hidden. Stock is located: matching stock, selections and
receipts follow the actor's location scope (`lib.access`).
"""
