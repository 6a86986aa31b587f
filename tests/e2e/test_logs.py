"""Structured logs: JSON lines whose request ids match the ones clients see."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import orjson

from tests.e2e.processes import start_accord


def _records(lines: list[str]) -> list[dict]:
    found = []
    for line in lines:
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue  # the start-up banner on stdout is plain text
        if isinstance(record, dict):
            found.append(record)
    return found


def test_json_access_logs_carry_the_request_id_clients_see(
    database_url: str, tmp_path: Path
) -> None:
    server = start_accord(
        "serve", database_url, None, tmp_path, 1, "--log-format", "json", "--access-log", "1"
    )
    try:
        with httpx.Client(base_url=f"{server.url}/api/v10", timeout=10) as api:
            refused = api.get("/users/@me")  # no token: 401 with a request id
            assert refused.status_code == 401
            request_id = refused.json()["error"]["request_id"]
            assert api.get("/health").status_code == 200
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            records = _records(server.output)
            mine = [r for r in records if r.get("request_id") == request_id]
            if mine:
                break
            time.sleep(0.05)
        assert mine, "".join(server.output)[-3000:]
        access = mine[-1]
        assert access["logger"] == "accord.access" and access["level"] == "INFO"
        assert access["status"] == 401 and access["method"] == "GET"
        assert access["route"] == "/api/v10/users/@me" and access["duration_ms"] >= 0
        assert all({"time", "level", "logger", "message"} <= r.keys() for r in records)
    finally:
        server.stop()
