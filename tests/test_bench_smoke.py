"""A smoke run of every benchmark module (bench/bench_*.py) on the small demo, so a broken benchmark fails
here instead of at the next `make bench`.

The small demo stands in for both demos (`BenchContext.smoke`: one timed run each, small sheets, few jobs);
the figures are not checked, only that every module runs, returns named numbers, and leaves the ledger and
its summaries as consistent as it found them. Scratch copies go to a temporary folder (SQLite) or a
throwaway database dropped afterwards (PostgreSQL).
"""
from __future__ import annotations

import math

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench import run as bench
from lib import db, ledger
from lib.demo import build as demo


@pytest.fixture(scope="module")
def small_demo(databases):
    url = databases.new("bench-smoke")
    engine = db.make_engine(url)
    demo.build_demo(engine, scale="small", seed=7, progress=None)
    engine.dispose()
    return url


@pytest.mark.parametrize("module", [m.__name__ for m in bench._modules()])
def test_every_benchmark_runs_on_the_small_demo(small_demo, module, monkeypatch, tmp_path):
    import importlib

    monkeypatch.setattr(bench, "BENCH_DIR", tmp_path)
    engine = db.make_engine(small_demo)
    context = bench.BenchContext(small_demo, small_demo, engine, engine, smoke=True)
    try:
        results = importlib.import_module(module).run(context)
        assert results, f"{module} returned no figure"
        for result in results:
            assert isinstance(result, bench.Result) and result.key and math.isfinite(result.value), result
        with db.session_scope(engine) as session:
            assert ledger.verify(session) == []
    finally:
        engine.dispose()
        source = make_url(small_demo)
        if source.get_backend_name() == "postgresql":  # scratch copies of the demo made by this module
            admin = create_engine(source.set(database="postgres"), isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                for name in connection.scalars(text("SELECT datname FROM pg_database WHERE datname LIKE :prefix"),
                                               {"prefix": f"{source.database}\\_%"}).all():
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
