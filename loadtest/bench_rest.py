"""REST throughput: message create against PostgreSQL vs the same server's bare GET /health.

Starts a real `accord serve` (loopback only, rate limits scaled out of the
way), then drives it from this process with a fixed number of keep-alive
connections for a fixed time per phase, and prints requests/s for each phase,
their ratio (bar: message create >= 60% of /health), and the CPU the server
and this load generator used. Bounded: two phases of --seconds each.

    .venv/bin/python loadtest/bench_rest.py [--seconds 10] [--connections 32]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import trio

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Phase:
    name: str
    requests: int
    errors: int
    seconds: float
    server_cpu: float
    client_cpu: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


def start_server(database_url: str | None, data_dir: Path) -> tuple[subprocess.Popen[str], int]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    if database_url:
        env["DATABASE_URL"] = database_url
    env["ACCORD_RATE_LIMIT_SCALE"] = "100000"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "accord",
            "serve",
            "--api-port",
            "0",
            "--gateway-port",
            "0",
            "--data-dir",
            str(data_dir),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
        cwd=ROOT,
    )
    assert process.stdout is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        match = re.search(r"Accord is running: http://[\d.]+:(\d+)/", line)
        if match:
            return process, int(match.group(1))
        if not line and process.poll() is not None:
            break
    process.kill()
    raise RuntimeError("server did not start")


async def setup_writers(base: str, count: int) -> list[tuple[dict[str, str], str]]:
    """One user per connection, each owning a guild: (auth headers, channel id)."""
    writers = []
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        for n in range(count):
            name = f"bench{n}_{os.getpid()}"
            reply = await client.post(
                "/auth/register",
                json={"username": name, "email": f"{name}@example.com", "password": "benchmark pw"},
            )
            reply.raise_for_status()
            headers = {"Authorization": f"Bearer {reply.json()['access_token']}"}
            guild = await client.post("/guilds", json={"name": f"g{n}"}, headers=headers)
            guild.raise_for_status()
            writers.append((headers, guild.json()["channels"][0]["id"]))
    return writers


async def run_phase(
    name: str,
    base: str,
    seconds: float,
    writers: list[tuple[dict[str, str], str]],
    server: psutil.Process,
    post: bool,
) -> Phase:
    counts = {"ok": 0, "errors": 0}
    me = psutil.Process()
    server_before = sum(server.cpu_times()[:2])
    client_before = sum(me.cpu_times()[:2])
    started = time.monotonic()

    async def worker(headers: dict[str, str], channel_id: str) -> None:
        async with httpx.AsyncClient(base_url=base, timeout=30, headers=headers) as client:
            n = 0
            while time.monotonic() - started < seconds:
                if post:
                    reply = await client.post(
                        f"/api/v10/channels/{channel_id}/messages",
                        json={"content": f"benchmark message {n}"},
                    )
                else:
                    reply = await client.get("/health")
                counts["ok" if reply.status_code < 300 else "errors"] += 1
                n += 1

    async with trio.open_nursery() as nursery:
        for headers, channel_id in writers:
            nursery.start_soon(worker, headers, channel_id)
    elapsed = time.monotonic() - started
    return Phase(
        name,
        counts["ok"],
        counts["errors"],
        elapsed,
        sum(server.cpu_times()[:2]) - server_before,
        sum(me.cpu_times()[:2]) - client_before,
    )


async def main(args: argparse.Namespace) -> dict[str, object]:
    data_dir = Path(tempfile.mkdtemp(prefix="accord-bench-"))
    process, port = start_server(args.database_url, data_dir)
    try:
        base = f"http://127.0.0.1:{port}"
        writers = await setup_writers(f"{base}/api/v10", args.connections)
        server = psutil.Process(process.pid)
        health = await run_phase("GET /health", base, args.seconds, writers, server, post=False)
        create = await run_phase("POST message", base, args.seconds, writers, server, post=True)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(30)
    ratio = create.rate / health.rate if health.rate else 0.0
    print(f"\nREST throughput, {args.connections} connections, {args.seconds:.0f} s per phase")
    print(f"{'phase':<14}{'req/s':>10}{'errors':>8}{'server CPU s':>14}{'client CPU s':>14}")
    for phase in (health, create):
        print(
            f"{phase.name:<14}{phase.rate:>10.0f}{phase.errors:>8}"
            f"{phase.server_cpu:>14.1f}{phase.client_cpu:>14.1f}"
        )
    verdict = "meets" if ratio >= 0.6 else "DOES NOT meet"
    print(f"message create / health = {ratio:.2f}  ({verdict} the >= 0.60 bar)")
    return {
        "connections": args.connections,
        "seconds": args.seconds,
        "health_rps": health.rate,
        "create_rps": create.rate,
        "ratio": ratio,
        "errors": health.errors + create.errors,
        "server_cpu_s": {"health": health.server_cpu, "create": create.server_cpu},
        "client_cpu_s": {"health": health.client_cpu, "create": create.client_cpu},
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("ACCORD_BENCH_DATABASE_URL"),
        help="PostgreSQL to use; default: the server's embedded one",
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    options = parser.parse_args()
    result = trio.run(main, options)
    if options.json:
        options.json.write_text(json.dumps(result, indent=2))
