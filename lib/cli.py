"""Command line for make: prepare the database and serve the app.

    python -m lib.cli prepare         migrate to head; load the demo into an empty database
    python -m lib.cli serve [--port]  prepare, then run Streamlit (one server per data folder)
"""
from __future__ import annotations

import argparse
import fcntl
import os
import socket
import sys

from lib import db
from lib.config import PROJECT_ROOT, load_settings
from lib.errors import ConfigurationError


def prepare() -> None:
    """Check settings and the database, migrate, load the demo when empty."""
    settings = load_settings()
    engine = db.make_engine(settings.database_url)
    db.check_connection(engine)
    db.migrate(settings.database_url)
    from lib.demo import build as demo

    if demo.is_empty(engine):
        print("Empty database: loading the demo workspace (users admin, manager, member; password loupe-demo)…")
        summary = demo.build_demo(engine, scale="small")
        print(f"Demo loaded: {summary.line()}")
    engine.dispose()


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


def serve(port: int) -> None:
    """Run Streamlit on `port`, refusing clearly if this data folder is already being served."""
    settings = load_settings()
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
    prepare()
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
    commands.add_parser("prepare")
    serve_parser = commands.add_parser("serve")
    serve_parser.add_argument("--port", type=int, default=8501)
    args = parser.parse_args(argv)
    try:
        if args.command == "prepare":
            prepare()
        else:
            serve(args.port)
    except ConfigurationError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
