"""The OpenAPI document describes every route completely enough for a contract tester,
and schemathesis, checking every response against it and chaining calls through
its links, finds no 5xx and no answer that breaks the document."""

from __future__ import annotations

import json
import re
import secrets
import subprocess
import sys
import threading
import tomllib
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from accord.http.app import create_app
from tests.e2e.process import SHUTDOWN_TIMEOUT, accord_serve

# Bounded: schemathesis stops after this many seconds whatever it has left (with
# a time budget it repeats fuzzing and stateful runs until the budget is spent).
SCHEMATHESIS_MAX_TIME = 90
SEED = 20261122  # the same cases each run, so a failure's cases can be generated again
# Which checks run, on which operations, and why some do not.
CHECKS_CONFIG = Path(__file__).with_name("openapi_contract.toml")
# The unversioned alias serves the same routes; logging out would end the session
# schemathesis signs in with.
EXCLUDED_PATHS = r"^/api/(?!v10/)|/auth/logout$"
_PATH_PARAMETER = re.compile(r"\{([a-z_]+)\}")


def _fetch(url: str, body: dict[str, object] | None = None) -> dict[str, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        result: dict[str, Any] = json.loads(response.read())
        return result


def _rule_to_openapi(rule: str) -> str:
    return re.sub(r"<(?:[a-z_]+:)?([a-z_]+)>", r"{\1}", rule)


def _operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def _resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        section, name = node["$ref"].removeprefix("#/components/").split("/")
        node = spec["components"][section][name]
    return node


async def _document(services: Any) -> tuple[Any, dict[str, Any]]:
    app = create_app(services)
    response = await app.test_client().get("/api/v10/openapi.json")
    assert response.status_code == 200
    return app, await response.get_json()


async def test_every_api_route_is_in_the_document(services):
    app, spec = await _document(services)
    documented = {(path, method.upper()) for path, method, _ in _operations(spec)}
    routes = {
        (_rule_to_openapi(rule.rule), method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v10/") and not rule.rule.endswith("openapi.json")
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }
    assert routes, "the app has API routes"
    assert routes - documented == set()
    # Nothing the tables beside the document describe is missing or stale.
    assert app.extensions["QUART_SCHEMA"].openapi_provider.gaps == []


async def test_every_operation_says_what_it_answers_and_who_may_call(services):
    _, spec = await _document(services)
    schemes = spec["components"]["securitySchemes"]
    assert (schemes["BearerToken"]["type"], schemes["BearerToken"]["scheme"]) == ("http", "bearer")
    assert schemes["BotToken"]["in"] == "header" and schemes["BotToken"]["name"] == "Authorization"
    public = {"/api/v10/health", "/api/v10/ready", "/api/v10/gateway"} | {
        f"/api/v10/auth/{name}" for name in ("register", "login", "refresh")
    }
    for path, method, operation in _operations(spec):
        where = f"{method.upper()} {path}"
        responses = operation["responses"]
        successes = [status for status in responses if status.startswith("2")]
        assert len(successes) == 1, where
        success = responses[successes[0]]
        assert ("content" in success) == (successes[0] != "204"), where
        for status in ("400", "429"):
            error = _resolve(spec, responses[status])
            assert error["content"]["application/json"]["schema"], where
        if path in public:
            assert operation["security"] == [], where
        else:
            assert {"BearerToken", "BotToken"} <= {k for s in operation["security"] for k in s}
            assert _resolve(spec, responses["401"])["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/Error"
            }, where
        if "requestBody" in operation:
            assert {"413", "415"} <= set(responses), where
        parameters = {p["name"]: p for p in operation["parameters"] if p["in"] == "path"}
        assert set(parameters) == set(_PATH_PARAMETER.findall(path)), where
        for parameter in parameters.values():
            schema = _resolve(spec, parameter["schema"])
            assert "pattern" in schema or "minLength" in schema, (where, parameter["name"])


async def test_links_name_operations_and_parameters_that_exist(services):
    _, spec = await _document(services)
    by_id = {operation["operationId"]: operation for _, _, operation in _operations(spec)}
    links = [
        (operation["operationId"], name, link)
        for _, _, operation in _operations(spec)
        for response in operation["responses"].values()
        for name, link in response.get("links", {}).items()
    ]
    assert len(links) > 50
    for source, name, link in links:
        target = by_id.get(link["operationId"])
        assert target is not None, (source, name)
        names = {p["name"] for p in target["parameters"]}
        assert set(link.get("parameters", {})) <= names, (source, name)
    # A guild's creation leads to its channels' messages, as a client goes.
    create_guild = by_id["create_guild"]["responses"]["201"]["links"]
    assert create_guild["get_guild"]["parameters"] == {"guild_id": "$response.body#/id"}
    assert create_guild["create_message_general"]["operationId"] == "create_message"


async def test_the_checks_config_names_operations_that_exist(services):
    _, spec = await _document(services)
    config = tomllib.loads(CHECKS_CONFIG.read_text())
    named = {name for entry in config["operations"] for name in entry["include-operation-id"]}
    assert named <= {operation["operationId"] for _, _, operation in _operations(spec)}


def _failures_and_summary(stdout: str) -> str:
    """What a failed run printed about its failures (with how to replay them), and its summary."""
    start = stdout.find("FAILURES")
    failures = stdout[start : start + 12000] if start >= 0 else ""
    return f"{failures}\n[...]\n{stdout[-4000:]}"


def _drain(stream: Any, lines: list[str]) -> threading.Thread:
    """Keep reading the server's output, so a full pipe never blocks it."""

    def read() -> None:
        for line in stream:
            lines.append(line)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread


def test_schemathesis_finds_no_server_errors_or_contract_breaks(database_url: str, tmp_path: Path):
    env = {"DATABASE_URL": database_url, "ACCORD_RATE_LIMIT_SCALE": "100000"}
    with accord_serve("--data-dir", str(tmp_path), env=env) as (process, port):
        server_output: list[str] = []
        reader = _drain(process.stdout, server_output)
        base = f"http://127.0.0.1:{port}"
        name = f"fuzzer_{secrets.token_hex(4)}"
        tokens = _fetch(
            f"{base}/api/v10/auth/register",
            # Random, so no password policy takes it for a weak one.
            {
                "username": name,
                "email": f"{name}@example.com",
                "password": secrets.token_urlsafe(18),
            },
        )
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "schemathesis.cli",
                "--config-file",
                str(CHECKS_CONFIG),
                "run",
                f"{base}/api/v10/openapi.json",
                "--url",
                base,
                "--header",
                f"Authorization: Bearer {tokens['access_token']}",
                "--phases",
                "examples,coverage,fuzzing,stateful",
                "--max-time",
                str(SCHEMATHESIS_MAX_TIME),
                "--request-timeout",
                "20",
                "--seed",
                str(SEED),
                "--workers",
                "2",
                "--exclude-path-regex",
                EXCLUDED_PATHS,
                "--generation-database",
                "none",
                "--report",
                "json",
                "--report-json-path",
                str(tmp_path / "report.json"),
                "--no-color",
            ],
            capture_output=True,
            text=True,
            timeout=SCHEMATHESIS_MAX_TIME + 60,
            cwd=tmp_path,  # its reports stay out of the tree
        )
        output = _failures_and_summary(result.stdout) + result.stderr[-2000:]
        assert result.returncode == 0, output
        report = json.loads((tmp_path / "report.json").read_text())
        assert report["failures"] == [] and report["errors"] == [], output
        # Every phase ran (examples only if the document gains some), and the
        # stateful phase followed the document's links.
        phases = {name: phase["status"] for name, phase in report["phases"].items()}
        assert phases.pop("examples") in ("skip", "success"), output
        expected = {"coverage": "success", "fuzzing": "success", "stateful": "success"}
        assert phases == expected, output
        covered = re.search(r"API Links:\s+(\d+) covered", result.stdout)
        assert covered is not None and int(covered.group(1)) > 0, output
        process.terminate()
        process.wait(SHUTDOWN_TIMEOUT)
        reader.join(SHUTDOWN_TIMEOUT)
    log = "".join(server_output)
    assert "Traceback" not in log, log[-6000:]
