"""Printed documents read back with pypdf (and the job envelope's QR with zxing-cpp): the right lines, weights
and units, the letterhead, stable file names, and what managers may not see left out."""
from __future__ import annotations

import io

import pytest
from PIL import Image as PILImage
from pypdf import PdfReader

from lib import cli, db
from lib.documents import printed
from lib.errors import NotFound, PermissionDenied, ValidationFailed
from lib.models import OrderKind, PartyKind, Role, User
from lib.orders import detail, orders, parties, selection, shipments
from lib.production import jobs, stages
from lib.production.jobs import NewJob, SourceLine
from lib.workspace import settings as ws_settings
from tests import factories as f
from tests.test_labels import decoded


def text_of(document: printed.Document) -> str:
    assert document.data.startswith(b"%PDF")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(document.data)).pages)


def _png(size=(60, 30)) -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", size, (200, 20, 20)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def shop(session):
    return build_shop(session)


def build_shop(session) -> dict:
    """Rivera Gems: a sales order shipped twice, a purchase order, an admin, a North manager and member."""
    f.make_workspace(session, name="Rivera Gems", sales_order_prefix="SO-", purchase_order_prefix="PO-")
    north, south = f.make_location(session, "North Bench"), f.make_location(session, "South Safe")
    admin = f.actor(session, f.make_user(session, Role.ADMIN, None))
    manager = f.actor(session, f.make_user(session, Role.MANAGER, north))
    member = f.actor(session, f.make_user(session, Role.MEMBER, north))
    ws_settings.update_settings(session, actor=admin, org_address="12 Gem Street\nJaipur 302001",
                                document_footer="GSTIN 08ABCDE1234F1Z5 · Thank you")
    ws_settings.set_logo(session, actor=admin, data=_png())
    ring = f.make_product(session, "Gold ring", "GRING")
    first = f.make_item(session, ring, north, quantity=2, weight="4.5", unit="g", tag_id="GRING0001")
    second = f.make_item(session, ring, south, quantity=1, weight="2.25", unit="g", tag_id="GRING0002")
    customer = parties.add_party(session, actor=admin, kind=PartyKind.CUSTOMER, data=parties.PartyInput(
        company="Meera Jewellers", email="buy@meera.example", phone="+91 98 7654 3210", address="4 Lake Road"))
    supplier = parties.add_party(session, actor=admin, kind=PartyKind.SUPPLIER,
                                 data=parties.PartyInput(company="Bullion House"))
    sale = orders.create_order(session, actor=admin, data=orders.OrderInput(
        kind=OrderKind.SALES, party_id=customer.id, lead_id=admin.user_id, notes="Gift wrap for Meera",
        lines=[orders.LineInput(product_id=ring.id, quantity=3, weight="6.75", weight_unit="g",
                                description="18k, polished")]))
    line_id = detail.order_detail(session, actor=admin, order_id=sale.id).lines[0].id
    selection.select_items(session, actor=admin, line_id=line_id,
                           picks=[selection.Pick(first.id), selection.Pick(second.id)])
    carrier = ws_settings.carrier_list(ws_settings.get_workspace(session))[0]
    for amount in ("2", "1"):
        shipments.create_shipment(session, actor=admin, order_id=sale.id, carrier=carrier,
                                  tracking_number=f"TRK{amount}",
                                  lines=[shipments.ShipLine(line_id, quantity=amount, weight="2.25" if amount == "1"
                                                            else "4.5")], notes="Left with Meera's neighbour")
    purchase = orders.create_order(session, actor=admin, data=orders.OrderInput(
        kind=OrderKind.PURCHASE, party_id=supplier.id, lead_id=admin.user_id,
        lines=[orders.LineInput(product_id=ring.id, quantity=10, weight="25", weight_unit="ct")]))
    session.flush()
    return dict(session=session, admin=admin, manager=manager, member=member, sale=sale, purchase=purchase,
                ring=ring, north=north, supplier=supplier)


def test_order_confirmation_shows_letterhead_customer_and_lines(shop):
    document = printed.order_confirmation(shop["session"], actor=shop["admin"], order_id=shop["sale"].id)
    assert document.filename == f"{shop['sale'].number}-confirmation.pdf"
    text = text_of(document)
    for expected in ("Rivera Gems", "12 Gem Street", "Jaipur 302001", "GSTIN 08ABCDE1234F1Z5",
                     f"Order confirmation {shop['sale'].number}", "Meera Jewellers", "4 Lake Road",
                     "buy@meera.example", "Gold ring", "18k, polished", "6.750 g", "Net 30", "Gift wrap for Meera"):
        assert expected in text, expected


def test_a_managers_documents_never_show_customer_details(shop):
    number = shop["sale"].number
    for make in (printed.order_confirmation, printed.pick_list):
        text = text_of(make(shop["session"], actor=shop["manager"], order_id=shop["sale"].id))
        assert f"Customer ({number})" in text
        assert "Meera" not in text and "Lake Road" not in text and "buy@meera" not in text
    slip = text_of(printed.packing_slip(shop["session"], actor=shop["manager"], order_id=shop["sale"].id, shipment=1))
    assert f"Customer ({number})" in slip and "Meera" not in slip and "Lake Road" not in slip
    assert "GRING0002" not in slip  # South's item: the North manager reads "an item in another location"


def test_pick_list_lists_what_is_left_to_pick_with_tags_locations_and_weights(shop):
    session, admin = shop["session"], shop["admin"]
    text = text_of(printed.pick_list(session, actor=admin, order_id=shop["sale"].id))
    assert "Items to pick" in text and "GRING" not in text  # both shipments took everything selected
    ring, north = shop["ring"], shop["north"]
    extra = f.make_item(session, ring, north, quantity=5, weight="10", unit="g", tag_id="GRING0005")
    sale = orders.create_order(session, actor=admin, data=orders.OrderInput(
        kind=OrderKind.SALES, party_id=detail_party(session, shop), lead_id=admin.user_id,
        lines=[orders.LineInput(product_id=ring.id, quantity=2, weight="4", weight_unit="g")]))
    line_id = detail.order_detail(session, actor=admin, order_id=sale.id).lines[0].id
    selection.select_items(session, actor=admin, line_id=line_id,
                           picks=[selection.Pick(extra.id, full=False, quantity=2, weight="4")])
    text = text_of(printed.pick_list(session, actor=admin, order_id=sale.id))
    for expected in ("GRING0005", "North Bench", "4.000 g", "Gold ring", "[ ]"):
        assert expected in text, expected


def detail_party(session, shop) -> int:
    """The customer of the shop's sales order."""
    from lib.models import Order

    return session.get(Order, shop["sale"].id).party_id


def test_packing_slips_are_per_shipment_with_stable_names(shop):
    number = shop["sale"].number
    first = printed.packing_slip(shop["session"], actor=shop["admin"], order_id=shop["sale"].id, shipment=1)
    second = printed.packing_slip(shop["session"], actor=shop["admin"], order_id=shop["sale"].id, shipment=2)
    assert (first.filename, second.filename) == (f"{number}-packing-slip-1.pdf", f"{number}-packing-slip-2.pdf")
    one, two = text_of(first), text_of(second)
    assert "TRK2" in one and "2 pcs, 4.500 g" in one and "TRK1" not in one
    flat = " ".join(one.split())  # the table wraps long cells
    assert "GRING0001 (2 pcs, 4.500 g)" in flat and "GRING0002" not in one  # the items this shipment took
    assert "TRK1" in two and "1 pc, 2.250 g" in two and "Meera Jewellers" in two and "4 Lake Road" in two
    with pytest.raises(ValidationFailed, match="no shipment 3"):
        printed.packing_slip(shop["session"], actor=shop["admin"], order_id=shop["sale"].id, shipment=3)


def test_purchase_order_names_the_supplier_and_lines(shop):
    document = printed.purchase_order(shop["session"], actor=shop["admin"], order_id=shop["purchase"].id)
    assert document.filename == f"{shop['purchase'].number}-purchase-order.pdf"
    text = text_of(document)
    assert "Bullion House" in text and "25.000 ct" in text and "Please deliver" in text
    with pytest.raises(ValidationFailed, match="purchase order"):
        printed.order_confirmation(shop["session"], actor=shop["admin"], order_id=shop["purchase"].id)


def test_members_get_no_order_documents(shop):
    with pytest.raises(PermissionDenied):
        printed.pick_list(shop["session"], actor=shop["member"], order_id=shop["sale"].id)


def test_job_envelope_has_the_job_id_as_qr_and_the_issued_stock(shop):
    session, admin = shop["session"], shop["admin"]
    stage = stages.add_stage(session, actor=admin, name="Polishing", code="POL")
    item = f.make_item(session, shop["ring"], shop["north"], quantity=4, weight="8", tag_id="GRING0009")
    made = jobs.create_job(session, actor=admin, data=NewJob(
        stage_id=stage.id, sources=(SourceLine(item.id, quantity=2, weight="3.5"),), requested_pieces=2, split="even",
        notes="Mirror finish"))
    document = printed.job_envelope(session, actor=shop["member"], job_id=made.job_id)
    assert document.filename == f"{made.number}-envelope.pdf"
    text = text_of(document)
    for expected in (f"Job envelope {made.number}", "Polishing", "GRING0009", "3.500 g", "2 pcs", "Mirror finish"):
        assert expected in text, expected
    assert ("QRCode", made.number) in decoded(document.data, dpi=300)[0]


def test_a_job_of_another_location_prints_nothing(shop):
    session, admin = shop["session"], shop["admin"]
    south = f.make_location(session, "Far Annex")
    stage = stages.add_stage(session, actor=admin, name="Setting", code="SET")
    item = f.make_item(session, shop["ring"], south, quantity=1, weight="1", tag_id="GRING0010")
    made = jobs.create_job(session, actor=admin, data=NewJob(stage_id=stage.id, sources=(SourceLine(item.id),)))
    with pytest.raises((NotFound, PermissionDenied)):
        printed.job_envelope(session, actor=shop["member"], job_id=made.job_id)


def test_user_text_is_text_and_unprintable_text_is_refused(shop):
    session, admin = shop["session"], shop["admin"]
    ws_settings.update_settings(session, actor=admin, document_footer="<b>bold</b> & <font size=40>big</font>")
    text = text_of(printed.purchase_order(session, actor=admin, order_id=shop["purchase"].id))
    assert "<b>bold</b> & <font size=40>big</font>" in text
    ws_settings.update_settings(session, actor=admin, org_address="北京市")
    with pytest.raises(ValidationFailed, match="Organisation address.*Chinese"):
        printed.purchase_order(session, actor=admin, order_id=shop["purchase"].id)


@pytest.mark.parametrize("data, message", [(b"not an image at all", "not a readable"),
                                           (b"\x89PNG" + b"0" * (50 * 1024 * 1024), "over the 5 MB limit")])
def test_a_logo_that_is_not_an_image_or_50_mb_is_refused(shop, data, message):
    with pytest.raises(ValidationFailed, match=message):
        ws_settings.set_logo(shop["session"], actor=shop["admin"], data=data)
    with pytest.raises(PermissionDenied):
        ws_settings.set_logo(shop["session"], actor=shop["manager"], data=_png())


def test_file_names_stay_file_names_with_any_order_prefix(shop):
    session, admin = shop["session"], shop["admin"]
    ws_settings.update_settings(session, actor=admin, sales_order_prefix="SO/26.")
    sale = orders.create_order(session, actor=admin, data=orders.OrderInput(
        kind=OrderKind.SALES, party_id=detail_party(session, shop), lead_id=admin.user_id,
        lines=[orders.LineInput(product_id=shop["ring"].id, quantity=1, weight="1", weight_unit="g")]))
    document = printed.pick_list(session, actor=admin, order_id=sale.id)
    assert sale.number.startswith("SO/26.") and document.filename == sale.number.replace("/", "-") + "-pick-list.pdf"
    assert f"Pick list {sale.number}" in text_of(document)


def test_an_admins_purchase_order_and_confirmation_carry_the_prices_and_a_managers_do_not(shop):
    session, admin = shop["session"], shop["admin"]
    supplier = shop["supplier"].id
    priced = orders.create_order(session, actor=admin, data=orders.OrderInput(
        kind=OrderKind.PURCHASE, party_id=supplier, lead_id=admin.user_id, lines=[
            orders.LineInput(product_id=shop["ring"].id, quantity=10, weight="25", weight_unit="ct",
                             unit_price="120.5", price_basis="ct", price_currency="USD"),
            orders.LineInput(product_id=shop["ring"].id, quantity=4, weight="0", unit_price="35",
                             price_basis="piece", price_currency="USD"),
            orders.LineInput(product_id=shop["ring"].id, quantity=1, weight="2", weight_unit="g")]))
    session.flush()
    text = " ".join(text_of(printed.purchase_order(session, actor=admin, order_id=priced.id)).split())
    assert "Unit price" in text and "USD 120.50 per carat" in text and "USD 35.00 per piece" in text
    assert "USD 3,012.50" in text and "USD 140.00" in text  # 25 ct × 120.50 and 4 pieces × 35
    assert "Total USD 3,152.50" in text  # the unpriced line adds nothing
    manager_copy = text_of(printed.purchase_order(session, actor=shop["manager"], order_id=priced.id))
    assert not any(price in manager_copy for price in ("Unit price", "120.50", "3,012.50", "3,152.50", "35.00"))
    # an order without a price keeps the plain table
    assert "Unit price" not in text_of(printed.purchase_order(session, actor=admin, order_id=shop["purchase"].id))
    assert "Unit price" not in text_of(printed.order_confirmation(session, actor=admin, order_id=shop["sale"].id))


# ---------------------------------------------------------------- the `document` command

@pytest.fixture
def cli_shop(fresh_url, fresh_engine, monkeypatch, tmp_path):
    db.migrate(fresh_url)
    with db.session_scope(fresh_engine, write=True) as session:
        built = build_shop(session)
        admin = built["admin"]
        stage = stages.add_stage(session, actor=admin, name="Polishing", code="POL")
        far = f.make_location(session, "Far Annex")
        near = f.make_item(session, built["ring"], built["north"], quantity=1, weight="2", tag_id="GRING0011")
        away = f.make_item(session, built["ring"], far, quantity=1, weight="1", tag_id="GRING0012")
        numbers = {"near_job": jobs.create_job(session, actor=admin, data=NewJob(
                       stage_id=stage.id, sources=(SourceLine(near.id),))).number,
                   "far_job": jobs.create_job(session, actor=admin, data=NewJob(
                       stage_id=stage.id, sources=(SourceLine(away.id),))).number,
                   "sale": built["sale"].number, "purchase": built["purchase"].number,
                   "manager": session.get(User, built["manager"].user_id).username,
                   "member": session.get(User, built["member"].user_id).username}
    monkeypatch.setenv("LOUPE_DATABASE_URL", fresh_url)
    monkeypatch.setenv("LOUPE_DATA_DIR", str(tmp_path))
    return tmp_path, numbers


def test_the_document_command_prints_what_the_page_prints(cli_shop, capsys):
    folder, numbers = cli_shop
    out = folder / "doc.pdf"
    for kind, number, expected in (("confirmation", numbers["sale"], "Meera Jewellers"),
                                   ("pick-list", numbers["sale"], "Pick list"),
                                   ("purchase-order", numbers["purchase"], "Bullion House"),
                                   ("envelope", numbers["near_job"], "Polishing")):
        assert cli.main(["document", kind, number, "--out", str(out)]) == 0, kind
        assert expected in text_of(printed.Document("x.pdf", "", out.read_bytes())), kind
    assert cli.main(["document", "packing-slip", numbers["sale"], "--shipment", "2", "--out", str(out)]) == 0
    assert "TRK1" in text_of(printed.Document("x.pdf", "", out.read_bytes()))  # the second shipment's tracking
    assert "written to" in capsys.readouterr().out
    # a manager's confirmation: the customer is a reference, as on the page
    assert cli.main(["document", "confirmation", numbers["sale"], "--as", numbers["manager"], "--out", str(out)]) == 0
    assert "Meera" not in text_of(printed.Document("x.pdf", "", out.read_bytes()))


@pytest.mark.parametrize("arguments, message", [
    (["confirmation", "SO-9999"], "No order SO-9999 in your view"),
    (["envelope", "far_job", "--as", "member"], "in your view"),  # another location's job: as if it did not exist
    (["envelope", "JOB-9999", "--as", "member"], "No job JOB-9999 in your view"),
    (["pick-list", "sale", "--as", "member"], "may not"),
    (["confirmation", "purchase"], "purchase order"),
    (["packing-slip", "sale", "--shipment", "5"], "there is no shipment 5"),
    (["confirmation", "sale", "--as", "ghost"], "No active user"),
])
def test_the_document_command_refuses_clearly_and_writes_nothing(cli_shop, capsys, arguments, message):
    folder, numbers = cli_shop
    out = folder / "refused.pdf"
    arguments = [numbers.get(argument, argument) for argument in arguments]
    assert cli.main(["document", *arguments, "--out", str(out)]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()
