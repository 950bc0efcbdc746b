"""Admin-managed vocabularies (product types, shapes, sizes, colours, qualities,
finished types, M&S types) and the option lists that filters offer.

Every write is admin-only (Right.MANAGE_PRODUCTS) and audited. Entries are
never deleted: records keep pointing at them, so an entry is switched off
(`active=False`) instead. Inactive entries disappear from pickers for new
records but keep their name wherever they are already used, and a filter
still offers any value that occurs in the records being filtered.

Decisions where the reference is silent: names are unique within one catalog
ignoring case, 1-120 characters of plain text without control characters; a
size may name its size group (free text, shown next to the size).
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lib import audit
from lib.access import Actor, Right
from lib.classification import BY_KEY
from lib.errors import NotFound, ValidationFailed
from lib.inventory.query import ItemFilters, items_statement
from lib.models import CatalogEntry, CatalogKind, InventoryItem, Location
from lib.names import clean_name
from lib.text import search_text


@dataclass(frozen=True)
class Entry:
    id: int
    catalog: CatalogKind
    name: str
    group_name: str | None
    sort_order: int
    active: bool


def _entry(row: CatalogEntry) -> Entry:
    return Entry(row.id, row.catalog, row.name, row.group_name, row.sort_order, row.active)


def list_entries(session: Session, *, catalog: CatalogKind, include_inactive: bool = True,
                 search: str = "") -> list[Entry]:
    """The entries of one catalog in display order (sort order, then name)."""
    stmt = select(CatalogEntry).where(CatalogEntry.catalog == catalog)
    if not include_inactive:
        stmt = stmt.where(CatalogEntry.active.is_(True))
    if search_text(search):
        stmt = stmt.where(CatalogEntry.name_key.contains(search_text(search).lower(), autoescape=True))
    stmt = stmt.order_by(CatalogEntry.sort_order, CatalogEntry.name_key, CatalogEntry.id)
    return [_entry(row) for row in session.scalars(stmt)]


def get_entry(session: Session, entry_id: int, catalog: CatalogKind | None = None) -> CatalogEntry:
    entry = session.get(CatalogEntry, entry_id)
    if entry is None or (catalog is not None and entry.catalog is not catalog):
        raise NotFound("No such catalog entry.")
    return entry


def _check_unique(session: Session, catalog: CatalogKind, name: str, entry_id: int | None) -> None:
    clash = session.scalar(select(CatalogEntry.name).where(
        CatalogEntry.catalog == catalog, CatalogEntry.name_key == name.lower(),
        CatalogEntry.id != (entry_id or 0)))
    if clash is not None:
        raise ValidationFailed(f"{catalog.label} already has an entry named {clash!r} (names ignore case).")


def _flush_unique(session: Session, catalog: CatalogKind, name: str) -> None:
    """Flush inside a savepoint so a concurrent duplicate becomes a clear message."""
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise ValidationFailed(f"{catalog.label} already has an entry named {name!r} (names ignore case).") from None


def add_entry(session: Session, *, actor: Actor, catalog: CatalogKind, name: str,
              group_name: str | None = None) -> Entry:
    """Add an active entry at the end of its catalog (admins only); audited."""
    actor.require(Right.MANAGE_PRODUCTS)
    catalog = CatalogKind(catalog)
    name = clean_name(name)
    group = clean_name(group_name, "Group") if group_name not in (None, "") and str(group_name).strip() else None
    _check_unique(session, catalog, name, None)
    last = session.scalar(select(func.max(CatalogEntry.sort_order)).where(CatalogEntry.catalog == catalog))
    entry = CatalogEntry(catalog=catalog, name=name, name_key=name.lower(), group_name=group,
                         sort_order=(last if last is not None else -1) + 1, active=True)
    session.add(entry)
    _flush_unique(session, catalog, name)
    audit.record(session, actor_id=actor.user_id, action="add catalog entry", entity="catalog_entry",
                 entity_id=entry.id, new={"catalog": catalog, "name": name, "group_name": group, "active": True})
    return _entry(entry)


def update_entry(session: Session, *, actor: Actor, entry_id: int, name: str, group_name: str | None = None,
                 active: bool = True) -> Entry:
    """Rename, regroup or (de)activate an entry (admins only); audited when something changed."""
    actor.require(Right.MANAGE_PRODUCTS)
    entry = get_entry(session, entry_id)
    name = clean_name(name)
    group = clean_name(group_name, "Group") if group_name not in (None, "") and str(group_name).strip() else None
    _check_unique(session, entry.catalog, name, entry.id)
    old, new = audit.changed_fields(entry, {"name": name, "name_key": name.lower(), "group_name": group,
                                            "active": bool(active)})
    if new:
        _flush_unique(session, entry.catalog, name)
        audit.record(session, actor_id=actor.user_id, action="update catalog entry", entity="catalog_entry",
                     entity_id=entry.id, old={"catalog": entry.catalog, **old}, new={"catalog": entry.catalog, **new})
    return _entry(entry)


def set_active(session: Session, *, actor: Actor, entry_id: int, active: bool) -> Entry:
    """Switch an entry on or off (admins only); audited when it changed."""
    actor.require(Right.MANAGE_PRODUCTS)
    entry = get_entry(session, entry_id)
    return update_entry(session, actor=actor, entry_id=entry_id, name=entry.name, group_name=entry.group_name,
                        active=active)


def names_by_id(session: Session, ids) -> dict[int, str]:
    """Names of the given catalog entry ids."""
    wanted = sorted({int(i) for i in ids if i is not None})
    if not wanted:
        return {}
    return dict(session.execute(select(CatalogEntry.id, CatalogEntry.name).where(CatalogEntry.id.in_(wanted))).all())


PRODUCT_PAGE_ATTRIBUTES = ("finished_type", "ms_type", "shape", "size", "colour")
"""The catalog attributes the Product Details page filters by (reference section 4: finished type,
materials & supplies type, shape, size, colour, and location)."""

FILTER_FIELDS: tuple[tuple[str, str, str], ...] = (
    *((BY_KEY[key].filter_field, BY_KEY[key].field, BY_KEY[key].label) for key in PRODUCT_PAGE_ATTRIBUTES),
    ("location_ids", "location_id", "Location"),
)
"""The filters of the Product Details page, in display order: ItemFilters field -> (item column, label)."""


@dataclass(frozen=True)
class FilterOptions:
    """For each filter field, the (id, name) pairs that occur in the records being filtered."""

    options: dict[str, tuple[tuple[int, str], ...]]

    def for_field(self, field: str) -> tuple[tuple[int, str], ...]:
        return self.options.get(field, ())

    def label(self, field: str, value: int) -> str:
        return dict(self.for_field(field)).get(value, f"#{value}")


def product_filter_options(session: Session, *, actor: Actor, product_id: int,
                           filters: ItemFilters = ItemFilters()) -> FilterOptions:
    """Values of each filter that occur on the product's item records in the actor's scope.

    Only the product and the kind switch narrow the choice (not the other
    filters), so choosing a shape never hides the other shapes. One grouped
    query returns the distinct combinations; names come from a second query.
    """
    base = ItemFilters(product_ids=(product_id,), kinds=filters.kinds)
    columns = [getattr(InventoryItem, column) for _field, column, _label in FILTER_FIELDS]
    stmt = items_statement(actor, base, *columns).group_by(*columns)
    seen: dict[str, set[int]] = {field: set() for field, _c, _l in FILTER_FIELDS}
    for row in session.execute(stmt):
        for (field, _c, _l), value in zip(FILTER_FIELDS, row):
            if value is not None:
                seen[field].add(value)
    # Keep values the user already chose, so a selection never silently vanishes.
    for field, _c, _l in FILTER_FIELDS:
        seen[field].update(getattr(filters, field))
    catalog_ids = set().union(*(seen[field] for field, _c, _l in FILTER_FIELDS if field != "location_ids"))
    names = names_by_id(session, catalog_ids)
    locations = dict(session.execute(select(Location.id, Location.name).where(
        Location.id.in_(sorted(seen["location_ids"]) or [0]))).all())
    options = {}
    for field, _c, _l in FILTER_FIELDS:
        lookup = locations if field == "location_ids" else names
        if field == "location_ids":
            ids = [i for i in seen[field] if actor.can_see_location(i)]
        else:
            ids = list(seen[field])
        options[field] = tuple(sorted(((i, lookup.get(i, f"#{i}")) for i in ids), key=lambda p: (p[1].lower(), p[0])))
    return FilterOptions(options)
