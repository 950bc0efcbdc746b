"""AI credits (reference 3.8.1 adapted to self-hosting): metering, the derived balance and the budget check.

Every AI feature sends its request through `metered_call`, in three short steps so no transaction stays open
while the model thinks:

1. `reserve` (a short write): lock the workspace row, derive the balance, refuse when no credit is left
   (nothing is sent), else insert a *pending* usage row holding what the request may cost at most
   (`hold_for`: the prompt at 4 characters a token plus a full reply of MAX_REPLY_TOKENS);
2. the request itself (`lib.llm.client`, same timeout and retry for every feature), no session;
3. `settle` (a short write): the pending row becomes the usage row with the real tokens and credits =
   max(1, ceil(tokens / 1000)); or `release` deletes it when no answer came (nothing is charged).

The balance is never stored: it is derived each time from the usage history (`AiUsage`) and the top-ups
(`AiCreditTopUp`), so it cannot drift from what was really spent.

Rules (decisions where the reference is silent; also in docs/ai-summaries.md):

- `workspace.ai_monthly_credits` credits are included each calendar month (UTC); 0 means unlimited.
- Included credits are used first; what a month uses beyond them comes out of the top-ups, which persist
  across months until used. A month's overspend (at most one request, below) is not carried into the next
  month unless top-ups absorb it.
- Past months are counted with today's monthly allowance (allowance changes are audited, not versioned).
- A request may start while at least one credit is left; its pending row holds its largest possible cost, so
  two people pressing at the same moment see each other's holds: the workspace row lock (PostgreSQL
  `SELECT … FOR UPDATE`; SQLite writes begin IMMEDIATE) serialises the reservations, and only the request
  that started on the last credits can take the balance below zero (by less than its own cost).
- A pending row older than `PENDING_EXPIRY` (a crashed process) no longer holds its credit.
- Low balance: at most 10 % of this month's credits (included + top-ups available this month) left.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from lib import audit
from lib.access import Actor, Right
from lib.config import Settings
from lib.errors import LoupeError, ValidationFailed
from lib.llm.client import MAX_REPLY_TOKENS, Completion, LlmClient, client_for, credits_for, estimate_tokens
from lib.models import AiCreditTopUp, AiUsage, Workspace, utcnow
from lib.text import clean_text

PENDING_EXPIRY = timedelta(minutes=10)
HOLD_CREDITS = 1  # the least a hold is
LOW_SHARE_PERCENT = 10
MAX_CREDITS = 100_000_000
NOTE_CHARS = 200
WHO_CAN_ADD = ("An admin can add a top-up or raise the monthly credits under Settings → AI usage")

WriteSessions = Callable[[], AbstractContextManager[Session]]
"""Opens one short write transaction (pages: `lambda: context.db(write=True)`)."""


class CreditsExhausted(LoupeError):
    """No AI credit is left: the request was refused before anything was sent."""


@dataclass(frozen=True)
class Balance:
    """The workspace's AI credits now, derived from the usage history and the top-ups."""

    unlimited: bool
    monthly: int  # included each month (0 = unlimited)
    used_this_month: int
    included_left: int
    topups_left: int
    available_this_month: int  # included + top-ups available at this month's start and added since
    resets_on: date

    @property
    def credits(self) -> int | None:
        """Credits left (None when unlimited); below zero after one request overspent."""
        return None if self.unlimited else self.included_left + self.topups_left

    @property
    def exhausted(self) -> bool:
        return not self.unlimited and self.credits <= 0

    @property
    def low(self) -> bool:
        """At most 10 % of this month's credits left (and not unlimited)."""
        return not self.unlimited and self.credits * 100 <= self.available_this_month * LOW_SHARE_PERCENT

    def label(self) -> str:
        return "Unlimited" if self.unlimited else f"{self.credits:,} credit{'' if self.credits == 1 else 's'}"


def _month(at: datetime) -> tuple[int, int]:
    return at.year, at.month


def _next_month(now: datetime) -> date:
    return date(now.year + (now.month == 12), now.month % 12 + 1, 1)


def derive_balance(session: Session, *, monthly: int, now: datetime | None = None) -> Balance:
    """The balance from `AiUsage` (settled rows and live pending holds) and `AiCreditTopUp` (no actor: a figure
    of the whole workspace; pages use `credit_balance`)."""
    now = now or utcnow()
    used: dict[tuple[int, int], int] = defaultdict(int)
    for at, credits, pending in session.execute(select(AiUsage.at, AiUsage.credits, AiUsage.pending)):
        if pending and at < now - PENDING_EXPIRY:
            continue
        used[_month(at)] += int(credits or 0)
    added: dict[tuple[int, int], int] = defaultdict(int)
    for at, credits in session.execute(select(AiCreditTopUp.at, AiCreditTopUp.credits)):
        added[_month(at)] += int(credits)
    current = _month(now)
    pool, available = 0, monthly
    for month in sorted({m for m in (*used, *added, current) if m <= current}):
        pool += added[month]
        if month == current:
            available = monthly + max(pool, 0)
        pool -= max(0, used[month] - monthly)
        if month != current:
            pool = max(pool, 0)
    return Balance(unlimited=monthly == 0, monthly=monthly, used_this_month=used[current],
                   included_left=max(0, monthly - used[current]), topups_left=pool,
                   available_this_month=available, resets_on=_next_month(now))


def credit_balance(session: Session, *, actor: Actor) -> Balance:
    """The workspace balance for the sidebar (admins and managers: those who may start AI requests)."""
    actor.require(Right.GENERATE_AI_SUMMARY)
    workspace = session.scalars(select(Workspace)).one()
    return derive_balance(session, monthly=workspace.ai_monthly_credits)


def exhausted_message(balance: Balance) -> str:
    return (f"No AI credits left: this month's {balance.monthly:,} included credits and any top-ups are used up, "
            f"so nothing was sent. {WHO_CAN_ADD}; included credits renew on {balance.resets_on.isoformat()}.")


def hold_for(system: str, user: str) -> int:
    """What a request may cost at most: its prompt (estimated at 4 characters a token) and a full reply."""
    return credits_for(estimate_tokens(system + user) + MAX_REPLY_TOKENS)


def reserve(session: Session, *, actor: Actor, feature: str, action: str, model: str,
            hold: int = HOLD_CREDITS) -> int:
    """Hold one credit for a request about to be sent (a pending usage row); CreditsExhausted when none is left.

    Run in a write transaction of its own: the workspace row is locked first, so two reservations never read
    the same balance.
    """
    workspace = session.scalars(select(Workspace).with_for_update()
                                .execution_options(populate_existing=True)).one()
    balance = derive_balance(session, monthly=workspace.ai_monthly_credits)
    if balance.exhausted:
        raise CreditsExhausted(exhausted_message(balance))
    row = AiUsage(user_id=actor.user_id, feature=feature[:60], action=action[:60], model=(model or "")[:120],
                  tokens=0, credits=max(int(hold), HOLD_CREDITS), pending=True)
    session.add(row)
    session.flush()
    return row.id


def settle(session: Session, *, actor: Actor, reservation_id: int, feature: str, action: str,
           completion: Completion) -> int:
    """Turn the pending row into the usage row of an answered request, audited; returns the credits charged."""
    credits = credits_for(completion.total_tokens)
    row = session.get(AiUsage, reservation_id)
    if row is None:  # the hold expired and was released meanwhile: record the usage anyway
        row = AiUsage(user_id=actor.user_id, feature=feature[:60], action=action[:60])
        session.add(row)
    row.model, row.tokens, row.credits, row.pending = completion.model, completion.total_tokens, credits, False
    session.flush()
    audit.record(session, actor_id=actor.user_id, action="AI request", entity="ai_usage", entity_id=row.id,
                 new={"feature": feature, "action": action, "model": completion.model,
                      "tokens": completion.total_tokens, "credits": credits})
    return credits


def release(session: Session, *, reservation_id: int) -> None:
    """Drop the hold of a request that got no answer (nothing is charged)."""
    session.execute(delete(AiUsage).where(AiUsage.id == reservation_id, AiUsage.pending.is_(True)))


def metered_call(sessions: WriteSessions, *, actor: Actor, settings: Settings, feature: str, action: str,
                 system: str, user: str, client: LlmClient | None = None) -> Completion:
    """The only way a feature calls the model: reserve a credit, send, then settle (or release on failure).

    Raises ConfigurationError (no endpoint) or CreditsExhausted before anything is sent, LlmError when the
    endpoint fails (then nothing is charged).
    """
    client = client or client_for(settings)
    with sessions() as session:
        reservation = reserve(session, actor=actor, feature=feature, action=action, model=client.model,
                              hold=hold_for(system, user))
    try:
        completion = client.complete(system=system, user=user)
    except BaseException:
        with sessions() as session:
            release(session, reservation_id=reservation)
        raise
    with sessions() as session:
        settle(session, actor=actor, reservation_id=reservation, feature=feature, action=action,
               completion=completion)
    return completion


# ---------------------------------------------------------------- the admin's budget

def parse_credits(value, label: str) -> int:
    """A whole number of credits, 0 or more; ValidationFailed for negative or non-numeric input."""
    text = str(value if value is not None else "").strip().replace(",", "").replace("_", "")
    if not text.isdigit() or not text.isascii():
        raise ValidationFailed(f"{label} must be a whole number of credits, 0 or more (got {str(value)[:40]!r}).")
    number = int(text)
    if number > MAX_CREDITS:
        raise ValidationFailed(f"{label} may be at most {MAX_CREDITS:,}.")
    return number


def set_monthly_credits(session: Session, *, actor: Actor, value) -> int:
    """Set the credits included each month (0 = unlimited), admins only, audited."""
    actor.require(Right.MANAGE_SETTINGS)
    credits = parse_credits(value, "Monthly included credits")  # as lib.workspace.settings validates it
    workspace = session.scalars(select(Workspace)).one()
    old, new = audit.changed_fields(workspace, {"ai_monthly_credits": credits})
    if new:
        audit.record(session, actor_id=actor.user_id, action="update settings", entity="workspace",
                     entity_id=workspace.id, old=old, new=new)
    session.flush()
    return credits


def add_topup(session: Session, *, actor: Actor, credits, note: str = "") -> AiCreditTopUp:
    """Record credits an admin added (they persist until used), with a note; audited."""
    actor.require(Right.MANAGE_SETTINGS)
    amount = parse_credits(credits, "Top-up")
    if amount == 0:
        raise ValidationFailed("A top-up adds at least 1 credit.")
    try:
        text = " ".join(clean_text(note or "", "Top-up note", NOTE_CHARS, multiline=False).split())
    except ValueError as error:
        raise ValidationFailed(str(error)) from None
    row = AiCreditTopUp(user_id=actor.user_id, credits=amount, note=text)
    session.add(row)
    session.flush()
    audit.record(session, actor_id=actor.user_id, action="add AI credits", entity="ai_credit_topup",
                 entity_id=row.id, new={"credits": amount, "note": text})
    return row
