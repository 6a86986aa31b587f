"""The client process of the gateway benchmarks: many sessions, steered over stdin/stdout.

Started by a benchmark, never by hand. Commands arrive as JSON lines on
stdin and every answer is one JSON line on stdout:

    {"cmd": "identify", "url": "ws://127.0.0.1:P/", "tokens": [[token, sessions], ...],
     "intents": 33281, "concurrency": 200, "timeout": s}  -> {"ready": n, "failed": k, "seconds": t}
    {"cmd": "plain", "url": "ws://127.0.0.1:P/", "count": n, "timeout": s}
        -> {"ready": n, "failed": k}
    {"cmd": "arm", "group": "gateway"|"plain"}  -> {"armed": n}  (counts restart from zero)
    {"cmd": "wait", "group": ..., "per_connection": k, "timeout": s}
        -> {"counted": n, "expected": n, "complete": bool, "seconds": wall since arm,
            "client_cpu": s since arm, "seq_errors": e}
    {"cmd": "latency", "on": true|false}      -> {"latency": on}  (clears recorded latencies)
    {"cmd": "report"}  -> {"deliveries": n, "latencies_ms": [...sorted],
                           "slowest_ms": [per message, its slowest delivery, sorted],
                           "heartbeat_acks": a,
                           "closed": c, "seq_errors": e, "client_cpu": s}
    {"cmd": "chaos_identify", "port": P, "tokens": [[token, sessions], ...], "intents": i,
     "timeout": s}  -> {"ready": n, "seconds": t}    (resumable sessions, loadtest/chaos_client.py)
    {"cmd": "chaos_start", "rate": drops per s}  -> {"started": true}
    {"cmd": "chaos_status"}  -> {"drops": {kind: n}, "total": n, "live": n}
    {"cmd": "chaos_stop", "count": messages posted, "timeout": s}
        -> {"lost": n, "duplicated": n, "reordered": n, "seq_errors": n, ...}
    {"cmd": "quit"}

Everything is bounded by the benchmark's own timeouts; this process ends
when stdin closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import resource
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import orjson
from chaos_client import Chaos
from ws_client import Counters, GatewaySession, WsProtocol, handshake, open_many

QUERY = "/?v=10&encoding=json"
Command = dict[str, Any]


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def raise_fd_limit() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class Clients:
    def __init__(self) -> None:
        self.groups: dict[str, tuple[Counters, list[WsProtocol]]] = {
            "gateway": (Counters(), []),
            "plain": (Counters(), []),
        }
        self._armed = (0.0, 0.0)

    async def identify(self, command: Command) -> Command:
        url = urlsplit(command["url"])
        host, port = url.hostname or "127.0.0.1", url.port or 80
        counters, connections = self.groups["gateway"]
        tokens = [token for token, sessions in command["tokens"] for _ in range(sessions)]
        request = handshake(host, port, QUERY)
        queue = iter(tokens)

        def factory() -> WsProtocol:
            return GatewaySession(request, counters, next(queue), command["intents"])

        started = time.monotonic()
        opened, failed = await open_many(
            len(tokens),
            factory,
            host,
            port,
            command["concurrency"],
            lambda protocol: protocol.ready,  # type: ignore[attr-defined]
            command["timeout"],
        )
        connections.extend(opened)
        return {
            "ready": len(opened),
            "failed": failed,
            "seconds": time.monotonic() - started,
        }

    async def plain(self, command: Command) -> Command:
        url = urlsplit(command["url"])
        host, port = url.hostname or "127.0.0.1", url.port or 80
        counters, connections = self.groups["plain"]
        request = handshake(host, port, "/")
        opened, failed = await open_many(
            command["count"],
            lambda: WsProtocol(request, counters),
            host,
            port,
            200,
            lambda protocol: protocol.upgraded,
            command["timeout"],
        )
        connections.extend(opened)
        return {"ready": len(opened), "failed": failed}

    async def arm(self, command: Command) -> Command:
        counters, connections = self.groups[command["group"]]
        for connection in connections:
            connection.deliveries = 0
        counters.deliveries = 0
        counters.seq_errors = 0
        counters.target = 0
        counters.reached.clear()
        self._armed = (cpu_seconds(), time.monotonic())
        return {"armed": len(connections)}

    async def wait(self, command: Command) -> Command:
        counters, connections = self.groups[command["group"]]
        per_connection = command["per_connection"]
        target = per_connection * len(connections)
        cpu_before, started = self._armed
        counters.expect(target)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(counters.reached.wait(), command["timeout"])
        return {
            "counted": counters.deliveries,
            "expected": target,
            "complete": all(c.deliveries == per_connection for c in connections),
            "seconds": time.monotonic() - started,
            "client_cpu": cpu_seconds() - cpu_before,
            "seq_errors": counters.seq_errors,
        }

    async def latency(self, command: Command) -> Command:
        counters = self.groups["gateway"][0]
        counters.record_latency = command["on"]
        del counters.latencies_ns[:]
        counters.slowest_ns.clear()
        counters.deliveries = 0
        return {"latency": counters.record_latency, "client_cpu": cpu_seconds()}

    async def report(self, command: Command) -> Command:
        counters = self.groups["gateway"][0]
        return {
            "deliveries": counters.deliveries,
            "latencies_ms": sorted(ns / 1e6 for ns in counters.latencies_ns),
            "slowest_ms": sorted(ns / 1e6 for ns in counters.slowest_ns.values()),
            "heartbeat_acks": counters.heartbeat_acks,
            "closed": counters.closed,
            "seq_errors": counters.seq_errors,
            "client_cpu": cpu_seconds(),
        }


async def main() -> None:
    raise_fd_limit()
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=1 << 24)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    clients = Clients()
    chaos = Chaos()
    handlers: dict[str, Callable[[Command], Awaitable[Command]]] = {
        "identify": clients.identify,
        "plain": clients.plain,
        "arm": clients.arm,
        "wait": clients.wait,
        "latency": clients.latency,
        "report": clients.report,
        "chaos_identify": chaos.identify,
        "chaos_start": chaos.start,
        "chaos_status": chaos.status,
        "chaos_stop": chaos.stop,
    }
    while line := await reader.readline():
        command = orjson.loads(line)
        if command["cmd"] == "quit":
            break
        answer = await handlers[command["cmd"]](command)
        sys.stdout.buffer.write(orjson.dumps(answer) + b"\n")
        sys.stdout.flush()


if __name__ == "__main__":
    asyncio.run(main())
