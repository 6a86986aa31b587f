"""Ending a login closes its gateway connections with 4004: in one process and across processes.

The scenarios are in `session_ending`; here they run against the test's own
server (REST and gateway in this process, as `accord serve` wires them),
against a real `accord serve` process, and against two `accord api` and two
`accord gateway` processes sharing PostgreSQL and Redis.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import httpx
import pytest
import trio

from tests.e2e.conftest import GatewayServer
from tests.e2e.processes import AccordProcess, RedisServer, accord_processes
from tests.e2e.session_ending import SCENARIOS, Servers

# Every scenario, and for the process tests the processes' start, in this.
SCENARIO_SECONDS = 60
PROCESSES_SECONDS = 180


@pytest.mark.parametrize("scenario", list(SCENARIOS))
async def test_an_ended_login_closes_its_connections_with_4004(
    scenario: str, api: httpx.AsyncClient, gateway: GatewayServer
) -> None:
    with trio.fail_after(SCENARIO_SECONDS):
        async with AsyncExitStack() as stack:
            await SCENARIOS[scenario](Servers([api], [gateway.url]), stack)


@asynccontextmanager
async def _clients(processes: list[AccordProcess]) -> AsyncIterator[list[httpx.AsyncClient]]:
    async with AsyncExitStack() as stack:
        yield [
            await stack.enter_async_context(
                httpx.AsyncClient(base_url=f"{p.url}/api/v10", timeout=10)
            )
            for p in processes
        ]


async def _gateway_url(serve: AccordProcess) -> str:
    """The gateway URL `accord serve` prints just after its API's (read by another thread)."""
    while True:
        found = re.search(r"Gateway: (ws://[^/\s]+)", "".join(serve.output))
        if found:
            return found.group(1)
        await trio.sleep(0.05)


async def _every_scenario(servers: Servers) -> None:
    for scenario in SCENARIOS.values():
        with trio.fail_after(SCENARIO_SECONDS):
            async with AsyncExitStack() as stack:
                await scenario(servers, stack)


@pytest.mark.slow
async def test_accord_serve_closes_an_ended_logins_connections(
    database_url: str, tmp_path: Path
) -> None:
    with accord_processes([("serve", 1)], database_url, None, tmp_path) as (serve,):
        with trio.fail_after(PROCESSES_SECONDS):
            gateway_url = await _gateway_url(serve)
            async with _clients([serve]) as apis:
                await _every_scenario(Servers(apis, [gateway_url]))


@pytest.mark.slow
async def test_every_gateway_process_closes_an_ended_logins_connections(
    database_url: str, tmp_path: Path
) -> None:
    redis = RedisServer(tmp_path)
    redis.start()
    try:
        specs = [("api", 1), ("api", 2), ("gateway", 3), ("gateway", 4)]
        with accord_processes(specs, database_url, redis.url, tmp_path) as processes:
            with trio.fail_after(PROCESSES_SECONDS):
                async with _clients(processes[:2]) as apis:
                    await _every_scenario(Servers(apis, [p.url for p in processes[2:]]))
    finally:
        redis.stop()
