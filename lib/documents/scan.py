"""What the scan box reads: a tag typed by a scanner or a person, or the address a label's QR code holds.

`read_scan` accepts a tag (exact, any case, spaces around ignored) or a full address whose query names
`item=<tag>` (any host: behind a proxy the address people scan may differ from the server's own).
`open_scanned` then finds the item in the actor's scope; every miss says the same sentence, so a scan
never tells whether a tag exists in a location the user does not see. `scan_target` is where the scan box
goes: the item, or else the production job whose job ID was scanned (the job envelope's QR code holds it).
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from lib.access import Actor, Right, scope_items
from lib.errors import LoupeError, NotFound, ValidationFailed
from lib.models import InventoryItem
from lib.production.job_plan import get_job_in_scope
from lib.tags import MAX_TAG_LENGTH, TAG_PATTERN

MAX_SCAN = 300
"""The longest text read as a scan: a 200-character public address, the Inventory path and a 50-character tag."""
NOT_FOUND = "No item with that tag in your locations."


def read_scan(text: str) -> str:
    """The tag a scan names (upper case); ValidationFailed with a sentence for anything else."""
    raw = str(text or "").strip()
    if not raw:
        raise ValidationFailed("Scan or type a tag first.")
    if len(raw) > MAX_SCAN:
        raise ValidationFailed(f"That is not a tag or a label's address: {len(raw):,} characters read "
                               f"(a tag has at most {MAX_TAG_LENGTH}).")
    if "://" in raw or raw.lower().startswith("inventory?") or "/inventory?" in raw.lower():
        parts = urlsplit(raw)
        values = parse_qs(parts.query).get("item", [])
        if not parts.path.rstrip("/").lower().endswith("inventory") or len(values) != 1:
            raise ValidationFailed("That address is not an item label's: it should end in /inventory?item=<tag>.")
        raw = values[0].strip()
    tag = raw.upper()
    if len(tag) > MAX_TAG_LENGTH or not TAG_PATTERN.match(tag):
        raise ValidationFailed(f"That is not a tag: tags use letters A-Z, digits and dashes, at most "
                               f"{MAX_TAG_LENGTH} characters.")
    return tag


def open_scanned(session: Session, *, actor: Actor, text: str) -> str:
    """The tag of the item a scan names, when it is in the actor's scope; NotFound (one sentence) otherwise."""
    actor.require(Right.VIEW_INVENTORY)
    tag = read_scan(text)
    found = session.scalar(scope_items(select(InventoryItem.tag_id).where(InventoryItem.tag_id == tag), actor))
    if found is None:
        raise NotFound(NOT_FOUND)
    return found


def item_id_for_link(session: Session, *, actor: Actor, reference: str) -> int | None:
    """The item an Inventory link's `item=` names, in scope: a tag (what label QR codes hold), or else an
    item id (older links); None when it names nothing the actor sees. An exact tag wins over an id."""
    text = str(reference or "").strip()
    if not text or len(text) > MAX_TAG_LENGTH or not actor.can(Right.VIEW_INVENTORY):
        return None
    found = session.scalar(scope_items(select(InventoryItem.id).where(InventoryItem.tag_id == text.upper()), actor))
    if found is None and text.isdigit():
        found = session.scalar(scope_items(select(InventoryItem.id).where(InventoryItem.id == int(text)), actor))
    return found


@dataclass(frozen=True)
class ScanTarget:
    """Where a scan leads: a page ("inventory" or "production") and its query."""

    page: str
    query: dict[str, str]


def scan_target(session: Session, *, actor: Actor, text: str) -> ScanTarget:
    """The item a scan names (`open_scanned`), or else the production job in the actor's scope whose job ID it
    is (exact, any case); the item's refusal otherwise, so a job out of scope reads like an unknown tag."""
    try:
        return ScanTarget("inventory", {"item": open_scanned(session, actor=actor, text=text)})
    except (NotFound, ValidationFailed) as missed:
        number = str(text or "").strip().upper()
        if not number or number.isdigit():  # a bare number is no job ID (it would read as a job's database id)
            raise missed
        try:
            job = get_job_in_scope(session, actor=actor, job_id=number)
        except LoupeError:
            raise missed from None
        return ScanTarget("production", {"job": job.number})
