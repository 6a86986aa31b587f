"""Settings resolution: flag, then environment, then default; bad values are clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from accord.cli import build_parser
from accord.config import ConfigError, Settings, load_settings


def _settings(argv: list[str], env: dict[str, str] | None = None) -> Settings:
    return load_settings(build_parser().parse_args(["serve", *argv]), env or {})


def test_defaults_match_the_documented_ones():
    assert _settings([]) == Settings(
        host="127.0.0.1",
        api_port=8080,
        gateway_port=8081,
        gateway_url=None,
        data_dir=Path("./.accord"),
        database_url=None,
        redis_url=None,
        worker_id=0,
        pool_size=10,
        migrate=True,
    )


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
