"""Settings from command-line flags, ``ACCORD_*`` environment variables and defaults.

Precedence: a flag given on the command line, then the environment, then the
default. Every setting is declared once, as a field of `Settings` made by
`setting()`: its type, default, flag, environment variable, parser, the
commands that take its flag and what it means. The argparse flags of each
command, the environment names read, `DEFAULTS` (which other modules import
instead of repeating a literal) and README.md's configuration table
(`accord.settings_table`) are all derived from those fields.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Generic, TypeVar

from accord.core.snowflake import MAX_WORKER_ID

T = TypeVar("T")

# The commands that run a surface take every flag; `migrate` only the few it uses.
COMMANDS = ("serve", "api", "gateway", "migrate")
SERVING_COMMANDS = frozenset(COMMANDS[:3])
EVERY_COMMAND = frozenset(COMMANDS)

_OPTION = "accord.option"  # the key of a setting's `Option` in its field's metadata


class ConfigError(Exception):
    """A setting has a value Accord cannot run with."""


@dataclass(frozen=True, slots=True)
class Option(Generic[T]):
    """How one setting is given and documented."""

    name: str  # the `Settings` field
    flag: str | None  # None: environment only (secrets stay out of `ps` output)
    env: str
    default: T
    parse: Callable[[str], T]
    meaning: str  # Markdown, as in README.md's table; --help shows it without backticks
    shown_default: str | None  # Markdown for the table where the value alone says too little
    commands: frozenset[str]  # the commands that take the flag (the environment applies to all)

    @property
    def default_text(self) -> str:
        """The default as README.md's table shows it (Markdown)."""
        if self.shown_default is not None:
            return self.shown_default
        value: object = self.default
        if value is None:
            return "unset"
        if isinstance(value, bool):
            value = int(value)  # flags take 1/0
        elif isinstance(value, float) and value.is_integer():
            value = int(value)
        return f"`{value}`"


def setting(
    default: T,
    *,
    flag: str | None,
    env: str,
    parse: Callable[[str], T],
    meaning: str,
    shown_default: str | None = None,
    commands: frozenset[str] = SERVING_COMMANDS,
) -> T:
    """Declare a `Settings` field: its default, and how it is given and documented."""
    option = Option("", flag, env, default, parse, meaning, shown_default, commands)
    return field(default=default, metadata={_OPTION: option})


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise ValueError(f"port out of range: {value}")
    return value


def _worker_id(text: str) -> int:
    value = int(text)
    if not 0 <= value <= MAX_WORKER_ID:
        raise ValueError(f"worker id must be within 0..{MAX_WORKER_ID}")
    return value


def _optional(text: str) -> str | None:
    return text or None


def _flag(text: str) -> bool:
    return text.lower() in ("1", "true", "yes")


Networks = tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]


def _networks(text: str) -> Networks:
    """Comma-separated addresses and CIDR blocks, e.g. ``10.0.0.0/8, ::1``."""
    return tuple(
        ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip()
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Every setting of a process, in the order README.md's table lists them."""

    host: str = setting(
        "127.0.0.1",
        flag="--host",
        env="ACCORD_HOST",
        parse=str,
        meaning="address to listen on",
    )
    api_port: int = setting(
        8080,
        flag="--api-port",
        env="ACCORD_API_PORT",
        parse=_port,
        meaning="REST API port (`0`: any free port)",
    )
    gateway_port: int = setting(
        8081,
        flag="--gateway-port",
        env="ACCORD_GATEWAY_PORT",
        parse=_port,
        meaning="gateway WebSocket port",
    )
    gateway_url: str | None = setting(
        None,
        flag="--gateway-url",
        env="ACCORD_GATEWAY_URL",
        parse=_optional,
        shown_default="`ws://HOST:GATEWAY_PORT`",
        meaning="gateway URL advertised to clients (`GET /gateway`, READY's `resume_gateway_url`)",
    )
    heartbeat_interval_ms: int = setting(
        41250,  # Discord's
        flag="--heartbeat-interval",
        env="ACCORD_HEARTBEAT_INTERVAL_MS",
        parse=int,
        meaning="heartbeat interval told to clients in HELLO (1000-600000); "
        "a connection silent for 1.5 times it is closed with 4009",
    )
    resume_window_s: float = setting(
        300.0,
        flag="--resume-window",
        env="ACCORD_RESUME_WINDOW_S",
        parse=float,
        meaning="seconds a dropped session stays resumable",
    )
    data_dir: Path = setting(
        Path("./.accord"),
        flag="--data-dir",
        env="ACCORD_DATA_DIR",
        parse=Path,
        shown_default="`./.accord`",  # Path() drops the leading ./
        meaning="local state, including the embedded database",
        commands=EVERY_COMMAND,
    )
    database_url: str | None = setting(
        None,
        flag="--database-url",
        env="DATABASE_URL",
        parse=_optional,
        meaning="PostgreSQL URL; unset starts the embedded database",
        commands=EVERY_COMMAND,
    )
    redis_url: str | None = setting(
        None,
        flag="--redis-url",
        env="REDIS_URL",
        parse=_optional,
        meaning="Redis URL for multi-process deployments",
    )
    redis_prefix: str = setting(
        "accord",
        flag="--redis-prefix",
        env="ACCORD_REDIS_PREFIX",
        parse=str,
        meaning="prefix of every Redis key (deployments may share a Redis)",
    )
    presence_ttl_s: float = setting(
        30.0,
        flag="--presence-ttl",
        env="ACCORD_PRESENCE_TTL_S",
        parse=float,
        meaning="with Redis: seconds after which a silent gateway's users count as offline (3-600)",
    )
    log_format: str = setting(
        "text",
        flag="--log-format",
        env="ACCORD_LOG_FORMAT",
        parse=str,
        meaning="`text`, or `json`: one object per line with request ids",
        commands=EVERY_COMMAND,
    )
    access_log: bool = setting(
        False,
        flag="--access-log",
        env="ACCORD_ACCESS_LOG",
        parse=_flag,
        meaning="`1`: log every REST request (method, route, status, duration, request id)",
    )
    worker_id: int = setting(
        0,
        flag="--worker-id",
        env="ACCORD_WORKER_ID",
        parse=_worker_id,
        meaning="snowflake worker id (0-1023), distinct per process",
    )
    pool_size: int = setting(
        10,
        flag="--pool-size",
        env="ACCORD_POOL_SIZE",
        parse=int,
        meaning="PostgreSQL connections per process",
    )
    rate_limit_scale: float = setting(
        1.0,
        flag="--rate-limit-scale",
        env="ACCORD_RATE_LIMIT_SCALE",
        parse=float,
        meaning="multiply every rate limit (load tests use a large value)",
    )
    trusted_proxies: Networks = setting(
        (),
        flag="--trusted-proxies",
        env="ACCORD_TRUSTED_PROXIES",
        parse=_networks,
        shown_default="unset (none)",
        meaning="comma-separated addresses or CIDR blocks (`10.0.0.0/8, ::1`) of reverse "
        "proxies in front of the API. Rate limits count a signed-in caller by user and anyone "
        "else by address (register, login, refresh and password checks by address as well): "
        "the connection's peer, or, when the peer is a trusted proxy, the rightmost "
        "`X-Forwarded-For` entry no trusted proxy wrote (IPv6 clients by their /64). Set it "
        "only to proxies that overwrite or append to that header",
    )
    migrate: bool = setting(
        True,
        flag="--migrate",
        env="ACCORD_MIGRATE",
        parse=_flag,
        meaning="apply pending migrations when `serve`, `api` or `gateway` starts",
    )
    jwt_secret: str | None = setting(
        None,
        flag=None,
        env="ACCORD_JWT_SECRET",
        parse=_optional,
        shown_default="generated once into the data dir",
        meaning="secret signing access tokens, 32+ bytes; processes sharing a database must "
        "share it",
    )


OPTIONS: tuple[Option[Any], ...] = tuple(
    replace(f.metadata[_OPTION], name=f.name) for f in fields(Settings)
)
DEFAULTS = Settings()  # typed defaults for modules that need one without a process's settings


def add_flags(parser: argparse.ArgumentParser, command: str) -> None:
    """Add the flags `command` takes; unset flags stay None so the environment can apply."""
    for option in OPTIONS:
        if option.flag is not None and command in option.commands:
            default = option.default_text.replace("`", "")
            meaning = option.meaning.replace("`", "")
            parser.add_argument(
                option.flag,
                dest=option.name,
                default=None,
                metavar=option.name.upper(),
                help=f"{meaning} [env {option.env}; default {default}]",
            )


def load_settings(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> Settings:
    """Resolve every option from flags, then environment, then defaults."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for option in OPTIONS:
        raw = getattr(args, option.name, None)
        source = option.flag or option.env
        if raw is None and option.env in environ:
            raw, source = environ[option.env], option.env
        if raw is None:
            values[option.name] = option.default
            continue
        try:
            values[option.name] = option.parse(raw)
        except ValueError as exc:
            raise ConfigError(f"{source}={raw!r}: {exc}") from None
    if not 1000 <= values["heartbeat_interval_ms"] <= 600_000:
        raise ConfigError("heartbeat interval must be 1000-600000 ms")
    if not 0 < values["resume_window_s"] <= 3600:
        raise ConfigError("resume window must be within (0, 3600] seconds")
    if not 3 <= values["presence_ttl_s"] <= 600:
        raise ConfigError("presence TTL must be 3-600 seconds")
    if not values["redis_prefix"] or any(c.isspace() for c in values["redis_prefix"]):
        raise ConfigError("Redis prefix must be a non-empty word")
    if values["log_format"] not in ("text", "json"):
        raise ConfigError("log format must be text or json")
    if values["pool_size"] < 1:
        raise ConfigError("pool size must be at least 1")
    if not values["rate_limit_scale"] > 0:
        raise ConfigError("rate limit scale must be positive")
    if values["jwt_secret"] is not None and len(values["jwt_secret"].encode()) < 32:
        raise ConfigError("ACCORD_JWT_SECRET must be at least 32 bytes")
    return Settings(**values)
