"""Rate profiles and their effective-dated prices: the Component Rate Center (reference 3.4).

A profile ("Gold 18K (750)", metal, per gram, USD, purity 0.7500) is the
reusable rate; its prices are `RateVersion` rows, each in force from its
`effective_at` until the next one. A new price never overwrites an old one, so
`price_as_of(session, profile_id, moment)` gives the price that was in force at
any moment, and a valuation "as of" a past day uses that day's prices.

Decisions (also in docs/costing.md):

- Admins manage profiles and prices (`Right.MANAGE_RATES`); managers read them
  (`Right.VIEW_RATES`); members neither, and no function gives them a price.
  Profiles are workspace-wide (a rate is not stock): no location scope applies.
- Names are unique ignoring case. The basis, currency and component type are
  fixed once a profile exists (its prices and the items' quantities are in
  them); a different one is a new profile. Name, source, purity, source
  details, notes and active/inactive can change, audited.
- A price is a plain decimal above zero with at most 4 decimals, at most
  1,000,000,000 (a percent rate at most 1,000). An effective moment may be in
  the past (back-filling history) but not more than a year ahead; a profile
  has at most one price per moment. Moments without a zone are UTC.
- Purity (metals only) is a fraction 0 < purity <= 1 (0.750 for 18K); a
  fineness typed in thousandths (750) is read as 0.750.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lib import audit
from lib.access import Actor, Right
from lib.enums import ComponentType, RateBasis, RateSource
from lib.errors import NotFound, ValidationFailed
from lib.models import RateProfile, RateVersion, User, utcnow
from lib.text import check_currency, clean_text
from lib.units import plain_decimal

MAX_NAME = 120
MAX_DETAILS = 1000
MAX_NOTES = 2000
MAX_PRICE = Decimal("1000000000")
MAX_PERCENT = Decimal("1000")
PRICE_QUANTUM = Decimal("0.0001")
PURITY_QUANTUM = Decimal("0.0001")
FUTURE_LIMIT = timedelta(days=365)


# ---------------------------------------------------------------------------
# Parsing what people type (each raises ValueError naming the field)
# ---------------------------------------------------------------------------

def parse_price(raw, field: str = "Price", basis: RateBasis | None = None) -> Decimal:
    """A price above zero with at most 4 decimals, within the maximum for `basis`."""
    maximum = MAX_PERCENT if basis is RateBasis.PERCENT else MAX_PRICE
    value = plain_decimal(raw, field, maximum=maximum)
    if value == 0:
        raise ValueError(f"{field} must be greater than zero")
    if value != value.quantize(PRICE_QUANTUM):
        raise ValueError(f"{field} may have at most 4 decimals, got {raw!r}")
    return value.quantize(PRICE_QUANTUM)


def parse_moment(raw, field: str = "Effective at", *, now: datetime | None = None) -> datetime:
    """A moment (UTC when no zone is given) from a datetime, a date (its midnight) or ISO text; at most a year ahead.

    Empty means now.
    """
    now = now or utcnow()
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return now
    if isinstance(raw, datetime):
        moment = raw
    elif isinstance(raw, date):
        moment = datetime.combine(raw, time(0, 0))
    else:
        text = str(raw).strip()
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            shown = text[:40].encode("unicode_escape").decode("ascii")
            raise ValueError(f"{field} must be an ISO date or date-time such as 2026-12-07 09:30, got {shown!r}") \
                from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    moment = moment.astimezone(timezone.utc).replace(microsecond=0)
    if moment > now + FUTURE_LIMIT:
        raise ValueError(f"{field} {moment:%Y-%m-%d %H:%M} is more than a year ahead; record that price later")
    if moment.year < 1970:
        raise ValueError(f"{field} {moment:%Y-%m-%d} is too far in the past")
    return moment


def parse_purity(raw, field: str = "Purity") -> Decimal | None:
    """A metal's purity as a fraction (0.750), or None when empty; 750 (thousandths) reads as 0.750."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    value = plain_decimal(raw, field, maximum=Decimal("1000"))
    if value > 1:
        value = value / 1000
    if value == 0:
        raise ValueError(f"{field} must be greater than zero (0.750 for 18K)")
    if value != value.quantize(PURITY_QUANTUM):
        raise ValueError(f"{field} may have at most 4 decimals (0.7500), got {raw!r}")
    return value.quantize(PURITY_QUANTUM)


def _enum(cls, raw, field: str):
    if isinstance(raw, cls):
        return raw
    text = str(raw or "").strip().lower().replace(" ", "_")
    for member in cls:
        if text in (member.value, member.name.lower(), member.label.lower().replace(" ", "_")):
            return member
    if cls is RateBasis:
        aliases = {"gram": RateBasis.GRAM, "per_g": RateBasis.GRAM, "per_gram": RateBasis.GRAM,
                   "carat": RateBasis.CARAT, "per_ct": RateBasis.CARAT, "per_carat": RateBasis.CARAT,
                   "pcs": RateBasis.PIECE, "per_piece": RateBasis.PIECE, "h": RateBasis.HOUR,
                   "per_hour": RateBasis.HOUR, "%": RateBasis.PERCENT}
        if text in aliases:
            return aliases[text]
    if cls is ComponentType and text == "labour":
        return ComponentType.LABOR
    choices = ", ".join(member.value for member in cls)
    shown = str(raw or "")[:40].encode("unicode_escape").decode("ascii")
    raise ValueError(f"{field} {shown!r} is not one of: {choices}")


def parse_component_type(raw, field: str = "Component type") -> ComponentType:
    return _enum(ComponentType, raw, field)


def parse_basis(raw, field: str = "Basis") -> RateBasis:
    return _enum(RateBasis, raw, field)


def parse_source(raw, field: str = "Rate source") -> RateSource:
    return _enum(RateSource, raw, field)


def format_amount(value) -> str:
    """A price or amount as people read it: thousands separators, 2 decimals, more only when it has them
    ("1,000.00", "1.45", "0.1234")."""
    amount = Decimal(value)
    cents = amount.quantize(Decimal("0.01"))
    return f"{cents:,.2f}" if cents == amount else f"{amount.normalize():,f}"


def format_price(price, currency: str, basis: RateBasis) -> str:
    """A rate as text: "USD 65.00 per gram", "12 % of the other costs"; "—" for no price."""
    if price is None:
        return "—"
    if basis is RateBasis.PERCENT:
        return f"{Decimal(price).normalize():f} % of the other costs"
    return f"{currency} {format_amount(price)} {basis.label}"


def _collect(problems: list[str], function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except ValueError as error:
        problems.append(str(error))
        return None


# ---------------------------------------------------------------------------
# Prices as of a moment (no actor: plain data for the costing functions that have checked theirs)
# ---------------------------------------------------------------------------

def price_as_of(session: Session, profile_id: int, moment: datetime | None = None) -> Decimal | None:
    """The price of `profile_id` in force at `moment` (now by default): the latest version not after it."""
    return prices_as_of(session, [profile_id], moment).get(profile_id)


def prices_as_of(session: Session, profile_ids: Iterable[int], moment: datetime | None = None) -> dict[int, Decimal]:
    """Profile id -> price in force at `moment` (now by default), for the profiles that had a price then."""
    versions = versions_as_of(session, profile_ids, moment)
    return {profile_id: version.price for profile_id, version in versions.items()}


def versions_as_of(session: Session, profile_ids: Iterable[int], moment: datetime | None = None
                   ) -> dict[int, RateVersion]:
    """Profile id -> the RateVersion in force at `moment` (now by default), in one query."""
    ids = sorted(set(profile_ids))
    if not ids:
        return {}
    moment = moment or utcnow()
    latest = (select(RateVersion.profile_id, func.max(RateVersion.effective_at).label("at"))
              .where(RateVersion.profile_id.in_(ids), RateVersion.effective_at <= moment)
              .group_by(RateVersion.profile_id).subquery())
    stmt = select(RateVersion).join(latest, (RateVersion.profile_id == latest.c.profile_id)
                                    & (RateVersion.effective_at == latest.c.at))
    return {version.profile_id: version for version in session.scalars(stmt)}


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ProfileRow:
    id: int
    name: str
    component_type: ComponentType
    source: RateSource
    currency: str
    basis: RateBasis
    purity: Decimal | None
    active: bool
    price: Decimal | None  # in force at the moment asked (None: no price yet then)
    effective_at: datetime | None
    source_details: str
    notes: str


@dataclass(frozen=True)
class HistoryRow:
    effective_at: datetime
    price: Decimal
    recorded_by: str
    recorded_at: datetime


def list_profiles(session: Session, *, actor: Actor, as_of: datetime | None = None,
                  active_only: bool = False) -> list[ProfileRow]:
    """Every profile (or the active ones) by type (Metal first, as `ComponentType` lists them) and name,
    with the price in force `as_of` (now)."""
    actor.require(Right.VIEW_RATES)
    stmt = select(RateProfile).order_by(RateProfile.name_key)
    if active_only:
        stmt = stmt.where(RateProfile.active.is_(True))
    order = list(ComponentType)
    profiles = sorted(session.scalars(stmt), key=lambda profile: order.index(profile.component_type))
    versions = versions_as_of(session, [profile.id for profile in profiles], as_of)
    return [_row(profile, versions.get(profile.id)) for profile in profiles]


def _row(profile: RateProfile, version: RateVersion | None) -> ProfileRow:
    return ProfileRow(profile.id, profile.name, profile.component_type, profile.source, profile.currency,
                      profile.basis, profile.purity, profile.active, version.price if version else None,
                      version.effective_at if version else None, profile.source_details, profile.notes)


def get_profile(session: Session, *, actor: Actor, profile_id: int, as_of: datetime | None = None) -> ProfileRow:
    """One profile with its price in force `as_of` (now); NotFound when there is none."""
    actor.require(Right.VIEW_RATES)
    profile = _profile(session, profile_id)
    return _row(profile, versions_as_of(session, [profile.id], as_of).get(profile.id))


def price_history(session: Session, *, actor: Actor, profile_id: int) -> list[HistoryRow]:
    """Every price of a profile, oldest first, with who recorded it."""
    actor.require(Right.VIEW_RATES)
    _profile(session, profile_id)
    stmt = (select(RateVersion, User.username).outerjoin(User, User.id == RateVersion.recorded_by_id)
            .where(RateVersion.profile_id == profile_id).order_by(RateVersion.effective_at))
    return [HistoryRow(version.effective_at, version.price, username or "system", version.recorded_at)
            for version, username in session.execute(stmt)]


def _profile(session: Session, profile_id) -> RateProfile:
    profile = session.get(RateProfile, profile_id) if isinstance(profile_id, int) else None
    if profile is None:
        raise NotFound("No such rate profile.")
    return profile


def profile_by_name(session: Session, name: str) -> RateProfile | None:
    return session.scalars(select(RateProfile).where(RateProfile.name_key == str(name).strip().lower())).one_or_none()


# ---------------------------------------------------------------------------
# Writing (admins)
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ProfileInput:
    """What the add and edit forms send; text as typed."""

    name: str
    component_type: ComponentType | str = ComponentType.METAL
    basis: RateBasis | str = RateBasis.GRAM
    currency: str = "USD"
    source: RateSource | str = RateSource.MANUAL
    purity: object = None
    source_details: str = ""
    notes: str = ""
    active: bool = True


def _checked_fields(session: Session, data: ProfileInput, problems: list[str], *, exclude_id: int | None = None
                    ) -> dict:
    name = _collect(problems, clean_text, data.name, "Name", MAX_NAME, multiline=False)
    if name == "":
        problems.append("Name is required")
    elif name:
        taken = profile_by_name(session, name)
        if taken is not None and taken.id != exclude_id:
            problems.append(f"A rate profile named {taken.name!r} already exists")
    component_type = _collect(problems, parse_component_type, data.component_type)
    purity = _collect(problems, parse_purity, data.purity)
    if purity is not None and component_type is not None and component_type is not ComponentType.METAL:
        problems.append("Purity is for metal rates only; leave it empty")
    return {"name": name, "component_type": component_type, "source": _collect(problems, parse_source, data.source),
            "purity": purity,
            "source_details": _collect(problems, clean_text, data.source_details, "Source details", MAX_DETAILS),
            "notes": _collect(problems, clean_text, data.notes, "Internal notes", MAX_NOTES),
            "active": bool(data.active)}


def add_profile(session: Session, *, actor: Actor, data: ProfileInput, price, effective_at=None) -> RateProfile:
    """A new rate profile with its first price (in force from `effective_at`, now by default); audited."""
    actor.require(Right.MANAGE_RATES)
    problems: list[str] = []
    fields = _checked_fields(session, data, problems)
    basis = _collect(problems, parse_basis, data.basis)
    currency = _collect(problems, check_currency, data.currency)
    if basis is not None and fields["component_type"] is not None:
        if basis is RateBasis.PERCENT and fields["component_type"] is not ComponentType.OVERHEAD:
            problems.append("A percent rate is for overhead only")
    checked_price = _collect(problems, parse_price, price, basis=basis)
    moment = _collect(problems, parse_moment, effective_at)
    if problems:
        raise ValidationFailed.listing("The rate profile was not added.", problems)
    profile = RateProfile(name_key=fields["name"].lower(), basis=basis, currency=currency,
                          created_by_id=actor.user_id, **fields)
    insert_or_refuse(session, [profile], f"A rate profile named {fields['name']!r} was just added by someone else.")
    session.add(RateVersion(profile_id=profile.id, price=checked_price, effective_at=moment,
                            recorded_by_id=actor.user_id))
    audit.record(session, actor_id=actor.user_id, action="add rate profile", entity="rate_profile",
                 entity_id=profile.id, new={**fields, "basis": basis, "currency": currency, "price": checked_price,
                                            "effective_at": moment})
    session.flush()
    return profile


def update_profile(session: Session, *, actor: Actor, profile_id: int, data: ProfileInput) -> RateProfile:
    """Change a profile's name, source, purity, details, notes or status; audited.

    Its component type, basis and currency are fixed (`data`'s are ignored): its prices are in them.
    """
    actor.require(Right.MANAGE_RATES)
    profile = _profile(session, profile_id)
    problems: list[str] = []
    fields = _checked_fields(session, replace(data, component_type=profile.component_type), problems,
                             exclude_id=profile.id)
    if problems:
        raise ValidationFailed.listing("The rate profile was not changed.", problems)
    fields.pop("component_type")
    fields["name_key"] = fields["name"].lower()
    old, new = audit.changed_fields(profile, fields)
    if new:
        audit.record(session, actor_id=actor.user_id, action="change rate profile", entity="rate_profile",
                     entity_id=profile.id, old=old, new=new)
    session.flush()
    return profile


def record_price(session: Session, *, actor: Actor, profile_id: int, price, effective_at=None) -> RateVersion:
    """A new price for a profile from `effective_at` (now by default); the old ones stay; audited."""
    actor.require(Right.MANAGE_RATES)
    profile = _profile(session, profile_id)
    problems: list[str] = []
    checked_price = _collect(problems, parse_price, price, basis=profile.basis)
    moment = _collect(problems, parse_moment, effective_at)
    if moment is not None and _version_at(session, profile.id, moment) is not None:
        problems.append(f"{profile.name} already has a price from {moment:%Y-%m-%d %H:%M:%S} UTC; "
                        "choose another moment")
    if problems:
        raise ValidationFailed.listing("The price was not recorded.", problems)
    version = RateVersion(profile_id=profile.id, price=checked_price, effective_at=moment,
                          recorded_by_id=actor.user_id)
    insert_or_refuse(session, [version], f"{profile.name} was just given a price for that moment by someone else; "
                                         "reload and check it.")
    audit.record(session, actor_id=actor.user_id, action="record rate price", entity="rate_profile",
                 entity_id=profile.id, new={"price": checked_price, "effective_at": moment})
    session.flush()
    return version


def insert_or_refuse(session: Session, rows: list, message: str) -> None:
    """Insert `rows` in a savepoint; when a unique rule refuses them (two people at once), ValidationFailed."""
    try:
        with session.begin_nested():
            session.add_all(rows)
            session.flush()
    except IntegrityError:
        raise ValidationFailed(message) from None


def _version_at(session: Session, profile_id: int, moment: datetime) -> RateVersion | None:
    return session.scalars(select(RateVersion).where(RateVersion.profile_id == profile_id,
                                                     RateVersion.effective_at == moment)).one_or_none()
