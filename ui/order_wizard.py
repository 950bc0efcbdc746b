"""The "New order" form of /orders (reference 3.9.1), in four steps, for admins.

1. Kind, customer or supplier, order lead, notes (and, when AI order lines are on and an endpoint is
   configured, "Prepare lines from notes").
2. Requested products: an editable table (add, change, delete rows), an "Add a line" form, and for
   AI-prepared lines whose product was not found, the closest catalog products to choose from.
3. Order date, date required, internal deadline, currency, payment terms, internal budget.
4. Review, then save: `lib.orders.orders.create_order` checks everything and lists every problem.

Widget values survive the steps (`persist_state="page"`); the lines table is kept as rows in the session
(the editor's own state does not survive being hidden) and rebuilt from them under a new key whenever
the rows change from outside the editor.
"""
from __future__ import annotations

import math
from datetime import date
from decimal import Decimal, InvalidOperation

import pandas as pd
import streamlit as st

from lib.access import Actor
from lib.enums import ComponentType
from lib.errors import LoupeError
from lib.models import OrderKind, PaymentTerms
from lib.orders import lines_ai, orders
from lib.units import UNIT_SYMBOLS
from ui import context
from ui.feedback import plain, run_action, show_error
from ui.order_page import line_inputs

STEPS = ("Customer or supplier", "Requested products", "Order details", "Review")
COLUMNS = ("Product", "Description", "Pieces", "Weight", "Unit", "Shape", "Size", "Unit price", "Price per",
           "Price currency", "Cost type", "AI wrote")
PRICE_BASES = ("g", "ct", "piece")
COST_TYPES = tuple(component.label for component in ComponentType)
PERSIST = {"persist_state": "page"}


def _state(name: str, default=None):
    return st.session_state.get(f"wiz_{name}", default)


def _go(step: int) -> None:
    _keep_rows()
    st.session_state["wiz_step"] = step


def _keep_rows() -> None:
    """Make the table's current rows the editor's new input (a new editor key), before it is hidden."""
    rows = _state("rows")
    if rows is not None:
        _set_rows(rows)


def _set_rows(rows: list[dict]) -> None:
    st.session_state["wiz_base"] = [dict(row) for row in rows]
    st.session_state["wiz_rows"] = [dict(row) for row in rows]
    st.session_state["wiz_gen"] = _state("gen", 0) + 1


def reset() -> None:
    """Forget the form (after saving, or on "Start over")."""
    for key in [key for key in st.session_state if str(key).startswith("wiz_")]:
        del st.session_state[key]


def _cell(value) -> str:
    """A table cell as text: empty for blanks (None, or pandas' NaN for a cell never filled)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _blank_row(unit: str) -> dict:
    return {"Product": None, "Description": "", "Pieces": 0, "Weight": 0.0, "Unit": unit, "Shape": None,
            "Size": None, "Unit price": "", "Price per": None, "Price currency": "", "Cost type": None,
            "AI wrote": ""}


# ---------------------------------------------------------------------------
# Step 1: who and what
# ---------------------------------------------------------------------------

def _prepare_from_notes(actor: Actor, notes: str, choices: orders.FormChoices) -> None:
    """Send the notes to the model (no transaction open meanwhile), meter the answer, fill the table."""
    settings = context.settings()
    try:
        with context.db() as session:
            request = lines_ai.prepare_request(session, actor=actor, settings=settings, notes=notes)
        with st.spinner("Preparing lines from the notes…"):
            completion = lines_ai.request_lines(request, actor=actor, settings=settings,
                                                sessions=lambda: context.db(write=True))
        prepared = lines_ai.parse_reply(completion.text, request)
    except LoupeError as error:  # the gate, the endpoint (timeouts, refusals) or an unusable answer
        st.session_state["wiz_ai_error"] = str(error)
        return
    names = dict(choices.products)
    attributes = {field: dict(values) for field, values in choices.attributes.items()}
    rows, candidates, notes_by_line = [], {}, []
    for index, line in enumerate(prepared, start=1):
        rows.append({"Product": names.get(line.product_id), "Description": line.description,
                     "Pieces": line.quantity, "Weight": float(line.weight), "Unit": line.weight_unit,
                     "Shape": attributes["shape_id"].get(line.attribute_ids.get("shape_id")),
                     "Size": attributes["size_id"].get(line.attribute_ids.get("size_id")),
                     "AI wrote": line.product_text})
        if line.candidates:
            candidates[line.product_text] = [name for _pid, name in line.candidates]
        notes_by_line += [f"Line {index}: {note}" for note in line.notes]
    _set_rows(rows)
    st.session_state["wiz_candidates"] = candidates
    st.session_state["wiz_ai_notes"] = notes_by_line
    st.session_state["wiz_step"] = 2


def _step_one(actor: Actor, choices: orders.FormChoices, kind: OrderKind) -> None:
    parties = dict(choices.parties)
    who = kind.party_kind.label
    if not parties:
        st.warning(f"There is no active {who.lower()} yet: add one under Customers & suppliers first.")
    st.selectbox(who, list(parties), index=None, format_func=parties.get, key=f"wiz_party_{kind.value}",
                 placeholder=f"Choose the {who.lower()}", **PERSIST)
    leads = dict(choices.leads)
    st.selectbox("Order lead", list(leads), format_func=leads.get, key="wiz_lead",
                 index=list(leads).index(actor.user_id) if actor.user_id in leads else None, **PERSIST)
    notes = st.text_area("Notes", key="wiz_notes", max_chars=orders.MAX_NOTES, height=140, **PERSIST,
                         placeholder="What is needed: products, pieces, sizes, weights, quality, priorities…")
    with context.db() as session:
        ai_ready = lines_ai.is_available(session, actor=actor, settings=context.settings())
    buttons = st.columns([2, 5], vertical_alignment="center")
    buttons[0].button("Next: products", key="wiz_next_1", type="primary", on_click=_go, args=(2,))
    if ai_ready:
        if buttons[1].button("Prepare lines from notes", key="wiz_ai", icon="✨",
                             help="Sends only these notes and the catalog's product names to the AI endpoint; "
                                  "the lines it proposes replace the table for you to review."):
            _prepare_from_notes(actor, notes or "", choices)
            if _state("step") == 2:
                st.rerun()
    else:
        buttons[1].caption("Preparing lines from the notes with AI is off: an admin can turn on AI order lines "
                           "under Settings → Orders (an AI endpoint must be configured too).")
    error = st.session_state.pop("wiz_ai_error", None)
    if error:
        st.error(plain(error))
        st.caption("No lines were prepared; the table is left as it was for you to fill in.")


# ---------------------------------------------------------------------------
# Step 2: the lines
# ---------------------------------------------------------------------------

def _add_line(choices: orders.FormChoices) -> None:
    """on_click of "Add line": append the mini form's line to the table."""
    products = dict(choices.products)
    product = st.session_state.get("wiz_add_product")
    if product is None:
        st.session_state["wiz_add_error"] = "Choose a product for the new line."
        return
    names = {field: dict(values) for field, values in choices.attributes.items()}
    row = {**_blank_row(st.session_state.get("wiz_add_unit") or choices.default_unit),
           "Product": products.get(product), "Description": st.session_state.get("wiz_add_description") or "",
           "Pieces": _number(st.session_state.get("wiz_add_pieces")),
           "Weight": _number(st.session_state.get("wiz_add_weight")),
           "Shape": names["shape_id"].get(st.session_state.get("wiz_add_shape")),
           "Size": names["size_id"].get(st.session_state.get("wiz_add_size")),
           "Unit price": st.session_state.get("wiz_add_price") or "",
           "Price per": st.session_state.get("wiz_add_price_basis"),
           "Price currency": st.session_state.get("wiz_add_price_currency") or "",
           "Cost type": st.session_state.get("wiz_add_cost_type")}
    _set_rows([*(_state("rows") or []), row])
    for key in ("wiz_add_product", "wiz_add_description", "wiz_add_pieces", "wiz_add_weight", "wiz_add_shape",
                "wiz_add_size", "wiz_add_price", "wiz_add_price_basis", "wiz_add_price_currency", "wiz_add_cost_type"):
        st.session_state.pop(key, None)


def _number(raw):
    """A typed number for the table (text stays text so the save lists it as a problem)."""
    try:
        value = Decimal(str(raw or "0").strip())
    except InvalidOperation:
        return str(raw)
    return float(value) if value.is_finite() else str(raw)


def _choose_product(index: int) -> None:
    rows = [dict(row) for row in _state("rows") or []]
    rows[index]["Product"] = st.session_state.get(f"wiz_pick_{_state('gen', 0)}_{index}")
    _set_rows(rows)


def _step_two(choices: orders.FormChoices) -> None:
    products = [name for _pid, name in choices.products]
    shapes = [name for _eid, name in choices.attributes["shape_id"]]
    sizes = [name for _eid, name in choices.attributes["size_id"]]
    base = _state("base") or []
    frame = pd.DataFrame.from_records(base, columns=list(COLUMNS)) if base else pd.DataFrame(columns=list(COLUMNS))
    for column in ("Unit price", "Price currency"):  # text cells (rows from the AI lack them: NaN otherwise)
        frame[column] = frame[column].map(_cell).astype(object)
    for column in ("Price per", "Cost type"):
        frame[column] = frame[column].map(lambda value: _cell(value) or None).astype(object)
    edited = st.data_editor(
        frame, key=f"wiz_lines_{_state('gen', 0)}", num_rows="dynamic", hide_index=True, width="stretch",
        column_config={
            "Product": st.column_config.SelectboxColumn("Product", options=products, required=True),
            "Description": st.column_config.TextColumn("Description", max_chars=orders.MAX_DESCRIPTION),
            "Pieces": st.column_config.NumberColumn("Pieces", min_value=0, step=1, format="%d", default=0),
            "Weight": st.column_config.NumberColumn("Weight", min_value=0, step=0.0001, format="%.4f", default=0.0),
            "Unit": st.column_config.SelectboxColumn("Unit", options=list(UNIT_SYMBOLS), default=choices.default_unit),
            "Shape": st.column_config.SelectboxColumn("Shape", options=shapes),
            "Size": st.column_config.SelectboxColumn("Size", options=sizes),
            "Unit price": st.column_config.TextColumn(
                "Unit price", help="Optional: the price per g, ct or piece (a plain number such as 62.50)."),
            "Price per": st.column_config.SelectboxColumn(
                "Price per", options=list(PRICE_BASES),
                help="Empty: per g when the line has a weight, else per piece."),
            "Price currency": st.column_config.TextColumn(
                "Price currency", max_chars=3, help="ISO 4217 code; empty: the order's currency."),
            "Cost type": st.column_config.SelectboxColumn(
                "Cost type", options=list(COST_TYPES),
                help="Purchase lines: the cost component the received items get (empty: Metal for a per-gram price, "
                     "Gemstone per carat, Packaging per piece)."),
            "AI wrote": st.column_config.TextColumn("AI wrote", disabled=True,
                                                    help="The product as the AI wrote it (AI-prepared lines)."),
        })
    rows = edited.to_dict("records")
    st.session_state["wiz_rows"] = rows
    st.caption(f"{len(rows)} line{'s' if len(rows) != 1 else ''}. Edit any cell; add rows at the bottom of the "
               "table or with the form below; delete rows by selecting them. Weight is in the row's unit.")
    _candidates(rows)
    notes = _state("ai_notes") or []
    if notes:
        with st.expander("What the AI could not match", expanded=True, key="wiz_ai_notes_panel"):
            for note in notes:
                st.text(note)
    with st.container(border=True, key="wiz_add_panel"):
        st.markdown("**Add a line**")
        line_inputs("wiz_add", choices)
        st.button("Add line", key="wiz_add_line", on_click=_add_line, args=(choices,))
        error = st.session_state.pop("wiz_add_error", None)
        if error:
            st.error(error)
    buttons = st.columns([1, 1, 6])
    buttons[0].button("Back", key="wiz_back_2", on_click=_go, args=(1,))
    buttons[1].button("Next: details", key="wiz_next_2", type="primary", on_click=_go, args=(3,))


def _candidates(rows: list[dict]) -> None:
    """For AI lines without a product: offer the closest catalog products."""
    candidates = _state("candidates") or {}
    for index, row in enumerate(rows):
        offered = candidates.get(_cell(row.get("AI wrote")))
        if _cell(row.get("Product")) or not offered:
            continue
        written = plain(repr(_cell(row["AI wrote"])))  # model text: escaped, never Markdown
        st.selectbox(f"Line {index + 1}: the AI wrote {written}, which is not in the catalog. Closest products:",
                     offered, index=None, key=f"wiz_pick_{_state('gen', 0)}_{index}",
                     placeholder="Choose one (or pick any product in the table)", on_change=_choose_product,
                     args=(index,))


# ---------------------------------------------------------------------------
# Steps 3 and 4
# ---------------------------------------------------------------------------

def _step_three(choices: orders.FormChoices) -> None:
    left, right = st.columns(2)
    left.date_input("Order date", value=date.today(), max_value=date.today(), key="wiz_ordered_on", **PERSIST)
    right.date_input("Date required", value=None, key="wiz_required", **PERSIST)
    left.date_input("Internal deadline", value=None, key="wiz_deadline", help="The team's own deadline.", **PERSIST)
    right.text_input("Currency", value=choices.currency, key="wiz_currency", max_chars=3, **PERSIST)
    terms = list(PaymentTerms)
    left.selectbox("Payment terms", terms, index=terms.index(choices.payment_terms), key="wiz_terms",
                   format_func=lambda t: t.label, **PERSIST)
    right.text_input("Internal budget (optional, admins only)", key="wiz_budget", **PERSIST)
    buttons = st.columns([1, 1, 6])
    buttons[0].button("Back", key="wiz_back_3", on_click=_go, args=(2,))
    buttons[1].button("Next: review", key="wiz_next_3", type="primary", on_click=_go, args=(4,))


def _line_inputs(choices: orders.FormChoices, rows: list[dict]) -> list[orders.LineInput]:
    """The table's rows as LineInputs (names back to ids; blanks as the lib's empty values)."""
    products = {name: pid for pid, name in choices.products}
    attributes = {field: {name: eid for eid, name in values} for field, values in choices.attributes.items()}

    def number(value):
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return 0
        return int(value) if isinstance(value, float) and value.is_integer() else value

    return [orders.LineInput(product_id=products.get(_cell(row.get("Product"))), quantity=number(row.get("Pieces")),
                             weight=str(number(row.get("Weight"))), weight_unit=_cell(row.get("Unit")) or None,
                             description=_cell(row.get("Description")),
                             shape_id=attributes["shape_id"].get(_cell(row.get("Shape"))),
                             size_id=attributes["size_id"].get(_cell(row.get("Size"))),
                             unit_price=_cell(row.get("Unit price")) or None,
                             price_basis=_cell(row.get("Price per")) or None,
                             price_currency=_cell(row.get("Price currency")) or None,
                             cost_type=_cell(row.get("Cost type")) or None)
            for row in rows]


def _order_input(actor: Actor, choices: orders.FormChoices, kind: OrderKind) -> orders.OrderInput:
    return orders.OrderInput(
        kind=kind, party_id=_state(f"party_{kind.value}"), lead_id=_state("lead"), notes=_state("notes") or "",
        ordered_on=_state("ordered_on"), date_required=_state("required"), deadline=_state("deadline"),
        currency=_state("currency") or choices.currency, payment_terms=_state("terms") or choices.payment_terms,
        budget=_state("budget") or None, lines=_line_inputs(choices, _state("rows") or []))


def _save(actor: Actor, data: orders.OrderInput) -> None:
    ref = run_action(lambda made: f"{made.number} saved.", orders.create_order, rerun=False, data=data)
    if ref is not None:
        reset()
        st.switch_page("pages/orders.py", query_params={"order": str(ref.id)})


def _step_four(actor: Actor, choices: orders.FormChoices, kind: OrderKind) -> None:
    data = _order_input(actor, choices, kind)
    parties, leads = dict(choices.parties), dict(choices.leads)
    summary = [(kind.party_kind.label, parties.get(data.party_id, "— (not chosen)")),
               ("Order lead", leads.get(data.lead_id, "— (not chosen)")),
               ("Order date", str(data.ordered_on or date.today())),
               ("Date required", str(data.date_required or "—")),
               ("Internal deadline", str(data.deadline or "—")), ("Currency", data.currency),
               ("Payment terms", PaymentTerms(data.payment_terms).label),
               ("Internal budget", str(data.budget or "—")), ("Notes", data.notes or "—")]
    st.dataframe(pd.DataFrame(summary, columns=["Field", "Value"]), hide_index=True, key="wiz_review_fields",
                 width="stretch")
    rows = _state("rows") or []
    if rows:
        st.dataframe(pd.DataFrame.from_records(rows, columns=list(COLUMNS[:-1])), hide_index=True, width="stretch",
                     key="wiz_review_lines")
    else:
        st.warning("No lines yet: go back and add at least one.")
    buttons = st.columns([1, 2, 5])
    buttons[0].button("Back", key="wiz_back_4", on_click=_go, args=(3,))
    if buttons[1].button("Save order", key="wiz_save", type="primary"):
        _save(actor, data)


def render(actor: Actor) -> None:
    """The new-order form."""
    step = int(_state("step", 1))
    top = st.columns([3, 1], vertical_alignment="center")
    kind = top[0].segmented_control("Kind", list(OrderKind), default=OrderKind.SALES, required=True,
                                    format_func=lambda k: k.label, key="wiz_kind", **PERSIST)
    top[1].button("Start over", key="wiz_reset", on_click=reset)
    st.caption(" → ".join(f"**{name}**" if index == step else name for index, name in enumerate(STEPS, start=1)))
    try:
        with context.db() as session:
            choices = orders.form_choices(session, actor=actor, kind=OrderKind(kind))
    except LoupeError as error:
        show_error(error)
        return
    if _state("base") is None:
        _set_rows([])
    {1: lambda: _step_one(actor, choices, OrderKind(kind)), 2: lambda: _step_two(choices),
     3: lambda: _step_three(choices), 4: lambda: _step_four(actor, choices, OrderKind(kind))}[step]()
