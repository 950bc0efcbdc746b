"""Price sheets: a morning's prices imported from CSV/XLSX, and the rates in force exported in the same columns.

Columns (headers matched ignoring case, spaces and punctuation): `profile`
(the profile's name, required), `component_type`, `price` (required),
`currency`, `basis`, `effective_at` (ISO date or date-time, UTC unless it
carries a zone; empty means the moment of the import). `component_type`,
`currency` and `basis` are optional checks: when given they must be the
profile's (a sheet in EUR for a USD profile is refused, never converted).

All or nothing: every problem of every row is listed and nothing is written
unless there is none. Problems: an unknown profile, a price that is not a
plain number above zero (1e30 and -5 included), an unknown currency, a basis
or type that is not the profile's, a moment more than a year ahead, the same
profile twice for one moment in the sheet, or a moment at which the profile
already has a different price (a price is never overwritten). A row whose
profile already has exactly that price at that moment is unchanged and
skipped, so importing an untouched export writes nothing; an export whose
prices and `effective_at` were edited is a new day's prices.

The export writes every active profile's price in force now; `effective_at`
is written with seconds (CSV text "YYYY-MM-DD HH:MM:SS", an XLSX date cell).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from lib import audit
from lib.access import Actor, Right
from lib.costing.rates import (
    insert_or_refuse,
    list_profiles,
    parse_basis,
    parse_component_type,
    parse_moment,
    parse_price,
    profile_by_name,
)
from lib.errors import ValidationFailed
from lib.inventory.sheets import DEFAULT_LIMITS, Limits, file_records, normalise_header
from lib.models import RateVersion, utcnow
from lib.spreadsheet import ExportFile, write_export
from lib.text import check_currency

COLUMNS = ("profile", "component_type", "price", "currency", "basis", "effective_at")
REQUIRED = ("profile", "price")
_ALIASES = {normalise_header(name): name for name in COLUMNS} | {
    "name": "profile", "profilename": "profile", "type": "component_type", "componenttype": "component_type",
    "rate": "price", "rateprice": "price", "ratebasis": "basis", "unitbasis": "basis", "effective": "effective_at",
    "effectivedate": "effective_at", "effectivefrom": "effective_at", "effectiveat": "effective_at"}


@dataclass(frozen=True)
class PlannedPrice:
    row: int
    profile_id: int
    profile: str
    price: Decimal
    currency: str
    effective_at: datetime


@dataclass(frozen=True)
class SheetCheck:
    """What an import would do: the prices it records, the rows already recorded, every problem."""

    prices: tuple[PlannedPrice, ...]
    unchanged: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def _columns(file_name: str, header: list[str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    problems = []
    for index, text in enumerate(header):
        key = _ALIASES.get(normalise_header(text))
        if key is None:
            continue
        if key in columns:
            problems.append(f"columns {header[columns[key]]!r} and {text!r} both mean {key}")
        columns[key] = index
    missing = [key for key in REQUIRED if key not in columns]
    if missing:
        problems.append(f"required column{'s' if len(missing) > 1 else ''} missing: {', '.join(missing)} "
                        f"(the columns are {', '.join(COLUMNS)})")
    if problems:
        raise ValidationFailed.listing(f"{file_name} was not imported:", problems)
    return columns


def check_price_sheet(session: Session, *, actor: Actor, file_name: str, data: bytes,
                      limits: Limits = DEFAULT_LIMITS, now: datetime | None = None) -> SheetCheck:
    """Read a price sheet and say what importing it would record, and every problem; writes nothing."""
    actor.require(Right.MANAGE_RATES)
    now = (now or utcnow()).replace(microsecond=0)
    columns: dict[str, int] | None = None
    problems: list[str] = []
    planned: list[PlannedPrice] = []
    seen: dict[tuple[int, datetime], int] = {}
    unchanged = count = 0
    for number, cells, formulas in file_records(file_name, data, limits=limits):
        if columns is None:
            if any(cells):
                columns = _columns(file_name, cells)
            continue
        values = {key: (cells[index] if index < len(cells) else "") for key, index in columns.items()}
        if not any(values.values()):
            continue
        count += 1
        if count > limits.max_rows:
            raise ValidationFailed(f"{file_name} has more than {limits.max_rows:,} rows; split it into smaller files.")
        row_problems: list[str] = []

        def collect(function, *args, **kwargs):
            try:
                return function(*args, **kwargs)
            except ValueError as error:
                row_problems.append(str(error))
                return None

        if any(columns[key] in formulas for key in columns):
            row_problems.append("a cell holds a formula, not a value")
        name = values.get("profile", "")
        profile = profile_by_name(session, name) if name else None
        if not name:
            row_problems.append("profile is empty")
        elif profile is None:
            shown = name[:60].encode("unicode_escape").decode("ascii")
            row_problems.append(f"no rate profile is named {shown!r} (add it in the Rate Center first)")
        price = collect(parse_price, values.get("price", ""), "price", basis=profile.basis if profile else None)
        moment = collect(parse_moment, values.get("effective_at", ""), "effective_at", now=now)
        if values.get("currency"):
            currency = collect(check_currency, values["currency"], "currency")
            if profile is not None and currency and currency != profile.currency:
                row_problems.append(f"currency {currency} is not {profile.name}'s ({profile.currency}); "
                                    "prices are never converted")
        if values.get("basis"):
            basis = collect(parse_basis, values["basis"], "basis")
            if profile is not None and basis and basis is not profile.basis:
                row_problems.append(f"basis {basis.value} is not {profile.name}'s ({profile.basis.value})")
        if values.get("component_type"):
            kind = collect(parse_component_type, values["component_type"], "component_type")
            if profile is not None and kind and kind is not profile.component_type:
                row_problems.append(f"component_type {kind.value} is not {profile.name}'s "
                                    f"({profile.component_type.value})")
        if profile is not None and moment is not None:
            first = seen.setdefault((profile.id, moment), number)
            if first != number:
                row_problems.append(f"{profile.name} is already priced for {moment:%Y-%m-%d %H:%M:%S} on row {first}; "
                                    "a profile has one price per moment")
            elif price is not None:
                existing = session.scalars(select(RateVersion).where(RateVersion.profile_id == profile.id,
                                                                     RateVersion.effective_at == moment)).first()
                if existing is not None and existing.price == price and not row_problems:
                    unchanged += 1
                    continue
                if existing is not None:
                    row_problems.append(f"{profile.name} already has the price {existing.price} from "
                                        f"{moment:%Y-%m-%d %H:%M:%S}; a price is never overwritten, "
                                        "give the new one its own effective_at")
        if row_problems:
            problems.extend(f"Row {number}: {problem}" for problem in row_problems)
        elif profile is not None:
            planned.append(PlannedPrice(number, profile.id, profile.name, price, profile.currency, moment))
    if columns is None:
        raise ValidationFailed(f"{file_name}: the file has no header row.")
    if count == 0:
        raise ValidationFailed(f"{file_name}: there are no price rows under the header.")
    return SheetCheck(tuple(planned), unchanged, tuple(problems))


@dataclass(frozen=True)
class ImportResult:
    recorded: int
    unchanged: int

    def line(self) -> str:
        return f"{self.recorded:,} new price{'s' if self.recorded != 1 else ''} recorded, {self.unchanged:,} unchanged."


def import_price_sheet(session: Session, *, actor: Actor, file_name: str, data: bytes,
                       limits: Limits = DEFAULT_LIMITS) -> ImportResult:
    """Record every price of the sheet, or none: ValidationFailed lists every problem. Audited as one import."""
    check = check_price_sheet(session, actor=actor, file_name=file_name, data=data, limits=limits)
    if check.problems:
        raise ValidationFailed.listing(f"{file_name} was not imported; nothing was written.", check.problems)
    now = utcnow()
    insert_or_refuse(session, [RateVersion(profile_id=price.profile_id, price=price.price,
                                           effective_at=price.effective_at, recorded_by_id=actor.user_id,
                                           recorded_at=now) for price in check.prices],
                     f"{file_name} was not imported: someone recorded prices for the same moments meanwhile. "
                     "Check the Rate Center and import again.")
    audit.record(session, actor_id=actor.user_id, action="import price sheet", entity="rate_profile",
                 new={"file": file_name, "recorded": len(check.prices), "unchanged": check.unchanged,
                      "prices": [[price.profile, str(price.price), price.effective_at.isoformat()]
                                 for price in check.prices]})
    session.flush()
    return ImportResult(len(check.prices), check.unchanged)


def export_rates(session: Session, *, actor: Actor, fmt: str = "csv") -> ExportFile:
    """The price in force now of every active profile, in the import's columns (a temporary file)."""
    actor.require(Right.VIEW_RATES)
    rows = [row for row in list_profiles(session, actor=actor, active_only=True) if row.price is not None]

    def moment(at: datetime):
        naive = at.replace(tzinfo=None)
        return naive.strftime("%Y-%m-%d %H:%M:%S") if fmt == "csv" else naive

    return write_export(list(COLUMNS), ([row.name, row.component_type.value, row.price, row.currency,
                                         row.basis.value, moment(row.effective_at)] for row in rows),
                        fmt, f"rates-{utcnow():%Y%m%d}", sheet_title="Rates")
