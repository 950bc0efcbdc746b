"""Who may see and do what: the Actor and the one scoping filter (DESIGN rule 7).

Every lib read takes an Actor and builds its query on `scope_items` /
`scope_movements`; every write calls `actor.require(...)` first.

Decisions where the reference is silent (section 5, Q28-Q33):
- Members view, add and adjust inventory in their own location; they never
  archive, transfer or delete (reference 3.6.1 lets them add and edit production,
  not delete). Inventory import is admin-only, as the reference states.
- Managers: inventory and production in full within their scope; orders view-only
  without customer details; no users or settings. They read the Rate Center and
  see and change the cost components of items in their scope, but do not manage
  rate profiles or prices (reference 3.4). Members never see a cost or a rate.
- Location scoping applies to inventory, the ledger and everything built on them
  (KPIs, charts, exports, AI prompts), and to production jobs (a job belongs
  to the location of its source stock). A manager or member with no assigned
  location sees no stock and no jobs at all rather than everybody's.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from lib.errors import NotFound, PermissionDenied
from lib.models import InventoryItem, Location, ProductionJob, Role, StockMovement, User, Workspace


class Right(str, enum.Enum):
    VIEW_INVENTORY = "view inventory"
    ADD_INVENTORY = "add inventory"
    EDIT_INVENTORY = "edit inventory"
    ADJUST_INVENTORY = "adjust stock"
    TRANSFER_INVENTORY = "transfer stock between locations"
    ARCHIVE_INVENTORY = "archive inventory"
    IMPORT_INVENTORY = "import inventory"
    MANAGE_PRODUCTS = "manage products and catalogs"
    CHOOSE_PRODUCT_IMAGE = "choose a product image"
    VIEW_ORDERS = "view orders"
    EDIT_ORDERS = "change orders"
    VIEW_CUSTOMER_DETAILS = "see customer details"
    VIEW_PRODUCTION = "view production"
    EDIT_PRODUCTION = "change production jobs"
    DELETE_PRODUCTION = "delete production jobs"
    MANAGE_USERS = "manage users"
    MANAGE_SETTINGS = "change workspace settings"
    GENERATE_AI_SUMMARY = "generate AI summaries"
    VIEW_AI_USAGE = "see AI usage"
    VIEW_RATES = "see rates and costs"
    MANAGE_RATES = "manage rate profiles and prices"
    EDIT_COSTS = "change item cost components"


_MANAGER_RIGHTS = frozenset({
    Right.VIEW_INVENTORY, Right.ADD_INVENTORY, Right.EDIT_INVENTORY, Right.ADJUST_INVENTORY,
    Right.TRANSFER_INVENTORY, Right.ARCHIVE_INVENTORY, Right.CHOOSE_PRODUCT_IMAGE,
    Right.VIEW_ORDERS, Right.VIEW_PRODUCTION, Right.EDIT_PRODUCTION, Right.DELETE_PRODUCTION,
    Right.GENERATE_AI_SUMMARY, Right.VIEW_RATES, Right.EDIT_COSTS,
})
_MEMBER_RIGHTS = frozenset({
    Right.VIEW_INVENTORY, Right.ADD_INVENTORY, Right.ADJUST_INVENTORY,
    Right.VIEW_PRODUCTION, Right.EDIT_PRODUCTION,
})
ROLE_RIGHTS: dict[Role, frozenset[Right]] = {
    Role.ADMIN: frozenset(Right),
    Role.MANAGER: _MANAGER_RIGHTS,
    Role.MEMBER: _MEMBER_RIGHTS,
}


@dataclass(frozen=True)
class Actor:
    """The signed-in user as every lib call sees them.

    `location_ids` is None when the actor sees every location.
    """

    user_id: int
    username: str
    name: str
    role: Role
    home_location_id: int | None
    location_ids: frozenset[int] | None

    @property
    def sees_all_locations(self) -> bool:
        return self.location_ids is None

    def can(self, right: Right) -> bool:
        return right in ROLE_RIGHTS[self.role]

    def require(self, right: Right) -> None:
        """Raise PermissionDenied unless the actor's role has `right`."""
        if not self.can(right):
            raise PermissionDenied(f"Your role ({self.role.label}) may not {right.value}.")

    def can_see_location(self, location_id: int | None) -> bool:
        return self.location_ids is None or location_id in self.location_ids

    def require_location(self, location_id: int | None) -> None:
        """Raise PermissionDenied unless `location_id` is inside the actor's scope."""
        if not self.can_see_location(location_id):
            raise PermissionDenied("That location is outside the locations you work with.")

    @property
    def scope_key(self) -> str:
        """A stable text naming the scope: "all" or sorted location ids."""
        if self.location_ids is None:
            return "all"
        return ",".join(str(i) for i in sorted(self.location_ids)) or "none"


def visible_location_ids(user: User, workspace: Workspace) -> frozenset[int] | None:
    """Which locations `user` sees under the workspace settings (None = all)."""
    if user.role is Role.ADMIN:
        return None
    if (user.role is Role.MANAGER and workspace.managers_all_locations
            and workspace.plan.allows_cross_location_managers):
        return None
    return frozenset({user.location_id}) if user.location_id is not None else frozenset()


def actor_for_user(session: Session, user_id: int) -> Actor:
    """Build the Actor for an active user from the current database state."""
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise PermissionDenied("This account is not active.")
    workspace = session.scalars(select(Workspace)).one()
    return Actor(user_id=user.id, username=user.username, name=user.name, role=user.role,
                 home_location_id=user.location_id,
                 location_ids=visible_location_ids(user, workspace))


def scope_items(stmt: Select, actor: Actor) -> Select:
    """Limit a query over inventory_items to the actor's locations."""
    if actor.location_ids is None:
        return stmt
    return stmt.where(InventoryItem.location_id.in_(sorted(actor.location_ids)))


def scope_movements(stmt: Select, actor: Actor) -> Select:
    """Limit a query over stock_movements to movements at the actor's locations."""
    if actor.location_ids is None:
        return stmt
    return stmt.where(StockMovement.location_id.in_(sorted(actor.location_ids)))


def scope_jobs(stmt: Select, actor: Actor) -> Select:
    """Limit a query over production_jobs to jobs of the actor's locations."""
    if actor.location_ids is None:
        return stmt
    return stmt.where(ProductionJob.location_id.in_(sorted(actor.location_ids)))


def scope_locations(stmt: Select, actor: Actor) -> Select:
    """Limit a query over locations to the actor's locations."""
    if actor.location_ids is None:
        return stmt
    return stmt.where(Location.id.in_(sorted(actor.location_ids)))


def visible_locations(session: Session, *, actor: Actor) -> list[Location]:
    """Active locations the actor works with, by name."""
    stmt = scope_locations(select(Location).where(Location.active.is_(True)).order_by(Location.name), actor)
    return list(session.scalars(stmt))


def get_item_in_scope(session: Session, *, actor: Actor, item_id: int) -> InventoryItem:
    """The item if it exists and the actor may see it; NotFound otherwise."""
    item = session.get(InventoryItem, item_id)
    if item is None or not actor.can_see_location(item.location_id):
        raise NotFound("No such inventory item in your locations.")
    return item
