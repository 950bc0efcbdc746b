"""Home: the workspace at a glance (stock in scope, per location, recent activity)."""
import pandas as pd
import streamlit as st

from lib.inventory.overview import recent_activity, stock_overview
from lib.reports.stock import low_stock_count
from lib.units import format_weight
from ui import context, value_card

actor = context.actor()
with context.db() as session:
    overview = stock_overview(session, actor=actor)
    activity = recent_activity(session, actor=actor)
    low = low_stock_count(session, actor=actor)
value = value_card.load(actor)  # admins and managers only

st.title("Home")
st.caption("Items held count records that are not archived and still have pieces or weight.")
# The weight gets the widest column: a workshop's total ("200,921.916 g") is cut off in a quarter of the page.
first, second, third, fourth = st.columns([1, 1.7, 0.8, 1.2])
first.metric("Items held", f"{overview.items:,}", border=True)
second.metric("Weight held", format_weight(overview.weight, overview.unit), border=True)
third.metric("Locations", len(overview.by_location), border=True)
with fourth.container(border=True):
    st.metric("Below reorder level", f"{low:,}", help="Reorder levels (set on Product Details) your stock is below.")
    st.page_link("pages/reports.py", label="Low stock report", icon=":material/trending_down:",
                 query_params={"report": "low-stock"})

value_card.render(value, "home_value", when_empty=True)

if len(overview.by_location) > 1:
    st.subheader("By location")
    columns = st.columns(len(overview.by_location))
    for column, row in zip(columns, overview.by_location):
        column.metric(row.location, f"{row.items:,} items held", format_weight(row.weight, overview.unit),
                      delta_color="off", delta_arrow="off", border=True)

st.subheader("Recent activity")
if not activity:
    st.info("No stock movements yet in your locations.")
else:
    frame = pd.DataFrame([{
        "When": a.at, "Tag ID": a.tag_id, "Product": a.product, "Location": a.location, "Movement": a.movement,
        "Pieces": a.quantity_delta, "Weight": format_weight(a.weight_delta, a.weight_unit, signed=True), "From / to": a.counterpart,
        "By": a.user, "Note": a.note,
    } for a in activity])
    st.dataframe(frame, hide_index=True, width="stretch", key="home_activity",
                 column_config={"When": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")})
