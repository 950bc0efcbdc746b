"""Migration 0009 on the configured database: shipments recorded per line before it get their item rows (each
line's shipped amounts fill its selections in id order), so a shipped selection stays unremovable; the round
trip down to the revision before it and up again keeps them."""
from __future__ import annotations

from alembic import command
from sqlalchemy import select, text

from lib import db
from lib.access import actor_for_user
from lib.models import OrderKind, OrderLine, PartyKind, Role
from lib.orders import orders, parties, selection, shipments
from lib.orders.orders import LineInput, OrderInput
from tests import factories as f


def _items(engine) -> list[tuple]:
    with engine.connect() as connection:
        return [(int(sel), int(line), int(quantity), f"{float(weight):.4f}", unit) for sel, line, quantity, weight, unit
                in connection.execute(text("SELECT selection_id, line_id, quantity, weight, weight_unit "
                                           "FROM shipment_items ORDER BY shipment_id, selection_id"))]


def test_0009_gives_shipments_recorded_per_line_their_items(databases):
    url = databases.new("migrate-0009")
    engine = db.make_engine(url)
    with db.session_scope(engine, write=True) as session:
        f.make_workspace(session, tag_prefix="M")
        bench = f.make_location(session, "Bench")
        admin = actor_for_user(session, f.make_user(session, Role.ADMIN, None).id)
        gold = f.make_product(session, "Gold", "GLD")
        first = f.make_item(session, gold, bench, quantity=2, weight="3", unit="dwt")
        second = f.make_item(session, gold, bench, quantity=2, weight="5", unit="g")
        buyer = parties.add_party(session, actor=admin, kind=PartyKind.CUSTOMER,
                                  data=parties.PartyInput(company="Buyer"))
        ref = orders.create_order(session, actor=admin, data=OrderInput(
            kind=OrderKind.SALES, party_id=buyer.id, lead_id=admin.user_id,
            lines=[LineInput(product_id=gold.id, quantity=4, weight="9.665", weight_unit="g")]))
        line_id = session.scalar(select(OrderLine.id).where(OrderLine.order_id == ref.id))
        selection.select_items(session, actor=admin, line_id=line_id,
                               picks=[selection.Pick(first.id), selection.Pick(second.id)])
        for pieces in (1, 2):  # 1 piece of the first item, then its other piece and one of the second
            shipments.create_shipment(session, actor=admin, order_id=ref.id, carrier="UPS",
                                      lines=[shipments.ShipLine(line_id, pieces, "0")])
    recorded = _items(engine)
    assert [(quantity, unit) for _sel, _line, quantity, _weight, unit in recorded] == [(1, "dwt"), (1, "dwt"),
                                                                                       (1, "g")]
    config = db.alembic_config(url)
    command.downgrade(config, "0009-1")  # the revision before this one
    command.upgrade(config, "head")
    backfilled = _items(engine)
    assert backfilled == recorded
    engine.dispose()
