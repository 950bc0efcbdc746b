"""Docs that cannot rot: every workspace setting and every page is in the README."""
from pathlib import Path

import pytest

from lib.workspace.settings import SETTINGS
from ui.navigation import PAGES

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


@pytest.mark.parametrize("spec", SETTINGS, ids=lambda spec: spec.field)
def test_every_workspace_setting_is_documented(spec):
    assert f"`{spec.field}`" in README and spec.label in README


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.url_path or "home")
def test_every_page_is_documented(page):
    assert f"`/{page.url_path}" in README


def test_quick_start_is_two_commands():
    assert "make run" in README and "make test" in README


def test_linked_docs_exist():
    root = Path(__file__).resolve().parent.parent
    for name in ("docs/inventory.md", "docs/product-details.md", "docs/ai-summaries.md", "docs/orders.md",
                 "docs/production.md", "docs/reports.md"):
        if f"({name})" in README:
            assert (root / name).exists(), name


def test_every_deployment_variable_is_in_the_configuration_table():
    import re

    source = (Path(__file__).resolve().parent.parent / "lib" / "config.py").read_text()
    for name in sorted(set(re.findall(r'"(LOUPE_[A-Z_]+)"', source))):
        assert f"`{name}`" in README, name
