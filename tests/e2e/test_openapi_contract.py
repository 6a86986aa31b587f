"""The OpenAPI document describes every route, and a bounded schemathesis run finds no 5xx."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

from accord.http.app import create_app
from tests.e2e.process import SHUTDOWN_TIMEOUT, accord_serve

# Bounded: schemathesis stops after this many seconds whatever it has left.
SCHEMATHESIS_MAX_TIME = 100


def _fetch(url: str, body: dict[str, object] | None = None) -> dict[str, object]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def _rule_to_openapi(rule: str) -> str:
    return re.sub(r"<(?:[a-z_]+:)?([a-z_]+)>", r"{\1}", rule)


async def test_every_api_route_is_in_the_document(services):
    app = create_app(services)
    response = await app.test_client().get("/api/v10/openapi.json")
    assert response.status_code == 200
    spec = await response.get_json()
    documented = {(path, method.upper()) for path, item in spec["paths"].items() for method in item}
    routes = {
        (_rule_to_openapi(rule.rule), method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v10/") and not rule.rule.endswith("openapi.json")
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }
    assert routes, "the app has API routes"
    assert routes - documented == set()


def test_schemathesis_finds_no_server_errors(database_url: str, tmp_path: Path):
    env = {"DATABASE_URL": database_url, "ACCORD_RATE_LIMIT_SCALE": "100000"}
    with accord_serve("--data-dir", str(tmp_path), env=env) as (process, port):
        base = f"http://127.0.0.1:{port}"
        tokens = _fetch(
            f"{base}/api/v10/auth/register",
            {"username": "fuzzer", "email": "fuzzer@example.com", "password": "fuzzing pw"},
        )
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "schemathesis.cli",
                "run",
                f"{base}/api/v10/openapi.json",
                "--url",
                base,
                "--header",
                f"Authorization: Bearer {tokens['access_token']}",
                "--checks",
                "not_a_server_error",
                "--max-examples",
                "15",
                "--max-time",
                str(SCHEMATHESIS_MAX_TIME),
                "--seed",
                "20261122",
                "--workers",
                "2",
                # the unversioned alias serves the same routes; logout would end the session
                "--exclude-path-regex",
                r"^/api/(?!v10/)|/auth/logout$",
                "--no-color",
            ],
            capture_output=True,
            text=True,
            timeout=SCHEMATHESIS_MAX_TIME + 60,
            cwd=tmp_path,  # its example database and reports stay out of the tree
        )
        assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
        process.terminate()
        process.wait(SHUTDOWN_TIMEOUT)
