"""The page registry: one entry per page with its stable url path and who may open it.

Stable url paths (later modules keep them): `/` home, `/products`,
`/product?id=<id>`, `/inventory`, `/orders` (an order: `/orders?order=<id>`; admins
and managers), `/production` (a job: `/production?job=<id>`), `/reports` (a report:
`/reports?report=<name>&range=…`), `/rates` (admins and managers), `/users` (admin), `/settings` (admin).

A page the actor may not open is registered hidden with its `refusal`
sentence instead (ui/router.py), so a deep link says why in one line and
shows no data, never Home or another page.
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
    refusal: str = "Only admins can open this page."  # what a deep link tells people without the right


PAGES: tuple[PageSpec, ...] = (
    PageSpec("home.py", "Home", "🏠", ""),
    PageSpec("products.py", "Products", "💎", "products", Right.VIEW_INVENTORY),
    PageSpec("product.py", "Product details", "🔎", "product", Right.VIEW_INVENTORY, in_menu=False),
    PageSpec("inventory.py", "Inventory", "📦", "inventory", Right.VIEW_INVENTORY),
    PageSpec("orders.py", "Orders", "🧾", "orders", Right.VIEW_ORDERS, refusal="Orders are for admins and managers."),
    PageSpec("production.py", "Production", "🏭", "production", Right.VIEW_PRODUCTION),
    PageSpec("reports.py", "Reports", "📊", "reports", Right.VIEW_INVENTORY),
    PageSpec("rates.py", "Rate Center", "🪙", "rates", Right.VIEW_RATES,
             refusal="The Rate Center is for admins and managers."),
    PageSpec("users.py", "Users", "👥", "users", Right.MANAGE_USERS),
    PageSpec("settings.py", "Settings", "⚙️", "settings", Right.MANAGE_SETTINGS),
)


def pages_for(actor: Actor) -> list[PageSpec]:
    """The pages this actor may open, in menu order."""
    return [page for page in PAGES if page.right is None or actor.can(page.right)]


def closed_to(actor: Actor) -> list[PageSpec]:
    """The pages this actor may not open: their address shows the page's refusal sentence instead."""
    return [page for page in PAGES if page.right is not None and not actor.can(page.right)]


def home_page_path() -> str:
    """The home page's script, for links back to it."""
    return str(PAGES_DIR / PAGES[0].file)
