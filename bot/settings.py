"""Configuration from environment variables (and a `.env` file), validated once at start-up.

Settings are split by what needs them: the WHMCS settings for anything that reads WHMCS, the Slack
settings for serving. `lookup --demo` and `serve --demo` therefore work without WHMCS credentials.
"""

from __future__ import annotations

import ipaddress
import os
import sys
from typing import Annotated, Literal, NoReturn, TypeVar
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

API_PATH = "/includes/api.php"
LOOKUP_THREADS_PER_SLOT = 8
MAX_LOOKUP_THREADS = 1024

_COMMON_CONFIG = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")


def is_loopback_host(host: str) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1: the only hosts allowed plain `http://`."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def shown_url(url: str) -> str:
    """The URL without any user:password part (which a proxy or a protected WHMCS may carry), query or
    fragment: safe to print in a log line or `check`. Raises ValueError for an unreadable port."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _revealed(values: list[SecretStr | None]) -> list[str]:
    """The secrets that are set, in clear, for the log formatter to mask wherever they appear."""
    return [v.get_secret_value() for v in values if v is not None and v.get_secret_value()]


class ConfigurationError(Exception):
    """A setting is missing or invalid; the message names the variable and never its value."""


class WhmcsSettings(BaseSettings):
    """Where WHMCS is and how the bot authenticates to it."""

    model_config = _COMMON_CONFIG

    whmcs_url: str
    whmcs_identifier: SecretStr
    whmcs_secret: SecretStr
    whmcs_access_key: SecretStr | None = None
    whmcs_timeout: float = Field(default=10.0, gt=0, le=120)
    whmcs_max_reply_mb: float = Field(default=50.0, gt=0, le=2000)
    whmcs_admin_path: str = "admin"

    @field_validator("whmcs_url")
    @classmethod
    def _https_unless_loopback(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be a URL such as https://billing.example.com")
        if parts.scheme == "http" and not is_loopback_host(parts.hostname):
            raise ValueError("uses http://, which would send the API credentials in clear; use https://")
        return value.strip().rstrip("/")

    @field_validator("whmcs_admin_path")
    @classmethod
    def _strip_slashes(cls, value: str) -> str:
        return value.strip().strip("/") or "admin"

    @property
    def api_url(self) -> str:
        """`{WHMCS_URL}/includes/api.php`, unless the URL already points at the API script."""
        if self.whmcs_url.endswith(API_PATH):
            return self.whmcs_url
        return self.whmcs_url + API_PATH

    @property
    def base_url(self) -> str:
        """The WHMCS root, for links into the admin area."""
        return self.whmcs_url.removesuffix(API_PATH)

    @property
    def admin_base(self) -> str:
        """The WHMCS admin area, for links to invoices and clients."""
        return f"{self.base_url}/{self.whmcs_admin_path}"

    def secret_values(self) -> list[str]:
        return _revealed([self.whmcs_identifier, self.whmcs_secret, self.whmcs_access_key])


def _split_ids(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class SlackSettings(BaseSettings):
    """What serving `/credits` needs: Slack credentials, who may look, and how the server runs.

    Serving over HTTP needs the signing secret, Socket Mode the app-level token; each mode asks for its own
    (`signing_secret()`, `app_token()`) so that neither has to invent the other's.
    """

    model_config = _COMMON_CONFIG

    slack_bot_token: SecretStr
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    credits_allowed_users: Annotated[list[str], NoDecode] = Field(default_factory=list)
    credits_allowed_usergroups: Annotated[list[str], NoDecode] = Field(default_factory=list)
    credits_allowed_channels: Annotated[list[str], NoDecode] = Field(default_factory=list)
    credits_allow_share: bool = True
    credits_entry_table: bool = False
    credits_rate_limit: int = Field(default=30, ge=1, le=10_000)
    audit_channel: str | None = None
    redis_url: SecretStr | None = None
    redis_verify_tls: bool = True
    bot_concurrency: int = Field(default=32, ge=1, le=512)

    @property
    def lookup_threads(self) -> int:
        """Threads that may hold a lookup: many more than may call WHMCS, because a lookup that waits (for a
        WHMCS slot, or for an identical lookup already in flight) costs a thread and nothing else."""
        return max(
            self.bot_concurrency, min(LOOKUP_THREADS_PER_SLOT * self.bot_concurrency, MAX_LOOKUP_THREADS)
        )

    port: int = Field(default=3000, ge=1, le=65535)
    log_level: str = "INFO"
    log_format: Literal["json", "text"] | None = None
    metrics_enabled: bool = False

    _split = field_validator(
        "credits_allowed_users", "credits_allowed_usergroups", "credits_allowed_channels", mode="before"
    )(_split_ids)

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be a URL such as https://slack.com/api/")
        return value.strip().rstrip("/") + "/"

    @field_validator("slack_app_token")
    @classmethod
    def _app_level_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xapp-"):
            raise ValueError("must be an app-level token (xapp-...) with the connections:write scope")
        return value

    @field_validator("credits_allowed_users")
    @classmethod
    def _user_ids(cls, values: list[str]) -> list[str]:
        return _check_ids(values, ("U", "W"), "Slack user IDs such as U0123ABCD")

    @field_validator("credits_allowed_usergroups")
    @classmethod
    def _group_ids(cls, values: list[str]) -> list[str]:
        return _check_ids(values, ("S",), "Slack user group IDs such as S0123ABCD")

    @field_validator("credits_allowed_channels")
    @classmethod
    def _channel_ids(cls, values: list[str]) -> list[str]:
        return _check_ids(values, ("C", "G", "D"), "Slack channel IDs such as C0123ABCD")

    @field_validator("redis_url", mode="before")
    @classmethod
    def _redis_scheme(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        if isinstance(value, str) and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// (TLS) or unix://")
        return value

    @field_validator("audit_channel")
    @classmethod
    def _audit_channel_id(cls, value: str | None) -> str | None:
        if not value or not value.strip():
            return None
        return _check_ids([value.strip()], ("C", "G"), "a Slack channel ID such as C0123ABCD")[0]

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    @property
    def log_json(self) -> bool:
        """JSON lines where a log router reads them (Heroku sets DYNO, CI sets CI), text for people."""
        if self.log_format is not None:
            return self.log_format == "json"
        return bool(os.environ.get("DYNO") or os.environ.get("CI"))

    def require_allow_rule(self) -> None:
        """Fail closed: a server with nobody allowed is a misconfiguration, not an open door."""
        if not self.credits_allowed_users and not self.credits_allowed_usergroups:
            raise ConfigurationError(
                "nobody may use /credits: set CREDITS_ALLOWED_USERS (Slack user IDs) "
                "or CREDITS_ALLOWED_USERGROUPS (Slack user group IDs)"
            )

    def signing_secret(self) -> str:
        """Fail closed: without it, anyone could forge a signed request (an empty key signs anything)."""
        if self.slack_signing_secret is None or not self.slack_signing_secret.get_secret_value():
            raise ConfigurationError(
                "SLACK_SIGNING_SECRET is not set: serving over HTTP needs it to verify that requests come "
                "from Slack (Basic Information -> App Credentials -> Signing Secret)"
            )
        return self.slack_signing_secret.get_secret_value()

    def app_token(self) -> str:
        if self.slack_app_token is None:
            raise ConfigurationError(
                "SLACK_APP_TOKEN is not set: Socket Mode needs an app-level token (xapp-...) with the "
                "connections:write scope (Basic Information -> App-Level Tokens)"
            )
        return self.slack_app_token.get_secret_value()

    def secret_values(self) -> list[str]:
        return _revealed(
            [self.slack_bot_token, self.slack_signing_secret, self.slack_app_token, self.redis_url]
        )


def _check_ids(values: list[str], prefixes: tuple[str, ...], expected: str) -> list[str]:
    for value in values:
        if not (value[:1] in prefixes and value[1:].isalnum() and value.isupper()):
            raise ValueError(f"{value!r} is not one of {expected}")
    return values


SettingsT = TypeVar("SettingsT", bound=BaseSettings)


def describe_validation_error(error: ValidationError) -> str:
    """One line naming each bad variable, without echoing its value (it may be a secret)."""
    problems = []
    for item in error.errors():
        name = str(item["loc"][0]).upper() if item["loc"] else "settings"
        if item["type"] == "missing":
            problems.append(f"{name} is not set")
        else:
            problems.append(f"{name} {item['msg'].removeprefix('Value error, ')}")
    return "; ".join(problems)


def load(settings_class: type[SettingsT]) -> SettingsT:
    """Build settings or raise ConfigurationError with a one-line explanation."""
    try:
        return settings_class()
    except ValidationError as error:
        raise ConfigurationError(describe_validation_error(error)) from None


def exit_with(error: ConfigurationError) -> NoReturn:
    """The agreed way a misconfigured program ends: one line on stderr, exit status 2."""
    print(f"credits-bot: configuration error: {error}", file=sys.stderr)
    raise SystemExit(2)
