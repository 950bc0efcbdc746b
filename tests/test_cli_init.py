"""First start from the command line: `init` creates the workspace once; `prepare` says what it serves."""
from __future__ import annotations

import stat
import sys

import pytest
from sqlalchemy import func, select

from lib import cli, db
from lib.demo import build as demo
from lib.demo import plan
from lib.models import User, Workspace
from lib.workspace.users import password_matches

TINY = plan.Scale(products=8, items=150, movements=900, images=12)


@pytest.fixture
def data_dir(tmp_path, monkeypatch, fresh_url):
    monkeypatch.setenv("LOUPE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LOUPE_DATABASE_URL", fresh_url)
    monkeypatch.delenv("LOUPE_DEMO", raising=False)
    return tmp_path


def _users(url: str) -> list[str]:
    engine = db.make_engine(url)
    try:
        with db.session_scope(engine) as session:
            return session.scalars(select(User.username).order_by(User.id)).all()
    finally:
        engine.dispose()


def _init(*extra: str) -> int:
    return cli.main(["init", "--workspace", "Rivera Gems", "--industry", "gemstones", "--admin", "ana", *extra])


def test_init_creates_the_workspace_and_refuses_a_second_time(data_dir, fresh_url, capsys):
    password = data_dir / "password.txt"
    password.write_text("a long password\n")
    assert _init("--admin-name", "Ana Rivera", "--password-file", str(password)) == 0
    assert "Workspace 'Rivera Gems' created (gemstones" in capsys.readouterr().out
    engine = db.make_engine(fresh_url)
    with db.session_scope(engine) as session:
        admin = session.scalars(select(User)).one()
        assert (admin.username, admin.name) == ("ana", "Ana Rivera")
        assert password_matches("a long password", admin.password_hash)
        assert session.scalars(select(Workspace.name)).one() == "Rivera Gems"
    engine.dispose()

    assert _init("--password-file", str(password)) == 2
    assert "already has a workspace; nothing was changed" in capsys.readouterr().err
    assert _users(fresh_url) == ["ana"]


def test_init_refuses_the_demo_database(data_dir, fresh_url, monkeypatch, capsys):
    monkeypatch.setitem(demo.SCALES, "small", TINY)
    cli.prepare()
    password = data_dir / "password.txt"
    password.write_text("a long password")
    assert _init("--password-file", str(password)) == 2
    assert "already has a workspace" in capsys.readouterr().err
    assert "ana" not in _users(fresh_url)


def test_init_asks_the_password_twice_on_a_terminal(data_dir, fresh_url, monkeypatch, capsys):
    answers = iter(["a long password", "a long passw0rd"])
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr(cli.getpass, "getpass", lambda prompt: next(answers))
    assert _init() == 2
    assert "The passwords do not match." in capsys.readouterr().err
    assert _users(fresh_url) == []


def test_init_without_a_terminal_needs_a_password_file(data_dir, monkeypatch, capsys):
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
    assert _init() == 2
    assert "use --password-file" in capsys.readouterr().err


def test_init_lists_every_problem(data_dir, fresh_url, capsys):
    password = data_dir / "password.txt"
    password.write_text("short")
    assert cli.main(["init", "--workspace", " ", "--industry", "bakery", "--admin", "<b>Boss</b>",
                     "--password-file", str(password)]) == 2
    err = capsys.readouterr().err
    for problem in ("Workspace name is required.", "Unknown industry 'bakery'", "Username: 2-60 characters",
                    "at least 10 characters"):
        assert problem in err
    assert _users(fresh_url) == []


def test_prepare_without_the_demo_leaves_the_database_empty_and_says_where_to_create_it(data_dir, fresh_url,
                                                                                         monkeypatch, capsys):
    monkeypatch.setenv("LOUPE_DEMO", "0")
    assert cli.main(["prepare"]) == 0
    assert "No workspace yet: open http://localhost:8501 to create it" in capsys.readouterr().out
    assert _users(fresh_url) == []


def test_prepare_with_the_demo_lists_all_six_demo_users(data_dir, monkeypatch, capsys):
    monkeypatch.setitem(demo.SCALES, "small", TINY)
    assert cli.main(["prepare"]) == 0
    out = capsys.readouterr().out
    assert "Demo users: admin, manager, member, manager2, member2, member3; password loupe-demo" in out
    assert cli.main(["prepare"]) == 0  # a second start serves what is there and names no user
    assert "Demo users" not in capsys.readouterr().out


def test_a_bad_demo_flag_is_named(data_dir, monkeypatch, capsys):
    monkeypatch.setenv("LOUPE_DEMO", "maybe")
    assert cli.main(["prepare"]) == 2
    assert "LOUPE_DEMO must be 1 or 0" in capsys.readouterr().err


def test_the_sqlite_file_its_wal_and_the_cookie_secret_are_owner_only(tmp_path, monkeypatch):
    monkeypatch.setenv("LOUPE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("LOUPE_DATABASE_URL", raising=False)
    monkeypatch.delenv("LOUPE_COOKIE_SECRET", raising=False)
    monkeypatch.setenv("LOUPE_DEMO", "0")
    assert cli.main(["prepare"]) == 0
    engine = db.make_engine(f"sqlite:///{tmp_path / 'loupe.db'}")
    with engine.connect() as reader:  # keeps the -wal and -shm files in place while we look
        reader.execute(select(func.count()).select_from(User))
        for name in ("loupe.db", "loupe.db-wal", "loupe.db-shm", "cookie_secret"):
            assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600, name
    engine.dispose()


def test_an_existing_readable_database_is_narrowed_on_the_next_start(tmp_path):
    path = tmp_path / "old.db"
    url = f"sqlite:///{path}"
    db.migrate(url)
    path.chmod(0o644)
    db.make_engine(url).dispose()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
