"""Fakes and a small guild for the gateway's unit tests: no sockets, no database."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from accord.core.entities import Channel, ChannelType, Guild, Member, Role, User
from accord.core.events import Event
from accord.core.permissions import DEFAULT_EVERYONE, Overwrite, OverwriteType, Permission
from accord.core.ports.storage import GuildSnapshot
from accord.core.snowflake import Snowflake
from accord.gateway.frames import prepare_dispatch
from accord.gateway.protocol import ALL_INTENTS, Intents
from accord.gateway.session import Session

JOINED = datetime(2024, 1, 1, tzinfo=UTC)

GUILD = Snowflake(100)
MOD_ROLE = Snowflake(200)
GENERAL = Snowflake(10)  # everyone may read
SECRET = Snowflake(11)  # @everyone denied VIEW_CHANNEL, the moderator role allowed
DM_CHANNEL = Snowflake(12)

OWNER = User(Snowflake(1), "owner")
MEMBER = User(Snowflake(2), "member")  # no roles
MODERATOR = User(Snowflake(3), "moderator")  # MOD_ROLE
BOT = User(Snowflake(4), "bot", bot=True)  # no roles
OUTSIDER = User(Snowflake(5), "outsider")  # not in the guild

ROLES = (
    Role(GUILD, GUILD, "@everyone", DEFAULT_EVERYONE),
    Role(MOD_ROLE, GUILD, "moderators", Permission.MANAGE_MESSAGES, position=1),
)
CHANNELS = (
    Channel(GENERAL, ChannelType.GUILD_TEXT, GUILD, "general"),
    Channel(
        SECRET,
        ChannelType.GUILD_TEXT,
        GUILD,
        "secret",
        overwrites=(
            Overwrite(GUILD, OverwriteType.ROLE, deny=Permission.VIEW_CHANNEL),
            Overwrite(MOD_ROLE, OverwriteType.ROLE, allow=Permission.VIEW_CHANNEL),
        ),
    ),
)


def member(user: User, *role_ids: Snowflake, guild_id: Snowflake = GUILD) -> Member:
    return Member(guild_id, user, JOINED, role_ids=role_ids)


MEMBERS = (member(OWNER), member(MEMBER), member(MODERATOR, MOD_ROLE), member(BOT))


def snapshot(
    *,
    channels: tuple[Channel, ...] = CHANNELS,
    members: tuple[Member, ...] = MEMBERS,
) -> GuildSnapshot:
    return GuildSnapshot(
        guild=Guild(GUILD, "guild", OWNER.id),
        roles=ROLES,
        channels=channels,
        members=members,
        member_count=len(members),
    )


def message(
    n: int,
    *,
    channel_id: Snowflake = GENERAL,
    author: User = MEMBER,
    mentions: Sequence[User] = (),
    guild_id: Snowflake | None = GUILD,
    event: str = "MESSAGE_CREATE",
    user_ids: frozenset[Snowflake] | None = None,
) -> Event:
    data: dict[str, Any] = {
        "id": str(1000 + n),
        "channel_id": str(channel_id),
        "author": {"id": str(author.id), "username": author.username},
        "content": f"message {n}",
        "embeds": [{"title": "an embed"}],
        "attachments": [{"id": "9", "filename": "a.png"}],
        "components": [{"type": 1}],
        "mentions": [{"id": str(u.id)} for u in mentions],
    }
    if guild_id is not None:
        data["guild_id"] = str(guild_id)
    return Event(event, data, guild_id=guild_id, channel_id=channel_id, user_ids=user_ids)


class FakeTransport:
    """Records what a session sends; refuses everything past `capacity` payloads."""

    def __init__(self, capacity: int | None = None) -> None:
        self.sent: list[bytes] = []
        self.capacity = capacity
        self.aborted = False
        self.sending = True

    def send(self, payload: bytes) -> bool:
        if self.aborted or (self.capacity is not None and len(self.sent) >= self.capacity):
            return False
        self.sent.append(payload)
        return True

    def abort(self) -> None:
        self.aborted = True
        self.sending = False

    @property
    def payloads(self) -> list[dict[str, Any]]:
        return [json.loads(p) for p in self.sent]

    @property
    def dispatches(self) -> list[dict[str, Any]]:
        """The op 0 payloads after READY."""
        return [p for p in self.payloads if p["op"] == 0 and p["t"] != "READY"]

    @property
    def events(self) -> list[str]:
        return [p["t"] for p in self.dispatches]


class ClosingTransport(FakeTransport):
    """A fake transport that records the close the gateway asks for."""

    def __init__(self) -> None:
        super().__init__()
        self.closed_with: tuple[int, str] | None = None

    def close(self, code: int, reason: str) -> None:
        self.sending = False
        self.closed_with = (code, reason)


def started_session(
    session_id: str,
    user: User,
    intents: Intents = ALL_INTENTS,
    transport: FakeTransport | None = None,
) -> Session:
    """A session past READY, connected to a (new) fake transport."""
    session = Session(id=session_id, user=user, intents=intents)
    session.attach(transport or FakeTransport())  # type: ignore[arg-type]
    session.start(prepare_dispatch("READY", {"session_id": session_id}))
    return session


def transport_of(session: Session) -> FakeTransport:
    assert isinstance(session.transport, FakeTransport)
    return session.transport


class FakeGuilds:
    def __init__(self) -> None:
        self.snapshots: dict[Snowflake, GuildSnapshot] = {}

    async def get_guild_snapshot(
        self, guild_id: Snowflake, member_limit: int
    ) -> GuildSnapshot | None:
        found = self.snapshots.get(guild_id)
        if found is None:
            return None
        return replace(found, members=found.members[:member_limit])


class FakeMembers:
    """Members of every guild, kept in user-id order as the real repository lists them."""

    def __init__(self, members: Sequence[Member] = ()) -> None:
        self.members: dict[tuple[Snowflake, Snowflake], Member] = {}
        for m in members:
            self.put(m)

    def put(self, m: Member) -> None:
        self.members[(m.guild_id, m.user.id)] = m

    def remove(self, guild_id: Snowflake, user_id: Snowflake) -> None:
        del self.members[(guild_id, user_id)]

    def _of(self, guild_id: Snowflake) -> list[Member]:
        return sorted(
            (m for (g, _), m in self.members.items() if g == guild_id), key=lambda m: m.user.id
        )

    async def get_members(self, guild_id: Snowflake, user_ids: Sequence[Snowflake]) -> list[Member]:
        wanted = set(user_ids)
        return [m for m in self._of(guild_id) if m.user.id in wanted]

    async def list_members(
        self, guild_id: Snowflake, *, after: Snowflake | None = None, limit: int = 1
    ) -> list[Member]:
        return [m for m in self._of(guild_id) if after is None or m.user.id > after][:limit]

    async def search_members(self, guild_id: Snowflake, prefix: str, limit: int) -> list[Member]:
        prefix = prefix.casefold()
        return [
            m
            for m in self._of(guild_id)
            if m.user.username.casefold().startswith(prefix)
            or (m.nick or "").casefold().startswith(prefix)
        ][:limit]


class FakeStorage:
    """The parts of the storage port the gateway's fan-out and member chunks read."""

    def __init__(self, members: Sequence[Member] = ()) -> None:
        self.guilds = FakeGuilds()
        self.members = FakeMembers(members)
