"""Exact KPI and chart values of the Product Details page on a hand-built ledger.

The story (weights in brackets are grams; the workspace unit is grams):

Ruby, workshop in North and South. Today is the day of the transfer.
- A  North, finished, Faceted/Round/S1/Red, 50 ct (10) x5 received 40 days ago;
     adjusted -5 ct (-1) 10 days ago; 1 piece (10 ct = -2) issued 3 days ago.  Now 35 ct (7) x4.
- B  North, finished, Faceted/Oval/S2/Blue, 4 g x2 received 20 days ago; moved to South today
     (transfer-out -4 at North, transfer-in +4 at South).                      Now 4 g x2 in South.
- C  South, rough, Round, 20 g received 100 days ago; +2.5 g adjustment 5 days ago;
     note "from the old stock".                                                Now 22.5 g x1.
- D  North, materials, Packaging, 3 g x10 received yesterday and issued in full yesterday. Consumed.
- E  North, finished, Round/Red, 5 ct (1) received 60 days ago, then archived.   Not counted.
Jade, another product, 100 g in North today: never part of Ruby's numbers.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from lib import ledger
from lib.inventory import query
from lib.inventory.export import export_items
from lib.inventory.query import ItemFilters, Page
from lib.models import CatalogKind, InventoryKind, ItemStatus, MovementKind, Role
from lib.products.details import kpis, monday, series_is_empty, table_filters, thirty_day_change, weight_series, window
from tests import factories as f

D = Decimal


@dataclass
class Story:
    today: date
    product_id: int
    jade_id: int
    north_id: int
    south_id: int
    ids: dict[str, int]  # catalog names -> ids
    items: dict[str, int]
    admin: object
    manager: object
    member_north: object
    member_south: object


def _at(today: date, days_ago: int) -> datetime:
    return datetime.combine(today - timedelta(days=days_ago), time(12, 0), tzinfo=timezone.utc)


@pytest.fixture
def story(session) -> Story:
    f.make_workspace(session, default_weight_unit="g")
    north, south = f.make_location(session), f.make_location(session)
    admin = f.make_user(session, Role.ADMIN)
    manager = f.make_user(session, Role.MANAGER, north)
    member_north = f.make_user(session, Role.MEMBER, north)
    member_south = f.make_user(session, Role.MEMBER, south)
    C = CatalogKind
    ids = {
        "Faceted": f.make_catalog(session, C.FINISHED_TYPE).id, "Packaging": f.make_catalog(session, C.MS_TYPE).id,
        "Round": f.make_catalog(session, C.SHAPE).id, "Oval": f.make_catalog(session, C.SHAPE).id,
        "S1": f.make_catalog(session, C.SIZE).id, "S2": f.make_catalog(session, C.SIZE).id,
        "Red": f.make_catalog(session, C.COLOUR).id, "Blue": f.make_catalog(session, C.COLOUR).id,
    }
    today = datetime.now(timezone.utc).date()
    ruby, jade = f.make_product(session), f.make_product(session)
    uid = admin.id
    a = f.make_item(session, ruby, north, quantity=5, weight="50", unit="ct", kind=InventoryKind.FINISHED,
                    moved_at=_at(today, 40), finished_type_id=ids["Faceted"], shape_id=ids["Round"],
                    size_id=ids["S1"], colour_id=ids["Red"])
    ledger.apply_change(session, item_id=a.id, user_id=uid, movement_kind=MovementKind.ADJUSTMENT,
                        weight_delta=D("-5"), moved_at=_at(today, 10))
    ledger.apply_change(session, item_id=a.id, user_id=uid, movement_kind=MovementKind.ISSUE, quantity_delta=-1,
                        weight_delta=D("-10"), moved_at=_at(today, 3))
    b = f.make_item(session, ruby, north, quantity=2, weight="4", unit="g", kind=InventoryKind.FINISHED,
                    moved_at=_at(today, 20), finished_type_id=ids["Faceted"], shape_id=ids["Oval"],
                    size_id=ids["S2"], colour_id=ids["Blue"])
    c = f.make_item(session, ruby, south, quantity=1, weight="20", unit="g", kind=InventoryKind.ROUGH,
                    moved_at=_at(today, 100), shape_id=ids["Round"])
    c.notes = "from the old stock"
    ledger.apply_change(session, item_id=c.id, user_id=uid, movement_kind=MovementKind.ADJUSTMENT,
                        weight_delta=D("2.5"), moved_at=_at(today, 5))
    d = f.make_item(session, ruby, north, quantity=10, weight="3", unit="g", kind=InventoryKind.MATERIALS,
                    moved_at=_at(today, 1), ms_type_id=ids["Packaging"])
    ledger.apply_change(session, item_id=d.id, user_id=uid, movement_kind=MovementKind.ISSUE, quantity_delta=-10,
                        weight_delta=D("-3"), moved_at=_at(today, 1))
    e = f.make_item(session, ruby, north, quantity=1, weight="5", unit="ct", kind=InventoryKind.FINISHED,
                    moved_at=_at(today, 60), shape_id=ids["Round"], colour_id=ids["Red"])
    e.status = ItemStatus.ARCHIVED
    f.make_item(session, jade, north, quantity=1, weight="100", unit="g", moved_at=_at(today, 0))
    out, into = ledger.move_location(session, item_id=b.id, to_location_id=south.id, user_id=uid)
    session.flush()
    transfer_day = out.moved_at.date()
    assert into.moved_at.date() == transfer_day
    return Story(transfer_day, ruby.id, jade.id, north.id, south.id, ids,
                 {"A": a.id, "B": b.id, "C": c.id, "D": d.id, "E": e.id},
                 f.actor(session, admin), f.actor(session, manager), f.actor(session, member_north),
                 f.actor(session, member_south))


def _kpis(session, story, actor, **filters):
    return kpis(session, actor=actor, product_id=story.product_id, filters=ItemFilters(**filters), today=story.today)


def _figures(k):
    return (k.items, k.pieces, k.total, k.average, k.change.added, k.change.deducted, k.change.net,
            k.change.held_before, k.change.percent)


def test_admin_sees_every_location_and_a_transfer_nets_to_zero(session, story):
    k = _kpis(session, story, story.admin)
    assert k.unit == "g"
    # Counted: A 7 g x4, B 4 g x2, C 22.5 g x1. D is consumed, E archived.
    assert _figures(k) == (3, 7, D("33.5000"), D("11.1667"), D("13.5000"), D("10.0000"), D("3.5000"),
                           D("30.0000"), D("11.7"))


def test_member_sees_only_their_side_of_the_transfer(session, story):
    north = _kpis(session, story, story.member_north)
    # A only; 30 days at North: +4 (B received) +3 (D) ; -1 -2 (A) -4 (B leaves) -3 (D).
    assert _figures(north) == (1, 4, D("7.0000"), D("7.0000"), D("7.0000"), D("10.0000"), D("-3.0000"),
                               D("10.0000"), D("-30.0"))
    south = _kpis(session, story, story.member_south)
    # B and C; 30 days at South: +4 (B arrives) +2.5 (C).
    assert _figures(south) == (2, 3, D("26.5000"), D("13.2500"), D("6.5000"), D("0.0000"), D("6.5000"),
                               D("20.0000"), D("32.5"))
    # The manager of North works like the member of North unless cross-location access is on.
    assert _figures(_kpis(session, story, story.manager)) == _figures(north)


def test_kind_switch(session, story):
    finished = _kpis(session, story, story.admin, kinds=(InventoryKind.FINISHED,))
    assert _figures(finished) == (2, 6, D("11.0000"), D("5.5000"), D("8.0000"), D("7.0000"), D("1.0000"),
                                  D("10.0000"), D("10.0"))
    rough = _kpis(session, story, story.admin, kinds=(InventoryKind.ROUGH,))
    assert _figures(rough) == (1, 1, D("22.5000"), D("22.5000"), D("2.5000"), D("0.0000"), D("2.5000"),
                               D("20.0000"), D("12.5"))
    materials = _kpis(session, story, story.admin, kinds=(InventoryKind.MATERIALS,))
    # Nothing held, and nothing held 30 days ago either: average and percentage are "—".
    assert _figures(materials) == (0, 0, D("0.0000"), None, D("3.0000"), D("3.0000"), D("0.0000"),
                                   D("0.0000"), None)


@pytest.mark.parametrize("name, field, expected", [
    ("Round", "shape_ids", (2, 5, D("29.5000"), D("14.7500"), D("2.5000"), D("3.0000"), D("-0.5000"),
                             D("30.0000"), D("-1.7"))),
    ("Oval", "shape_ids", (1, 2, D("4.0000"), D("4.0000"), D("8.0000"), D("4.0000"), D("4.0000"),
                            D("0.0000"), None)),
    ("S1", "size_ids", (1, 4, D("7.0000"), D("7.0000"), D("0.0000"), D("3.0000"), D("-3.0000"),
                         D("10.0000"), D("-30.0"))),
    ("Blue", "colour_ids", (1, 2, D("4.0000"), D("4.0000"), D("8.0000"), D("4.0000"), D("4.0000"),
                             D("0.0000"), None)),
    ("Faceted", "finished_type_ids", (2, 6, D("11.0000"), D("5.5000"), D("8.0000"), D("7.0000"), D("1.0000"),
                                       D("10.0000"), D("10.0"))),
    ("Packaging", "ms_type_ids", (0, 0, D("0.0000"), None, D("3.0000"), D("3.0000"), D("0.0000"),
                                  D("0.0000"), None)),
])
def test_each_catalog_filter(session, story, name, field, expected):
    assert _figures(_kpis(session, story, story.admin, **{field: (story.ids[name],)})) == expected


def test_location_filter_as_admin_equals_the_member_view(session, story):
    as_admin = _kpis(session, story, story.admin, location_ids=(story.south_id,))
    assert _figures(as_admin) == _figures(_kpis(session, story, story.member_south))
    # A member cannot widen their scope with a filter on a location they do not see.
    sneaky = _kpis(session, story, story.member_north, location_ids=(story.south_id,))
    assert (sneaky.items, sneaky.total, sneaky.change.added, sneaky.change.deducted) == (0, D("0.0000"), 0, 0)


def test_search_by_notes_narrows_kpis_and_ledger(session, story):
    k = _kpis(session, story, story.admin, search="OLD stock")
    assert _figures(k) == (1, 1, D("22.5000"), D("22.5000"), D("2.5000"), D("0.0000"), D("2.5000"),
                           D("20.0000"), D("12.5"))


def test_default_unit_carats(session, story):
    f.make_workspace(session, default_weight_unit="ct")
    k = _kpis(session, story, story.admin)
    assert (k.unit, k.total, k.average, k.change.net, k.change.held_before, k.change.percent) == \
        ("ct", D("167.5000"), D("55.8333"), D("17.5000"), D("150.0000"), D("11.7"))



def test_thirty_day_chart_buckets(session, story):
    series = weight_series(session, actor=story.admin, product_id=story.product_id, filters=ItemFilters(),
                           range_key="30d", today=story.today)
    assert len(series) == 30 and series[0].bucket == story.today - timedelta(days=29)
    assert series[-1].bucket == story.today
    assert [b.bucket for b in series] == sorted(b.bucket for b in series)
    got = {(story.today - b.bucket).days: (b.added, b.deducted, b.net) for b in series if b.added or b.deducted}
    assert got == {0: (D("4.0000"), D("4.0000"), D("0.0000")),  # the transfer, both sides
                   1: (D("3.0000"), D("3.0000"), D("0.0000")),
                   3: (D("0.0000"), D("2.0000"), D("-2.0000")),
                   5: (D("2.5000"), D("0.0000"), D("2.5000")),
                   10: (D("0.0000"), D("1.0000"), D("-1.0000")),
                   20: (D("4.0000"), D("0.0000"), D("4.0000"))}
    k = _kpis(session, story, story.admin)
    # The 30-day KPI is exactly the sum of the 30-day chart.
    assert sum(b.net for b in series) == k.change.net
    assert sum(b.added for b in series) == k.change.added


def test_member_chart_shows_one_side_of_the_transfer(session, story):
    series = weight_series(session, actor=story.member_north, product_id=story.product_id, filters=ItemFilters(),
                           range_key="30d", today=story.today)
    assert (series[-1].added, series[-1].deducted) == (D("0.0000"), D("4.0000"))
    south = weight_series(session, actor=story.member_south, product_id=story.product_id, filters=ItemFilters(),
                          range_key="30d", today=story.today)
    assert (south[-1].added, south[-1].deducted) == (D("4.0000"), D("0.0000"))


def test_ninety_days_and_twelve_months(session, story):
    ninety = weight_series(session, actor=story.admin, product_id=story.product_id, filters=ItemFilters(),
                           range_key="90d", today=story.today)
    assert len(ninety) == 90
    got = {(story.today - b.bucket).days: (b.added, b.deducted) for b in ninety if b.added or b.deducted}
    assert got[40] == (D("10.0000"), D("0.0000")) and got[60] == (D("1.0000"), D("0.0000"))
    assert 100 not in got and len(got) == 8

    year = weight_series(session, actor=story.admin, product_id=story.product_id, filters=ItemFilters(),
                         range_key="12m", today=story.today)
    assert len(year) == 52
    assert all(b.bucket.weekday() == 0 for b in year) and year[-1].bucket == monday(story.today)
    expected: dict[date, list[Decimal]] = {}
    for days_ago, delta in [(100, D(20)), (60, D(1)), (40, D(10)), (20, D(4)), (10, D(-1)), (5, D("2.5")),
                            (3, D(-2)), (1, D(3)), (1, D(-3)), (0, D(-4)), (0, D(4))]:
        week = monday(story.today - timedelta(days=days_ago))
        added, deducted = expected.setdefault(week, [D(0), D(0)])
        expected[week] = [added + max(delta, 0), deducted + max(-delta, 0)]
    got_weeks = {b.bucket: [b.added, b.deducted] for b in year if b.added or b.deducted}
    assert got_weeks == expected


def test_chart_filters_and_kind_use_the_movement_columns(session, story):
    oval = weight_series(session, actor=story.admin, product_id=story.product_id,
                         filters=ItemFilters(shape_ids=(story.ids["Oval"],)), range_key="30d", today=story.today)
    assert {(story.today - b.bucket).days: (b.added, b.deducted) for b in oval if b.added or b.deducted} == \
        {0: (D("4.0000"), D("4.0000")), 20: (D("4.0000"), D("0.0000"))}
    rough = weight_series(session, actor=story.admin, product_id=story.product_id,
                          filters=ItemFilters(kinds=(InventoryKind.ROUGH,)), range_key="90d", today=story.today)
    assert {(story.today - b.bucket).days: b.net for b in rough if b.net} == {5: D("2.5000")}


def test_a_product_without_any_stock_is_all_zero(session, story):
    empty = f.make_product(session)
    k = kpis(session, actor=story.admin, product_id=empty.id, filters=ItemFilters(), today=story.today)
    assert _figures(k) == (0, 0, D("0.0000"), None, D("0.0000"), D("0.0000"), D("0.0000"), D("0.0000"), None)
    series = weight_series(session, actor=story.admin, product_id=empty.id, filters=ItemFilters(),
                           range_key="90d", today=story.today)
    assert len(series) == 90 and series_is_empty(series)


def test_an_adjustment_shows_at_once(session, story):
    before = _kpis(session, story, story.admin)
    ledger.apply_change(session, item_id=story.items["C"], user_id=None, movement_kind=MovementKind.ADJUSTMENT,
                        weight_delta=D("-0.5"))
    after = kpis(session, actor=story.admin, product_id=story.product_id, filters=ItemFilters())
    assert after.total == before.total - D("0.5") and after.change.net == before.change.net - D("0.5")


def test_thirty_day_change_alone_matches_kpis(session, story):
    change = thirty_day_change(session, actor=story.member_south, product_id=story.product_id,
                               filters=ItemFilters(), today=story.today)
    assert change == _kpis(session, story, story.member_south).change


def test_unknown_range_is_refused():
    with pytest.raises(ValueError):
        window("7y", date(2025, 1, 1))


@pytest.mark.parametrize("filters", [
    ItemFilters(),
    ItemFilters(kinds=(InventoryKind.FINISHED,)),
    ItemFilters(search="old"),
])
@pytest.mark.parametrize("who", ["admin", "member_north", "member_south"])
def test_export_equals_the_filtered_table(session, story, filters, who, tmp_path):
    actor = getattr(story, who)
    table_filters = filters.with_(product_ids=(story.product_id,), in_stock_only=True)
    rows = query.page_rows(session, actor=actor, filters=table_filters, page=Page(size=1000, sort="tag_id",
                                                                                  descending=False))
    k = _kpis(session, story, actor, **{"kinds": filters.kinds, "search": filters.search})
    assert len(rows) == k.items
    exported = export_items(session, actor=actor, filters=table_filters, fmt="csv", unit="g")
    with open(exported.path, newline="", encoding="utf-8") as handle:
        lines = list(csv.reader(handle))
    exported.path.unlink()
    assert [line[0] for line in lines[1:]] == [row["tag_id"] for row in rows]
    assert sum(D(line[12]) for line in lines[1:]) == k.total
    xlsx = export_items(session, actor=actor, filters=table_filters, fmt="xlsx", unit="g")
    sheet = load_workbook(xlsx.path, read_only=True).active
    tags = [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)]
    xlsx.path.unlink()
    assert tags == [row["tag_id"] for row in rows]


@pytest.mark.parametrize("descending", [True, False])
@pytest.mark.parametrize("who", ["admin", "member_north"])
def test_the_table_is_the_same_on_either_sqlite_access_path(session, story, descending, who):
    actor = getattr(story, who)
    filters = table_filters(story.product_id, ItemFilters(), held_only=False)
    pages = [Page(number, 2, "created_at", descending) for number in (1, 2, 3, 4)]
    expected = [[row["id"] for row in query.page_rows(session, actor=actor, filters=filters, page=page)]
                for page in pages]
    assert sum(len(ids) for ids in expected) == (5 if who == "admin" else 3)
    # A huge expected count makes walking the created-at index the cheaper plan on SQLite.
    assert query._walks_newest_first(session, filters, pages[0], 10**6) == (
        session.get_bind().dialect.name == "sqlite")
    walked = [[row["id"] for row in query.page_rows(session, actor=actor, filters=filters, page=page,
                                                     expected_rows=10**6)] for page in pages]
    assert walked == expected
    rows = query.page_rows(session, actor=actor, filters=filters, page=pages[0], expected_rows=10**6)
    assert set(rows[0]) >= {"tag_id", "thumbnail", "location", "shape", "weight_g"}
    # A small expected count keeps the ordinary plan.
    assert not query._walks_newest_first(session, filters, pages[0], 2)


def test_series_with_a_search_filter_takes_the_grouped_form(session, story):
    series = weight_series(session, actor=story.admin, product_id=story.product_id,
                           filters=ItemFilters(search="old stock"), range_key="12m", today=story.today)
    got = {b.bucket: (b.added, b.deducted) for b in series if b.added or b.deducted}
    assert got == {monday(story.today - timedelta(days=100)): (D("20.0000"), D("0.0000")),
                   monday(story.today - timedelta(days=5)): (D("2.5000"), D("0.0000"))}
