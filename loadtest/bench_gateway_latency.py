"""Delivery latency: REST POST -> MESSAGE_CREATE at every one of 1,000 sessions, at 20 messages/s.

Starts a real `accord serve` (REST and gateway in one process, loopback only,
rate limits scaled out of the way), creates one guild with --bots bots over
REST, and opens --sessions identified sessions from a separate client
process (loadtest/gateway_clients.py). This process then posts --rate
messages/s for --seconds (open loop: each POST starts on its schedule, whether
or not the previous one has been answered), round-robin over --posters of the
bots. Each message's nonce is `time.monotonic_ns()` taken just before its
POST is sent; the client process reads the same system-wide monotonic clock
when a MESSAGE_CREATE arrives, so every delivery at every session gives one
latency. Bar: p99 <= 50 ms at 20 messages/s over 1,000 sessions (20,000
deliveries/s). Bounded: warm-up 2 s, then --seconds, then at most --drain s.

With --processes api+gateway the server is instead an `accord api` and an
`accord gateway` process (distinct worker ids, one JWT secret) sharing an
embedded PostgreSQL and a Redis this process starts: the POSTs go to the API
process, the sessions are on the gateway process, and every event crosses
Redis Streams between them. Everything it starts is stopped at the end.

    .venv/bin/python loadtest/bench_gateway_latency.py [--rate 20] [--seconds 15] [--search-steps 5]
    .venv/bin/python loadtest/bench_gateway_latency.py --processes api+gateway

With --search-steps N it then looks, on the same sessions, for the highest
rate at which p99 stays under the bar: it doubles the rate while p99 is
under it (halves while over), then bisects; N phases of --search-seconds.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import psutil
import trio
from gateway_bench import (
    BOT_INTENTS,
    ApiGateway,
    ClientProcess,
    Server,
    add_run_options,
    api_gateway,
    cpu_seconds,
    create_bot_guild,
    load_average,
    print_table,
    raise_fd_limit,
    spread,
    start_serve,
    verdict,
    write_figures,
)

BAR_P99_MS = 50.0
WARMUP_S = 2.0
SERVERS = ("serve", "api+gateway")


def quantile(ordered: list[float], q: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def post_messages(
    api: str, tokens: list[str], channel_id: str, rate: float, seconds: float
) -> tuple[Counter[int], list[float]]:
    """Post `rate` messages/s for `seconds`, on schedule; status counts, sorted POST times (ms)."""
    statuses: Counter[int] = Counter()
    answered_ms: list[float] = []
    path = f"/channels/{channel_id}/messages"
    clients = [
        httpx.AsyncClient(base_url=api, headers={"Authorization": f"Bot {t}"}, timeout=30)
        for t in tokens
    ]

    async def post(n: int, when: float) -> None:
        await trio.sleep_until(when)
        sent = time.monotonic_ns()
        body = {"content": f"latency probe {n}", "nonce": str(sent)}
        reply = await clients[n % len(clients)].post(path, json=body)
        answered_ms.append((time.monotonic_ns() - sent) / 1e6)
        statuses[reply.status_code] += 1

    try:
        start = trio.current_time()
        async with trio.open_nursery() as nursery:
            for n in range(round(rate * seconds)):
                nursery.start_soon(post, n, start + n / rate)
    finally:
        for client in clients:
            await client.aclose()
    return statuses, sorted(answered_ms)


class Phase:
    """One posting phase over the same sessions: a warm-up, then `seconds` at `rate`."""

    def __init__(
        self, server: Server | ApiGateway, client: ClientProcess, posters: list[str], channel: str
    ):
        self.server, self.client, self.posters, self.channel = server, client, posters, channel

    def run(self, rate: float, seconds: float, drain: float) -> tuple[Any, ...]:
        api = self.server.api
        trio.run(post_messages, api, self.posters, self.channel, rate, WARMUP_S)
        time.sleep(1.0)
        self.client.call({"cmd": "latency", "on": True})
        self.client.call({"cmd": "arm", "group": "gateway"})
        measured = self.server.measured()
        if isinstance(self.server, ApiGateway):
            measured["redis"] = self.server.redis
        before = {name: cpu_seconds(ps) for name, ps in measured.items()}
        started = time.monotonic()
        me, client_cpu = psutil.Process(), cpu_seconds(self.client.ps)
        poster_cpu = cpu_seconds(me)
        load_before = load_average()
        statuses, answered = trio.run(post_messages, api, self.posters, self.channel, rate, seconds)
        posted = statuses.get(200, 0)
        waited = self.client.call(
            {"cmd": "wait", "group": "gateway", "per_connection": posted, "timeout": drain}
        )
        used = {name: cpu_seconds(ps) - before[name] for name, ps in measured.items()}
        generator_cpu = cpu_seconds(self.client.ps) - client_cpu + cpu_seconds(me) - poster_cpu
        wall = time.monotonic() - started
        load = f"{load_before} before, {load_average()} after"
        result = self.client.call({"cmd": "report"})
        result["generator_cpu"] = generator_cpu
        result["cpu_by_process"] = used
        server_cpu = sum(v for name, v in used.items() if name != "redis")
        return (statuses, answered), waited, result, (server_cpu, wall, load)


def passes(posts: tuple[Counter[int], list[float]], waited: dict[str, Any], p99: float) -> bool:
    statuses, _ = posts
    intact = waited["complete"] and waited["seq_errors"] == 0
    return intact and set(statuses) == {200} and p99 <= BAR_P99_MS


def search(phase: Phase, args: argparse.Namespace, first: tuple[float, bool]) -> list[dict]:
    """A short step search for the highest rate whose p99 stays under the bar.

    Doubles from the first rate while it passes (halves while it fails), then
    bisects between the highest pass and the lowest fail: --search-steps at most.
    """
    passed: float | None = first[0] if first[1] else None
    failed: float | None = None if first[1] else first[0]
    steps = []
    for _ in range(args.search_steps):
        if failed is None:
            assert passed is not None
            rate = passed * 2
        elif passed is None:
            rate = failed / 2
        else:
            rate = (passed + failed) / 2
        if rate < 0.5 or (passed and failed and failed - passed < 0.1 * failed):
            break
        posts, waited, result, machine = phase.run(rate, args.search_seconds, args.drain)
        latencies = result["latencies_ms"]
        p50, p99 = quantile(latencies, 0.5), quantile(latencies, 0.99)
        ok = passes(posts, waited, p99)
        steps.append(
            {
                "rate": rate,
                "p50_ms": p50,
                "p99_ms": p99,
                "met": ok,
                "server_cpu_s": machine[0],
                "wall_s": machine[1],
                "generator_cpu_s": result["generator_cpu"],
                "load": machine[2],
            }
        )
        print(
            f"  step: {rate:g} messages/s ({rate * args.sessions:,.0f} deliveries/s):"
            f" p50 {p50:.1f} ms, p99 {p99:.1f} ms, {'under' if ok else 'OVER'} the bar,"
            f" load {machine[2]}",
            flush=True,
        )
        if ok:
            passed = rate
        else:
            failed = rate
    return steps


def run(args: argparse.Namespace) -> dict[str, object]:
    raise_fd_limit()
    data_dir = Path(tempfile.mkdtemp(prefix="accord-bench-latency-"))
    env = {"ACCORD_RATE_LIMIT_SCALE": "1000"}
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, data_dir, ignore_errors=True)
        server: Server | ApiGateway
        if args.processes == "api+gateway":
            server = stack.enter_context(api_gateway(data_dir, env, args.database_url))
        else:
            server = start_serve(data_dir, env, args.database_url)
            stack.callback(server.stop)
        client = ClientProcess()
        stack.callback(client.close)
        return measure(args, server, client)


def measure(
    args: argparse.Namespace, server: Server | ApiGateway, client: ClientProcess
) -> dict[str, object]:
    """Identify the sessions, post at --rate, then (--search-steps) look for the highest rate."""
    guild = trio.run(create_bot_guild, server.api, args.bots)
    identified = client.call(
        {
            "cmd": "identify",
            "url": server.gateway,
            "tokens": spread(guild.bot_tokens, args.sessions),
            "intents": BOT_INTENTS,
            "concurrency": 100,
            "timeout": 300.0,
        }
    )
    if identified["ready"] != args.sessions:
        raise RuntimeError(f"sessions not ready: {identified}")
    phase = Phase(server, client, guild.bot_tokens[: args.posters], guild.channel_id)
    posts, waited, result, machine = phase.run(args.rate, args.seconds, args.drain)
    result["identify_s"] = identified["seconds"]
    figures = report(args, posts, waited, result, machine)
    if args.search_steps:
        print(f"\nStep search for the highest rate with p99 <= {BAR_P99_MS:.0f} ms:")
        steps = search(phase, args, (args.rate, bool(figures["met"])))
        figures["search"] = steps
        passing = [s["rate"] for s in steps if s["met"]]
        if figures["met"]:
            passing.append(args.rate)
        figures["best_rate"] = max(passing) if passing else None
        best = figures["best_rate"]
        print(
            "  highest rate with p99 under the bar: "
            + (f"{best:g} messages/s" if best else f"none down to {steps[-1]['rate']:g}/s")
        )
    return figures


def report(
    args: argparse.Namespace,
    posts: tuple[Counter[int], list[float]],
    waited: dict[str, Any],
    result: dict[str, Any],
    machine: tuple[float, float, str],
) -> dict[str, object]:
    statuses, answered = posts
    server_cpu, wall, load = machine
    latencies = result["latencies_ms"]
    slowest = result["slowest_ms"]
    p50, p99 = quantile(latencies, 0.50), quantile(latencies, 0.99)
    intact = waited["complete"] and waited["seq_errors"] == 0
    met = intact and statuses.get(200, 0) == round(args.rate * args.seconds) and p99 <= BAR_P99_MS
    by_process = result["cpu_by_process"]
    if args.processes == "api+gateway":
        where = ", accord api + accord gateway over Redis"
        server_row = (
            "server CPU (api + gateway processes)",
            f"{server_cpu:.1f} s in {wall:.1f} s (api {by_process['api']:.1f} s,"
            f" gateway {by_process['gateway']:.1f} s; {server_cpu / wall:.0%} of one core)",
        )
        side = [("Redis CPU", f"{by_process['redis']:.1f} s")]
    else:
        where = ", one accord serve"
        server_row = (
            "server CPU (REST + gateway process)",
            f"{server_cpu:.1f} s in {wall:.1f} s ({server_cpu / wall:.0%} of one core)",
        )
        side = []
    print_table(
        f"Latency REST POST -> MESSAGE_CREATE{where}: {args.sessions} sessions ({args.bots} bots),"
        f" {args.rate:g} messages/s for {args.seconds:g} s, {args.posters} posters",
        [
            ("POST statuses", ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items()))),
            (
                "POST answered p50 / p99, ms",
                " / ".join(f"{quantile(answered, q):.1f}" for q in (0.5, 0.99)),
            ),
            ("deliveries counted / expected", f"{waited['counted']} / {waited['expected']}"),
            ("every session got every message, in order", "yes" if intact else "NO"),
            ("deliveries/s (over the posting time)", f"{waited['counted'] / args.seconds:,.0f}"),
            (
                "latency p50 / p90 / p99 / max, ms",
                " / ".join(f"{quantile(latencies, q):.1f}" for q in (0.5, 0.9, 0.99, 1.0)),
            ),
            (
                "message at all sessions p50 / p99 / max, ms",
                " / ".join(f"{quantile(slowest, q):.1f}" for q in (0.5, 0.99, 1.0)),
            ),
            server_row,
            *side,
            ("sessions identified in (100 at a time)", f"{result['identify_s']:.1f} s"),
            ("client process CPU (whole run)", f"{result['client_cpu']:.1f} s"),
            (
                "load generator CPU (clients + poster, this phase)",
                f"{result['generator_cpu']:.1f} s",
            ),
            ("machine load average (2 cores)", load),
            (f"bar: p99 <= {BAR_P99_MS:.0f} ms", verdict(met)),
        ],
    )
    # The distribution at 101 points (every percentile), for the plot in docs/.
    points = [quantile(latencies, q / 100) for q in range(100)] + [quantile(latencies, 1.0)]
    return {
        "processes": args.processes,
        "rate": args.rate,
        "sessions": args.sessions,
        "percentiles_ms": points,
        "answered_p50_ms": quantile(answered, 0.5),
        "answered_p99_ms": quantile(answered, 0.99),
        "generator_cpu_s": result["generator_cpu"],
        "client_cpu_s": result["client_cpu"],
        "identify_s": result["identify_s"],
        "statuses": dict(statuses),
        "deliveries": waited["counted"],
        "expected": waited["expected"],
        "p50_ms": p50,
        "p99_ms": p99,
        "all_sessions_p99_ms": quantile(slowest, 0.99),
        "server_cpu_s": server_cpu,
        "cpu_by_process_s": by_process,
        "wall_s": wall,
        "load": load,
        "met": met,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--bots", type=int, default=100, help="at most 1,000 sessions per bot")
    parser.add_argument("--posters", type=int, default=10, help="bots that post, round-robin")
    parser.add_argument("--rate", type=float, default=20.0, help="messages per second")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--drain", type=float, default=10.0, help="wait for late deliveries, s")
    parser.add_argument(
        "--search-steps",
        type=int,
        default=0,
        help="then search this many rates for the highest with p99 under the bar",
    )
    parser.add_argument("--search-seconds", type=float, default=8.0, help="posting time per step")
    parser.add_argument(
        "--processes",
        choices=SERVERS,
        default="serve",
        help="one accord serve, or accord api + accord gateway processes over a Redis of its own",
    )
    add_run_options(parser, "the server's embedded one")
    options = parser.parse_args()
    write_figures(options, run(options))
