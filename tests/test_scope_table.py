"""The scope table: every public lib function that takes an Actor, called by a member and a manager of
North with the ids and filters of South.

The functions are found by introspection, so a new one fails `test_every_actor_function_is_in_the_table`
until it has a row here. Each row is one of:

- READ: the call must return nothing from South. Two checks: no South marker (names, tags, notes,
  people) appears anywhere in the result, and the result is exactly the same after more South stock,
  movements and transfers are added (so no South figure hides inside a total, a chart or an option list).
- WRITE: the call names South (an item, a location, a product stocked only there) and must be refused
  with a LoupeError; the app's transaction is then rolled back, as here through a savepoint.
- NOT_LOCATION_DATA: the function reads or writes nothing tied to a location (a right check, the
  actor's own password); the reason is written in the row.

Story: North holds a Ruby item. South ("Southside Vault") holds a Ruby item with a picture (chosen as the
product image), notes, an adjustment by a South person, and the only stock of "Zanzibar Jade". One item
moved from South to North, so its history crosses the border. A South production job (staff: the South
manager, secret notes) issued part of South's Ruby and received output; a North job issued part of North's
Ruby and an admin received its output into South, so that job's output sits across the border.
"""
from __future__ import annotations

import dataclasses
import hashlib
import importlib
import inspect
import io
import pkgutil
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image as PILImage
from sqlalchemy import Select, select
from sqlalchemy.engine import Row

import lib
from lib import access, images, ledger, spreadsheet
from lib.access import Actor
from lib.ai import summaries, usage
from lib.llm import metering
from lib.llm.client import Completion
from lib.config import Settings
from lib.costing import components as cost_components
from lib.production import costs as cost_flow
from lib.costing import prices as cost_prices
from lib.costing import rates as costing_rates
from lib.costing import sheets as costing_sheets
from lib.costing import valuation as costing_valuation
from lib.reports import valuation as report_valuation
from lib.documents import labels as doc_labels
from lib.documents import printed as doc_printed
from lib.documents import scan as doc_scan
from lib.errors import LoupeError
from lib.inventory import export, forms, import_ai, importer, items, overview, query, stock, stock_import
from lib.inventory.query import ItemFilters, Page
from lib.models import (
    Base,
    CatalogKind,
    InventoryKind,
    ItemStatus,
    MovementKind,
    OrderKind,
    PartyKind,
    Plan,
    ProductionJob,
    Role,
)
from lib.models.base import utcnow
from lib.orders import demand, detail, lines, lines_ai, listing, orders, parties, selection, shipments
from lib.orders import receipts as order_receipts
from lib.orders import returns as order_returns
from lib.production import bench, jobs, links, receipts, stages
from lib.production import overview as job_overview
from lib.production.jobs import NewJob, SourceLine
from lib.production.receipts import OutputRow, ReceiptDraft
from lib.products import catalog, catalog_entries, details
from lib.workspace import locations, settings, users
from lib.reports import catalog as report_catalog
from lib.reports import dates as report_dates
from lib.reports import levels as report_levels
from lib.reports import norms as report_norms
from lib.reports import orders as order_reports
from lib.reports import production as production_reports
from lib.reports import stock as stock_reports
from tests import factories as f

MARKERS = ("Southside", "Zanzibar", "SECRET", "secret", "Southerner", "southerner")


def current_day() -> date:
    """Today as the app counts it (UTC), read when a test needs it: a run that passes midnight stays right."""
    return utcnow().date()


def _png(colour) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (8, 8), colour).save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass
class World:
    north: int
    south: int
    vault: int
    ruby: int
    jade: int
    violet: int
    north_item: int
    south_item: int
    jade_item: int
    crossed_item: int
    south_user: int
    admin: Actor
    stage: int
    south_job: int
    north_job: int


@pytest.fixture
def world(session) -> World:
    f.make_workspace(session, name="Scope Workshop", plan=Plan.PROFESSIONAL, managers_all_locations=False)
    north = f.make_location(session, "North")
    south = f.make_location(session, "Southside Vault")
    vault = f.make_location(session, "Southside Annex")
    admin = f.actor(session, f.make_user(session, Role.ADMIN, None, username="scopeboss"))
    southerner = f.make_user(session, Role.MANAGER, south, username="southerner")
    southerner.name = "Sunny Southerner"
    ruby = f.make_product(session, "Ruby", "SRUB")
    jade = f.make_product(session, "Zanzibar Jade", "ZJAD")
    violet = f.make_catalog(session, CatalogKind.COLOUR, "Violet")
    north_item = f.make_item(session, ruby, north, quantity=2, weight="3.0000", tag_id="NRUB0001")
    south_item = f.make_item(session, ruby, south, quantity=5, weight="7.7770", tag_id="SECRETRUB1",
                             colour_id=violet.id, user=southerner)
    south_item.notes = "secret-note about the vault"
    picture = images.store_image(session, checked=images.check_image(_png((10, 200, 10))), user_id=southerner.id)
    south_item.image_id = picture.id
    jade_item = f.make_item(session, jade, south, quantity=1, weight="2.5000", tag_id="SECRETJAD1", user=southerner)
    crossed = f.make_item(session, ruby, south, quantity=1, weight="1.2500", tag_id="CROSS0001", user=southerner)
    ledger.apply_change(session, item_id=south_item.id, user_id=southerner.id,
                        movement_kind=MovementKind.ADJUSTMENT, weight_delta=Decimal("-0.0100"),
                        note="secret-reason for the loss")
    ledger.move_location(session, item_id=crossed.id, to_location_id=north.id, user_id=southerner.id,
                         note="secret-transfer note")
    catalog.choose_image(session, actor=admin, product_id=ruby.id, item_id=south_item.id)
    stage = stages.add_stage(session, actor=admin, name="Cutting", code="CUT")
    south_job = jobs.create_job(session, actor=admin, data=NewJob(
        stage_id=stage.id, sources=(SourceLine(south_item.id, quantity=1, weight="1"),), staff_id=southerner.id,
        notes="secret-job note", deadline=current_day())).job_id
    receipts.receive_job(session, actor=admin, job_id=south_job, draft=ReceiptDraft(
        rows=(OutputRow(product_id=ruby.id, weight="0.5", pieces=1, waste="0.1"),), notes="secret-receipt note"))
    north_job = jobs.create_job(session, actor=admin, data=NewJob(
        stage_id=stage.id, sources=(SourceLine(north_item.id, quantity=1, weight="1"),))).job_id
    receipts.receive_job(session, actor=admin, job_id=north_job, draft=ReceiptDraft(
        rows=(OutputRow(product_id=ruby.id, weight="0.25", pieces=1),), location_id=south.id))
    session.flush()
    return World(north.id, south.id, vault.id, ruby.id, jade.id, violet.id, north_item.id, south_item.id,
                 jade_item.id, crossed.id, southerner.id, admin, stage.id, south_job, north_job)


def _north_actor(session, world: World, role: Role) -> Actor:
    user = f.make_user(session, role, session.get(lib.models.Location, world.north))
    return f.actor(session, user)


def _more_south_activity(session, world: World) -> None:
    """What must not change anything a North viewer reads: new South stock, movements and transfers."""
    ruby, jade = session.get(lib.models.Product, world.ruby), session.get(lib.models.Product, world.jade)
    south = session.get(lib.models.Location, world.south)
    more = f.make_item(session, ruby, south, quantity=3, weight="33.3333", tag_id="SECRETRUB9",
                       colour_id=world.violet, kind=InventoryKind.ROUGH)
    more_jade = f.make_item(session, jade, south, quantity=4, weight="44.4444", tag_id="SECRETJAD9")
    ledger.apply_change(session, item_id=world.south_item, user_id=world.south_user,
                        movement_kind=MovementKind.ADJUSTMENT, weight_delta=Decimal("1.1111"), note="secret more")
    ledger.move_location(session, item_id=more.id, to_location_id=world.vault, user_id=world.south_user)
    receipts.receive_job(session, actor=world.admin, job_id=world.south_job, draft=ReceiptDraft(
        rows=(OutputRow(product_id=world.ruby, weight="0.2", pieces=1),), notes="secret more output"))
    jobs.create_job(session, actor=world.admin, data=NewJob(
        stage_id=world.stage, sources=(SourceLine(more_jade.id, quantity=1, weight="3"),), staff_id=world.south_user,
        notes="secret second job"))
    session.flush()


# ---------------------------------------------------------------------------
# Comparing results
# ---------------------------------------------------------------------------

def plain(value, session):
    """A comparable, printable form of any result (rows, dataclasses, frames, files, ORM objects)."""
    if isinstance(value, Select):
        return plain(session.execute(value).all(), session)
    if isinstance(value, spreadsheet.ExportFile):
        text = value.path.read_text(encoding="utf-8") if value.path.suffix == ".csv" else value.path.read_bytes()
        value.path.unlink(missing_ok=True)
        return plain(text, session)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: plain(getattr(value, field.name), session) for field in dataclasses.fields(value)}
    if isinstance(value, Base):
        return {column.key: plain(getattr(value, column.key), session) for column in value.__table__.columns}
    if isinstance(value, pd.DataFrame):
        return plain(value.to_dict("records"), session)
    if isinstance(value, dict):
        return {str(plain(key, session)): plain(item, session) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset, Row)) or inspect.isgenerator(value):
        return [plain(item, session) for item in value]
    if isinstance(value, Decimal):
        return str(value.normalize())
    if isinstance(value, (bytes, memoryview)):
        return "bytes:" + hashlib.sha1(bytes(value)).hexdigest()
    if isinstance(value, Path):
        return str(value)
    return value if isinstance(value, (int, float, str, bool, type(None))) else repr(value)


# ---------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Read:
    call: object  # (session, actor, world) -> result


@dataclass(frozen=True)
class Write:
    call: object  # (session, actor, world) -> anything; must raise LoupeError


@dataclass(frozen=True)
class NotLocationData:
    reason: str


def south(world: World, **more) -> ItemFilters:
    """Filters that ask for South explicitly (and Ruby)."""
    return ItemFilters(location_ids=(world.south, world.north), product_ids=(world.ruby,), **more)


def settings_with_llm() -> Settings:
    return Settings(database_url="sqlite://", data_dir=Path("."), cookie_secret="x" * 40, cookie_expiry_days=1,
                    openai_api_key="k", openai_base_url="http://127.0.0.1:9", llm_model="m", llm_timeout_seconds=1)


def _without(problems: dict, typed: str) -> dict:
    return {field: message.replace(typed, "<typed tag>") for field, message in problems.items()}


def forged_request(world: World, scope_key: str = "all") -> summaries.SummaryRequest:
    return summaries.SummaryRequest(product_id=world.jade, scope_key=scope_key, kind_key="all", filters_key="{}",
                                    data_version=1, prompt_version="1", facts={"stock": {}}, facts_json="{}",
                                    system="s", user="u", is_refresh=False)


def south_sheet(world: World) -> importer.Sheet:
    return importer.Sheet("south.csv", None, {"product": "Product", "weight": "Weight", "location": "Location"}, (),
                          ((2, {"product": "Ruby", "weight": "1", "location": "Southside Vault"}),))


def south_new_item(world: World) -> forms.NewItem:
    return forms.NewItem(product_id=world.ruby, weight="1", location_id=world.south)


@dataclass
class OrdersWorld:
    sales: int
    purchase: int
    sales_line: int
    purchase_line: int
    selection: int
    customer: int
    supplier: int


def orders_of(session, world: World) -> OrdersWorld:
    """Made once per test (on first use, before any South activity is added): a sales order of a customer
    whose every detail is a marker, with 1 piece of South's SECRETRUB1 selected; a purchase order whose
    supplier is plain (managers see suppliers in full), received into South as SECRETRCV1."""
    if getattr(world, "orders", None) is None:
        admin = world.admin
        customer = parties.add_party(session, actor=admin, kind=PartyKind.CUSTOMER, data=parties.PartyInput(
            company="Southerner Secret Buyer", email="secret@south.example", phone="+1 555 0199",
            address="1 Southside Road"))
        supplier = parties.add_party(session, actor=admin, kind=PartyKind.SUPPLIER,
                                     data=parties.PartyInput(company="Plain Supplier"))
        line = orders.LineInput(product_id=world.ruby, quantity=3, weight="3", weight_unit="g")
        sale = orders.create_order(session, actor=admin, data=orders.OrderInput(
            kind=OrderKind.SALES, party_id=customer.id, lead_id=admin.user_id, notes="secret notes", lines=[line]))
        buy = orders.create_order(session, actor=admin, data=orders.OrderInput(
            kind=OrderKind.PURCHASE, party_id=supplier.id, lead_id=admin.user_id, lines=[line]))
        sales_line = detail.order_detail(session, actor=admin, order_id=sale.id).lines[0].id
        purchase_line = detail.order_detail(session, actor=admin, order_id=buy.id).lines[0].id
        (picked,) = selection.select_items(session, actor=admin, line_id=sales_line, picks=[
            selection.Pick(world.south_item, full=False, quantity=1, weight="1")])
        order_receipts.receive_line(session, actor=admin, line_id=purchase_line, data=order_receipts.ReceiptInput(
            quantity=1, weight="1", location_id=world.south, notes="secret receipt"))
        session.flush()
        world.orders = OrdersWorld(sale.id, buy.id, sales_line, purchase_line, picked, customer.id, supplier.id)
    return world.orders


def report_range():
    """The last 30 days: every movement, job and receipt of the world is in it."""
    return report_dates.preset_range("last-30-days")


def levels_of(session, world: World) -> None:
    """Reorder levels an admin set (once): Ruby everywhere (999 g), Jade at South (99 pieces), Ruby at North."""
    if getattr(world, "levels", None) is None:
        report_levels.set_level(session, actor=world.admin, product_id=world.ruby, min_weight="999")
        report_levels.set_level(session, actor=world.admin, product_id=world.jade, location_id=world.south,
                                min_pieces=99)
        report_levels.set_level(session, actor=world.admin, product_id=world.ruby, location_id=world.north,
                                min_pieces=99)
        world.levels = True


def every_report_export(session, actor, world: World) -> list:
    """Each report the actor may open, exported as CSV (orders made first)."""
    orders_of(session, world)
    levels_of(session, world)
    south_component(session, world)  # South stock with a value, for the valuation
    return [exported_text(report_catalog.export_report(session, actor=actor, name=report.name,
                                                       period=report_range()))
            for report in report_catalog.reports_for(actor)]


def linked_order(session, world: World) -> int:
    """The sales order of `orders_of`, with the North job (whose output an admin received into South) linked to
    its line by an admin: what the order page's production section and the job page read."""
    made = orders_of(session, world)
    if session.get(ProductionJob, world.north_job).order_line_id is None:
        jobs.link_job(session, actor=world.admin, job_id=world.north_job, order_line_id=made.sales_line)
    return made.sales


def timeline_order(session, world: World) -> int:
    """The sales order of `orders_of` with the South job linked to its line by an admin: the order's timeline
    then records "Linked production job <South job>", a job a North viewer may not see."""
    made = orders_of(session, world)
    if session.get(ProductionJob, world.south_job).order_line_id is None:
        jobs.link_job(session, actor=world.admin, job_id=world.south_job, order_line_id=made.sales_line)
    return made.sales


def order_filters(session, world: World) -> listing.OrderFilters:
    """Every order (made first), searched for a letter every customer name, note and tag here contains."""
    orders_of(session, world)
    return listing.OrderFilters(search="r")


def pdf_text(document) -> str:
    """A printed document as the text a reader sees (pypdf), so the comparison reads its words."""
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(document.data)).pages)


def exported_text(exported: spreadsheet.ExportFile) -> str:
    text = exported.path.read_text(encoding="utf-8")
    exported.path.unlink(missing_ok=True)
    return text


def rate_profile(session, world: World) -> int:
    """A gold rate (made once per test by the admin): rates are workspace-wide, so a North viewer may read it."""
    profile = costing_rates.profile_by_name(session, "Scope Gold 18K")
    if profile is None:
        profile = costing_rates.add_profile(session, actor=world.admin, data=costing_rates.ProfileInput(
            name="Scope Gold 18K", purity="0.75"), price="60")
    return profile.id


def south_labour(session, world: World) -> int:
    """A labour component on the South job (made once per test by the admin)."""
    found = session.scalars(select(lib.models.CostComponent.id).where(
        lib.models.CostComponent.job_id == world.south_job)).first()
    if found is None:
        found = cost_flow.add_job_labour(session, actor=world.admin, job_id=world.south_job, data=(
            cost_components.ComponentInput(quantity="1", unit="h", manual_amount="30"))).id
    return found


def south_component(session, world: World) -> int:
    """A cost component on South's SECRETRUB1 (made once per test by the admin)."""
    found = session.scalars(select(lib.models.CostComponent.id).where(
        lib.models.CostComponent.item_id == world.south_item)).first()
    if found is None:
        found = cost_components.add_component(session, actor=world.admin, item_id=world.south_item, data=(
            cost_components.ComponentInput(quantity="1", unit="g", profile_id=rate_profile(session, world)))).id
    return found


PRICE_SHEET = b"profile,price\nScope Gold 18K,61\n"

TABLE = {
    # lib.costing: rates are workspace-wide (admins manage, managers read, members nothing); components follow items
    "lib.costing.rates.list_profiles": Read(lambda s, a, w: (rate_profile(s, w), costing_rates.list_profiles(
        s, actor=a))[1]),
    "lib.costing.rates.get_profile": Read(lambda s, a, w: costing_rates.get_profile(
        s, actor=a, profile_id=rate_profile(s, w))),
    "lib.costing.rates.price_history": Read(lambda s, a, w: [(row.effective_at, row.price) for row in (
        costing_rates.price_history(s, actor=a, profile_id=rate_profile(s, w)))]),
    "lib.costing.rates.add_profile": Write(lambda s, a, w: costing_rates.add_profile(
        s, actor=a, data=costing_rates.ProfileInput(name="Southside rate"), price="1")),
    "lib.costing.rates.update_profile": Write(lambda s, a, w: costing_rates.update_profile(
        s, actor=a, profile_id=rate_profile(s, w), data=costing_rates.ProfileInput(name="Southside rate"))),
    "lib.costing.rates.record_price": Write(lambda s, a, w: costing_rates.record_price(
        s, actor=a, profile_id=rate_profile(s, w), price="1")),
    "lib.costing.sheets.check_price_sheet": Write(lambda s, a, w: (rate_profile(s, w), costing_sheets.check_price_sheet(
        s, actor=a, file_name="m.csv", data=PRICE_SHEET))),
    "lib.costing.sheets.import_price_sheet": Write(lambda s, a, w: (
        rate_profile(s, w), costing_sheets.import_price_sheet(s, actor=a, file_name="m.csv", data=PRICE_SHEET))),
    "lib.costing.sheets.export_rates": Read(lambda s, a, w: (rate_profile(s, w), costing_sheets.export_rates(
        s, actor=a))[1]),
    "lib.costing.valuation.value_held": Read(lambda s, a, w: (south_component(s, w), costing_valuation.value_held(
        s, actor=a, filters=south(w)).values, costing_valuation.value_held(s, actor=a).values)),
    "lib.reports.valuation.valuation": Read(lambda s, a, w: (south_component(s, w), report_valuation.valuation(
        s, actor=a))),
    "lib.costing.components.item_costs": Write(lambda s, a, w: (south_component(s, w), cost_components.item_costs(
        s, actor=a, item_id=w.south_item))),
    "lib.costing.components.add_component": Write(lambda s, a, w: cost_components.add_component(
        s, actor=a, item_id=w.south_item, data=cost_components.ComponentInput(
            quantity="1", unit="g", profile_id=rate_profile(s, w)))),
    "lib.costing.components.update_component": Write(lambda s, a, w: cost_components.update_component(
        s, actor=a, component_id=south_component(s, w), data=cost_components.ComponentInput(
            quantity="2", unit="g", profile_id=rate_profile(s, w)))),
    "lib.costing.components.remove_component": Write(lambda s, a, w: cost_components.remove_component(
        s, actor=a, component_id=south_component(s, w))),
    "lib.production.costs.job_cost": Write(lambda s, a, w: (south_labour(s, w), cost_flow.job_cost(
        s, actor=a, job_id=w.south_job))),
    "lib.production.costs.add_job_labour": Write(lambda s, a, w: cost_flow.add_job_labour(
        s, actor=a, job_id=w.south_job, data=cost_components.ComponentInput(quantity="1", unit="h",
                                                                              manual_amount="5"))),
    "lib.production.costs.remove_job_labour": Write(lambda s, a, w: cost_flow.remove_job_labour(
        s, actor=a, component_id=south_labour(s, w))),
    # Margins are for admins only (who see every location): members and managers are refused outright.
    "lib.costing.prices.line_margins": Write(lambda s, a, w: cost_prices.line_margins(
        s, actor=a, order_id=timeline_order(s, w))),
    # lib.access: the scoping layer itself
    "lib.access.scope_items": Read(lambda s, a, w: access.scope_items(
        select(lib.models.InventoryItem.tag_id, lib.models.InventoryItem.weight_g), a)),
    # Statement builders scope rows; which columns a caller may show is the caller's rule (see items.counterpart).
    "lib.access.scope_movements": Read(lambda s, a, w: access.scope_movements(
        select(lib.models.StockMovement.item_id, lib.models.StockMovement.weight_delta_g), a)),
    "lib.access.scope_locations": Read(lambda s, a, w: access.scope_locations(select(lib.models.Location.name), a)),
    "lib.access.visible_locations": Read(lambda s, a, w: access.visible_locations(s, actor=a)),
    "lib.access.get_item_in_scope": Write(lambda s, a, w: access.get_item_in_scope(s, actor=a, item_id=w.south_item)),
    "lib.access.scope_jobs": Read(lambda s, a, w: access.scope_jobs(
        select(ProductionJob.number, ProductionJob.notes, ProductionJob.staff_id), a)),
    # lib.inventory
    "lib.inventory.query.items_statement": Read(lambda s, a, w: query.items_statement(
        a, south(w), lib.models.InventoryItem.tag_id, lib.models.InventoryItem.notes)),
    "lib.inventory.query.movements_statement": Read(lambda s, a, w: query.movements_statement(
        a, south(w), lib.models.StockMovement.item_id, lib.models.StockMovement.weight_delta_g)),
    "lib.inventory.query.totals": Read(lambda s, a, w: query.totals(s, actor=a, filters=south(w))),
    "lib.inventory.query.page_rows": Read(lambda s, a, w: query.page_rows(
        s, actor=a, filters=south(w), page=Page(size=200), expected_rows=10**6)),
    "lib.inventory.query.iter_rows": Read(lambda s, a, w: query.iter_rows(s, actor=a, filters=south(w))),
    "lib.inventory.items.list_items": Read(lambda s, a, w: items.list_items(
        s, actor=a, filters=south(w, search="secret"), page=Page(size=200))),
    "lib.inventory.items.item_detail": Read(lambda s, a, w: items.item_detail(s, actor=a, item_id=w.crossed_item)),
    "lib.inventory.items.find_by_tag": Write(lambda s, a, w: items.find_by_tag(s, actor=a, tag_id="SECRETRUB1")),
    "lib.inventory.items.can": NotLocationData("answers from the role's rights only"),
    "lib.inventory.items.counterpart": Read(lambda s, a, w: [items.counterpart(a, movement, {w.south: "Southside Vault"})
                                                             for movement in s.scalars(select(lib.models.StockMovement)
                                                             .where(lib.models.StockMovement.item_id == w.crossed_item))]),
    "lib.inventory.overview.stock_overview": Read(lambda s, a, w: overview.stock_overview(s, actor=a)),
    "lib.inventory.overview.recent_activity": Read(lambda s, a, w: overview.recent_activity(s, actor=a, limit=500)),
    "lib.inventory.export.export_items": Read(lambda s, a, w: export.export_items(
        s, actor=a, filters=south(w), fmt="csv", unit="g")),
    "lib.inventory.forms.options": Read(lambda s, a, w: (forms.options(s, actor=a),
                                                         forms.options(s, actor=a, active_only=True))),
    # The typed tag comes back in the message (the user's own input); what must not show is that it exists.
    "lib.inventory.forms.check_new_item": Read(lambda s, a, w: _without(forms.check_new_item(s, a, forms.NewItem(
        product_id=w.ruby, weight="1", location_id=w.south, tag_id="SECRETRUB1"))[1], "SECRETRUB1")),
    "lib.inventory.forms.validate_new_item": Read(lambda s, a, w: _without(forms.validate_new_item(
        s, actor=a, data=forms.NewItem(product_id=w.ruby, weight="1", tag_id="SECRETJAD1")), "SECRETJAD1")),
    "lib.inventory.importer.preview": Write(lambda s, a, w: importer.preview(s, actor=a, sheet=south_sheet(w))),
    "lib.inventory.importer.commit": Write(lambda s, a, w: importer.commit(s, actor=a, sheet=south_sheet(w))),
    "lib.inventory.stock.add_checked": Write(lambda s, a, w: stock.add_checked(
        s, actor=a, clean=forms.check_new_item(s, w.admin, south_new_item(w))[0], image_id=None,
        movement_kind=MovementKind.RECEIPT, reference="")),
    "lib.inventory.stock.add_item": Write(lambda s, a, w: stock.add_item(s, actor=a, data=south_new_item(w))),
    "lib.inventory.stock_import.import_rows": Write(lambda s, a, w: stock_import.import_rows(s, actor=a, rows=[stock_import.ImportRow(
        clean=forms.check_new_item(s, w.admin, south_new_item(w))[0], reference="x")])),
    "lib.inventory.importer.template": Write(lambda s, a, w: importer.template(s, actor=a, fmt="xlsx")),
    "lib.inventory.stock.receive": Write(lambda s, a, w: stock.receive(
        s, actor=a, right=access.Right.EDIT_PRODUCTION, data=south_new_item(w),
        movement_kind=MovementKind.PRODUCTION_RECEIPT, reference="JOB-1", derived_from_item_id=w.south_item)),
    "lib.inventory.stock.edit_attributes": Write(lambda s, a, w: stock.edit_attributes(
        s, actor=a, item_id=w.south_item, changes={"notes": "mine now"})),
    "lib.inventory.stock.adjust": Write(lambda s, a, w: stock.adjust(
        s, actor=a, item_id=w.south_item, weight_delta="-1", reason="test")),
    "lib.inventory.stock.transfer": Write(lambda s, a, w: stock.transfer(
        s, actor=a, item_id=w.north_item, to_location_id=w.south)),
    "lib.inventory.stock.set_status": Write(lambda s, a, w: stock.set_status(
        s, actor=a, item_id=w.south_item, status=ItemStatus.ON_HOLD)),
    "lib.inventory.stock.archive": Write(lambda s, a, w: stock.archive(
        s, actor=a, item_id=w.south_item, reason="test")),
    "lib.inventory.stock.restore": Write(lambda s, a, w: stock.restore(s, actor=a, item_id=w.south_item)),
    "lib.inventory.stock.set_photo": Write(lambda s, a, w: stock.set_photo(
        s, actor=a, item_id=w.south_item, image=_png((1, 2, 3)))),
    "lib.inventory.stock.issue": Write(lambda s, a, w: stock.issue(
        s, actor=a, right=access.Right.EDIT_PRODUCTION, item_id=w.south_item, reference="JOB-1")),
    "lib.inventory.stock.return_issued": Write(lambda s, a, w: stock.return_issued(
        s, actor=a, right=access.Right.EDIT_PRODUCTION, item_id=w.south_item, reference="JOB-1", quantity=1)),
    "lib.inventory.stock.give_back": Write(lambda s, a, w: stock.give_back(
        s, actor=a, right=access.Right.EDIT_PRODUCTION, item_id=w.south_item, location_id=w.south, reference="JOB-1",
        quantity=1, weight=Decimal("0.1"))),
    # lib.products
    "lib.products.catalog.sees_every_product": NotLocationData("answers from the role's rights only"),
    "lib.products.catalog.get_product_in_scope": Write(lambda s, a, w: catalog.get_product_in_scope(
        s, actor=a, product_id=w.jade)),
    "lib.products.catalog.list_products": Read(lambda s, a, w: catalog.list_products(s, actor=a)),
    "lib.products.catalog.add_product": Write(lambda s, a, w: catalog.add_product(
        s, actor=a, name="Mine", short_name="MINE")),
    "lib.products.catalog.update_product": Write(lambda s, a, w: catalog.update_product(
        s, actor=a, product_id=w.jade, name="Renamed", short_name="ZJAD")),
    "lib.products.catalog.gallery_images": Read(lambda s, a, w: catalog.gallery_images(s, actor=a, product_id=w.ruby)),
    "lib.products.catalog.choose_image": Write(lambda s, a, w: catalog.choose_image(
        s, actor=a, product_id=w.ruby, item_id=w.south_item)),
    "lib.products.catalog.product_thumbnails": Read(lambda s, a, w: catalog.product_thumbnails(
        s, actor=a, product_ids=[w.ruby, w.jade], newest={w.ruby: w.south_item, w.jade: w.jade_item})),
    "lib.products.catalog.product_image": Read(lambda s, a, w: catalog.product_image(s, actor=a, product_id=w.ruby)),
    "lib.products.catalog.admin_products": Write(lambda s, a, w: catalog.admin_products(s, actor=a)),
    "lib.products.catalog_entries.add_entry": Write(lambda s, a, w: catalog_entries.add_entry(
        s, actor=a, catalog=CatalogKind.SHAPE, name="Mine")),
    "lib.products.catalog_entries.update_entry": Write(lambda s, a, w: catalog_entries.update_entry(
        s, actor=a, entry_id=w.violet, name="Purple")),
    "lib.products.catalog_entries.set_active": Write(lambda s, a, w: catalog_entries.set_active(
        s, actor=a, entry_id=w.violet, active=False)),
    "lib.products.catalog_entries.product_filter_options": Read(lambda s, a, w: (
        catalog_entries.product_filter_options(s, actor=a, product_id=w.ruby),
        catalog_entries.product_filter_options(s, actor=a, product_id=w.ruby, filters=south(w)))),
    "lib.products.details.flow": Read(lambda s, a, w: details.flow(
        s, actor=a, product_id=w.ruby, filters=south(w), today=current_day(), days=90)),
    "lib.products.details.thirty_day_change": Read(lambda s, a, w: details.thirty_day_change(
        s, actor=a, product_id=w.ruby, filters=south(w), today=current_day())),
    "lib.products.details.kpis": Read(lambda s, a, w: details.kpis(
        s, actor=a, product_id=w.ruby, filters=south(w), today=current_day())),
    "lib.products.details.overview": Read(lambda s, a, w: [details.overview(
        s, actor=a, product_id=w.ruby, filters=south(w), range_key=key, today=current_day()) for key in details.RANGES]),
    "lib.products.details.weight_series": Read(lambda s, a, w: [details.weight_series(
        s, actor=a, product_id=w.ruby, filters=south(w), range_key=key, today=current_day()) for key in details.RANGES]),
    # lib.production: stages are admin-only; jobs belong to their location
    "lib.production.stages.add_stage": Write(lambda s, a, w: stages.add_stage(s, actor=a, name="Mine", code="MINE")),
    "lib.production.stages.update_stage": Write(lambda s, a, w: stages.update_stage(
        s, actor=a, stage_id=w.stage, name="Renamed", code="CUT")),
    "lib.production.stages.restore_preset_stages": Write(lambda s, a, w: stages.restore_preset_stages(s, actor=a)),
    "lib.production.job_plan.get_job_in_scope": Write(lambda s, a, w: jobs.get_job_in_scope(s, actor=a, job_id=w.south_job)),
    "lib.production.job_plan.lock_job": Write(lambda s, a, w: jobs.lock_job(s, actor=a, job_id=w.south_job)),
    "lib.production.job_plan.staff_options": Read(lambda s, a, w: (jobs.staff_options(s, actor=a, location_id=w.south),
                                                               jobs.staff_options(s, actor=a, location_id=w.north))),
    "lib.production.job_plan.source_candidates": Read(lambda s, a, w: (
        jobs.source_candidates(s, actor=a, location_id=w.south),
        jobs.source_candidates(s, actor=a, location_id=w.north, product_ids=(w.ruby, w.jade)))),
    "lib.production.job_plan.check_job": Read(lambda s, a, w: jobs.check_job(s, actor=a, data=NewJob(
        stage_id=w.stage, sources=(SourceLine(w.south_item),), location_id=w.south, staff_id=w.south_user))),
    "lib.production.jobs.create_job": Write(lambda s, a, w: jobs.create_job(s, actor=a, data=NewJob(
        stage_id=w.stage, sources=(SourceLine(w.south_item, quantity=1, weight="1"),)))),
    "lib.production.jobs.issue_to_job": Write(lambda s, a, w: jobs.issue_to_job(
        s, actor=a, job_id=w.south_job, sources=(SourceLine(w.north_item, quantity=1, weight="1"),))),
    "lib.production.jobs.edit_job": Write(lambda s, a, w: jobs.edit_job(
        s, actor=a, job_id=w.south_job, staff_id=None, deadline=None, notes="mine")),
    "lib.production.jobs.close_job": Write(lambda s, a, w: jobs.close_job(s, actor=a, job_id=w.south_job, reason="x")),
    "lib.production.jobs.cancel_job": Write(lambda s, a, w: jobs.cancel_job(s, actor=a, job_id=w.south_job, reason="x")),
    "lib.production.jobs.delete_job": Write(lambda s, a, w: jobs.delete_job(s, actor=a, job_id=w.south_job)),
    "lib.production.bench.returnable": Write(lambda s, a, w: bench.returnable(s, actor=a, job_id=w.south_job)),
    "lib.production.bench.return_stock": Write(lambda s, a, w: bench.return_stock(
        s, actor=a, job_id=w.south_job, issue_id=1, weight="0.1")),
    "lib.production.jobs.link_job": Write(lambda s, a, w: jobs.link_job(
        s, actor=a, job_id=w.south_job, order_line_id=orders_of(s, w).sales_line)),
    "lib.production.links.can_link": NotLocationData("answers from the role's rights only"),
    "lib.production.links.require_link_rights": NotLocationData("checks the role's rights only"),
    "lib.production.links.check_line": NotLocationData("checks an order line (orders are workspace-wide) against "
                                                       "the products it is given"),
    "lib.production.links.order_choices": Read(lambda s, a, w: links.order_choices(s, actor=a)
                                               if linked_order(s, w) else None),
    "lib.production.links.job_link": Read(lambda s, a, w: links.job_link(
        s, actor=a, job=s.get(ProductionJob, w.north_job)) if linked_order(s, w) else None),
    "lib.production.links.order_production": Read(lambda s, a, w: links.order_production(
        s, actor=a, order_id=linked_order(s, w))),
    "lib.production.receipts.preview_receipt": Write(lambda s, a, w: receipts.preview_receipt(
        s, actor=a, job_id=w.south_job, draft=ReceiptDraft(rows=(OutputRow(product_id=w.ruby, weight="1"),)))),
    "lib.production.receipts.receive_job": Write(lambda s, a, w: receipts.receive_job(
        s, actor=a, job_id=w.south_job, draft=ReceiptDraft(rows=(OutputRow(product_id=w.ruby, weight="1"),)))),
    "lib.production.overview.jobs_statement": Read(lambda s, a, w: job_overview.jobs_statement(
        a, job_overview.JobFilters(search="secret"), ProductionJob.number, ProductionJob.notes)),
    "lib.production.overview.list_jobs": Read(lambda s, a, w: [job_overview.list_jobs(
        s, actor=a, filters=job_overview.JobFilters(tab=tab), page=job_overview.JobPage(size=100), today=current_day())
        for tab in job_overview.TABS]),
    "lib.production.overview.export_jobs": Read(lambda s, a, w: job_overview.export_jobs(
        s, actor=a, filters=job_overview.JobFilters(), today=current_day()).decode()),
    "lib.production.overview.job_balances": Read(lambda s, a, w: job_overview.job_balances(
        s, actor=a, job_ids=[w.south_job, w.north_job])),
    "lib.production.overview.summary": Read(lambda s, a, w: job_overview.summary(s, actor=a)),
    "lib.production.overview.stage_status_counts": Read(lambda s, a, w: job_overview.stage_status_counts(s, actor=a)),
    "lib.production.overview.job_detail": Read(lambda s, a, w: job_overview.job_detail(
        s, actor=a, job_id=w.north_job, today=current_day())),
    "lib.production.overview.production_for_product": Read(lambda s, a, w: job_overview.production_for_product(
        s, actor=a, product_id=w.ruby, today=current_day())),
    # lib.ai
    "lib.ai.summaries.data_version": Read(lambda s, a, w: summaries.data_version(
        s, actor=a, product_id=w.ruby, filters=south(w))),
    "lib.ai.summaries.build_facts": Read(lambda s, a, w: summaries.build_facts(
        s, actor=a, product_id=w.ruby, filters=south(w))),
    "lib.ai.summaries.check_can_generate": NotLocationData("checks the role, the workspace switch and the endpoint"),
    "lib.ai.summaries.sees_values": NotLocationData("reads the actor's role only"),
    "lib.ai.summaries.prepare_summary": Write(lambda s, a, w: summaries.prepare_summary(
        s, actor=a, settings=settings_with_llm(), product_id=w.jade, filters=ItemFilters())),
    "lib.ai.summaries.store_summary": Write(lambda s, a, w: summaries.store_summary(
        s, actor=a, request=forged_request(w), completion=Completion("text", "m", 1, 1, 2, False, False))),
    "lib.ai.summaries.generate_summary": Write(lambda s, a, w: summaries.generate_summary(
        s, actor=a, settings=settings_with_llm(), product_id=w.jade, filters=ItemFilters())),
    "lib.ai.summaries.latest_summary": Read(lambda s, a, w: summaries.latest_summary(
        s, actor=a, product_id=w.ruby, filters=south(w))),
    "lib.ai.summaries.panel_state": Read(lambda s, a, w: summaries.panel_state(
        s, actor=a, settings=settings_with_llm(), product_id=w.ruby, filters=south(w))),
    "lib.ai.summaries.usage_history": Write(lambda s, a, w: summaries.usage_history(s, actor=a)),
    "lib.ai.summaries.request_completion": NotLocationData("sends an already prepared request (its facts were "
                                                           "built in the actor's scope) through lib.llm.metering"),
    "lib.ai.usage.usage_by_month": Write(lambda s, a, w: usage.usage_by_month(s, actor=a)),
    "lib.ai.usage.export_usage": Write(lambda s, a, w: usage.export_usage(s, actor=a)),
    "lib.ai.usage.credits_view": Write(lambda s, a, w: usage.credits_view(s, actor=a)),
    "lib.inventory.import_ai.check_can_import": NotLocationData("checks the right, the workspace switch and the "
                                                                "endpoint"),
    "lib.inventory.import_ai.is_available": NotLocationData("checks the right, the workspace switch and the endpoint"),
    "lib.inventory.import_ai.prepare_request": Write(lambda s, a, w: import_ai.prepare_request(
        s, actor=a, settings=settings_with_llm(), table=import_ai.RawTable("x.csv", None, ("Product", "Weight"),
                                                                             ((2, ("Ruby", "1")),)))),
    "lib.inventory.import_ai.request_mapping": NotLocationData("sends an already prepared request (a sheet's headers "
                                                               "and sample rows) through lib.llm.metering"),
    # lib.llm.metering: workspace-wide credits, no location data
    "lib.llm.metering.credit_balance": NotLocationData("the workspace's credit balance, the same for every location"),
    "lib.llm.metering.reserve": NotLocationData("holds a workspace-wide credit for the actor's own request"),
    "lib.llm.metering.settle": NotLocationData("records the actor's own request's tokens and credits"),
    "lib.llm.metering.metered_call": NotLocationData("reserve, send an already built prompt, settle"),
    "lib.llm.metering.set_monthly_credits": Write(lambda s, a, w: metering.set_monthly_credits(s, actor=a, value=5)),
    "lib.llm.metering.add_topup": Write(lambda s, a, w: metering.add_topup(s, actor=a, credits=5, note="x")),
    # lib.orders: orders are workspace-wide (admins write, managers read without customer details);
    # stock is located (matching stock, selections, receipts follow the viewer's locations).
    "lib.orders.parties.list_parties": Read(lambda s, a, w: parties.list_parties(s, actor=a)),
    "lib.orders.parties.get_party": Read(lambda s, a, w: parties.get_party(
        s, actor=a, party_id=orders_of(s, w).customer)),
    "lib.orders.parties.add_party": Write(lambda s, a, w: parties.add_party(
        s, actor=a, kind=PartyKind.SUPPLIER, data=parties.PartyInput(company="Mine"))),
    "lib.orders.parties.update_party": Write(lambda s, a, w: parties.update_party(
        s, actor=a, party_id=orders_of(s, w).customer, data=parties.PartyInput(company="Mine"))),
    "lib.orders.parties.set_active": Write(lambda s, a, w: parties.set_active(
        s, actor=a, party_id=orders_of(s, w).customer, active=False)),
    "lib.orders.parties.delete_party": Write(lambda s, a, w: parties.delete_party(
        s, actor=a, party_id=orders_of(s, w).supplier)),
    "lib.orders.parties.party_choices": Write(lambda s, a, w: parties.party_choices(
        s, actor=a, kind=PartyKind.CUSTOMER)),
    "lib.orders.lines.order_for_write": Write(lambda s, a, w: lines.order_for_write(s, a, orders_of(s, w).sales)),
    "lib.orders.lines.line_for_write": Write(lambda s, a, w: lines.line_for_write(s, a, orders_of(s, w).sales_line)),
    "lib.orders.orders.create_order": Write(lambda s, a, w: orders.create_order(s, actor=a, data=orders.OrderInput(
        kind=OrderKind.PURCHASE, party_id=orders_of(s, w).supplier, lead_id=a.user_id,
        lines=[orders.LineInput(product_id=w.jade, quantity=1)]))),
    "lib.orders.orders.update_order": Write(lambda s, a, w: orders.update_order(
        s, actor=a, order_id=orders_of(s, w).sales, data=orders.HeaderInput(lead_id=a.user_id))),
    "lib.orders.orders.add_line": Write(lambda s, a, w: orders.add_line(
        s, actor=a, order_id=orders_of(s, w).sales, data=orders.LineInput(product_id=w.jade, quantity=1))),
    "lib.orders.orders.cancel_line": Write(lambda s, a, w: orders.cancel_line(
        s, actor=a, line_id=orders_of(s, w).sales_line)),
    "lib.orders.orders.set_on_hold": Write(lambda s, a, w: orders.set_on_hold(
        s, actor=a, order_id=orders_of(s, w).sales, on_hold=True)),
    "lib.orders.orders.set_line_ready": Write(lambda s, a, w: orders.set_line_ready(
        s, actor=a, line_id=orders_of(s, w).sales_line, ready=True)),
    "lib.orders.orders.form_choices": Write(lambda s, a, w: orders.form_choices(s, actor=a, kind=OrderKind.SALES)),
    "lib.orders.selection.matching_stock": Read(lambda s, a, w: selection.matching_stock(
        s, actor=a, line_id=orders_of(s, w).sales_line)),
    "lib.orders.selection.candidates": Write(lambda s, a, w: selection.candidates(
        s, actor=a, line_id=orders_of(s, w).sales_line, same_attributes=False)),
    "lib.orders.selection.select_items": Write(lambda s, a, w: selection.select_items(
        s, actor=a, line_id=orders_of(s, w).sales_line, picks=[selection.Pick(w.south_item, full=False, quantity=1,
                                                                                 weight="1")])),
    "lib.orders.selection.remove_selection": Write(lambda s, a, w: selection.remove_selection(
        s, actor=a, selection_id=orders_of(s, w).selection)),
    "lib.orders.receipts.receive_line": Write(lambda s, a, w: order_receipts.receive_line(
        s, actor=a, line_id=orders_of(s, w).purchase_line, data=order_receipts.ReceiptInput(
            quantity=1, weight="1", location_id=w.south))),
    "lib.orders.shipments.create_shipment": Write(lambda s, a, w: shipments.create_shipment(
        s, actor=a, order_id=orders_of(s, w).sales, carrier="UPS",
        lines=[shipments.ShipLine(orders_of(s, w).sales_line, 1, "1")])),
    "lib.orders.returns.close_short": Write(lambda s, a, w: order_returns.close_short(
        s, actor=a, line_id=orders_of(s, w).sales_line, reason="customer changed their mind")),
    "lib.orders.returns.receive_return": Write(lambda s, a, w: order_returns.receive_return(
        s, actor=a, selection_id=orders_of(s, w).selection, reason="came back", quantity=1, weight="1")),
    "lib.orders.listing.hides_customer": NotLocationData("answers from the role's rights only"),
    "lib.orders.listing.sees_budget": NotLocationData("answers from the role's rights only"),
    "lib.orders.listing.export_headers": NotLocationData("column names for the viewer's rights"),
    "lib.orders.listing.list_orders": Read(lambda s, a, w: [listing.list_orders(
        s, actor=a, kind=kind, filters=order_filters(s, w), page=listing.OrderPage()) for kind in OrderKind]),
    "lib.orders.listing.iter_orders": Read(lambda s, a, w: [list(listing.iter_orders(
        s, actor=a, kind=kind, filters=order_filters(s, w))) for kind in OrderKind]),
    "lib.orders.listing.export_orders": Read(lambda s, a, w: [exported_text(listing.export_orders(
        s, actor=a, kind=kind, filters=order_filters(s, w), fmt="csv")) for kind in OrderKind]),
    "lib.orders.listing.filter_choices": Read(lambda s, a, w: [listing.filter_choices(
        s, actor=a, kind=kind) for kind in OrderKind if orders_of(s, w)]),
    "lib.orders.detail.order_detail": Read(lambda s, a, w: [detail.order_detail(s, actor=a, order_id=order_id)
                                                            for order_id in (timeline_order(s, w),
                                                                             orders_of(s, w).purchase)]),
    "lib.orders.demand.product_orders": Read(lambda s, a, w: demand.product_orders(
        s, actor=a, product_id=orders_of(s, w) and w.ruby)),
    "lib.orders.lines_ai.check_can_prepare": NotLocationData("checks the role, the workspace switch and the endpoint"),
    "lib.orders.lines_ai.is_available": NotLocationData("checks the role, the workspace switch and the endpoint"),
    "lib.orders.lines_ai.prepare_request": Write(lambda s, a, w: lines_ai.prepare_request(
        s, actor=a, settings=settings_with_llm(), notes="2 rubies")),
    "lib.orders.lines_ai.request_lines": NotLocationData("sends an already prepared request (product names and "
                                                        "notes, no stock) through lib.llm.metering"),
    # lib.reports: every report is built on the viewer's locations (orders: workspace-wide, no customers)
    "lib.reports.catalog.reports_for": NotLocationData("the reports the role may open"),
    "lib.reports.common.in_scope": NotLocationData("builds the location condition the reports read through"),
    "lib.reports.common.check_location": NotLocationData("refuses a location filter outside the scope"),
    "lib.reports.catalog.export_report": Read(lambda s, a, w: every_report_export(s, a, w)),
    "lib.reports.production.production_summary": Read(lambda s, a, w: production_reports.production_summary(
        s, actor=a, period=report_range(), size="day")),
    "lib.reports.production.loss_by_person": Read(lambda s, a, w: production_reports.loss_by_person(
        s, actor=a, period=report_range())),
    "lib.reports.production.jobs_above_norm": Read(lambda s, a, w: production_reports.jobs_above_norm(
        s, actor=a, period=report_range())),
    "lib.reports.production.stage_performance": Read(lambda s, a, w: production_reports.stage_performance(
        s, actor=a, period=report_range())),
    "lib.reports.production.waste_log": Read(lambda s, a, w: production_reports.waste_log(
        s, actor=a, period=report_range())),
    "lib.reports.orders.order_summary": Read(lambda s, a, w: order_reports.order_summary(
        s, actor=a, period=report_range()) if orders_of(s, w) else None),
    "lib.reports.orders.open_demand": Read(lambda s, a, w: order_reports.open_demand(
        s, actor=a) if orders_of(s, w) else None),
    "lib.reports.stock.stock_summary": Read(lambda s, a, w: stock_reports.stock_summary(s, actor=a)),
    "lib.reports.stock.stock_movement": Read(lambda s, a, w: stock_reports.stock_movement(
        s, actor=a, period=report_range())),
    "lib.reports.stock.movement_log": Read(lambda s, a, w: stock_reports.movement_log(
        s, actor=a, period=report_range())),
    "lib.reports.stock.low_stock": Read(lambda s, a, w: levels_of(s, w) or stock_reports.low_stock(s, actor=a)),
    "lib.reports.stock.low_stock_count": Read(lambda s, a, w: levels_of(s, w) or stock_reports.low_stock_count(
        s, actor=a)),
    "lib.reports.levels.list_levels": Read(lambda s, a, w: levels_of(s, w) or [report_levels.list_levels(
        s, actor=a, product_id=product) for product in (w.ruby, w.jade)]),
    "lib.reports.levels.set_level": Write(lambda s, a, w: report_levels.set_level(
        s, actor=a, product_id=w.ruby, location_id=w.south, min_pieces=1)),
    "lib.reports.levels.remove_level": Write(lambda s, a, w: report_levels.remove_level(
        s, actor=a, level_id=report_levels.set_level(s, actor=w.admin, product_id=w.jade, location_id=w.south,
                                                     min_pieces=1).id)),
    "lib.reports.norms.set_loss_norm": Write(lambda s, a, w: report_norms.set_loss_norm(
        s, actor=a, stage_id=w.stage, norm="1")),
    "lib.reports.norms.fill_preset_norms": Write(lambda s, a, w: report_norms.fill_preset_norms(s, actor=a)),
    "lib.reports.norms.job_loss_vs_norm": Write(lambda s, a, w: report_norms.job_loss_vs_norm(
        s, actor=a, job_id=w.south_job)),
    # lib.workspace: admin-only, refused outright
    "lib.workspace.locations.add_location": Write(lambda s, a, w: locations.add_location(
        s, actor=a, name="Mine", short_name="MIN")),
    "lib.workspace.locations.update_location": Write(lambda s, a, w: locations.update_location(
        s, actor=a, location_id=w.south, name="Taken", short_name="TKN", kind="Store", active=True)),
    "lib.workspace.settings.update_settings": Write(lambda s, a, w: settings.update_settings(
        s, actor=a, managers_all_locations=True)),
    "lib.workspace.settings.set_logo": Write(lambda s, a, w: settings.set_logo(s, actor=a, data=_png((9, 9, 9)))),
    # lib.documents: labels and scans read items through the scope; South's tags read as unknown
    "lib.documents.labels.labels_for": Write(lambda s, a, w: doc_labels.labels_for(s, actor=a, tags=["SECRETRUB1"])),
    "lib.documents.labels.label_pdf": Write(lambda s, a, w: doc_labels.label_pdf(
        s, actor=a, item_ids=[w.south_item, w.north_item])),
    "lib.documents.labels.items_for_filters": Read(lambda s, a, w: doc_labels.items_for_filters(
        s, actor=a, filters=south(w))),
    "lib.documents.printed.job_envelope": Write(lambda s, a, w: doc_printed.job_envelope(s, actor=a, job_id=w.south_job)),
    # Orders are workspace-wide; what must not show is the customer (managers) and South's tags.
    "lib.documents.printed.order_confirmation": Read(lambda s, a, w: pdf_text(doc_printed.order_confirmation(
        s, actor=a, order_id=orders_of(s, w).sales))),
    "lib.documents.printed.pick_list": Read(lambda s, a, w: pdf_text(doc_printed.pick_list(
        s, actor=a, order_id=orders_of(s, w).sales))),
    "lib.documents.printed.purchase_order": Read(lambda s, a, w: pdf_text(doc_printed.purchase_order(
        s, actor=a, order_id=orders_of(s, w).purchase))),
    "lib.documents.printed.packing_slip": Write(lambda s, a, w: doc_printed.packing_slip(
        s, actor=a, order_id=orders_of(s, w).sales, shipment=1)),
    "lib.documents.scan.open_scanned": Write(lambda s, a, w: doc_scan.open_scanned(s, actor=a, text="SECRETJAD1")),
    "lib.documents.scan.scan_target": Write(lambda s, a, w: [doc_scan.scan_target(s, actor=a, text=code) for code in (
        "SECRETJAD1", s.get(ProductionJob, w.south_job).number)]),
    "lib.documents.scan.item_id_for_link": Read(lambda s, a, w: [doc_scan.item_id_for_link(s, actor=a, reference=ref)
                                                                 for ref in ("SECRETRUB1", str(w.south_item))]),
    "lib.workspace.users.list_users": Write(lambda s, a, w: users.list_users(s, actor=a)),
    "lib.workspace.users.create_user": Write(lambda s, a, w: users.create_user(
        s, actor=a, username="intruder", name="I", email="i@example.com", password="long-enough-1",
        role=Role.MEMBER, location_id=w.south)),
    "lib.workspace.users.update_user": Write(lambda s, a, w: users.update_user(
        s, actor=a, user_id=w.south_user, location_id=w.north)),
    "lib.workspace.users.change_own_password": NotLocationData("changes only the actor's own password"),
    "lib.workspace.users.sign_in_locks": Write(lambda s, a, w: users.sign_in_locks(s, actor=a)),
    "lib.workspace.users.clear_sign_in_lock": Write(lambda s, a, w: users.clear_sign_in_lock(
        s, actor=a, username="southerner")),
}


def actor_functions() -> set[str]:
    """Every public lib function (the demo loader aside) with a parameter named `actor`."""
    found = set()
    for info in pkgutil.walk_packages(lib.__path__, "lib."):
        if info.name.startswith("lib.demo"):
            continue
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if (not name.startswith("_") and inspect.isfunction(value) and value.__module__ == module.__name__
                    and "actor" in inspect.signature(value).parameters):
                found.add(f"{info.name}.{name}")
    return found


def test_every_actor_function_is_in_the_table():
    found = actor_functions()
    assert found - set(TABLE) == set(), "add a row to TABLE for each new function that takes an Actor"
    assert set(TABLE) - found == set(), "remove rows of functions that no longer exist"


ROLES = [Role.MEMBER, Role.MANAGER]


def _snapshot(session) -> dict:
    """Every row of every table: what "wrote nothing" is compared against."""
    session.flush()
    return {table.name: sorted(repr(tuple(row)) for row in session.execute(select(table)))
            for table in Base.metadata.sorted_tables}


def _call_read(session, actor, world, read: Read):
    result = read.call(session, actor, world)
    return plain(result, session)


@pytest.mark.parametrize("role", ROLES, ids=lambda role: role.value)
@pytest.mark.parametrize("name", sorted(name for name, row in TABLE.items() if isinstance(row, Read)))
def test_reads_show_nothing_of_another_location(session, world, name, role):
    actor = _north_actor(session, world, role)
    read = TABLE[name]
    try:
        before = _call_read(session, actor, world, read)
    except LoupeError as refused:  # a read the role may not make is refused: nothing shown
        pytest.skip(f"{role.value} may not call {name}: {refused}")
    text = repr(before)
    assert not [marker for marker in MARKERS if marker in text], f"{name} shows South data: {text[:2000]}"
    savepoint = session.begin_nested()
    _more_south_activity(session, world)
    after = _call_read(session, actor, world, read)
    savepoint.rollback()
    assert after == before, f"{name} changed when only South changed"


@pytest.mark.parametrize("role", ROLES, ids=lambda role: role.value)
@pytest.mark.parametrize("name", sorted(name for name, row in TABLE.items() if isinstance(row, Write)))
def test_writes_and_lookups_naming_another_location_are_refused(session, world, name, role):
    actor = _north_actor(session, world, role)
    before = _snapshot(session)
    savepoint = session.begin_nested()
    with pytest.raises(LoupeError):
        TABLE[name].call(session, actor, world)
    savepoint.rollback()
    assert _snapshot(session) == before


def test_the_markers_are_really_there_for_an_admin(session, world):
    """The table would prove nothing if South's data did not show up for someone who may see it."""
    jobs_text = repr(plain(job_overview.list_jobs(session, actor=world.admin, filters=job_overview.JobFilters(),
                                              page=job_overview.JobPage(size=100)), session))
    assert "Southerner" in jobs_text and "Southside Vault" in jobs_text
    assert "secret-receipt note" in repr(plain(job_overview.job_detail(session, actor=world.admin,
                                                                   job_id=world.south_job), session))
    detail = items.item_detail(session, actor=world.admin, item_id=world.crossed_item)
    text = repr(plain(detail, session))
    assert "Southerner" in text and "secret-transfer note" in text and "Southside Vault" in text
    rows = query.page_rows(session, actor=world.admin, filters=south(world), page=Page(size=200))
    assert "SECRETRUB1" in repr(rows)
    assert "Zanzibar Jade" in repr(plain(catalog.list_products(session, actor=world.admin), session))


def test_a_member_sees_a_crossing_transfer_without_the_other_side(session, world):
    member = _north_actor(session, world, Role.MEMBER)
    detail = items.item_detail(session, actor=member, item_id=world.crossed_item)
    assert [row.kind for row in detail.history] == [MovementKind.TRANSFER_IN]
    (row,) = detail.history
    assert row.counterpart == "from another location" and row.user == "—" and row.note == ""
    assert detail.history_total == 1


def test_the_add_form_offers_unstocked_products_but_never_one_stocked_only_elsewhere(session, world):
    member = _north_actor(session, world, Role.MEMBER)
    fresh = f.make_product(session, "Fresh Opal", "FOPL")
    form = dict(forms.options(session, actor=member, active_only=True).products)
    filters = dict(forms.options(session, actor=member).products)
    assert form == {world.ruby: "Ruby", fresh.id: "Fresh Opal"}
    assert filters == {world.ruby: "Ruby"}
    assert world.jade in dict(forms.options(session, actor=world.admin, active_only=True).products)


def test_a_taken_tag_is_only_called_unusable_for_a_member(session, world):
    member = _north_actor(session, world, Role.MEMBER)
    problems = forms.validate_new_item(session, actor=member, data=forms.NewItem(
        product_id=world.ruby, weight="1", tag_id="SECRETJAD1"))
    assert problems["tag_id"] == "Tag ID SECRETJAD1 cannot be used; choose another or leave it empty"
    admin_problems = forms.validate_new_item(session, actor=world.admin, data=forms.NewItem(
        product_id=world.ruby, weight="1", tag_id="SECRETJAD1", location_id=world.north))
    assert admin_problems["tag_id"] == "Tag ID SECRETJAD1 is already in use"


def test_a_summary_cannot_be_stored_for_another_scope(session, world):
    manager = _north_actor(session, world, Role.MANAGER)
    request = dataclasses.replace(forged_request(world, scope_key=manager.scope_key), product_id=world.ruby)
    view = summaries.store_summary(session, actor=manager, request=request,
                                   completion=Completion("Ruby is steady.", "m", 1, 1, 2, False, False))
    assert view.text == "Ruby is steady."
    with pytest.raises(LoupeError):
        summaries.store_summary(session, actor=manager, request=dataclasses.replace(request, scope_key="all"),
                                completion=Completion("x", "m", 1, 1, 2, False, False))


def test_order_markers_are_really_there_for_an_admin(session, world):
    """The orders rows would prove nothing if the customer, the South item and the notes did not show for an admin."""
    made = orders_of(session, world)
    text = repr(plain([detail.order_detail(session, actor=world.admin, order_id=made.sales),
                       detail.order_detail(session, actor=world.admin, order_id=made.purchase),
                       listing.list_orders(session, actor=world.admin, kind=OrderKind.SALES,
                                           filters=order_filters(session, world), page=listing.OrderPage())],
                      session))
    for marker in ("Southerner Secret Buyer", "secret@south.example", "SECRETRUB1", "Southside Vault", "secret notes"):
        assert marker in text, marker


def test_report_markers_are_really_there_for_an_admin(session, world):
    """The report rows would prove nothing if South's people, products and notes did not show for an admin."""
    text = repr(plain([production_reports.loss_by_person(session, actor=world.admin, period=report_range()),
                       stock_reports.stock_summary(session, actor=world.admin),
                       stock_reports.movement_log(session, actor=world.admin, period=report_range()),
                       every_report_export(session, world.admin, world)], session))
    for marker in ("Southerner", "Zanzibar Jade", "secret-transfer note", "Southside Vault"):
        assert marker in text, marker
    south_component(session, world)
    valued = repr(plain([report_valuation.valuation(session, actor=world.admin),
                         costing_valuation.value_held(session, actor=world.admin, filters=south(world)).values],
                        session))
    assert "Southside Vault" in valued and "'6E+1'" in valued, valued  # 1 g at 60


def test_the_order_timeline_names_only_jobs_the_viewer_may_see(session, world):
    """Issue 16: "Linked production job JOB-0037 to line 1" was shown to a manager who cannot see JOB-0037."""
    order_id = timeline_order(session, world)
    south_number = session.get(ProductionJob, world.south_job).number

    def timeline(actor) -> str:
        return " | ".join(entry.what for entry in detail.order_detail(session, actor=actor, order_id=order_id).timeline)

    assert f"Linked production job {south_number} to line 1" in timeline(world.admin)
    manager_sees = timeline(_north_actor(session, world, Role.MANAGER))
    assert south_number not in manager_sees
    assert "Linked a production job in another location to line 1" in manager_sees
