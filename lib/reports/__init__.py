"""Reports (issue 18; decisions in docs/reports.md): scoped functions returning typed rows, no Streamlit.

- `dates`: the date range every report takes (presets, custom, refused when reversed or over five years)
- `common`: filters, the location check, period buckets, gram sums
- `stock`: stock summary, stock movement (totals from `stock_daily`, the log from `stock_movements`), low stock
- `levels`: reorder levels (set on Product Details) for the low-stock report
- `production`: production summary, metal loss by person, jobs above norm, stage performance, waste log
- `norms`: each stage's allowed loss % and one job's loss against it
- `orders`: order summary and open demand
- `catalog`: every report's name, title, right and machine columns; `export_report` for the page and the CLI
- `commands`: `python -m lib.cli report NAME ...`
"""
