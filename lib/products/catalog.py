"""The product catalog: who sees which product, admin writes, and the product image.

Visibility (reference section 4): admins (Right.MANAGE_PRODUCTS) see every
product, even one without stock. Managers and members see a product when at
least one of its item records is in their scope (any status), so a member
never learns that a product exists only in another location. Counts and
weights shown next to a product are the items *held* in scope
(`models.IN_STOCK`), summed in grams in SQL and shown in the workspace
default unit.

Product image (reference section 4 row 2, Q7): the image is chosen from the
pictures of the product's own inventory items; there is no upload here.
Managers and admins choose (Right.CHOOSE_PRODUCT_IMAGE) among items in their
scope; the choice is stored as `Product.image_item_id`. Everyone sees the
chosen picture only while that item is in their scope and still has a
picture; otherwise the newest in-scope item picture of the product stands in,
else a placeholder.

Decisions where the reference is silent (Q1, Q2, Q8): the name is required,
1-120 characters, unique ignoring case; the short name is required, unique,
upper-case letters, digits and dashes (it is the tag-ID infix); the product
type is optional and is the product's only classification (shape, size,
finished/M&S type live on items). Products are never deleted, only switched
inactive, because items, orders and jobs point at them; changing the short
name leaves issued tag IDs as they are.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import bindparam, case, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from lib import audit, db
from lib.access import Actor, Right, get_item_in_scope, scope_items
from lib.errors import NotFound, ValidationFailed
from lib.inventory.query import ItemFilters, items_statement
from lib.models import IN_STOCK, AuditEntry, CatalogEntry, CatalogKind, Image, InventoryItem, Product, StockMovement
from lib.names import clean_name
from lib.tags import validate_short_name
from lib.units import from_grams
from lib.workspace.settings import default_weight_unit
from lib.text import search_text

NOT_FOUND = "Product not found: it does not exist, or none of its inventory is in your locations."
_ID_PATTERN = re.compile(r"^\s*\+?(\d{1,9})\s*$")
GALLERY_LIMIT = 48


def sees_every_product(actor: Actor) -> bool:
    """Admins see every product, stock or not; everybody else only products stocked in scope."""
    return actor.can(Right.MANAGE_PRODUCTS)


def parse_product_id(raw) -> int:
    """A product id from a url parameter; NotFound for anything that is not a positive id."""
    if isinstance(raw, bool):
        raise NotFound(NOT_FOUND)
    if isinstance(raw, int):
        value = raw
    else:
        match = _ID_PATTERN.match(str(raw)) if raw is not None else None
        if match is None:
            raise NotFound(NOT_FOUND)
        value = int(match.group(1))
    if not 0 < value < 2**31:
        raise NotFound(NOT_FOUND)
    return value


PRODUCT_TYPE = aliased(CatalogEntry, name="product_type")
"""The product type's catalog entry, aliased once: building an alias costs more than the query it serves."""


@dataclass(frozen=True)
class ProductInfo:
    id: int
    name: str
    short_name: str
    product_type_id: int | None
    product_type: str | None
    active: bool
    image_item_id: int | None


def _has_items_in_scope(session: Session, actor: Actor, product_id: int) -> bool:
    stmt = items_statement(actor, ItemFilters(product_ids=(product_id,)), InventoryItem.id).limit(1)
    return session.scalar(stmt) is not None


_PRODUCT_BY_ID = (select(Product.id, Product.name, Product.short_name, Product.product_type_id, PRODUCT_TYPE.name,
                         Product.active, Product.image_item_id)
                  .outerjoin(PRODUCT_TYPE, PRODUCT_TYPE.id == Product.product_type_id)
                  .where(Product.id == bindparam("product_id")))
"""`ProductInfo`'s columns, built once: every page view reads them, and building cost more than the read."""


def get_product_in_scope(session: Session, *, actor: Actor, product_id) -> ProductInfo:
    """The product if the actor may see it; NotFound (never saying which) otherwise."""
    product_id = parse_product_id(product_id)
    row = db.read(session, _PRODUCT_BY_ID, {"product_id": product_id}).one_or_none()
    if row is None:
        raise NotFound(NOT_FOUND)
    if not sees_every_product(actor) and not _has_items_in_scope(session, actor, product_id):
        raise NotFound(NOT_FOUND)
    return ProductInfo(*row)


@dataclass(frozen=True)
class ProductRow:
    """One line of the catalog: the product and what the viewer holds of it."""

    id: int
    name: str
    short_name: str
    product_type: str | None
    active: bool
    items: int
    weight: Decimal  # held weight in `unit`
    unit: str
    thumbnail: bytes | None


def list_products(session: Session, *, actor: Actor, search: str = "") -> list[ProductRow]:
    """Products the actor may see, by name, with item count and held weight in their scope.

    One grouped pass over the scoped items gives, per product, the held count,
    the held grams (summed in SQL) and the newest in-scope record with a
    picture (the thumbnail fallback), so the list costs one scan of the items
    however many products there are. `search` matches name, short name or
    product type, ignoring case.
    """
    unit = default_weight_unit(session)
    # Grouping on `product_id + 0` keeps SQLite from walking every record in index order with a
    # random table read each (4x slower on the large demo than one sequential scan and a sort).
    product_key = (InventoryItem.product_id + 0).label("product_id")
    stats = (items_statement(actor, ItemFilters(), product_key,
                             func.count(case((IN_STOCK, 1))).label("item_count"),
                             func.coalesce(func.sum(case((IN_STOCK, InventoryItem.weight_g), else_=0)), 0)
                             .label("grams"),
                             func.max(case((InventoryItem.image_id.is_not(None), InventoryItem.id)))
                             .label("newest_pictured"))
             .group_by(product_key).subquery())
    ptype = PRODUCT_TYPE
    stmt = (select(Product.id, Product.name, Product.short_name, ptype.name, Product.active,
                   func.coalesce(stats.c.item_count, 0), func.coalesce(stats.c.grams, 0), stats.c.newest_pictured)
            .outerjoin(ptype, ptype.id == Product.product_type_id)
            .order_by(Product.name_key, Product.id))
    if sees_every_product(actor):
        stmt = stmt.outerjoin(stats, stats.c.product_id == Product.id)
    else:
        stmt = stmt.join(stats, stats.c.product_id == Product.id)
    text = search_text(search).lower()
    if text:
        stmt = stmt.where(or_(Product.name_key.contains(text, autoescape=True),
                              func.lower(Product.short_name).contains(text, autoescape=True),
                              func.lower(ptype.name).contains(text, autoescape=True)))
    rows = session.execute(stmt).all()
    newest = {row[0]: row[7] for row in rows if row[7] is not None}
    thumbnails = product_thumbnails(session, actor=actor, product_ids=[row[0] for row in rows], newest=newest)
    return [ProductRow(pid, name, short, type_name, active, int(items),
                       from_grams(Decimal(str(grams)), unit), unit, thumbnails.get(pid))
            for pid, name, short, type_name, active, items, grams, _newest in rows]


# ---------------------------------------------------------------------------
# Admin writes
# ---------------------------------------------------------------------------

def _validated(session: Session, *, name, short_name, product_type_id, product: Product | None) -> dict:
    problems: list[str] = []
    values: dict = {}
    try:
        values["name"] = clean_name(name, "Product name")
        values["name_key"] = values["name"].lower()
        clash = session.scalar(select(Product.name).where(Product.name_key == values["name_key"],
                                                          Product.id != (product.id if product else 0)))
        if clash is not None:
            problems.append(f"A product named {clash!r} already exists (names ignore case).")
    except ValidationFailed as error:
        problems.append(str(error))
    try:
        values["short_name"] = validate_short_name(short_name)
        clash = session.scalar(select(Product.name).where(func.upper(Product.short_name) == values["short_name"],
                                                          Product.id != (product.id if product else 0)))
        if clash is not None:
            problems.append(f"Short name {values['short_name']} is already used by {clash!r}.")
    except ValidationFailed as error:
        problems.append(str(error))
    if product_type_id in (None, "", 0):
        values["product_type_id"] = None
    else:
        entry = session.get(CatalogEntry, int(product_type_id))
        unchanged = product is not None and product.product_type_id == int(product_type_id)
        if entry is None or entry.catalog is not CatalogKind.PRODUCT_TYPE:
            problems.append("Choose a product type from the list.")
        elif not entry.active and not unchanged:
            problems.append(f"Product type {entry.name!r} is switched off; choose an active one.")
        else:
            values["product_type_id"] = entry.id
    if problems:
        raise ValidationFailed(" ".join(problems), problems)
    return values


def _flush(session: Session, name: str) -> None:
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise ValidationFailed(f"A product named {name!r} already exists (names ignore case).") from None


def add_product(session: Session, *, actor: Actor, name: str, short_name: str,
                product_type_id: int | None = None) -> ProductInfo:
    """Create an active product (admins only); audited. Nothing is written when it raises."""
    actor.require(Right.MANAGE_PRODUCTS)
    values = _validated(session, name=name, short_name=short_name, product_type_id=product_type_id, product=None)
    product = Product(active=True, **values)
    session.add(product)
    _flush(session, values["name"])
    audit.record(session, actor_id=actor.user_id, action="add product", entity="product", entity_id=product.id,
                 new={k: v for k, v in values.items() if k != "name_key"} | {"active": True})
    return get_product_in_scope(session, actor=actor, product_id=product.id)


def update_product(session: Session, *, actor: Actor, product_id: int, name: str, short_name: str,
                   product_type_id: int | None = None, active: bool = True) -> ProductInfo:
    """Edit a product (admins only); audited with old and new values of what changed."""
    actor.require(Right.MANAGE_PRODUCTS)
    product = session.get(Product, parse_product_id(product_id))
    if product is None:
        raise NotFound(NOT_FOUND)
    values = _validated(session, name=name, short_name=short_name, product_type_id=product_type_id, product=product)
    values["active"] = bool(active)
    old, new = audit.changed_fields(product, values)
    old.pop("name_key", None)
    new.pop("name_key", None)
    if new:
        _flush(session, values["name"])
        audit.record(session, actor_id=actor.user_id, action="update product", entity="product",
                     entity_id=product.id, old=old, new=new)
    return get_product_in_scope(session, actor=actor, product_id=product.id)


# ---------------------------------------------------------------------------
# Product image: gallery, choice, and the fallback rule
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class GalleryImage:
    item_id: int
    tag_id: str
    image_id: int
    thumbnail: bytes


@dataclass(frozen=True)
class ProductImage:
    item_id: int
    tag_id: str
    image_id: int
    data: bytes
    mime_type: str
    chosen: bool  # False: a stand-in because the chosen picture is missing or out of scope


def gallery_images(session: Session, *, actor: Actor, product_id: int, limit: int = GALLERY_LIMIT) -> list[GalleryImage]:
    """Distinct pictures of the product's items in the actor's scope, newest item first.

    Each picture appears once, represented by the newest in-scope item that carries it.
    """
    product = get_product_in_scope(session, actor=actor, product_id=product_id)
    newest = (items_statement(actor, ItemFilters(product_ids=(product.id,)),
                              func.max(InventoryItem.id).label("item_id"))
              .where(InventoryItem.image_id.is_not(None)).group_by(InventoryItem.image_id).subquery())
    stmt = (select(InventoryItem.id, InventoryItem.tag_id, InventoryItem.image_id, Image.thumbnail)
            .join(newest, newest.c.item_id == InventoryItem.id)
            .join(Image, Image.id == InventoryItem.image_id)
            .order_by(InventoryItem.id.desc()).limit(limit))
    return [GalleryImage(item_id, tag, image_id, bytes(thumb)) for item_id, tag, image_id, thumb in session.execute(stmt)]


def choose_image(session: Session, *, actor: Actor, product_id: int, item_id: int | None) -> ProductInfo:
    """Make the picture of `item_id` the product image (None: back to automatic); audited.

    The item must be one of the product's items in the actor's scope and carry a picture.
    """
    actor.require(Right.CHOOSE_PRODUCT_IMAGE)
    info = get_product_in_scope(session, actor=actor, product_id=product_id)
    if item_id is not None:
        item = get_item_in_scope(session, actor=actor, item_id=int(item_id))
        if item.product_id != info.id:
            raise ValidationFailed("That item belongs to another product; choose one of this product's pictures.")
        if item.image_id is None:
            raise ValidationFailed(f"{item.tag_id} has no picture; choose another.")
    product = session.get(Product, info.id)
    old, new = audit.changed_fields(product, {"image_item_id": None if item_id is None else int(item_id)})
    if new:
        audit.record(session, actor_id=actor.user_id, action="choose product image", entity="product",
                     entity_id=product.id, old=old, new=new)
        session.flush()
    return get_product_in_scope(session, actor=actor, product_id=product.id)


def _visible_chosen(session: Session, actor: Actor, product_ids: list[int]) -> dict[int, tuple[int, int]]:
    """product id -> (item id, image id) of chosen pictures the actor may see."""
    stmt = (items_statement(actor, ItemFilters(), InventoryItem.product_id, InventoryItem.id, InventoryItem.image_id)
            .join(Product, Product.image_item_id == InventoryItem.id)
            .where(Product.id.in_(product_ids), InventoryItem.product_id == Product.id,
                   InventoryItem.image_id.is_not(None)))
    return {pid: (item_id, image_id) for pid, item_id, image_id in session.execute(stmt)}


def _newest_pictures(session: Session, actor: Actor, product_ids: list[int]) -> dict[int, tuple[int, int]]:
    """product id -> (item id, image id) of the newest in-scope item with a picture."""
    if not product_ids:
        return {}
    newest = (items_statement(actor, ItemFilters(product_ids=tuple(product_ids)),
                              func.max(InventoryItem.id).label("item_id"))
              .where(InventoryItem.image_id.is_not(None)).group_by(InventoryItem.product_id).subquery())
    stmt = (select(InventoryItem.product_id, InventoryItem.id, InventoryItem.image_id)
            .join(newest, newest.c.item_id == InventoryItem.id))
    return {pid: (item_id, image_id) for pid, item_id, image_id in session.execute(stmt)}


def _pictures(session: Session, actor: Actor, product_ids: list[int],
              newest: dict[int, int] | None = None) -> dict[int, tuple[int, int, bool]]:
    """product id -> (item id, image id, chosen?) following the fallback rule.

    `newest` (product id -> newest in-scope item id with a picture), when the
    caller already has it, saves the fallback query; its ids are checked against
    the actor's scope all the same.
    """
    found = {pid: (*pair, True) for pid, pair in _visible_chosen(session, actor, product_ids).items()}
    missing = [pid for pid in product_ids if pid not in found]
    if newest is None:
        fallback = _newest_pictures(session, actor, missing)
    else:
        wanted = {newest[pid]: pid for pid in missing if pid in newest}
        rows = session.execute(scope_items(select(InventoryItem.id, InventoryItem.image_id)
                                           .where(InventoryItem.id.in_(sorted(wanted) or [0])), actor)).all()
        fallback = {wanted[item_id]: (item_id, image_id) for item_id, image_id in rows if image_id is not None}
    found.update({pid: (*pair, False) for pid, pair in fallback.items()})
    return found


def product_thumbnails(session: Session, *, actor: Actor, product_ids: list[int],
                       newest: dict[int, int] | None = None) -> dict[int, bytes]:
    """Small pictures for a list of products (fallback rule applied), by product id."""
    if not product_ids:
        return {}
    pictures = _pictures(session, actor, list(product_ids), newest)
    image_ids = sorted({image_id for _item, image_id, _chosen in pictures.values()})
    data = dict(session.execute(select(Image.id, Image.thumbnail).where(Image.id.in_(image_ids or [0]))).all())
    return {pid: bytes(data[image_id]) for pid, (_item, image_id, _c) in pictures.items() if image_id in data}


def product_image(session: Session, *, actor: Actor, product_id: int) -> ProductImage | None:
    """The picture to show for the product, or None for the placeholder.

    The chosen item's picture when that item is in the actor's scope and still
    has one; else the newest in-scope item picture; else None.
    """
    info = get_product_in_scope(session, actor=actor, product_id=product_id)
    picture = _pictures(session, actor, [info.id]).get(info.id)
    if picture is None:
        return None
    item_id, image_id, chosen = picture
    row = session.execute(select(InventoryItem.tag_id, Image.data, Image.mime_type)
                          .join(Image, Image.id == InventoryItem.image_id)
                          .where(InventoryItem.id == item_id)).one_or_none()
    if row is None:
        return None
    tag_id, data, mime_type = row
    return ProductImage(item_id, tag_id, image_id, bytes(data), mime_type, chosen)


def data_version(session: Session) -> tuple[int, int]:
    """(newest movement id, newest audit entry id): changes whenever stock moves or an audited
    write (product, catalog, image choice, settings, item edit) happens. Both are primary-key maxima."""
    movement, audited = db.read(session, _NEWEST_IDS).one()
    return movement or 0, audited or 0


_NEWEST_IDS = select(select(func.max(StockMovement.id)).scalar_subquery(),
                     select(func.max(AuditEntry.id)).scalar_subquery())



def admin_products(session: Session, *, actor: Actor, search: str = "") -> list[ProductInfo]:
    """Every product with its type, by name, for the admin settings screen (no stock figures)."""
    actor.require(Right.MANAGE_PRODUCTS)
    ptype = PRODUCT_TYPE
    stmt = (select(Product, ptype.name).outerjoin(ptype, ptype.id == Product.product_type_id)
            .order_by(Product.name_key, Product.id))
    text = search_text(search).lower()
    if text:
        stmt = stmt.where(or_(Product.name_key.contains(text, autoescape=True),
                              func.lower(Product.short_name).contains(text, autoescape=True),
                              func.lower(ptype.name).contains(text, autoescape=True)))
    return [ProductInfo(p.id, p.name, p.short_name, p.product_type_id, type_name, p.active, p.image_item_id)
            for p, type_name in session.execute(stmt)]
