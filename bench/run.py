"""`make bench`: build (once) the large and small demo workspaces, run every
bench/bench_*.py module, write bench/results.json and print a table.

Each module exposes `run(context: BenchContext) -> list[Result]`. Databases are
SQLite files under data/bench/ (rebuilt when the generator's scale changes),
or PostgreSQL databases when LOUPE_BENCH_DATABASE_URL names a server.
"""
from __future__ import annotations

import importlib
import json
import pkgutil
import statistics
import sys
import time
from dataclasses import asdict, dataclass

from sqlalchemy.engine import Engine

from lib import db
from lib.config import PROJECT_ROOT
from lib.demo import build as demo

BENCH_DIR = PROJECT_ROOT / "data" / "bench"
RESULTS = PROJECT_ROOT / "bench" / "results.json"


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
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    path = BENCH_DIR / f"{scale}.db"
    url = f"sqlite:///{path}"
    if path.exists():
        engine = db.make_engine(url)
        ready = not demo.is_empty(engine)
        engine.dispose()
        if ready:
            return url
        path.unlink()
    print(f"Building the {scale} demo workspace in {path} (once; later runs reuse it)…", flush=True)
    db.migrate(url)
    engine = db.make_engine(url)
    started = time.perf_counter()
    demo.build_demo(engine, scale=scale)
    print(f"{scale} demo built in {time.perf_counter() - started:.0f} s", flush=True)
    engine.dispose()
    return url


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
        print(f"{r.key.ljust(width)}  {r.value:>9.1f} {r.unit:<2}  {target:>10}  {r.status:<6}  {r.note}")


def main() -> int:
    large_url, small_url = _database("large"), _database("small")
    context = BenchContext(large_url, small_url, db.make_engine(large_url), db.make_engine(small_url))
    results: list[Result] = []
    for module in _modules():
        print(f"running {module.__name__}…", flush=True)
        results.extend(module.run(context))
    RESULTS.write_text(json.dumps({r.key: asdict(r) for r in results}, indent=2))
    print_table(results)
    print(f"\nwritten to {RESULTS.relative_to(PROJECT_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
