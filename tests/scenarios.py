"""Small committed workspaces for AppTests and browser tests."""
from __future__ import annotations

from dataclasses import dataclass

from lib import db
from lib.models import Role
from tests import factories as f


@dataclass
class Workshop:
    url: str
    north_id: int
    south_id: int
    product_id: int
    south_only_product_id: int


def two_location_workshop(url: str) -> Workshop:
    """Admin `boss`, manager `nina` and member `mo` in North; member `sam` in South.
    One product with stock in both locations; one product only in South."""
    engine = db.make_engine(url)
    with db.session_scope(engine, write=True) as session:
        f.make_workspace(session, name="Test Workshop")
        north, south = f.make_location(session, "North"), f.make_location(session, "South")
        f.make_user(session, Role.ADMIN, None, username="boss")
        f.make_user(session, Role.MANAGER, north, username="nina")
        f.make_user(session, Role.MEMBER, north, username="mo")
        f.make_user(session, Role.MEMBER, south, username="sam")
        f.make_user(session, Role.MEMBER, south, username="gone", active=False)
        ruby = f.make_product(session, "Ruby", "RUB")
        f.make_item(session, ruby, north, quantity=3, weight="6.0000", unit="ct", tag_id="TRUB0001")
        f.make_item(session, ruby, south, quantity=2, weight="1.0000", unit="g", tag_id="TRUB0002")
        jade = f.make_product(session, "Jade", "JAD")
        f.make_item(session, jade, south, quantity=1, weight="10.0000", unit="g", tag_id="TJAD0001")
        workshop = Workshop(url, north.id, south.id, ruby.id, jade.id)
    engine.dispose()
    return workshop
