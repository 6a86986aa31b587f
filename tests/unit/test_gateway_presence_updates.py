"""PresenceUpdates: one user's changes are announced in the order the store made them."""

from __future__ import annotations

from typing import Any

import trio
import trio.testing

from accord.adapters.memory.presence import InMemoryPresence
from accord.core.clock import SystemClock
from accord.core.events import Event
from accord.core.ports.presence import Status
from accord.gateway.presence_updates import PresenceUpdates
from tests.unit.gateway_fakes import GUILD, MEMBER, started_session


class GatedBus:
    """A bus whose first publish waits for `gate`: a slow publish, as over Redis."""

    def __init__(self) -> None:
        self.published: list[Event] = []
        self.gate = trio.Event()
        self.calls = 0

    async def publish(self, event: Event) -> None:
        self.calls += 1
        if self.calls == 1:
            await self.gate.wait()
        self.published.append(event)


async def test_a_users_changes_are_announced_in_the_order_they_were_made() -> None:
    presence = InMemoryPresence(SystemClock())
    bus = GatedBus()
    unused: Any = None  # storage and fan-out: not read by these two changes
    updates = PresenceUpdates(presence, bus, unused, unused, 10.0)  # type: ignore[arg-type]
    desktop, phone = started_session("desktop", MEMBER), started_session("phone", MEMBER)
    for session in (desktop, phone):
        session.subscribe(GUILD)
    await presence.set_session_status(MEMBER.id, "desktop", Status.ONLINE)
    await presence.set_session_status(MEMBER.id, "phone", Status.IDLE)
    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(updates.went_away, desktop, [GUILD])  # online -> idle, held up
            await trio.testing.wait_all_tasks_blocked()
            nursery.start_soon(updates.set, phone, Status.ONLINE)  # idle -> online
            await trio.testing.wait_all_tasks_blocked()
            bus.gate.set()
    # Others are left seeing what she is: online.
    assert [e.data["status"] for e in bus.published] == ["idle", "online"]
    assert updates._changing == {}
