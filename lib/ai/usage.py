"""AI usage by month, user and feature, and the credit figures of Settings → AI usage (reference 3.8.1).

Rows come from the usage history (`AiUsage`, settled requests only: a request in flight is not usage yet).
The balance is `lib.llm.metering`'s, derived from the same history and the top-ups.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from lib import spreadsheet
from lib.access import Actor, Right
from lib.ai.summaries import FEATURE_LABELS
from lib.llm import metering
from lib.models import AiCreditTopUp, AiUsage, User, Workspace, utcnow

HEADERS = ("Month", "User", "Feature", "Requests", "Tokens", "Credits")
MAX_TOPUPS_SHOWN = 50


def _start_of_months_back(now: datetime, months: int) -> datetime:
    index = now.year * 12 + now.month - 1 - (months - 1)
    return now.replace(year=index // 12, month=index % 12 + 1, day=1, hour=0, minute=0, second=0, microsecond=0)


def usage_by_month(session: Session, *, actor: Actor, months: int = 12) -> list[dict]:
    """Requests, tokens and credits per month (UTC), user and feature, newest month first (admins)."""
    actor.require(Right.VIEW_AI_USAGE)
    since = _start_of_months_back(utcnow(), max(1, min(int(months), 120)))
    totals: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    stmt = (select(AiUsage.at, User.username, AiUsage.feature, AiUsage.tokens, AiUsage.credits)
            .outerjoin(User, User.id == AiUsage.user_id)
            .where(AiUsage.at >= since, AiUsage.pending.is_(False)))
    for at, username, feature, tokens, credits in session.execute(stmt):
        key = (f"{at.year:04d}-{at.month:02d}", username or "removed user", FEATURE_LABELS.get(feature, feature))
        totals[key][0] += 1
        totals[key][1] += int(tokens or 0)
        totals[key][2] += int(credits or 0)
    ordered = sorted(totals.items(), key=lambda item: (item[0][0], item[0][1], item[0][2]))
    ordered.sort(key=lambda item: item[0][0], reverse=True)
    return [{"month": month, "user": user, "feature": feature, "requests": figures[0], "tokens": figures[1],
             "credits": figures[2]} for (month, user, feature), figures in ordered]


def export_usage(session: Session, *, actor: Actor, fmt: str = "csv", months: int = 12) -> spreadsheet.ExportFile:
    """The monthly usage table as CSV or XLSX (lib.spreadsheet: user names never run as formulas)."""
    rows = usage_by_month(session, actor=actor, months=months)
    return spreadsheet.write_export(HEADERS, ([row["month"], row["user"], row["feature"], row["requests"],
                                               row["tokens"], row["credits"]] for row in rows),
                                    fmt, "ai-usage", sheet_title="AI usage")


@dataclass(frozen=True)
class CreditsView:
    balance: metering.Balance
    topups: list[dict]  # newest first: at, user, credits, note


def credits_view(session: Session, *, actor: Actor) -> CreditsView:
    """The balance and the recorded top-ups, for the admin's credits section."""
    actor.require(Right.VIEW_AI_USAGE)
    workspace = session.scalars(select(Workspace)).one()
    stmt = (select(AiCreditTopUp, User.username).outerjoin(User, User.id == AiCreditTopUp.user_id)
            .order_by(AiCreditTopUp.at.desc(), AiCreditTopUp.id.desc()).limit(MAX_TOPUPS_SHOWN))
    topups = [{"at": row.at, "user": username or "removed user", "credits": row.credits, "note": row.note}
              for row, username in session.execute(stmt)]
    return CreditsView(metering.derive_balance(session, monthly=workspace.ai_monthly_credits), topups)
