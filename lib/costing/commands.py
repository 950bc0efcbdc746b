"""`python -m lib.cli rates ...`: the morning price sheet from a cron job, and the rates in force as a file.

    python -m lib.cli rates import PATH [--as USER]
        record every price of a CSV/XLSX price sheet, or none (every problem is printed, exit status 2)
    python -m lib.cli rates export [--format csv|xlsx] [--out PATH] [--as USER]
        the active profiles' prices in force now, in the import's columns (CSV to standard output without --out)

`--as` names the user the change is recorded (and audited) for; it must be an
admin to import and an admin or manager to export. Without it the workspace's
first active admin is used (a cron job on the server acts for the workshop).
"""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path


from lib import db
from lib.config import load_settings
from lib.costing import sheets
from lib.errors import LoupeError, ValidationFailed
from lib.workspace.users import command_actor


def register(subparsers) -> None:
    """Add the `rates` command (import, export) to the command line's subparsers."""
    rates = subparsers.add_parser("rates", help="import a price sheet or export the rates in force")
    actions = rates.add_subparsers(dest="rates_command", required=True)
    importing = actions.add_parser("import", help="record a price sheet's prices (all or nothing)")
    importing.add_argument("path", help="a CSV, XLS or XLSX file with columns " + ", ".join(sheets.COLUMNS))
    importing.add_argument("--as", dest="username", help="the admin recorded as making the change")
    exporting = actions.add_parser("export", help="write the prices in force now")
    exporting.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    exporting.add_argument("--out", help="the file to write (default: CSV to standard output)")
    exporting.add_argument("--as", dest="username", help="an admin or manager reading the rates")
    rates.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run `rates import` or `rates export`; 0 on success, 2 with the problems on standard error otherwise."""
    engine = db.make_engine(load_settings().database_url)
    try:
        if args.rates_command == "import":
            path = Path(args.path)
            try:
                data = path.read_bytes()
            except OSError as error:
                raise ValidationFailed(f"Cannot read {path}: {error.strerror}.") from None
            with db.session_scope(engine, write=True) as session:
                result = sheets.import_price_sheet(session, actor=command_actor(session, args.username),
                                                   file_name=path.name, data=data)
            print(f"{path.name}: {result.line()}")
            return 0
        if args.format == "xlsx" and not args.out:
            raise ValidationFailed("An XLSX export needs --out PATH.")
        with db.session_scope(engine) as session:
            exported = sheets.export_rates(session, actor=command_actor(session, args.username), fmt=args.format)
        try:
            if args.out:
                shutil.copyfile(exported.path, args.out)
                print(f"{exported.rows:,} rates written to {args.out}", file=sys.stderr)
            else:
                sys.stdout.write(exported.path.read_text(encoding="utf-8"))
        finally:
            exported.path.unlink(missing_ok=True)
        return 0
    except ValidationFailed as error:
        if len(error.problems) > 1:
            print("error: nothing was written:", *error.problems, sep="\n  ", file=sys.stderr)
        else:
            print(f"error: {error}", file=sys.stderr)
        return 2
    except LoupeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
