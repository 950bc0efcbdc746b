"""Tag IDs (reference 3.3): workspace prefix + product short name + next number.

Decisions where the reference is silent (section 5, Q16):
- Numbers are 4 digits (0001 … 9999); after 9999 the number simply grows
  (GEMDIA10000) while the whole tag stays within 50 characters.
- Numbers are never reused; a number already taken by an imported tag is skipped.
- A product without a short name uses its name, sanitised; an empty result uses "ITEM".
- Derived tags (a partial transfer, production receipts, bench returns) are the source tag plus
  a suffix and running number (-T1, -RCV1, -RET1 …); a chain that would pass 50 characters keeps its root
  tag and shortens the middle (`GEMDIA0001--RCV3`, see `derived_tag` and docs/production.md).
"""
from __future__ import annotations

import re
from collections.abc import Collection, Mapping

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from lib import sequences
from lib.errors import ValidationFailed
from lib.models import InventoryItem, TagSequence

MAX_TAG_LENGTH = 50
_NOT_ALLOWED = re.compile(r"[^A-Z0-9-]")
TAG_PATTERN = re.compile(r"^[A-Z0-9-]{1,50}$")


def sanitise(text: str) -> str:
    """Upper-case and keep only letters, digits and dashes."""
    return _NOT_ALLOWED.sub("", (text or "").upper())


def validate_short_name(short_name: str) -> str:
    """A product short name: upper-case letters, digits and dashes, 1-20 characters."""
    value = (short_name or "").strip().upper()
    if not value:
        raise ValidationFailed("Short name is required (it starts every tag ID of the product).")
    if len(value) > 20 or not TAG_PATTERN.match(value):
        raise ValidationFailed("Short name may only use letters A-Z, digits and dashes, at most 20 characters.")
    return value


def validate_tag(tag_id: str) -> str:
    """A tag typed or imported by a user: same alphabet, at most 50 characters."""
    value = (tag_id or "").strip().upper()
    if len(value) > MAX_TAG_LENGTH:
        raise ValidationFailed(f"Tag ID may be at most {MAX_TAG_LENGTH} characters (got {len(value)}).")
    if not TAG_PATTERN.match(value):
        raise ValidationFailed("Tag ID may only use letters A-Z, digits and dashes.")
    return value


def tag_prefix(workspace_prefix: str, short_name: str | None, product_name: str) -> str:
    """The combined prefix of regular tags for one product."""
    infix = sanitise(short_name or "") or sanitise(product_name) or "ITEM"
    return (sanitise(workspace_prefix) + infix)[: MAX_TAG_LENGTH - 4]


def next_tag(session: Session, prefix: str) -> str:
    """Reserve and return the next free regular tag for `prefix` (row-locked)."""
    return reserve_tags(session, prefix, 1)[0]


def reserve_tags(session: Session, prefix: str, count: int, skip: Collection[str] = ()) -> list[str]:
    """Reserve the next `count` free regular tags of `prefix` in one update of its row-locked sequence."""
    return reserve_tag_blocks(session, {prefix: count}, skip)[prefix]


def reserve_tag_blocks(session: Session, counts: Mapping[str, int], skip: Collection[str] = ()) -> dict[str, list[str]]:
    """For each prefix, the next `count` free regular tags, each sequence moved once (row-locked, in prefix order).

    Numbers whose tag an item already holds (an imported or typed tag) are
    skipped, and so are the tags in `skip` (tags the same import is about to
    write). Skipped and reserved numbers are never issued again. However many
    prefixes, this costs a fixed handful of statements (plus one more per
    round in which some candidates were taken).
    """
    wanted = {prefix: count for prefix, count in counts.items() if count > 0}
    reserved: dict[str, list[str]] = {prefix: [] for prefix in counts}
    if not wanted:
        return reserved
    numbers = sequences.claim(session, TagSequence, sorted(wanted))
    skip = set(skip)
    while wanted:
        candidates: dict[str, list[str]] = {}
        for prefix, count in wanted.items():
            block = candidates[prefix] = []
            while len(block) < count - len(reserved[prefix]):
                numbers[prefix] += 1
                tag = f"{prefix}{numbers[prefix]:04d}"
                if len(tag) > MAX_TAG_LENGTH:
                    raise ValidationFailed(f"Tag numbers for {prefix} are exhausted within {MAX_TAG_LENGTH} characters.")
                if tag not in skip:
                    block.append(tag)
        every = [tag for block in candidates.values() for tag in block]
        taken = set(session.scalars(select(InventoryItem.tag_id).where(InventoryItem.tag_id.in_(every))))
        for prefix, block in candidates.items():
            reserved[prefix].extend(tag for tag in block if tag not in taken)
        wanted = {prefix: count for prefix, count in wanted.items() if len(reserved[prefix]) < count}
    session.execute(update(TagSequence.__table__).where(TagSequence.__table__.c.prefix == bindparam("key"))
                    .values(last_number=bindparam("number")),
                    [{"key": prefix, "number": numbers[prefix]} for prefix in sorted(numbers)])
    return reserved


DERIVED_SUFFIX = re.compile(r"-(?:T|RCV|REJ|SCRAP|RET)[0-9]+$")
"""One derived step at the end of a tag: a partial transfer (-T), a production output (-RCV, -REJ, -SCRAP) or a
bench return (-RET), with its running number."""
ELIDED = "--"
"""Marks the shortened middle of a long chain (ROOT--RCV3): inside the tag alphabet, so still typeable,
searchable and printable as a barcode."""


def root_tag(tag: str) -> str:
    """The tag a chain of derived tags started from: GEMDIA0001 for GEMDIA0001-RCV1-T2 and GEMDIA0001--RCV3."""
    root = tag.split(ELIDED, 1)[0] if ELIDED in tag else tag
    while True:
        shorter = DERIVED_SUFFIX.sub("", root)
        if shorter == root or not shorter:
            return root
        root = shorter


def derived_tag(session: Session, source_tag: str, suffix: str) -> str:
    """Source tag + suffix + running number unique per source (e.g. GEMDIA0001-T1, GEMDIA0001-RCV1-RCV2).

    When the chain would pass 50 characters, the middle is shortened, never the root: `<root>--<suffix><n>`
    (GEMDIA0001--RCV3), n the next number free for that root and suffix; the chain then grows again from
    there. A root too long for even that (an imported 50-character tag) keeps its start.
    """
    number = 1
    root = root_tag(source_tag)
    while True:
        tail = f"-{suffix}{number}"
        if len(source_tag) + len(tail) <= MAX_TAG_LENGTH:
            tag = source_tag + tail
        else:
            marker = ELIDED + tail[1:]
            tag = root[:MAX_TAG_LENGTH - len(marker)] + marker
        if session.scalar(select(InventoryItem.id).where(InventoryItem.tag_id == tag)) is None:
            return tag
        number += 1
