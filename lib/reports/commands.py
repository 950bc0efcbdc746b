"""`python -m lib.cli report NAME`: any report as CSV or XLSX, for cron and spreadsheets.

    python -m lib.cli report NAME --from YYYY-MM-DD --to YYYY-MM-DD [--location NAME] [--as USERNAME]
                             [--period day|week|month] --format csv|xlsx [--out PATH]
    python -m lib.cli report valuation --as-of YYYY-MM-DD --format csv|xlsx [...]

`--as-of DAY` is the one-day range DAY..DAY (the valuation report values the stock held at its end).

NAME is one of the names in `lib.reports.catalog.REPORTS`. The same function and scope as the /reports page
(`catalog.export_report`): the rows are read as the user named by --as (their role and locations), by default
the first active admin. Without --out the file is written to standard output. Unknown reports, locations or
users, and bad dates, stop with a message and exit code 2; nothing is written.
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

from sqlalchemy import func, select

from lib import db
from lib.errors import ConfigurationError, NotFound
from lib.models import Location
from lib.reports import catalog, dates
from lib.reports.common import ReportFilters
from lib.workspace.users import command_actor


def register(subparsers) -> None:
    parser = subparsers.add_parser("report", help="write a report (" + ", ".join(catalog.REPORTS) + ") as CSV/XLSX")
    parser.add_argument("name", help="the report: " + ", ".join(catalog.REPORTS))
    parser.add_argument("--from", dest="start", help="first day, YYYY-MM-DD")
    parser.add_argument("--to", dest="end", help="last day (included), YYYY-MM-DD")
    parser.add_argument("--as-of", dest="as_of", help="one day, YYYY-MM-DD (instead of --from and --to; valuation)")
    parser.add_argument("--location", help="only this location (its name)")
    parser.add_argument("--as", dest="username", help="run as this user, with their scope (default: the first admin)")
    parser.add_argument("--period", default="month", choices=list(dates.PERIODS),
                        help="rows per day, week or month (production and order summaries)")
    parser.add_argument("--format", dest="fmt", required=True, choices=("csv", "xlsx"))
    parser.add_argument("--out", help="the file to write (default: standard output)")
    parser.set_defaults(handler=run)


def location_named(session, name: str) -> int:
    """The id of the location called `name` (ignoring case); NotFound listing the names otherwise."""
    found = session.scalar(select(Location.id).where(func.lower(Location.name) == name.strip().lower()))
    if found is None:
        names = ", ".join(session.scalars(select(Location.name).order_by(Location.name)))
        raise NotFound(f"No location {name!r}; the locations are: {names}.")
    return found


def run(args, engine) -> int:
    report = catalog.get_report(args.name)
    if args.as_of:
        if args.start or args.end:
            raise ConfigurationError("Give --as-of or --from and --to, not both.")
        day = dates.parse_day(args.as_of, "--as-of day")
        period = dates.checked(day, day)
    elif not (args.start and args.end):
        raise ConfigurationError("Give --from and --to (or --as-of YYYY-MM-DD for one day).")
    else:
        period = dates.checked(dates.parse_day(args.start, "--from day"), dates.parse_day(args.end, "--to day"))
    out = Path(args.out) if args.out else None
    if out is not None and not out.parent.is_dir():
        raise ConfigurationError(f"Cannot write {out}: the folder {out.parent} does not exist.")
    if out is None and args.fmt == "xlsx" and sys.stdout.isatty():
        raise ConfigurationError("An XLSX file is not for the terminal: give --out PATH.")
    with db.session_scope(engine) as session:
        actor = command_actor(session, args.username)
        location_id = location_named(session, args.location) if args.location else None
        made = catalog.export_report(session, actor=actor, name=report.name, period=period,
                                     filters=ReportFilters(location_id=location_id), fmt=args.fmt, size=args.period)
    try:
        if out is not None:
            shutil.copyfile(made.path, out)
            print(f"{report.title}: {made.rows} rows written to {out}.", file=sys.stderr)
        elif args.fmt == "csv":
            sys.stdout.write(made.path.read_text(encoding="utf-8"))
            sys.stdout.flush()
        else:
            sys.stdout.buffer.write(made.path.read_bytes())
            sys.stdout.flush()
    finally:
        made.path.unlink(missing_ok=True)
    return 0
