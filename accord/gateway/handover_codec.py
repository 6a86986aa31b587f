"""A session as bytes, so a stopping gateway can hand it to whichever gateway the client resumes on.

The encoding only; `handover` is the procedure that stores and adopts it.
What travels: who the session is (user, application, intents, threshold,
status), what it was sent (the replay buffer's dispatches and `s`), its
guilds, and how far into the event bus the stopping gateway had delivered,
so the adopting gateway can deliver what was published after that.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from accord.core.ports.bus import BusPosition
from accord.core.ports.presence import Status
from accord.core.snowflake import Snowflake
from accord.gateway.frames import PreparedDispatch, prepare_head
from accord.gateway.protocol import Intents
from accord.gateway.replay import ReplayBuffer
from accord.gateway.session import Session

FORMAT = 1  # bumped whenever the layout changes; other versions are refused


@dataclass(frozen=True, slots=True)
class HandedOff:
    """A decoded handoff; the user and application are looked up again by id."""

    session_id: str
    user_id: Snowflake
    application_id: Snowflake | None
    intents: Intents
    large_threshold: int
    status: Status
    guild_ids: tuple[Snowflake, ...]
    buffer: ReplayBuffer
    position: BusPosition


def encode_session(session: Session, position: BusPosition) -> bytes:
    entries: list[list[str]] = []
    for entry in session.buffer.entries():
        assert isinstance(entry, PreparedDispatch)
        entries.append([entry.event, entry.tail.decode()])
    return orjson.dumps(
        {
            "format": FORMAT,
            "id": session.id,
            "user": session.user.id,
            "application": None if session.application is None else session.application.id,
            "intents": int(session.intents),
            "large_threshold": session.large_threshold,
            "status": session.status.value,
            "guilds": sorted(session.guild_ids),
            "last_seq": session.buffer.last_seq,
            "entries": entries,
            "position": dict(position),
        }
    )


def decode_session(raw: bytes) -> HandedOff:
    """The handoff `encode_session` wrote; ValueError for anything else."""
    try:
        data: Any = orjson.loads(raw)
        if data["format"] != FORMAT:
            raise ValueError(f"handoff format {data['format']} is not {FORMAT}")
        entries = [
            PreparedDispatch(event, prepare_head(event), tail.encode())
            for event, tail in data["entries"]
        ]
        application = data["application"]
        return HandedOff(
            session_id=str(data["id"]),
            user_id=Snowflake(int(data["user"])),
            application_id=None if application is None else Snowflake(int(application)),
            intents=Intents(int(data["intents"])),
            large_threshold=int(data["large_threshold"]),
            status=Status(data["status"]),
            guild_ids=tuple(Snowflake(int(g)) for g in data["guilds"]),
            buffer=ReplayBuffer.restore(list(entries), int(data["last_seq"])),
            position={str(k): str(v) for k, v in data["position"].items()},
        )
    except (KeyError, TypeError, orjson.JSONDecodeError) as exc:
        raise ValueError(f"unreadable handoff: {exc}") from None
