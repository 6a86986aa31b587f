"""A route that changes state finishes even when its request is cancelled (a client hanging up)."""

from __future__ import annotations

import trio
from quart_trio import QuartTrio

from accord.http.completion import shield_mutations


def _app(started: trio.Event, release: trio.Event, finished: list[str]) -> QuartTrio:
    app = QuartTrio("completion")

    async def work(name: str) -> str:
        started.set()
        await release.wait()
        finished.append(name)
        return name

    @app.post("/change")
    async def change() -> str:
        return await work("change")

    @app.get("/read")
    async def read() -> str:
        return await work("read")

    shield_mutations(app)
    return app


async def _cancel_midway(endpoint: str) -> list[str]:
    started, release, finished = trio.Event(), trio.Event(), []
    view = _app(started, release, finished).view_functions[endpoint]
    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(view)
            await started.wait()
            nursery.cancel_scope.cancel()  # what Quart-Trio does when the client leaves
            release.set()
    return finished


async def test_a_mutating_route_runs_to_completion_when_cancelled():
    assert await _cancel_midway("change") == ["change"]


async def test_a_reading_route_is_still_cancelled():
    assert await _cancel_midway("read") == []
