"""One typed settings object, read from ``CRISIS_*`` environment variables.

Every setting is declared once, as data, in :data:`SETTINGS`; the README's settings table is
checked against this tuple by a test. A bad value stops start-up with one line naming the
variable.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from crisis.exceptions import SettingsError

LANGUAGES: tuple[str, ...] = ("en", "el", "de", "pt")
ENV_PREFIX = "CRISIS_"


def _parse_bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ValueError("expected true or false")


def _int(raw: str) -> int:
    try:
        return int(raw.strip())
    except ValueError:
        raise ValueError("expected a whole number") from None


def _parse_positive_int(raw: str) -> int:
    value = _int(raw)
    if value <= 0:
        raise ValueError("expected a positive whole number")
    return value


def _parse_count(raw: str) -> int:
    value = _int(raw)
    if value < 0:
        raise ValueError("expected a whole number, 0 or more")
    return value


def _parse_port(raw: str) -> int:
    value = _int(raw)
    if not 1 <= value <= 65535:
        raise ValueError("expected a port number between 1 and 65535")
    return value


def _parse_language(raw: str) -> str:
    value = raw.strip().lower()
    if value not in LANGUAGES:
        raise ValueError(f"expected one of {', '.join(LANGUAGES)}")
    return value


def _parse_database_url(raw: str) -> str:
    value = raw.strip()
    if not value.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:", "postgres:")):
        raise ValueError("expected a sqlite:/// or postgresql:// URL")
    return value


def _parse_secret(raw: str) -> str:
    if len(raw) < 16:
        raise ValueError("expected at least 16 characters")
    return raw


def _parse_text(raw: str) -> str:
    return raw.strip()


def _parse_networks(raw: str) -> tuple[str, ...]:
    """Comma-separated IP addresses or networks (``10.0.0.1, 192.168.0.0/16``)."""
    import ipaddress

    found = []
    for part in raw.split(","):
        item = part.strip()
        if not item:
            continue
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ValueError(f"{item!r} is not an IP address or network") from None
        found.append(item)
    return tuple(found)


def _parse_base_url(raw: str) -> str:
    value = raw.strip().rstrip("/")
    scheme, _, rest = value.partition("://")
    if scheme not in ("http", "https") or not rest or any(c in rest for c in "?# "):
        raise ValueError("expected an http:// or https:// address without query or fragment")
    return value


def _parse_non_negative_int(raw: str) -> int:
    value = _int(raw)
    if value < 0:
        raise ValueError("expected 0 or a positive whole number")
    return value


@dataclass(frozen=True)
class Setting:
    """The declaration of one setting: its name, how to parse it, its default and its help."""

    name: str
    parse: Callable[[str], Any]
    default: Any
    help: str

    @property
    def env(self) -> str:
        """The environment variable that sets it."""
        return ENV_PREFIX + self.name.upper()


SETTINGS: tuple[Setting, ...] = (
    Setting("data_dir", Path, Path("var"), "Folder for the SQLite database, caches and the generated secret key (files created there are readable by their owner only)."),
    Setting("database_url", _parse_database_url, None, "SQLAlchemy URL of the database; empty means a SQLite file `crisis.db` in the data dir. Use `postgresql://user:pass@host/db` for PostgreSQL."),
    Setting("secret_key", _parse_secret, None, "Key that signs the forms' CSRF tokens, binding each to its sign-in session (≥ 16 characters); empty means one is generated once and kept in the data dir."),
    Setting("cache_dir", Path, None, "Folder for derived data kept between runs (the demo city, exercise optimiser plans); empty means `cache` in the data dir."),
    Setting("host", _parse_text, "127.0.0.1", "Address `crisis serve` listens on."),
    Setting("port", _parse_port, 8000, "Port `crisis serve` listens on."),
    Setting("default_language", _parse_language, "en", "Language of the interface until a user chooses: en, el, de or pt."),
    Setting("open_registration", _parse_bool, False, "`true`: anyone may create a learner account; `false`: only with an invitation from an admin."),
    Setting("session_hours", _parse_positive_int, 12, "Hours a login session stays valid."),
    Setting("login_attempts", _parse_positive_int, 5, "Failed sign-ins allowed from one address within the login window before that address is refused; failures on one account make its next tries wait longer (1 s, 2 s, 4 s … up to a minute) but never lock it."),
    Setting("login_window_seconds", _parse_positive_int, 300, "Length of the login rate-limit window in seconds."),
    Setting("trusted_proxies", _parse_networks, (), "Comma-separated addresses or networks of reverse proxies whose `X-Forwarded-For` and `X-Forwarded-Proto` headers are believed; empty means none (the connecting address is the client)."),
    Setting("max_upload_mb", _parse_positive_int, 10, "Largest accepted upload or request body, in MiB, however it is sent (a chunked body is counted as it arrives)."),
    Setting("workers", _parse_positive_int, 2, "Background worker processes for long jobs (simulation ensembles, imports)."),
    Setting("dask_scheduler", _parse_text, None, "Address of a Dask scheduler (`tcp://host:8786`): simulation ensembles of background jobs and of `crisis sim` run on that cluster; empty means the job's own process."),
    Setting("secure_cookies", _parse_bool, False, "`true`: always mark cookies Secure (set it behind an HTTPS proxy); cookies on https requests are Secure anyway."),
    Setting("issuer_name", _parse_text, "CRISIS", "Name of this installation as the issuer of Open Badges credentials (e.g. the university or training centre)."),
    Setting("base_url", _parse_base_url, None, "Public address of this installation (`https://crisis.example.edu`): the base of CASE identifiers, of the Open Badges issuer, achievement and verification addresses, of the LTI tool's addresses that platforms are given, of xAPI activity ids and of Common Cartridge links; empty means `http://<host>:<port>`."),
    Setting("lrs_url", _parse_base_url, None, "xAPI endpoint of a learning record store (`https://lrs.example.org/xAPI`); empty means statements are kept in the outbox for the learner's download only."),
    Setting("lrs_username", _parse_text, None, "User name (or key) for Basic authentication at the LRS."),
    Setting("lrs_password", _parse_text, None, "Password (or secret) for Basic authentication at the LRS."),
    Setting("outbox_seconds", _parse_non_negative_int, 30, "How often, in seconds, the server sends waiting scores and statements; `0` turns the sender off (then use `crisis integrations deliver`)."),
    Setting("demo_runs_per_hour", _parse_count, 6, "Plans one address (an IPv6 /64 network) may run per hour in the public demonstration exercise, per server process; `0` switches the demonstration off."),
)  # fmt: skip


@dataclass(frozen=True)
class Settings:
    """The settings of one CRISIS installation. Build it with :meth:`from_env`."""

    data_dir: Path = Path("var")
    database_url: str | None = None
    secret_key: str | None = None
    cache_dir: Path | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    default_language: str = "en"
    open_registration: bool = False
    session_hours: int = 12
    login_attempts: int = 5
    login_window_seconds: int = 300
    trusted_proxies: tuple[str, ...] = ()
    max_upload_mb: int = 10
    workers: int = 2
    dask_scheduler: str | None = None
    secure_cookies: bool = False
    issuer_name: str = "CRISIS"
    base_url: str | None = None
    lrs_url: str | None = None
    lrs_username: str | None = None
    lrs_password: str | None = None
    outbox_seconds: int = 30
    demo_runs_per_hour: int = 6

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read every declared setting from ``environ`` (default: the process environment).

        Raises:
            SettingsError: a variable has a value that cannot be used; the message names it.
        """
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for setting in SETTINGS:
            raw = env.get(setting.env)
            if raw is None or raw.strip() == "":
                values[setting.name] = setting.default
                continue
            try:
                values[setting.name] = setting.parse(raw)
            except ValueError as exc:
                raise SettingsError(f"{setting.env}={raw!r}: {exc}") from None
        values.update(overrides)
        return cls(**values)

    @property
    def effective_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'crisis.db').as_posix()}"

    @property
    def effective_cache_dir(self) -> Path:
        """The cache folder, defaulting to ``cache`` in the data directory."""
        return self.cache_dir if self.cache_dir is not None else self.data_dir / "cache"

    @property
    def public_url(self) -> str:
        """The public address of the installation, without a trailing slash."""
        return self.base_url or f"http://{self.host}:{self.port}"

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024

    def with_secret(self) -> Settings:
        """Return settings whose secret key is set, generating and keeping one if needed."""
        if self.secret_key:
            return self
        path = self.data_dir / "secret_key"
        if not path.exists():
            self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            try:
                # Created readable by its owner only, from the first byte on.
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:  # another process created it meanwhile
                pass
            else:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    fh.write(secrets.token_urlsafe(48))
        key = path.read_text(encoding="utf-8").strip()
        return replace(self, secret_key=key)


def _check_declarations() -> None:
    declared = {s.name for s in SETTINGS}
    attributes = {f.name for f in fields(Settings)}
    if declared != attributes:  # pragma: no cover - a programming error, caught by the tests
        raise RuntimeError(
            f"settings declared {sorted(declared)} but object has {sorted(attributes)}"
        )


_check_declarations()
