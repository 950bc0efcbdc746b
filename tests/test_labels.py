"""Item labels read back: every PDF is rendered (pypdfium2) and its QR codes and Code 128 barcodes decoded
with a real decoder (zxing-cpp); the text is extracted with pypdf. Scope: a member's labels and scans never
reach another location. The scan box's reading of what a scanner types."""
from __future__ import annotations

import io

import pypdfium2 as pdfium
import pytest
import zxingcpp
import random
from pypdf import PdfReader

from lib import cli
from lib.documents import labels, scan
from lib.errors import NotFound, PermissionDenied, ValidationFailed
from lib.models import Role
from lib.workspace import settings as ws_settings
from tests import factories as f

BASE = "https://loupe.example.com"
SHEETS = ("a4", "letter")


def decoded(pdf: bytes, dpi: int | None = None) -> list[list[tuple[str, str]]]:
    """Per page, the (format, text) of every QR code and Code 128 barcode found in the rendered page."""
    document = pdfium.PdfDocument(pdf)
    pages = []
    for page in document:
        width = page.get_width()
        resolution = dpi or (600 if width > 300 else 1200)  # sheets at 600 dpi, single labels at 1200
        image = page.render(scale=resolution / 72).to_pil().convert("L")
        pages.append(sorted((result.format.name, result.text) for result in zxingcpp.read_barcodes(
            image, formats=zxingcpp.BarcodeFormat.QRCode | zxingcpp.BarcodeFormat.Code128)))
    return pages


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture
def shop(session):
    f.make_workspace(session, public_base_url=BASE)
    north = f.make_location(session, "North Bench")
    south = f.make_location(session, "South Safe")
    admin = f.actor(session, f.make_user(session, Role.ADMIN, None))
    member = f.actor(session, f.make_user(session, Role.MEMBER, north))
    ring = f.make_product(session, "Gold ring", "GRING")
    north_item = f.make_item(session, ring, north, quantity=3, weight="2.5", unit="g", tag_id="GRING0001")
    south_item = f.make_item(session, ring, south, quantity=1, weight="1.25", unit="ct", tag_id="GRING0002")
    return dict(session=session, admin=admin, member=member, north=north, south=south, ring=ring,
                north_item=north_item, south_item=south_item)


@pytest.mark.parametrize("layout", list(labels.LAYOUTS))
def test_every_layout_scans_back_to_the_items_address_and_tag(shop, layout):
    made = labels.label_pdf(shop["session"], actor=shop["admin"], layout_name=layout,
                            tags=["gring0001", "GRING0002"])
    assert made.count == 2 and made.data.startswith(b"%PDF")
    pages = decoded(made.data)
    found = [code for page in pages for code in page]
    assert sorted(found) == sorted([("QRCode", f"{BASE}/inventory?item=GRING0001"), ("Code128", "GRING0001"),
                                    ("QRCode", f"{BASE}/inventory?item=GRING0002"), ("Code128", "GRING0002")])
    assert len(pages) == (1 if layout in SHEETS else 2)
    text = pdf_text(made.data)
    assert "Gold ring" in text and "2.500 g" in text and "1.250 ct" in text and "North Bench" in text


@pytest.mark.parametrize("layout", list(labels.LAYOUTS))
def test_a_50_character_tag_and_a_200_character_name_fit_and_scan(session, layout):
    f.make_workspace(session, public_base_url=BASE)
    where = f.make_location(session, "Vault")
    admin = f.actor(session, f.make_user(session, Role.ADMIN, None))
    long_name = "Very long product name " * 9  # 207 characters; products keep 120 (the column)
    product = f.make_product(session, long_name[:120], "LONG")
    tag = "LONG-" + "X1" * 17 + "-RCV1-SCRAP"
    assert len(tag) == 50
    f.make_item(session, product, where, tag_id=tag)
    made = labels.label_pdf(session, actor=admin, layout_name=layout, tags=[tag])
    assert decoded(made.data) == [sorted([("QRCode", f"{BASE}/inventory?item={tag}"), ("Code128", tag)])]
    text = pdf_text(made.data)
    assert "…" in text and long_name[:120] not in text  # shortened with an ellipsis, not overflowing
    for page in PdfReader(io.BytesIO(made.data)).pages:  # nothing drawn outside the label's box
        chosen = labels.LAYOUTS[layout]
        assert float(page.mediabox.width) == pytest.approx(chosen.page[0] if chosen.page else chosen.width)


def test_text_stays_inside_the_label(session):
    """The drawn text's right edge (pypdf's positions) stays inside the label for a long name and location."""
    f.make_workspace(session)
    where = f.make_location(session, "A location whose name is long enough to overflow a small tag")
    admin = f.actor(session, f.make_user(session, Role.ADMIN, None))
    product = f.make_product(session, "W" * 120, "WIDE")
    f.make_item(session, product, where, tag_id="WIDE0001")
    for name, chosen in labels.LAYOUTS.items():
        made = labels.label_pdf(session, actor=admin, layout_name=name, tags=["WIDE0001"])
        page = PdfReader(io.BytesIO(made.data)).pages[0]
        spans = []

        def visit(text, cm, tm, font, size, spans=spans):
            if text.strip():
                bold = "Bold" in str((font or {}).get("/BaseFont", ""))
                face = "LoupeSans-Bold" if bold else "LoupeSans"
                spans.append((tm[4] * cm[0] + cm[4], text.strip(), size * tm[0], face))
        page.extract_text(visitor_text=visit)
        from reportlab.pdfbase.pdfmetrics import stringWidth
        assert len(spans) >= 2
        for x, text, size, face in spans:
            assert x + stringWidth(text, face, size) <= chosen.margin_x + chosen.width + 0.5, (name, text)


def test_without_a_public_address_the_qr_code_holds_the_tag(shop):
    ws_settings.update_settings(shop["session"], actor=shop["admin"], public_base_url="")
    made = labels.label_pdf(shop["session"], actor=shop["admin"], layout_name="thermal", tags=["GRING0001"])
    assert decoded(made.data) == [[("Code128", "GRING0001"), ("QRCode", "GRING0001")]]


def test_one_label_per_piece(shop):
    made = labels.label_pdf(shop["session"], actor=shop["admin"], layout_name="a4",
                            item_ids=[shop["north_item"].id], per_piece=True)
    assert made.count == 3 and made.items == 1
    assert "1/3" in pdf_text(made.data) and "3/3" in pdf_text(made.data)
    assert len(decoded(made.data)[0]) == 6


@pytest.mark.parametrize("name", ["हीरे की अंगूठी", "金戒指", "خاتم ذهب"])
def test_non_latin_names_are_refused_with_a_message(session, name):
    f.make_workspace(session)
    where = f.make_location(session, "Bench")
    admin = f.actor(session, f.make_user(session, Role.ADMIN, None))
    f.make_item(session, f.make_product(session, name, "NL"), where, tag_id="NL0001")
    with pytest.raises(ValidationFailed, match="Latin letters only") as refused:
        labels.label_pdf(session, actor=admin, tags=["NL0001"])
    message = str(refused.value)
    assert "NL0001" in message and name in message
    scripts = {"हीरे की अंगूठी": "Devanagari", "金戒指": "Chinese", "خاتم ذهب": "Arabic"}
    assert scripts[name] in message


def test_latin_accents_print(session):
    f.make_workspace(session)
    where = f.make_location(session, "Zürich atelier")
    admin = f.actor(session, f.make_user(session, Role.ADMIN, None))
    f.make_item(session, f.make_product(session, "Émeraude façonnée", "EME"), where, tag_id="EME0001")
    text = pdf_text(labels.label_pdf(session, actor=admin, layout_name="a4", tags=["EME0001"]).data)
    assert "Émeraude façonnée" in text and "Zürich atelier" in text


def test_a_latin_letter_outside_the_font_is_named(session):
    f.make_workspace(session)
    admin = f.actor(session, f.make_user(session, Role.ADMIN, None))
    f.make_item(session, f.make_product(session, "Ring", "RNG"), f.make_location(session, "Łódź"), tag_id="RNG0001")
    with pytest.raises(ValidationFailed, match="RNG0001: location 'Łódź'.*'ź'"):
        labels.label_pdf(session, actor=admin, tags=["RNG0001"])


def test_bad_selections_are_refused_and_name_the_limit(shop):
    session, admin = shop["session"], shop["admin"]
    with pytest.raises(ValidationFailed, match="Nothing to print"):
        labels.label_pdf(session, actor=admin, tags=[])
    with pytest.raises(ValidationFailed, match="500"):
        labels.label_pdf(session, actor=admin, tags=[f"T{n}" for n in range(5000)])
    with pytest.raises(ValidationFailed, match="500"):
        labels.label_pdf(session, actor=admin, item_ids=range(1, 502))
    with pytest.raises(ValidationFailed, match="Code 128"):
        labels.label_pdf(session, actor=admin, tags=["GRÜN0001"])
    with pytest.raises(ValidationFailed, match="Unknown label layout"):
        labels.label_pdf(session, actor=admin, layout_name="poster", tags=["GRING0001"])
    with pytest.raises(NotFound, match="NOPE1"):
        labels.label_pdf(session, actor=admin, tags=["GRING0001", "NOPE1"])


def test_per_piece_over_the_limit_is_refused(shop):
    f.make_item(shop["session"], shop["ring"], shop["north"], quantity=600, tag_id="GRING0600")
    with pytest.raises(ValidationFailed, match="600 labels is more than the 500"):
        labels.label_pdf(shop["session"], actor=shop["admin"], tags=["GRING0600"], per_piece=True)
    with pytest.raises(ValidationFailed, match="604 labels is more than the 500"):  # 3 + 1 + 600 pieces held
        labels.label_pdf(shop["session"], actor=shop["admin"], product="Gold ring", per_piece=True)


def test_a_members_labels_never_reach_another_location(shop):
    session, member = shop["session"], shop["member"]
    with pytest.raises(NotFound, match="in your locations") as refused:
        labels.label_pdf(session, actor=member, tags=["GRING0002"])
    assert "South" not in str(refused.value)
    with pytest.raises(NotFound):
        labels.label_pdf(session, actor=member, item_ids=[shop["south_item"].id])
    made = labels.label_pdf(session, actor=member, product="gold RING")  # the product: only what North holds
    assert made.items == 1 and decoded(made.data)[0][0] == ("Code128", "GRING0001")


# ---------------------------------------------------------------------------------------------------------------
# Reading a scan
# ---------------------------------------------------------------------------------------------------------------

def test_a_scan_reads_a_tag_or_a_labels_address(shop):
    session, member = shop["session"], shop["member"]
    for typed in ("GRING0001", " gring0001 ", f"{BASE}/inventory?item=GRING0001",
                  "http://other:8501/inventory?item=gring0001"):
        assert scan.open_scanned(session, actor=member, text=typed) == "GRING0001"
    for outside in ("GRING0002", f"{BASE}/inventory?item=GRING0002", "NOSUCH1"):
        with pytest.raises(NotFound) as refused:
            scan.open_scanned(session, actor=member, text=outside)
        assert str(refused.value) == "No item with that tag in your locations."


@pytest.mark.parametrize("garbage", ["", "   ", "x" * 10_000, "DROP TABLE items;", "ÄÖÜ", f"{BASE}/orders?id=3",
                                     "\x00\x1b[31m", "A" * 51, f"{BASE}/inventory?item=A&item=B"])
def test_garbage_scans_get_a_clear_message(shop, garbage):
    with pytest.raises(ValidationFailed) as refused:
        scan.open_scanned(shop["session"], actor=shop["member"], text=garbage)
    message = str(refused.value)
    assert len(message) < 200 and ("tag" in message.lower() or "address" in message)


def test_read_scan_either_returns_a_valid_tag_or_says_why():
    """Random text (seeded) from an alphabet of tag characters, URL parts, controls and other scripts."""
    chance = random.Random(20)
    alphabet = "AZaz09-_ /:?=&%#.\x00\n\u202eअ金" + "https://inventory?item="
    for _ in range(300):
        text = "".join(chance.choice(alphabet) for _ in range(chance.randint(0, 80)))
        try:
            tag = scan.read_scan(text)
        except ValidationFailed as refused:
            assert str(refused)
        else:
            assert 1 <= len(tag) <= 50 and set(tag) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")


def test_inventory_links_name_items_by_tag_or_id_in_scope(shop):
    session, member = shop["session"], shop["member"]
    north_id = shop["north_item"].id
    assert scan.item_id_for_link(session, actor=member, reference="gring0001") == north_id
    assert scan.item_id_for_link(session, actor=member, reference=str(north_id)) == north_id
    assert scan.item_id_for_link(session, actor=member, reference="GRING0002") is None
    assert scan.item_id_for_link(session, actor=member, reference=str(shop["south_item"].id)) is None


# ---------------------------------------------------------------------------------------------------------------
# Settings and the command line
# ---------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", ["loupe.example.com", "ftp://x.example", "https://x.example/?a=1", "https:// spaced",
                                 "https://" + "x" * 200 + ".com", "javascript:alert(1)"])
def test_public_address_is_validated(shop, bad):
    with pytest.raises(ValidationFailed, match="Public address"):
        ws_settings.update_settings(shop["session"], actor=shop["admin"], public_base_url=bad)


def test_public_address_is_admin_only_and_trimmed(shop):
    workspace = ws_settings.update_settings(shop["session"], actor=shop["admin"],
                                            public_base_url=" https://shop.example.com/loupe/ ")
    assert workspace.public_base_url == "https://shop.example.com/loupe"
    with pytest.raises(PermissionDenied):
        ws_settings.update_settings(shop["session"], actor=shop["member"], public_base_url="https://a.example")


@pytest.fixture
def cli_db(fresh_url, fresh_engine, monkeypatch, tmp_path):
    from lib import db

    db.migrate(fresh_url)
    with db.session_scope(fresh_engine, write=True) as session:
        f.make_workspace(session, public_base_url=BASE)
        north, south = f.make_location(session, "North Bench"), f.make_location(session, "South Safe")
        f.make_user(session, Role.ADMIN, None, username="boss")
        f.make_user(session, Role.MEMBER, north, username="benchy")
        ring = f.make_product(session, "Gold ring", "GRING")
        f.make_item(session, ring, north, tag_id="GRING0001")
        f.make_item(session, ring, south, tag_id="GRING0002")
    monkeypatch.setenv("LOUPE_DATABASE_URL", fresh_url)
    monkeypatch.setenv("LOUPE_DATA_DIR", str(tmp_path))
    return tmp_path


def test_cli_prints_labels_as_a_named_user(cli_db, capsys):
    out = cli_db / "tags.pdf"
    assert cli.main(["labels", "--tags", "GRING0001,gring0002", "--out", str(out)]) == 0  # the only admin
    assert "2 labels" in capsys.readouterr().out
    assert [code for page in decoded(out.read_bytes()) for code in page if code[0] == "Code128"] == [
        ("Code128", "GRING0001"), ("Code128", "GRING0002")]
    assert cli.main(["labels", "--product", "Gold ring", "--layout", "letter", "--as", "benchy",
                     "--out", str(out)]) == 0
    assert decoded(out.read_bytes()) == [[("Code128", "GRING0001"), ("QRCode", f"{BASE}/inventory?item=GRING0001")]]


@pytest.mark.parametrize("arguments, message", [
    (["--tags", "GRING0002", "--as", "benchy"], "No item with tag GRING0002 in your locations"),
    (["--tags", ","], "Nothing to print"),
    (["--tags", "GRING0001", "--layout", "poster"], "Unknown label layout"),
    (["--tags", "GRING0001", "--as", "ghost"], "No active user"),
    (["--tags", ",".join(f"T{n}" for n in range(5000))], "500"),
])
def test_cli_refuses_clearly_and_writes_nothing(cli_db, capsys, arguments, message):
    out = cli_db / "refused.pdf"
    assert cli.main(["labels", *arguments, "--out", str(out)]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_random_tags_of_every_length_scan_back():
    """24 seeded random tags of 1 to 50 characters from the tag alphabet, with random addresses, on one A4
    sheet: each QR code and barcode decodes to exactly its tag and address (the fixed QR mask included).
    Rendered at 900 dpi: a 50-character tag of letters (no digit runs to pack) has bars too thin for a 600 dpi
    picture of a 70 mm label (docs/documents.md: long tags are read through the QR code on small printers)."""
    chance = random.Random(7)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-"
    tags = sorted({"".join(chance.choice(alphabet) for _ in range(chance.randint(1, 50))) for _ in range(24)})
    sheet = [labels.Label(tag=tag, name="Random", weight="1 g", location="Here",
                          code=labels.item_address(f"https://{chance.randint(1, 10**6)}.example/loupe", tag))
             for tag in tags]
    found = decoded(labels.render(sheet, "a4"), dpi=900)[0]
    assert sorted(text for kind, text in found if kind == "Code128") == tags
    assert sorted(text for kind, text in found if kind == "QRCode") == sorted(label.code for label in sheet)


@pytest.mark.parametrize("layout", list(labels.LAYOUTS))
def test_a_200_character_name_is_shortened_on_every_layout(layout):
    """Product names are stored with at most 120 characters; the drawing itself is checked with 200 (a name from
    elsewhere, e.g. a location or a future longer column) and a 50-character tag."""
    tag = "N" * 46 + "-R1"
    name = ("Two hundred characters of product name " * 6)[:200]
    pdf = labels.render([labels.Label(tag=tag + "X", name=name, weight="12.500 ct", location="L" * 200,
                                      code=labels.item_address(BASE, tag + "X"))], layout)
    text = pdf_text(pdf)
    assert "…" in text and name not in text and "L" * 200 not in text
    found = decoded(pdf, dpi=900 if layout in SHEETS else None)[0]  # 50 letters: no digit runs to pack
    assert sorted(found) == [("Code128", tag + "X"), ("QRCode", f"{BASE}/inventory?item={tag}X")]
