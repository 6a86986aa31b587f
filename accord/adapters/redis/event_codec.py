"""Domain events as bytes on a Redis stream, and back."""

from __future__ import annotations

from typing import Any

import orjson

from accord.core.events import Event
from accord.core.permissions import Permission
from accord.core.snowflake import Snowflake


def encode_event(event: Event) -> bytes:
    return orjson.dumps(
        {
            "t": event.type,
            "d": event.data,
            "g": event.guild_id,
            "c": event.channel_id,
            "u": None if event.user_ids is None else sorted(event.user_ids),
            "r": int(event.required),
            "a": sorted(event.affects),
            "at": event.at,
        }
    )


def _ids(values: list[Any] | None) -> frozenset[Snowflake] | None:
    return None if values is None else frozenset(Snowflake(int(v)) for v in values)


def decode_event(raw: bytes) -> Event:
    """The event `encode_event` wrote; ValueError/KeyError for anything else."""
    fields = orjson.loads(raw)
    guild_id, channel_id = fields["g"], fields["c"]
    return Event(
        type=str(fields["t"]),
        data=fields["d"],
        guild_id=None if guild_id is None else Snowflake(int(guild_id)),
        channel_id=None if channel_id is None else Snowflake(int(channel_id)),
        user_ids=_ids(fields["u"]),
        required=Permission(int(fields["r"])),
        affects=_ids(fields["a"]) or frozenset(),
        at=float(fields["at"]),
    )
