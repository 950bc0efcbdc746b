"""The first-start docs keep up with the code: every deployment variable and every industry is named."""
import re
from pathlib import Path

from lib.presets import industries

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_every_loupe_variable_read_by_the_settings_is_in_the_readme():
    names = set(re.findall(r'"(LOUPE_[A-Z_]+)"', (ROOT / "lib" / "config.py").read_text()))
    assert "LOUPE_DEMO" in names
    assert [name for name in sorted(names) if f"`{name}`" not in README] == []


def test_real_use_names_both_ways_and_every_industry():
    section = README.split("## Real use", 1)[1].split("\n## ", 1)[0]
    assert "make run DEMO=0" in section and "python -m lib.cli init" in section
    assert all(f"`{key}`" in section for key, _label in industries())
    assert (ROOT / "docs" / "first-start.md").exists() and "(docs/first-start.md)" in section
