"""Heartbeats: op 1 is answered with op 11 at any time, and a silent connection is closed 4009.

The watchdog tests use a gateway with a 1 s heartbeat interval and real
time. trio's autojump_clock cannot drive them: the REST server and the
database bridge (a thread) leave the trio loop idle while work is still in
flight, so the clock jumps and deadlines (the watchdog's, fail_after's)
fire while the server is still answering. The waits here are a few seconds,
bounded by `bounded`.
"""

from __future__ import annotations

import trio

from tests.e2e.conftest import bounded
from tests.e2e.gateway_client import connect
from tests.e2e.gateway_world import identified, open_gateway, person

INTERVAL_MS = 1000


@bounded
async def test_heartbeat_is_acknowledged_before_and_after_identify(api, gateway):
    alice = await person(api, "alice")
    async with connect(gateway.url) as client:
        hello = await client.hello()
        assert hello["d"]["heartbeat_interval"] == 41250
        await client.send(1, None)
        assert await client.receive() == {"op": 11, "d": None}
        await client.identify(alice.token)
        await client.send(1, client.seq)
        assert (await client.wait_op(11)) == {"op": 11, "d": None}
        # Many beats, each answered once.
        for _ in range(5):
            await client.send(1, client.seq)
        acks = [await client.wait_op(11) for _ in range(5)]
        assert len(acks) == 5


@bounded
async def test_overdue_connections_are_closed_4009_and_beating_ones_are_not(api, services):
    alice = await person(api, "alice")
    async with open_gateway(services, heartbeat_interval_ms=INTERVAL_MS) as (url, _):
        results: dict[str, object] = {}

        async def silent(identify: bool) -> None:
            async with connect(url) as client:
                start = trio.current_time()
                hello = await client.hello()
                assert hello["d"]["heartbeat_interval"] == INTERVAL_MS
                if identify:
                    await client.identify(alice.token)
                    results["session"] = (client.session_id, client.seq)
                code = await client.close_code()
                results[f"silent-{identify}"] = (code, trio.current_time() - start)

        async def beating() -> None:
            async with connect(url) as client:
                await client.hello()
                await client.identify(alice.token)
                start = trio.current_time()
                # Three times the interval: well past when a silent one is closed.
                while trio.current_time() - start < 3 * INTERVAL_MS / 1000:
                    await client.send(1, client.seq)
                    await client.wait_op(11)
                    await trio.sleep(INTERVAL_MS / 1000 / 2)
                await client.send(1, client.seq)
                results["beating"] = (await client.wait_op(11))["op"]

        async with trio.open_nursery() as nursery:
            nursery.start_soon(silent, False)
            nursery.start_soon(silent, True)
            nursery.start_soon(beating)

        for identify in (False, True):
            code, elapsed = results[f"silent-{identify}"]
            assert code == 4009
            # Not before the interval the client was told, and not much after it.
            assert INTERVAL_MS / 1000 <= elapsed < 4 * INTERVAL_MS / 1000
        assert results["beating"] == 11

        # 4009 leaves the session resumable.
        session_id, seq = results["session"]
        async with connect(url) as client:
            await client.hello()
            await client.resume(alice.token, session_id, seq)
            assert (await client.wait_for("RESUMED"))["s"] == seq


@bounded
async def test_a_resumed_connection_is_watched_too(api, services):
    alice = await person(api, "alice")
    async with open_gateway(services, heartbeat_interval_ms=INTERVAL_MS) as (url, _):
        async with identified(url, alice) as first:
            session_id, seq = first.session_id, first.seq
            await first.abort()
        async with connect(url) as client:
            await client.hello()
            await client.resume(alice.token, session_id, seq)
            await client.wait_for("RESUMED")
            start = trio.current_time()
            code = await client.close_code()
            assert code == 4009
            assert trio.current_time() - start >= INTERVAL_MS / 1000 / 2
