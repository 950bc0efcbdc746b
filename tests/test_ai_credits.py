"""AI credits (issue 17, item 3): a monthly allowance and top-ups, a balance derived from the usage history,
requests refused before anything is sent when no credit is left, and no overspending by concurrent requests.
Requests go to the real HTTP server of tests/fake_llm.py."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from lib import db
from lib.access import actor_for_user
from lib.ai import summaries as ai_summary
from lib.ai import usage as ai_usage
from lib.errors import LoupeError, PermissionDenied, ValidationFailed
from lib.inventory.query import ItemFilters
from lib.llm import metering
from lib.llm.client import LlmError
from lib.models import AiCreditTopUp, AiSummary, AiUsage, AuditEntry, User, Workspace, utcnow
from tests import factories as f
from tests.fake_llm import Behaviour, fake_llm  # noqa: F401  (fixture)
from tests.scenarios import two_location_workshop
from tests.test_ai_summary import llm_settings, make_shop

NOW = datetime(2026, 12, 15, 12, 0, tzinfo=timezone.utc)


def usage(session, at: datetime, credits: int, *, pending: bool = False) -> None:
    session.add(AiUsage(at=at, user_id=None, feature="product_summary", action="generate", model="m",
                        tokens=credits * 1000, credits=credits, pending=pending))
    session.flush()


def topup(session, at: datetime, credits: int) -> None:
    session.add(AiCreditTopUp(at=at, user_id=None, credits=credits, note="invoice"))
    session.flush()


def test_the_balance_is_derived_from_the_usage_history_and_the_topups(session):
    f.make_workspace(session)
    last_month = NOW - timedelta(days=30)
    topup(session, last_month, 50)
    usage(session, last_month, 130)  # 30 beyond last month's 100 came out of the top-up
    usage(session, NOW - timedelta(days=2), 20)
    balance = metering.derive_balance(session, monthly=100, now=NOW)
    assert (balance.included_left, balance.topups_left, balance.credits) == (80, 20, 100)
    assert balance.resets_on.isoformat() == "2027-01-01" and not balance.low and not balance.exhausted


def test_topups_persist_across_months_and_an_old_overspend_is_not_carried(session):
    f.make_workspace(session)
    usage(session, NOW - timedelta(days=75), 12)  # two months ago: 2 over the allowance, no top-up then
    topup(session, NOW - timedelta(days=40), 7)  # last month
    balance = metering.derive_balance(session, monthly=10, now=NOW)
    assert (balance.included_left, balance.topups_left, balance.credits) == (10, 7, 17)
    usage(session, NOW - timedelta(days=1), 14)  # 10 included + 4 of the top-up
    balance = metering.derive_balance(session, monthly=10, now=NOW)
    assert (balance.included_left, balance.topups_left, balance.credits, balance.low) == (0, 3, 3, False)
    usage(session, NOW - timedelta(hours=1), 2)
    balance = metering.derive_balance(session, monthly=10, now=NOW)
    assert (balance.credits, balance.low) == (1, True)  # 1 of this month's 17 is at most 10 %


def test_zero_means_unlimited_and_a_stale_hold_no_longer_counts(session):
    f.make_workspace(session)
    usage(session, NOW - timedelta(days=1), 500)
    assert metering.derive_balance(session, monthly=0, now=NOW).credits is None
    usage(session, NOW - timedelta(hours=1), 3, pending=True)  # a crashed request's hold
    usage(session, NOW - timedelta(minutes=1), 2, pending=True)  # a request in flight
    assert metering.derive_balance(session, monthly=600, now=NOW).credits == 600 - 500 - 2


@pytest.mark.parametrize("value", ["-5", "abc", "1.5", "", None, "1e3", "٣", "10" * 10])
def test_a_negative_or_non_numeric_budget_is_refused_and_nothing_is_written(session, value):
    shop = make_shop(session)
    before = (session.get(Workspace, session.scalar(select(Workspace.id))).ai_monthly_credits,
              session.scalar(select(func.count(AuditEntry.id))))
    with pytest.raises(ValidationFailed, match="Monthly included credits"):
        metering.set_monthly_credits(session, actor=shop.admin, value=value)
    with pytest.raises(ValidationFailed):
        metering.add_topup(session, actor=shop.admin, credits=value, note="x")
    assert (session.scalar(select(Workspace.ai_monthly_credits)), session.scalar(select(func.count(AuditEntry.id)))
            ) == before
    assert session.scalar(select(func.count(AiCreditTopUp.id))) == 0


def test_only_admins_set_the_budget_and_a_topup_note_is_plain_text(session):
    shop = make_shop(session)
    with pytest.raises(PermissionDenied):
        metering.set_monthly_credits(session, actor=shop.manager, value=5)
    with pytest.raises(ValidationFailed, match="at least 1"):
        metering.add_topup(session, actor=shop.admin, credits=0)
    with pytest.raises(ValidationFailed, match="Top-up note contains a text-direction control"):
        metering.add_topup(session, actor=shop.admin, credits=5, note="evil\u202etxt")
    row = metering.add_topup(session, actor=shop.admin, credits="1,000", note="  invoice  42 ")
    assert (row.credits, row.note) == (1000, "invoice 42")
    assert metering.set_monthly_credits(session, actor=shop.admin, value=" 250 ") == 250
    view = ai_usage.credits_view(session, actor=shop.admin)
    assert view.balance.credits == 1250 and view.topups[0]["note"] == "invoice 42"


def test_a_request_with_no_credits_left_is_refused_before_anything_is_sent(session, fake_llm):
    shop = make_shop(session)
    metering.set_monthly_credits(session, actor=shop.admin, value=2)
    settings = llm_settings(fake_llm.url)
    ai_summary.generate_summary(session, actor=shop.manager, settings=settings, product_id=shop.product.id,
                                filters=ItemFilters())  # 1,150 tokens: 2 credits
    assert metering.credit_balance(session, actor=shop.manager).credits == 0
    with pytest.raises(metering.CreditsExhausted, match="An admin can add a top-up") as refused:
        ai_summary.generate_summary(session, actor=shop.admin, settings=settings, product_id=shop.product.id,
                                    filters=ItemFilters())
    assert "nothing was sent" in str(refused.value)
    assert len(fake_llm.requests) == 1
    assert session.scalar(select(func.count(AiSummary.id))) == 1
    assert session.scalar(select(func.count(AiUsage.id))) == 1
    metering.add_topup(session, actor=shop.admin, credits=5, note="more")
    ai_summary.generate_summary(session, actor=shop.admin, settings=settings, product_id=shop.product.id,
                                filters=ItemFilters())
    assert len(fake_llm.requests) == 2 and metering.credit_balance(session, actor=shop.admin).credits == 3


def test_a_slow_or_failed_request_releases_its_hold_and_is_not_charged(session, fake_llm):
    shop = make_shop(session)
    metering.set_monthly_credits(session, actor=shop.admin, value=10)
    fake_llm.behaviours = [Behaviour(delay=3)]
    with pytest.raises(LlmError, match="did not answer within 1 s"):
        ai_summary.generate_summary(session, actor=shop.manager, settings=llm_settings(fake_llm.url),
                                    product_id=shop.product.id, filters=ItemFilters())
    assert session.scalar(select(func.count(AiUsage.id))) == 0
    assert metering.credit_balance(session, actor=shop.manager).credits == 10


def test_members_do_not_see_the_balance(session):
    shop = make_shop(session)
    with pytest.raises(PermissionDenied):
        metering.credit_balance(session, actor=shop.member_north)


def test_usage_by_month_user_and_feature_exports_csv(session, fake_llm):
    shop = make_shop(session)
    settings = llm_settings(fake_llm.url)
    for filters in (ItemFilters(), ItemFilters()):
        ai_summary.generate_summary(session, actor=shop.manager, settings=settings, product_id=shop.product.id,
                                    filters=filters)
    (row,) = ai_usage.usage_by_month(session, actor=shop.admin)
    month = utcnow().strftime("%Y-%m")
    manager_name = session.get(User, shop.manager.user_id).username
    assert row == {"month": month, "user": manager_name, "feature": "Product summary", "requests": 2,
                   "tokens": 2300, "credits": 4}
    exported = ai_usage.export_usage(session, actor=shop.admin, fmt="csv")
    try:
        lines = exported.path.read_text(encoding="utf-8").splitlines()
    finally:
        exported.path.unlink(missing_ok=True)
    assert lines == ["Month,User,Feature,Requests,Tokens,Credits", f"{month},{manager_name},Product summary,2,2300,4"]
    with pytest.raises(PermissionDenied):
        ai_usage.usage_by_month(session, actor=shop.manager)


@pytest.mark.parametrize("monthly, threads", [(1, 4), (3, 6)])
def test_concurrent_requests_cannot_overspend_by_more_than_one_request(fresh_url, fake_llm, monthly, threads):
    """Threads with their own sessions press at the same moment; the endpoint answers slowly (2 credits each)."""
    two_location_workshop(fresh_url)
    engine = db.make_engine(fresh_url)
    with db.session_scope(engine, write=True) as session:
        people = [actor_for_user(session, session.scalar(select(User.id).where(User.username == name)))
                  for name in ("boss", "nina")]
        metering.set_monthly_credits(session, actor=people[0], value=monthly)
    fake_llm.default = Behaviour(delay=0.3)
    settings = llm_settings(fake_llm.url)
    start, outcomes, lock = threading.Barrier(threads, timeout=120), [], threading.Lock()

    def press(index: int) -> None:
        start.wait()
        try:
            metering.metered_call(lambda: db.session_scope(engine, write=True), actor=people[index % 2],
                                  settings=settings, feature="product_summary", action="generate",
                                  system="s", user="u")
            outcome = "sent"
        except metering.CreditsExhausted:
            outcome = "refused"
        except LoupeError as error:  # pragma: no cover - shown if it happens
            outcome = f"error: {error}"
        with lock:
            outcomes.append(outcome)

    workers = [threading.Thread(target=press, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    sent = outcomes.count("sent")
    assert sorted(set(outcomes)) <= ["refused", "sent"] and len(outcomes) == threads
    assert len(fake_llm.requests) == sent >= 1 and outcomes.count("refused") == threads - sent
    with db.session_scope(engine) as session:
        balance = metering.derive_balance(session, monthly=monthly)
        pending = session.scalar(select(func.count(AiUsage.id)).where(AiUsage.pending.is_(True)))
    assert pending == 0
    assert balance.credits == monthly - 2 * sent
    assert -2 < balance.credits <= 0  # overspent by less than one request (each costs 2)
    engine.dispose()
