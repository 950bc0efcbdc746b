"""A deterministic demo workspace: catalogs, products, stock and a year of ledger.

`build_demo(engine)` fills an empty, migrated database with a jewelry workshop:
three locations, six users (password ``loupe-demo``), the catalogs of the
`jewelry` and `gemstones` industry presets, products, inventory items with
small generated pictures, and a year of stock movements ending now.

How it stays fast and consistent:
- Everything is planned in Python first with explicit integer ids, then
  written with SQLAlchemy Core bulk inserts in chunks; no UPDATE ever touches
  a balance.
- Each item's history is simulated as discrete events in global time order
  (so movement ids grow with `moved_at`). The simulation runs twice with the
  same seed: the first pass only learns every item's final balance, location
  and status so the items can be inserted before their movements (foreign
  keys), the second pass streams the movements into the database.
- Weights are integers of 0.0001 in the item's unit while simulating, so every
  running balance is exact; `weight_after` is never negative and the item's
  cached quantity/weight/weight_g equal the sums of its movements.
- Only `random.Random(seed)` (and generators seeded from it) decides anything:
  the same seed and the same `now` give the same data.

Command line: ``python -m lib.demo --scale small|large [--database-url URL]``.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import math
import re
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from heapq import heappop, heappush
from pathlib import Path
from random import Random
from typing import Callable, Iterator

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Connection, Engine

from lib.models import (
    AuditEntry,
    CatalogEntry,
    CatalogKind,
    Image,
    InventoryItem,
    InventoryKind,
    ItemStatus,
    Location,
    MovementKind,
    Plan,
    Product,
    Role,
    StockMovement,
    TagSequence,
    User,
    Workspace,
)
from lib.tags import tag_prefix
from lib.units import to_grams

PRESETS_PATH = Path(__file__).resolve().parents[2] / "shared/reference/industry-presets.yaml"
DEMO_PASSWORD = "loupe-demo"
WORKSPACE_NAME = "Demo Jewelry Workshop"
TAG_PREFIX = "LF"
CHUNK_ROWS = 10_000
HISTORY_DAYS = 365
IMAGE_SIZE = 96
THUMB_SIZE = 48


@dataclass(frozen=True)
class Scale:
    products: int
    items: int
    movements: int
    images: int = 60


SCALES: dict[str, Scale] = {
    "small": Scale(products=40, items=3_000, movements=30_000),
    "large": Scale(products=200, items=200_000, movements=2_000_000),
}


@dataclass(frozen=True)
class DemoSummary:
    products: int
    items: int
    movements: int
    users: int
    locations: int
    images: int
    seconds: float
    scale: str = "small"

    def line(self) -> str:
        return (f"Demo workspace ({self.scale}) loaded: {self.products:,} products, {self.items:,} items, "
                f"{self.movements:,} movements, {self.users} users, {self.locations} locations, "
                f"{self.images} images in {self.seconds:.1f} s")


# ---------------------------------------------------------------------------
# Presets (copied from shared/reference/industry-presets.yaml at build time)
# ---------------------------------------------------------------------------

@dataclass
class Presets:
    jewelry_finished_types: list[str]
    gem_finished_types: list[str]
    ms_types: list[str]                      # jewelry first, then gemstone-only names
    jewelry_shapes: dict[str, list[str]]     # shape -> sizes (through its linked size groups)
    gem_shapes: dict[str, list[str]]
    size_rows: list[tuple[str, list[str]]]   # (size group stored on the entry, sizes)
    jewelry_product_types: list[str]         # jewelry default_products, e.g. "ring mounts"
    gem_products: list[str]                  # gemstones default_products, e.g. "Ruby"
    supply_categories: list[str]             # gemstones default_product_categories
    source: str


_BUILTIN_PRESETS = {
    "jewelry": {
        "finished_types": ["Rings", "Earrings", "Necklaces", "Pendants", "Bracelets", "Charms & Beads"],
        "materials_and_supplies_types": ["Precious Metals", "Gemstones", "Casting & Mold Making",
                                         "Plating & Coating", "Stone Setting & Assembly", "Packaging & Shipping"],
        "size_groups": {
            "Center stone (round)": {"sizes": ["0.8 mm", "1.0 mm", "6.5 mm", "12.0 mm", "Mixed sizes"]},
            "Shank width, Ring size (US)": {"groups": ["Shank width", "Ring size (US)"],
                                            "sizes": ["1.2 mm", "1.6 mm", "6 US", "7 US", "Mixed sizes"]},
            "Chain width, Finished chain length": {"groups": ["Chain width", "Finished chain length"],
                                                   "sizes": ["0.8 mm", "1.3 mm", "18 in", "20 in", "Mixed sizes"]},
            "Clasp length": {"sizes": ["9 mm", "12 mm", "15 mm", "Mixed sizes"]},
        },
        "shapes": {"Round": ["Center stone (round)"], "Oval": ["Center stone (round)"],
                   "Half-Round": ["Shank width", "Ring size (US)"], "Comfort-Fit": ["Ring size (US)"],
                   "Cable": ["Chain width", "Finished chain length"], "Curb": ["Chain width"],
                   "Lobster": ["Clasp length"], "Toggle": ["Clasp length"]},
        "default_products": ["ring mounts", "pendant mounts", "bezel cups", "clasps", "chains", "earring posts"],
    },
    "gemstones": {
        "finished_types": ["Faceted", "Cabochons", "Beads"],
        "materials_and_supplies_types": ["Cutting & Polishing", "Measuring & Testing", "Packaging & Shipping"],
        "size_groups": {
            "Round sizes (diameter)": {"sizes": ["1.0 mm", "3.0 mm", "5.0 mm", "8.0 mm", "Mixed sizes"]},
            "Oval sizes (length x width)": {"sizes": ["5x3 mm", "7x5 mm", "9x7 mm", "Mixed sizes"]},
            "Pear/Teardrop (length x width)": {"sizes": ["5x3 mm", "8x5 mm", "Mixed sizes"]},
        },
        "shapes": {"Round": ["Round sizes (diameter)"], "Oval": ["Oval sizes (length x width)"],
                   "Pear": ["Pear/Teardrop (length x width)"], "Cushion": ["Round sizes (diameter)"],
                   "Balls": ["Round sizes (diameter)"], "High Dome": ["Oval sizes (length x width)"]},
        "default_products": ["Aquamarine", "Diamond", "Emerald", "Ruby", "Sapphire"],
        "default_product_categories": ["polishing", "packing"],
    },
}


def _section_sizes(section: dict) -> tuple[list[tuple[str, list[str]]], dict[str, list[str]]]:
    """(rows of (first group name, sizes), size group name -> sizes) for one industry."""
    rows, by_group = [], {}
    for label, row in (section.get("size_groups") or {}).items():
        groups = [str(g) for g in (row.get("groups") or [label])]
        sizes = [str(s) for s in (row.get("sizes") or [])]
        rows.append((groups[0], sizes))
        for group in groups:
            by_group[group] = sizes
    return rows, by_group


def _shape_sizes(section: dict, by_group: dict[str, list[str]]) -> dict[str, list[str]]:
    shapes = {}
    for shape, groups in (section.get("shapes") or {}).items():
        sizes: list[str] = []
        for group in groups or []:
            for size in by_group.get(str(group), []):
                if size not in sizes:
                    sizes.append(size)
        shapes[str(shape)] = sizes
    return shapes


def _presets_from(data: dict, source: str) -> Presets:
    jewelry, gems = data["jewelry"], data["gemstones"]
    j_rows, j_groups = _section_sizes(jewelry)
    g_rows, g_groups = _section_sizes(gems)
    ms_types = [str(n) for n in jewelry["materials_and_supplies_types"]]
    keys = {n.lower() for n in ms_types}
    ms_types += [str(n) for n in gems["materials_and_supplies_types"] if str(n).lower() not in keys]
    presets = Presets(
        jewelry_finished_types=[str(n) for n in jewelry["finished_types"]],
        gem_finished_types=[str(n) for n in gems["finished_types"]],
        ms_types=ms_types,
        jewelry_shapes=_shape_sizes(jewelry, j_groups),
        gem_shapes=_shape_sizes(gems, g_groups),
        size_rows=j_rows + g_rows,
        jewelry_product_types=[str(n) for n in jewelry.get("default_products") or []],
        gem_products=[str(n) for n in gems.get("default_products") or []],
        supply_categories=[str(n) for n in gems.get("default_product_categories") or []],
        source=source,
    )
    if not (presets.jewelry_finished_types and presets.gem_finished_types and presets.ms_types
            and presets.jewelry_shapes and presets.gem_shapes and presets.size_rows):
        raise KeyError("a jewelry or gemstones catalog list is empty")
    return presets


def load_presets(path: Path | None = None) -> Presets:
    """The jewelry and gemstones presets from the shared YAML, or a small built-in
    catalog (with a printed warning) when the file is missing or unreadable."""
    path = PRESETS_PATH if path is None else Path(path)
    try:
        import yaml

        with path.open(encoding="utf-8") as handle:
            source = "shared/reference/industry-presets.yaml" if path == PRESETS_PATH else str(path)
            return _presets_from(yaml.safe_load(handle), source)
    except FileNotFoundError:
        reason = "file not found"
    except Exception as error:  # malformed YAML or missing sections: fall back, but say so
        reason = f"{type(error).__name__}: {error}"
    print(f"WARNING: industry presets unavailable at {path} ({reason}); "
          "the demo uses a small built-in catalog instead.", file=sys.stderr)
    return _presets_from(_BUILTIN_PRESETS, "built-in")


# ---------------------------------------------------------------------------
# Built-in vocabulary the presets do not name (colours, qualities, products)
# ---------------------------------------------------------------------------

COLOURS: dict[str, tuple[int, int, int]] = {
    "White": (228, 232, 240), "Yellow": (238, 196, 48), "Champagne": (214, 180, 128), "Pink": (236, 120, 170),
    "Red": (200, 30, 60), "Orange": (236, 120, 40), "Blue": (40, 90, 200), "Green": (30, 150, 80),
    "Purple": (130, 60, 170), "Black": (45, 45, 52), "Multi-colour": (90, 170, 190),
    "Yellow Gold": (212, 170, 60), "White Gold": (200, 202, 208), "Rose Gold": (214, 140, 120),
    "Silver": (180, 184, 190), "Platinum": (160, 166, 176),
}
NEUTRAL_RGB = (150, 132, 110)
QUALITIES = ["AAA", "AA", "A", "B", "Commercial"]

STONE_COLOURS: dict[str, list[str]] = {
    "diamond": ["White", "White", "White", "Yellow", "Champagne"], "ruby": ["Red", "Red", "Pink"],
    "sapphire": ["Blue", "Blue", "Blue", "Pink", "Yellow"], "emerald": ["Green"], "aquamarine": ["Blue"],
    "african amethyst": ["Purple"], "tanzanite": ["Blue", "Purple"], "tourmaline": ["Pink", "Green"],
    "garnet": ["Red", "Orange"], "peridot": ["Green"], "topaz": ["Blue", "Yellow"], "citrine": ["Yellow", "Orange"],
    "opal": ["White", "Multi-colour"], "spinel": ["Red", "Pink", "Black"], "morganite": ["Pink"],
    "tsavorite": ["Green"], "moonstone": ["White"], "lapis lazuli": ["Blue"], "turquoise": ["Blue", "Green"],
    "black onyx": ["Black"], "alexandrite": ["Green", "Purple"], "zircon": ["Blue", "White"],
    "iolite": ["Blue", "Purple"], "kunzite": ["Pink"], "labradorite": ["Multi-colour"],
    "rhodolite garnet": ["Pink", "Red"], "spessartite garnet": ["Orange"], "chrysoberyl": ["Yellow", "Green"],
}
EXTRA_STONES = [s.title() for s in STONE_COLOURS]
GEM_NAME_SHAPES = ["Round", "Oval", "Pear", "Cushion", "Emerald Cut", "Marquise", "Heart", "Trilliant", "Square"]
CABOCHON_SHAPES = ["High Dome", "Flat", "Oval", "Round"]
BEAD_SHAPES = ["Balls", "Round"]

METALS: list[tuple[str, str]] = [
    ("14K Yellow Gold", "Yellow Gold"), ("Sterling Silver", "Silver"), ("18K White Gold", "White Gold"),
    ("14K Rose Gold", "Rose Gold"), ("Platinum", "Platinum"), ("18K Yellow Gold", "Yellow Gold"),
    ("14K White Gold", "White Gold"), ("10K Yellow Gold", "Yellow Gold"), ("22K Yellow Gold", "Yellow Gold"),
    ("18K Rose Gold", "Rose Gold"), ("Palladium", "White Gold"), ("Gold Filled", "Yellow Gold"),
]
# Jewelry product type (keyword) -> finished types, share of materials items, materials type, shapes.
JEWELRY_TYPES: list[tuple[str, list[str], float, str, list[str]]] = [
    ("ring", ["Rings"], 0.3, "Stone Setting & Assembly", ["Half-Round", "Comfort-Fit", "Knife-Edge", "Euro-Shank", "Flat"]),
    ("pendant", ["Pendants"], 0.3, "Stone Setting & Assembly", ["V-Bail", "Rabbit-Ear", "Tube", "Hidden", "Ice-Pick", "Fancy"]),
    ("bezel", [], 1.0, "Stone Setting & Assembly", ["Round", "Oval", "Princess", "Emerald", "Pear", "Cushion"]),
    ("claw", [], 1.0, "Stone Setting & Assembly", ["Round", "Oval", "Princess", "Cushion", "Round Halo", "Flower"]),
    ("clasp", [], 1.0, "Stone Setting & Assembly", ["Lobster", "Spring Ring", "Toggle", "Magnetic", "Box", "Hook-Eye"]),
    ("jump ring", [], 1.0, "Stone Setting & Assembly", ["Round", "Oval"]),
    ("earring", ["Earrings"], 0.6, "Stone Setting & Assembly", ["Butterfly/Friction", "Comfort/Disc", "Screw-Back", "Straight Peg"]),
    ("chain", ["Necklaces", "Bracelets", "Anklets"], 0.35, "Precious Metals", ["Cable", "Curb", "Rope", "Figaro", "Paperclip", "Bead/Ball", "Box"]),
    ("charm", ["Charms & Beads"], 0.1, "Stone Setting & Assembly", ["Disc", "Tag", "Heart", "Bar/Rectangle", "Hexagon"]),
    ("bracelet", ["Bracelets", "Bangles & Cuffs"], 0.0, "Precious Metals", ["Cable", "Curb", "Rope", "Paperclip"]),
    ("necklace", ["Necklaces", "Jewelry Sets"], 0.0, "Precious Metals", ["Cable", "Rope", "Figaro", "Bead/Ball"]),
]
# Workshop supplies: name, materials type, bulk (weighed out of one lot) or pieces, colour, product type.
SUPPLIES: list[tuple[str, str, bool, str | None, str]] = [
    ("Fine Silver Casting Grain", "Precious Metals", True, "Silver", "Precious Metals"),
    ("24K Gold Casting Grain", "Precious Metals", True, "Yellow Gold", "Precious Metals"),
    ("Casting Investment Powder", "Casting & Mold Making", True, None, "Workshop Supplies"),
    ("Polishing Compound", "Cleaning & Surface Chemicals", True, None, "polishing"),
    ("Jewelry Gift Boxes", "Packaging & Shipping", False, None, "packing"),
    ("Diamond Saw Blades", "Cutting & Polishing", False, None, "stone prep"),
    ("Refractometer Fluid", "Measuring & Testing", True, None, "testing"),
    ("Rhodium Plating Solution", "Plating & Coating", True, None, "Workshop Supplies"),
    ("14K Yellow Gold Casting Alloy", "Precious Metals", True, "Yellow Gold", "Precious Metals"),
    ("Sterling Silver Sheet", "Precious Metals", True, "Silver", "Precious Metals"),
    ("Injection Wax", "Casting & Mold Making", True, None, "Workshop Supplies"),
    ("Dop Wax", "Stone Mounting & Prep", True, None, "stone prep"),
    ("Setting Burs", "Stone Setting & Assembly", False, None, "Workshop Supplies"),
    ("Shipping Mailers", "Packaging & Shipping", False, None, "packing"),
    ("Cerium Oxide Polish", "Cutting & Polishing", True, None, "polishing"),
    ("Ultrasonic Cleaning Solution", "Cleaning & Surface Chemicals", True, None, "polishing"),
    ("Gold Solder Wire", "Precious Metals", True, "Yellow Gold", "Precious Metals"),
    ("Vulcanizing Rubber", "Casting & Mold Making", True, None, "Workshop Supplies"),
    ("Dop Sticks", "Stone Mounting & Prep", False, None, "stone prep"),
    ("Nitrile Gloves", "Safety & Protection", False, None, "Workshop Supplies"),
    ("Safety Glasses", "Workshop Supplies & Safety", False, None, "Workshop Supplies"),
    ("Emery Paper", "Workshop Supplies & Safety", False, None, "polishing"),
    ("Flex Shaft Handpieces", "Workshop Machinery & Equipment", False, None, "Workshop Supplies"),
    ("Heat Treatment Crucibles", "Gemstone Treatments", False, None, "stone prep"),
    ("Gem Tweezers", "Measuring & Testing", False, None, "testing"),
    ("Sterling Silver Wire", "Precious Metals", True, "Silver", "Precious Metals"),
    ("Palladium Casting Grain", "Precious Metals", True, "White Gold", "Precious Metals"),
    ("Silicone Mold Compound", "Casting & Mold Making", True, None, "Workshop Supplies"),
    ("Pickling Compound", "Cleaning & Surface Chemicals", True, None, "polishing"),
    ("Velvet Ring Trays", "Packaging & Shipping", False, None, "packing"),
]
LOOSE_GEMSTONES = "Loose Gemstones"

LOCATIONS = [
    ("Main Workshop", "MAIN", "Workshop"),
    ("Downtown Store", "STORE", "Store"),
    ("Cutting Studio", "CUT", "Production facility"),
]
# username, name, role, location number (1-based) or None
USERS = [
    ("admin", "Alex Morgan", Role.ADMIN, None),
    ("manager", "Priya Shah", Role.MANAGER, 1),
    ("member", "Sam Lee", Role.MEMBER, 1),
    ("manager2", "Jordan Reyes", Role.MANAGER, 2),
    ("member2", "Mia Chen", Role.MEMBER, 2),
    ("member3", "Omar Haddad", Role.MEMBER, 3),
]
# Who records movements at each location (weighted by repetition); the admin sometimes steps in.
LOCATION_USERS = {1: [2, 3, 3, 3], 2: [4, 5, 5], 3: [6]}
ADMIN_SHARE = 0.08

ITEM_NOTES = ["Parcel from Jaipur supplier", "Certificate on file", "Consignment stock", "Re-cut from older stock",
              "Matched pair", "Customer reserve", "Calibrated lot", "Needs re-polish", "Heat treated",
              "Photographed for the website"]
ADD_REASONS = ["Recount", "Re-weighed", "Found during stocktake", "Returned from bench"]
DEDUCT_REASONS = ["Recount", "Re-weighed after cleaning", "Breakage", "Polishing loss", "Stocktake correction"]


# ---------------------------------------------------------------------------
# Planning (pure Python, deterministic)
# ---------------------------------------------------------------------------

KIND_CODES = (InventoryKind.ROUGH, InventoryKind.FINISHED, InventoryKind.MATERIALS)
MOVE_RECEIPT, MOVE_IMPORT, MOVE_ISSUE, MOVE_ADJUST, MOVE_OUT, MOVE_IN, MOVE_WRITE_OFF = range(7)
MOVE_KINDS = (MovementKind.RECEIPT, MovementKind.IMPORT, MovementKind.ISSUE, MovementKind.ADJUSTMENT,
              MovementKind.TRANSFER_OUT, MovementKind.TRANSFER_IN, MovementKind.WRITE_OFF)
UNIT_SCALE = 10_000  # weights are simulated as integers of 0.0001


def _nice(text: str) -> str:
    """'claws and heads' -> 'Claws and Heads' (small words stay lower case)."""
    small = {"and", "or", "of", "the", "for"}
    words = text.strip().split()
    return " ".join(w if w[:1].isupper() or (i and w.lower() in small) else w.capitalize()
                    for i, w in enumerate(words))


def _words(text: str) -> list[str]:
    return re.findall(r"[A-Z0-9]+", text.upper())


def _code(word: str, letters: int = 4) -> str:
    return word if any(c.isdigit() for c in word) else word[:letters]


def _short_base(qualifier: str, head: str) -> str:
    """Initials of the qualifier words + '-' + a code for the head words."""
    initials = "".join(_code(w, 1) for w in _words(qualifier))
    head_words = _words(head)
    head_code = (_code(head_words[0]) if len(head_words) == 1
                 else "".join(_code(w, 1) for w in head_words if w not in ("AND", "OF")))
    return f"{initials}-{head_code}" if initials else head_code


def _unique_short(base: str, taken: set[str]) -> str:
    base = re.sub(r"[^A-Z0-9-]", "", base.upper())[:17].strip("-") or "ITEM"
    if base[-1].isdigit():  # a trailing digit would run into the tag number
        base = base[:16] + "X"
    candidate, letter = base, 0
    while candidate in taken:
        candidate = f"{base}-{chr(ord('B') + letter)}"
        letter += 1
    taken.add(candidate)
    return candidate


@dataclass
class ProductPlan:
    id: int
    name: str
    short_name: str
    product_type: str
    archetype: str            # "gem", "jewelry" or "supply"
    colours: list[str]
    shape: str | None = None  # gem products named by shape ("Round Diamond")
    jewelry: tuple | None = None
    supply: tuple | None = None
    created_offset_days: int = 0


@dataclass
class CatalogPlan:
    rows: list[dict]
    ids: dict[CatalogKind, dict[str, int]]

    def id(self, kind: CatalogKind, name: str | None) -> int | None:
        return None if name is None else self.ids[kind].get(name.lower())


def _catalog(presets: Presets, product_types: list[str]) -> CatalogPlan:
    rows: list[dict] = []
    ids: dict[CatalogKind, dict[str, int]] = {kind: {} for kind in CatalogKind}

    def add(kind: CatalogKind, name: str, group: str | None = None) -> None:
        key = name.strip().lower()
        if not key or key in ids[kind]:
            return
        entry_id = len(rows) + 1
        ids[kind][key] = entry_id
        rows.append({"id": entry_id, "catalog": kind, "name": name.strip()[:120], "name_key": key[:120],
                     "group_name": group, "sort_order": len(ids[kind]) - 1, "active": True})

    for name in product_types:
        add(CatalogKind.PRODUCT_TYPE, name)
    for name in presets.jewelry_finished_types + presets.gem_finished_types:
        add(CatalogKind.FINISHED_TYPE, name)
    for name in presets.ms_types:
        add(CatalogKind.MS_TYPE, name)
    for name in list(presets.jewelry_shapes) + list(presets.gem_shapes):
        add(CatalogKind.SHAPE, name)
    for group, sizes in presets.size_rows:
        for size in sizes:
            add(CatalogKind.SIZE, size, group)
    for name in COLOURS:
        add(CatalogKind.COLOUR, name)
    for name in QUALITIES:
        add(CatalogKind.QUALITY, name)
    return CatalogPlan(rows, ids)


def _products(rng: Random, presets: Presets, count: int) -> tuple[list[ProductPlan], list[str]]:
    """`count` products (gemstones, jewelry components, workshop supplies), biggest first."""
    gem_shapes = [s for s in GEM_NAME_SHAPES if s in presets.gem_shapes]
    stones = list(dict.fromkeys(presets.gem_products + EXTRA_STONES))
    head_stone = next((s for s in stones if s.lower() == "diamond"), stones[0])
    gem_names = [(None, s) for s in stones] + [(shape, s) for s in stones for shape in gem_shapes]
    gem_head = [(gem_shapes[0] if gem_shapes else None, head_stone)] + [(None, s) for s in presets.gem_products]
    gem_rest = [g for g in gem_names if g not in gem_head]
    rng.shuffle(gem_rest)
    gem_order = list(dict.fromkeys(gem_head + gem_rest))

    types = presets.jewelry_product_types or ["ring mounts", "chains"]
    jewelry_order = [(m, t) for m in METALS[:2] for t in types]
    rest = [(m, t) for m in METALS[2:] for t in types]
    rng.shuffle(rest)
    jewelry_order += rest
    supply_order = list(SUPPLIES)

    n_supply = max(1, round(count * 0.15))
    n_jewelry = max(1, round(count * 0.40))
    n_gem = count - n_supply - n_jewelry
    picks: list[tuple[str, object]] = ([("gem", g) for g in gem_order[:n_gem]]
                                       + [("jewelry", j) for j in jewelry_order[:n_jewelry]]
                                       + [("supply", s) for s in supply_order[:n_supply]])
    spare = ([("gem", g) for g in gem_order[n_gem:]] + [("jewelry", j) for j in jewelry_order[n_jewelry:]]
             + [("supply", s) for s in supply_order[n_supply:]])
    picks += spare[: max(0, count - len(picks))]

    product_types = [LOOSE_GEMSTONES] + [_nice(t) for t in types] + ["Precious Metals", "Workshop Supplies"] \
        + [_nice(c) for c in presets.supply_categories]
    product_types = list(dict.fromkeys(product_types))

    plans: list[ProductPlan] = []
    names: set[str] = set()
    shorts: set[str] = set()
    for archetype, spec in picks:
        if archetype == "gem":
            shape, stone = spec
            name = f"{shape} {stone}" if shape else stone
            short = _short_base(shape or "", stone)
            plan = ProductPlan(0, name, "", LOOSE_GEMSTONES, "gem",
                               STONE_COLOURS.get(stone.lower()) or [rng.choice(list(COLOURS)[:11])], shape=shape)
        elif archetype == "jewelry":
            (metal, colour), ptype = spec
            name = f"{metal} {_nice(ptype)}"
            short = _short_base(metal, ptype)
            rule = next((r for r in JEWELRY_TYPES if r[0] in ptype.lower()), None)
            if rule is None:
                rule = (ptype, presets.jewelry_finished_types[:3], 0.2, presets.ms_types[0], list(presets.jewelry_shapes)[:6])
            plan = ProductPlan(0, name, "", _nice(ptype), "jewelry", [colour], jewelry=rule)
        else:
            name, ms_type, bulk, colour, ptype = spec
            short = "".join(_code(w, 1) for w in _words(name))
            plan = ProductPlan(0, name, "", _nice(ptype), "supply", [colour] if colour else [], supply=spec)
        if name.lower() in names:
            continue
        names.add(name.lower())
        plan.name = name
        plan.short_name = _unique_short(short, shorts)
        plan.id = len(plans) + 1
        plan.created_offset_days = rng.randint(20, 120)
        plans.append(plan)
    return plans, product_types


def _allocate(total: int, weights: list[float]) -> list[int]:
    """Split `total` into integers proportional to `weights` (largest remainders)."""
    whole = sum(weights)
    raw = [total * w / whole for w in weights]
    counts = [int(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: (counts[i] - raw[i], i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _loguniform(rng: Random, low: float, high: float) -> float:
    return math.exp(rng.uniform(math.log(low), math.log(high)))


def _weight_units(value: float, places: int) -> int:
    """A weight rounded to `places` decimals, as integer 0.0001 units (at least one step)."""
    step = 10 ** (4 - places)
    return max(step, int(round(value * 10 ** places)) * step)


@dataclass
class ItemsPlan:
    """Parallel lists, one entry per item, in id order (= receipt time order)."""
    cls: list[tuple]          # (product_id, kind, finished_type_id, ms_type_id, shape_id, size_id, colour_id, quality_id)
    unit: list[str]
    t0: list[int]             # receipt, seconds after the history start
    q0: list[int]
    w0: list[int]             # 0.0001 units of the item's own unit
    loc0: list[int]
    bulk: list[bool]
    budget: list[int]         # movements after the receipt
    image_id: list[int | None]
    hold: list[ItemStatus | None]
    notes: list[str]
    tag: list[str]
    product_items: dict[int, int] = field(default_factory=dict)


def _pick_location(rng: Random, weights: tuple[float, float, float]) -> int:
    return rng.choices((1, 2, 3), weights)[0]


def _items(rng: Random, scale: Scale, products: list[ProductPlan], catalog: CatalogPlan, presets: Presets,
           image_pool: dict[str | None, list[int]], horizon: int) -> ItemsPlan:
    C = CatalogKind
    counts = _allocate(scale.items, [1.0 / (rank + 1) for rank in range(len(products))])
    # The biggest share goes to the first product (Round Diamond); the rest in a seeded order.
    order = [products[0]] + rng.sample(products[1:], len(products) - 1)
    count_of = {p.id: c for p, c in zip(order, counts)}
    gem_ft = presets.gem_finished_types
    gem_ft_weights = [0.65, 0.2, 0.15] + [0.05] * (len(gem_ft) - 3)
    faceted_shapes = [s for s in presets.gem_shapes if presets.gem_shapes[s] and s not in ("Mix", "Balls", "High Dome", "Flat")]

    def size_for(shape: str | None, shapes: dict[str, list[str]]) -> int | None:
        sizes = shapes.get(shape or "", [])
        if not sizes or rng.random() < 0.06:
            return None
        named = [s for s in sizes if s.lower() != "mixed sizes"] or sizes
        return catalog.id(C.SIZE, rng.choice(named) if rng.random() > 0.05 else sizes[-1])

    def gem_quality() -> int | None:
        return catalog.id(C.QUALITY, rng.choices(QUALITIES, (10, 25, 35, 20, 10))[0])

    raw: list[tuple] = []
    for product in products:
        for _ in range(count_of[product.id]):
            bulk = False
            ft = ms = shape = size = quality = None
            colour = rng.choice(product.colours) if product.colours else None
            if product.archetype == "gem":
                unit = "ct"
                if rng.random() < 0.3:
                    kind = InventoryKind.ROUGH
                    q = rng.randint(1, 80)
                    w = _weight_units(q * _loguniform(rng, 0.4, 30.0), 2)
                    loc = _pick_location(rng, (0.3, 0.0, 0.7))
                else:
                    kind = InventoryKind.FINISHED
                    ft_name = rng.choices(gem_ft, gem_ft_weights[: len(gem_ft)])[0]
                    ft = catalog.id(C.FINISHED_TYPE, ft_name)
                    if ft_name.lower().startswith("cab"):
                        options = [s for s in CABOCHON_SHAPES if s in presets.gem_shapes]
                    elif ft_name.lower().startswith("bead"):
                        options = [s for s in BEAD_SHAPES if s in presets.gem_shapes]
                    else:
                        options = [product.shape] if product.shape else faceted_shapes
                    shape_name = rng.choice(options or faceted_shapes)
                    shape, size = catalog.id(C.SHAPE, shape_name), size_for(shape_name, presets.gem_shapes)
                    q = 1 if rng.random() < 0.3 else rng.randint(2, 60)
                    w = _weight_units(q * _loguniform(rng, 0.02, 6.0), 3)
                    loc = _pick_location(rng, (0.5, 0.3, 0.2))
                quality = gem_quality()
            elif product.archetype == "jewelry":
                _key, finished, material_share, ms_name, shape_names = product.jewelry
                unit = "g"
                shape_name = rng.choice([s for s in shape_names if s in presets.jewelry_shapes] or [None])
                shape, size = catalog.id(C.SHAPE, shape_name), size_for(shape_name, presets.jewelry_shapes)
                if not finished or rng.random() < material_share:
                    kind = InventoryKind.MATERIALS
                    ms = catalog.id(C.MS_TYPE, ms_name) or catalog.id(C.MS_TYPE, presets.ms_types[0])
                    q = rng.randint(10, 400)
                    w = _weight_units(q * _loguniform(rng, 0.05, 2.0), 3)
                    loc = _pick_location(rng, (0.7, 0.1, 0.2))
                else:
                    kind = InventoryKind.FINISHED
                    names = [n for n in finished if catalog.id(C.FINISHED_TYPE, n)] or presets.jewelry_finished_types[:1]
                    ft = catalog.id(C.FINISHED_TYPE, rng.choice(names))
                    q = 1 if rng.random() < 0.5 else rng.randint(2, 12)
                    w = _weight_units(q * _loguniform(rng, 0.8, 25.0), 2)
                    loc = _pick_location(rng, (0.5, 0.5, 0.0))
                    if rng.random() < 0.6:
                        quality = catalog.id(C.QUALITY, rng.choice(QUALITIES[:3]))
            else:
                _name, ms_name, bulk, _colour, _ptype = product.supply
                kind = InventoryKind.MATERIALS
                ms = catalog.id(C.MS_TYPE, ms_name) or catalog.id(C.MS_TYPE, presets.ms_types[-1])
                unit = "g"
                if bulk:
                    q = rng.randint(1, 3)
                    if ms_name == "Precious Metals" and rng.random() < 0.15:
                        unit = "ozt"
                        w = _weight_units(_loguniform(rng, 1.0, 40.0), 3)
                    else:
                        w = _weight_units(_loguniform(rng, 50.0, 2000.0), 1)
                else:
                    q = rng.randint(5, 200)
                    w = _weight_units(q * _loguniform(rng, 2.0, 150.0), 1)
                loc = _pick_location(rng, (0.7, 0.1, 0.2))
            t0 = int(horizon * rng.random())
            hold = None
            r = rng.random()
            if r < 0.04:
                hold = ItemStatus.ON_HOLD
            elif r < 0.05:
                hold = ItemStatus.ARCHIVED
            image = rng.choice(image_pool.get(colour) or image_pool[None]) if rng.random() < 0.3 else None
            note = rng.choice(ITEM_NOTES) if rng.random() < 0.1 else ""
            activity = (horizon - t0) / horizon * rng.uniform(0.4, 1.6)
            raw.append((t0, len(raw), (product.id, kind, ft, ms, shape, size, catalog.id(C.COLOUR, colour), quality),
                        unit, q, w, loc, bulk, activity, image, hold, note))
    raw.sort(key=lambda r: (r[0], r[1]))
    budgets = _allocate(scale.movements - len(raw), [r[8] for r in raw]) if raw else []

    by_id = {p.id: p for p in products}
    numbers: dict[int, int] = {}
    tags = []
    for entry in raw:
        product = by_id[entry[2][0]]
        numbers[product.id] = numbers.get(product.id, 0) + 1
        tags.append(f"{tag_prefix(TAG_PREFIX, product.short_name, product.name)}{numbers[product.id]:04d}")
    return ItemsPlan(cls=[r[2] for r in raw], unit=[r[3] for r in raw], t0=[r[0] for r in raw],
                     q0=[r[4] for r in raw], w0=[r[5] for r in raw], loc0=[r[6] for r in raw],
                     bulk=[r[7] for r in raw], budget=budgets, image_id=[r[9] for r in raw],
                     hold=[r[10] for r in raw], notes=[r[11] for r in raw], tag=tags, product_items=numbers)


# ---------------------------------------------------------------------------
# The stock history: a discrete-event simulation in global time order
# ---------------------------------------------------------------------------

@dataclass
class HistoryState:
    quantity: list[int]
    weight: list[int]
    location: list[int]
    last_t: list[int]
    receipt_user: list[int]
    movements: int = 0


def _simulate(items: ItemsPlan, seed: int, horizon: int, state: HistoryState) -> Iterator[tuple]:
    """Yield (item index, t, move code, dq, dw, q after, w after, location, user, reference, note)
    in time order; leaves every item's final balance in `state`. Never lets a balance go
    below zero; an item is emptied only by its last movement."""
    rng = Random(seed)
    random_ = rng.random
    q, w, loc = state.quantity, state.weight, state.location
    last_t, receipt_user = state.last_t, state.receipt_user
    budget = list(items.budget)
    bulk = items.bulk
    received = bytearray(len(q))
    heap = [(t, i) for i, t in enumerate(items.t0)]  # sorted, hence already a heap
    other_locations = {1: (2, 3), 2: (1, 3), 3: (1, 2)}

    def user_at(location: int) -> int:
        return 1 if random_() < ADMIN_SHARE else rng.choice(LOCATION_USERS[location])

    while heap:
        t, i = heappop(heap)
        qi, wi, li = q[i], w[i], loc[i]
        if not received[i]:
            received[i] = 1
            user = receipt_user[i] = user_at(li)
            if random_() < 0.08:
                yield (i, t, MOVE_IMPORT, qi, wi, qi, wi, li, user, f"IMPORT-{t // 604_800 + 1:03d}", "Spreadsheet import")
            else:
                yield (i, t, MOVE_RECEIPT, qi, wi, qi, wi, li, user, f"PO-{rng.randint(1000, 9999)}", "")
            state.movements += 1
        else:
            left = budget[i]
            x = random_()
            if left == 1 and x < 0.3:  # the last movement empties the item
                code = MOVE_WRITE_OFF if random_() < 0.12 else MOVE_ISSUE
                note = "Damaged beyond repair" if code == MOVE_WRITE_OFF else "Issued in full"
                q[i] = w[i] = 0
                yield (i, t, code, -qi, -wi, 0, 0, li, user_at(li), f"JOB-{rng.randint(10000, 99999)}", note)
                budget[i] = 0
                state.movements += 1
            elif left >= 2 and x < 0.07:  # move the whole item to another location
                to = rng.choice(other_locations[li])
                user = user_at(li)
                reference = f"TR-{rng.randint(100000, 999999)}"
                yield (i, t, MOVE_OUT, -qi, -wi, 0, 0, li, user, reference, "")
                loc[i] = to
                yield (i, t, MOVE_IN, qi, wi, qi, wi, to, user, reference, "")
                budget[i] = left - 2
                state.movements += 2
            else:
                dq = dw = 0
                code = MOVE_ISSUE if x < 0.62 else MOVE_ADJUST
                if code == MOVE_ISSUE:
                    if not bulk[i] and qi >= 2:
                        dq = -rng.randint(1, max(1, qi // 3))
                        dw = -(wi * -dq // qi)
                    elif bulk[i] and wi >= 2:
                        dw = -max(1, int(wi * rng.uniform(0.02, 0.25)))
                    else:
                        code = MOVE_ADJUST
                if code == MOVE_ADJUST:
                    if random_() < 0.55:  # deduct, keeping some stock
                        if not bulk[i] and qi >= 2 and random_() < 0.35:
                            dq, dw = -1, -(wi // qi)
                        elif wi >= 2:
                            dw = -max(1, int(wi * rng.uniform(0.001, 0.03)))
                    if dq == 0 and dw == 0:  # add
                        if not bulk[i] and random_() < 0.35:
                            dq, dw = 1, wi // max(qi, 1)
                        else:
                            dw = max(1, int(wi * rng.uniform(0.001, 0.03)))
                    reasons = ADD_REASONS if dq > 0 or dw > 0 else DEDUCT_REASONS
                    reference, note = "", rng.choice(reasons)
                else:
                    job = random_() < 0.7
                    reference = f"JOB-{rng.randint(10000, 99999)}" if job else f"SO-{rng.randint(1000, 9999)}"
                    note = "Issued to production" if job else "Picked for sales order"
                qi += dq
                wi += dw
                q[i], w[i] = qi, wi
                yield (i, t, code, dq, dw, qi, wi, li, user_at(li), reference, note)
                budget[i] = left - 1
                state.movements += 1
        last_t[i] = t
        left = budget[i]
        if left > 0:
            heappush(heap, (t + int((horizon - t) * (1.0 - random_() ** (1.0 / left))), i))


def _fresh_state(items: ItemsPlan) -> HistoryState:
    n = len(items.q0)
    return HistoryState(list(items.q0), list(items.w0), list(items.loc0), list(items.t0), [1] * n)


# ---------------------------------------------------------------------------
# Pictures
# ---------------------------------------------------------------------------

def _png(image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _shade(rgb: tuple[int, int, int], factor: float) -> tuple[int, int, int]:
    if factor >= 1:
        return tuple(int(c + (255 - c) * (factor - 1)) for c in rgb)
    return tuple(int(c * factor) for c in rgb)


def _gem_picture(rgb: tuple[int, int, int], variant: int, rng: Random):
    """A 96x96 picture: soft background, a faceted stone (or a band for metals)."""
    from PIL import Image as PILImage, ImageDraw

    size = IMAGE_SIZE
    top, bottom = _shade(rgb, 1.85), _shade(rgb, 1.55)
    mask = PILImage.linear_gradient("L").resize((size, size))
    picture = PILImage.composite(PILImage.new("RGB", (size, size), bottom),
                                 PILImage.new("RGB", (size, size), top), mask)
    draw = ImageDraw.Draw(picture)
    cx, cy = size / 2 + rng.uniform(-4, 4), size / 2 + rng.uniform(-4, 4)
    r = rng.uniform(26, 36)
    form = variant % 6
    if form == 5:  # a band: ring for metals and findings
        draw.ellipse((cx - r, cy - r * 0.8, cx + r, cy + r * 0.8), fill=_shade(rgb, 0.7))
        draw.ellipse((cx - r * 0.72, cy - r * 0.55, cx + r * 0.72, cy + r * 0.55), fill=top)
        draw.arc((cx - r, cy - r * 0.8, cx + r, cy + r * 0.8), 200, 300, fill=_shade(rgb, 1.5), width=3)
        return picture
    sides = {0: 16, 1: 16, 2: 8, 3: 10, 4: 12}[form]
    stretch_x, stretch_y = {0: (1.0, 1.0), 1: (0.75, 1.0), 2: (0.8, 1.05), 3: (0.75, 1.05), 4: (1.0, 0.9)}[form]
    rotation = rng.uniform(0, math.pi / sides)
    outline = []
    for k in range(sides):
        angle = rotation + 2 * math.pi * k / sides
        radius = r
        if form == 3:  # pear: pointed at the top
            radius = r * (1.0 + 0.35 * max(0.0, -math.sin(angle)))
        if form == 2 and k % 2:  # emerald cut: clipped corners
            radius = r * 0.86
        outline.append((cx + radius * stretch_x * math.cos(angle), cy + radius * stretch_y * math.sin(angle)))
    for k in range(sides):  # facets: triangles from the centre, alternating light and dark
        a, b = outline[k], outline[(k + 1) % sides]
        light = 0.75 + 0.5 * ((k * 7 + variant) % 5) / 4
        draw.polygon([(cx, cy), a, b], fill=_shade(rgb, light))
    table = [(cx + (x - cx) * 0.5, cy + (y - cy) * 0.5) for x, y in outline]
    draw.polygon(table, fill=_shade(rgb, 1.12), outline=_shade(rgb, 0.6))
    draw.polygon(outline, outline=_shade(rgb, 0.5))
    hx, hy = cx - r * 0.35, cy - r * 0.4
    draw.ellipse((hx - 4, hy - 3, hx + 4, hy + 3), fill=(255, 255, 255))
    return picture


def _images(rng: Random, count: int, created_at: datetime) -> tuple[list[dict], dict[str | None, list[int]]]:
    """`count` distinct pictures spread over the colours (None = supplies, neutral)."""
    from PIL import Image as PILImage

    keys: list[str | None] = list(COLOURS) + [None]
    rows, pool = [], {}
    for index in range(count):
        key = keys[index % len(keys)]
        rgb = COLOURS.get(key, NEUTRAL_RGB) if key else NEUTRAL_RGB
        rank = index // len(keys)
        metal = key in ("Yellow Gold", "White Gold", "Rose Gold", "Silver", "Platinum")
        form = 5 if metal and rank % 2 == 0 else (rank + rng.randint(0, 4)) % 5
        picture = _gem_picture(rgb, form + 6 * rng.randint(0, 4), rng)
        data = _png(picture)
        thumbnail = _png(picture.resize((THUMB_SIZE, THUMB_SIZE), PILImage.LANCZOS))
        image_id = index + 1
        rows.append({"id": image_id, "sha256": hashlib.sha256(data).hexdigest(), "mime_type": "image/png",
                     "width": IMAGE_SIZE, "height": IMAGE_SIZE, "data": data, "thumbnail": thumbnail,
                     "created_at": created_at, "created_by_id": 1})
        pool.setdefault(key, []).append(image_id)
    pool.setdefault(None, [1])
    return rows, pool


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------

def is_empty(engine: Engine) -> bool:
    """True when the database has no workspace row yet (a demo may be loaded)."""
    with engine.connect() as connection:
        return connection.execute(select(Workspace.id).limit(1)).first() is None


def _insert(connection: Connection, table, rows: list[dict]) -> None:
    for start in range(0, len(rows), CHUNK_ROWS):
        connection.execute(insert(table.__table__), rows[start:start + CHUNK_ROWS])


def _decimal(units: int) -> Decimal:
    return Decimal(units).scaleb(-4)


class _Progress:
    """Prints "label done/total" about ten times per phase."""

    def __init__(self, report: Callable[[str], object], label: str, total: int):
        self.report, self.label, self.total = report, label, total
        self.step = max(CHUNK_ROWS, -(-total // 10 // CHUNK_ROWS) * CHUNK_ROWS)
        self.next = min(self.step, total)

    def update(self, done: int) -> None:
        if done >= self.next:
            self.report(f"{self.label} {done:,}/{self.total:,}")
            self.next = min(self.next + self.step, self.total) if done < self.total else self.total + 1


def build_demo(engine: Engine, *, scale: str = "small", seed: int = 7, progress=print,
               now: datetime | None = None) -> DemoSummary:
    """Fill an empty, migrated database with the demo workspace; return what was made.

    Raises ValueError when the database already holds a workspace or `scale` is unknown.
    `now` (default: the current time) ends the year of generated history.
    """
    started = time.perf_counter()
    if scale not in SCALES:
        raise ValueError(f"Unknown demo scale {scale!r}; use one of: {', '.join(SCALES)}.")
    if not is_empty(engine):
        raise ValueError("The database already has a workspace; the demo can only be loaded into an "
                         "empty database. Point --database-url at a new database file.")
    size = SCALES[scale]
    report = progress or (lambda _message: None)
    now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(microsecond=0)
    start = now - timedelta(days=HISTORY_DAYS)
    horizon = int((now - start).total_seconds())
    rng = Random(seed)

    presets = load_presets()
    report(f"presets: {presets.source}")
    products, product_types = _products(rng, presets, size.products)
    catalog = _catalog(presets, product_types)
    image_rows, image_pool = _images(Random(rng.getrandbits(64)), size.images, start - timedelta(days=30))
    report(f"catalog: {len(catalog.rows):,} entries, {len(products):,} products, {len(image_rows)} images")
    items = _items(rng, size, products, catalog, presets, image_pool, horizon)
    history_seed = rng.getrandbits(64)

    report(f"planning the stock history of {len(items.q0):,} items")
    final = _fresh_state(items)
    for _movement in _simulate(items, history_seed, horizon, final):
        pass

    password_hash = _hash_password()
    from lib.db import writer

    with writer(engine).connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:  # a bigger page cache for this connection only; restored below
            connection.exec_driver_sql("PRAGMA cache_size=-262144")
            connection.commit()
        try:
            with connection.begin():
                if connection.execute(select(Workspace.id).limit(1)).first() is not None:
                    raise ValueError("The database already has a workspace; the demo can only be loaded "
                                     "into an empty database.")
                _write_everything(connection, report, now, start, presets, products, catalog, image_rows,
                                  items, final, history_seed, horizon, password_hash, scale, seed)
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA cache_size=-2000")
                connection.commit()
        _after_bulk_load(connection)

    summary = DemoSummary(products=len(products), items=len(items.q0), movements=final.movements,
                          users=len(USERS), locations=len(LOCATIONS), images=len(image_rows),
                          seconds=round(time.perf_counter() - started, 2), scale=scale)
    return summary


def _hash_password() -> str:
    from lib.users import hash_password

    return hash_password(DEMO_PASSWORD)  # bcrypt is slow: once, shared by all demo users


def _write_everything(connection: Connection, report, now: datetime, start: datetime, presets: Presets,
                      products: list[ProductPlan], catalog: CatalogPlan, image_rows: list[dict],
                      items: ItemsPlan, final: HistoryState, history_seed: int, horizon: int,
                      password_hash: str, scale: str, seed: int) -> None:
    _insert(connection, Workspace, [{
        "id": 1, "name": WORKSPACE_NAME, "industry": "jewelry", "plan": Plan.PROFESSIONAL,
        "default_weight_unit": "g", "tag_prefix": TAG_PREFIX, "ai_summaries_enabled": False,
        "managers_all_locations": False, "updated_at": now}])
    _insert(connection, Location, [{"id": n, "name": name, "short_name": short, "kind": kind, "active": True}
                                   for n, (name, short, kind) in enumerate(LOCATIONS, start=1)])
    _insert(connection, User, [{
        "id": n, "username": username, "name": name, "email": f"{username}@demo.loupe.example",
        "password_hash": password_hash, "role": role, "location_id": location, "active": True,
        "last_login_at": None, "created_at": start - timedelta(days=150)}
        for n, (username, name, role, location) in enumerate(USERS, start=1)])
    _insert(connection, CatalogEntry, catalog.rows)
    _insert(connection, Image, image_rows)
    _insert(connection, Product, [{
        "id": p.id, "name": p.name, "name_key": p.name.lower(), "short_name": p.short_name,
        "product_type_id": catalog.id(CatalogKind.PRODUCT_TYPE, p.product_type), "image_item_id": None,
        "active": True, "created_at": start - timedelta(days=p.created_offset_days)} for p in products])
    report(f"products {len(products):,}/{len(products):,}")

    total = len(items.q0)
    meter = _Progress(report, "items", total)
    rows: list[dict] = []
    for i in range(total):
        product_id, kind, ft, ms, shape, size, colour, quality = items.cls[i]
        quantity, weight, unit = final.quantity[i], final.weight[i], items.unit[i]
        weight_decimal = _decimal(weight)
        if quantity == 0 and weight == 0:
            status = ItemStatus.CONSUMED
        else:
            status = items.hold[i] or ItemStatus.AVAILABLE
        rows.append({
            "id": i + 1, "tag_id": items.tag[i], "product_id": product_id, "kind": kind,
            "finished_type_id": ft, "ms_type_id": ms, "shape_id": shape, "size_id": size,
            "colour_id": colour, "quality_id": quality, "quantity": quantity, "weight": weight_decimal,
            "weight_unit": unit, "weight_g": to_grams(weight_decimal, unit), "location_id": final.location[i],
            "image_id": items.image_id[i], "status": status, "notes": items.notes[i],
            "created_at": start + timedelta(seconds=items.t0[i]), "created_by_id": final.receipt_user[i],
            "updated_at": start + timedelta(seconds=final.last_t[i])})
        if len(rows) == CHUNK_ROWS:
            _insert(connection, InventoryItem, rows)
            rows = []
            meter.update(i + 1)
    _insert(connection, InventoryItem, rows)
    meter.update(total)

    # The product picture: the product's first item that has one.
    first_picture: dict[int, int] = {}
    for i in range(total):
        if items.image_id[i] is not None:
            first_picture.setdefault(items.cls[i][0], i + 1)
    if first_picture:
        connection.execute(
            update(Product.__table__).where(Product.__table__.c.id == bindparam("pid"))
            .values(image_item_id=bindparam("iid")),
            [{"pid": pid, "iid": iid} for pid, iid in sorted(first_picture.items())])

    _write_movements(connection, report, items, history_seed, horizon, start, final.movements)

    _insert(connection, TagSequence, [
        {"prefix": tag_prefix(TAG_PREFIX, p.short_name, p.name), "last_number": items.product_items.get(p.id, 0)}
        for p in products if items.product_items.get(p.id)])
    connection.execute(insert(AuditEntry.__table__).values(
        at=now, user_id=None, action="load demo", entity="workspace", entity_id="1", old_values=None,
        new_values=json.dumps({"scale": scale, "seed": seed, "products": len(products), "items": total,
                               "movements": final.movements, "presets": presets.source}, sort_keys=True)))


def _write_movements(connection: Connection, report, items: ItemsPlan, history_seed: int, horizon: int,
                     start: datetime, expected: int) -> None:
    meter = _Progress(report, "movements", expected)
    state = _fresh_state(items)
    cls, units = items.cls, items.unit
    grams_cache: dict[tuple[int, str], Decimal] = {}
    table = StockMovement.__table__
    statement = insert(table)
    rows: list[dict] = []
    movement_id = 0
    for i, t, code, dq, dw, qa, wa, location, user, reference, note in _simulate(items, history_seed, horizon, state):
        movement_id += 1
        product_id, kind, ft, ms, shape, size, colour, quality = cls[i]
        unit = units[i]
        delta = _decimal(dw)
        grams = grams_cache.get((dw, unit))
        if grams is None:
            grams = to_grams(delta, unit)
            if len(grams_cache) < 200_000:
                grams_cache[(dw, unit)] = grams
        rows.append({
            "id": movement_id, "item_id": i + 1, "product_id": product_id, "location_id": location,
            "kind": kind, "finished_type_id": ft, "ms_type_id": ms, "shape_id": shape, "size_id": size,
            "colour_id": colour, "quality_id": quality, "movement_kind": MOVE_KINDS[code],
            "quantity_delta": dq, "weight_delta": delta, "weight_delta_g": grams, "quantity_after": qa,
            "weight_after": _decimal(wa), "user_id": user, "moved_at": start + timedelta(seconds=t),
            "reference": reference, "note": note})
        if len(rows) == CHUNK_ROWS:
            connection.execute(statement, rows)
            rows = []
            meter.update(movement_id)
    if rows:
        connection.execute(statement, rows)
    meter.update(movement_id)
    if movement_id != expected:
        raise RuntimeError(f"Demo history is not repeatable: {movement_id} movements, expected {expected}.")


def _after_bulk_load(connection: Connection) -> None:
    """PostgreSQL: move the id sequences past the explicit ids. Both: refresh planner statistics."""
    tables = ["workspace", "locations", "users", "catalog_entries", "images", "products", "inventory_items",
              "stock_movements", "audit_log"]
    if connection.dialect.name == "postgresql":
        with connection.begin():
            for table in tables:
                connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}")
            connection.exec_driver_sql("ANALYZE")
    elif connection.dialect.name == "sqlite":
        with connection.begin():
            connection.exec_driver_sql("PRAGMA analysis_limit=1000")
            connection.exec_driver_sql("ANALYZE")


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib.demo", description="Load the Loupe Factory demo workspace.")
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--database-url", help="default: LOUPE_DATABASE_URL or the data folder's SQLite file")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    from lib import db

    url = args.database_url
    if not url:
        from lib.config import load_settings

        url = load_settings().database_url
    db.migrate(url)
    engine = db.make_engine(url)
    began = time.perf_counter()

    def progress(message: str) -> None:
        print(f"[{time.perf_counter() - began:6.1f}s] {message}", flush=True)

    try:
        summary = build_demo(engine, scale=args.scale, seed=args.seed, progress=progress)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(summary.line(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
