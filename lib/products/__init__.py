"""Products: the shared catalog names, their vocabularies, pictures and the Product Details numbers.

- `catalog`: which products a viewer sees, the product list, admin writes, the product image
- `catalog_entries`: admin-managed vocabularies (shapes, sizes, colours, qualities, types)
- `details`: the Product Details page's KPIs, 30-day change and weight trend
"""
