"""Deployment settings: defaults, overrides and a clear stop on malformed values."""
import stat

import pytest

from lib.config import load_settings
from lib.db import check_connection, make_engine
from lib.errors import ConfigurationError


def test_defaults_use_sqlite_in_the_data_folder_and_a_generated_cookie_secret(tmp_path):
    settings = load_settings({"LOUPE_DATA_DIR": str(tmp_path)}, secrets_path=tmp_path / "none.toml")
    assert settings.database_url == f"sqlite:///{tmp_path / 'loupe.db'}"
    assert settings.cookie_expiry_days == 7
    secret_file = tmp_path / "cookie_secret"
    assert len(settings.cookie_secret) >= 32 and secret_file.read_text() == settings.cookie_secret
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    again = load_settings({"LOUPE_DATA_DIR": str(tmp_path)}, secrets_path=tmp_path / "none.toml")
    assert again.cookie_secret == settings.cookie_secret
    assert not settings.llm_configured


def test_environment_wins_over_the_secrets_file(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('LOUPE_LLM_MODEL = "from-file"\nOPENAI_BASE_URL = "http://127.0.0.1:9/v1"\n')
    settings = load_settings({"LOUPE_DATA_DIR": str(tmp_path), "LOUPE_LLM_MODEL": "from-env"}, secrets_path=secrets)
    assert settings.llm_model == "from-env" and settings.openai_base_url == "http://127.0.0.1:9/v1"
    assert settings.llm_configured


@pytest.mark.parametrize("name, value, message", [
    ("LOUPE_DATABASE_URL", "mysql://x@y/z", "LOUPE_DATABASE_URL"),
    ("LOUPE_DATABASE_URL", "not a url at all", "LOUPE_DATABASE_URL"),
    ("LOUPE_COOKIE_EXPIRY_DAYS", "soon", "LOUPE_COOKIE_EXPIRY_DAYS"),
    ("LOUPE_COOKIE_EXPIRY_DAYS", "-1", "LOUPE_COOKIE_EXPIRY_DAYS"),
    ("LOUPE_COOKIE_SECRET", "short", "LOUPE_COOKIE_SECRET"),
    ("OPENAI_BASE_URL", "localhost:11434", "OPENAI_BASE_URL"),
    ("LOUPE_LLM_TIMEOUT", "nan", "LOUPE_LLM_TIMEOUT"),
    ("LOUPE_IMPORT_MAX_MB", "0", "LOUPE_IMPORT_MAX_MB"),
    ("LOUPE_IMPORT_MAX_MB", "ten", "LOUPE_IMPORT_MAX_MB"),
    ("LOUPE_IMPORT_MAX_ROWS", "2.5", "LOUPE_IMPORT_MAX_ROWS"),
    ("LOUPE_IMPORT_MAX_ROWS", "0", "LOUPE_IMPORT_MAX_ROWS"),
])
def test_malformed_settings_name_the_setting(tmp_path, name, value, message):
    with pytest.raises(ConfigurationError, match=message):
        load_settings({"LOUPE_DATA_DIR": str(tmp_path), name: value}, secrets_path=tmp_path / "none.toml")


def test_import_limits_default_to_10_mb_and_5000_rows_and_can_be_set(tmp_path):
    defaults = load_settings({"LOUPE_DATA_DIR": str(tmp_path)}, secrets_path=tmp_path / "none.toml")
    assert (defaults.import_max_mb, defaults.import_max_rows) == (10.0, 5000)
    settings = load_settings({"LOUPE_DATA_DIR": str(tmp_path), "LOUPE_IMPORT_MAX_MB": "25",
                              "LOUPE_IMPORT_MAX_ROWS": "20000"}, secrets_path=tmp_path / "none.toml")
    assert (settings.import_max_mb, settings.import_max_rows) == (25.0, 20000)


def test_broken_secrets_file_is_named(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text("this is = = not toml")
    with pytest.raises(ConfigurationError, match="secrets.toml"):
        load_settings({"LOUPE_DATA_DIR": str(tmp_path)}, secrets_path=secrets)


def test_data_folder_that_cannot_be_written_is_reported(tmp_path):
    """A path blocked by a file fails the same write probe a read-only folder does (root bypasses chmod)."""
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigurationError, match="not writable"):
        load_settings({"LOUPE_DATA_DIR": str(blocker)}, secrets_path=tmp_path / "none.toml")


def test_unreachable_database_gives_a_clear_message():
    engine = make_engine("postgresql+psycopg://nobody:wrong@127.0.0.1:1/nothing")
    with pytest.raises(ConfigurationError, match="Cannot reach the database .*127.0.0.1:1"):
        check_connection(engine)
