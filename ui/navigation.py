"""The page registry: one entry per page with its stable url path and who may open it.

Stable url paths (later modules keep them): `/` home, `/products`,
`/product?id=<id>`, `/inventory`, `/production` (a job: `/production?job=<id>`),
`/users` (admin), `/settings` (admin). `/orders` is reserved for the orders module.
"""
from __future__ import annotations

from dataclasses import dataclass
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



PAGES: tuple[PageSpec, ...] = (
    PageSpec("home.py", "Home", "🏠", ""),
    PageSpec("products.py", "Products", "💎", "products", Right.VIEW_INVENTORY),
    PageSpec("product.py", "Product details", "🔎", "product", Right.VIEW_INVENTORY, in_menu=False),
    PageSpec("inventory.py", "Inventory", "📦", "inventory", Right.VIEW_INVENTORY),
    PageSpec("production.py", "Production", "🏭", "production", Right.VIEW_PRODUCTION),
    PageSpec("users.py", "Users", "👥", "users", Right.MANAGE_USERS),
    PageSpec("settings.py", "Settings", "⚙️", "settings", Right.MANAGE_SETTINGS),
)


def pages_for(actor: Actor) -> list[PageSpec]:
    """The pages this actor may open, in menu order."""
    return [page for page in PAGES if page.right is None or actor.can(page.right)]


def closed_to(actor: Actor) -> list[PageSpec]:
    """The pages this actor may not open: their address says so (admins only) instead of showing Home."""
    return [page for page in PAGES if page.right is not None and not actor.can(page.right)]


def home_page_path() -> str:
    """The home page's script, for links back to it."""
    return str(PAGES_DIR / PAGES[0].file)
