"""lib.tags: a block of regular tags is reserved in one sequence update, skipping taken numbers."""
from sqlalchemy import select

from lib import tags
from lib.models import TagSequence
from tests import factories as f


def test_a_block_skips_numbers_taken_by_items_and_by_the_same_import(session):
    location, product = f.make_location(session), f.make_product(session)
    prefix = f.unique("BLK")
    f.make_item(session, product, location, tag_id=f"{prefix}0002")
    block = tags.reserve_tags(session, prefix, 4, skip={f"{prefix}0004"})
    assert block == [f"{prefix}0001", f"{prefix}0003", f"{prefix}0005", f"{prefix}0006"]
    assert session.scalar(select(TagSequence.last_number).where(TagSequence.prefix == prefix)) == 6
    assert tags.next_tag(session, prefix) == f"{prefix}0007"  # never reused
    assert tags.reserve_tags(session, prefix, 0) == []


def test_numbers_grow_past_9999(session):
    prefix = f.unique("BIG")
    session.add(TagSequence(prefix=prefix, last_number=9998))
    session.flush()
    assert tags.reserve_tags(session, prefix, 3) == [f"{prefix}9999", f"{prefix}10000", f"{prefix}10001"]
