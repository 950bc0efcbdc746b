"""Import using AI on the Inventory page (AppTest, the real app, a real HTTP server as the model): an admin drops a
messy stone list, gets a mapping for review, sees the importer's preview and confirms; with the switch off there is
no button and no request."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from lib import db
from lib.models import InventoryItem, Workspace
from lib.workspace.settings import get_workspace
from tests.apptest import point_app_at, signed_in
from tests.fake_llm import fake_llm  # noqa: F401  (fixture)
from tests.scenarios import two_location_workshop
from ui import context

MESSY = b"Stone,Wt (ct),Pcs,Where\nRuby,2.5ct,3,North\nJade,\"1,5 cts\",1,South\n"
MAPPING = {"columns": {"Stone": "product", "Wt (ct)": "weight", "Pcs": "quantity", "Where": "location"},
           "weight_unit": "ct", "decimal_comma": True, "kind": "Finished", "kind_words": {}}


@pytest.fixture(scope="module")
def shop(databases, tmp_path_factory):
    url = databases.new("ai-import-page")
    point_app_at(url, tmp_path_factory.mktemp("ai-import-page-data"))
    return two_location_workshop(url)


def set_switch(url: str, on: bool) -> None:
    engine = db.make_engine(url)
    with db.session_scope(engine, write=True) as session:
        get_workspace(session).ai_import_enabled = on
    engine.dispose()


def count_items(url: str) -> int:
    engine = db.make_engine(url)
    with db.session_scope(engine) as session:
        found = session.scalar(select(func.count(InventoryItem.id)))
    engine.dispose()
    return found


def configure(monkeypatch, url: str) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", url)
    monkeypatch.setenv("OPENAI_API_KEY", "test")
    monkeypatch.setenv("LOUPE_LLM_MODEL", "fake-model")
    monkeypatch.setenv("LOUPE_LLM_TIMEOUT", "2")
    context.settings.clear()


def import_view(shop):
    at = signed_in(shop.url, "boss", page="inventory.py")
    at.run()
    at.segmented_control(key="inv_view").set_value("Import").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_an_admin_imports_a_messy_sheet_through_the_ai_mapping(shop, monkeypatch, fake_llm):
    configure(monkeypatch, fake_llm.url)
    set_switch(shop.url, True)
    fake_llm.reply = json.dumps(MAPPING)
    before = count_items(shop.url)
    at = import_view(shop)
    at.file_uploader(key="ai_imp_file_0").set_value(("stones.csv", MESSY, "text/csv")).run()
    assert fake_llm.requests == []  # uploading sends nothing
    at.button(key="ai_imp_propose").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(fake_llm.requests) == 1
    chosen = {box.label: box.value for box in at.selectbox if box.key and box.key.startswith("ai_imp_col_")}
    assert chosen == {"Stone": "product", "Wt (ct)": "weight", "Pcs": "quantity", "Where": "location"}
    assert "All 2 rows are ready to import." in [element.value for element in at.success]
    preview = next(frame.value for frame in at.dataframe if "Problems" in frame.value.columns)
    assert list(preview["Wt (ct)"]) == ["2.5", "1.5"]
    at.button(key="ai_imp_confirm").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert count_items(shop.url) == before + 2 and len(fake_llm.requests) == 1


def test_with_the_switch_off_there_is_no_button_and_no_request(shop, monkeypatch, fake_llm):
    configure(monkeypatch, fake_llm.url)
    set_switch(shop.url, False)
    at = import_view(shop)
    assert "ai_imp_panel" not in [getattr(block, "key", None) for block in at.expander]
    assert not [uploader for uploader in at.get("file_uploader") if uploader.key == "ai_imp_file_0"]
    assert fake_llm.requests == []
    engine = db.make_engine(shop.url)
    with db.session_scope(engine) as session:
        assert session.scalar(select(Workspace.ai_import_enabled)) is False
    engine.dispose()
