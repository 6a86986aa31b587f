"""`accord serve` as a real process: embedded database, health, clean shutdown."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from tests.e2e.process import SHUTDOWN_TIMEOUT, accord_serve


def _get(port: int, path: str) -> tuple[int, str, dict[str, object]]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
            return response.status, response.headers["Content-Type"], json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], json.loads(error.read())


def _postgres_processes_for(data_dir: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["name", "cmdline", "status"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if proc.info["status"] != psutil.STATUS_ZOMBIE and str(data_dir) in cmdline:
            found.append(proc)
    return found


@pytest.fixture
def data_dir() -> Iterator[Path]:
    # Short path: PostgreSQL's Unix socket path is limited to 107 bytes.
    path = Path(tempfile.mkdtemp(prefix="accord-e2e-"))
    yield path
    for proc in _postgres_processes_for(path):  # never leave a server behind a failed test
        proc.kill()


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_serve_with_embedded_database_answers_then_stops_cleanly(data_dir, stop_signal):
    with accord_serve("--data-dir", str(data_dir)) as (process, port):
        assert _get(port, "/health") == (200, "application/json", {"status": "ok"})
        status, content_type, body = _get(port, "/ready")
        assert (status, content_type, body["database"]) == (200, "application/json", "ok")
        assert _get(port, "/api/v10/health")[0] == 200
        assert _postgres_processes_for(data_dir), "embedded PostgreSQL should be running"
        process.send_signal(stop_signal)
        assert process.wait(SHUTDOWN_TIMEOUT) == 0
    assert (data_dir / "pgdata" / "PG_VERSION").exists()
    assert _postgres_processes_for(data_dir) == []


def test_serve_uses_database_url_when_given(database_url, data_dir):
    with accord_serve("--data-dir", str(data_dir), env={"DATABASE_URL": database_url}) as (
        process,
        port,
    ):
        assert _get(port, "/ready")[0] == 200
        process.send_signal(signal.SIGINT)
        assert process.wait(SHUTDOWN_TIMEOUT) == 0
    assert not (data_dir / "pgdata").exists()


def test_ready_reports_503_when_database_goes_away(
    postgres_server_url, template_database, data_dir
):
    """Readiness follows the database: drop it under a running server and /ready says so."""
    import asyncio
    import uuid

    import asyncpg

    from tests.conftest import _with_database

    name = f"accord_r_{uuid.uuid4().hex[:12]}"

    async def execute(statement: str) -> None:
        connection = await asyncpg.connect(postgres_server_url)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"'))
    try:
        url = _with_database(postgres_server_url, name)
        with accord_serve("--data-dir", str(data_dir), env={"DATABASE_URL": url}) as (
            process,
            port,
        ):
            assert _get(port, "/ready")[0] == 200
            asyncio.run(execute(f'DROP DATABASE "{name}" WITH (FORCE)'))
            status, _, body = _get(port, "/ready")
            assert (status, body["status"]) == (503, "unavailable")
            assert _get(port, "/health")[0] == 200
            process.send_signal(signal.SIGTERM)
            assert process.wait(SHUTDOWN_TIMEOUT) == 0
    finally:
        asyncio.run(execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_bad_setting_is_a_clear_error(data_dir):
    result = subprocess.run(
        [sys.executable, "-m", "accord", "serve", "--api-port", "70000"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "--api-port='70000'" in result.stderr and "out of range" in result.stderr


@pytest.mark.parametrize("command", ["serve", "migrate"])
def test_help(command):
    result = subprocess.run(
        [sys.executable, "-m", "accord", command, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0
    assert "--data-dir" in result.stdout and "DATABASE_URL" in result.stdout


def test_migrate_command_applies_then_reports_nothing(empty_database_url):
    env = {**os.environ, "DATABASE_URL": empty_database_url}
    first = subprocess.run(
        [sys.executable, "-m", "accord", "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert first.returncode == 0, first.stderr
    assert "applied 0001_users.sql" in first.stdout
    second = subprocess.run(
        [sys.executable, "-m", "accord", "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert second.stdout.strip() == "nothing to apply"
