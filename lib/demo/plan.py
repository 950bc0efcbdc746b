"""The demo's plan: presets, vocabulary, products and items, in pure Python (deterministic)."""
from __future__ import annotations

import math
import re
from bisect import bisect_right
from dataclasses import dataclass, field
from itertools import accumulate
from random import Random

from lib.models import CatalogKind, InventoryKind, ItemStatus, MovementKind, Role
from lib.presets import display_name
from lib.presets import preset as industry_preset
from lib.tags import tag_prefix

PRESETS_SOURCE = "lib/presets/industry-presets.yaml"
TAG_PREFIX = "LF"
HISTORY_DAYS = 365


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


def plan_catalog(presets: Presets, product_types: list[str]) -> CatalogPlan:
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


def plan_products(rng: Random, presets: Presets, count: int) -> tuple[list[ProductPlan], list[str]]:
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


def plan_items(rng: Random, scale: Scale, products: list[ProductPlan], catalog: CatalogPlan, presets: Presets,
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
