"""How inventory looks on screen: the url form of a view, and item rows as display tables.

The url codec turns `ItemFilters` and `Page` into plain query strings and
back, so a link (from Product Details, a bookmark, a second tab) reopens the
same view; malformed values are ignored, never an error. The frame builders
turn `lib.inventory` rows and records into pandas tables of labels and text
(user text stays text: dataframes never render markup).
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import pandas as pd

from lib.access import Actor
from lib.classification import ATTRIBUTES
from lib.documents import scan
from lib.inventory import export
from lib.inventory.forms import NewItem, Options
from lib.inventory.items import PAGE_SIZES, ItemDetail
from lib.inventory.query import SORTABLE, ItemFilters, Page
from lib.models import InventoryKind, ItemStatus
from lib.units import format_weight, from_grams, weight_number
from ui import context
from ui.pictures import thumbnail_uri

# ---------------------------------------------------------------------------
# Filters and page <-> url query
# ---------------------------------------------------------------------------

ID_QUERY_KEYS = {"product": "product_ids", **{a.key: a.filter_field for a in ATTRIBUTES}, "location": "location_ids"}
"""url key -> ItemFilters field of an id filter."""


def _ids_text(values) -> str:
    return ",".join(str(v) for v in sorted(values))


def filters_to_query(filters: ItemFilters) -> dict[str, str]:
    """The url query for `filters`, e.g. {"product": "3", "kind": "finished"}; empty filters are left out."""
    query: dict[str, str] = {}
    if filters.search.strip():
        query["q"] = filters.search.strip()
    for key, name in ID_QUERY_KEYS.items():
        if getattr(filters, name):
            query[key] = _ids_text(getattr(filters, name))
    if filters.kinds:
        query["kind"] = ",".join(k.value for k in filters.kinds)
    if filters.statuses:
        query["status"] = ",".join(s.value for s in filters.statuses)
    if filters.created_from:
        query["from"] = filters.created_from.isoformat()
    if filters.created_to:
        query["to"] = filters.created_to.isoformat()
    if not filters.in_stock_only:  # held stock is the Inventory page's default
        query["in_stock"] = "0"
    return query


def _query_text(query: Mapping, key: str) -> str:
    value = query.get(key, "")
    if isinstance(value, (list, tuple)):
        value = ",".join(str(v) for v in value)
    return str(value or "").strip()


def _parse_ids(text: str) -> tuple[int, ...]:
    return tuple(sorted({int(part) for part in text.split(",") if part.strip().isdigit()}))


def _parse_enums(text: str, enum_cls) -> tuple:
    values = {member.value: member for member in enum_cls}
    return tuple(values[part.strip()] for part in text.split(",") if part.strip() in values)


def _parse_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def filters_from_query(query: Mapping) -> ItemFilters:
    """ItemFilters from a url query; malformed values are ignored, never an error. Without `in_stock=0`
    the view counts held stock, like Home and Product Details."""
    return ItemFilters(
        search=_query_text(query, "q")[:200],
        kinds=_parse_enums(_query_text(query, "kind"), InventoryKind),
        statuses=_parse_enums(_query_text(query, "status"), ItemStatus),
        created_from=_parse_date(_query_text(query, "from")),
        created_to=_parse_date(_query_text(query, "to")),
        in_stock_only=_query_text(query, "in_stock") not in ("0", "false", "no"),
        **{name: _parse_ids(_query_text(query, key)) for key, name in ID_QUERY_KEYS.items()},
    )


def linked_item(reference: str) -> int | None:
    """The item an Inventory link's `item=` names: a tag (label QR codes) or an item id, in the user's scope.

    A tag that names nothing the user sees says so once ("No item with that tag in your locations"); an
    unknown id is left to the item view, which refuses it as before.
    """
    import streamlit as st

    reference = str(reference or "").strip()
    if not reference:
        return None
    with context.db() as session:
        found = scan.item_id_for_link(session, actor=context.actor(), reference=reference)
    if found is None and reference.isdigit():
        return int(reference)
    if found is None:
        st.error(scan.NOT_FOUND)
    return found


def page_to_query(page: Page) -> dict[str, str]:
    """Sort, direction, page number and page size as url query strings (defaults left out)."""
    query: dict[str, str] = {}
    if page.sort != Page.sort or page.descending != Page.descending:
        query["sort"] = page.sort
        query["order"] = "desc" if page.descending else "asc"
    if page.size != Page.size:
        query["per_page"] = str(page.size)
    if page.number > 1:
        query["page"] = str(page.number)
    return query


def page_from_query(query: Mapping) -> Page:
    """A Page from a url query; unknown values fall back to the defaults."""
    sort = _query_text(query, "sort")
    size = _query_text(query, "per_page")
    number = _query_text(query, "page")
    return Page(number=int(number) if number.isdigit() and int(number) > 0 else 1,
                size=int(size) if size.isdigit() and int(size) in PAGE_SIZES else Page.size,
                sort=sort if sort in SORTABLE else Page.sort,
                descending=_query_text(query, "order") != "asc" if sort in SORTABLE else Page.descending)


SORT_LABELS = {"tag_id": "Tag ID", "product": "Product", "kind": "Kind", **{a.key: a.label for a in ATTRIBUTES},
               "quantity": "Pieces", "weight": "Weight", "location": "Location", "status": "Status",
               "created_at": "Created"}
"""What each sort key reads as in a "Sort by" choice."""


# ---------------------------------------------------------------------------
# Rows as display tables
# ---------------------------------------------------------------------------

LIST_COLUMNS = ("Tag ID", "Weight", "Pieces", "Location", "Photo", "Product", "Kind", "Type", "Shape", "Size",
                "Colour", "Quality", "Status", "Created")
"""Tag, weight, pieces and location first: what a narrow (phone) screen shows without scrolling sideways."""


def _created(row: dict):
    return row["created_at"].date() if row["created_at"] else None


def list_frame(rows: list[dict]) -> pd.DataFrame:
    """Inventory list rows as a display table: labels instead of codes, weight with its unit, thumbnails."""
    records = [{
        "Photo": thumbnail_uri(row.get("thumbnail")),
        "Tag ID": row["tag_id"], "Product": row["product"], "Kind": InventoryKind(row["kind"]).label,
        "Type": row["finished_type"] or row["ms_type"] or "", "Shape": row["shape"] or "",
        "Size": row["size"] or "", "Colour": row["colour"] or "", "Quality": row["quality"] or "",
        "Pieces": int(row["quantity"]), "Weight": format_weight(row["weight"], row["weight_unit"]),
        "Location": row["location"], "Status": ItemStatus(row["status"]).label, "Created": _created(row),
    } for row in rows]
    return pd.DataFrame.from_records(records, columns=list(LIST_COLUMNS))


def product_table_frame(rows: list[dict], unit: str) -> pd.DataFrame:
    """Product Details table rows: tag, weight, pieces and location first (as on Inventory), then every
    attribute, the weight in `unit`, status, created and notes."""
    return pd.DataFrame.from_records([{
        "Tag ID": row["tag_id"], "Weight": format_weight(row["weight"], row["weight_unit"]),
        "Pieces": int(row["quantity"]), "Location": row["location"],
        "Photo": thumbnail_uri(row.get("thumbnail")), "Kind": InventoryKind(row["kind"]).label,
        **{attribute.label: row[attribute.key] or "" for attribute in ATTRIBUTES},
        f"Weight ({unit})": weight_number(from_grams(row["weight_g"], unit), unit),
        "Status": ItemStatus(row["status"]).label, "Created": _created(row), "Notes": row["notes"] or "",
    } for row in rows])


HISTORY_COLUMNS = ["When", "Movement", "Pieces", "Weight", "Pieces after", "Weight after", "Location",
                   "From / to", "By", "Reason / note", "Reference"]


def history_frame(detail: ItemDetail) -> pd.DataFrame:
    """The movement history as a display table (signed changes and balance after, with the unit)."""
    symbol = detail.item.weight_unit
    rows = [{"When": row.moved_at, "Movement": row.kind.label, "Pieces": f"{row.quantity_delta:+d}",
             "Weight": format_weight(row.weight_delta, symbol, signed=True),
             "Pieces after": row.quantity_after, "Weight after": format_weight(row.weight_after, symbol),
             "Location": row.location, "From / to": row.counterpart, "By": row.user, "Reason / note": row.note,
             "Reference": row.reference}
            for row in detail.history]
    return pd.DataFrame.from_records(rows, columns=HISTORY_COLUMNS)


def fields_frame(detail: ItemDetail) -> pd.DataFrame:
    """Every field of the item as a two-column Field / Value table ("—" when empty)."""
    item = detail.item
    rows = [("Tag ID", item.tag_id), ("Product", detail.product), ("Kind", item.kind.label),
            *((attribute.label, detail.names[attribute.field]) for attribute in ATTRIBUTES),
            ("Location", detail.location), ("Created", item.created_at.strftime("%Y-%m-%d %H:%M")),
            ("Created by", detail.created_by), ("Notes", item.notes)]
    return pd.DataFrame([(label, value or "—") for label, value in rows], columns=["Field", "Value"])


def review_frame(data: NewItem, opts: Options) -> pd.DataFrame:
    """What the add wizard is about to add, as a Field / Value table of names (not ids)."""
    try:
        kind = InventoryKind(data.kind).label
    except ValueError:
        kind = None
    attributes = [(a.label, dict(opts.catalogs[a.catalog]).get(getattr(data, a.field))) for a in ATTRIBUTES]
    rows = [("Type", kind), ("Product", dict(opts.products).get(data.product_id)), *attributes,
            ("Quantity", data.quantity), ("Weight", f"{data.weight or '—'} {data.weight_unit or opts.default_unit}"),
            ("Location", dict(opts.locations).get(data.location_id))]
    return pd.DataFrame([(label, "—" if value in (None, "") else str(value)) for label, value in rows],
                        columns=["Field", "Value"])


def export_file(actor: Actor, filters: ItemFilters, fmt: str, unit: str, sort: str, descending: bool,
                basename: str = "inventory"):
    """A callable for st.download_button: builds the file only when clicked, from the chunked lib export,
    with the filters and sort on screen (every page, not just the one shown)."""
    def build() -> bytes:
        with context.db() as session:
            exported = export.export_items(session, actor=actor, filters=filters, fmt=fmt, unit=unit,
                                           basename=basename, sort=sort, descending=descending)
        try:
            return exported.path.read_bytes()
        finally:
            exported.path.unlink(missing_ok=True)
    return build
