"""The Hub's own bookkeeping, with fakes: sessions ending when presence fails."""

from __future__ import annotations

from typing import Any

from accord.adapters.memory.bus import InProcessEventBus
from accord.adapters.memory.presence import InMemoryPresence
from accord.core.clock import SystemClock
from accord.core.ports.presence import StatusChange
from accord.core.snowflake import Snowflake
from accord.gateway.hub import Hub, HubConfig
from accord.gateway.protocol import ALL_INTENTS
from accord.gateway.session import Session
from tests.unit.gateway_fakes import MEMBER, FakeTransport


class AwayPresence(InMemoryPresence):
    """A presence store whose backend has gone away (as Redis does in an outage)."""

    async def drop_session(self, user_id: Snowflake, session_id: str) -> StatusChange:
        raise ConnectionError("presence store unreachable")


def _hub(presence: InMemoryPresence) -> Hub:
    storage: Any = None  # `end` reads nothing from storage
    auth: Any = None
    return Hub(storage, auth, InProcessEventBus(), presence, HubConfig())


async def test_ending_a_session_when_presence_fails_forgets_it_and_does_not_raise() -> None:
    hub = _hub(AwayPresence(SystemClock()))
    session = Session(id="s1", user=MEMBER, intents=ALL_INTENTS, early=None)
    hub.registry.add(session)
    session.attach(FakeTransport())  # type: ignore[arg-type]
    await hub.end(session)  # the reaper and connection ends must survive this
    assert hub.registry.get("s1") is None
    assert session.ended
