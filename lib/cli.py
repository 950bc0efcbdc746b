"""Command line for make and for a team's first start.

    python -m lib.cli prepare [--no-demo]         migrate to head; load the demo into an empty database
    python -m lib.cli serve [--port] [--no-demo]  prepare, then run Streamlit (one server per data folder)
    python -m lib.cli init --workspace NAME --industry KEY --admin USERNAME [--admin-name NAME]
                           [--email EMAIL] [--password-file PATH]
                                                  migrate, then create the workspace and its first admin
    python -m lib.cli report NAME --from YYYY-MM-DD --to YYYY-MM-DD [--location NAME] [--as USERNAME]
                             --format csv|xlsx [--out PATH]
                                                  a report as CSV/XLSX (lib/reports/commands.py)
    python -m lib.cli rates import PATH | export  the morning price sheet (lib/costing/commands.py)
    python -m lib.cli labels --tags TAG[,TAG...] | --product NAME [--layout NAME] [--as USERNAME] --out PATH
                                                  item labels as a PDF (lib/documents/commands.py)
    python -m lib.cli document confirmation|pick-list|packing-slip|purchase-order|envelope NUMBER
                               [--shipment N] [--as USERNAME] --out PATH
                                                  an order's or a job's printed document as a PDF

The demo is loaded into an empty database unless `--no-demo` or LOUPE_DEMO=0
(`make run DEMO=0`): the app then shows its *Create your workspace* form.
"""
from __future__ import annotations

import argparse
import fcntl
import getpass
import os
import socket
import sys
from pathlib import Path

from lib import db
from lib.config import PROJECT_ROOT, ensure_writable_dir, load_settings
from lib.costing import commands as rate_commands
from lib.documents import commands as document_commands
from lib.errors import ConfigurationError, LoupeError, ValidationFailed
from lib.reports import commands as report_commands

DEFAULT_PORT = 8501


def _migrated_engine(settings):
    engine = db.make_engine(settings.database_url)
    db.check_connection(engine)
    db.migrate(settings.database_url)
    return engine


def prepare(demo: bool | None = None, port: int = DEFAULT_PORT) -> None:
    """Check settings and the database, migrate, and say what will be served.

    An empty database gets the demo workspace unless `demo` is False (default:
    the LOUPE_DEMO setting); without it the app shows its create-workspace form.
    """
    settings = load_settings()
    engine = _migrated_engine(settings)
    from lib.demo import build as demo_build
    from lib.workspace.users import DEMO_PASSWORD

    try:
        if not demo_build.is_empty(engine):
            return
        if demo is False or (demo is None and not settings.load_demo):
            print(f"No workspace yet: open http://localhost:{port} to create it "
                  "(or run `python -m lib.cli init`).")
            return
        usernames = ", ".join(username for username, *_rest in demo_build.USERS)
        print("Empty database: loading the demo workspace…")
        summary = demo_build.build_demo(engine, scale="small")
        print(summary.line())
        print(f"Demo users: {usernames}; password {DEMO_PASSWORD} (demo only: see README, Real use).")
    finally:
        engine.dispose()


def _read_password(password_file: str | None) -> tuple[str, str | None]:
    """(password, repeat): from the file (first line), else asked twice on the terminal."""
    if password_file:
        try:
            lines = Path(password_file).read_text(encoding="utf-8").splitlines()
        except OSError as error:
            raise ConfigurationError(f"Cannot read the password file {password_file}: {error.strerror}.") from None
        return (lines[0] if lines else ""), None
    if not sys.stdin.isatty():
        raise ConfigurationError("No terminal to ask the admin's password: use --password-file PATH.")
    return getpass.getpass("Admin password: "), getpass.getpass("Repeat the password: ")


def init(*, workspace: str, industry: str, admin: str, admin_name: str | None = None, email: str = "",
         password_file: str | None = None) -> None:
    """Migrate, then create the workspace (preset catalogs) and its first admin.

    Refuses a database that already has a workspace (the demo included)."""
    from lib.workspace.setup import create_workspace

    settings = load_settings()
    engine = _migrated_engine(settings)
    try:
        password, repeat = _read_password(password_file)
        with db.session_scope(engine, write=True) as session:
            made = create_workspace(session, name=workspace, industry=industry, admin_username=admin,
                                    admin_name=admin_name or admin, admin_password=password,
                                    admin_password_repeat=repeat, admin_email=email)
    finally:
        engine.dispose()
    print(f"Workspace {made.name!r} created ({made.industry}, {made.catalog_entries} catalog entries). "
          f"Start it with `make run` and sign in as {made.admin_username!r}.")


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


def serve(port: int, demo: bool | None = None) -> None:
    """Run Streamlit on `port`, refusing clearly if this data folder is already being served."""
    settings = load_settings()
    # With PostgreSQL and LOUPE_COOKIE_SECRET nothing else has created the data folder yet.
    ensure_writable_dir(settings.data_dir)
    lock_path = settings.data_dir / "server.lock"
    lock = open(lock_path, "a+")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.seek(0)
        running = lock.read().strip() or "another port"
        lock.close()
        raise ConfigurationError(
            f"Loupe Factory is already running for {settings.data_dir} ({running}). "
            "Use that server or stop the other `make run` first.") from None
    if not _port_free(port):
        lock.close()
        raise ConfigurationError(f"Port {port} is in use by another program. Stop it or run `make run PORT=8502`.")
    prepare(demo=demo, port=port)
    lock.truncate(0)
    lock.write(f"pid {os.getpid()}, http://localhost:{port}")
    lock.flush()
    os.set_inheritable(lock.fileno(), True)  # Streamlit keeps holding the lock after exec
    print(f"Serving Loupe Factory on http://localhost:{port}")
    os.chdir(PROJECT_ROOT)
    os.execv(sys.executable, [sys.executable, "-m", "ui.launch", "--server.port", str(port),
                              "--server.headless", "true"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib.cli")
    commands = parser.add_subparsers(dest="command", required=True)
    no_demo = dict(action="store_const", const=False, dest="demo", default=None,
                   help="serve an empty database without the demo (also LOUPE_DEMO=0)")
    prepare_parser = commands.add_parser("prepare")
    prepare_parser.add_argument("--no-demo", **no_demo)
    serve_parser = commands.add_parser("serve")
    serve_parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    serve_parser.add_argument("--no-demo", **no_demo)
    init_parser = commands.add_parser("init", help="create the workspace and its first admin")
    init_parser.add_argument("--workspace", required=True, help="the workspace (company) name")
    init_parser.add_argument("--industry", required=True, help="industry preset: " + ", ".join(_industry_keys()))
    init_parser.add_argument("--admin", required=True, help="the first admin's username")
    init_parser.add_argument("--admin-name", help="the first admin's full name (default: the username)")
    init_parser.add_argument("--email", default="", help="the first admin's email (optional)")
    init_parser.add_argument("--password-file", help="read the password from this file instead of asking twice")
    report_commands.register(commands)
    rate_commands.register(commands)
    document_commands.register(commands)
    args = parser.parse_args(argv)
    if getattr(args, "run", None):  # a command registered by its own module runs itself
        return args.run(args)
    try:
        if getattr(args, "handler", None):  # a subcommand registered by its own module: handler(args, engine)
            return _run_handler(args)
        if args.command == "prepare":
            prepare(demo=args.demo)
        elif args.command == "init":
            init(workspace=args.workspace, industry=args.industry, admin=args.admin, admin_name=args.admin_name,
                 email=args.email, password_file=args.password_file)
        else:
            serve(args.port, demo=args.demo)
    except ValidationFailed as error:
        print("error: the workspace was not created:", *error.problems, sep="\n  ", file=sys.stderr)
        return 2
    except LoupeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


def _run_handler(args) -> int:
    engine = _migrated_engine(load_settings())
    try:
        return args.handler(args, engine)
    except ValidationFailed as error:  # the generic handler below speaks of creating the workspace
        print("error:", *error.problems, sep="\n  ", file=sys.stderr)
        return 2
    finally:
        engine.dispose()


def _industry_keys() -> list[str]:
    from lib.presets import industries

    return [key for key, _label in industries()]


if __name__ == "__main__":
    sys.exit(main())
