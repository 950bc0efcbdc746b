"""lib.costing: rate profiles with effective-dated prices, cost components on items, the price sheet and its CLI.

Story (`shop`): a workshop with an admin, a manager and a member of North. The admin keeps "Gold 18K (750)"
(metal, per gram, USD, purity 0.750) at 60.00 from 40 days ago and 65.00 from 10 days ago, "Diamond melee VS"
(gemstone, per carat) at 900.00, "Setting labour" (per piece) at 25.00, "Bench hour" (per hour) at 40.00 and
"Workshop overhead" (10 %). A finished ring in North carries their components.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from sqlalchemy import func, select

from lib import cli, db
from lib.access import Actor
from lib.costing import components, rates, sheets
from lib.costing.components import ComponentInput
from lib.costing.rates import ProfileInput
from lib.enums import ComponentType, RateBasis
from lib.errors import NotFound, PermissionDenied, ValidationFailed
from lib.models import AuditEntry, CostComponent, RateVersion, Role, utcnow
from lib.units import UNIT_SYMBOLS, to_grams
from tests import factories as f


@dataclass
class Shop:
    admin: Actor
    manager: Actor
    member: Actor
    gold: int
    melee: int
    setting: int
    bench: int
    overhead: int
    ring: int
    south_ring: int


def _profile(session, admin, name, kind, basis, price, *, purity=None, days_ago=0, currency="USD"):
    return rates.add_profile(session, actor=admin, data=ProfileInput(
        name=name, component_type=kind, basis=basis, currency=currency, purity=purity),
        price=price, effective_at=utcnow() - timedelta(days=days_ago)).id


@pytest.fixture
def shop(session) -> Shop:
    f.make_workspace(session)
    north, south = f.make_location(session, "North"), f.make_location(session, "South")
    admin = f.actor(session, f.make_user(session, Role.ADMIN))
    manager = f.actor(session, f.make_user(session, Role.MANAGER, north))
    member = f.actor(session, f.make_user(session, Role.MEMBER, north))
    gold = _profile(session, admin, "Gold 18K (750)", ComponentType.METAL, RateBasis.GRAM, "60.00",
                    purity="0.750", days_ago=40)
    rates.record_price(session, actor=admin, profile_id=gold, price="65.00",
                       effective_at=utcnow() - timedelta(days=10))
    melee = _profile(session, admin, "Diamond melee VS", ComponentType.GEMSTONE, RateBasis.CARAT, "900", days_ago=40)
    setting = _profile(session, admin, "Setting labour", ComponentType.LABOR, RateBasis.PIECE, "25", days_ago=40)
    bench = _profile(session, admin, "Bench hour", ComponentType.LABOR, RateBasis.HOUR, "40", days_ago=40)
    overhead = _profile(session, admin, "Workshop overhead", ComponentType.OVERHEAD, RateBasis.PERCENT, "10",
                        days_ago=40)
    product = f.make_product(session, "Ring")
    ring = f.make_item(session, product, north, weight="5").id
    south_ring = f.make_item(session, product, south, weight="5").id
    return Shop(admin, manager, member, gold, melee, setting, bench, overhead, ring, south_ring)


# ---------------------------------------------------------------------------
# Rates and versions
# ---------------------------------------------------------------------------

def test_a_value_as_of_last_month_uses_last_months_price(session, shop):
    assert rates.price_as_of(session, shop.gold) == Decimal("65.0000")
    assert rates.price_as_of(session, shop.gold, utcnow() - timedelta(days=30)) == Decimal("60.0000")
    assert rates.price_as_of(session, shop.gold, utcnow() - timedelta(days=50)) is None
    components.add_component(session, actor=shop.admin, item_id=shop.ring,
                             data=ComponentInput(quantity="10", unit="g", profile_id=shop.gold))
    now = components.item_costs(session, actor=shop.admin, item_id=shop.ring)
    month_ago = components.item_costs(session, actor=shop.admin, item_id=shop.ring,
                                      as_of=utcnow() - timedelta(days=30))
    assert now.totals == {"USD": Decimal("650.00")}
    assert month_ago.totals == {"USD": Decimal("600.00")}
    history = rates.price_history(session, actor=shop.manager, profile_id=shop.gold)
    assert [row.price for row in history] == [Decimal("60.0000"), Decimal("65.0000")]


def test_a_new_price_never_overwrites_the_old_one_and_is_audited(session, shop):
    before = session.scalar(select(func.count()).select_from(RateVersion).where(RateVersion.profile_id == shop.gold))
    rates.record_price(session, actor=shop.admin, profile_id=shop.gold, price="70")
    assert session.scalar(select(func.count()).select_from(RateVersion)
                          .where(RateVersion.profile_id == shop.gold)) == before + 1
    assert rates.get_profile(session, actor=shop.manager, profile_id=shop.gold).price == Decimal("70.0000")
    actions = set(session.scalars(select(AuditEntry.action).where(AuditEntry.entity == "rate_profile")))
    assert {"add rate profile", "record rate price"} <= actions


@pytest.mark.parametrize(("price", "moment", "message"), [
    ("-5", None, "cannot be negative"),
    ("0", None, "greater than zero"),
    ("1e30", None, "plain number"),
    ("1000000000000000000000000000000", None, "too large"),
    ("12.12345", None, "at most 4 decimals"),
    ("70", "2099-01-01", "more than a year ahead"),
    ("70", "next tuesday", "ISO date"),
])
def test_bad_prices_are_refused_with_a_clear_message_and_nothing_written(session, shop, price, moment, message):
    count = session.scalar(select(func.count()).select_from(RateVersion))
    with pytest.raises(ValidationFailed, match=message):
        rates.record_price(session, actor=shop.admin, profile_id=shop.gold, price=price, effective_at=moment)
    assert session.scalar(select(func.count()).select_from(RateVersion)) == count


def test_the_same_profile_twice_for_one_moment_is_refused(session, shop):
    moment = utcnow() - timedelta(days=3)
    rates.record_price(session, actor=shop.admin, profile_id=shop.gold, price="66", effective_at=moment)
    with pytest.raises(ValidationFailed, match="already has a price"):
        rates.record_price(session, actor=shop.admin, profile_id=shop.gold, price="67", effective_at=moment)


def test_a_profile_lists_every_problem_at_once(session, shop):
    with pytest.raises(ValidationFailed) as refused:
        rates.add_profile(session, actor=shop.admin, data=ProfileInput(
            name="gold 18k (750)", component_type="metal", basis="furlong", currency="XYZ", purity="2000"),
            price="-1")
    text = " ".join(refused.value.problems)
    for expected in ("already exists", "furlong", "ISO 4217", "Purity", "negative"):
        assert expected in text


def test_a_profile_can_be_renamed_and_deactivated_but_keeps_basis_and_currency(session, shop):
    rates.update_profile(session, actor=shop.admin, profile_id=shop.melee, data=ProfileInput(
        name="Diamond melee VS1", basis="piece", currency="EUR", active=False, notes="from Gem Supply"))
    row = rates.get_profile(session, actor=shop.admin, profile_id=shop.melee)
    assert (row.name, row.basis, row.currency, row.active, row.notes) == (
        "Diamond melee VS1", RateBasis.CARAT, "USD", False, "from Gem Supply")


def test_purity_in_thousandths_reads_as_a_fraction():
    assert rates.parse_purity("750") == Decimal("0.7500")
    assert rates.parse_purity("0.585") == Decimal("0.5850")
    assert rates.parse_purity("") is None


def test_rates_are_for_admins_to_manage_managers_to_read_members_never(session, shop):
    assert rates.list_profiles(session, actor=shop.manager)
    with pytest.raises(PermissionDenied):
        rates.record_price(session, actor=shop.manager, profile_id=shop.gold, price="1")
    with pytest.raises(PermissionDenied):
        rates.add_profile(session, actor=shop.manager, data=ProfileInput(name="X"), price="1")
    for read in (lambda: rates.list_profiles(session, actor=shop.member),
                 lambda: rates.price_history(session, actor=shop.member, profile_id=shop.gold),
                 lambda: components.item_costs(session, actor=shop.member, item_id=shop.ring),
                 lambda: sheets.export_rates(session, actor=shop.member)):
        with pytest.raises(PermissionDenied):
            read()


# ---------------------------------------------------------------------------
# Unit conversions and component costs
# ---------------------------------------------------------------------------

@settings(max_examples=50, deadline=None)
@given(quantity=st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("100000"), places=4),
       unit=st.sampled_from(UNIT_SYMBOLS), price=st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("10000"),
                                                            places=4))
def test_a_weight_costs_the_same_whatever_unit_it_is_typed_in(quantity, unit, price):
    """Any weight unit converts through grams: on a per-gram rate it costs what its grams cost, and on a
    per-carat rate what its carats (grams / 0.2) cost."""
    grams = components.basis_quantity(quantity, unit, RateBasis.GRAM)
    carats = components.basis_quantity(quantity, unit, RateBasis.CARAT)
    assert grams == to_grams(quantity, unit)
    assert abs(carats * Decimal("0.2") - grams) < Decimal("0.0000000002")
    assert components.money(grams * price) == components.money(to_grams(quantity, unit) * price)
    assert abs(components.money(carats * price) - components.money(grams * 5 * price)) <= Decimal("0.01")


def test_count_bases_take_their_own_units_and_refuse_weights():
    assert components.basis_quantity(Decimal(3), "pcs", RateBasis.PIECE) == 3
    assert components.basis_quantity(Decimal("1.5"), "h", RateBasis.HOUR) == Decimal("1.5")
    assert components.basis_quantity(Decimal(90), "min", RateBasis.HOUR) == Decimal("1.5")
    assert components.basis_quantity(Decimal(1), "%", RateBasis.PERCENT) == 1
    assert components.basis_quantity(Decimal(1), "ct", RateBasis.GRAM) == Decimal("0.2")
    assert components.basis_quantity(Decimal(1), "g", RateBasis.CARAT) == 5
    with pytest.raises(ValueError, match="per-piece rate counts pieces"):
        components.basis_quantity(Decimal(3), "g", RateBasis.PIECE)
    with pytest.raises(ValueError, match="hours"):
        components.basis_quantity(Decimal(3), "pcs", RateBasis.HOUR)
    with pytest.raises(ValueError, match="needs a weight"):
        components.basis_quantity(Decimal(3), "pcs", RateBasis.CARAT)


def test_an_items_cost_is_the_sum_of_its_components_and_its_metal_has_a_fine_weight(session, shop):
    add = lambda **kw: components.add_component(session, actor=shop.manager, item_id=shop.ring,  # noqa: E731
                                                data=ComponentInput(**kw))
    add(quantity="10", unit="g", profile_id=shop.gold)             # 10 g × 65 = 650.00
    add(quantity="90", unit="mg", profile_id=shop.melee)           # 0.45 ct × 900 = 405.00
    add(quantity="2", unit="pcs", profile_id=shop.setting)         # 2 × 25 = 50.00
    add(quantity="45", unit="min", profile_id=shop.bench)          # 0.75 h × 40 = 30.00
    add(quantity="1", unit="pcs", component_type="packaging", manual_amount="4.5", description="Ring box")
    add(profile_id=shop.overhead, unit="%")                         # 10 % of 1,139.50 = 113.95
    cost = components.item_costs(session, actor=shop.manager, item_id=shop.ring)
    assert [line.cost for line in cost.lines] == [Decimal(v) for v in
                                                  ("650.00", "405.00", "50.00", "30.00", "4.50", "113.95")]
    assert cost.totals == {"USD": Decimal("1253.45")}
    assert cost.metal_grams == Decimal(10) and cost.fine_grams == Decimal("7.5")
    assert cost.total_text == "USD 1,253.45"


def test_grams_on_a_per_piece_rate_are_refused_and_nothing_is_written(session, shop):
    with pytest.raises(ValidationFailed, match="per-piece rate counts pieces"):
        components.add_component(session, actor=shop.admin, item_id=shop.ring,
                                 data=ComponentInput(quantity="3", unit="g", profile_id=shop.setting))
    for quantity in ("-1", "0", "1e30"):
        with pytest.raises(ValidationFailed):
            components.add_component(session, actor=shop.admin, item_id=shop.ring,
                                     data=ComponentInput(quantity=quantity, unit="g", profile_id=shop.gold))
    assert session.scalar(select(func.count()).select_from(CostComponent)) == 0


def test_components_are_edited_and_removed_with_an_audit_trail(session, shop):
    made = components.add_component(session, actor=shop.admin, item_id=shop.ring,
                                    data=ComponentInput(quantity="2", unit="g", profile_id=shop.gold))
    components.update_component(session, actor=shop.admin, component_id=made.id,
                                data=ComponentInput(quantity="3", unit="g", profile_id=shop.gold))
    assert components.item_costs(session, actor=shop.admin, item_id=shop.ring).totals == {"USD": Decimal("195.00")}
    components.remove_component(session, actor=shop.admin, component_id=made.id)
    assert components.item_costs(session, actor=shop.admin, item_id=shop.ring).lines == ()
    actions = list(session.scalars(select(AuditEntry.action).where(
        AuditEntry.entity == "inventory_item", AuditEntry.entity_id == str(shop.ring)).order_by(AuditEntry.id)))
    assert actions[-3:] == ["add cost component", "change cost component", "remove cost component"]


def test_members_and_other_locations_never_reach_a_component(session, shop):
    with pytest.raises(PermissionDenied):
        components.add_component(session, actor=shop.member, item_id=shop.ring,
                                 data=ComponentInput(quantity="1", unit="g", profile_id=shop.gold))
    with pytest.raises(NotFound):
        components.item_costs(session, actor=shop.manager, item_id=shop.south_ring)
    south = components.add_component(session, actor=shop.admin, item_id=shop.south_ring,
                                     data=ComponentInput(quantity="1", unit="g", profile_id=shop.gold))
    with pytest.raises(NotFound):
        components.remove_component(session, actor=shop.manager, component_id=south.id)


# ---------------------------------------------------------------------------
# Price sheets
# ---------------------------------------------------------------------------

def _csv(rows, header=sheets.COLUMNS) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode()


def test_a_bad_sheet_lists_every_problem_and_writes_nothing(session, shop):
    tomorrow = (utcnow() + timedelta(days=1)).strftime("%Y-%m-%d 08:00")
    far = (utcnow() + timedelta(days=400)).strftime("%Y-%m-%d")
    data = _csv([
        ["Gold 18K (750)", "metal", "66.10", "USD", "g", tomorrow],          # fine on its own
        ["Gold 24K", "metal", "80", "USD", "g", tomorrow],                  # unknown profile
        ["Diamond melee VS", "gemstone", "-3", "USD", "ct", tomorrow],       # negative
        ["Setting labour", "labor", "1e30", "USD", "piece", tomorrow],       # not a plain number
        ["Bench hour", "labor", "41", "XYZ", "hour", tomorrow],              # unknown currency
        ["Workshop overhead", "overhead", "11", "USD", "percent", far],      # too far ahead
        ["gold 18k (750)", "metal", "67", "USD", "g", tomorrow],             # same profile, same moment
        ["Diamond melee VS", "gemstone", "950", "USD", "g", tomorrow],       # wrong basis
    ])
    versions = session.scalar(select(func.count()).select_from(RateVersion))
    with pytest.raises(ValidationFailed) as refused:
        sheets.import_price_sheet(session, actor=shop.admin, file_name="morning.csv", data=data)
    problems = refused.value.problems
    assert list(dict.fromkeys(p.split(":")[0] for p in problems)) == [f"Row {n}" for n in (3, 4, 5, 6, 7, 8, 9)]
    for row, words in ((3, "Gold 24K"), (4, "negative"), (5, "plain number"), (6, "ISO 4217"),
                       (7, "year ahead"), (8, "row 2"), (9, "basis g")):
        assert words in " ".join(p for p in problems if p.startswith(f"Row {row}:")), row
    assert session.scalar(select(func.count()).select_from(RateVersion)) == versions


def test_a_good_sheet_records_new_prices_and_an_untouched_one_writes_nothing(session, shop):
    moment = (utcnow() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    data = _csv([["Gold 18K (750)", "metal", "66.10", "usd", "per gram", moment],
                 ["Setting labour", "", "26", "", "", ""]], header=["Profile", "Component type", "Price",
                                                                  "Currency", "Basis", "Effective at"])
    assert sheets.import_price_sheet(session, actor=shop.admin, file_name="m.csv", data=data).recorded == 2
    assert rates.price_as_of(session, shop.setting) == Decimal("26.0000")
    again = _csv([["Gold 18K (750)", "metal", "66.10", "USD", "g", moment]])
    result = sheets.import_price_sheet(session, actor=shop.admin, file_name="m.csv", data=again)
    assert (result.recorded, result.unchanged) == (0, 1)
    with pytest.raises(PermissionDenied):
        sheets.import_price_sheet(session, actor=shop.manager, file_name="m.csv", data=again)


def test_an_xlsx_sheet_with_typed_cells_imports(session, shop):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(sheets.COLUMNS))
    sheet.append(["Diamond melee VS", "gemstone", 910.5, "USD", "ct", (utcnow() - timedelta(days=1)).replace(
        tzinfo=None, microsecond=0)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert sheets.import_price_sheet(session, actor=shop.admin, file_name="m.xlsx",
                                     data=buffer.getvalue()).recorded == 1
    assert rates.price_as_of(session, shop.melee) == Decimal("910.5000")


def test_cli_export_edited_and_imported_back_is_a_new_days_prices(fresh_url, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LOUPE_DATABASE_URL", fresh_url)
    monkeypatch.setenv("LOUPE_DATA_DIR", str(tmp_path))
    engine = db.make_engine(fresh_url)
    with db.session_scope(engine, write=True) as session:
        admin = f.actor(session, f.make_user(session, Role.ADMIN, username="boss"))
        f.make_user(session, Role.MEMBER, f.make_location(session, "North"), username="mo")
        gold = _profile(session, admin, "Gold 18K (750)", ComponentType.METAL, RateBasis.GRAM, "60",
                        purity="0.75", days_ago=2)
        _profile(session, admin, "Setting labour", ComponentType.LABOR, RateBasis.PIECE, "25", days_ago=2)
    out = tmp_path / "rates.csv"
    assert cli.main(["rates", "export", "--format", "csv", "--out", str(out)]) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [(r["profile"], r["price"], r["basis"]) for r in rows] == [
        ("Gold 18K (750)", "60.0000", "g"), ("Setting labour", "25.0000", "piece")]
    assert cli.main(["rates", "import", str(out)]) == 0  # untouched: nothing new
    assert "0 new prices recorded, 2 unchanged" in capsys.readouterr().out
    today = (utcnow() - timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M:00")
    for row in rows:
        row["price"], row["effective_at"] = str(Decimal(row["price"]) + 1), today
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=sheets.COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    assert cli.main(["rates", "import", str(out), "--as", "boss"]) == 0
    assert cli.main(["rates", "import", str(out), "--as", "mo"]) == 2  # a member may not
    assert "may not" in capsys.readouterr().err
    with db.session_scope(engine) as session:
        assert rates.price_as_of(session, gold) == Decimal("61.0000")
        assert len(rates.price_history(session, actor=admin, profile_id=gold)) == 2
    xlsx = tmp_path / "rates.xlsx"
    assert cli.main(["rates", "export", "--format", "xlsx", "--out", str(xlsx)]) == 0
    capsys.readouterr()
    assert cli.main(["rates", "import", str(xlsx)]) == 0  # the XLSX export reads back as the same prices
    assert "0 new prices recorded, 2 unchanged" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_bytes(_csv([["Nope", "", "1", "", "", ""], ["Gold 18K (750)", "", "-1", "", "", ""]]))
    assert cli.main(["rates", "import", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "Row 2" in err and "Row 3" in err
    engine.dispose()


def test_an_inactive_rate_is_not_offered_for_new_components_but_old_ones_keep_it(session, shop):
    made = components.add_component(session, actor=shop.admin, item_id=shop.ring,
                                    data=ComponentInput(quantity="2", unit="g", profile_id=shop.gold))
    rates.update_profile(session, actor=shop.admin, profile_id=shop.gold,
                         data=ProfileInput(name="Gold 18K (750)", purity="0.75", active=False))
    with pytest.raises(ValidationFailed, match="inactive"):
        components.add_component(session, actor=shop.admin, item_id=shop.ring,
                                 data=ComponentInput(quantity="1", unit="g", profile_id=shop.gold))
    components.update_component(session, actor=shop.admin, component_id=made.id,
                                data=ComponentInput(quantity="4", unit="g", profile_id=shop.gold))
    assert components.item_costs(session, actor=shop.admin, item_id=shop.ring).totals == {"USD": Decimal("260.00")}


def test_prices_read_with_two_decimals_and_more_only_when_they_have_them():
    assert rates.format_amount(Decimal("1000.0000")) == "1,000.00"
    assert rates.format_amount(Decimal("1.4500")) == "1.45"
    assert rates.format_amount(Decimal("0.1234")) == "0.1234"
    assert rates.format_price(Decimal("65.0000"), "USD", RateBasis.GRAM) == "USD 65.00 per gram"
    assert rates.format_price(Decimal("12.0000"), "USD", RateBasis.PERCENT) == "12 % of the other costs"
    assert rates.format_price(None, "USD", RateBasis.CARAT) == "—"


def test_a_price_recorded_by_someone_else_meanwhile_is_refused_and_the_transaction_goes_on(session, shop):
    """The unique rule (one price per profile and moment) is the last word when two admins save at once."""
    moment = utcnow().replace(microsecond=0) - timedelta(days=1)
    session.add(RateVersion(profile_id=shop.gold, price=Decimal(70), effective_at=moment))
    session.flush()
    with pytest.raises(ValidationFailed, match="by someone else"):
        rates.insert_or_refuse(session, [RateVersion(profile_id=shop.gold, price=Decimal(71), effective_at=moment)],
                               "Gold was just given a price for that moment by someone else.")
    assert rates.price_as_of(session, shop.gold, moment) == Decimal(70)
