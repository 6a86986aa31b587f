"""Memory per idle identified gateway session (bar: 10,000 sessions at <= 32 KiB RSS each).

Starts a real `accord serve` (loopback only), creates one guild with a few
bots over REST, then from a separate client process (loadtest/gateway_clients.py,
one asyncio loop) opens --sessions sessions that IDENTIFY, receive READY and
GUILD_CREATE, and heartbeat. It holds them for --hold seconds (longer than a
heartbeat interval, so every session beats and is acknowledged) and prints the
server's RSS before the first connection and after the hold, divided by the
sessions. Bounded: the identify phase times out after --identify-timeout.

    .venv/bin/python loadtest/bench_gateway_idle.py [--sessions 10000] [--bots 20]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import psutil
import trio
from gateway_bench import (
    BOT_INTENTS,
    ClientProcess,
    add_run_options,
    create_bot_guild,
    load_average,
    print_table,
    raise_fd_limit,
    spread,
    start_serve,
    verdict,
    write_figures,
)

BAR_KIB = 32


def run(args: argparse.Namespace) -> dict[str, object]:
    limit = raise_fd_limit()
    if limit < args.sessions + 1000:
        raise SystemExit(f"open-file limit {limit} is too low for {args.sessions} sessions")
    data_dir = Path(tempfile.mkdtemp(prefix="accord-bench-idle-"))
    env = {
        "ACCORD_HEARTBEAT_INTERVAL_MS": str(args.heartbeat_ms),
        "ACCORD_RATE_LIMIT_SCALE": "1000",
    }
    server = start_serve(data_dir, env, args.database_url)
    client = ClientProcess()
    try:
        guild = trio.run(create_bot_guild, server.api, args.bots)
        process = psutil.Process(server.process.pid)
        time.sleep(1.0)  # let the setup's garbage settle before the baseline
        before = process.memory_info().rss
        identified = client.call(
            {
                "cmd": "identify",
                "url": server.gateway,
                "tokens": spread(guild.bot_tokens, args.sessions),
                "intents": BOT_INTENTS,
                "concurrency": args.concurrency,
                "timeout": args.identify_timeout,
            }
        )
        time.sleep(args.hold)
        after = process.memory_info().rss
        report = client.call({"cmd": "report"})
        server_fds = process.num_fds()
    finally:
        client.close()
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
    ready = identified["ready"]
    per_session = (after - before) / max(ready, 1) / 1024
    met = ready >= args.sessions and report["closed"] == 0 and per_session <= BAR_KIB
    print_table(
        f"Idle identified sessions ({args.bots} bots in one guild, heartbeat"
        f" {args.heartbeat_ms} ms, held {args.hold:.0f} s)",
        [
            ("sessions identified (READY + GUILD_CREATE)", f"{ready} of {args.sessions}"),
            ("identify phase", f"{identified['seconds']:.1f} s, {identified['failed']} failed"),
            ("heartbeat acks during the run", f"{report['heartbeat_acks']}"),
            ("connections closed by the server", f"{report['closed']}"),
            ("server fds at the end", f"{server_fds}"),
            ("server RSS before", f"{before / 2**20:.1f} MiB"),
            ("server RSS after", f"{after / 2**20:.1f} MiB"),
            ("RSS per session", f"{per_session:.1f} KiB"),
            ("client process CPU", f"{report['client_cpu']:.1f} s"),
            ("machine load average (2 cores) at the end", load_average()),
            (f"bar: {args.sessions} sessions at <= {BAR_KIB} KiB each", verdict(met)),
        ],
    )
    return {
        "sessions": ready,
        "rss_before": before,
        "rss_after": after,
        "kib_per_session": per_session,
        "heartbeat_acks": report["heartbeat_acks"],
        "closed": report["closed"],
        "identify_s": identified["seconds"],
        "client_cpu_s": report["client_cpu"],
        "met": met,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--bots", type=int, default=20, help="at most 1,000 sessions per bot")
    parser.add_argument("--heartbeat-ms", type=int, default=10_000)
    parser.add_argument("--hold", type=float, default=15.0, help="seconds to hold the sessions")
    parser.add_argument("--concurrency", type=int, default=100, help="identifies in flight")
    parser.add_argument("--identify-timeout", type=float, default=300.0)
    add_run_options(parser, "the server's embedded one")
    options = parser.parse_args()
    write_figures(options, run(options))
