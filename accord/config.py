"""Settings from command-line flags, ``ACCORD_*`` environment variables and defaults.

Precedence: a flag given on the command line, then the environment, then the
default. Every setting is listed in the README with its flag and variable.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accord.core.snowflake import MAX_WORKER_ID


class ConfigError(Exception):
    """A setting has a value Accord cannot run with."""


@dataclass(frozen=True, slots=True)
class Option:
    """One setting: its flag, its environment variable, its default and parser."""

    name: str
    flag: str | None  # None: environment only (secrets stay out of `ps` output)
    env: str
    default: Any
    parse: Callable[[str], Any]
    help: str


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


Networks = tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]


def _networks(text: str) -> Networks:
    """Comma-separated addresses and CIDR blocks, e.g. ``10.0.0.0/8, ::1``."""
    return tuple(
        ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip()
    )


OPTIONS: tuple[Option, ...] = (
    Option("host", "--host", "ACCORD_HOST", "127.0.0.1", str, "address to listen on"),
    Option("api_port", "--api-port", "ACCORD_API_PORT", 8080, _port, "REST API port (0: any)"),
    Option(
        "gateway_port",
        "--gateway-port",
        "ACCORD_GATEWAY_PORT",
        8081,
        _port,
        "gateway WebSocket port (0: any)",
    ),
    Option(
        "gateway_url",
        "--gateway-url",
        "ACCORD_GATEWAY_URL",
        None,
        _optional,
        "public gateway URL clients are told to use; unset: ws://HOST:GATEWAY_PORT",
    ),
    Option(
        "heartbeat_interval_ms",
        "--heartbeat-interval",
        "ACCORD_HEARTBEAT_INTERVAL_MS",
        41250,
        int,
        "gateway heartbeat interval in milliseconds told to clients in HELLO",
    ),
    Option(
        "resume_window_s",
        "--resume-window",
        "ACCORD_RESUME_WINDOW_S",
        300.0,
        float,
        "seconds a dropped gateway session stays resumable",
    ),
    Option(
        "data_dir",
        "--data-dir",
        "ACCORD_DATA_DIR",
        Path("./.accord"),
        Path,
        "directory for the embedded database and other local state",
    ),
    Option(
        "database_url",
        "--database-url",
        "DATABASE_URL",
        None,
        _optional,
        "PostgreSQL URL; unset: an embedded PostgreSQL in the data dir",
    ),
    Option(
        "redis_url",
        "--redis-url",
        "REDIS_URL",
        None,
        _optional,
        "Redis URL for multi-process deployments; unset: in-process state",
    ),
    Option(
        "redis_prefix",
        "--redis-prefix",
        "ACCORD_REDIS_PREFIX",
        "accord",
        str,
        "prefix of every Redis key, so deployments can share one Redis",
    ),
    Option(
        "presence_ttl_s",
        "--presence-ttl",
        "ACCORD_PRESENCE_TTL_S",
        30.0,
        float,
        "seconds after which a silent gateway process's users count as offline (Redis)",
    ),
    Option(
        "worker_id",
        "--worker-id",
        "ACCORD_WORKER_ID",
        0,
        _worker_id,
        "snowflake worker id, 0-1023, distinct per process",
    ),
    Option(
        "pool_size",
        "--pool-size",
        "ACCORD_POOL_SIZE",
        10,
        int,
        "PostgreSQL connections per process",
    ),
    Option(
        "rate_limit_scale",
        "--rate-limit-scale",
        "ACCORD_RATE_LIMIT_SCALE",
        1.0,
        float,
        "multiply every rate limit (e.g. 100 for load tests)",
    ),
    Option(
        "trusted_proxies",
        "--trusted-proxies",
        "ACCORD_TRUSTED_PROXIES",
        (),
        _networks,
        "addresses or CIDR blocks (comma-separated) of reverse proxies whose "
        "X-Forwarded-For names the client; unset: none, the connection's peer is the client",
    ),
    Option(
        "jwt_secret",
        None,
        "ACCORD_JWT_SECRET",
        None,
        _optional,
        "secret signing access tokens (32+ bytes); unset: generated once into the data dir",
    ),
    Option(
        "log_format",
        "--log-format",
        "ACCORD_LOG_FORMAT",
        "text",
        str,
        "log lines as text, or json (one object per line, with request ids)",
    ),
    Option(
        "access_log",
        "--access-log",
        "ACCORD_ACCESS_LOG",
        False,
        lambda t: t.lower() in ("1", "true", "yes"),
        "log every REST request: method, route, status, duration, request id (1/0)",
    ),
    Option(
        "migrate",
        "--migrate",
        "ACCORD_MIGRATE",
        True,
        lambda t: t.lower() in ("1", "true", "yes"),
        "apply pending migrations at start (1/0)",
    ),
)


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = "127.0.0.1"
    api_port: int = 8080
    gateway_port: int = 8081
    gateway_url: str | None = None
    heartbeat_interval_ms: int = 41250
    resume_window_s: float = 300.0
    data_dir: Path = Path("./.accord")
    database_url: str | None = None
    redis_url: str | None = None
    redis_prefix: str = "accord"
    presence_ttl_s: float = 30.0
    worker_id: int = 0
    pool_size: int = 10
    jwt_secret: str | None = None
    rate_limit_scale: float = 1.0
    trusted_proxies: Networks = ()
    log_format: str = "text"
    access_log: bool = False
    migrate: bool = True


def add_options(parser: argparse.ArgumentParser, names: Sequence[str]) -> None:
    """Add the flags of the named options; unset flags stay None so env can apply."""
    for option in OPTIONS:
        if option.name in names and option.flag is not None:
            parser.add_argument(
                option.flag,
                dest=option.name,
                default=None,
                metavar=option.name.upper(),
                help=f"{option.help} [env {option.env}; default {option.default}]",
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
