"""Stock actions: the only code besides the bulk demo loader that calls `lib.ledger`.

Every action takes the Actor, checks the right and the location scope, locks
the item row through the ledger, writes its movements and audit entries, and
runs in the caller's transaction (one transaction per action), so an action
either happens completely or not at all.

Today's actions: add (with auto-merge) and import (in bulk: `lib.inventory.stock_import`), edit attributes, adjust,
transfer (whole or part), status, archive, restore and photo. For orders and
production: `issue` part or all of an item to a reference (an order line, a
job), `return_issued` to give it back, `give_back` for production (bench returns and cancelled jobs: to the
source item, restored when archived, else to a new `<source tag>-RET<n>` item), and `receive` new items with a
tag derived from their source (`<source tag>-RCV<n>`), each movement naming the reference.

Decisions where the reference is silent (also in docs/inventory.md):

- Tag IDs (reference 3.3, lib.tags): workspace prefix + product short name +
  next 4-digit number from a row-locked sequence, so two people adding at the
  same moment never get the same tag.
- Auto-merge key: product, kind, the catalog attributes (`lib.classification`)
  and location, all equal (an empty value matches only an empty value).
  Candidates are Available or Consumed records (On hold and Archived are never
  merged into); an Available one wins, then the oldest. The product row is
  locked first, so two simultaneous adds of one product cannot both create a
  duplicate. A merge is a MERGE movement on the existing record: the incoming
  tag is not issued, notes go into the movement's note, a photo is kept only
  when the record had none. The weight is converted to the record's unit; when
  it does not convert exactly at 4 decimals the item is added as a new record
  instead and the result says why (the books stay exact in grams).
- Transfer: moving everything is `ledger.move_location` (same tag, a
  transfer-out at the old location and a transfer-in at the new one). Moving
  part of an item (fewer pieces or less weight; both are entered, weight is
  never derived from pieces) creates a new item at the target with the derived
  tag `<source tag>-T<n>` (lib.tags.derived_tag), the same classification,
  photo, notes and status. Each side's movement names the other location and
  the other tag (its counterpart) and keeps the user's own reference.
- Status transitions: Available <-> On hold by hand (edit right; only an item
  holding stock can be on hold). Consumed is set and cleared by the ledger when
  stock reaches zero or comes back. Archive (archive right, reason required)
  works from any status; stock still held is first written off with a
  WRITE_OFF movement carrying the reason, so the ledger shows where it went.
  Restore brings an archived item back as Available (or Consumed when empty).
  Archived items take no stock actions and no edits until restored. Items are
  never deleted.
- Edits never change the weight unit (the ledger's deltas are in that unit)
  or the location (that is a transfer) or the tag.
- Issue and return: amounts are in the item's own unit; an issue takes from
  Available items only (never On hold or Archived) and never more than held;
  a return gives back at most what was issued under the same reference and
  not yet returned (whatever issue kind wrote it: ISSUE for orders,
  PRODUCTION_ISSUE for production jobs).
- Movement times: now, unless a caller loading history (the demo) passes
  `moved_at`; pages never do.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lib import audit, images, ledger, tags
from lib.access import Actor, Right, get_item_in_scope
from lib.classification import ATTRIBUTES, STAMPED_FIELDS, fit_to_kind
from lib.errors import ValidationFailed
from lib.inventory.forms import (
    MAX_NOTES,
    CheckedItem,
    NewItem,
    as_validation,
    check_catalog_id,
    check_new_item,
    clean_text,
    collect,
    parse_kind,
    parse_quantity,
    required_reason,
)
from lib.models import InventoryItem, ItemStatus, Location, MovementKind, Product, StockMovement
from lib.units import WEIGHT_QUANTUM, convert, format_weight, parse_weight, to_grams
from lib.workspace.settings import get_workspace

ISSUE_KINDS = (MovementKind.ISSUE, MovementKind.PRODUCTION_ISSUE)
"""Movement kinds `issue` may write (orders: ISSUE; production: PRODUCTION_ISSUE)."""
RECEIVE_KINDS = (MovementKind.PURCHASE_RECEIPT, MovementKind.PRODUCTION_RECEIPT)
"""Movement kinds `receive` may write."""


def _item_for_action(session: Session, actor: Actor, item_id: int, right: Right,
                     allow_archived: bool = False) -> InventoryItem:
    """Check the right, find the item in scope, lock it, and re-check its location under the lock."""
    actor.require(right)
    get_item_in_scope(session, actor=actor, item_id=item_id)
    item = ledger.lock_item(session, item_id)
    actor.require_location(item.location_id)
    if item.status is ItemStatus.ARCHIVED and right is not Right.ARCHIVE_INVENTORY and not allow_archived:
        raise ValidationFailed(f"{item.tag_id} is archived; restore it first.")
    return item

# ---------------------------------------------------------------------------
# Adding items (and auto-merge)
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class AddResult:
    item_id: int
    tag_id: str
    merged: bool
    movement_id: int
    note: str = ""  # e.g. why an auto-merge did not happen


def _lock_product(session: Session, product_id: int) -> None:
    """Serialise adds of one product (PostgreSQL row lock; SQLite's write lock is already held)."""
    session.execute(select(Product.id).where(Product.id == product_id).with_for_update())


def _merge_candidates(clean: CheckedItem):
    """Records `clean` may merge into, best first: same product, kind, location and classification; Available
    before Consumed, then the oldest."""
    match = [InventoryItem.product_id == clean.product.id, InventoryItem.kind == clean.kind,
             InventoryItem.location_id == clean.location_id,
             InventoryItem.status.in_([ItemStatus.AVAILABLE, ItemStatus.CONSUMED])]
    for name, value in clean.classification.items():
        column = getattr(InventoryItem, name)
        match.append(column.is_(None) if value is None else column == value)
    preference = case((InventoryItem.status == ItemStatus.AVAILABLE, 0), else_=1)
    return (select(InventoryItem.id, InventoryItem.status, InventoryItem.weight_unit, InventoryItem.tag_id)
            .where(*match).order_by(preference, InventoryItem.id).limit(1))


def _merge_target(session: Session, clean: CheckedItem) -> InventoryItem | None:
    best = session.execute(_merge_candidates(clean)).first()
    return ledger.lock_item(session, best.id) if best is not None else None


def _exact_conversion(weight: Decimal, from_symbol: str, to_symbol: str) -> Decimal | None:
    converted = convert(weight, from_symbol, to_symbol)
    return converted if to_grams(converted, to_symbol) == to_grams(weight, from_symbol) and converted > 0 else None


def _not_merged(clean: CheckedItem, tag_id: str, unit: str) -> str:
    return (f"Not merged into {tag_id}: {format_weight(clean.weight, clean.weight_unit)} does not convert exactly to "
            f"{unit}, so a new record was added.")


def _merge(session: Session, actor: Actor, clean: CheckedItem, target: InventoryItem, image_id: int | None,
           movement_kind: MovementKind, reference: str) -> AddResult:
    weight = _exact_conversion(clean.weight, clean.weight_unit, target.weight_unit)
    entered = f"{clean.quantity} pcs, {format_weight(clean.weight, clean.weight_unit)}"
    note = "; ".join(part for part in (f"merged: {entered}", clean.notes) if part)
    movement = ledger.apply_change(session, item_id=target.id, user_id=actor.user_id, movement_kind=movement_kind,
                                   quantity_delta=clean.quantity, weight_delta=weight, reference=reference,
                                   note=note)
    if image_id is not None and target.image_id is None:
        target.image_id = image_id
    audit.record(session, actor_id=actor.user_id, action="merge into item", entity="inventory_item",
                 entity_id=target.id, new={"tag_id": target.tag_id, "quantity_delta": clean.quantity,
                                           "weight_delta": weight, "weight_unit": target.weight_unit})
    session.flush()
    return AddResult(target.id, target.tag_id, True, movement.id)


def _create(session: Session, actor: Actor, clean: CheckedItem, image_id: int | None, movement_kind: MovementKind,
            reference: str, note: str = "", tag: str | None = None, status: ItemStatus = ItemStatus.AVAILABLE,
            audit_action: str = "add item", moved_at: datetime | None = None) -> AddResult:
    workspace = get_workspace(session)
    tag = tag or clean.tag_id or tags.next_tag(
        session, tags.tag_prefix(workspace.tag_prefix, clean.product.short_name, clean.product.name))
    item = InventoryItem(tag_id=tag, product_id=clean.product.id, kind=clean.kind, quantity=0, weight=Decimal(0),
                         weight_unit=clean.weight_unit, weight_g=Decimal(0), location_id=clean.location_id,
                         image_id=image_id, status=status, notes=clean.notes,
                         created_at=clean.created_at, created_by_id=actor.user_id, **clean.classification)
    try:
        with session.begin_nested():
            session.add(item)
            session.flush()
    except IntegrityError:
        raise ValidationFailed(f"Tag ID {tag} was just taken by someone else; please try again.") from None
    movement = ledger.apply_change(session, item_id=item.id, user_id=actor.user_id, movement_kind=movement_kind,
                                   quantity_delta=clean.quantity, weight_delta=clean.weight, reference=reference,
                                   note=clean.notes, moved_at=moved_at)
    audit.record(session, actor_id=actor.user_id, action=audit_action, entity="inventory_item", entity_id=item.id,
                 new={"tag_id": tag, "product_id": clean.product.id, "kind": clean.kind,
                      "quantity": clean.quantity, "weight": clean.weight, "weight_unit": clean.weight_unit,
                      "location_id": clean.location_id, "reference": reference, **clean.classification})
    return AddResult(item.id, tag, False, movement.id, note)


def add_checked(session: Session, *, actor: Actor, clean: CheckedItem, image_id: int | None,
                movement_kind: MovementKind, reference: str) -> AddResult:
    """Write one checked item: merge into a matching record when asked and possible, else create.

    The caller has checked the add or import right and the location scope.
    """
    actor.require_location(clean.location_id)
    _lock_product(session, clean.product.id)
    note = ""
    if clean.auto_merge:
        target = _merge_target(session, clean)
        if target is not None and _exact_conversion(clean.weight, clean.weight_unit, target.weight_unit):
            return _merge(session, actor, clean, target, image_id, MovementKind.MERGE,
                          reference or f"{movement_kind.label.lower()}")
        if target is not None:
            note = _not_merged(clean, target.tag_id, target.weight_unit)
    return _create(session, actor, clean, image_id, movement_kind, reference, note)


def _checked(session: Session, actor: Actor, data: NewItem, image: bytes | None, what: str):
    clean, problems = check_new_item(session, actor, data)
    checked_image = None
    if image:
        try:
            checked_image = images.check_image(image)
        except ValidationFailed as error:
            problems["image"] = str(error)
    if problems:
        raise ValidationFailed.listing(what, problems)
    actor.require_location(clean.location_id)
    image_id = images.store_image(session, checked=checked_image, user_id=actor.user_id).id if checked_image else None
    return clean, image_id


def add_item(session: Session, *, actor: Actor, data: NewItem, image: bytes | None = None) -> AddResult:
    """Add one item (or merge it into a matching record when `data.auto_merge`), with an optional photo.

    Everything is validated first; a ValidationFailed lists every problem and nothing is written.
    """
    actor.require(Right.ADD_INVENTORY)
    clean, image_id = _checked(session, actor, data, image, "The item was not added:")
    return add_checked(session, actor=actor, clean=clean, image_id=image_id, movement_kind=MovementKind.RECEIPT,
                       reference="")


def receive(session: Session, *, actor: Actor, right: Right, data: NewItem, movement_kind: MovementKind,
            reference: str, derived_from_item_id: int | None = None, suffix: str = "RCV",
            status: ItemStatus = ItemStatus.AVAILABLE, moved_at: datetime | None = None) -> AddResult:
    """Create a new item from received stock (a purchase receipt, a production output), never merged.

    Its first movement (`movement_kind`, one of RECEIVE_KINDS) carries `reference`
    (the order line or job). The tag is `<source tag>-<suffix><n>` when
    `derived_from_item_id` names the source item (locked first, so two receipts
    from one source never draw the same number), else `data.tag_id` or the next
    regular tag. The caller's right (`right`) and the target location's scope are checked.
    """
    actor.require(right)
    if movement_kind not in RECEIVE_KINDS:
        raise ValueError(f"receive() writes {', '.join(k.value for k in RECEIVE_KINDS)}, not {movement_kind.value}")
    clean, _image = _checked(session, actor, data, None, "Nothing was received:")
    clean.auto_merge = False
    tag = None
    if derived_from_item_id is not None:
        source = ledger.lock_item(session, derived_from_item_id)
        tag = tags.derived_tag(session, source.tag_id, suffix)
    return _create(session, actor, clean, None, movement_kind, reference, tag=tag, status=status,
                   audit_action="receive item", moved_at=moved_at)


# ---------------------------------------------------------------------------
# Changing one item
# ---------------------------------------------------------------------------

EDITABLE_FIELDS = ("product_id", "kind", *(attribute.field for attribute in ATTRIBUTES), "notes")


def edit_attributes(session: Session, *, actor: Actor, item_id: int, changes: dict) -> InventoryItem:
    """Change an item's product, type or catalog attributes or notes; movements are restamped to match.

    Quantity and weight are changed by `adjust`, the location by `transfer`; the tag and unit never change.
    """
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationFailed(f"These fields cannot be edited here: {', '.join(sorted(unknown))}.")
    item = _item_for_action(session, actor, item_id, Right.EDIT_INVENTORY)
    cleaned, problems = _clean_edit(session, item, changes)
    if problems:
        raise ValidationFailed.listing("The item was not changed:", problems)
    old, new = audit.changed_fields(item, cleaned)
    if set(new) & set(STAMPED_FIELDS):
        session.flush()
        ledger.restamp_classification(session, item)
    if new:
        audit.record(session, actor_id=actor.user_id, action="edit item", entity="inventory_item",
                     entity_id=item.id, old=old, new=new)
    session.flush()
    return item


def _clean_edit(session: Session, item: InventoryItem, changes: dict) -> tuple[dict, dict[str, str]]:
    problems: dict[str, str] = {}
    values = {name: changes.get(name, getattr(item, name)) for name in EDITABLE_FIELDS}
    product = session.get(Product, int(values["product_id"])) if values["product_id"] is not None else None
    if product is None:
        problems["product_id"] = "Product: no such product"
    kind = collect(problems, "kind", parse_kind, values["kind"])
    for attribute in ATTRIBUTES:
        values[attribute.field] = collect(problems, attribute.field, check_catalog_id, session, attribute.field,
                                          values[attribute.field])
    values["notes"] = collect(problems, "notes", clean_text, values["notes"], "Notes", MAX_NOTES)
    if problems:
        return {}, problems
    values["product_id"], values["kind"] = product.id, kind
    return fit_to_kind(kind, values), {}


def adjust(session: Session, *, actor: Actor, item_id: int, quantity_delta=0, weight_delta=0,
           reason: str, reference: str = "") -> StockMovement:
    """A manual adjustment: signed changes of pieces and/or weight (item's unit) with a required reason."""
    quantity = as_validation(parse_quantity, quantity_delta or 0, "Quantity change", allow_negative=True)
    weight = as_validation(lambda raw: parse_weight(raw, "Weight change", allow_zero=True, allow_negative=True),
                           weight_delta or 0)
    why = required_reason(reason)
    ref = as_validation(clean_text, reference, "Reference", 120)
    if quantity == 0 and weight == 0:
        raise ValidationFailed("The adjustment must change the pieces or the weight.")
    item = _item_for_action(session, actor, item_id, Right.ADJUST_INVENTORY)
    before = {"quantity": item.quantity, "weight": item.weight}
    movement = ledger.apply_change(session, item_id=item.id, user_id=actor.user_id,
                                   movement_kind=MovementKind.ADJUSTMENT, quantity_delta=quantity,
                                   weight_delta=weight, reference=ref, note=why)
    audit.record(session, actor_id=actor.user_id, action="adjust stock", entity="inventory_item",
                 entity_id=item.id, old=before,
                 new={"quantity": item.quantity, "weight": item.weight, "reason": why})
    return movement


@dataclass(frozen=True)
class TransferResult:
    source_tag: str
    whole: bool
    item_id: int  # the item now holding the moved stock (the same item for a whole transfer)
    tag_id: str


def _target_location(session: Session, actor: Actor, item: InventoryItem, to_location_id: int) -> Location:
    location = session.get(Location, to_location_id) if to_location_id is not None else None
    if location is None or not location.active:
        raise ValidationFailed("Transfer: choose an active target location.")
    actor.require_location(location.id)
    if location.id == item.location_id:
        raise ValidationFailed(f"{item.tag_id} is already at {location.name}.")
    return location


def transfer(session: Session, *, actor: Actor, item_id: int, to_location_id: int, quantity=None, weight=None,
             reference: str = "", note: str = "") -> TransferResult:
    """Move all of an item (quantity and weight both None, or equal to the balance) or part of it.

    A partial transfer creates a new item `<tag>-T<n>` at the target holding the moved part.
    """
    partial = quantity is not None or weight is not None
    pieces = as_validation(parse_quantity, quantity or 0, "Pieces to move") if partial else None
    part_weight = (as_validation(lambda raw: parse_weight(raw, "Weight to move", allow_zero=True), weight or 0)
                   if partial else None)
    ref = as_validation(clean_text, reference, "Reference", 100)
    text = as_validation(clean_text, note, "Note", 500)
    item = _item_for_action(session, actor, item_id, Right.TRANSFER_INVENTORY)
    location = _target_location(session, actor, item, to_location_id)
    source_location = item.location_id
    if not partial or (pieces == item.quantity and part_weight == Decimal(item.weight)):
        ledger.move_location(session, item_id=item.id, to_location_id=location.id, user_id=actor.user_id,
                             reference=ref, note=text)
        _audit_transfer(session, actor, item, source_location, location.id, item.tag_id)
        return TransferResult(item.tag_id, True, item.id, item.tag_id)
    if pieces == 0 and part_weight == 0:
        raise ValidationFailed("Transfer: enter the pieces and/or weight to move.")
    return _partial_transfer(session, actor, item, location, pieces, part_weight, ref, text)


def _partial_transfer(session: Session, actor: Actor, source: InventoryItem, location: Location, pieces: int,
                      weight: Decimal, reference: str, note: str) -> TransferResult:
    new_tag = tags.derived_tag(session, source.tag_id, "T")  # after the lock: numbers never collide
    source_location = source.location_id
    ledger.apply_change(session, item_id=source.id, user_id=actor.user_id, movement_kind=MovementKind.TRANSFER_OUT,
                        quantity_delta=-pieces, weight_delta=-weight, reference=reference, note=note,
                        counterpart_location_id=location.id, counterpart_tag=new_tag)
    part = InventoryItem(tag_id=new_tag, product_id=source.product_id, kind=source.kind, quantity=0,
                         weight=Decimal(0), weight_unit=source.weight_unit, weight_g=Decimal(0),
                         location_id=location.id, image_id=source.image_id,
                         status=ItemStatus.ON_HOLD if source.status is ItemStatus.ON_HOLD else ItemStatus.AVAILABLE,
                         notes=source.notes, created_by_id=actor.user_id,
                         **{attribute.field: getattr(source, attribute.field) for attribute in ATTRIBUTES})
    session.add(part)
    session.flush()
    ledger.apply_change(session, item_id=part.id, user_id=actor.user_id, movement_kind=MovementKind.TRANSFER_IN,
                        quantity_delta=pieces, weight_delta=weight, reference=reference, note=note,
                        counterpart_location_id=source_location, counterpart_tag=source.tag_id)
    _audit_transfer(session, actor, source, source_location, location.id, new_tag, pieces, weight)
    return TransferResult(source.tag_id, False, part.id, new_tag)


def _audit_transfer(session, actor, item, from_id, to_id, tag, pieces=None, weight=None) -> None:
    new = {"from_location_id": from_id, "to_location_id": to_id, "tag_id": tag}
    if pieces is not None:
        new.update(quantity=pieces, weight=weight)
    audit.record(session, actor_id=actor.user_id, action="transfer item" if pieces is None else "split transfer",
                 entity="inventory_item", entity_id=item.id, new=new)


MANUAL_STATUSES = (ItemStatus.AVAILABLE, ItemStatus.ON_HOLD)


def set_status(session: Session, *, actor: Actor, item_id: int, status: ItemStatus | str) -> InventoryItem:
    """Put an item on hold or make it available again (Consumed and Archived have their own rules)."""
    try:
        status = ItemStatus(status)
    except ValueError:
        raise ValidationFailed(f"Unknown status {status!r}.") from None
    if status not in MANUAL_STATUSES:
        raise ValidationFailed(f"{status.label} is not set by hand: "
                               + ("use Archive." if status is ItemStatus.ARCHIVED
                                  else "an item becomes Consumed when its stock reaches zero."))
    item = _item_for_action(session, actor, item_id, Right.EDIT_INVENTORY)
    if item.status is ItemStatus.CONSUMED:
        raise ValidationFailed(f"{item.tag_id} holds no stock, so it stays Consumed until stock is added.")
    old, new = audit.changed_fields(item, {"status": status})
    if new:
        audit.record(session, actor_id=actor.user_id, action="change status", entity="inventory_item",
                     entity_id=item.id, old=old, new=new)
    session.flush()
    return item


def archive(session: Session, *, actor: Actor, item_id: int, reason: str) -> StockMovement | None:
    """Archive an item (never delete). Stock it still holds is written off first, with the reason."""
    why = required_reason(reason)
    item = _item_for_action(session, actor, item_id, Right.ARCHIVE_INVENTORY)
    if item.status is ItemStatus.ARCHIVED:
        raise ValidationFailed(f"{item.tag_id} is already archived.")
    movement = None
    if item.quantity or item.weight:
        movement = ledger.apply_change(session, item_id=item.id, user_id=actor.user_id,
                                       movement_kind=MovementKind.WRITE_OFF, quantity_delta=-item.quantity,
                                       weight_delta=-Decimal(item.weight), reference="archive", note=why)
    old, new = audit.changed_fields(item, {"status": ItemStatus.ARCHIVED})
    audit.record(session, actor_id=actor.user_id, action="archive item", entity="inventory_item",
                 entity_id=item.id, old=old, new={**new, "reason": why})
    session.flush()
    return movement


def restore(session: Session, *, actor: Actor, item_id: int) -> InventoryItem:
    """Bring an archived item back: Available when it holds stock, Consumed when empty."""
    item = _item_for_action(session, actor, item_id, Right.ARCHIVE_INVENTORY)
    if item.status is not ItemStatus.ARCHIVED:
        raise ValidationFailed(f"{item.tag_id} is not archived.")
    status = ItemStatus.AVAILABLE if item.quantity or item.weight else ItemStatus.CONSUMED
    old, new = audit.changed_fields(item, {"status": status})
    audit.record(session, actor_id=actor.user_id, action="restore item", entity="inventory_item",
                 entity_id=item.id, old=old, new=new)
    session.flush()
    return item


def set_photo(session: Session, *, actor: Actor, item_id: int, image: bytes) -> InventoryItem:
    """Replace an item's photo (edit right); the old picture stays stored for other items using it."""
    checked = images.check_image(image)
    item = _item_for_action(session, actor, item_id, Right.EDIT_INVENTORY)
    image_id = images.store_image(session, checked=checked, user_id=actor.user_id).id
    old, new = audit.changed_fields(item, {"image_id": image_id})
    if new:
        audit.record(session, actor_id=actor.user_id, action="change photo", entity="inventory_item",
                     entity_id=item.id, old=old, new=new)
    session.flush()
    return item


# ---------------------------------------------------------------------------
# Issuing to a reference (orders, production) and giving it back
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Issued:
    """What one issue or return moved, in the item's own unit."""

    item_id: int
    tag_id: str
    quantity: int
    weight: Decimal
    weight_unit: str
    movement_id: int


def _amounts(item: InventoryItem, quantity, weight, what: str) -> tuple[int, Decimal]:
    """Pieces and weight to move: the item's whole balance when both are None."""
    if quantity is None and weight is None:
        return item.quantity, Decimal(item.weight)
    pieces = as_validation(parse_quantity, quantity or 0, f"Pieces to {what}")
    grams_part = as_validation(lambda raw: parse_weight(raw, f"Weight to {what}", allow_zero=True), weight or 0)
    if pieces == 0 and grams_part == 0:
        raise ValidationFailed(f"Enter the pieces and/or weight to {what}.")
    return pieces, grams_part


def issue(session: Session, *, actor: Actor, right: Right, item_id: int, reference: str, quantity=None,
          weight=None, note: str = "", movement_kind: MovementKind = MovementKind.ISSUE,
          moved_at: datetime | None = None) -> Issued:
    """Take part or all of an Available item out of stock for `reference` (an order line, a job).

    `quantity`/`weight` in the item's unit; both None takes the whole balance.
    Refused: items on hold, archived or outside the actor's scope, and more than
    the item holds (InsufficientStock). `right` is the caller's (EDIT_ORDERS, EDIT_PRODUCTION).
    """
    if movement_kind not in ISSUE_KINDS:
        raise ValueError(f"issue() writes {', '.join(k.value for k in ISSUE_KINDS)}, not {movement_kind.value}")
    ref = as_validation(clean_text, reference, "Reference", 120)
    if not ref:
        raise ValidationFailed("An issue must name what the stock is issued to.")
    text = as_validation(clean_text, note, "Note", 500)
    item = _item_for_action(session, actor, item_id, right)
    if item.status is not ItemStatus.AVAILABLE:
        raise ValidationFailed(f"{item.tag_id} is {item.status.label.lower()}; only available stock can be issued.")
    pieces, part = _amounts(item, quantity, weight, "issue")
    movement = ledger.apply_change(session, item_id=item.id, user_id=actor.user_id, movement_kind=movement_kind,
                                   quantity_delta=-pieces, weight_delta=-part, reference=ref, note=text,
                                   moved_at=moved_at)
    audit.record(session, actor_id=actor.user_id, action="issue stock", entity="inventory_item", entity_id=item.id,
                 new={"reference": ref, "quantity": pieces, "weight": part, "weight_unit": item.weight_unit})
    return Issued(item.id, item.tag_id, pieces, part, item.weight_unit, movement.id)


def issued_balance(session: Session, *, item_id: int, reference: str) -> tuple[int, Decimal]:
    """Pieces and weight issued from an item under `reference` and not yet returned.

    The weight is rounded to the ledger's 4 decimals: every delta has at most 4, and
    SQLite sums NUMERIC columns as floats (5.1 - 2 comes back as 3.0999999999999996).
    """
    quantity, weight = session.execute(
        select(func.coalesce(func.sum(StockMovement.quantity_delta), 0),
               func.coalesce(func.sum(StockMovement.weight_delta), 0))
        .where(StockMovement.item_id == item_id, StockMovement.reference == reference,
               StockMovement.movement_kind.in_([*ISSUE_KINDS, MovementKind.RETURN]))).one()
    return -int(quantity), -Decimal(str(weight)).quantize(WEIGHT_QUANTUM)


def _reopen_for_return(session: Session, actor: Actor, item: InventoryItem) -> None:
    """An item emptied and archived while its stock was out is restored (audited) so the stock can come back
    to it: Consumed now, Available again once the ledger adds the returned stock."""
    if item.status is not ItemStatus.ARCHIVED:
        return
    status = ItemStatus.AVAILABLE if item.quantity or item.weight else ItemStatus.CONSUMED
    old, new = audit.changed_fields(item, {"status": status})
    audit.record(session, actor_id=actor.user_id, action="restore item", entity="inventory_item",
                 entity_id=item.id, old=old, new={**new, "reason": "stock issued from it comes back"})
    session.flush()


def return_issued(session: Session, *, actor: Actor, right: Right, item_id: int, reference: str, quantity=None,
                  weight=None, note: str = "", moved_at: datetime | None = None) -> Issued:
    """Give stock issued under `reference` back to the same item (a RETURN movement).

    Both amounts None return everything still out under that reference; never more. A source item
    archived meanwhile (emptied, then archived) is restored first, audited, so the stock always goes back.
    """
    ref = as_validation(clean_text, reference, "Reference", 120)
    text = as_validation(clean_text, note, "Note", 500)
    item = _item_for_action(session, actor, item_id, right, allow_archived=True)
    out_pieces, out_weight = issued_balance(session, item_id=item.id, reference=ref)
    if quantity is None and weight is None:
        pieces, part = out_pieces, out_weight
    else:
        pieces, part = _amounts(item, quantity, weight, "return")
    if pieces == 0 and part == 0:
        raise ValidationFailed(f"Nothing issued under {ref} is left to return to {item.tag_id}.")
    if pieces > out_pieces or part > out_weight:
        most = format_weight(out_weight, item.weight_unit)
        raise ValidationFailed(f"{item.tag_id}: at most {out_pieces} pcs and {most} issued under {ref} can be returned.")
    _reopen_for_return(session, actor, item)
    movement = ledger.apply_change(session, item_id=item.id, user_id=actor.user_id, movement_kind=MovementKind.RETURN,
                                   quantity_delta=pieces, weight_delta=part, reference=ref, note=text,
                                   moved_at=moved_at)
    audit.record(session, actor_id=actor.user_id, action="return stock", entity="inventory_item", entity_id=item.id,
                 new={"reference": ref, "quantity": pieces, "weight": part, "weight_unit": item.weight_unit})
    return Issued(item.id, item.tag_id, pieces, part, item.weight_unit, movement.id)


GIVE_BACK_KINDS = (MovementKind.RETURN, MovementKind.PRODUCTION_RETURN)
"""Movement kinds `give_back` may write (RETURN: a cancelled job; PRODUCTION_RETURN: a bench return)."""


def give_back(session: Session, *, actor: Actor, right: Right, item_id: int, location_id: int, reference: str,
              quantity: int, weight: Decimal, note: str = "", movement_kind: MovementKind = MovementKind.RETURN,
              moved_at: datetime | None = None) -> Issued:
    """Give issued stock back at `location_id`: to the source item `item_id` when it is still there (restored
    first when it was emptied and archived meanwhile), else to a new item `<source tag>-RET<n>` there with the
    source's product, kind, classification, unit and notes.

    Amounts in the source item's unit; the caller (lib.production.bench) checks they do not exceed what is
    out under `reference`. Returns the item and movement written.
    """
    if movement_kind not in GIVE_BACK_KINDS:
        raise ValueError(f"give_back() writes {', '.join(k.value for k in GIVE_BACK_KINDS)}, not {movement_kind.value}")
    actor.require(right)
    actor.require_location(location_id)
    ref = as_validation(clean_text, reference, "Reference", 120)
    text = as_validation(clean_text, note, "Note", 500)
    source = ledger.lock_item(session, item_id)
    if source.location_id == location_id:
        _reopen_for_return(session, actor, source)
        movement = ledger.apply_change(session, item_id=source.id, user_id=actor.user_id,
                                       movement_kind=movement_kind, quantity_delta=quantity, weight_delta=weight,
                                       reference=ref, note=text, moved_at=moved_at)
        audit.record(session, actor_id=actor.user_id, action="return stock", entity="inventory_item",
                     entity_id=source.id, new={"reference": ref, "quantity": quantity, "weight": weight,
                                               "weight_unit": source.weight_unit, "kind": movement_kind})
        return Issued(source.id, source.tag_id, quantity, weight, source.weight_unit, movement.id)
    data = NewItem(product_id=source.product_id, kind=source.kind, weight=weight, weight_unit=source.weight_unit,
                   quantity=quantity, location_id=location_id, notes=source.notes,
                   **{attribute.field: getattr(source, attribute.field) for attribute in ATTRIBUTES})
    clean, _image = _checked(session, actor, data, None, "Nothing was returned:")
    clean.auto_merge = False
    tag = tags.derived_tag(session, source.tag_id, "RET")
    added = _create(session, actor, clean, source.image_id, movement_kind, ref, tag=tag,
                    audit_action="return stock to a new item", moved_at=moved_at)
    return Issued(added.item_id, added.tag_id, quantity, weight, source.weight_unit, added.movement_id)
