"""Configuration: one pydantic-settings class read from the environment and `.env`."""

import ipaddress
import os
import re
from datetime import date
from datetime import time
from functools import lru_cache
from pathlib import Path
from typing import Annotated
from typing import Literal
from zoneinfo import ZoneInfo
from zoneinfo import ZoneInfoNotFoundError

from pydantic import Field
from pydantic import SecretStr
from pydantic import ValidationError
from pydantic import field_validator
from pydantic_settings import BaseSettings
from pydantic_settings import NoDecode
from pydantic_settings import SettingsConfigDict

DEFAULT_SQLITE_URL = "sqlite:///var/rapk.sqlite3"  # relative SQLite paths are under RAPK_HOME
PROJECT_DIR = Path(__file__).resolve().parent.parent


def rapk_home() -> Path:
    """The folder of `.env` and of relative SQLite paths: RAPK_HOME, else the project folder.

    Not the current folder: `rapk` run from elsewhere must find the same database, not make a new one.
    """
    return Path(os.environ.get("RAPK_HOME") or PROJECT_DIR).expanduser().resolve()


# What a bot token looks like (`<bot id>:<secret>`): redacted even when the configured one is unknown.
TOKEN_PATTERN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")


def redact(text: str, *secrets: str | None) -> str:
    """`text` without the given secrets or anything shaped like a bot token."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "<token>")
            # The secret part alone appears too (e.g. inside a URL-quoted string).
            tail = secret.partition(":")[2]
            if len(tail) >= 8:
                text = text.replace(tail, "<token>")
    return TOKEN_PATTERN.sub("<token>", text)


_HOSTNAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")


def _split_csv(value):
    """Accept `1,2,3` (env) as well as a real list."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    """Every setting of RAPK Bot; `.env.example` documents each key."""

    # load_settings() reads RAPK_HOME/.env.
    model_config = SettingsConfigDict(env_file=None, env_file_encoding="utf-8", extra="ignore",
                                      env_ignore_empty=True, populate_by_name=True)

    telegram_bot_token: SecretStr | None = None
    telegram_base_url: str | None = None  # e.g. http://127.0.0.1:8081/bot (local Bot API or fake server)
    telegram_bot_username: str | None = None  # filled from getMe when unset
    # Pace of bulk sends (reminders, digests, messages to others): Telegram allows about 30 messages/s of
    # bulk notifications per bot. Replies to a user's own message are not held to it (bot/telegram/ratelimit.py).
    telegram_max_messages_per_second: float = Field(default=30, gt=0, le=10_000)
    # How many processes dispatch the outbox (`rapk run --role dispatcher`, or `all`): they share the
    # cap above, each sending at most cap / TELEGRAM_DISPATCHERS (Settings.dispatch_rate).
    telegram_dispatchers: int = Field(default=1, ge=1, le=100)

    database_url: str = Field(default=DEFAULT_SQLITE_URL, validate_default=True)

    admin_telegram_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    leadership_chat_id: int | None = None

    timezone: str = "Asia/Jakarta"
    # RAPK_LANGUAGE, not LANGUAGE: gettext shells set LANGUAGE to values like `en_US:en`.
    language: Literal["id", "en"] = Field(default="id", validation_alias="RAPK_LANGUAGE")

    agency_name: str | None = None  # which agency's plan the bot serves; the only one when unset
    # The agency served (an id): set per person by bot.domain.agencies `agency_settings`; AGENCY_ID pins one.
    agency_id: int | None = None
    plan_year: int | None = None  # which year; the latest imported when unset

    report_deadline_working_days: int = Field(default=5, ge=0, le=60)
    reminder_offsets_days: Annotated[list[int], NoDecode] = Field(default_factory=lambda: [7, 3, 1])
    reminder_time: time = time(8, 0)
    overdue_every_working_days: int = Field(default=2, ge=1, le=30)
    extra_days_off: Annotated[list[date], NoDecode] = Field(default_factory=list)  # cuti bersama
    digest_weekday: int = Field(default=0, ge=-1, le=6)  # weekly digest in the reporting window; Monday; -1 off
    invite_ttl_days: int = Field(default=7, ge=1, le=365)
    score_bands: Annotated[list[int], NoDecode] = Field(default_factory=lambda: [91, 76, 66, 51])
    # Ceiling of each item's achievement inside an aggregate (README «Cara menghitung capaian»)
    score_cap_pct: int = Field(default=100, ge=100, le=1000)

    # Verification of submitted reports (bot/domain/verification.py): admins verify too unless turned off;
    # scoring and the digest count only accepted reports when on ("auto": once a verifier is granted).
    admins_verify: bool = True
    verification: Literal["auto", "on", "off"] = "auto"
    # Remind verifiers when a report has waited this many working days in their queue (and on the deadline).
    verifier_reminder_working_days: int = Field(default=2, ge=1, le=30)
    # «Ingatkan» from the group: at most one nudge per PIC in this many minutes (a double tap sends once).
    nudge_every_minutes: int = Field(default=60, ge=1, le=7 * 24 * 60)
    # «Dievaluasi» on the evaluation form (bot.domain.evaluation_form): the Kepala Bappeda who evaluates it,
    # and the place printed before the date of both signatures (e.g. «Gresik»).
    bappeda_head_title: str = Field(default="KEPALA BAPPEDA", max_length=300)
    bappeda_head_name: str = Field(default="", max_length=300)
    bappeda_head_rank: str = Field(default="", max_length=100)
    bappeda_head_nip: str = Field(default="", max_length=30)
    signing_place: str = Field(default="", max_length=100)

    webhook_url: str | None = None  # public https URL; webhook mode when set
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    webhook_secret_token: SecretStr | None = None
    # The Mini App (handlers/webapp.py): its public https URL, served by the bot's own web server at
    # WEBHOOK_LISTEN:WEBHOOK_PORT under /webapp (in polling mode too); off when unset.
    webapp_url: str | None = None
    webapp_max_age_seconds: int = Field(default=10_800, ge=60, le=86_400)  # how old an initData may be

    log_level: str = "INFO"

    @field_validator("admin_telegram_ids", "reminder_offsets_days", "score_bands", "extra_days_off", mode="before")
    @classmethod
    def _csv(cls, value):
        return _split_csv(value)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("reminder_offsets_days")
    @classmethod
    def _offsets(cls, value: list[int]) -> list[int]:
        if any(v < 1 or v > 60 for v in value):
            raise ValueError("each offset must be 1..60 days")
        return sorted(set(value), reverse=True)

    @field_validator("score_bands")
    @classmethod
    def _bands(cls, value: list[int]) -> list[int]:
        if len(value) != 4 or value != sorted(value, reverse=True):
            raise ValueError("four descending lower bounds, e.g. 91,76,66,51")
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        names = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")
        if value.upper() not in names:
            raise ValueError(f"{value!r} is not one of {', '.join(names)}")
        return value.upper()

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError("not a database URL; use sqlite:///path/rapk.sqlite3 or "
                             "postgresql+psycopg://user:pass@host/db") from None
        if url.drivername in ("postgres", "postgresql", "postgresql+psycopg2"):
            raise ValueError(f"use the postgresql+psycopg:// scheme (the driver this bot installs), not {url.drivername}://")
        if url.drivername not in ("sqlite", "sqlite+pysqlite", "postgresql+psycopg"):
            raise ValueError(f"unsupported database {url.drivername!r}; use sqlite:/// or postgresql+psycopg://")
        if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:" \
                and not url.database.startswith("file:") and not Path(url.database).is_absolute():
            return url.set(database=str(rapk_home() / url.database)).render_as_string(hide_password=False)
        return value

    @field_validator("telegram_base_url")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        from urllib.parse import urlsplit

        if value is not None and (urlsplit(value).scheme not in ("http", "https") or not urlsplit(value).hostname):
            raise ValueError("not an http:// or https:// URL, e.g. http://127.0.0.1:8081")
        return value

    @field_validator("webhook_url", "webapp_url")
    @classmethod
    def _public_url(cls, value: str | None, info) -> str | None:
        from urllib.parse import urlsplit

        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            example = "webapp" if info.field_name == "webapp_url" else "telegram"
            raise ValueError(f"{value!r} is not an https:// URL, e.g. https://bot.example.go.id/{example}")
        return value

    @field_validator("webhook_listen")
    @classmethod
    def _webhook_listen(cls, value: str) -> str:
        try:
            ipaddress.ip_address(value)
            return value
        except ValueError:
            pass
        if not _HOSTNAME.match(value) or value.replace(".", "").isdigit():
            raise ValueError(f"{value!r} is not an address to listen on, e.g. 127.0.0.1 (the port is WEBHOOK_PORT)")
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def dispatch_rate(self) -> float:
        """Messages/s one dispatching process may send: its share of Telegram's cap (a static split, see
        README «Beberapa proses»: no coordination per message, a dead dispatcher's share is idle until
        systemd restarts it)."""
        return self.telegram_max_messages_per_second / self.telegram_dispatchers


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the key."""


def describe_validation_error(exc: ValidationError) -> str:
    """One clear line naming the first bad key (as its environment variable)."""
    err = exc.errors()[0]
    key = str(err["loc"][0]).upper() if err.get("loc") else "?"
    return f"configuration error: {key}: {err['msg'].removeprefix('Value error, ')}"


def load_settings(**overrides) -> Settings:
    """Read and validate settings; raises ConfigError with one line on failure."""
    overrides.setdefault("_env_file", rapk_home() / ".env")
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
