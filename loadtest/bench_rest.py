"""REST throughput: message create against PostgreSQL vs the same server's bare GET /health.

Starts a real `accord serve` (loopback only, rate limits scaled out of the
way), then drives it from this process with a fixed number of keep-alive
connections for a fixed time per phase, and prints requests/s for each phase,
their ratio (bar: message create >= 60% of /health), and the CPU the server,
its embedded PostgreSQL and this load generator used. Both phases use the
same generator: by default a minimal raw-socket HTTP/1.1 client
(rawhttp.py), since httpx costs about as much CPU per request as the server
and shares its two cores; `--generator httpx` measures with httpx instead.
Health and create alternate in --rounds short rounds (their figures are
summed per kind, and each round's ratio is printed too), so drift in what
else the machine is doing moves both alike. Bounded: --seconds of each kind.

    .venv/bin/python loadtest/bench_rest.py [--seconds 20] [--rounds 5] [--connections 32]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import rawhttp
import trio
from gateway_bench import cpu_seconds, start_serve

# (auth headers, channel id) of one connection's user; requests counted by outcome.
Writer = tuple[dict[str, str], str]
Counts = dict[str, int]


@dataclass
class Phase:
    name: str
    requests: int
    errors: int
    seconds: float
    server_cpu: float
    database_cpu: float | None
    client_cpu: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


async def setup_writers(base: str, count: int) -> list[Writer]:
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


def find_postmaster(data_dir: Path) -> psutil.Process | None:
    """The embedded PostgreSQL's postmaster (None for an external database)."""
    pgdata = str(data_dir / "pgdata")
    for process in psutil.process_iter(["cmdline"]):
        if pgdata in " ".join(process.info["cmdline"] or ()):
            return process
    return None


def database_cpu(postmaster: psutil.Process | None) -> dict[int, float]:
    """CPU seconds so far of the postmaster and each of its current backends, by pid."""
    if postmaster is None:
        return {}
    seen = {}
    for process in [postmaster, *postmaster.children(recursive=True)]:
        # A backend that exits between listing and reading takes its CPU with it.
        with contextlib.suppress(psutil.NoSuchProcess):
            seen[process.pid] = cpu_seconds(process)
    return seen


async def raw_worker(
    port: int, headers: dict[str, str], channel_id: str, post: bool, until: float, counts: Counts
) -> None:
    host = f"127.0.0.1:{port}"
    path = f"/api/v10/channels/{channel_id}/messages"
    post_headers = {**headers, "Content-Type": "application/json"}
    connection = await rawhttp.Connection.open("127.0.0.1", port)
    try:
        n = 0
        health = rawhttp.build_request("GET", "/health", host, headers)
        while time.monotonic() < until:
            if post:
                content = f"benchmark message {n}"
                body = json.dumps({"content": content}).encode()
                status, reply = await connection.request(
                    rawhttp.build_request("POST", path, host, post_headers, body)
                )
                # The first reply on each connection is read back, not just counted.
                if n == 0 and status == 200 and json.loads(reply)["content"] != content:
                    raise RuntimeError(f"unexpected reply: {reply[:200]!r}")
            else:
                status, _ = await connection.request(health)
            counts["ok" if status < 300 else "errors"] += 1
            n += 1
    finally:
        await connection.aclose()


async def httpx_worker(
    port: int, headers: dict[str, str], channel_id: str, post: bool, until: float, counts: Counts
) -> None:
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=base, timeout=30, headers=headers) as client:
        n = 0
        while time.monotonic() < until:
            if post:
                reply = await client.post(
                    f"/api/v10/channels/{channel_id}/messages",
                    json={"content": f"benchmark message {n}"},
                )
            else:
                reply = await client.get("/health")
            counts["ok" if reply.status_code < 300 else "errors"] += 1
            n += 1


WORKERS = {"raw": raw_worker, "httpx": httpx_worker}


async def run_phase(
    name: str,
    generator: str,
    port: int,
    seconds: float,
    writers: list[Writer],
    server: psutil.Process,
    postmaster: psutil.Process | None,
    post: bool,
) -> Phase:
    counts: Counts = {"ok": 0, "errors": 0}
    me = psutil.Process()
    server_before = cpu_seconds(server)
    # Backends the pool opens during the phase count from zero.
    database_before = database_cpu(postmaster)
    client_before = cpu_seconds(me)
    started = time.monotonic()
    async with trio.open_nursery() as nursery:
        for headers, channel_id in writers:
            nursery.start_soon(
                WORKERS[generator], port, headers, channel_id, post, started + seconds, counts
            )
    elapsed = time.monotonic() - started
    return Phase(
        name,
        counts["ok"],
        counts["errors"],
        elapsed,
        cpu_seconds(server) - server_before,
        None
        if postmaster is None
        else sum(t - database_before.get(pid, 0.0) for pid, t in database_cpu(postmaster).items()),
        cpu_seconds(me) - client_before,
    )


def combined(phases: list[Phase]) -> Phase:
    """One kind's rounds as one phase: requests, time and CPU summed."""
    databases = [p.database_cpu for p in phases]
    return Phase(
        phases[0].name,
        sum(p.requests for p in phases),
        sum(p.errors for p in phases),
        sum(p.seconds for p in phases),
        sum(p.server_cpu for p in phases),
        None if None in databases else sum(d for d in databases if d is not None),
        sum(p.client_cpu for p in phases),
    )


async def main(args: argparse.Namespace) -> dict[str, object]:
    data_dir = Path(tempfile.mkdtemp(prefix="accord-bench-"))
    # Rate limits scaled out of the way: the benchmark measures the server, not the limiter.
    served = start_serve(data_dir, {"ACCORD_RATE_LIMIT_SCALE": "100000"}, args.database_url)
    port = served.api_port
    try:
        writers = await setup_writers(f"http://127.0.0.1:{port}/api/v10", args.connections)
        server = served.measured()["serve"]
        postmaster = None if args.database_url else find_postmaster(data_dir)
        # Health and create alternate in short rounds, so a machine that gets
        # busier or quieter during the run moves both figures alike.
        rounds: list[tuple[Phase, Phase]] = []
        seconds = args.seconds / args.rounds
        for _ in range(args.rounds):
            health_round = await run_phase(
                "GET /health", args.generator, port, seconds, writers, server, postmaster, False
            )
            create_round = await run_phase(
                "POST message", args.generator, port, seconds, writers, server, postmaster, True
            )
            rounds.append((health_round, create_round))
    finally:
        served.stop()
    health, create = (combined([pair[i] for pair in rounds]) for i in (0, 1))
    phases = [health, create]
    ratio = create.rate / health.rate if health.rate else 0.0
    pairs = [c.rate / h.rate if h.rate else 0.0 for h, c in rounds]
    print(
        f"\nREST throughput, {args.connections} connections, {args.seconds:.0f} s per kind"
        f" in {args.rounds} alternating rounds, {args.generator} load generator"
    )
    print(
        f"{'phase':<14}{'req/s':>8}{'errors':>8}{'server CPU s':>14}"
        f"{'database CPU s':>16}{'client CPU s':>14}{'server ms/req':>15}"
    )
    for phase in phases:
        database_cpu = "-" if phase.database_cpu is None else f"{phase.database_cpu:.1f}"
        per_request = 1000 * phase.server_cpu / max(phase.requests, 1)
        print(
            f"{phase.name:<14}{phase.rate:>8.0f}{phase.errors:>8}{phase.server_cpu:>14.1f}"
            f"{database_cpu:>16}{phase.client_cpu:>14.1f}{per_request:>15.2f}"
        )
    verdict = "meets" if ratio >= 0.6 else "DOES NOT meet"
    print("per round: " + " ".join(f"{r:.3f}" for r in pairs))
    print(f"message create / health = {ratio:.2f}  ({verdict} the >= 0.60 bar)")
    return {
        "connections": args.connections,
        "seconds": args.seconds,
        "rounds": args.rounds,
        "round_ratios": pairs,
        "generator": args.generator,
        "health_rps": health.rate,
        "create_rps": create.rate,
        "ratio": ratio,
        "errors": health.errors + create.errors,
        "server_cpu_s": {"health": health.server_cpu, "create": create.server_cpu},
        "database_cpu_s": {"health": health.database_cpu, "create": create.database_cpu},
        "client_cpu_s": {"health": health.client_cpu, "create": create.client_cpu},
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="per kind, all rounds")
    parser.add_argument("--rounds", type=int, default=5, help="alternating health/create rounds")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("ACCORD_BENCH_DATABASE_URL"),
        help="PostgreSQL to use; default: the server's embedded one",
    )
    parser.add_argument(
        "--generator",
        choices=sorted(WORKERS),
        default="raw",
        help="load generator for both phases (default: raw)",
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    options = parser.parse_args()
    result = trio.run(main, options)
    if options.json:
        options.json.write_text(json.dumps(result, indent=2))
