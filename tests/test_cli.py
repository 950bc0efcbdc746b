"""`make run` helpers: a second server on the same data folder or a taken port is refused clearly."""
import fcntl
import socket

import pytest

from lib import cli
from lib.errors import ConfigurationError


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("LOUPE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LOUPE_DATABASE_URL", f"sqlite:///{tmp_path / 'loupe.db'}")
    return tmp_path


def test_second_server_on_the_same_data_folder_is_refused(data_dir):
    with open(data_dir / "server.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)  # what a running `make run` holds
        with pytest.raises(ConfigurationError, match="already running"):
            cli.serve(port=0)


def test_taken_port_is_refused(data_dir):
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        with pytest.raises(ConfigurationError, match=f"Port {taken.getsockname()[1]} is in use"):
            cli.serve(port=taken.getsockname()[1])


def test_main_prints_the_problem_and_exits_2(data_dir, capsys):
    with open(data_dir / "server.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert cli.main(["serve", "--port", "0"]) == 2
    assert "already running" in capsys.readouterr().err


def test_unreachable_database_stops_prepare_with_a_message(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LOUPE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LOUPE_DATABASE_URL", "postgresql+psycopg://nobody:wrong@127.0.0.1:1/none")
    assert cli.main(["prepare"]) == 2
    assert "Cannot reach the database" in capsys.readouterr().err


def test_a_data_folder_that_does_not_exist_yet_is_created_owner_only(tmp_path, monkeypatch, capsys):
    """Several servers on one PostgreSQL share LOUPE_COOKIE_SECRET, so nothing else creates the data folder."""
    data_dir = tmp_path / "srv" / "loupe"
    monkeypatch.setenv("LOUPE_DATA_DIR", str(data_dir))
    monkeypatch.setenv("LOUPE_COOKIE_SECRET", "s" * 40)
    monkeypatch.setenv("LOUPE_DATABASE_URL", "postgresql+psycopg://nobody:wrong@127.0.0.1:1/none")
    assert cli.main(["serve", "--port", "0"]) == 2
    assert "Cannot reach the database" in capsys.readouterr().err  # the next problem, said clearly
    assert (data_dir / "server.lock").exists() and (data_dir.stat().st_mode & 0o777) == 0o700
