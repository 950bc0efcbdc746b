"""The industry presets ship inside the package, and each one seeds a workspace's catalogs."""
from __future__ import annotations

import pytest
import yaml
from sqlalchemy import select

from lib.errors import ValidationFailed
from lib.models import CatalogEntry, CatalogKind, User, Workspace
from lib.presets import PRESETS_FILE, display_name, industries, load_presets, preset
from lib.workspace.setup import create_workspace

INDUSTRIES = [key for key, _label in industries()]


def test_the_presets_file_is_inside_the_project_and_declared_as_package_data():
    project = PRESETS_FILE.parents[2]
    assert PRESETS_FILE.parent == project / "lib" / "presets" and PRESETS_FILE.exists()
    assert '"lib.presets" = ["*.yaml", "*.txt"]' in (project / "pyproject.toml").read_text()  # + ISO 4217 list


def test_every_industry_of_the_file_loads_with_all_its_data():
    raw = yaml.safe_load(PRESETS_FILE.read_text(encoding="utf-8"))
    assert INDUSTRIES == list(raw) and {"jewelry", "gemstones", "auto_parts"} <= set(INDUSTRIES)
    for key, section in raw.items():
        loaded = preset(key)
        assert dict(loaded.data) == section  # every key kept, stages and flows included
        assert loaded.finished_types == tuple(section["finished_types"])
        assert loaded.ms_types == tuple(section["materials_and_supplies_types"])
        assert [name for name, _code in loaded.production_stages] == [s["name"] for s in section["production_stages"]]
        assert set(loaded.shapes) == set(section["shapes"])
    assert dict(industries())["auto_parts"] == "Auto parts"


def test_unknown_industry_is_refused_with_the_choices():
    with pytest.raises(ValidationFailed, match="Unknown industry 'bakery'; choose one of: gemstones, jewelry"):
        preset("bakery")
    assert preset(" Jewelry ").key == "jewelry"


def test_shape_sizes_follow_the_linked_size_groups():
    gems = preset("gemstones")
    assert gems.shape_sizes()["Round"] == list(gems.sizes_by_group()["Round sizes (diameter)"])
    jewelry = preset("jewelry")
    ring = jewelry.shape_sizes()["Half-Round"]
    assert "Mixed sizes" in ring and len(ring) == len(set(ring))


def test_product_types_are_the_product_families():
    assert preset("jewelry").product_types()[:2] == ["Ring Mounts", "Pendant Mounts"]
    assert "Ruby" not in preset("gemstones").product_types()  # a product, not a family
    assert preset("gemstones").product_types() == ["Stone Prep", "Polishing", "Testing", "Packing"]
    assert display_name("claws and heads") == "Claws and Heads"


@pytest.mark.parametrize("industry", INDUSTRIES)
def test_each_industry_seeds_its_catalogs(session, industry):
    made = create_workspace(session, name=f"{industry} works", industry=industry, admin_username="owner",
                            admin_name="Owner", admin_password="long-enough-pw", password_rounds=4)
    chosen = load_presets()[industry]
    entries = session.scalars(select(CatalogEntry)).all()
    by_kind: dict[CatalogKind, list[CatalogEntry]] = {}
    for entry in sorted(entries, key=lambda e: (e.catalog.value, e.sort_order)):
        by_kind.setdefault(entry.catalog, []).append(entry)
    assert made.catalog_entries == len(entries) == len(chosen.catalog_seed())
    assert [e.name for e in by_kind[CatalogKind.FINISHED_TYPE]] == list(chosen.finished_types)
    assert [e.name for e in by_kind[CatalogKind.MS_TYPE]] == list(chosen.ms_types)
    assert [e.name for e in by_kind[CatalogKind.SHAPE]] == list(chosen.shapes)
    sizes = {s for row in chosen.size_groups for s in row.sizes}
    assert {e.name for e in by_kind[CatalogKind.SIZE]} == sizes
    assert all(e.group_name for e in by_kind[CatalogKind.SIZE])
    assert [e.name for e in by_kind.get(CatalogKind.PRODUCT_TYPE, [])] == chosen.product_types()
    assert all(e.name_key == e.name.lower() and e.active for e in entries)
    assert session.scalars(select(Workspace.industry)).one() == industry
    assert session.scalars(select(User.username)).all() == ["owner"]
