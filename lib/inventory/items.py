"""Reading inventory items for the Inventory page: the list with its totals, one item with its history.

Every read is scoped to the actor (`lib.inventory.query`, `lib.access`). An
item's history shows the movements at the viewer's locations only; a transfer
whose other side is outside the viewer's locations reads "from/to another
location" and shows neither who moved it nor its note (admins, and users who
see every location, see everything). Changes to items live in
`lib.inventory.stock`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lib.access import Actor, Right, get_item_in_scope, scope_movements
from lib.classification import ATTRIBUTES
from lib.errors import NotFound, PermissionDenied
from lib.inventory.query import ItemFilters, Page, Totals, page_rows, totals
from lib.models import CatalogEntry, Image, InventoryItem, Location, MovementKind, Product, StockMovement, User
from lib.units import format_weight, from_grams
from lib.workspace.settings import default_weight_unit

PAGE_SIZES = (25, 50, 100, 200)
TRANSFER_KINDS = (MovementKind.TRANSFER_OUT, MovementKind.TRANSFER_IN)


@dataclass(frozen=True)
class ListView:
    """One page of the inventory list plus the totals of everything the filters match."""

    rows: list[dict]
    totals: Totals
    page: Page
    unit: str

    @property
    def page_count(self) -> int:
        return max(1, -(-self.totals.items // self.page.size))

    @property
    def total_weight_text(self) -> str:
        return format_weight(from_grams(self.totals.grams, self.unit), self.unit)


def list_items(session: Session, *, actor: Actor, filters: ItemFilters, page: Page,
               with_thumbnail: bool = True) -> ListView:
    """The page of items and the totals (items, pieces, grams) for the filters, in the actor's scope.

    A page number past the last page shows the last page.
    """
    actor.require(Right.VIEW_INVENTORY)
    found = totals(session, actor=actor, filters=filters)
    last = max(1, -(-found.items // page.size))
    if page.number > last:
        page = Page(number=last, size=page.size, sort=page.sort, descending=page.descending)
    rows = page_rows(session, actor=actor, filters=filters, page=page, with_thumbnail=with_thumbnail,
                     expected_rows=found.items)
    return ListView(rows=rows, totals=found, page=page, unit=default_weight_unit(session))


# ---------------------------------------------------------------------------
# One item
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class HistoryRow:
    id: int
    moved_at: datetime
    kind: MovementKind
    quantity_delta: int
    weight_delta: Decimal
    quantity_after: int
    weight_after: Decimal
    user: str
    location: str
    counterpart: str  # transfers: "to Downtown Store (GEMDIA0001-T1)", "from another location"; else ""
    reference: str
    note: str


@dataclass(frozen=True)
class ItemDetail:
    item: InventoryItem
    product: str
    location: str
    names: dict[str, str | None]  # attribute field -> catalog entry name
    created_by: str
    image: bytes | None
    image_mime: str | None
    history: list[HistoryRow] = field(default_factory=list)
    history_total: int = 0  # movements the viewer may see

    @property
    def weight_text(self) -> str:
        return format_weight(self.item.weight, self.item.weight_unit)


def counterpart(actor: Actor, movement: StockMovement, location_names: dict[int, str]) -> tuple[str, bool]:
    """The other side of a transfer as text ("to Downtown Store (TAG-T1)", "from another location"; "" for
    other movements), and whether the viewer may see who moved it, its note and its reference: not when
    the other side is outside their locations (or unknown, for transfers recorded before sides were kept)."""
    if movement.movement_kind not in TRANSFER_KINDS:
        return "", True
    direction = "to" if movement.movement_kind is MovementKind.TRANSFER_OUT else "from"
    other = movement.counterpart_location_id
    if other is None or not actor.can_see_location(other):
        return f"{direction} another location", actor.sees_all_locations
    tag = f" ({movement.counterpart_tag})" if movement.counterpart_tag else ""
    return f"{direction} {location_names.get(other, 'another location')}{tag}", True


def _history(session: Session, actor: Actor, item: InventoryItem, limit: int) -> tuple[list[HistoryRow], int]:
    """The item's newest movements at the viewer's locations, and how many there are."""
    visible = scope_movements(select(StockMovement, User.name).select_from(StockMovement)
                              .outerjoin(User, User.id == StockMovement.user_id)
                              .where(StockMovement.item_id == item.id), actor)
    location_names = dict(session.execute(select(Location.id, Location.name)).all())
    rows = []
    for movement, user in session.execute(visible.order_by(StockMovement.id.desc()).limit(limit)):
        other_side, open_ = counterpart(actor, movement, location_names)
        rows.append(HistoryRow(movement.id, movement.moved_at, movement.movement_kind, movement.quantity_delta,
                               movement.weight_delta, movement.quantity_after, movement.weight_after,
                               (user or "system") if open_ else "—", location_names.get(movement.location_id, "?"),
                               other_side, movement.reference if open_ else "", movement.note if open_ else ""))
    count = scope_movements(select(func.count()).select_from(StockMovement)
                            .where(StockMovement.item_id == item.id), actor)
    return rows, int(session.scalar(count) or 0)


def item_detail(session: Session, *, actor: Actor, item_id: int, history_limit: int = 500) -> ItemDetail:
    """Every field of one item in the actor's scope, its photo and its newest `history_limit` visible movements."""
    actor.require(Right.VIEW_INVENTORY)
    item = get_item_in_scope(session, actor=actor, item_id=item_id)
    ids = [getattr(item, a.field) for a in ATTRIBUTES if getattr(item, a.field) is not None]
    entries = dict(session.execute(select(CatalogEntry.id, CatalogEntry.name).where(CatalogEntry.id.in_(ids))).all())
    image = session.get(Image, item.image_id) if item.image_id else None
    creator = session.get(User, item.created_by_id) if item.created_by_id else None
    history, total = _history(session, actor, item, history_limit)
    return ItemDetail(item=item, product=session.get(Product, item.product_id).name,
                      location=session.get(Location, item.location_id).name,
                      names={a.field: entries.get(getattr(item, a.field)) for a in ATTRIBUTES},
                      created_by=creator.name if creator else "system",
                      image=image.data if image else None, image_mime=image.mime_type if image else None,
                      history=history, history_total=total)


def find_by_tag(session: Session, *, actor: Actor, tag_id: str) -> int:
    """The id of the item with exactly this tag (case-insensitive) in the actor's scope; NotFound otherwise."""
    actor.require(Right.VIEW_INVENTORY)
    item_id = session.scalar(select(InventoryItem.id).where(InventoryItem.tag_id == (tag_id or "").strip().upper()))
    if item_id is None:
        raise NotFound(f"No item with tag {tag_id!r} in your locations.")
    return get_item_in_scope(session, actor=actor, item_id=item_id).id


ACTION_RIGHTS = {"edit": Right.EDIT_INVENTORY, "adjust": Right.ADJUST_INVENTORY,
                 "transfer": Right.TRANSFER_INVENTORY, "status": Right.EDIT_INVENTORY,
                 "archive": Right.ARCHIVE_INVENTORY, "photo": Right.EDIT_INVENTORY}
"""The item actions of the Inventory page and the right each needs."""


def can(actor: Actor, action: str) -> tuple[bool, str]:
    """Whether the actor may take an item action, and the sentence saying why not."""
    try:
        actor.require(ACTION_RIGHTS[action])
    except PermissionDenied as error:
        return False, str(error)
    return True, ""
