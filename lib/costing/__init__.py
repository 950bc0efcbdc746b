"""Costing: rate profiles and prices, cost components, costs that flow, and the value of stock.

Importing the package registers `cost_prices`' flush hooks, so every writer of a component or a price (all of
them import a costing module) keeps each component's stored price at its item's creation.
"""
from lib.costing import cost_prices  # noqa: F401  (registers the flush hooks)
