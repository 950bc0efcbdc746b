"""Production (reference 3.13): stages, jobs that issue stock and receive output, and their formulas.

- `formulas`: the job and order formulas, pure (no database); re-exported here
- `stages`: the stage catalog, seeded from the industry preset
- `totals`: each job's issued and recorded weights, in SQL
- `jobs`: create, issue into, edit, close, cancel and delete jobs
- `receipts`: receive output, rejects, scrap and waste back
- `links`: jobs linked to sales order lines (the rules, the job form's choices, the order page's
  production section); the line statuses and order fulfilment follow the linked jobs
- `overview`: the list, the summary cards and chart, one job with its timeline,
  what is in production for a product

Stock moves only through `lib.inventory.stock`; decisions are written in each
module's docstring and in docs/production.md.
"""
from lib.production.formulas import JobProgress, JobTotals, OrderEfficiency, job_progress, order_efficiency

__all__ = ["JobProgress", "JobTotals", "OrderEfficiency", "job_progress", "order_efficiency"]
