"""Reports (/reports): inventory, production and order reports with a date range, a chart, a table and exports.

Each report has its own address (`/reports?report=waste-log&range=last-30-days`); ui.reports draws it.
"""
from ui import context, reports

actor = context.actor()
reports.render(actor)
