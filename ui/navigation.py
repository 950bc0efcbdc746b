"""The page registry: one entry per page with its stable url path and who may open it.

Stable url paths (later modules keep them): `/` home, `/products`,
`/product?id=<id>`, `/inventory`, `/orders` and `/orders?order=<id>` (admins and
managers), `/users` (admin), `/settings` (admin). `/production` is reserved for
the production module.

A page the actor may not open is not registered, so its address falls back to
Home; a page with a `refusal` sentence is registered hidden instead, so a deep
link shows that sentence (and no data) rather than another page.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from lib.access import Actor, Right

PAGES_DIR = Path(__file__).resolve().parent.parent / "pages"


@dataclass(frozen=True)
class PageSpec:
    file: str
    title: str
    icon: str
    url_path: str  # "" is the home page
    right: Right | None = None  # None: every signed-in user
    in_menu: bool = True
    refusal: str | None = None  # what a deep link tells people without the right (the page itself says it)


ORDERS_REFUSAL = "Orders are for admins and managers."


PAGES: tuple[PageSpec, ...] = (
    PageSpec("home.py", "Home", "🏠", ""),
    PageSpec("products.py", "Products", "💎", "products", Right.VIEW_INVENTORY),
    PageSpec("product.py", "Product details", "🔎", "product", Right.VIEW_INVENTORY, in_menu=False),
    PageSpec("inventory.py", "Inventory", "📦", "inventory", Right.VIEW_INVENTORY),
    PageSpec("orders.py", "Orders", "🧾", "orders", Right.VIEW_ORDERS, refusal=ORDERS_REFUSAL),
    PageSpec("users.py", "Users", "👥", "users", Right.MANAGE_USERS),
    PageSpec("settings.py", "Settings", "⚙️", "settings", Right.MANAGE_SETTINGS),
)


def pages_for(actor: Actor) -> list[PageSpec]:
    """The pages this actor may open, in menu order, plus (out of the menu) those that explain a refusal."""
    found = []
    for page in PAGES:
        if page.right is None or actor.can(page.right):
            found.append(page)
        elif page.refusal:
            found.append(replace(page, in_menu=False))
    return found
