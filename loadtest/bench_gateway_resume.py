"""Resume under chaos: 1,000 forced disconnects during traffic; nothing lost, repeated or reordered.

This process is the server (REST and gateway as `accord serve` starts them,
embedded PostgreSQL by default), so it can also send op 7 (RECONNECT) to a
session as a gateway about to stop does. A separate client process
(loadtest/gateway_clients.py with loadtest/chaos_client.py) opens --sessions
identified sessions (bots in one guild). Then, at the same time:

- this process posts messages over REST one after another (at most --rate a
  second), the n-th with nonce "n", so the order they were posted in is the
  order every session must see;
- the client drops a random live session about --drop-rate times a second,
  two thirds of them by aborting the socket (no close frame) or closing with
  4000, a third by this process sending op 7; each dropped session
  reconnects after a pause of up to 50 ms and RESUMEs from the last `s` it
  received;

until --disconnects drops have happened. Then the drops stop, every session
is waited for until it holds every posted message (bounded by --drain), and
each session's MESSAGE_CREATE nonces are compared with 0, 1, 2, ...: a
nonce missing is lost, one seen twice is duplicated, one after a higher one
is reordered. Bar: all three zero, and no `s` out of sequence.

    .venv/bin/python loadtest/bench_gateway_resume.py [--sessions 150] [--disconnects 1000]
"""

from __future__ import annotations

import argparse
import random
import time
from typing import Any

import httpx
import trio
from gateway_bench import (
    BOT_INTENTS,
    ClientProcess,
    add_run_options,
    create_bot_guild,
    load_average,
    print_table,
    raise_fd_limit,
    run_in_process,
    spread,
    verdict,
    write_figures,
)

from accord.bootstrap import open_services
from accord.config import Settings
from accord.gateway.hub import Hub
from accord.runner import SURFACES, start_surfaces

# Of every three drops, two come from the client and one is an op 7 from here.
OP7_SHARE = 1 / 3
STATUS_POLL_S = 0.25


class Traffic:
    """Sequential POSTs with nonces 0, 1, 2, ... until told to stop."""

    def __init__(self, api: str, headers: dict[str, str], channel_id: str, rate: float) -> None:
        self.api, self.headers, self.channel_id, self.rate = api, headers, channel_id, rate
        self.posted = 0
        self.failed = 0
        self.stop = trio.Event()

    async def run(self) -> None:
        path = f"/channels/{self.channel_id}/messages"
        async with httpx.AsyncClient(base_url=self.api, headers=self.headers, timeout=30) as http:
            next_at = trio.current_time()
            while not self.stop.is_set():
                await trio.sleep_until(next_at)
                next_at = max(next_at + 1 / self.rate, trio.current_time())
                n = self.posted
                reply = await http.post(path, json={"content": f"chaos {n}", "nonce": str(n)})
                if reply.status_code == 200:
                    self.posted += 1
                else:
                    self.failed += 1


async def send_op7(gateway: Hub) -> bool:
    """Op 7 to a random session that is connected now."""
    connected = [s.id for s in gateway.registry if s.transport is not None]
    return bool(connected) and gateway.reconnect(random.choice(connected))


async def serve_and_measure(settings: Settings, url: str, args: argparse.Namespace) -> dict:
    async with open_services(settings, url) as services, trio.open_nursery() as nursery:
        started = await start_surfaces(services, SURFACES, nursery)
        assert started.gateway is not None
        api = f"http://127.0.0.1:{started.api_port}/api/v10"
        guild = await create_bot_guild(api, args.bots)
        client = ClientProcess()

        async def call(command: dict[str, Any]) -> dict[str, Any]:
            return await trio.to_thread.run_sync(client.call, command)

        try:
            identified = await call(
                {
                    "cmd": "chaos_identify",
                    "port": started.gateway_port,
                    "tokens": spread(guild.bot_tokens, args.sessions),
                    "intents": BOT_INTENTS,
                    "timeout": 120.0,
                }
            )
            traffic = Traffic(api, guild.owner_headers, guild.channel_id, args.rate)
            load_before = load_average()
            server_cpu, begun = time.process_time(), time.monotonic()
            op7_sent = 0
            status: dict[str, Any] = {}
            async with trio.open_nursery() as inner:
                inner.start_soon(traffic.run)
                await trio.sleep(1.0)  # traffic flows before the first drop
                await call({"cmd": "chaos_start", "rate": args.drop_rate * (1 - OP7_SHARE)})
                op7_every = 1 / (args.drop_rate * OP7_SHARE)
                next_op7 = trio.current_time()
                deadline = trio.current_time() + args.timeout
                while trio.current_time() < deadline:
                    if trio.current_time() >= next_op7:
                        op7_sent += await send_op7(started.gateway)
                        next_op7 += random.expovariate(1 / op7_every)
                    status = await call({"cmd": "chaos_status"})
                    if status["total"] >= args.disconnects:
                        break
                    await trio.sleep(min(STATUS_POLL_S, max(0.0, next_op7 - trio.current_time())))
                traffic.stop.set()
            chaos_s = time.monotonic() - begun
            result = await call(
                {"cmd": "chaos_stop", "count": traffic.posted, "timeout": args.drain}
            )
            server_cpu = time.process_time() - server_cpu
            client_cpu = sum(client.ps.cpu_times()[:2])
            load = f"{load_before} before, {load_average()} after"
        finally:
            client.close()
            nursery.cancel_scope.cancel()
    return {
        **result,
        "identified": identified["ready"],
        "op7_sent": op7_sent,
        "post_failures": traffic.failed,
        "chaos_seconds": chaos_s,
        "server_cpu_s": server_cpu,
        "client_cpu_s": client_cpu,
        "load": load,
    }


def report(args: argparse.Namespace, r: dict[str, Any]) -> dict[str, Any]:
    drops = r["drops"]
    total = sum(drops.values())
    intact = r["lost"] == 0 and r["duplicated"] == 0 and r["reordered"] == 0
    clean = intact and r["seq_errors"] == 0 and r["invalid_sessions"] == 0
    met = clean and total >= args.disconnects and r["post_failures"] == 0
    print_table(
        f"Resume under chaos: {r['sessions']} sessions ({args.bots} bots), messages posted"
        f" one after another (at most {args.rate:g}/s) while sessions are dropped",
        [
            ("disconnects (abort / close 4000 / op 7)", _drops(drops)),
            ("resumes (RESUMED received)", f"{r['resumes']}"),
            ("chaos phase", f"{r['chaos_seconds']:.1f} s"),
            ("messages posted (POST failures)", f"{r['messages']} ({r['post_failures']})"),
            ("deliveries expected", f"{r['messages'] * r['sessions']:,}"),
            (
                "lost / duplicated / reordered",
                f"{r['lost']} / {r['duplicated']} / {r['reordered']}",
            ),
            ("sessions with exactly 0, 1, 2, ...", f"{r['sessions_exact']} of {r['sessions']}"),
            (
                "`s` out of sequence; op 9 (session lost)",
                f"{r['seq_errors']}; {r['invalid_sessions']}",
            ),
            ("server CPU (this process)", f"{r['server_cpu_s']:.1f} s"),
            ("client process CPU (whole run)", f"{r['client_cpu_s']:.1f} s"),
            ("machine load average (2 cores)", r["load"]),
            (
                f"bar: {args.disconnects:,} disconnects, nothing lost/duplicated/reordered",
                verdict(met),
            ),
        ],
    )
    return {**r, "disconnects": total, "met": met}


def _drops(drops: dict[str, int]) -> str:
    parts = " / ".join(str(drops.get(k, 0)) for k in ("abort", "close4000", "op7"))
    return f"{sum(drops.values())} ({parts})"


def main(args: argparse.Namespace) -> dict[str, Any]:
    raise_fd_limit()
    result = run_in_process("resume", serve_and_measure, args)
    return report(args, result)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=150)
    parser.add_argument("--bots", type=int, default=15, help="at most 1,000 sessions per bot")
    parser.add_argument("--disconnects", type=int, default=1000)
    parser.add_argument("--drop-rate", type=float, default=25.0, help="disconnects per second")
    parser.add_argument("--rate", type=float, default=20.0, help="at most this many POSTs/s")
    parser.add_argument("--timeout", type=float, default=150.0, help="bound on the chaos phase, s")
    parser.add_argument("--drain", type=float, default=30.0, help="wait for resumes to finish, s")
    add_run_options(parser, "an embedded one")
    options = parser.parse_args()
    write_figures(options, main(options))
