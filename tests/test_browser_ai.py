"""Browser journeys: an admin turns AI summaries on, a manager summarises a product, the admin
turns them off again and the panel is gone; a manager reads a summary with one figure marked; an admin
imports a messy sheet with AI. The app talks to a real chat-completions server
on 127.0.0.1 (tests/fake_llm.py) that records every request."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lib import db
from lib.models import InventoryItem, Workspace
from tests.browser import save_screenshot, sign_in, wait_for_sign_in_form, wait_until_idle
from tests.factories import TEST_PASSWORD
from tests.fake_llm import FakeLLM
from tests.scenarios import two_location_workshop

pytestmark = pytest.mark.browser

REPLY = "Ruby: 1.2 g held in North. <b>not bold</b> and **not bold either**\n- Nothing moved in the last 30 days."


def ai_enabled(url: str) -> bool:
    engine = db.make_engine(url)
    with db.session_scope(engine) as session:
        enabled = session.scalars(select(Workspace)).one().ai_summaries_enabled
    engine.dispose()
    return enabled


def toggle_ai_summaries(page) -> None:
    sidebar = page.locator('[data-testid="stSidebar"]')
    toggle = sidebar.get_by_text("AI summaries", exact=True)
    if not toggle.is_visible():
        sidebar.get_by_text("Workspace settings").click()
    toggle.click()
    wait_until_idle(page)


def log_out(page) -> None:
    page.get_by_role("button", name="Log out").click()
    wait_for_sign_in_form(page)


def test_admin_turns_ai_on_manager_summarises_admin_turns_it_off(fresh_url, live_server, browser_page):
    workshop = two_location_workshop(fresh_url)
    product_path = f"product?id={workshop.product_id}"
    with FakeLLM() as fake:
        fake.reply = REPLY
        server = live_server(fresh_url, extra_env={"OPENAI_BASE_URL": fake.url, "OPENAI_API_KEY": "test",
                                                   "LOUPE_LLM_MODEL": "fake-model"})
        page = browser_page
        try:
            sign_in(page, server.url, "boss", TEST_PASSWORD)
            toggle_ai_summaries(page)
            assert ai_enabled(fresh_url)
            log_out(page)

            sign_in(page, server.url, "nina", TEST_PASSWORD, path=product_path)
            page.get_by_role("button", name="Summarise activity").click()
            page.get_by_text("Ruby: 1.2 g held in North.", exact=False).wait_for()
            wait_until_idle(page)
            summary = page.locator('[data-testid="stText"]', has_text="Ruby: 1.2 g held in North.")
            assert "<b>not bold</b> and **not bold either**" in summary.inner_text()
            assert summary.locator("b, strong").count() == 0
            assert page.get_by_text("by model fake-model for nina").is_visible()
            assert len(fake.requests) == 1 and "TRUB" not in fake.requests[0].prompt
            save_screenshot(page, "ai-summary-manager")
            page.reload()
            page.get_by_text("Ruby: 1.2 g held in North.", exact=False).wait_for()
            assert len(fake.requests) == 1  # reruns and reloads never call the model
            log_out(page)

            sign_in(page, server.url, "boss", TEST_PASSWORD, path=product_path)
            toggle_ai_summaries(page)
            assert not ai_enabled(fresh_url)
            page.get_by_text("AI summaries are off for this workspace").wait_for()
            assert page.get_by_role("button", name="Summarise activity").count() == 0
            log_out(page)

            sign_in(page, server.url, "nina", TEST_PASSWORD, path=product_path)
            page.get_by_text("AI summaries are off for this workspace").wait_for()
            assert page.get_by_text("Ruby: 1.2 g held in North.", exact=False).count() == 0
            assert page.get_by_role("button", name="Summarise activity").count() == 0
            assert len(fake.requests) == 1
        except Exception:
            save_screenshot(page, "ai-summary-journey-failure")
            raise


def test_a_manager_reads_a_summary_with_a_misattributed_figure_marked(fresh_url, live_server, browser_page):
    """Issue 17: the piece count given as the item count is marked in place and explained under the summary."""
    workshop = two_location_workshop(fresh_url)
    engine = db.make_engine(fresh_url)
    with db.session_scope(engine, write=True) as session:
        session.scalars(select(Workspace)).one().ai_summaries_enabled = True
    engine.dispose()
    with FakeLLM() as fake:
        fake.reply = "Ruby holds 1.2 g in North, in 3 items.\n- Nothing moved in the last 30 days."
        server = live_server(fresh_url, extra_env={"OPENAI_BASE_URL": fake.url, "OPENAI_API_KEY": "test",
                                                   "LOUPE_LLM_MODEL": "fake-model"})
        page = browser_page
        try:
            sign_in(page, server.url, "nina", TEST_PASSWORD, path=f"product?id={workshop.product_id}")
            page.get_by_role("button", name="Summarise activity").click()
            page.get_by_text("Ruby holds 1.2 g in North, in ⚠️[3]¹ items.", exact=False).wait_for()
            wait_until_idle(page)
            page.get_by_text("¹ 3 is the product's piece count (3), not North's item count (1).",
                             exact=False).wait_for()
            assert page.get_by_text("1 figure in this summary could not be confirmed (1 attached to the wrong "
                                    "fact)", exact=False).is_visible()
            assert len(fake.requests) == 1
            save_screenshot(page, "ai-summary-misattributed")
        except Exception:
            save_screenshot(page, "ai-summary-misattributed-failure")
            raise


MESSY = "Stone,Wt (ct),Pcs,Where\nRuby,2.5ct,3,North\nJade,\"1,5 cts\",1,South\n"
MAPPING = ('{"columns": {"Stone": "product", "Wt (ct)": "weight", "Pcs": "quantity", "Where": "location"}, '
           '"weight_unit": "ct", "decimal_comma": true, "kind": "Finished", "kind_words": {}}')


def test_an_admin_imports_a_messy_sheet_with_ai(fresh_url, live_server, browser_page, tmp_path):
    """Issue 17: "Wt (ct)" and "2.5ct" cells, mapped by the model from the headers and samples, imported."""
    two_location_workshop(fresh_url)
    engine = db.make_engine(fresh_url)
    with db.session_scope(engine, write=True) as session:
        session.scalars(select(Workspace)).one().ai_import_enabled = True
        before = session.scalar(select(func.count(InventoryItem.id)))
    sheet = tmp_path / "stones.csv"
    sheet.write_text(MESSY, encoding="utf-8")
    with FakeLLM() as fake:
        fake.reply = MAPPING
        server = live_server(fresh_url, extra_env={"OPENAI_BASE_URL": fake.url, "OPENAI_API_KEY": "test",
                                                   "LOUPE_LLM_MODEL": "fake-model"})
        page = browser_page
        try:
            sign_in(page, server.url, "boss", TEST_PASSWORD, path="inventory")
            page.get_by_role("heading", name="Inventory").wait_for()
            wait_until_idle(page)
            page.get_by_role("radio", name="Import", exact=True).click()
            wait_until_idle(page)
            panel = page.locator('[data-testid="stExpander"]', has_text="Import using AI")
            panel.get_by_text("Import using AI").click()
            panel.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(sheet))
            panel.get_by_role("button", name="Propose a mapping").click()
            panel.get_by_text("All 2 rows are ready to import.").wait_for(timeout=30_000)
            wait_until_idle(page)
            assert len(fake.requests) == 1 and "Wt (ct)" in fake.requests[0].prompt
            save_screenshot(page, "ai-import-preview")
            panel.get_by_role("button", name="Confirm import").click()
            page.get_by_text("Imported 2 rows with the AI mapping.").wait_for(timeout=30_000)
            with db.session_scope(engine) as session:
                assert session.scalar(select(func.count(InventoryItem.id))) == before + 2
        except Exception:
            save_screenshot(page, "ai-import-failure")
            raise
        finally:
            engine.dispose()
