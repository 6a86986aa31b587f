"""Cost of one Trio -> asyncio crossing through each bridge, measured in one run.

    .venv/bin/python loadtest/bench_bridge.py [DSN] [--seconds S] [--rounds N]
    make bench-bridge

Cases: a no-op coroutine (the bare crossing) and ``SELECT 1`` on an asyncpg
pool (what a repository call costs at the least), each at 1 and 32
concurrent Trio tasks. An "asyncio only" row runs the same loop inside the
thread bridge's loop with no crossing at all, as the floor. Cells are
interleaved across rounds so drift on a noisy machine hits every bridge
alike; the table shows the median round and the min-max spread.

DSN: the argument, else $ACCORD_BENCH_DATABASE_URL, else the local test
database; if nothing answers there, an embedded PostgreSQL (pgserver) is
started in a temporary directory. Loopback or a local socket only: the
figures are about the crossing, not the network.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import trio
import trio_asyncio

from accord.adapters.bridge import (
    Bridge,
    bridge_kind,
    open_thread_loop_bridge,
    open_trio_asyncio_bridge,
)

DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/test"
CONCURRENCY = (1, 32)
# The storage's default pool size, so 32 tasks queue for connections as they would in the server.
POOL_SIZE = 10
# A second bridge costs a thread and a second event loop to reason about;
# it has to buy a clear margin, more than this machine's run-to-run noise.
THRESHOLD = 1.5
WARMUP = 0.1
BRIDGES = ("trio-asyncio", "thread")
NATIVE = "asyncio only"
OPENERS = {"trio-asyncio": open_trio_asyncio_bridge, "thread": open_thread_loop_bridge}
Case = tuple[Callable[..., Awaitable[Any]], tuple[Any, ...]]


async def _noop() -> None:
    return None


async def _select_one(pool: asyncpg.Pool) -> Any:
    async with pool.acquire() as connection:
        return await connection.fetchval("SELECT 1")


async def _create_pool(dsn: str) -> asyncpg.Pool:
    return await asyncpg.create_pool(dsn, min_size=POOL_SIZE, max_size=POOL_SIZE)


@dataclass
class Sample:
    calls: int
    wall: float
    cpu: float


async def _crossing(bridge: Bridge, case: Case, tasks: int, seconds: float) -> int:
    fn, args = case
    calls = 0

    async def worker(deadline: float) -> None:
        nonlocal calls
        while trio.current_time() < deadline:
            await bridge.run(fn, *args)
            calls += 1

    async with trio.open_nursery() as nursery:
        deadline = trio.current_time() + seconds
        for _ in range(tasks):
            nursery.start_soon(worker, deadline)
    return calls


async def _asyncio_only(case: Case, tasks: int, seconds: float) -> int:
    fn, args = case
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    calls = 0

    async def worker() -> None:
        nonlocal calls
        while loop.time() < deadline:
            await fn(*args)
            calls += 1

    await asyncio.gather(*(worker() for _ in range(tasks)))
    return calls


async def _measure(
    subject: str, bridges: dict[str, Bridge], case: Case, tasks: int, seconds: float
) -> Sample:
    async def once(duration: float) -> int:
        if subject == NATIVE:
            return await bridges["thread"].run(_asyncio_only, case, tasks, duration)
        return await _crossing(bridges[subject], case, tasks, duration)

    await once(WARMUP)
    wall, cpu = time.perf_counter(), time.process_time()
    calls = await once(seconds)
    return Sample(calls, time.perf_counter() - wall, time.process_time() - cpu)


async def _bench(dsn: str, seconds: float, rounds: int) -> None:
    started, cpu_started = time.perf_counter(), time.process_time()
    samples: dict[tuple[str, int, str], list[Sample]] = {}
    async with AsyncExitStack() as stack:
        bridges = {kind: await stack.enter_async_context(OPENERS[kind]()) for kind in BRIDGES}
        pools = {kind: await bridges[kind].run(_create_pool, dsn) for kind in BRIDGES}
        try:
            cases: dict[str, dict[str, Case]] = {
                "no-op": {kind: (_noop, ()) for kind in BRIDGES},
                "SELECT 1": {kind: (_select_one, (pools[kind],)) for kind in BRIDGES},
            }
            subjects = [*BRIDGES, NATIVE]
            for round_ in range(rounds):
                # Rotate the order so no subject always runs first (or last) in a round.
                shift = round_ % len(subjects)
                order = subjects[shift:] + subjects[:shift]
                for name, per_bridge in cases.items():
                    for tasks in CONCURRENCY:
                        for subject in order:
                            case = per_bridge["thread" if subject == NATIVE else subject]
                            sample = await _measure(subject, bridges, case, tasks, seconds)
                            samples.setdefault((name, tasks, subject), []).append(sample)
        finally:
            for kind in BRIDGES:
                await bridges[kind].run(pools[kind].close)
    _report(samples, dsn, seconds, rounds)
    print(
        f"\nwhole run: {time.perf_counter() - started:.1f} s wall, "
        f"{time.process_time() - cpu_started:.1f} s CPU in this process "
        "(the database server's CPU is not included)"
    )


def _median(samples: list[Sample]) -> Sample:
    return sorted(samples, key=lambda s: s.calls / s.wall)[len(samples) // 2]


def _report(
    samples: dict[tuple[str, int, str], list[Sample]], dsn: str, seconds: float, rounds: int
) -> None:
    print(f"Trio -> asyncio crossing; {rounds} rounds x {seconds:g} s per cell; median round")
    print(f"database: {_redact(dsn)}; pool size {POOL_SIZE}; {os.cpu_count()} CPUs")
    print(
        f"python {platform.python_version()}, trio {trio.__version__}, "
        f"trio-asyncio {trio_asyncio.__version__}, asyncpg {asyncpg.__version__}"
    )
    print("us/call = wall time per completed call (1 / throughput); CPU = this whole process\n")
    header = (
        f"{'case':<9} {'tasks':>5}  {'bridge':<13} {'calls/s':>9} {'min-max calls/s':>21}"
        f" {'us/call':>8} {'CPU us/call':>11} {'CPU s':>6} {'thread/t-a':>10}"
    )
    print(header)
    print("-" * len(header))
    ratios: dict[tuple[str, int], float] = {}
    for (name, tasks, subject), cell in samples.items():
        rates = [s.calls / s.wall for s in cell]
        mid = _median(cell)
        rate = mid.calls / mid.wall
        ratio = ""
        if subject == "thread":
            base = samples[(name, tasks, "trio-asyncio")]
            base_rate = _median(base).calls / _median(base).wall
            ratios[(name, tasks)] = rate / base_rate
            ratio = f"{ratios[(name, tasks)]:.2f}"
        print(
            f"{name:<9} {tasks:>5}  {subject:<13} {rate:>9,.0f} "
            f"{f'{min(rates):,.0f}-{max(rates):,.0f}':>21} {1e6 / rate:>8.1f} "
            f"{1e6 * mid.cpu / mid.calls:>11.1f} {mid.cpu:>6.2f} {ratio:>10}"
        )
    database = [ratios[("SELECT 1", tasks)] for tasks in CONCURRENCY]
    # Revised rule (docs/decisions/0001): decided at the highest concurrency,
    # because a serving process always has many requests in flight.
    loaded = database[-1]
    if loaded >= THRESHOLD:
        verdict = "thread"
    elif loaded <= 1 / THRESHOLD:
        verdict = "trio-asyncio"
    else:
        verdict = f"no {THRESHOLD}x margin either way: keep the current default"
    print(
        f"\nrule: a bridge becomes the default if it is >= {THRESHOLD}x faster on SELECT 1"
        f" at {CONCURRENCY[-1]} concurrent tasks."
    )
    shown = ", ".join(f"{r:.2f} ({t} tasks)" for r, t in zip(database, CONCURRENCY, strict=True))
    print(f"SELECT 1 thread/trio-asyncio: {shown} -> default: {verdict}")
    print(f"open_bridge() default now (ACCORD_DB_BRIDGE honoured): {bridge_kind()}")


def _redact(dsn: str) -> str:
    parts = urlsplit(dsn)
    if parts.password:
        return dsn.replace(f":{parts.password}@", ":***@")
    return dsn


def _is_local(dsn: str) -> bool:
    host = urlsplit(dsn).hostname
    if host is None:  # a Unix socket (host=/dir in the query) or libpq's default
        return True
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def _answers(dsn: str) -> bool:
    try:
        connection = await asyncpg.connect(dsn, timeout=3)
    except (TimeoutError, OSError, asyncpg.PostgresError):
        return False
    await connection.close()
    return True


@contextmanager
def _database(dsn: str) -> Iterator[str]:
    if asyncio.run(_answers(dsn)):
        yield dsn
        return
    import pgserver

    print(f"nothing answers at {_redact(dsn)}; starting an embedded PostgreSQL", file=sys.stderr)
    # The Unix socket path must stay short (108 bytes): a short temp dir.
    data_dir = Path(tempfile.mkdtemp(prefix="accord-bench-pg-"))
    server = pgserver.get_server(data_dir, cleanup_mode="delete")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()
        shutil.rmtree(data_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "dsn", nargs="?", default=os.environ.get("ACCORD_BENCH_DATABASE_URL", DEFAULT_DSN)
    )
    parser.add_argument("--seconds", type=float, default=0.5, help="measured time per cell")
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    if not _is_local(options.dsn):
        parser.error("loopback or a local socket only: this measures the crossing, not a network")
    with _database(options.dsn) as dsn:
        trio.run(_bench, dsn, options.seconds, options.rounds)


if __name__ == "__main__":
    main()
