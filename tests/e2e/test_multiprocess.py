"""Two `accord api` and two `accord gateway` processes sharing PostgreSQL and Redis.

Real processes on loopback, each test bounded in time; every process and the
test's own Redis are stopped at the end.
"""

from __future__ import annotations

import signal
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import httpx
import pytest
import trio
from trio_websocket import ConnectionClosed

from tests.e2e.conftest import bearer
from tests.e2e.gateway_client import GatewayClient, connect
from tests.e2e.processes import AccordProcess, RedisServer, accord_processes

pytestmark = pytest.mark.slow
TEST_SECONDS = 90
SPECS = [("api", 1), ("api", 2), ("gateway", 3), ("gateway", 4)]


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def _register(api: httpx.AsyncClient, name: str) -> tuple[dict[str, str], str]:
    response = await api.post(
        "/auth/register",
        json={"username": name, "email": f"{name}@example.com", "password": "correct horse"},
    )
    assert response.status_code == 201, response.text
    token = response.json()["access_token"]
    return bearer(token), token


@asynccontextmanager
async def world(
    processes: list[AccordProcess],
) -> AsyncIterator[tuple[list[httpx.AsyncClient], str, list[tuple[dict[str, str], str]]]]:
    """Two users in one guild (alice through the first API, bob through the second)."""
    api_one, api_two = (
        httpx.AsyncClient(base_url=f"{p.url}/api/v10", timeout=10) for p in processes[:2]
    )
    async with api_one, api_two:
        alice = await _register(api_one, "alice")
        bob = await _register(api_two, "bob")
        guild = (await api_one.post("/guilds", json={"name": "g"}, headers=alice[0])).json()
        channel_id = guild["channels"][0]["id"] if guild.get("channels") else None
        if channel_id is None:
            channels = await api_one.get(f"/guilds/{guild['id']}/channels", headers=alice[0])
            channel_id = channels.json()[0]["id"]
        invite = await api_one.post(f"/channels/{channel_id}/invites", json={}, headers=alice[0])
        joined = await api_two.post(f"/invites/{invite.json()['code']}", headers=bob[0])
        assert joined.status_code == 200, joined.text
        yield [api_one, api_two], channel_id, [alice, bob]


async def _identified(stack: AsyncExitStack, url: str, token: str) -> GatewayClient:
    client = await stack.enter_async_context(connect(url))
    await client.hello()
    await client.identify(token)
    await client.wait_for("GUILD_CREATE")
    return client


async def _heartbeat(client: GatewayClient) -> None:
    while True:
        await trio.sleep(0.5)
        await client.send(1, client.seq)


def _message_ids(client: GatewayClient) -> list[str]:
    return [p["d"]["id"] for p in client.dispatches if p["t"] == "MESSAGE_CREATE"]


async def _until_all(clients: list[GatewayClient], count: int) -> None:
    async def read(client: GatewayClient) -> None:
        while len(_message_ids(client)) < count:
            await client.receive()

    async with trio.open_nursery() as nursery:
        for client in clients:
            nursery.start_soon(read, client)


@pytest.fixture
def cluster(
    database_url: str, redis_server: RedisServer, tmp_path: Path
) -> Iterator[list[AccordProcess]]:
    with accord_processes(
        SPECS, database_url, redis_server.url, tmp_path, "--presence-ttl", "3"
    ) as processes:
        yield processes


async def test_a_message_through_either_api_reaches_both_gateways(
    cluster: list[AccordProcess],
) -> None:
    gateway_one, gateway_two = cluster[2], cluster[3]
    with trio.fail_after(TEST_SECONDS):
        async with world(cluster) as (apis, channel_id, users), AsyncExitStack() as stack:
            (alice, alice_token), (_, bob_token) = users
            clients = [
                await _identified(stack, gateway_one.url, alice_token),
                await _identified(stack, gateway_two.url, bob_token),
                await _identified(stack, gateway_two.url, alice_token),
            ]
            for n, api in enumerate(apis * 3):
                sent = await api.post(
                    f"/channels/{channel_id}/messages", json={"content": f"m{n}"}, headers=alice
                )
                assert sent.status_code == 200, sent.text
            await _until_all(clients, 6)
            expected = _message_ids(clients[0])
            assert len(expected) == 6 and expected == sorted(expected, key=int)
            for client in clients:
                assert _message_ids(client) == expected


async def test_redis_restarted_under_traffic_loses_nothing(
    cluster: list[AccordProcess], redis_server: RedisServer
) -> None:
    total = 60
    with trio.fail_after(TEST_SECONDS):
        async with world(cluster) as (apis, channel_id, users), AsyncExitStack() as stack:
            (alice, alice_token), (bob, bob_token) = users
            clients = [
                await _identified(stack, cluster[2].url, alice_token),
                await _identified(stack, cluster[3].url, bob_token),
            ]
            async with trio.open_nursery() as nursery:
                for client in clients:
                    nursery.start_soon(_heartbeat, client)

                posted = attempted = 0
                in_flight = False
                third = trio.Event()

                async def post_all() -> None:
                    nonlocal posted, attempted, in_flight
                    for n in range(total):
                        attempted += 1
                        in_flight = True
                        api, headers = (apis[0], alice) if n % 2 else (apis[1], bob)
                        sent = await api.post(
                            f"/channels/{channel_id}/messages",
                            json={"content": f"m{n}"},
                            headers=headers,
                        )
                        assert sent.status_code == 200, sent.text
                        in_flight = False
                        posted += 1
                        if posted == total // 3:
                            third.set()
                        await trio.sleep(0.02)

                async def restart_redis() -> None:
                    # While posts keep coming: one is sent while Redis is down, and
                    # its event must wait out the outage rather than be lost.
                    await third.wait()
                    await trio.to_thread.run_sync(redis_server.stop)
                    down_at = attempted
                    await trio.sleep(1.0)
                    sent_while_down = in_flight or attempted > down_at
                    assert sent_while_down, "no message was sent while Redis was down"
                    await trio.to_thread.run_sync(redis_server.start)

                nursery.start_soon(restart_redis)
                nursery.start_soon(post_all)
                await _until_all(clients, total)
                nursery.cancel_scope.cancel()
            ids = _message_ids(clients[0])
            assert len(ids) == total and len(set(ids)) == total
            assert ids == sorted(ids, key=int)
            assert _message_ids(clients[1]) == ids


async def test_a_killed_gateway_takes_its_users_offline_within_the_ttl(
    cluster: list[AccordProcess],
) -> None:
    with trio.fail_after(TEST_SECONDS):
        async with world(cluster) as (_, _, users), AsyncExitStack() as stack:
            (_, alice_token), (_, bob_token) = users
            alice = await _identified(stack, cluster[2].url, alice_token)
            await _identified(stack, cluster[3].url, bob_token)
            bob_id = None
            online = await alice.wait_for("PRESENCE_UPDATE", lambda d: d["status"] == "online")
            bob_id = online["d"]["user"]["id"]
            async with trio.open_nursery() as nursery:
                nursery.start_soon(_heartbeat, alice)
                await trio.to_thread.run_sync(cluster[3].stop, signal.SIGKILL)
                killed_at = trio.current_time()
                offline = await alice.wait_for(
                    "PRESENCE_UPDATE",
                    lambda d: d["user"]["id"] == bob_id and d["status"] == "offline",
                )
                nursery.cancel_scope.cancel()
            # TTL 3 s, renewed and reaped every second: offline within TTL plus one round.
            assert trio.current_time() - killed_at <= 3 + 1 + 1
            assert offline["d"]["guild_id"]


async def _ride_through_restart(
    first_url: str, next_url: str, token: str, ids: list[str], total: int
) -> None:
    """Follow op 7 from the stopping gateway to the other one with RESUME."""
    async with connect(first_url) as client:
        await client.hello()
        await client.identify(token)
        try:
            while len(ids) < total:
                payload = await client.receive()
                if payload["op"] == 0 and payload["t"] == "MESSAGE_CREATE":
                    ids.append(payload["d"]["id"])
                if payload["op"] == 7:
                    break
        except ConnectionClosed:
            pass
        session_id, seq = client.session_id, client.seq
    if len(ids) >= total:
        return
    assert session_id is not None and seq is not None
    async with connect(next_url) as client:
        await client.hello()
        await client.resume(token, session_id, seq)
        resumed = False
        while len(ids) < total:
            payload = await client.receive()
            assert payload["op"] != 9, "the other gateway refused the handed-over session"
            if payload["op"] == 0 and payload["t"] == "RESUMED":
                resumed = True
            if payload["op"] == 0 and payload["t"] == "MESSAGE_CREATE":
                ids.append(payload["d"]["id"])  # replayed ones come before RESUMED
        while not resumed:
            payload = await client.receive()
            resumed = payload["op"] == 0 and payload["t"] == "RESUMED"


async def test_sigterm_hands_sessions_to_the_other_gateway(cluster: list[AccordProcess]) -> None:
    total, riders = 45, 3
    with trio.fail_after(TEST_SECONDS):
        async with world(cluster) as (apis, channel_id, users), AsyncExitStack() as stack:
            (alice, alice_token), (bob, bob_token) = users
            steady = await _identified(stack, cluster[3].url, bob_token)
            rides: list[list[str]] = [[] for _ in range(riders)]
            async with trio.open_nursery() as nursery:
                for ids in rides:
                    nursery.start_soon(
                        _ride_through_restart,
                        cluster[2].url,
                        cluster[3].url,
                        alice_token,
                        ids,
                        total,
                    )
                await trio.sleep(1.0)  # every rider identified on the first gateway

                async def post_all() -> None:
                    for n in range(total):
                        api, headers = (apis[0], alice) if n % 2 else (apis[1], bob)
                        sent = await api.post(
                            f"/channels/{channel_id}/messages",
                            json={"content": f"m{n}"},
                            headers=headers,
                        )
                        assert sent.status_code == 200, sent.text
                        if n == total // 3:
                            nursery.start_soon(trio.to_thread.run_sync, cluster[2].stop)
                        await trio.sleep(0.05)

                nursery.start_soon(post_all)
                await _until_all([steady], total)
            expected = _message_ids(steady)
            assert len(expected) == total and len(set(expected)) == total
            for ids in rides:
                assert ids == expected
            handed = "".join(cluster[2].output)
            assert "handed 3 sessions over" in handed, handed[-2000:]


async def test_a_logout_through_one_api_is_honoured_by_the_other_at_once(
    cluster: list[AccordProcess],
) -> None:
    with trio.fail_after(TEST_SECONDS):
        async with world(cluster) as (apis, _, users):
            (alice, _), _ = users
            # Both processes now hold alice's session in their caches.
            for api in apis:
                assert (await api.get("/users/@me", headers=alice)).status_code == 200
            assert (await apis[0].post("/auth/logout", headers=alice)).status_code in (200, 204)
            # The announcement crosses Redis at once; waiting out the caches would take 10-30 s.
            with trio.fail_after(5):
                while (await apis[1].get("/users/@me", headers=alice)).status_code != 401:  # noqa: ASYNC110
                    await trio.sleep(0.05)
