"""Invite use cases: create, list, preview, accept (join the guild), delete."""

from __future__ import annotations

import re
import secrets
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from accord.core.clock import Clock, utc_from_ms
from accord.core.entities import Channel, ChannelType, Guild, Invite, Member
from accord.core.errors import Conflict, NotFound, PermissionDenied, Resource, ValidationError
from accord.core.events import Event
from accord.core.permissions import Permission, has_permission
from accord.core.ports.bus import EventBus
from accord.core.ports.storage import (
    AccessRepository,
    ChannelRepository,
    GuildRepository,
    InviteRepository,
    UserRepository,
)
from accord.core.services.access import (
    channel_access,
    guild_access,
    guild_permissions_of,
    permissions_in,
)
from accord.core.services.audience import channel_event
from accord.core.services.guilds import SNAPSHOT_MEMBERS, guild_create_payload
from accord.core.services.invite_shapes import (
    invite_create_payload,
    invite_delete_payload,
    invite_shape,
)
from accord.core.shapes import JSON, member_shape, timestamp
from accord.core.snowflake import Snowflake, SnowflakeGenerator
from accord.core.validation import INVITE_MAX_AGE, INVITE_MAX_USES, validate_int

CODE_ALPHABET = string.ascii_letters + string.digits
CODE_LENGTH = 8
# 62**8 (about 2e14) codes: one collision is rare, five in a row practically never happen.
CODE_ATTEMPTS = 5
# The Conflict code the storage raises when a code is already taken.
CODE_TAKEN = "INVITE_CODE_TAKEN"
DEFAULT_MAX_AGE = 86_400  # Discord's default: one day
_CODE = re.compile(r"[A-Za-z0-9]{2,32}")  # what the invites table admits
# Invite events carry the code, which lets anyone join: only channel managers get them.
_INVITE_AUDIENCE = Permission.MANAGE_CHANNELS


@dataclass(frozen=True, slots=True)
class InviteDraft:
    """A create request as the client gave it; None means Discord's default."""

    max_age: object = None
    max_uses: object = None
    temporary: bool = False
    unique: bool = False
    target_type: object = None


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def is_live(invite: Invite, now: datetime) -> bool:
    """Neither expired nor used up."""
    expires_at = invite.expires_at
    if expires_at is not None and expires_at <= now:
        return False
    return invite.max_uses == 0 or invite.uses < invite.max_uses


def _check_code(code: str) -> None:
    if not _CODE.fullmatch(code):
        raise NotFound(Resource.INVITE)


class InviteServiceStorage(Protocol):
    """The repositories ``InviteService`` uses."""

    @property
    def access(self) -> AccessRepository: ...
    @property
    def channels(self) -> ChannelRepository: ...
    @property
    def guilds(self) -> GuildRepository: ...
    @property
    def invites(self) -> InviteRepository: ...
    @property
    def users(self) -> UserRepository: ...


class InviteService:
    def __init__(
        self, storage: InviteServiceStorage, bus: EventBus, ids: SnowflakeGenerator, clock: Clock
    ) -> None:
        self._storage = storage
        self._bus = bus
        self._ids = ids
        self._clock = clock

    async def create(self, user_id: Snowflake, channel_id: Snowflake, draft: InviteDraft) -> JSON:
        """A new invite to a text channel, or (unless ``unique``) the caller's like one."""
        access = await channel_access(self._storage.access, channel_id, user_id)
        channel = access.channel
        if channel.type is not ChannelType.GUILD_TEXT:
            raise Conflict(
                "Cannot execute action on this channel type",
                code="INVALID_CHANNEL_TYPE",
                discord_code=50024,
            )
        access.require(Permission.CREATE_INSTANT_INVITE)
        max_age = DEFAULT_MAX_AGE
        if draft.max_age is not None:
            max_age = validate_int(draft.max_age, "max_age", 0, INVITE_MAX_AGE)
        max_uses = 0
        if draft.max_uses is not None:
            max_uses = validate_int(draft.max_uses, "max_uses", 0, INVITE_MAX_USES)
        if draft.target_type is not None:
            raise ValidationError.single(
                "target_type", "BASE_TYPE_CHOICES", "Stream and activity invites are not supported."
            )
        guild = await self._guild_of(channel)
        now = self._now()
        if not draft.unique:
            for old in await self._storage.invites.list_channel_invites(channel_id):
                same = (old.inviter_id, old.max_age, old.max_uses, old.temporary)
                if same == (user_id, max_age, max_uses, draft.temporary) and is_live(old, now):
                    return await self._shape(old, channel)
        invite = await self._insert(channel, guild, user_id, max_age, max_uses, draft, now)
        inviter = await self._storage.users.get_user(user_id)
        payload = invite_create_payload(invite, inviter)
        await self._bus.publish(channel_event("INVITE_CREATE", payload, channel, _INVITE_AUDIENCE))
        return invite_shape(invite, guild, channel, inviter)

    async def list_for_channel(self, user_id: Snowflake, channel_id: Snowflake) -> list[JSON]:
        access = await channel_access(self._storage.access, channel_id, user_id)
        access.require(Permission.MANAGE_CHANNELS)
        guild = await self._guild_of(access.channel)
        invites = await self._storage.invites.list_channel_invites(channel_id)
        now = self._now()
        live = [i for i in invites if is_live(i, now)]
        return await self._shapes(live, guild, {channel_id: access.channel})

    async def list_for_guild(self, user_id: Snowflake, guild_id: Snowflake) -> list[JSON]:
        access = await guild_access(self._storage.access, guild_id, user_id)
        access.require(Permission.MANAGE_GUILD)
        guild = await self._guild(guild_id)
        channels = {c.id: c for c in await self._storage.channels.list_guild_channels(guild_id)}
        invites = await self._storage.invites.list_guild_invites(guild_id)
        now = self._now()
        return await self._shapes([i for i in invites if is_live(i, now)], guild, channels)

    async def preview(self, code: str, with_counts: bool) -> JSON:
        """The invite as anyone holding the code sees it before joining."""
        _check_code(code)
        invite = await self._storage.invites.get_invite(code)
        if invite is None or not is_live(invite, self._now()):
            raise NotFound(Resource.INVITE)
        shape = await self._shape(invite)
        if with_counts:
            counts = await self._storage.guilds.get_guild_counts(invite.guild_id)
            shape["approximate_member_count"] = 0 if counts is None else counts.member_count
            shape["approximate_presence_count"] = 0  # presence is not known to REST
        return shape

    async def accept(self, user_id: Snowflake, code: str) -> JSON:
        """Join the invite's guild; an existing member gets the invite back, unused."""
        _check_code(code)
        invite, member = await self._storage.invites.accept_invite(code, user_id, self._now())
        shape = await self._shape(invite)
        shape["new_member"] = member is not None
        if member is not None:
            await self._announce_join(member)
        return shape

    async def delete(self, user_id: Snowflake, code: str) -> JSON:
        """Revoke an invite: MANAGE_CHANNELS on its channel, or MANAGE_GUILD.

        Anyone holding the code can see the invite, so a caller without the
        permission (a non-member too) is refused with 403, not told it is unknown.
        """
        _check_code(code)
        invite = await self._storage.invites.get_invite(code)
        if invite is None:
            raise NotFound(Resource.INVITE)
        found = await self._storage.access.channel_context(invite.channel_id, user_id)
        if found is None:
            raise NotFound(Resource.INVITE)
        channel, context = found
        if context is None or not context.is_member:
            raise PermissionDenied()
        if not has_permission(guild_permissions_of(context), Permission.MANAGE_GUILD):
            in_channel = permissions_in(channel, context)
            if not in_channel & Permission.VIEW_CHANNEL or not has_permission(
                in_channel, Permission.MANAGE_CHANNELS
            ):
                raise PermissionDenied()
        deleted = await self._storage.invites.delete_invite(code)
        if deleted is None:
            raise NotFound(Resource.INVITE)
        payload = invite_delete_payload(deleted)
        await self._bus.publish(channel_event("INVITE_DELETE", payload, channel, _INVITE_AUDIENCE))
        return await self._shape(deleted, channel)

    async def _insert(
        self,
        channel: Channel,
        guild: Guild,
        user_id: Snowflake,
        max_age: int,
        max_uses: int,
        draft: InviteDraft,
        now: datetime,
    ) -> Invite:
        for _ in range(CODE_ATTEMPTS):
            candidate = Invite(
                code=new_code(),
                guild_id=guild.id,
                channel_id=channel.id,
                inviter_id=user_id,
                created_at=now,
                max_uses=max_uses,
                max_age=max_age,
                temporary=draft.temporary,
            )
            try:
                return await self._storage.invites.create_invite(candidate)
            except Conflict as exc:
                if exc.code != CODE_TAKEN:
                    raise
        raise Conflict("No free invite code was found; try again.", code=CODE_TAKEN)

    async def _announce_join(self, member: Member) -> None:
        """The joiner's clients get the whole guild; its members learn of the joiner."""
        guild_id, joiner = member.guild_id, member.user.id
        snapshot = await self._storage.guilds.get_guild_snapshot(guild_id, SNAPSHOT_MEMBERS)
        if snapshot is not None:
            payload = guild_create_payload(snapshot, member)
            payload["joined_at"] = timestamp(member.joined_at)
            await self._bus.publish(
                Event(
                    "GUILD_CREATE",
                    payload,
                    guild_id=guild_id,
                    user_ids=frozenset({joiner}),
                    affects=frozenset({joiner}),
                )
            )
        added: JSON = {"guild_id": str(guild_id), **member_shape(member)}
        await self._bus.publish(Event("GUILD_MEMBER_ADD", added, guild_id=guild_id))

    async def _shape(self, invite: Invite, channel: Channel | None = None) -> JSON:
        if channel is None:
            channel = await self._storage.channels.get_channel(invite.channel_id)
            if channel is None:
                raise NotFound(Resource.INVITE)
        inviter = None
        if invite.inviter_id is not None:
            inviter = await self._storage.users.get_user(invite.inviter_id)
        return invite_shape(invite, await self._guild_of(channel), channel, inviter)

    async def _shapes(
        self, invites: Sequence[Invite], guild: Guild, channels: Mapping[Snowflake, Channel]
    ) -> list[JSON]:
        """Shapes with every inviter read at once; invites of unknown channels are left out."""
        wanted = list({i.inviter_id for i in invites if i.inviter_id is not None})
        users = {u.id: u for u in await self._storage.users.get_users(wanted)} if wanted else {}
        return [
            invite_shape(
                i,
                guild,
                channels[i.channel_id],
                None if i.inviter_id is None else users.get(i.inviter_id),
            )
            for i in invites
            if i.channel_id in channels
        ]

    async def _guild_of(self, channel: Channel) -> Guild:
        if channel.guild_id is None:
            raise NotFound(Resource.CHANNEL)
        return await self._guild(channel.guild_id)

    async def _guild(self, guild_id: Snowflake) -> Guild:
        guild = await self._storage.guilds.get_guild(guild_id)
        if guild is None:
            raise NotFound(Resource.GUILD)
        return guild

    def _now(self) -> datetime:
        return utc_from_ms(self._clock.now_ms())
