"""Settings resolution: flag, then environment, then default; bad values are clear errors."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from accord.cli import build_parser
from accord.config import DEFAULTS, OPTIONS, ConfigError, Settings, load_settings
from accord.gateway.hub import HubConfig


def _settings(argv: list[str], env: dict[str, str] | None = None) -> Settings:
    return load_settings(build_parser().parse_args(["serve", *argv]), env or {})


def test_defaults_match_the_documented_ones():
    assert _settings([]) == DEFAULTS
    assert _settings([]) == Settings(
        host="127.0.0.1",
        api_port=8080,
        gateway_port=8081,
        gateway_url=None,
        heartbeat_interval_ms=41250,
        resume_window_s=300.0,
        data_dir=Path("./.accord"),
        database_url=None,
        redis_url=None,
        redis_prefix="accord",
        presence_ttl_s=30.0,
        log_format="text",
        access_log=False,
        worker_id=0,
        pool_size=10,
        rate_limit_scale=1.0,
        trusted_proxies=(),
        migrate=True,
        jwt_secret=None,
    )


# What deployments and scripts already use: renaming one breaks them.
NAMES = {
    "host": ("--host", "ACCORD_HOST"),
    "api_port": ("--api-port", "ACCORD_API_PORT"),
    "gateway_port": ("--gateway-port", "ACCORD_GATEWAY_PORT"),
    "gateway_url": ("--gateway-url", "ACCORD_GATEWAY_URL"),
    "heartbeat_interval_ms": ("--heartbeat-interval", "ACCORD_HEARTBEAT_INTERVAL_MS"),
    "resume_window_s": ("--resume-window", "ACCORD_RESUME_WINDOW_S"),
    "data_dir": ("--data-dir", "ACCORD_DATA_DIR"),
    "database_url": ("--database-url", "DATABASE_URL"),
    "redis_url": ("--redis-url", "REDIS_URL"),
    "redis_prefix": ("--redis-prefix", "ACCORD_REDIS_PREFIX"),
    "presence_ttl_s": ("--presence-ttl", "ACCORD_PRESENCE_TTL_S"),
    "log_format": ("--log-format", "ACCORD_LOG_FORMAT"),
    "access_log": ("--access-log", "ACCORD_ACCESS_LOG"),
    "worker_id": ("--worker-id", "ACCORD_WORKER_ID"),
    "pool_size": ("--pool-size", "ACCORD_POOL_SIZE"),
    "rate_limit_scale": ("--rate-limit-scale", "ACCORD_RATE_LIMIT_SCALE"),
    "trusted_proxies": ("--trusted-proxies", "ACCORD_TRUSTED_PROXIES"),
    "migrate": ("--migrate", "ACCORD_MIGRATE"),
    "jwt_secret": (None, "ACCORD_JWT_SECRET"),  # never a flag: it would show in `ps`
}


def test_every_setting_keeps_its_flag_and_environment_variable():
    assert {option.name: (option.flag, option.env) for option in OPTIONS} == NAMES


def _flags(command: str) -> set[str]:
    args = build_parser().parse_args([command])
    return {name for name, value in vars(args).items() if name != "command" and value is None}


@pytest.mark.parametrize("command", ["serve", "api", "gateway"])
def test_commands_that_serve_take_every_flag(command):
    assert _flags(command) == {name for name, (flag, _) in NAMES.items() if flag}


def test_migrate_takes_only_the_flags_it_uses():
    assert _flags("migrate") == {"data_dir", "database_url", "log_format"}
    with pytest.raises(SystemExit):
        build_parser().parse_args(["migrate", "--api-port", "1"])


# A value other than the default for each setting, as text and as parsed.
SAMPLES = {
    "host": ("::1", "::1"),
    "api_port": ("9000", 9000),
    "gateway_port": ("0", 0),
    "gateway_url": ("wss://chat.example/", "wss://chat.example/"),
    "heartbeat_interval_ms": ("1000", 1000),
    "resume_window_s": ("60.5", 60.5),
    "data_dir": ("/srv/accord", Path("/srv/accord")),
    "database_url": ("postgresql://db/accord", "postgresql://db/accord"),
    "redis_url": ("redis://cache:6379/0", "redis://cache:6379/0"),
    "redis_prefix": ("chat", "chat"),
    "presence_ttl_s": ("3", 3.0),
    "log_format": ("json", "json"),
    "access_log": ("1", True),
    "worker_id": ("1023", 1023),
    "pool_size": ("1", 1),
    "rate_limit_scale": ("100", 100.0),
    "trusted_proxies": ("10.0.0.1", (ipaddress.ip_network("10.0.0.1/32"),)),
    "migrate": ("0", False),
    "jwt_secret": ("k" * 32, "k" * 32),
}


@pytest.mark.parametrize("name", sorted(NAMES))
def test_each_setting_is_read_from_its_environment_variable(name):
    text, value = SAMPLES[name]
    assert getattr(_settings([], {NAMES[name][1]: text}), name) == value


@pytest.mark.parametrize("name", sorted(name for name, (flag, _) in NAMES.items() if flag))
def test_each_flag_sets_its_setting(name):
    text, value = SAMPLES[name]
    assert getattr(_settings([NAMES[name][0], text]), name) == value


def test_the_gateway_defaults_are_the_settings_defaults():
    config = HubConfig()
    assert config.heartbeat_interval_ms == DEFAULTS.heartbeat_interval_ms
    assert config.resume_window_s == DEFAULTS.resume_window_s
    assert config.presence_refresh_s == DEFAULTS.presence_ttl_s / 3


def test_environment_overrides_default_and_flag_overrides_environment():
    env = {"ACCORD_API_PORT": "9000", "ACCORD_HOST": "::1", "DATABASE_URL": "postgresql://x/y"}
    assert _settings([], env).api_port == 9000
    assert _settings([], env).host == "::1"
    assert _settings([], env).database_url == "postgresql://x/y"
    assert _settings(["--api-port", "9100"], env).api_port == 9100


def test_empty_database_url_means_embedded():
    assert _settings([], {"DATABASE_URL": ""}).database_url is None


@pytest.mark.parametrize(
    ("argv", "env", "fragment"),
    [
        (["--api-port", "70000"], {}, "--api-port='70000'"),
        (["--gateway-port", "http"], {}, "--gateway-port='http'"),
        ([], {"ACCORD_WORKER_ID": "1024"}, "ACCORD_WORKER_ID='1024'"),
        ([], {"ACCORD_WORKER_ID": "-1"}, "worker id"),
        (["--pool-size", "0"], {}, "pool size"),
    ],
)
def test_bad_values_name_their_source(argv, env, fragment):
    with pytest.raises(ConfigError, match=None) as caught:
        _settings(argv, env)
    assert fragment in str(caught.value)


def test_migrate_flag_parses_booleans():
    assert _settings([], {"ACCORD_MIGRATE": "0"}).migrate is False
    assert _settings(["--migrate", "yes"]).migrate is True
