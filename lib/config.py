"""Deployment settings, typed, from the environment and `.streamlit/secrets.toml`.

The environment wins over the secrets file. A malformed value stops start-up
with a `ConfigurationError` that names the setting. Workspace settings that
admins change in the app (AI summaries, plan, ...) live in the database, not here.
"""
from __future__ import annotations

import os
import re
import secrets
import tomllib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from lib.errors import ConfigurationError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = PROJECT_ROOT / "data"
DEFAULT_SECRETS_PATH = PROJECT_ROOT / ".streamlit" / "secrets.toml"


@dataclass(frozen=True)
class Settings:
    database_url: str
    data_dir: Path
    cookie_secret: str
    cookie_expiry_days: float
    openai_api_key: str | None
    openai_base_url: str | None
    llm_model: str | None
    llm_timeout_seconds: float
    load_demo: bool = True  # LOUPE_DEMO: serve the demo when the database is empty
    import_max_mb: float = 10.0  # LOUPE_IMPORT_MAX_MB: largest inventory import file
    import_max_rows: int = 5000  # LOUPE_IMPORT_MAX_ROWS: most rows per inventory import

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def llm_configured(self) -> bool:
        """True when an LLM endpoint can be called (a model and a key or a base URL)."""
        return bool(self.llm_model and (self.openai_api_key or self.openai_base_url))


def _read_secrets(path: Path) -> dict:
    if not path.exists():
        return {}
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ConfigurationError(f"{path} is not valid TOML: {error}") from error


def _positive_float(name: str, raw: str | float | None, default: float) -> float:
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ConfigurationError(f"{name} must be a number, got {raw!r}") from None
    if not value > 0 or value != value or value == float("inf"):
        raise ConfigurationError(f"{name} must be a positive number, got {raw!r}")
    return value


_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def _flag(name: str, raw: str | None, default: bool) -> bool:
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigurationError(f"{name} must be 1 or 0 (true or false), got {raw!r}")
def _positive_int(name: str, raw: str | None, default: int) -> int:
    if raw is None or raw == "":
        return default
    if not re.fullmatch(r"[0-9]+", str(raw).strip()) or int(raw) < 1:
        raise ConfigurationError(f"{name} must be a whole number of at least 1, got {raw!r}")
    return int(raw)


def _database_url(raw: str | None, data_dir: Path) -> str:
    if not raw:
        return f"sqlite:///{data_dir / 'loupe.db'}"
    try:
        url = make_url(raw)
    except Exception as error:  # SQLAlchemy raises ArgumentError; keep the message.
        raise ConfigurationError(f"LOUPE_DATABASE_URL is malformed: {error}") from None
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigurationError(
            f"LOUPE_DATABASE_URL must be sqlite:///… or postgresql+psycopg://…, got {url.get_backend_name()!r}"
        )
    return raw


def _cookie_secret(given: str | None, data_dir: Path) -> str:
    """The given secret, else one generated once and kept in data/cookie_secret."""
    if given:
        if len(given) < 32:
            raise ConfigurationError("LOUPE_COOKIE_SECRET must be at least 32 characters")
        return given
    path = data_dir / "cookie_secret"
    if path.exists():
        return path.read_text().strip()
    ensure_writable_dir(data_dir)
    secret = secrets.token_urlsafe(32)
    # Created owner-only from the start: never readable by others, not even for a moment.
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as handle:
        handle.write(secret)
    return secret


def ensure_writable_dir(path: Path) -> None:
    """Create `path` if needed (readable by its owner only) and prove we can write there, or say so clearly."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        probe = path / ".write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as error:
        raise ConfigurationError(
            f"The data folder {path} is not writable ({error.strerror}). "
            "Fix its permissions or set LOUPE_DATA_DIR to a writable folder."
        ) from None


def load_settings(environ: dict | None = None, secrets_path: Path | None = None) -> Settings:
    """Read and validate every deployment setting."""
    env = dict(os.environ if environ is None else environ)
    file_values = _read_secrets(secrets_path or DEFAULT_SECRETS_PATH)

    def get(name: str) -> str | None:
        value = env.get(name)
        if value in (None, ""):
            value = file_values.get(name)
        return None if value in (None, "") else str(value)

    data_dir = Path(get("LOUPE_DATA_DIR") or DEFAULT_DATA_DIR)
    database_url = _database_url(get("LOUPE_DATABASE_URL"), data_dir)
    if database_url.startswith("sqlite"):
        ensure_writable_dir(data_dir)
    base_url = get("OPENAI_BASE_URL")
    if base_url and not base_url.startswith(("http://", "https://")):
        raise ConfigurationError(f"OPENAI_BASE_URL must start with http:// or https://, got {base_url!r}")
    return Settings(
        database_url=database_url,
        data_dir=data_dir,
        cookie_secret=_cookie_secret(get("LOUPE_COOKIE_SECRET"), data_dir),
        cookie_expiry_days=_positive_float("LOUPE_COOKIE_EXPIRY_DAYS", get("LOUPE_COOKIE_EXPIRY_DAYS"), 7.0),
        openai_api_key=get("OPENAI_API_KEY"),
        openai_base_url=base_url,
        llm_model=get("LOUPE_LLM_MODEL"),
        llm_timeout_seconds=_positive_float("LOUPE_LLM_TIMEOUT", get("LOUPE_LLM_TIMEOUT"), 20.0),
        load_demo=_flag("LOUPE_DEMO", get("LOUPE_DEMO"), True),
        import_max_mb=_positive_float("LOUPE_IMPORT_MAX_MB", get("LOUPE_IMPORT_MAX_MB"), 10.0),
        import_max_rows=_positive_int("LOUPE_IMPORT_MAX_ROWS", get("LOUPE_IMPORT_MAX_ROWS"), 5000),
    )
