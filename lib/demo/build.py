"""A deterministic demo workspace: catalogs, products, stock and a year of ledger.

`build_demo(engine)` fills an empty, migrated database with a jewelry workshop:
three locations, six users (password ``loupe-demo``), the catalogs of the
`jewelry` and `gemstones` industry presets, products, inventory items with
small generated pictures, and a year of stock movements ending now; then
`lib.demo.production` adds the production stages and jobs through the lib.

How it stays fast and consistent:
- Everything is planned in Python with explicit integer ids, then written in
  chunks of 10,000 rows in one transaction; no UPDATE ever touches a balance.
- Each item's history is simulated as discrete events in global time order (so
  movement ids grow with `moved_at`) and recorded compactly; items are written
  with their final balance, location and status, then their movements.
- Weights are integers of 0.0001 in the item's unit while simulating, so every
  running balance is exact: `quantity_after`/`weight_after` are never negative
  and each item's quantity, weight and weight_g equal the sums of its movements.
- Only `random.Random(seed)` (and generators seeded from it) decides anything:
  the same seed and the same `now` give the same data.
- The catalogs come from the shipped industry presets (`lib.presets`).

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
from array import array
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from heapq import heappop, heappush
from itertools import accumulate
from operator import itemgetter
from random import Random
from typing import Callable

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Connection, Engine

from lib import ledger
from lib.demo.costing import add_demo_costing
from lib.demo.orders import add_demo_orders
from lib.demo.bulk_production import add_bulk_production
from lib.demo.production import ProductionDemo, build_production
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
from lib.presets import display_name
from lib.presets import preset as industry_preset
from lib.tags import tag_prefix
from lib.units import UNITS_BY_SYMBOL, to_grams
from lib.workspace.users import DEMO_PASSWORD, hash_password

PRESETS_SOURCE = "lib/presets/industry-presets.yaml"
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
    jobs: int = 0  # production jobs added in bulk (lib.demo.bulk_production) after the lib-made ones


SCALES: dict[str, Scale] = {
    "small": Scale(products=40, items=3_000, movements=30_000),
    "large": Scale(products=200, items=200_000, movements=2_000_000, jobs=20_000),
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
    jobs: int = 0  # production jobs (lib.demo.production), with the items and movements they made
    job_items: int = 0
    job_movements: int = 0
    orders: int = 0  # lib.demo.orders: orders made, and the items and movements they added (not in the above)
    order_items: int = 0
    order_movements: int = 0

    def line(self) -> str:
        return (f"Demo workspace ({self.scale}) loaded: {self.products:,} products, {self.items:,} items, "
                f"{self.movements:,} movements, {self.users} users, {self.locations} locations, "
                f"{self.images} images, {self.orders} orders, {self.jobs} production jobs (+{self.job_items:,} "
                f"items, +{self.job_movements:,} movements) in {self.seconds:.1f} s")


# ---------------------------------------------------------------------------
# Presets (lib/presets: the jewelry and gemstones industries)
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


def load_presets() -> Presets:
    """The demo's view of the shipped jewelry and gemstones presets."""
    jewelry, gems = industry_preset("jewelry"), industry_preset("gemstones")
    ms_types = list(jewelry.ms_types)
    keys = {n.lower() for n in ms_types}
    ms_types += [n for n in gems.ms_types if n.lower() not in keys]
    return Presets(
        jewelry_finished_types=list(jewelry.finished_types),
        gem_finished_types=list(gems.finished_types),
        ms_types=ms_types,
        jewelry_shapes=jewelry.shape_sizes(),
        gem_shapes=gems.shape_sizes(),
        size_rows=[(row.groups[0], list(row.sizes)) for row in jewelry.size_groups + gems.size_groups],
        jewelry_product_types=list(jewelry.default_products),
        gem_products=list(gems.default_products),
        supply_categories=list(gems.default_product_categories),
        source=PRESETS_SOURCE,
    )


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
# Jewelry product type (first keyword found in it, so "ring" comes after "jump ring" and "earring")
# -> finished types, share of materials items, materials type, shapes.
JEWELRY_TYPES: list[tuple[str, list[str], float, str, list[str]]] = [
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
    ("ring", ["Rings"], 0.3, "Stone Setting & Assembly", ["Half-Round", "Comfort-Fit", "Knife-Edge", "Euro-Shank", "Flat"]),
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

MOVE_RECEIPT, MOVE_IMPORT, MOVE_ISSUE, MOVE_ADJUST, MOVE_OUT, MOVE_IN, MOVE_WRITE_OFF = range(7)
MOVE_KINDS = (MovementKind.RECEIPT, MovementKind.IMPORT, MovementKind.ISSUE, MovementKind.ADJUSTMENT,
              MovementKind.TRANSFER_OUT, MovementKind.TRANSFER_IN, MovementKind.WRITE_OFF)


_nice = display_name


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

    product_types = list(dict.fromkeys(
        [LOOSE_GEMSTONES] + [_nice(t) for t in types] + [_nice(c) for c in presets.supply_categories]
        + [_nice(supply[4]) for supply in SUPPLIES]))

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
            name, _ms_type, _bulk, colour, ptype = spec
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


def _budget_archive_write_offs(budgets: list[int], holds: list) -> None:
    """An item planned as archived needs its last movement for the write-off that archiving makes:
    give each one without a movement one taken from an item with several (the total is unchanged)."""
    donors = (i for i, budget in enumerate(budgets) if budget >= 2)
    for i, hold in enumerate(holds):
        if hold is ItemStatus.ARCHIVED and budgets[i] == 0:
            donor = next(donors, None)
            if donor is None:
                return
            budgets[donor] -= 1
            budgets[i] = 1


def _allocate(total: int, weights: list[float]) -> list[int]:
    """Split `total` into integers proportional to `weights` (largest remainders)."""
    whole = sum(weights)
    raw = [total * w / whole for w in weights]
    counts = [int(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: (counts[i] - raw[i], i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


class _Dice:
    """Fast draws from one `random.Random`: its choice()/randint()/choices() cost a few
    microseconds each, which adds up over millions of draws."""

    __slots__ = ("random",)

    def __init__(self, rng: Random):
        self.random = rng.random

    def pick(self, options):
        return options[int(self.random() * len(options))]

    def between(self, low: int, high: int) -> int:
        return low + int(self.random() * (high - low + 1))

    def uniform(self, low: float, high: float) -> float:
        return low + (high - low) * self.random()

    def loguniform(self, low: float, high: float) -> float:
        return math.exp(self.uniform(math.log(low), math.log(high)))

    def weighted(self, options, cumulative: list[float]):
        return options[bisect_right(cumulative, self.random() * cumulative[-1])]


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


def _shape_options(names, shapes: dict[str, list[str]], catalog: CatalogPlan) -> list[tuple]:
    """(shape id, ids of its named sizes, id of its group's last entry, usually "Mixed sizes")."""
    options = []
    for name in names:
        if name not in shapes or catalog.id(CatalogKind.SHAPE, name) is None:
            continue
        sizes = shapes[name]
        named = [catalog.id(CatalogKind.SIZE, s) for s in sizes if s.lower() != "mixed sizes"]
        options.append((catalog.id(CatalogKind.SHAPE, name), [s for s in named if s],
                        catalog.id(CatalogKind.SIZE, sizes[-1]) if sizes else None))
    return options


def _shape_and_size(dice: _Dice, options: list[tuple]) -> tuple[int | None, int | None]:
    if not options:
        return None, None
    shape_id, sizes, last = dice.pick(options)
    r = dice.random()
    if r < 0.06 or not (sizes or last):
        return shape_id, None
    if r < 0.11 or not sizes:
        return shape_id, last
    return shape_id, dice.pick(sizes)


LOCATION_IDS = (1, 2, 3)
ROUGH_AT = list(accumulate((0.3, 0.0, 0.7)))
CUT_STONES_AT = list(accumulate((0.5, 0.3, 0.2)))
JEWELRY_AT = list(accumulate((0.5, 0.5, 0.0)))
MATERIALS_AT = list(accumulate((0.7, 0.1, 0.2)))
GEM_QUALITY_WEIGHTS = list(accumulate((10, 25, 35, 20, 10)))


def _items(rng: Random, scale: Scale, products: list[ProductPlan], catalog: CatalogPlan, presets: Presets,
           image_pool: dict[str | None, list[int]], horizon: int) -> ItemsPlan:
    C = CatalogKind
    dice = _Dice(rng)
    counts = _allocate(scale.items, [1.0 / (rank + 1) for rank in range(len(products))])
    # The biggest share goes to the first product (Round Diamond); the rest in a seeded order.
    order = [products[0]] + rng.sample(products[1:], len(products) - 1)
    count_of = {p.id: c for p, c in zip(order, counts)}

    qualities = [catalog.id(C.QUALITY, q) for q in QUALITIES]
    gem_finished = [catalog.id(C.FINISHED_TYPE, n) for n in presets.gem_finished_types]
    gem_finished_at = list(accumulate(([0.65, 0.2, 0.15] + [0.05] * len(gem_finished))[: len(gem_finished)]))
    faceted = [s for s in presets.gem_shapes if presets.gem_shapes[s] and s not in ("Mix", "Balls", "High Dome", "Flat")]
    faceted_options = _shape_options(faceted, presets.gem_shapes, catalog)
    gem_shape_options = []
    for name in presets.gem_finished_types:
        if name.lower().startswith("cab"):
            options = _shape_options(CABOCHON_SHAPES, presets.gem_shapes, catalog)
        elif name.lower().startswith("bead"):
            options = _shape_options(BEAD_SHAPES, presets.gem_shapes, catalog)
        else:
            options = None  # faceted: the product's own shape, else any faceted shape
        gem_shape_options.append(options or None)
    ms_default = catalog.id(C.MS_TYPE, presets.ms_types[0])

    raw: list[tuple] = []
    for product in products:
        colours = [(name, catalog.id(C.COLOUR, name)) for name in product.colours]
        own_shape = _shape_options([product.shape], presets.gem_shapes, catalog) if product.shape else []
        if product.archetype == "jewelry":
            _key, finished, material_share, ms_name, shape_names = product.jewelry
            jewelry_shapes = _shape_options(shape_names, presets.jewelry_shapes, catalog)
            finished_ids = [i for i in (catalog.id(C.FINISHED_TYPE, n) for n in finished) if i]
            jewelry_ms = catalog.id(C.MS_TYPE, ms_name) or ms_default
        elif product.archetype == "supply":
            _name, ms_name, bulk_supply, _colour, _ptype = product.supply
            supply_ms = catalog.id(C.MS_TYPE, ms_name) or catalog.id(C.MS_TYPE, presets.ms_types[-1])
            metal = ms_name == "Precious Metals"
        for _ in range(count_of[product.id]):
            bulk = False
            ft = ms = shape = size = quality = None
            colour_name, colour = dice.pick(colours) if colours else (None, None)
            unit = "g"
            if product.archetype == "gem":
                unit = "ct"
                if dice.random() < 0.3:
                    kind = InventoryKind.ROUGH
                    q = dice.between(1, 80)
                    w = _weight_units(q * dice.loguniform(0.4, 30.0), 2)
                    loc = dice.weighted(LOCATION_IDS, ROUGH_AT)
                else:
                    kind = InventoryKind.FINISHED
                    index = bisect_right(gem_finished_at, dice.random() * gem_finished_at[-1])
                    ft = gem_finished[index]
                    shape, size = _shape_and_size(dice, gem_shape_options[index] or own_shape or faceted_options)
                    q = 1 if dice.random() < 0.3 else dice.between(2, 60)
                    w = _weight_units(q * dice.loguniform(0.02, 6.0), 3)
                    loc = dice.weighted(LOCATION_IDS, CUT_STONES_AT)
                quality = dice.weighted(qualities, GEM_QUALITY_WEIGHTS)
            elif product.archetype == "jewelry":
                shape, size = _shape_and_size(dice, jewelry_shapes)
                if not finished_ids or dice.random() < material_share:
                    kind = InventoryKind.MATERIALS
                    ms = jewelry_ms
                    q = dice.between(10, 400)
                    w = _weight_units(q * dice.loguniform(0.05, 2.0), 3)
                    loc = dice.weighted(LOCATION_IDS, MATERIALS_AT)
                else:
                    kind = InventoryKind.FINISHED
                    ft = dice.pick(finished_ids)
                    q = 1 if dice.random() < 0.5 else dice.between(2, 12)
                    w = _weight_units(q * dice.loguniform(0.8, 25.0), 2)
                    loc = dice.weighted(LOCATION_IDS, JEWELRY_AT)
                    if dice.random() < 0.6:
                        quality = dice.pick(qualities[:3])
            else:
                kind = InventoryKind.MATERIALS
                ms = supply_ms
                bulk = bulk_supply
                if bulk:
                    q = dice.between(1, 3)
                    if metal and dice.random() < 0.15:
                        unit = "ozt"
                        w = _weight_units(dice.loguniform(1.0, 40.0), 3)
                    else:
                        w = _weight_units(dice.loguniform(50.0, 2000.0), 1)
                else:
                    q = dice.between(5, 200)
                    w = _weight_units(q * dice.loguniform(2.0, 150.0), 1)
                loc = dice.weighted(LOCATION_IDS, MATERIALS_AT)
            t0 = int(horizon * dice.random())
            r = dice.random()
            hold = ItemStatus.ON_HOLD if r < 0.04 else ItemStatus.ARCHIVED if r < 0.05 else None
            image = dice.pick(image_pool.get(colour_name) or image_pool[None]) if dice.random() < 0.3 else None
            note = dice.pick(ITEM_NOTES) if dice.random() < 0.1 else ""
            activity = (horizon - t0) / horizon * dice.uniform(0.4, 1.6)
            if q == 1 and not bulk:  # a single stone or piece moves less than a parcel or a lot
                activity *= 0.35
            raw.append((t0, len(raw), (product.id, kind, ft, ms, shape, size, colour, quality),
                        unit, q, w, loc, bulk, activity, image, hold, note))
    raw.sort(key=lambda r: (r[0], r[1]))
    budgets = _allocate(scale.movements - len(raw), [r[8] for r in raw]) if raw else []
    _budget_archive_write_offs(budgets, [r[10] for r in raw])

    prefixes = {p.id: tag_prefix(TAG_PREFIX, p.short_name, p.name) for p in products}
    numbers: dict[int, int] = {}
    tags = []
    for entry in raw:
        product_id = entry[2][0]
        number = numbers[product_id] = numbers.get(product_id, 0) + 1
        tags.append(f"{prefixes[product_id]}{number:04d}")
    return ItemsPlan(cls=[r[2] for r in raw], unit=[r[3] for r in raw], t0=[r[0] for r in raw],
                     q0=[r[4] for r in raw], w0=[r[5] for r in raw], loc0=[r[6] for r in raw],
                     bulk=[r[7] for r in raw], budget=budgets, image_id=[r[9] for r in raw],
                     hold=[r[10] for r in raw], notes=[r[11] for r in raw], tag=tags, product_items=numbers)


# ---------------------------------------------------------------------------
# The stock history: a discrete-event simulation in global time order
# ---------------------------------------------------------------------------

BUCKET_SECONDS = 3_600
RECORD = 8  # slots per recorded movement: item, t, dq, dw, q after, w after, packed codes, reference number
REFERENCE_FORMATS = ("", "PO-%d", "IMPORT-%03d", "JOB-%d", "SO-%d", "TR-%d", "archive")
REF_NONE, REF_PO, REF_IMPORT, REF_JOB, REF_SO, REF_TRANSFER, REF_ARCHIVE = range(7)
ARCHIVE_REASON = "Discontinued: written off when archived"
MOVEMENT_NOTES = list(dict.fromkeys(["", "Spreadsheet import", "Issued in full", "Damaged beyond repair",
                                     "Issued to production", "Picked for sales order", ARCHIVE_REASON]
                                    + ADD_REASONS + DEDUCT_REASONS))
_NOTE = {note: index for index, note in enumerate(MOVEMENT_NOTES)}
ADD_NOTES = [_NOTE[n] for n in ADD_REASONS]
DEDUCT_NOTES = [_NOTE[n] for n in DEDUCT_REASONS]


@dataclass
class History:
    """Every movement, compactly: RECORD integers each in one array (about 64 bytes a
    movement), in the order they happened; plus every item's final state."""
    records: array
    quantity: list[int]
    weight: list[int]
    location: list[int]
    last_t: list[int]
    receipt_user: list[int]

    @property
    def movements(self) -> int:
        return len(self.records) // RECORD


def _pack(code: int, location: int, user: int, reference: int, note: int) -> int:
    return code | location << 3 | user << 5 | reference << 8 | note << 11


def _simulate(items: ItemsPlan, seed: int, horizon: int) -> History:
    """Run every item's history in time order.

    Each item has a budget of movements after its receipt, spread over the time
    left until now. No balance goes below zero; only an item's last movement
    empties it, and an item planned as archived always ends with the write-off
    that archiving makes (`lib.inventory.stock.archive`). Events wait in hourly buckets (a heap of 200,000 pending items is
    slow); each bucket is a small heap, so the order is exactly (time, item).
    """
    rand = Random(seed).random
    n = len(items.q0)
    q, w, loc = list(items.q0), list(items.w0), list(items.loc0)
    last_t, receipt_user = list(items.t0), [1] * n
    budget = list(items.budget)
    archived = [hold is ItemStatus.ARCHIVED for hold in items.hold]
    bulk = items.bulk
    received = bytearray(n)
    records = array("q")
    record = records.extend
    staff = {location: tuple(users) for location, users in LOCATION_USERS.items()}
    others = {1: (2, 3), 2: (1, 3), 3: (1, 2)}
    buckets: list[list[int] | None] = [[] for _ in range(horizon // BUCKET_SECONDS + 1)]
    for i, t in enumerate(items.t0):
        buckets[t // BUCKET_SECONDS].append(t * n + i)

    def user_at(location: int) -> int:
        if rand() < ADMIN_SHARE:
            return 1
        users = staff[location]
        return users[int(rand() * len(users))]

    for b in range(len(buckets)):
        pending = buckets[b]
        buckets[b] = None
        pending.sort()  # a sorted list is a heap
        while pending:
            t, i = divmod(heappop(pending), n)
            qi, wi, li = q[i], w[i], loc[i]
            left = budget[i]
            if not received[i]:
                received[i] = 1
                user = receipt_user[i] = user_at(li)
                if rand() < 0.08:
                    record((i, t, qi, wi, qi, wi, _pack(MOVE_IMPORT, li, user, REF_IMPORT, 1), t // 604_800 + 1))
                else:
                    record((i, t, qi, wi, qi, wi, _pack(MOVE_RECEIPT, li, user, REF_PO, 0), 1000 + int(rand() * 9000)))
            else:
                x = rand()
                if left == 1 and archived[i]:  # archiving writes off what is still held (stock.archive)
                    q[i] = w[i] = 0
                    record((i, t, -qi, -wi, 0, 0, _pack(MOVE_WRITE_OFF, li, user_at(li), REF_ARCHIVE,
                                                        _NOTE[ARCHIVE_REASON]), 0))
                    left = 0
                elif left == 1 and x < 0.3:  # the last movement empties the item
                    code, note = (MOVE_WRITE_OFF, 3) if rand() < 0.12 else (MOVE_ISSUE, 2)
                    q[i] = w[i] = 0
                    record((i, t, -qi, -wi, 0, 0, _pack(code, li, user_at(li), REF_JOB, note),
                            10000 + int(rand() * 90000)))
                    left = 0
                elif left >= 2 + archived[i] and (x < 0.07 or (x < 0.62 and qi == 1 and not bulk[i])):
                    # move the whole item to another location (a single piece is moved, not split)
                    to = others[li][rand() < 0.5]
                    user = user_at(li)
                    number = 100000 + int(rand() * 900000)
                    record((i, t, -qi, -wi, 0, 0, _pack(MOVE_OUT, li, user, REF_TRANSFER, 0), number,
                            i, t, qi, wi, qi, wi, _pack(MOVE_IN, to, user, REF_TRANSFER, 0), number))
                    loc[i] = to
                    left -= 2
                else:
                    dq = dw = 0
                    code = MOVE_ISSUE if x < 0.62 else MOVE_ADJUST
                    if code == MOVE_ISSUE:
                        if not bulk[i] and qi >= 2:
                            dq = -1 - int(rand() * max(1, qi // 3))
                            dw = -(wi * -dq // qi)
                        elif bulk[i] and wi >= 2:
                            dw = -max(1, int(wi * (0.02 + 0.23 * rand())))
                        else:
                            code = MOVE_ADJUST
                    if code == MOVE_ADJUST:
                        if rand() < 0.55:  # deduct, keeping some stock
                            if not bulk[i] and qi >= 2 and rand() < 0.35:
                                dq, dw = -1, -(wi // qi)
                            elif wi >= 2:
                                dw = -max(1, int(wi * (0.001 + 0.029 * rand())))
                        if dq == 0 and dw == 0:  # add
                            if not bulk[i] and rand() < 0.35:
                                dq, dw = 1, wi // max(qi, 1)
                            else:
                                dw = max(1, int(wi * (0.001 + 0.029 * rand())))
                        notes = ADD_NOTES if dq > 0 or dw > 0 else DEDUCT_NOTES
                        reference, number, note = REF_NONE, 0, notes[int(rand() * len(notes))]
                    elif rand() < 0.7:
                        reference, number, note = REF_JOB, 10000 + int(rand() * 90000), 4
                    else:
                        reference, number, note = REF_SO, 1000 + int(rand() * 9000), 5
                    qi += dq
                    wi += dw
                    q[i], w[i] = qi, wi
                    record((i, t, dq, dw, qi, wi, _pack(code, li, user_at(li), reference, note), number))
                    left -= 1
                budget[i] = left
            last_t[i] = t
            if left > 0:
                due = t + int((horizon - t) * (1.0 - rand() ** (1.0 / left)))
                if due // BUCKET_SECONDS == b:
                    heappush(pending, due * n + i)
                else:
                    buckets[due // BUCKET_SECONDS].append(due * n + i)
    return History(records, q, w, loc, last_t, receipt_user)


def _reference(code: int, number: int) -> str:
    text = REFERENCE_FORMATS[code]
    return text % number if "%" in text else text



# ---------------------------------------------------------------------------
# Pictures
# ---------------------------------------------------------------------------

def _png(image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _shade(rgb: tuple[int, int, int], factor: float) -> tuple[int, int, int]:
    if factor >= 1:
        return tuple(min(255, int(c + (255 - c) * (factor - 1))) for c in rgb)
    return tuple(int(c * factor) for c in rgb)


def _gem_picture(rgb: tuple[int, int, int], variant: int, rng: Random):
    """A 96x96 picture on a soft background: a faceted stone, or a band for metals."""
    from PIL import Image as PILImage
    from PIL import ImageDraw

    size = IMAGE_SIZE
    top, bottom = _shade(rgb, 1.85), _shade(rgb, 1.55)
    mask = PILImage.linear_gradient("L").resize((size, size))
    picture = PILImage.composite(PILImage.new("RGB", (size, size), bottom),
                                 PILImage.new("RGB", (size, size), top), mask)
    draw = ImageDraw.Draw(picture)
    cx, cy = size / 2 + rng.uniform(-4, 4), size / 2 + rng.uniform(-4, 4)
    r = rng.uniform(26, 34)
    form = variant % 6
    if form == 5:  # a band: rings, wire and findings
        draw.ellipse((cx - r, cy - r * 0.8, cx + r, cy + r * 0.8), fill=_shade(rgb, 0.7))
        draw.ellipse((cx - r * 0.72, cy - r * 0.55, cx + r * 0.72, cy + r * 0.55), fill=top)
        draw.arc((cx - r, cy - r * 0.8, cx + r, cy + r * 0.8), 200, 300, fill=_shade(rgb, 1.5), width=3)
        return picture
    sides = {0: 16, 1: 16, 2: 8, 3: 12, 4: 12}[form]
    stretch_x, stretch_y = {0: (1.0, 1.0), 1: (0.75, 1.0), 2: (0.8, 1.05), 3: (0.72, 0.9), 4: (1.0, 0.9)}[form]
    rotation = rng.uniform(0, math.pi / sides)
    outline = []
    for k in range(sides):
        angle = rotation + 2 * math.pi * k / sides
        radius = r
        if form == 3:  # pear: drawn out to a point at the top
            radius = r * (1.0 + 0.45 * max(0.0, -math.sin(angle)) ** 3)
        if form == 2 and k % 2:  # emerald cut: clipped corners
            radius = r * 0.86
        outline.append((cx + radius * stretch_x * math.cos(angle), cy + radius * stretch_y * math.sin(angle)))
    for k in range(sides):  # facets: triangles from the centre, alternating light and dark
        a, b = outline[k], outline[(k + 1) % sides]
        draw.polygon([(cx, cy), a, b], fill=_shade(rgb, 0.75 + 0.5 * ((k * 7 + variant) % 5) / 4))
    table = [(cx + (x - cx) * 0.5, cy + (y - cy) * 0.5) for x, y in outline]
    draw.polygon(table, fill=_shade(rgb, 1.12), outline=_shade(rgb, 0.6))
    draw.polygon(outline, outline=_shade(rgb, 0.5))
    hx, hy = cx - r * 0.35, cy - r * 0.4
    draw.ellipse((hx - 4, hy - 3, hx + 4, hy + 3), fill=(255, 255, 255))
    return picture


def _images(rng: Random, count: int, created_at: datetime) -> tuple[list[dict], dict[str | None, list[int]]]:
    """`count` distinct pictures spread over the colours (None = supplies, a neutral tone)."""
    from PIL import Image as PILImage

    keys: list[str | None] = list(COLOURS) + [None]
    metals = {"Yellow Gold", "White Gold", "Rose Gold", "Silver", "Platinum"}
    rows, pool = [], {}
    for index in range(count):
        key = keys[index % len(keys)]
        rank = index // len(keys)
        form = 5 if key in metals and rank % 2 == 0 else (rank + rng.randint(0, 4)) % 5
        picture = _gem_picture(COLOURS.get(key, NEUTRAL_RGB) if key else NEUTRAL_RGB,
                               form + 6 * rng.randint(0, 4), rng)
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


def _insert(connection: Connection, model, rows: list[dict]) -> None:
    for start in range(0, len(rows), CHUNK_ROWS):
        connection.execute(insert(model.__table__), rows[start:start + CHUNK_ROWS])


def _same(value):
    return value


class _BulkInsert:
    """Many-row INSERT for the two big tables.

    SQLAlchemy compiles the statement once for this dialect and its own bind
    processors convert the values (so storage formats stay SQLAlchemy's), but the
    rows go to the driver's executemany as plain tuples: SQLAlchemy's per-row
    bookkeeping would otherwise cost more than the database itself. On
    PostgreSQL with psycopg the rows are streamed with COPY instead, in the same
    transaction (row-by-row INSERTs there are several times slower).
    """

    def __init__(self, connection: Connection, model, columns: list[str]):
        table = model.__table__
        dialect = connection.dialect
        compiled = insert(table).compile(dialect=dialect, column_keys=columns)
        self.connection, self.columns, self.sql = connection, columns, compiled.string
        self.positional = dialect.positional
        self.reorder = None
        if self.positional and list(compiled.positiontup) != columns:
            self.reorder = itemgetter(*[columns.index(name) for name in compiled.positiontup])
        self.processors = {name: table.c[name].type.dialect_impl(dialect).bind_processor(dialect) or _same
                           for name in columns}
        self.copy_sql = None
        if dialect.name == "postgresql" and dialect.driver == "psycopg":
            quote = dialect.identifier_preparer
            self.copy_sql = (f"COPY {quote.format_table(table)} ({', '.join(quote.quote(c) for c in columns)}) "
                             "FROM STDIN")

    def convert(self, column: str) -> Callable:
        return self.processors[column]

    def write(self, rows: list[tuple]) -> None:
        if not rows:
            return
        if self.copy_sql is not None:
            with self.connection.connection.driver_connection.cursor() as cursor:
                with cursor.copy(self.copy_sql) as copy:
                    for row in rows:
                        copy.write_row(row)
            return
        if not self.positional:
            params = [dict(zip(self.columns, row)) for row in rows]
        elif self.reorder is not None:
            params = [self.reorder(row) for row in rows]
        else:
            params = rows
        self.connection.exec_driver_sql(self.sql, params)


class _Progress:
    """Reports "label done/total" about ten times per phase."""

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

    Raises ValueError when the database already has a workspace or `scale` is unknown.
    `now` (default: the current time; naive means UTC) ends the year of generated
    history; the same seed and `now` always give the same data. `progress` gets
    short lines such as "items 40,000/200,000" (None: silent).
    """
    started = time.perf_counter()
    if scale not in SCALES:
        raise ValueError(f"Unknown demo scale {scale!r}; use one of: {', '.join(SCALES)}.")
    if not is_empty(engine):
        raise ValueError("The database already has a workspace; the demo can only be loaded into an "
                         "empty database. Use a new database file (or an empty PostgreSQL database).")
    size = SCALES[scale]
    report = progress or (lambda _message: None)
    now = now or datetime.now(timezone.utc)
    if now.tzinfo is None:  # like the UtcDateTime columns: a naive time is UTC
        now = now.replace(tzinfo=timezone.utc)
    now = now.astimezone(timezone.utc).replace(microsecond=0)
    start = now - timedelta(days=HISTORY_DAYS)
    horizon = int((now - start).total_seconds())
    rng = Random(seed)

    presets = load_presets()
    products, product_types = _products(rng, presets, size.products)
    catalog = _catalog(presets, product_types)
    image_rows, image_pool = _images(Random(rng.getrandbits(64)), size.images, start - timedelta(days=30))
    report(f"catalog from {presets.source}: {len(catalog.rows):,} entries, {len(products):,} products, "
           f"{len(image_rows)} images")
    items = _items(rng, size, products, catalog, presets, image_pool, horizon)
    report(f"simulating a year of stock history for {len(items.q0):,} items")
    history = _simulate(items, rng.getrandbits(64), horizon)
    password_hash = _hash_password()

    from lib.db import writer

    with writer(engine).connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        raw = connection.connection.driver_connection if sqlite else None
        if sqlite:
            # This connection only, outside any transaction, restored below: a big page
            # cache, and no per-row foreign key lookups (every id here is assigned by us).
            raw.execute("PRAGMA cache_size=-262144")
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                if connection.execute(select(Workspace.id).limit(1)).first() is not None:
                    raise ValueError("The database already has a workspace; the demo can only be loaded "
                                     "into an empty database.")
                _write_everything(connection, report, now, start, presets, products, catalog, image_rows,
                                  items, history, password_hash, scale, seed)
        finally:
            if sqlite:
                raw.execute("PRAGMA foreign_keys=ON")
                raw.execute("PRAGMA cache_size=-2000")
        report("refreshing planner statistics")
        _after_bulk_load(connection)

    ordered = add_demo_orders(engine, now=now, seed=seed)
    made = build_production(engine, now=now, seed=seed)
    costed = add_demo_costing(engine, now=now, seed=seed)  # rate profiles, 90 days of prices, components, a costed job
    made = ProductionDemo(made.jobs + costed.jobs, made.items + costed.job_items, made.movements + costed.job_movements)
    if size.jobs:
        report(f"adding {size.jobs:,} production jobs in bulk")
        grown = add_bulk_production(engine, now=now, seed=seed, count=size.jobs)
        made = ProductionDemo(made.jobs + grown.jobs, made.items + grown.items, made.movements + grown.movements)
    return DemoSummary(products=len(products), items=len(items.q0), movements=history.movements,
                       users=len(USERS), locations=len(LOCATIONS), images=len(image_rows),
                       seconds=round(time.perf_counter() - started, 2), scale=scale, orders=ordered.orders,
                       order_items=ordered.items, order_movements=ordered.movements, jobs=made.jobs,
                       job_items=made.items, job_movements=made.movements)


def _hash_password() -> str:
    return hash_password(DEMO_PASSWORD)  # bcrypt is slow: hashed once, shared by all demo users


def _write_everything(connection: Connection, report, now: datetime, start: datetime, presets: Presets,
                      products: list[ProductPlan], catalog: CatalogPlan, image_rows: list[dict],
                      items: ItemsPlan, history: History, password_hash: str, scale: str, seed: int) -> None:
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

    _write_items(connection, report, items, history, start)

    # Each product's picture: its first item that has one.
    first_picture: dict[int, int] = {}
    for i, image_id in enumerate(items.image_id):
        if image_id is not None:
            first_picture.setdefault(items.cls[i][0], i + 1)
    if first_picture:
        products_table = Product.__table__
        connection.execute(
            update(products_table).where(products_table.c.id == bindparam("pid"))
            .values(image_item_id=bindparam("iid")),
            [{"pid": pid, "iid": iid} for pid, iid in sorted(first_picture.items())])

    _write_movements(connection, report, items, history, start)
    ledger.rebuild_summaries(connection)

    _insert(connection, TagSequence, [
        {"prefix": tag_prefix(TAG_PREFIX, p.short_name, p.name), "last_number": items.product_items[p.id]}
        for p in products if items.product_items.get(p.id)])
    connection.execute(insert(AuditEntry.__table__).values(
        at=now, user_id=None, action="load demo", entity="workspace", entity_id="1", old_values=None,
        new_values=json.dumps({"scale": scale, "seed": seed, "products": len(products), "items": len(items.q0),
                               "movements": history.movements, "presets": presets.source}, sort_keys=True)))


ITEM_COLUMNS = ["id", "tag_id", "product_id", "kind", "finished_type_id", "ms_type_id", "shape_id", "size_id",
                "colour_id", "quality_id", "quantity", "weight", "weight_unit", "weight_g", "location_id",
                "image_id", "status", "notes", "created_at", "created_by_id", "updated_at"]
MOVEMENT_COLUMNS = ["id", "item_id", "product_id", "location_id", "kind", "finished_type_id", "ms_type_id",
                    "shape_id", "size_id", "colour_id", "quality_id", "movement_kind", "quantity_delta",
                    "weight_delta", "weight_delta_g", "quantity_after", "weight_after", "user_id", "moved_at",
                    "reference", "note", "counterpart_location_id", "counterpart_tag"]


class _Values:
    """Column values converted exactly as SQLAlchemy's bind processors would, but fast.

    Weights are integers of 0.0001 and times whole seconds after `start`. When the
    dialect stores numbers as floats (SQLite) the float is computed directly from
    the integer (correctly rounded, so equal to float(Decimal)); times use a cached
    text form once it is proven equal to SQLAlchemy's own. Otherwise (PostgreSQL)
    exact Decimals and datetimes go through SQLAlchemy's processors.
    """

    def __init__(self, writer: _BulkInsert, weight_column: str, time_column: str, start: datetime):
        self.number = writer.convert(weight_column)
        self.at = writer.convert(time_column)
        self.start = start
        self.floats = isinstance(self.number(Decimal("1.2345")), float)
        self.factors = {}  # unit -> grams per unit * 10,000, when that is a whole number
        for symbol in UNITS_BY_SYMBOL:
            factor = UNITS_BY_SYMBOL[symbol].grams * 10_000
            if factor == factor.to_integral_value():
                self.factors[symbol] = int(factor)
        midnight = start.replace(hour=0, minute=0, second=0)
        self.offset = int((start - midnight).total_seconds())
        self.days = [(midnight.date() + timedelta(days=d)).isoformat() + " " for d in range(HISTORY_DAYS + 2)]
        self.clock: dict[int, str] = {}
        samples = (0, 1, 86_399, 86_400, 3_000_017, 31_535_999)
        self.texts = all(self.at(start + timedelta(seconds=t)) == self._text(t) for t in samples)

    def weight(self, units: int):
        if self.floats:
            return units / 10_000
        return self.number(Decimal(units).scaleb(-4))

    def grams(self, units: int, unit: str):
        factor = self.factors.get(unit)
        if factor is None:
            return self.number(to_grams(Decimal(units).scaleb(-4), unit))
        if self.floats:
            return units * factor / 100_000_000
        return self.number(Decimal(units * factor).scaleb(-8))

    def _text(self, seconds: int) -> str:
        day, second = divmod(self.offset + seconds, 86_400)
        clock = self.clock.get(second)
        if clock is None:
            hours, rest = divmod(second, 3_600)
            clock = self.clock[second] = f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}.000000"
        return self.days[day] + clock

    def time(self, seconds: int):
        if self.texts:
            return self._text(seconds)
        return self.at(self.start + timedelta(seconds=seconds))


def _write_items(connection: Connection, report, items: ItemsPlan, history: History, start: datetime) -> None:
    writer = _BulkInsert(connection, InventoryItem, ITEM_COLUMNS)
    values = _Values(writer, "weight", "created_at", start)
    kind_value = {k: writer.convert("kind")(k) for k in InventoryKind}
    status_value = {s: writer.convert("status")(s) for s in ItemStatus}
    weight_of, grams_of, time_of = values.weight, values.grams, values.time
    total = len(items.q0)
    meter = _Progress(report, "items", total)
    rows: list[tuple] = []
    for i in range(total):
        product_id, kind, ft, ms, shape, size, colour, quality = items.cls[i]
        quantity, weight, unit = history.quantity[i], history.weight[i], items.unit[i]
        if items.hold[i] is ItemStatus.ARCHIVED:
            status = ItemStatus.ARCHIVED
        else:
            status = ItemStatus.CONSUMED if quantity == 0 and weight == 0 else items.hold[i] or ItemStatus.AVAILABLE
        rows.append((i + 1, items.tag[i], product_id, kind_value[kind], ft, ms, shape, size, colour, quality,
                     quantity, weight_of(weight), unit, grams_of(weight, unit), history.location[i],
                     items.image_id[i], status_value[status], items.notes[i], time_of(items.t0[i]),
                     history.receipt_user[i], time_of(history.last_t[i])))
        if len(rows) == CHUNK_ROWS:
            writer.write(rows)
            rows = []
            meter.update(i + 1)
    writer.write(rows)
    meter.update(total)


def _write_movements(connection: Connection, report, items: ItemsPlan, history: History, start: datetime) -> None:
    writer = _BulkInsert(connection, StockMovement, MOVEMENT_COLUMNS)
    values = _Values(writer, "weight_delta", "moved_at", start)
    kind_value = {k: writer.convert("kind")(k) for k in InventoryKind}
    move_value = [writer.convert("movement_kind")(k) for k in MOVE_KINDS]
    weight_of, grams_of, time_of = values.weight, values.grams, values.time
    classification = [(c[0], kind_value[c[1]]) + c[2:] for c in items.cls]
    units = items.unit
    records = history.records
    total = history.movements
    meter = _Progress(report, "movements", total)
    rows: list[tuple] = []
    for movement in range(total):
        i, t, dq, dw, qa, wa, packed, number = records[movement * RECORD:(movement + 1) * RECORD]
        product_id, kind, ft, ms, shape, size, colour, quality = classification[i]
        reference = packed >> 8 & 7
        code = packed & 7
        counterpart_location = counterpart_tag = None
        if code in (MOVE_OUT, MOVE_IN):  # a whole-item transfer: the out and in records are adjacent
            other = movement + 1 if code == MOVE_OUT else movement - 1
            counterpart_location, counterpart_tag = records[other * RECORD + 6] >> 3 & 3, items.tag[i]
        rows.append((movement + 1, i + 1, product_id, packed >> 3 & 3, kind, ft, ms, shape, size, colour, quality,
                     move_value[code], dq, weight_of(dw), grams_of(dw, units[i]), qa, weight_of(wa),
                     packed >> 5 & 7, time_of(t), _reference(reference, number),
                     MOVEMENT_NOTES[packed >> 11], counterpart_location, counterpart_tag))
        if len(rows) == CHUNK_ROWS:
            writer.write(rows)
            rows = []
            meter.update(movement + 1)
    writer.write(rows)
    meter.update(total)


def _after_bulk_load(connection: Connection) -> None:
    """PostgreSQL: move the id sequences past our explicit ids. Both: refresh planner statistics."""
    if connection.dialect.name == "postgresql":
        with connection.begin():
            for table in ("workspace", "locations", "users", "catalog_entries", "images", "products",
                          "inventory_items", "stock_movements", "audit_log"):
                connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}")
            connection.exec_driver_sql("ANALYZE")
    elif connection.dialect.name == "sqlite":
        with connection.begin():
            # A full ANALYZE (about 2 s on the large demo): sampled statistics made every
            # index look alike and led SQLite to poor plans for product pages.
            connection.exec_driver_sql("ANALYZE")


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib.demo", description="Load the Loupe Factory demo workspace "
                                     f"into an empty database (users' password: {DEMO_PASSWORD}).")
    parser.add_argument("--scale", choices=list(SCALES), default="small")
    parser.add_argument("--database-url", help="default: LOUPE_DATABASE_URL, else the data folder's SQLite file")
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
