"""Shared parts of the gateway benchmarks: the server, the guild of bots, the client process.

Everything listens on and connects to 127.0.0.1 only.
"""

from __future__ import annotations

import os
import re
import resource
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import psutil

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


def cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


@dataclass
class Server:
    process: subprocess.Popen[str]
    api_port: int
    gateway_port: int

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.api_port}/api/v10"

    @property
    def gateway(self) -> str:
        return f"ws://127.0.0.1:{self.gateway_port}/"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


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
