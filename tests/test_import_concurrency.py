"""An import running while another admin imports and a manager adjusts stock: every call succeeds or is refused
with a LoupeError (the clear busy message), never a raw database error; nothing is lost or duplicated.

Real threads on a committed database (SQLite or PostgreSQL), each call in its own write transaction as the app
runs it. The import's write transaction is short (bulk writes), so on SQLite the others wait for the write lock
well within the busy timeout; on PostgreSQL the import locks its products and tag sequences in a fixed order.
"""
from __future__ import annotations

import threading
from decimal import Decimal

from sqlalchemy import func, select

from lib import db, ledger
from lib.errors import LoupeError
from lib.inventory import importer, stock
from lib.models import InventoryItem, Role, StockMovement, User
from tests import factories as f

ROWS = 2000


def _sheet(name: str, products: list[str], rows: int, location: str) -> importer.Sheet:
    lines = ["Product,Kind,Quantity,Weight,Weight unit,Location"]
    lines += [f"{products[n % len(products)]},{('Finished', 'Rough')[n % 2]},{n % 5},{n + 1}.5,ct,{location}"
              for n in range(rows)]
    return importer.read_sheet(name, ("\n".join(lines) + "\n").encode())


def test_imports_and_adjustments_at_once_never_fail_with_a_raw_error(fresh_engine):
    with db.session_scope(fresh_engine, write=True) as session:
        f.make_workspace(session, tag_prefix="C")
        north = f.make_location(session, "North")
        admins = [f.make_user(session, Role.ADMIN, north, username=f"admin{n}").id for n in (1, 2)]
        manager = f.make_user(session, Role.MANAGER, north, username="manager").id
        products = [f.make_product(session, f"Stone {n}", f"ST{n}X") for n in range(5)]
        lot = f.make_item(session, products[0], north, quantity=1000, weight="1000.0000", unit="g", tag_id="LOT1")
        names, lot_id = [p.name for p in products], lot.id
    sheets = [_sheet("first.csv", names, ROWS, "North"), _sheet("second.csv", names[2:], 500, "North")]
    errors: list[BaseException] = []
    outcomes: dict[str, object] = {}
    start = threading.Barrier(3, timeout=120)
    imports_done = threading.Event()

    def run_import(index: int) -> None:
        start.wait()
        try:
            with db.session_scope(fresh_engine, write=True) as session:
                actor = f.actor(session, session.get(User, admins[index]))
                outcomes[sheets[index].file_name] = importer.commit(session, actor=actor, sheet=sheets[index])
        except LoupeError as refused:
            outcomes[sheets[index].file_name] = refused
        except BaseException as error:  # a raw error is what this test must never see
            errors.append(error)

    adjustments: list[object] = []

    def adjust_meanwhile() -> None:
        start.wait()
        try:
            while not imports_done.is_set() or len(adjustments) < 3:
                try:
                    with db.session_scope(fresh_engine, write=True) as session:
                        actor = f.actor(session, session.get(User, manager))
                        adjustments.append(stock.adjust(session, actor=actor, item_id=lot_id, quantity_delta=-1,
                                                        weight_delta="-0.5", reason="count during import").id)
                except LoupeError as refused:
                    adjustments.append(refused)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run_import, args=(0,)), threading.Thread(target=run_import, args=(1,))]
    adjuster = threading.Thread(target=adjust_meanwhile)
    for thread in (*threads, adjuster):
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    imports_done.set()
    adjuster.join(timeout=300)

    assert errors == [], [repr(e) for e in errors]
    imported = [result for result in outcomes.values() if isinstance(result, importer.ImportResult)]
    assert len(outcomes) == 2 and len(imported) >= 1
    done = [a for a in adjustments if not isinstance(a, LoupeError)]
    assert len(done) >= 3
    with db.session_scope(fresh_engine) as session:
        tags = session.scalars(select(InventoryItem.tag_id)).all()
        assert len(tags) == len(set(tags)) == 1 + sum(result.added for result in imported)
        lot = session.get(InventoryItem, lot_id)
        assert (lot.quantity, lot.weight) == (1000 - len(done), Decimal("1000") - Decimal("0.5") * len(done))
        assert session.scalar(select(func.count()).where(StockMovement.item_id == lot_id)) == 1 + len(done)
        assert ledger.verify(session) == []
