"""`make bench`: build (once) the large and small demo workspaces, run every
bench/bench_*.py module, write the results and print a table.

Each module exposes `run(context: BenchContext) -> list[Result]`. Databases are
SQLite files under data/bench/ (built when missing or empty), results in
bench/results.json. When LOUPE_BENCH_DATABASE_URL names a PostgreSQL database
(postgresql+psycopg://user:password@host:5432/name; the role needs CREATEDB),
every benchmark runs on PostgreSQL instead: the demos live in the databases
<name>_bench_large and <name>_bench_small on that server (built once, about 7
minutes for the large one), results in bench/results-postgresql.json. When both
results files exist, a table puts the two databases' figures side by side.
"""
from __future__ import annotations

import importlib
import json
import os
import pkgutil
import shutil
import statistics
import sys
import time
from dataclasses import asdict, dataclass

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from lib import db
from lib.config import PROJECT_ROOT
from lib.demo import build as demo

BENCH_DIR = PROJECT_ROOT / "data" / "bench"
RESULTS = {"sqlite": PROJECT_ROOT / "bench" / "results.json",
           "postgresql": PROJECT_ROOT / "bench" / "results-postgresql.json"}
SERVER_VARIABLE = "LOUPE_BENCH_DATABASE_URL"


@dataclass(frozen=True)
class Result:
    key: str
    value: float
    unit: str
    target: float | None = None  # the figure must stay below this
    note: str = ""

    @property
    def status(self) -> str:
        if self.target is None:
            return ""
        return "ok" if self.value < self.target else "OVER"


@dataclass
class BenchContext:
    large_url: str
    small_url: str
    large: Engine
    small: Engine
    smoke: bool = False  # tests/test_bench_smoke.py: the small demo as both, few repeats, small sizes

    def repeats(self, full: int) -> int:
        """How many timed runs: `full`, or 1 in a smoke run (which proves a benchmark runs, not its figure)."""
        return 1 if self.smoke else full


def median_ms(function, repeat: int = 5, warmup: int = 1) -> float:
    """Median wall time of `function()` in milliseconds."""
    for _ in range(warmup):
        function()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _database(scale: str) -> str:
    server = os.environ.get(SERVER_VARIABLE, "")
    if server:
        return _postgres_database(server, scale)
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    path = BENCH_DIR / f"{scale}.db"
    url = f"sqlite:///{path}"
    if path.exists():
        if _ready(url):
            return url
        path.unlink()
    _build(url, scale, str(path))
    return url


def _postgres_database(server: str, scale: str) -> str:
    """The URL of `<name>_bench_<scale>` on the server `server` names, created and filled when missing or empty."""
    base = make_url(server)
    if base.get_backend_name() != "postgresql":
        raise SystemExit(f"{SERVER_VARIABLE} must name a PostgreSQL database (postgresql+psycopg://…), "
                         f"got {base.get_backend_name()!r}")
    name = f"{base.database}_bench_{scale}"
    url = base.set(database=name).render_as_string(hide_password=False)
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                        {"name": name}).first() is not None
            if exists and _ready(url):
                return url
            if exists:
                connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    _build(url, scale, f"PostgreSQL database {name}")
    return url


def scratch_copy(context: BenchContext, label: str) -> str:
    """The URL of a fresh copy of the small demo for a benchmark that writes (remade on every run).

    SQLite: data/bench/<label>.db, copied from the small demo's file after its WAL is folded in.
    PostgreSQL: the database <small demo>_<label>, made with CREATE DATABASE … TEMPLATE (the small
    demo's pooled connections are closed first, as a template must have none).
    """
    source = make_url(context.small_url)
    context.small.dispose()
    if source.get_backend_name() == "postgresql":
        name = f"{source.database}_{label}"
        admin = create_engine(source.set(database="postgres"), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{source.database}"'))
        finally:
            admin.dispose()
        return source.set(database=name).render_as_string(hide_password=False)
    target = BENCH_DIR / f"{label}.db"
    for suffix in ("", "-wal", "-shm"):
        (BENCH_DIR / f"{label}.db{suffix}").unlink(missing_ok=True)
    with context.small.connect() as connection:  # fold the WAL into the file before copying
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    context.small.dispose()
    shutil.copy(source.database, target)
    return f"sqlite:///{target}"


def _ready(url: str) -> bool:
    engine = db.make_engine(url)
    try:
        return not demo.is_empty(engine)
    except Exception:  # no schema yet: not ready
        return False
    finally:
        engine.dispose()


def _build(url: str, scale: str, where: str) -> None:
    print(f"Building the {scale} demo workspace in {where} (once; later runs reuse it)…", flush=True)
    db.migrate(url)
    engine = db.make_engine(url)
    started = time.perf_counter()
    demo.build_demo(engine, scale=scale)
    print(f"{scale} demo built in {time.perf_counter() - started:.0f} s", flush=True)
    engine.dispose()


def _modules():
    package = importlib.import_module("bench")
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name.startswith("bench_"):
            yield importlib.import_module(f"bench.{info.name}")


def print_table(results: list[Result]) -> None:
    if not results:
        print("No benchmark module returned a figure.")
        return
    width = max(len(r.key) for r in results)
    print(f"\n{'benchmark'.ljust(width)}  {'value':>12}  {'target':>10}  status  note")
    for r in results:
        target = f"{r.target:g} {r.unit}" if r.target is not None else ""
        print(f"{r.key.ljust(width)}  {r.value:>9.2f} {r.unit:<2}  {target:>10}  {r.status:<6}  {r.note}")


def print_comparison() -> None:
    """Both databases' figures side by side, when both results files exist."""
    found = {name: json.loads(path.read_text()) for name, path in RESULTS.items() if path.exists()}
    if len(found) < 2:
        return
    keys = [key for key in found["sqlite"] if key in found["postgresql"]]
    width = max((len(key) for key in keys), default=10)
    print(f"\n{'benchmark'.ljust(width)}  {'SQLite':>12}  {'PostgreSQL':>12}  target")
    for key in keys:
        lite, pg = found["sqlite"][key], found["postgresql"][key]
        target = f"{lite['target']:g} {lite['unit']}" if lite.get("target") is not None else ""
        print(f"{key.ljust(width)}  {lite['value']:>9.2f} {lite['unit']:<2}  {pg['value']:>9.2f} {pg['unit']:<2}  "
              f"{target}")


def main() -> int:
    large_url, small_url = _database("large"), _database("small")
    context = BenchContext(large_url, small_url, db.make_engine(large_url), db.make_engine(small_url))
    dialect = context.large.dialect.name
    print(f"Benchmarks on {dialect}", flush=True)
    results: list[Result] = []
    for module in _modules():
        print(f"running {module.__name__}…", flush=True)
        results.extend(module.run(context))
    RESULTS[dialect].write_text(json.dumps({r.key: asdict(r) for r in results}, indent=2))
    print_table(results)
    print(f"\nwritten to {RESULTS[dialect].relative_to(PROJECT_ROOT)}")
    print_comparison()
    return 0


if __name__ == "__main__":
    sys.exit(main())
