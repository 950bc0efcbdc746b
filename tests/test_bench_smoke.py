"""A smoke run of every benchmark module (bench/bench_*.py) on the small demo, so a broken benchmark fails
here instead of at the next `make bench`.

The small demo stands in for both demos (`BenchContext.smoke`: one timed run each, small sheets, few jobs);
the figures are not checked, only that every module runs, returns named numbers, and leaves the ledger and
its summaries as consistent as it found them. Scratch copies go to a temporary folder (SQLite) or a
throwaway database dropped afterwards (PostgreSQL).
"""
from __future__ import annotations

import importlib
import math
import os

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench import run as bench
from lib import db, ledger
from lib.demo import build as demo


@pytest.fixture(scope="module")
def demos(databases) -> tuple[str, str]:
    """(large, small): the small demo, and a copy of it standing in for the large one (the AppTest render
    holds connections to the large one, and a PostgreSQL template must have none)."""
    small = databases.new("bench_smoke")
    engine = db.make_engine(small)
    demo.build_demo(engine, scale="small", seed=7, progress=None)
    engine.dispose()
    large = databases._new_url("bench_smoke_large")
    databases._create_empty(large, template=small)
    return large, small


@pytest.mark.parametrize("module", [m.__name__ for m in bench._modules()])
def test_every_benchmark_runs_on_the_small_demo(demos, module, monkeypatch, tmp_path):
    large_url, small_url = demos
    monkeypatch.setattr(bench, "BENCH_DIR", tmp_path)
    for variable in ("LOUPE_DATABASE_URL", "LOUPE_DATA_DIR"):  # the AppTest render points the app elsewhere
        monkeypatch.setenv(variable, os.environ.get(variable, ""))
    large, small = db.make_engine(large_url), db.make_engine(small_url)
    context = bench.BenchContext(large_url, small_url, large, small, smoke=True)
    try:
        results = importlib.import_module(module).run(context)
        assert results, f"{module} returned no figure"
        for result in results:
            assert isinstance(result, bench.Result) and result.key and math.isfinite(result.value), result
        for engine in (large, small):
            with db.session_scope(engine) as session:
                assert ledger.verify(session) == []
    finally:
        large.dispose()
        small.dispose()
        source = make_url(small_url)
        if source.get_backend_name() == "postgresql":  # scratch copies of the demo made by this module
            admin = create_engine(source.set(database="postgres"), isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                for name in connection.scalars(text("SELECT datname FROM pg_database WHERE datname LIKE :prefix"),
                                               {"prefix": f"{source.database}\\_%"}).all():
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
