"""IDENTIFY and RESUME: reading what the client sent, and what READY and GUILD_CREATE carry."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol

from accord.core.entities import Application, Member, User
from accord.core.ports.presence import PresenceStore, Status
from accord.core.ports.storage import ChannelRepository, GuildSnapshot, UserRepository
from accord.core.services.guilds import guild_create_payload
from accord.core.shapes import JSON, channel_shape, current_user_shape, member_shape, timestamp
from accord.core.snowflake import Snowflake
from accord.gateway.protocol import (
    ALL_INTENTS,
    PRIVILEGED_INTENTS,
    CloseCode,
    GatewayError,
    Intents,
    InvalidIntents,
    parse_intents,
)

API_VERSION: Final = 10
# Discord's bounds for `large_threshold`: members sent in GUILD_CREATE.
LARGE_THRESHOLD_MIN, LARGE_THRESHOLD_MAX, LARGE_THRESHOLD_DEFAULT = 50, 250, 50
# A client asking to appear offline is invisible: connected, shown as offline.
_STATUSES: Final = {s.value: s for s in Status if s is not Status.OFFLINE} | {
    "offline": Status.INVISIBLE
}


def _decode_error(reason: str) -> GatewayError:
    return GatewayError(CloseCode.DECODE_ERROR, reason)


def _object(d: object, op: str) -> Mapping[str, Any]:
    if not isinstance(d, Mapping):
        raise _decode_error(f"{op} needs an object in 'd'")
    return d


def _token(d: Mapping[str, Any], op: str) -> str:
    token = d.get("token")
    if not isinstance(token, str) or not token or len(token) > 2048:
        raise _decode_error(f"{op} needs a 'token' string")
    return token


def authorization_header(token: str) -> str:
    """The REST header a gateway token stands for.

    Discord clients send bot tokens bare; our user access tokens are JWTs
    (three dot-separated parts) and bot tokens have two, which tells them apart.
    """
    scheme, _, rest = token.partition(" ")
    if scheme.lower() in ("bot", "bearer") and rest:
        return token
    return f"Bearer {token}" if token.count(".") == 2 else f"Bot {token}"


def parse_status(value: object) -> Status:
    if value is None:
        return Status.ONLINE
    if not isinstance(value, str) or value not in _STATUSES:
        raise _decode_error("status must be one of online, idle, dnd, invisible, offline")
    return _STATUSES[value]


@dataclass(frozen=True, slots=True)
class Identify:
    token: str
    intents: Intents | None  # None: not sent
    large_threshold: int
    status: Status


def parse_identify(d: object) -> Identify:
    data = _object(d, "IDENTIFY")
    token = _token(data, "IDENTIFY")
    intents = parse_intents(data["intents"]) if "intents" in data else None
    threshold = data.get("large_threshold", LARGE_THRESHOLD_DEFAULT)
    if (
        not isinstance(threshold, int)
        or isinstance(threshold, bool)
        or not LARGE_THRESHOLD_MIN <= threshold <= LARGE_THRESHOLD_MAX
    ):
        raise _decode_error(
            f"large_threshold must be an integer {LARGE_THRESHOLD_MIN}-{LARGE_THRESHOLD_MAX}"
        )
    shard = data.get("shard")
    if shard is not None and shard != [0, 1]:
        raise GatewayError(CloseCode.INVALID_SHARD, "this gateway serves one shard: [0, 1]")
    presence = data.get("presence")
    status = (
        parse_status(presence.get("status")) if isinstance(presence, Mapping) else Status.ONLINE
    )
    return Identify(token, intents, threshold, status)


@dataclass(frozen=True, slots=True)
class Resume:
    token: str
    session_id: str
    seq: int


def parse_resume(d: object) -> Resume:
    data = _object(d, "RESUME")
    token = _token(data, "RESUME")
    session_id = data.get("session_id")
    seq = data.get("seq")
    if not isinstance(session_id, str) or not 0 < len(session_id) <= 64:
        raise _decode_error("RESUME needs a 'session_id' string")
    if seq is None:
        seq = 0
    if not isinstance(seq, int) or isinstance(seq, bool):
        raise _decode_error("RESUME needs an integer 'seq'")
    return Resume(token, session_id, seq)


def granted_intents(requested: Intents | None, user: User) -> Intents:
    """The intents a session gets; 4013/4014 for what it may not have.

    Bots must name their intents and need approval for the privileged ones;
    people's clients may leave them out and then receive everything.
    """
    if requested is None:
        if user.bot:
            raise InvalidIntents("bots must send 'intents' in IDENTIFY")
        return ALL_INTENTS
    if user.bot:
        missing = requested & PRIVILEGED_INTENTS & ~Intents(user.approved_intents)
        if missing:
            raise GatewayError(
                CloseCode.DISALLOWED_INTENTS,
                f"privileged intents not enabled for this bot: {missing.name}",
            )
    return requested


class ReadyStorage(Protocol):
    """The repositories READY is read from."""

    @property
    def channels(self) -> ChannelRepository: ...
    @property
    def users(self) -> UserRepository: ...


async def ready_payload(
    storage: ReadyStorage,
    user: User,
    application: Application | None,
    session_id: str,
    guild_ids: Sequence[Snowflake],
    resume_url: str,
) -> JSON:
    account = None if user.bot else await storage.users.get_account(user.id)
    private = await storage.channels.list_private_channels(user.id)
    others = {r for channel in private for r in channel.recipient_ids if r != user.id}
    users = {u.id: u for u in await storage.users.get_users(list(others))} if others else {}
    payload: JSON = {
        "v": API_VERSION,
        "user": current_user_shape(account, user),
        "guilds": [{"id": str(g), "unavailable": True} for g in guild_ids],
        "session_id": session_id,
        "session_type": "normal",
        "resume_gateway_url": resume_url,
        "private_channels": [
            channel_shape(c, [users[r] for r in c.recipient_ids if r in users]) for c in private
        ],
        "relationships": [],
        "presences": [],
        "guild_join_requests": [],
        "geo_ordered_rtc_regions": [],
        "user_settings": {},
        "shard": [0, 1],
        "_trace": ["accord-gateway"],
    }
    if application is not None:
        payload["application"] = {"id": str(application.id), "flags": 0}
    return payload


def presence_shape(user_id: Snowflake, status: Status, guild_id: Snowflake | None = None) -> JSON:
    shape: JSON = {
        "user": {"id": str(user_id)},
        "status": status.value,
        "activities": [],
        "client_status": {} if status is Status.OFFLINE else {"desktop": status.value},
    }
    if guild_id is not None:
        shape["guild_id"] = str(guild_id)
    return shape


async def session_guild_create(
    snapshot: GuildSnapshot,
    own: Member,
    presence: PresenceStore,
    large_threshold: int,
) -> JSON:
    """GUILD_CREATE for one session: members up to its threshold, always including itself."""
    payload = guild_create_payload(snapshot, own)
    members = list(snapshot.members)
    if all(m.user.id != own.user.id for m in members):
        members.append(own)
    payload["members"] = [member_shape(m) for m in members]
    payload["large"] = snapshot.member_count > large_threshold
    payload["joined_at"] = timestamp(own.joined_at)
    statuses = await presence.get_statuses([m.user.id for m in members])
    payload["presences"] = [
        presence_shape(state.user_id, state.status)
        for state in statuses.values()
        if state.status is not Status.OFFLINE
    ]
    return payload
