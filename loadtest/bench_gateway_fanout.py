"""Gateway fan-out: deliveries/s per core over 1,000 sessions in one guild, vs plain send_message.

This process is the server: it opens the services (embedded PostgreSQL by
default), runs the REST API and the gateway exactly as `accord serve` does,
and beside them a plain trio-websocket server. A separate client process
(loadtest/gateway_clients.py, one asyncio loop) opens --sessions identified
gateway sessions (bots in one guild) and as many plain WebSocket connections
to the plain server. Then, in alternating rounds:

- gateway: --events MESSAGE_CREATE events are published on the event bus back
  to back, as the REST API publishes them; the gateway's fan-out delivers each
  to every session (permission check, sequence number, replay buffer). Events
  already waiting reach it together, up to --burst (the server's
  `accord.gateway.fanout.BURST`) at a time, and each session's frames of such
  a burst go out in one write; `--burst 1` measures one write per event;
- plain: a loop of `await ws.send_message(frame)` over the plain server's
  connections, --plain-messages times, with the same dispatch frame text.

Each round ends when the client has counted every delivery on every
connection (bounded by --timeout). The ratio is the median over round pairs
(a gateway round and the plain round after it). Server CPU is this process's CPU time
over the round; deliveries/s per core = deliveries / server CPU seconds.
The plain loop runs over a parallel set of connections to its own
trio-websocket server (the gateway does not hand out its connections), with
the same client process and connection count.

    .venv/bin/python loadtest/bench_gateway_fanout.py [--sessions 1000] [--events 200]
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import dataclass, replace
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
from trio_websocket import ConnectionClosed, WebSocketConnection, WebSocketRequest, serve_websocket

from accord.bootstrap import open_services
from accord.config import Settings
from accord.core.events import Event
from accord.core.snowflake import Snowflake
from accord.gateway import fanout
from accord.gateway.frames import prepare_dispatch
from accord.runner import SURFACES, start_surfaces
from accord.services import Services

BAR_PER_CORE = 50_000
BAR_RATIO = 4.0


@dataclass
class Round:
    name: str
    deliveries: int
    expected: int
    complete: bool
    seq_errors: int
    wall_s: float
    server_cpu_s: float
    client_cpu_s: float

    @property
    def per_core(self) -> float:
        return self.deliveries / self.server_cpu_s

    @property
    def us_per_delivery(self) -> float:
        return 1e6 * self.server_cpu_s / max(self.deliveries, 1)


class PlainServer:
    """trio-websocket with nothing on top: accepts, keeps the connection, reads until closed."""

    def __init__(self) -> None:
        self.connections: list[WebSocketConnection] = []

    async def handle(self, request: WebSocketRequest) -> None:
        ws = await request.accept()
        self.connections.append(ws)
        try:
            while True:
                await ws.get_message()
        except ConnectionClosed:
            pass


class Bench:
    def __init__(self, args: argparse.Namespace, services: Services, client: ClientProcess) -> None:
        self.args = args
        self.services = services
        self.client = client
        self.plain_seq = 0  # the plain frames' `s` continues across rounds, as a session's does

    async def call(self, command: dict[str, Any]) -> dict[str, Any]:
        return await trio.to_thread.run_sync(self.client.call, command)

    async def measure(self, name: str, group: str, per_connection: int, send: Any) -> Round:
        await self.call({"cmd": "arm", "group": group})
        cpu, started = time.process_time(), time.monotonic()
        async with trio.open_nursery() as nursery:
            answer: dict[str, Any] = {}

            async def wait() -> None:
                command = {
                    "cmd": "wait",
                    "group": group,
                    "per_connection": per_connection,
                    "timeout": self.args.timeout,
                }
                answer.update(await self.call(command))

            nursery.start_soon(wait)
            await send()
        return Round(
            name,
            answer["counted"],
            answer["expected"],
            answer["complete"],
            answer["seq_errors"],
            time.monotonic() - started,
            time.process_time() - cpu,
            answer["client_cpu"],
        )

    async def gateway_round(self, event: Event) -> Round:
        ids = self.services.ids

        async def publish() -> None:
            for _ in range(self.args.events):
                data = {**event.data, "id": str(ids.next_id())}
                await self.services.bus.publish(replace(event, data=data))

        return await self.measure("gateway fan-out", "gateway", self.args.events, publish)

    async def plain_round(self, plain: PlainServer, data: dict[str, Any]) -> Round:
        prepared = prepare_dispatch("MESSAGE_CREATE", data)
        count = self.args.plain_messages

        first = self.plain_seq + 1
        self.plain_seq += count

        async def send_all() -> None:
            for seq in range(first, first + count):
                text = prepared.frame(seq).decode()
                for ws in plain.connections:
                    await ws.send_message(text)

        return await self.measure("plain send_message", "plain", count, send_all)


async def post_sample(api: str, headers: dict[str, str], channel_id: str) -> dict[str, Any]:
    """One real message over REST; its MESSAGE_CREATE payload is what every round sends."""
    async with httpx.AsyncClient(base_url=api, headers=headers, timeout=30) as http:
        reply = await http.post(
            f"/channels/{channel_id}/messages",
            json={"content": "fan-out benchmark: a message of ordinary length, " * 3},
        )
        reply.raise_for_status()
        sample: dict[str, Any] = reply.json()
        return sample


async def serve_and_measure(settings: Settings, url: str, args: argparse.Namespace) -> list[Round]:
    async with open_services(settings, url) as services, trio.open_nursery() as nursery:
        started = await start_surfaces(services, SURFACES, nursery)
        api_port, gateway_port = started.api_port, started.gateway_port
        plain = PlainServer()
        plain_server = await nursery.start(serve_websocket, plain.handle, "127.0.0.1", 0, None)
        api = f"http://127.0.0.1:{api_port}/api/v10"
        guild = await create_bot_guild(api, args.bots)
        client = ClientProcess()
        bench = Bench(args, services, client)
        try:
            identified = await bench.call(
                {
                    "cmd": "identify",
                    "url": f"ws://127.0.0.1:{gateway_port}/",
                    "tokens": spread(guild.bot_tokens, args.sessions),
                    "intents": BOT_INTENTS,
                    "concurrency": 100,
                    "timeout": args.timeout,
                }
            )
            opened = await bench.call(
                {
                    "cmd": "plain",
                    "url": f"ws://127.0.0.1:{plain_server.port}/",
                    "count": args.sessions,
                    "timeout": args.timeout,
                }
            )
            if identified["ready"] != args.sessions or opened["ready"] != args.sessions:
                raise RuntimeError(f"sessions not ready: {identified}, plain {opened}")
            sample = await post_sample(api, guild.owner_headers, guild.channel_id)
            event = Event(
                "MESSAGE_CREATE",
                sample,
                guild_id=Snowflake(int(guild.guild_id)),
                channel_id=Snowflake(int(guild.channel_id)),
            )
            await trio.sleep(1.0)  # the sample's own deliveries drain
            rounds = []
            print(f"load average before the rounds: {load_average()}")
            for _ in range(args.rounds):
                rounds.append(await bench.gateway_round(event))
                rounds.append(await bench.plain_round(plain, sample))
        finally:
            client.close()
            nursery.cancel_scope.cancel()
    return rounds


def report(args: argparse.Namespace, rounds: list[Round]) -> dict[str, object]:
    print(
        f"\nFan-out: {args.sessions} identified sessions ({args.bots} bots) in one guild;"
        f" {args.events} events per gateway round, {args.plain_messages} per plain round"
    )
    print(
        f"{'round':<20}{'deliveries':>11}{'complete':>9}{'seq err':>8}{'wall s':>8}"
        f"{'server CPU s':>13}{'deliv/s/core':>13}{'us/deliv':>9}{'client CPU s':>13}"
    )
    for r in rounds:
        print(
            f"{r.name:<20}{r.deliveries:>11}{'yes' if r.complete else 'NO':>9}{r.seq_errors:>8}"
            f"{r.wall_s:>8.2f}{r.server_cpu_s:>13.2f}{r.per_core:>13,.0f}"
            f"{r.us_per_delivery:>9.1f}{r.client_cpu_s:>13.2f}"
        )
    gateways = [r for r in rounds if r.name.startswith("gateway")]
    plains = [r for r in rounds if r.name.startswith("plain")]
    gateway = statistics.median(r.per_core for r in gateways)
    plain = statistics.median(r.per_core for r in plains)
    # Each gateway round against the plain round right after it: the two share the
    # machine's state of the moment, so their ratio is the least noisy figure.
    ratios = [g.per_core / p.per_core for g, p in zip(gateways, plains, strict=True)]
    ratio = statistics.median(ratios)
    intact = all(r.complete and r.seq_errors == 0 for r in rounds)
    print_table(
        "Fan-out bars (medians over rounds; plain loop over a parallel trio-websocket server)",
        [
            ("gateway deliveries/s per core", f"{gateway:,.0f}"),
            ("gateway CPU per delivery", f"{1e6 / gateway:.1f} us"),
            ("plain send_message deliveries/s per core", f"{plain:,.0f}"),
            ("plain CPU per delivery", f"{1e6 / plain:.1f} us"),
            ("gateway / plain, each round pair", " ".join(f"{x:.2f}" for x in ratios)),
            ("gateway / plain, median of the pairs", f"{ratio:.2f}"),
            ("every delivery counted, in order", "yes" if intact else "NO"),
            ("events written together (at most)", str(args.burst)),
            ("machine load average (2 cores) after", load_average()),
            (f"bar: >= {BAR_PER_CORE:,} deliveries/s per core", verdict(gateway >= BAR_PER_CORE)),
            (f"bar: >= {BAR_RATIO:.0f}x the plain loop", verdict(ratio >= BAR_RATIO)),
        ],
    )
    return {
        "sessions": args.sessions,
        "rounds": [vars(r) for r in rounds],
        "gateway_per_core": gateway,
        "plain_per_core": plain,
        "ratio": ratio,
        "pair_ratios": ratios,
        "intact": intact,
        "burst": args.burst,
    }


def main(args: argparse.Namespace) -> dict[str, object]:
    raise_fd_limit()
    fanout.BURST = args.burst  # read by the fan-out of this process's gateway
    rounds = run_in_process("fanout", serve_and_measure, args)
    return report(args, rounds)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--bots", type=int, default=100, help="at most 1,000 sessions per bot")
    parser.add_argument("--events", type=int, default=200, help="events per gateway round")
    parser.add_argument("--plain-messages", type=int, default=50, help="frames per plain round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=120.0, help="bound on every phase, s")
    parser.add_argument(
        "--burst", type=int, default=fanout.BURST, help="events the fan-out writes together"
    )
    add_run_options(parser, "an embedded one")
    options = parser.parse_args()
    write_figures(options, main(options))
