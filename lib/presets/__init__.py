"""Industry presets: the starter catalogs a new workspace gets for its industry.

The data is `industry-presets.yaml` beside this module, shipped as package
data (a verbatim copy of the product reference's preset file, every key kept:
production stages, inventory flows and teams are there for later modules).
It is read once per process; `load_presets()` returns immutable objects.

What a new workspace is seeded with (`IndustryPreset.catalog_seed()`):
- finished types and materials & supplies types, in the file's order;
- shapes, in the file's order;
- sizes, each stored once with the first size group that lists it (the
  catalog keeps one entry per name), in the file's order;
- product types: the preset's product families, `default_product_categories`
  and the `default_products` written in lower case. The file's convention is
  that lower-case entries are generic product types ("ring mounts") while
  capitalised ones name single products ("Ruby"); products are not created,
  since the source lists are partial (`default_products_complete: false`).
Colours and qualities are not in the presets: a new workspace starts with
those lists empty.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

import yaml

from lib.errors import ConfigurationError, ValidationFailed
from lib.models import CatalogKind

PRESETS_FILE = Path(__file__).resolve().with_name("industry-presets.yaml")
_SMALL_WORDS = {"and", "or", "of", "the", "for"}
_REQUIRED = ("finished_types", "materials_and_supplies_types", "size_groups", "shapes")


def display_name(text: str) -> str:
    """'claws and heads' -> 'Claws and Heads' (small words stay lower case, capitals are kept)."""
    words = text.strip().split()
    return " ".join(w if w[:1].isupper() or (i and w.lower() in _SMALL_WORDS) else w.capitalize()
                    for i, w in enumerate(words))


@dataclass(frozen=True)
class SizeGroupRow:
    """One row of a preset's size groups: its label, the groups sharing it, their sizes."""

    label: str
    groups: tuple[str, ...]
    sizes: tuple[str, ...]


@dataclass(frozen=True)
class IndustryPreset:
    """The starter data of one industry, as written in the presets file."""

    key: str
    label: str
    finished_types: tuple[str, ...]
    ms_types: tuple[str, ...]
    size_groups: tuple[SizeGroupRow, ...]
    shapes: Mapping[str, tuple[str, ...]]  # shape -> linked size groups
    default_products: tuple[str, ...]
    default_product_categories: tuple[str, ...]
    production_stages: tuple[tuple[str, str], ...]  # (name, code)
    data: Mapping  # the industry's whole section, for what later modules read

    def sizes_by_group(self) -> dict[str, tuple[str, ...]]:
        """Size group name -> its sizes (pooled rows give each group the row's sizes)."""
        return {group: row.sizes for row in self.size_groups for group in row.groups}

    def shape_sizes(self) -> dict[str, list[str]]:
        """Shape -> the sizes of its linked size groups, without repeats, in file order."""
        by_group = self.sizes_by_group()
        shapes: dict[str, list[str]] = {}
        for shape, groups in self.shapes.items():
            sizes: list[str] = []
            for group in groups:
                sizes.extend(s for s in by_group.get(group, ()) if s not in sizes)
            shapes[shape] = sizes
        return shapes

    def product_types(self) -> list[str]:
        """Product families: the categories, and the lower-case default products (see the module doc)."""
        names = list(self.default_product_categories)
        names += [name for name in self.default_products if name == name.lower()]
        return list(dict.fromkeys(display_name(name) for name in names))

    def catalog_seed(self) -> list[tuple[CatalogKind, str, str | None]]:
        """(catalog, name, size group or None) for every entry a new workspace starts with.

        Names are unique per catalog ignoring case; the first occurrence wins."""
        rows: list[tuple[CatalogKind, str, str | None]] = []
        seen: set[tuple[CatalogKind, str]] = set()

        def add(kind: CatalogKind, name: str, group: str | None = None) -> None:
            key = (kind, name.strip().lower())
            if name.strip() and key not in seen:
                seen.add(key)
                rows.append((kind, name.strip(), group))

        for name in self.product_types():
            add(CatalogKind.PRODUCT_TYPE, name)
        for name in self.finished_types:
            add(CatalogKind.FINISHED_TYPE, name)
        for name in self.ms_types:
            add(CatalogKind.MS_TYPE, name)
        for name in self.shapes:
            add(CatalogKind.SHAPE, name)
        for row in self.size_groups:
            for size in row.sizes:
                add(CatalogKind.SIZE, size, row.groups[0])
        return rows


def _strings(values) -> tuple[str, ...]:
    return tuple(str(value) for value in values or ())


def _industry(key: str, section: dict) -> IndustryPreset:
    missing = [name for name in _REQUIRED if not section.get(name)]
    if missing:
        raise ConfigurationError(f"The {key!r} industry preset in {PRESETS_FILE.name} lacks {', '.join(missing)}.")
    size_groups = tuple(
        SizeGroupRow(str(label), _strings(row.get("groups") or [label]), _strings(row.get("sizes")))
        for label, row in section["size_groups"].items())
    return IndustryPreset(
        key=key,
        label=key.replace("_", " ").capitalize(),
        finished_types=_strings(section["finished_types"]),
        ms_types=_strings(section["materials_and_supplies_types"]),
        size_groups=size_groups,
        shapes=MappingProxyType({str(shape): _strings(groups) for shape, groups in section["shapes"].items()}),
        default_products=_strings(section.get("default_products")),
        default_product_categories=_strings(section.get("default_product_categories")),
        production_stages=tuple((str(s["name"]), str(s["code"])) for s in section.get("production_stages") or ()),
        data=MappingProxyType(section),
    )


@lru_cache(maxsize=1)
def load_presets() -> Mapping[str, IndustryPreset]:
    """Every industry preset in the shipped file, by industry key, in file order."""
    try:
        with PRESETS_FILE.open(encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except (OSError, yaml.YAMLError) as error:
        raise ConfigurationError(f"The industry presets cannot be read from {PRESETS_FILE}: {error}") from None
    if not isinstance(data, dict) or not data:
        raise ConfigurationError(f"{PRESETS_FILE} holds no industry presets.")
    return MappingProxyType({str(key): _industry(str(key), section) for key, section in data.items()})


def industries() -> list[tuple[str, str]]:
    """(key, label) of every industry, in file order: what `init --industry` and the form offer."""
    return [(key, preset.label) for key, preset in load_presets().items()]


def preset(industry: str) -> IndustryPreset:
    """The preset of `industry` (its key, e.g. "jewelry"); ValidationFailed names the choices."""
    presets = load_presets()
    key = (industry or "").strip().lower()
    if key not in presets:
        raise ValidationFailed(f"Unknown industry {industry!r}; choose one of: {', '.join(presets)}.")
    return presets[key]


def stage_loss_norms(industry: str) -> dict[str, Decimal]:
    """Stage code -> the preset's allowed loss % for that stage (`loss_norm_pct`; stages without one left out).

    Unknown industries have none. Used to seed new stages and by lib.reports.norms."""
    try:
        stages = preset(industry).data.get("production_stages") or ()
    except ValidationFailed:
        return {}
    return {str(stage["code"]): Decimal(str(stage["loss_norm_pct"])).quantize(Decimal("0.01"))
            for stage in stages if stage.get("loss_norm_pct") is not None}
