"""One order (/orders?order=<id>): header chips, details, lines with matching stock, actions, history.

Everything shown comes from `lib.orders.detail.order_detail`, which already
hides what the viewer may not see. The actions (admins) are forms below the
lines: select inventory, ship (sales: per selected item, pre-filled exactly),
receive inventory (purchases), line actions (ready, cancel, remove a selection,
close short, receive a return), add a line, edit the details, hold. Every write goes through `ui.feedback.run_action`.
"""
from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from lib.access import Actor, Right, visible_locations
from lib.classification import BY_KEY
from lib.enums import ComponentType
from lib.errors import LoupeError
from lib.inventory import forms
from lib.models import LINE_ATTRIBUTE_KEYS, InventoryKind, LineStatus, OrderKind
from lib.orders import detail, orders, receipts, returns, selection, shipments
from lib.orders.detail import LineView, OrderDetail
from lib.orders.lines import amount_text
from lib.units import UNIT_SYMBOLS, format_weight, from_grams
from ui import context, order_prices, order_production, print_documents, print_labels
from ui import orders_view as display
from ui.feedback import plain, run_action, show_error

ACTIONS = {
    OrderKind.SALES: {"select": "Select inventory", "ship": "Ship", "line": "Line actions", "add": "Add a line",
                      "edit": "Edit details", "hold": "Hold"},
    OrderKind.PURCHASE: {"receive": "Receive inventory", "line": "Line actions", "add": "Add a line",
                         "edit": "Edit details", "hold": "Hold"},
}


def _decimal_text(value) -> str:
    return format(value.normalize(), "f") if value else "0"


def _header(view: OrderDetail) -> None:
    chips = st.container(horizontal=True)
    with chips:
        display.fulfilment_chip(view.fulfilment)
        display.line_chips(view.summary)
    rows = [(view.kind.party_kind.label, view.party), ("Order lead", view.lead),
            ("Order date", view.ordered_on.isoformat()),
            ("Date required", view.date_required.isoformat() if view.date_required else "—"),
            ("Internal deadline", view.deadline.isoformat() if view.deadline else "—"),
            ("Currency", view.currency), ("Payment terms", view.payment_terms.label)]
    if view.budget is not None:
        rows.append(("Internal budget", f"{view.budget:,.2f} {view.currency}"))
    details = view.party_details
    if details is not None:
        rows += [("Contact", details.contact_name or "—"), ("E-mail", details.email or "—"),
                 ("Phone", details.phone or "—"), ("Address", details.address or "—"),
                 ("Country", details.country or "—")]
    left, right = st.columns([3, 2])
    with left:
        st.dataframe(pd.DataFrame(rows, columns=["Field", "Value"]), hide_index=True, key="order_fields",
                     height=35 * (len(rows) + 1) + 3, width="stretch")
    with right:
        st.markdown("**Notes**")
        if view.notes_hidden:
            st.caption("Hidden: the notes of a sales order may name the customer.")
        else:
            st.text(view.notes or "—")
        if details is not None and not details.active:
            st.warning(f"This {view.kind.party_kind.label.lower()} is deactivated: the order stays as it is.")
        if view.on_hold:
            st.warning("This order is on hold: it takes no stock actions until it is released.")


def _lines(view: OrderDetail) -> None:
    st.subheader("Lines")
    st.dataframe(display.lines_frame(view), hide_index=True, width="stretch", key="order_lines")
    for line in view.lines:
        if not line.product_active and not line.cancelled:
            st.warning(f"Line {line.position}: its product is inactive now (archived after the order was written). "
                       "Stock already held can still be selected; new stock cannot be received for it.")
    if view.kind is OrderKind.PURCHASE:
        for line in view.lines:
            if not line.cancelled:
                st.page_link("pages/product.py", label=plain(f"Line {line.position}: {line.product} — open in "
                                                             "Product Details"),
                             icon=":material/inventory_2:", query_params={"id": str(line.product_id)})
    if view.kind is OrderKind.SALES:
        for line in view.lines:
            if line.matching is None:
                continue
            where = "your locations" if line.matching.items else "your locations (none available)"
            label = (f"Line {line.position}: {line.matching.items} available item"
                     f"{'s' if line.matching.items != 1 else ''} · "
                     f"{format_weight(from_grams(line.matching.grams, line.weight_unit), line.weight_unit)} in {where}"
                     " — open in Product Details")
            st.page_link("pages/product.py", label=label, icon=":material/inventory_2:",
                         query_params=line.matching.product_query)


def _history(view: OrderDetail) -> None:
    if view.selections:
        st.subheader("Selected inventory")
        st.dataframe(display.stock_links_frame(view, view.selections, received=False), hide_index=True,
                     width="stretch", key="order_selections", column_config=display.TIME_COLUMNS)
    if view.receipts:
        st.subheader("Received inventory")
        st.dataframe(display.stock_links_frame(view, view.receipts, received=True), hide_index=True,
                     width="stretch", key="order_receipts", column_config=display.TIME_COLUMNS)
        print_labels.label_download(item_ids=[link.item_id for link in view.receipts if link.item_id],
                                    key="order_receipt_labels", title="Print labels of the received items")
    if view.shipments:
        st.subheader("Shipments")
        st.dataframe(display.shipments_frame(view), hide_index=True, width="stretch", key="order_shipments",
                     column_config=display.DATE_COLUMNS)
    st.subheader("Activity")
    st.dataframe(display.timeline_frame(view), hide_index=True, width="stretch", key="order_timeline",
                 column_config=display.TIME_COLUMNS)


# ---------------------------------------------------------------------------
# Actions (admins)
# ---------------------------------------------------------------------------

def _line_choice(view: OrderDetail, lines: list[LineView], key: str, label: str = "Line") -> LineView | None:
    if not lines:
        return None
    by_id = {line.id: line for line in lines}
    if st.session_state.get(key) not in by_id:
        st.session_state.pop(key, None)
    chosen = st.selectbox(label, list(by_id), key=key,
                          format_func=lambda i: f"Line {by_id[i].position}: {by_id[i].product} "
                                                f"({by_id[i].ordered_text}) — {by_id[i].status.label}")
    return by_id[chosen]


def _active(view: OrderDetail) -> list[LineView]:
    return [line for line in view.lines if not line.cancelled]


def _select_form(actor: Actor, view: OrderDetail) -> None:
    open_lines = [line for line in _active(view) if not line.outstanding.is_zero]
    line = _line_choice(view, open_lines, "op_select_line")
    if line is None:
        st.info("Every active line already has the stock it asks for.")
        return
    st.caption(f"Still to select for line {line.position}: {line.in_unit(line.outstanding)}. Selecting takes the "
               "stock out of inventory now (its history names this line); removing a selection gives it back.")
    filters = st.columns([2, 3])
    same = filters[0].toggle("Only the line's shape and size", value=True, key=f"op_same_{line.id}")
    search = filters[1].text_input("Search tag or notes", key=f"op_search_{line.id}", max_chars=100)
    with context.db() as session:
        rows = selection.candidates(session, actor=actor, line_id=line.id, same_attributes=same, search=search or "")
    if not rows:
        st.info("No available stock of this product in your locations matches.")
        return
    by_id = {row["id"]: row for row in rows}
    # Keys carry how many selections the line has had: after a select or a removal the form starts afresh.
    gen = sum(1 for link in view.selections if link.line_id == line.id)
    picked = st.multiselect(
        "Items to select", list(by_id), key=f"op_items_{line.id}_{gen}", placeholder="Choose one or more items",
        format_func=lambda i: f"{by_id[i]['tag_id']} · {by_id[i]['location']} · {by_id[i]['quantity']} pcs · "
                              f"{format_weight(by_id[i]['weight'], by_id[i]['weight_unit'])}"
                              + (f" · {by_id[i]['shape']}" if by_id[i]["shape"] else "")
                              + (f" · {by_id[i]['size']}" if by_id[i]["size"] else ""))
    picks = []
    for item_id in picked:
        row = by_id[item_id]
        columns = st.columns([2, 2, 2, 3], vertical_alignment="bottom")
        full = columns[0].toggle(f"Full ({row['tag_id']})", value=True, key=f"op_full_{line.id}_{item_id}_{gen}",
                                 help="Take the item's whole balance.")
        pieces = columns[1].text_input("Pieces", value=str(row["quantity"]), key=f"op_pcs_{line.id}_{item_id}_{gen}",
                                       disabled=full)
        weight = columns[2].text_input(f"Weight ({row['weight_unit']})", value=_decimal_text(row["weight"]),
                                       key=f"op_wt_{line.id}_{item_id}_{gen}", disabled=full,
                                       help="Never derived from pieces: enter the weight of what you take.")
        picks.append(selection.Pick(item_id, full=full, quantity=None if full else pieces,
                                    weight=None if full else weight))
    ready = st.checkbox('Mark this line as "Ready"', key=f"op_ready_{line.id}_{gen}")
    if st.button("Select", type="primary", key=f"op_select_{line.id}", disabled=not picks):
        run_action(f"Stock selected for line {line.position}.", selection.select_items,
                   line_id=line.id, picks=picks, mark_ready=ready)


def _ship_form(actor: Actor, view: OrderDetail, choices: orders.FormChoices) -> None:
    lines = {line.id: line for line in _active(view) if not line.closed_short}
    offered = [link for link in view.selections if link.active and link.can_ship and link.line_id in lines]
    if not offered:
        st.info("Nothing selected is waiting to ship: select inventory for a line first.")
        return
    gen = len(view.shipments)  # in the keys: after a shipment the form starts from what is left
    with st.form("op_ship_form"):
        top = st.columns(3)
        carrier = top[0].selectbox("Carrier", choices.carriers, key="op_ship_carrier")
        tracking = top[1].text_input("Tracking number", key=f"op_ship_tracking_{gen}", max_chars=80)
        shipped_on = top[2].date_input("Shipped on", value=date.today(), max_value=date.today(),
                                       min_value=view.ordered_on, key="op_ship_date")
        st.caption("Each selected item is pre-filled with exactly what of it is not shipped yet, in the item's own "
                   "unit; set 0 to leave an item for a later shipment.")
        requests = []
        for link in offered:
            line = lines[link.line_id]
            columns = st.columns([4, 2, 2], vertical_alignment="bottom")
            columns[0].text(f"Line {line.position}: {line.product} — {link.tag}, "
                            f"{amount_text(link.unshipped_quantity, link.unshipped_weight, link.weight_unit)} "
                            "to ship")
            pieces = columns[1].text_input(f"Pieces ({link.tag})", value=str(link.unshipped_quantity),
                                           key=f"op_ship_pcs_{link.id}_{gen}")
            weight = columns[2].text_input(f"Weight in {link.weight_unit} ({link.tag})",
                                           value=_decimal_text(link.unshipped_weight),
                                           key=f"op_ship_wt_{link.id}_{gen}")
            requests.append(shipments.ShipItem(link.id, pieces, weight))
        notes = st.text_input("Notes", key=f"op_ship_notes_{gen}", max_chars=2000)
        if st.form_submit_button("Create shipment", type="primary", key="op_ship_submit"):
            run_action("Shipment recorded.", shipments.create_shipment, order_id=view.id,
                       carrier=carrier, tracking_number=tracking, shipped_on=shipped_on, items=requests, notes=notes)


def _close_short_form(line: LineView) -> None:
    with st.form(f"op_short_form_{line.id}"):
        st.caption(f"Close line {line.position} short: {line.in_unit(line.shipped)} shipped stays shipped; what is "
                   "selected and not shipped goes back to inventory, and the line no longer waits for the rest.")
        reason = st.text_input("Reason (required)", key=f"op_short_reason_{line.id}", max_chars=500)
        if st.form_submit_button("Close short", key=f"op_short_submit_{line.id}"):
            run_action(f"Line {line.position} closed short.", returns.close_short, line_id=line.id, reason=reason)


def _return_form(view: OrderDetail, line: LineView) -> None:
    shipped = {link.id: link for link in view.selections
               if link.line_id == line.id and (link.returnable_quantity or link.returnable_weight)}
    if not shipped:
        return
    chosen = st.selectbox("Shipped item that came back", list(shipped), key=f"op_return_pick_{line.id}",
                          format_func=lambda i: f"{shipped[i].tag} · " + amount_text(
                              shipped[i].returnable_quantity, shipped[i].returnable_weight, shipped[i].weight_unit)
                          + " shipped")
    link = shipped[chosen]
    state = f"{link.id}_{link.returnable_quantity}_{link.returnable_weight}"  # a return restarts the amounts
    with st.form(f"op_return_form_{line.id}"):
        st.caption("Receive goods back from the customer: they go back into the item they were shipped from (its "
                   "history names this line).")
        amounts = st.columns(2)
        pieces = amounts[0].text_input("Pieces back", value=str(link.returnable_quantity),
                                       key=f"op_return_pcs_{state}")
        weight = amounts[1].text_input(f"Weight back ({link.weight_unit})",
                                       value=_decimal_text(link.returnable_weight), key=f"op_return_wt_{state}")
        reason = st.text_input("Reason (required)", key=f"op_return_reason_{state}", max_chars=500)
        if st.form_submit_button("Receive return", key=f"op_return_submit_{line.id}"):
            run_action("Return received into inventory.", returns.receive_return, selection_id=link.id,
                       quantity=pieces, weight=weight, reason=reason)


def _entry_select(label: str, entries: tuple, key: str, current: int | None = None):
    names = dict(entries)
    choices = [None, *names]
    return st.selectbox(label, choices, index=choices.index(current) if current in choices else 0, key=key,
                        format_func=lambda value: "—" if value is None else names.get(value, "?"))


def _receive_form(actor: Actor, view: OrderDetail) -> None:
    line = _line_choice(view, _active(view), "op_receive_line")
    if line is None:
        st.info("Every line is cancelled.")
        return
    with context.db() as session:
        opts = forms.options(session, actor=actor, active_only=True)
        locations = {loc.id: loc.name for loc in visible_locations(session, actor=actor)}
    received = line.in_unit(line.received) if not line.received.is_zero else "nothing yet"
    st.caption(f"Line {line.position} ordered {line.ordered_text}; received {received}. Each receipt becomes a new "
               "inventory item (tag by the inventory rules) whose history names this line.")
    left = line.outstanding
    gen = sum(1 for link in view.receipts if link.line_id == line.id)  # a receipt restarts the amounts
    with st.form(f"op_receive_form_{line.id}"):
        top = st.columns(3)
        location = top[0].selectbox("Location", list(locations), format_func=locations.get,
                                    key=f"op_rcv_location_{line.id}")
        kind = top[1].selectbox("Kind", list(InventoryKind), format_func=lambda k: k.label,
                                index=list(InventoryKind).index(InventoryKind.FINISHED), key=f"op_rcv_kind_{line.id}")
        unit = top[2].selectbox("Weight unit", UNIT_SYMBOLS, index=UNIT_SYMBOLS.index(line.weight_unit),
                                key=f"op_rcv_unit_{line.id}")
        amounts = st.columns(2)
        pieces = amounts[0].text_input("Pieces", value=str(left.pieces), key=f"op_rcv_pcs_{line.id}_{gen}")
        weight = amounts[1].text_input("Weight", value=_decimal_text(from_grams(left.grams, line.weight_unit)),
                                       key=f"op_rcv_wt_{line.id}_{gen}")
        attributes = st.columns(3)
        values = {}
        for index, key in enumerate(("finished_type", "ms_type", *LINE_ATTRIBUTE_KEYS, "colour", "quality")):
            attribute = BY_KEY[key]
            with attributes[index % 3]:
                values[attribute.field] = _entry_select(attribute.label, opts.catalogs[attribute.catalog],
                                                        f"op_rcv_{key}_{line.id}", line.attribute_ids.get(key))
        notes = st.text_input("Notes", key=f"op_rcv_notes_{line.id}_{gen}", max_chars=forms.MAX_NOTES)
        confirm = st.checkbox("Receive more than ordered (confirm)", key=f"op_rcv_over_{line.id}_{gen}",
                              help="Needed when this receipt makes the line more than it ordered; it is recorded.")
        if st.form_submit_button("Receive", type="primary", key=f"op_rcv_submit_{line.id}"):
            data = receipts.ReceiptInput(quantity=pieces, weight=weight, location_id=location, weight_unit=unit,
                                         kind=kind, notes=notes, use_line_attributes=False,
                                         confirm_over_receipt=confirm, **values)
            run_action(lambda got: f"Received into {got.tag_id}." + (" Recorded as more than ordered."
                                                                      if got.over_receipt else ""),
                       receipts.receive_line, line_id=line.id, data=data)


def _line_actions(actor: Actor, view: OrderDetail) -> None:
    line = _line_choice(view, _active(view), "op_line_pick")
    if line is None:
        st.info("Every line is cancelled.")
        return
    if view.kind is OrderKind.SALES:
        if line.ready:
            st.button("Take the ready mark off", key=f"op_unready_{line.id}", on_click=run_action,
                      args=(f"Line {line.position} is no longer marked ready.", orders.set_line_ready),
                      kwargs={"line_id": line.id, "ready": False, "rerun": False})
        else:
            st.button('Mark "Ready"', key=f"op_ready_mark_{line.id}", on_click=run_action,
                      args=(f"Line {line.position} marked ready.", orders.set_line_ready),
                      kwargs={"line_id": line.id, "ready": True, "rerun": False})
        held = [link for link in view.selections if link.line_id == line.id and link.active
                and not (link.shipped_quantity or link.shipped_weight)]  # shipped selections stay
        if held:
            labels = {link.id: f"{link.tag} · {link.quantity} pcs · {format_weight(link.weight, link.weight_unit)}"
                      for link in held}
            chosen = st.selectbox("Selection to remove", list(labels), format_func=labels.get,
                                  key=f"op_unselect_pick_{line.id}")
            st.button("Remove selection (stock goes back)", key=f"op_unselect_{line.id}", on_click=run_action,
                      args=("Selection removed; the stock is back in inventory.", selection.remove_selection),
                      kwargs={"selection_id": chosen, "rerun": False})
        if line.status is LineStatus.PARTIALLY_SHIPPED:
            _close_short_form(line)
        _return_form(view, line)
        if not line.shipped.is_zero:
            return  # shipped lines are closed short, never cancelled
    with st.form(f"op_cancel_form_{line.id}"):
        what = ("Its selected stock goes back to inventory." if view.kind is OrderKind.SALES else
                "What is still outstanding is closed; stock already received stays.")
        st.caption(f"Cancel line {line.position}. {what}")
        reason = st.text_input("Reason (optional)", key=f"op_cancel_reason_{line.id}", max_chars=500)
        sure = st.checkbox(f"Yes, cancel line {line.position}", key=f"op_cancel_sure_{line.id}")
        if st.form_submit_button("Cancel line", key=f"op_cancel_submit_{line.id}"):
            if not sure:
                st.error("Tick the box to confirm the cancellation.")
            else:
                run_action(f"Line {line.position} cancelled.", orders.cancel_line, line_id=line.id,
                           reason=reason)


def line_inputs(prefix: str, choices: orders.FormChoices) -> orders.LineInput:
    """The fields of one requested line (the add-line form and the new-order form share them)."""
    products = dict(choices.products)
    top = st.columns([3, 1, 1, 1])
    product = top[0].selectbox("Product", list(products), index=None, format_func=products.get,
                               key=f"{prefix}_product", placeholder="Choose a product")
    pieces = top[1].text_input("Pieces", value="0", key=f"{prefix}_pieces")
    weight = top[2].text_input("Weight", value="0", key=f"{prefix}_weight")
    unit = top[3].selectbox("Unit", list(choices.units), index=list(choices.units).index(choices.default_unit),
                            key=f"{prefix}_unit")
    bottom = st.columns([3, 1, 1])
    description = bottom[0].text_input("Description", key=f"{prefix}_description", max_chars=orders.MAX_DESCRIPTION)
    attributes = {}
    for column, key in zip(bottom[1:], LINE_ATTRIBUTE_KEYS):
        attribute = BY_KEY[key]
        with column:
            attributes[attribute.field] = _entry_select(attribute.label, choices.attributes[attribute.field],
                                                        f"{prefix}_{key}")
    price = st.columns(4)
    unit_price = price[0].text_input("Unit price (optional)", key=f"{prefix}_price",
                                     help="Per g, ct or piece; a plain number such as 62.50.")
    basis = price[1].selectbox("Price per", ("g", "ct", "piece"), index=None, key=f"{prefix}_price_basis",
                               placeholder="g if weighed, else piece")
    currency = price[2].text_input("Price currency", key=f"{prefix}_price_currency", max_chars=3,
                                   placeholder="the order's")
    cost_type = price[3].selectbox("Cost type (purchases)", [kind.label for kind in ComponentType], index=None,
                                   key=f"{prefix}_cost_type", placeholder="from the price basis")
    return orders.LineInput(product_id=product, quantity=pieces, weight=weight, weight_unit=unit,
                            description=description, unit_price=unit_price or None, price_basis=basis,
                            price_currency=currency or None, cost_type=cost_type, **attributes)


def _add_line_form(actor: Actor, view: OrderDetail, choices: orders.FormChoices) -> None:
    with st.form("op_add_line_form", clear_on_submit=True):
        data = line_inputs("op_add", choices)
        if st.form_submit_button("Add line", type="primary", key="op_add_submit"):
            run_action("Line added.", orders.add_line, order_id=view.id, data=data)


def header_inputs(prefix: str, choices: orders.FormChoices, current: OrderDetail | None = None) -> dict:
    """Lead, notes, dates, currency, terms and budget (the edit form and the new-order form share them)."""
    leads = dict(choices.leads)
    terms = list(type(choices.payment_terms))
    lead_default = current.lead_id if current else None
    left, right = st.columns(2)
    values = {
        "lead_id": left.selectbox("Order lead", list(leads), format_func=leads.get, key=f"{prefix}_lead",
                                  index=list(leads).index(lead_default) if lead_default in leads else None,
                                  placeholder="Choose the order lead"),
        "date_required": right.date_input("Date required", value=current.date_required if current else None,
                                          key=f"{prefix}_required"),
        "deadline": left.date_input("Internal deadline", value=current.deadline if current else None,
                                    key=f"{prefix}_deadline", help="The team's own deadline."),
        "currency": right.text_input("Currency", value=current.currency if current else choices.currency,
                                     key=f"{prefix}_currency", max_chars=3),
        "payment_terms": left.selectbox("Payment terms", terms, format_func=lambda t: t.label,
                                        index=terms.index(current.payment_terms if current else
                                                          choices.payment_terms), key=f"{prefix}_terms"),
        "budget": right.text_input("Internal budget (admins only)",
                                   value="" if current is None or current.budget is None else f"{current.budget}",
                                   key=f"{prefix}_budget", placeholder="optional"),
    }
    return values


def _edit_form(actor: Actor, view: OrderDetail, choices: orders.FormChoices) -> None:
    with st.form("op_edit_form"):
        values = header_inputs("op_edit", choices, view)
        notes = st.text_area("Notes", value=view.notes, key="op_edit_notes", max_chars=orders.MAX_NOTES)
        if st.form_submit_button("Save details", type="primary", key="op_edit_submit"):
            run_action(f"{view.number} saved.", orders.update_order, order_id=view.id,
                       data=orders.HeaderInput(notes=notes, **values))


def _hold_form(actor: Actor, view: OrderDetail) -> None:
    with st.form("op_hold_form"):
        reason = st.text_input("Reason (optional)", key="op_hold_reason", max_chars=500)
        label = "Release the hold" if view.on_hold else "Put on hold"
        if st.form_submit_button(label, type="primary", key="op_hold_submit"):
            run_action("Hold released." if view.on_hold else "Order put on hold.", orders.set_on_hold,
                       order_id=view.id, on_hold=not view.on_hold, reason=reason)


def _actions(actor: Actor, view: OrderDetail) -> None:
    with st.container(border=True, key="order_actions"):
        action = st.segmented_control("Actions", list(ACTIONS[view.kind]), key="op_action",
                                      format_func=ACTIONS[view.kind].get)
        if not action:
            st.caption("Choose an action above.")
            return
        with context.db() as session:
            choices = orders.form_choices(session, actor=actor, kind=view.kind)
        forms_by_action = {"select": lambda: _select_form(actor, view),
                           "ship": lambda: _ship_form(actor, view, choices),
                           "receive": lambda: _receive_form(actor, view), "line": lambda: _line_actions(actor, view),
                           "add": lambda: _add_line_form(actor, view, choices),
                           "edit": lambda: _edit_form(actor, view, choices), "hold": lambda: _hold_form(actor, view)}
        forms_by_action[action]()


def _back() -> None:
    """Back to the lists: the same page without the order in its url (a page link to itself would not go)."""
    st.query_params.pop("order", None)


def render(actor: Actor, raw_id) -> None:
    """The order page for `raw_id` (from the url); a clear message for unknown or malformed ids."""
    st.button("All orders", key="order_back", icon=":material/arrow_back:", type="tertiary", on_click=_back)
    try:
        with context.db() as session:
            view = detail.order_detail(session, actor=actor, order_id=raw_id)
    except LoupeError as error:
        st.title("Order not found")
        show_error(error)
        return
    st.title(plain(view.number))
    st.caption(f"{view.kind.label} · created {view.created_at:%Y-%m-%d} by {plain(view.created_by)}")
    print_documents.order_documents(view.id, view.kind, len(view.shipments), key="order_docs")
    _header(view)
    _lines(view)
    order_prices.section(actor, view)  # admins only
    if view.kind is OrderKind.SALES:
        order_production.section(actor, view)
    if actor.can(Right.EDIT_ORDERS):
        _actions(actor, view)
    _history(view)
