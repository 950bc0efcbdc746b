"""The sidebar's "Scan or type a tag" box (AppTest), the Inventory `item=<tag>` link a label's QR code opens,
and the "Print labels" control on Inventory."""
import pytest

from tests.apptest import point_app_at, shown, signed_in, texts
from tests.scenarios import two_location_workshop


@pytest.fixture(scope="module")
def workshop(databases, tmp_path_factory):
    url = databases.new("scanbox")
    point_app_at(url, tmp_path_factory.mktemp("scanbox-data"))
    return two_location_workshop(url)


def _scan(at, text):
    at.sidebar.text_input(key="scan_box").input(text).run()
    return at


def _open_tag(at) -> str:
    """The tag of the item open on Inventory (its detail's subheader), or ""."""
    return next((header.value for header in at.subheader), "")


def test_a_scanned_tag_opens_the_item_and_the_box_is_ready_for_the_next(workshop):
    at = signed_in(workshop.url, "mo")
    at.run()
    assert at.sidebar.text_input(key="scan_box").label == "Scan or type a tag"
    _scan(at, "trub0001")  # a scanner types the code and Enter; any case
    assert not at.exception
    assert _open_tag(at) == "TRUB0001" and at.query_params.get("item") not in (None, "")
    assert at.sidebar.text_input(key="scan_box").value == ""  # empty again for the next scan
    _scan(at, "https://shop.example.com/inventory?item=TRUB0001")  # a label's QR code: its whole address
    assert _open_tag(at) == "TRUB0001" and not at.error


@pytest.mark.parametrize("scanned", ["TRUB0002", "TJAD0001", "NOSUCH9"])
def test_a_tag_outside_the_users_locations_says_the_same_sentence(workshop, scanned):
    at = signed_in(workshop.url, "mo")  # North: TRUB0002 and TJAD0001 are South's
    at.run()
    _scan(at, scanned)
    assert [error.value for error in at.sidebar.error] == ["No item with that tag in your locations\\."]
    assert "South" not in texts(at) and "TJAD" not in str([frame.value for frame in at.dataframe])


@pytest.mark.parametrize("garbage", ["%%%garbage%%%", "x" * 10_000])
def test_garbage_gets_a_clear_message(workshop, garbage):
    at = signed_in(workshop.url, "mo")
    at.run()
    _scan(at, garbage)
    assert not at.exception
    (error,) = at.sidebar.error
    assert "not a tag" in error.value and len(error.value) < 200


def test_a_labels_address_opens_the_item_after_sign_in(workshop):
    at = signed_in(workshop.url, "sam", page="inventory.py", query={"item": "tjad0001"})
    at.run()
    assert not at.exception and _open_tag(at) == "TJAD0001"
    outsider = signed_in(workshop.url, "mo", page="inventory.py", query={"item": "TJAD0001"})
    outsider.run()
    assert _open_tag(outsider) == "" and "No item with that tag in your locations" in texts(outsider)


def test_print_labels_of_the_open_item(workshop):
    at = signed_in(workshop.url, "mo", page="inventory.py", query={"item": "TRUB0001"})
    at.run()
    at.selectbox(key="inv_item_labels_layout").set_value("thermal").run()
    at.button(key="inv_item_labels_build").click().run()
    assert not at.exception and not at.error
    (download,) = [button for button in at.get("download_button") if button.proto.id and "inv_item_labels" in
                   button.proto.id]
    assert "1 label" in download.proto.label


# ---------------------------------------------------------------------------------------------------------------
# Settings and the document buttons (AppTest)
# ---------------------------------------------------------------------------------------------------------------

def test_admin_sets_the_public_address_and_a_bad_one_is_refused(workshop):
    at = signed_in(workshop.url, "boss", page="settings.py")
    at.run()
    at.text_input(key="doc_public_url").set_value("not a url")
    at.button(key="doc_submit").click().run()
    assert any("Public address" in error.value for error in at.error)
    at.text_input(key="doc_public_url").set_value("https://shop.example.com/")
    at.text_area(key="doc_org_address").set_value("1 Gem Street\nJaipur")
    at.button(key="doc_submit").click().run()
    assert "Labels and documents settings saved." in texts(at)
    again = signed_in(workshop.url, "boss", page="settings.py")
    again.run()
    assert again.text_input(key="doc_public_url").value == "https://shop.example.com"


def test_the_job_page_prints_its_envelope(workshop):
    from sqlalchemy import select

    from lib import db
    from lib.models import Location, Product, User
    from lib.production import jobs, stages
    from lib.production.jobs import NewJob, SourceLine
    from tests import factories as f

    engine = db.make_engine(workshop.url)
    with db.session_scope(engine, write=True) as session:
        boss = f.actor(session, session.scalars(select(User).where(User.username == "boss")).one())
        stage = stages.add_stage(session, actor=boss, name="Envelope stage", code="ENV")
        item = f.make_item(session, session.get(Product, workshop.product_id), session.get(Location, workshop.north_id),
                           quantity=1, weight="2", tag_id="TENV0001")
        job_id = jobs.create_job(session, actor=boss, data=NewJob(stage_id=stage.id,
                                                                  sources=(SourceLine(item.id),))).job_id
    engine.dispose()
    at = signed_in(workshop.url, "mo", page="production.py", query={"job": str(job_id)})
    at.run()
    at.button(key=f"pj_docs_{job_id}_build").click().run()
    assert not at.exception and not at.error
    (download,) = [button for button in at.get("download_button") if f"pj_docs_{job_id}" in button.proto.id]
    assert shown(download.proto.label).endswith("-envelope.pdf")


def test_a_scanned_job_id_opens_the_job_and_another_locations_job_reads_like_an_unknown_tag(workshop):
    """The job envelope's QR code holds the job ID: scanning it at the bench opens the job."""
    from sqlalchemy import select

    from lib import db
    from lib.models import Location, Product, User
    from lib.production import jobs, stages
    from lib.production.jobs import NewJob, SourceLine
    from tests import factories as f

    engine = db.make_engine(workshop.url)
    with db.session_scope(engine, write=True) as session:
        boss = f.actor(session, session.scalars(select(User).where(User.username == "boss")).one())
        stage = stages.add_stage(session, actor=boss, name="Scan stage", code="SCN")
        ruby = session.get(Product, workshop.product_id)
        sources = [f.make_item(session, ruby, session.get(Location, location_id), quantity=1, weight="2",
                               tag_id=tag) for location_id, tag in ((workshop.north_id, "TSCN0001"),
                                                                    (workshop.south_id, "TSCN0002"))]
        # issued whole: the items leave the held stock the other tests of this module list
        near, far = (jobs.create_job(session, actor=boss, data=NewJob(stage_id=stage.id, sources=(
            SourceLine(item.id),))).number for item in sources)
    engine.dispose()
    at = signed_in(workshop.url, "mo")  # North
    at.run()
    _scan(at, near.lower())
    assert not at.exception and not at.sidebar.error and at.query_params.get("job") == near
    assert near in texts(at) and "Production job not found" not in texts(at)
    _scan(at, far)
    assert [error.value for error in at.sidebar.error] == ["No item with that tag in your locations\\."]


def test_a_manager_prints_an_orders_pick_list(workshop):
    from sqlalchemy import select

    from lib import db
    from lib.models import OrderKind, PartyKind, User
    from lib.orders import orders, parties
    from tests import factories as f

    engine = db.make_engine(workshop.url)
    with db.session_scope(engine, write=True) as session:
        boss = f.actor(session, session.scalars(select(User).where(User.username == "boss")).one())
        customer = parties.add_party(session, actor=boss, kind=PartyKind.CUSTOMER,
                                     data=parties.PartyInput(company="Secret Buyer"))
        order_id = orders.create_order(session, actor=boss, data=orders.OrderInput(
            kind=OrderKind.SALES, party_id=customer.id, lead_id=boss.user_id,
            lines=[orders.LineInput(product_id=workshop.product_id, quantity=1, weight="1", weight_unit="g")])).id
    engine.dispose()
    at = signed_in(workshop.url, "nina", page="orders.py", query={"order": str(order_id)})
    at.run()
    key = f"order_docs_{order_id}"
    assert at.selectbox(key=f"{key}_pick").options == ["Order confirmation", "Pick list"]  # no shipment yet
    at.selectbox(key=f"{key}_pick").set_value("Pick list").run()
    at.button(key=f"{key}_build").click().run()
    assert not at.exception and not at.error
    (download,) = [button for button in at.get("download_button") if key in button.proto.id]
    assert shown(download.proto.label).endswith("-pick-list.pdf")


def test_inventory_prints_the_filtered_items_or_the_chosen_ones(workshop):
    at = signed_in(workshop.url, "boss", page="inventory.py")
    at.run()
    only = at.multiselect(key="inv_labels_only")
    assert sorted(only.options) == ["TJAD0001", "TRUB0001", "TRUB0002"]  # every held item the admin sees
    from sqlalchemy import select

    from lib import db
    from lib.models import InventoryItem

    engine = db.make_engine(workshop.url)
    with db.session_scope(engine) as session:
        jade_id = session.scalar(select(InventoryItem.id).where(InventoryItem.tag_id == "TJAD0001"))
    engine.dispose()
    only.select(jade_id).run()
    at.button(key="inv_labels_build").click().run()
    assert not at.exception and not at.error
    (download,) = [button for button in at.get("download_button") if "inv_labels" in button.proto.id]
    assert download.proto.label == "Download 1 label (PDF)"  # only the chosen item
    member = signed_in(workshop.url, "mo", page="inventory.py")
    member.run()
    assert member.multiselect(key="inv_labels_only").options == ["TRUB0001"]  # North's one item only
