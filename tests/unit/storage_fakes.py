"""In-memory fakes of the storage repositories, for the core services' unit tests.

Each repository keeps its own table in a dict and reads another's where the
database would join (a snapshot reads roles, channels and members; a ban
removes the member). They keep the port's promises that services rely on:
the orders lists come in, None for what is unknown, the domain errors the
PostgreSQL adapter raises. No I/O; nothing waits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field, replace
from dataclasses import fields as dataclass_fields
from datetime import datetime

from accord.core.entities import (
    Account,
    Application,
    Ban,
    Channel,
    ChannelType,
    Emoji,
    Guild,
    Invite,
    Member,
    Message,
    NewMessage,
    PermissionContext,
    ReactionCount,
    RefreshToken,
    Role,
    User,
)
from accord.core.errors import CannotMessageUser, Conflict, NotFound, Resource
from accord.core.events import Event
from accord.core.permissions import NONE, Overwrite
from accord.core.ports.bus import BusPosition, Subscription
from accord.core.ports.storage import (
    AccountDeletion,
    ChannelContext,
    ChannelPosition,
    DeletionOutcome,
    DmStanding,
    GuildCounts,
    GuildSnapshot,
    RotateOutcome,
    RotateResult,
    SentMessage,
    UserSettings,
)
from accord.core.snowflake import Snowflake


class FakeUsers:
    def __init__(self, db: FakeStorage) -> None:
        self.db = db
        self.rows: dict[Snowflake, User] = {}
        self.accounts: dict[Snowflake, Account] = {}
        self.settings: dict[Snowflake, UserSettings] = {}
        self.deleted: set[Snowflake] = set()

    def put(self, user: User) -> User:
        self.rows[user.id] = user
        return user

    async def create_account(self, user: User, email: str, password_hash: str) -> Account:
        if any(a.email == email for a in self.accounts.values()):
            raise Conflict("Email is already registered.", code="EMAIL_ALREADY_REGISTERED")
        if any(u.username == user.username and not u.bot for u in self.rows.values()):
            raise Conflict("Username is unavailable.", code="USERNAME_ALREADY_TAKEN")
        account = Account(self.put(user), email, password_hash, datetime(2024, 1, 1))
        self.accounts[user.id] = account
        return account

    async def get_account_by_email(self, email: str) -> Account | None:
        return next((a for a in self.accounts.values() if a.email == email), None)

    async def get_account(self, user_id: Snowflake) -> Account | None:
        account = self.accounts.get(user_id)
        return None if account is None else replace(account, user=self.rows[user_id])

    async def get_user(self, user_id: Snowflake) -> User | None:
        return self.rows.get(user_id)

    async def get_users(self, user_ids: Sequence[Snowflake]) -> list[User]:
        return [self.rows[i] for i in set(user_ids) if i in self.rows]

    async def update_user(self, user: User) -> User | None:
        if any(u.username == user.username and u.id != user.id for u in self.rows.values()):
            raise Conflict("Username is unavailable.", code="USERNAME_ALREADY_TAKEN")
        return self.put(user) if user.id in self.rows else None

    async def set_password_hash(self, user_id: Snowflake, password_hash: str) -> bool:
        if user_id not in self.accounts:
            return False
        self.accounts[user_id] = replace(self.accounts[user_id], password_hash=password_hash)
        return True

    async def get_settings(self, user_id: Snowflake) -> UserSettings | None:
        known = user_id in self.rows and not self.rows[user_id].bot
        return self.settings.get(user_id, UserSettings()) if known else None

    async def update_settings(
        self, user_id: Snowflake, settings: UserSettings
    ) -> UserSettings | None:
        if user_id not in self.rows:
            return None
        self.settings[user_id] = settings
        return settings

    async def dm_standing(self, sender_id: Snowflake, recipient_id: Snowflake) -> DmStanding:
        shared = set(await self.db.guilds.list_user_guild_ids(sender_id)) & set(
            await self.db.guilds.list_user_guild_ids(recipient_id)
        )
        dms = await self.db.channels.list_private_channels(sender_id)
        return DmStanding(
            shares_guild=bool(shared),
            open_to_anyone=self.settings.get(recipient_id, UserSettings()).allow_dms_from_anyone,
            has_dm=any(recipient_id in c.recipient_ids for c in dms),
        )

    def require_live(self, user_id: Snowflake) -> None:
        """What PostgreSQL's live_accounts lock refuses: an unknown or deleted user."""
        if user_id not in self.rows or user_id in self.deleted:
            raise NotFound(Resource.USER)

    async def delete_account(self, user_id: Snowflake, username: str) -> AccountDeletion:
        if user_id not in self.accounts:
            return AccountDeletion(DeletionOutcome.NO_ACCOUNT)
        if any(g.owner_id == user_id for g in self.db.guilds.rows.values()):
            return AccountDeletion(DeletionOutcome.OWNS_GUILDS)
        del self.accounts[user_id]
        self.deleted.add(user_id)
        self.put(replace(self.rows[user_id], username=username, global_name=None, avatar=None))
        left = sorted(g for g, u in self.db.members.rows if u == user_id)
        for guild_id in left:
            del self.db.members.rows[(guild_id, user_id)]
        await self.db.tokens.revoke_user_logins(user_id)
        return AccountDeletion(DeletionOutcome.DELETED, tuple(left))


class FakeApplications:
    def __init__(self, db: FakeStorage) -> None:
        self.db = db
        self.rows: dict[Snowflake, Application] = {}
        self.token_hashes: dict[Snowflake, bytes] = {}

    async def create_application(self, application: Application, token_hash: bytes) -> Application:
        self.db.users.put(application.bot)
        self.rows[application.id] = application
        self.token_hashes[application.id] = token_hash
        return application

    async def get_application(self, application_id: Snowflake) -> Application | None:
        return self.rows.get(application_id)

    async def list_applications(self, owner_id: Snowflake) -> list[Application]:
        return sorted((a for a in self.rows.values() if a.owner_id == owner_id), key=_id)

    async def set_bot_token(self, application_id: Snowflake, token_hash: bytes) -> bool:
        if application_id not in self.rows:
            return False
        self.token_hashes[application_id] = token_hash
        return True

    async def get_bot_by_token(self, token_hash: bytes) -> Application | None:
        found = [i for i, h in self.token_hashes.items() if h == token_hash]
        return self.rows[found[0]] if found else None


class FakeTokens:
    def __init__(self, db: FakeStorage) -> None:
        self.rows: dict[bytes, RefreshToken] = {}  # by hash

    async def create_refresh_token(self, token: RefreshToken) -> None:
        self.rows[token.token_hash] = token

    async def rotate_refresh_token(
        self, token_hash: bytes, replacement: RefreshToken, now: datetime
    ) -> RotateResult:
        old = self.rows.get(token_hash)
        if old is None:
            return RotateResult(RotateOutcome.UNKNOWN)
        if old.revoked or old.replaced_by is not None:
            await self.revoke_family(old.family_id)
            return RotateResult(RotateOutcome.REUSED, old.user_id, old.family_id)
        if old.expires_at <= now:
            return RotateResult(RotateOutcome.EXPIRED, old.user_id, old.family_id)
        self.rows[token_hash] = replace(old, replaced_by=replacement.id)
        new = replace(replacement, user_id=old.user_id, family_id=old.family_id)
        self.rows[new.token_hash] = new
        return RotateResult(RotateOutcome.ROTATED, old.user_id, old.family_id)

    def _revoke(self, chosen: Callable[[RefreshToken], bool]) -> int:
        live = 0
        for key, token in list(self.rows.items()):
            if chosen(token) and not token.revoked:
                live += token.replaced_by is None
                self.rows[key] = replace(token, revoked=True)
        return live

    async def revoke_family(self, family_id: Snowflake) -> int:
        return self._revoke(lambda t: t.family_id == family_id)

    async def revoke_user_logins(self, user_id: Snowflake) -> int:
        return self._revoke(lambda t: t.user_id == user_id)

    async def is_family_live(self, family_id: Snowflake, now: datetime) -> bool:
        live = (t for t in self.rows.values() if not t.revoked and t.replaced_by is None)
        return any(t.family_id == family_id and t.expires_at > now for t in live)


class FakeGuilds:
    def __init__(self, db: FakeStorage) -> None:
        self.db = db
        self.rows: dict[Snowflake, Guild] = {}

    async def create_guild(
        self, guild: Guild, everyone: Role, channels: Sequence[Channel], joined_at: datetime
    ) -> None:
        self.db.users.require_live(guild.owner_id)
        self.rows[guild.id] = guild
        await self.db.roles.create_role(everyone)
        for channel in channels:
            await self.db.channels.create_channel(channel)
        await self.db.members.add_member(guild.id, guild.owner_id, joined_at)

    async def get_guild(self, guild_id: Snowflake) -> Guild | None:
        return self.rows.get(guild_id)

    async def get_guild_counts(self, guild_id: Snowflake) -> GuildCounts | None:
        if guild_id not in self.rows:
            return None
        channels = await self.db.channels.list_guild_channels(guild_id)
        return GuildCounts(await self.db.members.count_members(guild_id), len(channels))

    async def get_guild_snapshot(
        self, guild_id: Snowflake, member_limit: int
    ) -> GuildSnapshot | None:
        if guild_id not in self.rows:
            return None
        members = self.db.members.of(guild_id)
        return GuildSnapshot(
            guild=self.rows[guild_id],
            roles=tuple(await self.db.roles.list_roles(guild_id)),
            channels=tuple(await self.db.channels.list_guild_channels(guild_id)),
            members=tuple(members[:member_limit]),
            member_count=len(members),
        )

    async def update_guild(self, guild: Guild) -> Guild | None:
        self.db.users.require_live(guild.owner_id)
        if guild.id not in self.rows:
            return None
        self.rows[guild.id] = guild
        return guild

    async def delete_guild(self, guild_id: Snowflake) -> bool:
        for user_id in await self.db.members.list_guild_member_ids(guild_id):
            await self.db.members.remove_member(guild_id, user_id)
        return self.rows.pop(guild_id, None) is not None

    async def list_user_guilds(
        self,
        user_id: Snowflake,
        *,
        after: Snowflake | None = None,
        before: Snowflake | None = None,
        limit: int = 200,
    ) -> list[Guild]:
        ids = await self.list_user_guild_ids(user_id)
        ids = [i for i in ids if (after is None or i > after) and (before is None or i < before)]
        chosen = ids[-limit:] if before is not None and after is None else ids[:limit]
        return [self.rows[i] for i in chosen]

    async def list_user_guild_ids(self, user_id: Snowflake) -> list[Snowflake]:
        return sorted(g for g, u in self.db.members.rows if u == user_id and g in self.rows)


class FakeChannels:
    def __init__(self, db: FakeStorage) -> None:
        self.rows: dict[Snowflake, Channel] = {}

    async def create_channel(self, channel: Channel) -> Channel:
        self.rows[channel.id] = channel
        return channel

    async def get_channel(self, channel_id: Snowflake) -> Channel | None:
        return self.rows.get(channel_id)

    async def list_guild_channels(self, guild_id: Snowflake) -> list[Channel]:
        found = (c for c in self.rows.values() if c.guild_id == guild_id)
        return sorted(found, key=lambda c: (c.position, c.id))

    async def update_channel(
        self, channel: Channel, *, overwrites: Sequence[Overwrite] | None = None
    ) -> Channel | None:
        old = self.rows.get(channel.id)
        if old is None:
            return None
        kept = old.overwrites if overwrites is None else tuple(overwrites)
        self.rows[channel.id] = replace(channel, overwrites=kept)
        return self.rows[channel.id]

    async def delete_channel(self, channel_id: Snowflake) -> bool:
        return self.rows.pop(channel_id, None) is not None

    async def set_channel_positions(
        self, guild_id: Snowflake, positions: Sequence[ChannelPosition]
    ) -> list[Channel]:
        moved = []
        for p in positions:
            old = self.rows.get(p.id)
            if old is None or old.guild_id != guild_id:
                raise NotFound(Resource.CHANNEL)
            parent_id = p.parent_id if p.move_parent else old.parent_id
            moved.append(replace(old, position=p.position, parent_id=parent_id))
        self.rows.update((c.id, c) for c in moved)
        return sorted(moved, key=lambda c: (c.position, c.id))

    async def put_overwrite(self, channel_id: Snowflake, overwrite: Overwrite) -> None:
        channel = self.rows[channel_id]
        kept = tuple(o for o in channel.overwrites if o.id != overwrite.id)
        self.rows[channel_id] = replace(channel, overwrites=(*kept, overwrite))

    async def delete_overwrite(self, channel_id: Snowflake, target_id: Snowflake) -> bool:
        channel = self.rows[channel_id]
        kept = tuple(o for o in channel.overwrites if o.id != target_id)
        self.rows[channel_id] = replace(channel, overwrites=kept)
        return len(kept) < len(channel.overwrites)

    async def open_dm(self, candidate: Channel) -> Channel:
        pair = set(candidate.recipient_ids)
        for channel in self.rows.values():
            if channel.type is ChannelType.DM and set(channel.recipient_ids) == pair:
                return channel
        return await self.create_channel(replace(candidate, recipient_ids=tuple(sorted(pair))))

    async def list_private_channels(self, user_id: Snowflake) -> list[Channel]:
        return sorted((c for c in self.rows.values() if user_id in c.recipient_ids), key=_id)


class FakeRoles:
    def __init__(self, db: FakeStorage) -> None:
        self.db = db
        self.rows: dict[Snowflake, Role] = {}

    async def create_role(self, role: Role) -> Role:
        self.rows[role.id] = role
        return role

    async def get_role(self, guild_id: Snowflake, role_id: Snowflake) -> Role | None:
        role = self.rows.get(role_id)
        return role if role is not None and role.guild_id == guild_id else None

    async def list_roles(self, guild_id: Snowflake) -> list[Role]:
        found = (r for r in self.rows.values() if r.guild_id == guild_id)
        return sorted(found, key=lambda r: (r.position, r.id))

    async def update_role(self, role: Role) -> Role | None:
        return await self.create_role(role) if role.id in self.rows else None

    async def delete_role(self, guild_id: Snowflake, role_id: Snowflake) -> bool:
        if await self.get_role(guild_id, role_id) is None:
            return False
        del self.rows[role_id]
        for user_id in await self.db.members.list_guild_member_ids(guild_id):
            await self.db.members.remove_member_role(guild_id, user_id, role_id)
        return True

    async def set_role_positions(
        self, guild_id: Snowflake, positions: Sequence[tuple[Snowflake, int]]
    ) -> list[Role]:
        for role_id, position in positions:
            self.rows[role_id] = replace(self.rows[role_id], position=position)
        return await self.list_roles(guild_id)


class FakeMembers:
    def __init__(self, db: FakeStorage) -> None:
        self.db = db
        self.rows: dict[tuple[Snowflake, Snowflake], Member] = {}

    def of(self, guild_id: Snowflake) -> list[Member]:
        """The guild's members in user-id order, with their users as they are now."""
        found = [m for (g, _), m in sorted(self.rows.items()) if g == guild_id]
        return [replace(m, user=self.db.users.rows.get(m.user.id, m.user)) for m in found]

    async def add_member(
        self, guild_id: Snowflake, user_id: Snowflake, joined_at: datetime
    ) -> Member | None:
        if (guild_id, user_id) in self.db.bans.rows:
            raise Conflict("You are banned from this guild.", code="USER_BANNED")
        self.db.users.require_live(user_id)
        if (guild_id, user_id) in self.rows:
            return None
        self.rows[(guild_id, user_id)] = Member(guild_id, self.db.users.rows[user_id], joined_at)
        return await self.get_member(guild_id, user_id)

    async def get_member(self, guild_id: Snowflake, user_id: Snowflake) -> Member | None:
        return next((m for m in self.of(guild_id) if m.user.id == user_id), None)

    async def list_members(
        self, guild_id: Snowflake, *, after: Snowflake | None = None, limit: int = 1
    ) -> list[Member]:
        return [m for m in self.of(guild_id) if after is None or m.user.id > after][:limit]

    async def search_members(self, guild_id: Snowflake, prefix: str, limit: int) -> list[Member]:
        wanted = prefix.casefold()
        return [
            m
            for m in self.of(guild_id)
            if m.user.username.casefold().startswith(wanted)
            or (m.nick or "").casefold().startswith(wanted)
        ][:limit]

    async def get_members(self, guild_id: Snowflake, user_ids: Sequence[Snowflake]) -> list[Member]:
        return [m for m in self.of(guild_id) if m.user.id in set(user_ids)]

    async def update_member(
        self,
        guild_id: Snowflake,
        user_id: Snowflake,
        *,
        nick: str | None,
        role_ids: Sequence[Snowflake],
    ) -> Member | None:
        for role_id in role_ids:
            if await self.db.roles.get_role(guild_id, role_id) is None:
                raise NotFound(Resource.ROLE)
        member = self.rows.get((guild_id, user_id))
        if member is None:
            return None
        self.rows[(guild_id, user_id)] = replace(member, nick=nick, role_ids=tuple(role_ids))
        return await self.get_member(guild_id, user_id)

    async def add_member_role(
        self, guild_id: Snowflake, user_id: Snowflake, role_id: Snowflake
    ) -> bool:
        member = self.rows.get((guild_id, user_id))
        if member is None or role_id in member.role_ids:
            return False
        self.rows[(guild_id, user_id)] = replace(member, role_ids=(*member.role_ids, role_id))
        return True

    async def remove_member_role(
        self, guild_id: Snowflake, user_id: Snowflake, role_id: Snowflake
    ) -> bool:
        member = self.rows.get((guild_id, user_id))
        if member is None or role_id not in member.role_ids:
            return False
        kept = tuple(r for r in member.role_ids if r != role_id)
        self.rows[(guild_id, user_id)] = replace(member, role_ids=kept)
        return True

    async def remove_member(self, guild_id: Snowflake, user_id: Snowflake) -> bool:
        return self.rows.pop((guild_id, user_id), None) is not None

    async def count_members(self, guild_id: Snowflake) -> int:
        return len(self.of(guild_id))

    async def list_guild_member_ids(self, guild_id: Snowflake) -> list[Snowflake]:
        return [m.user.id for m in self.of(guild_id)]


class FakeBans:
    def __init__(self, db: FakeStorage) -> None:
        self.db = db
        self.rows: dict[tuple[Snowflake, Snowflake], Ban] = {}

    async def ban(
        self, guild_id: Snowflake, user_id: Snowflake, reason: str | None, banned_by: Snowflake
    ) -> bool:
        if (guild_id, user_id) in self.rows:
            return False
        self.rows[(guild_id, user_id)] = Ban(guild_id, self.db.users.rows[user_id], reason)
        await self.db.members.remove_member(guild_id, user_id)
        return True

    async def unban(self, guild_id: Snowflake, user_id: Snowflake) -> bool:
        return self.rows.pop((guild_id, user_id), None) is not None

    async def get_ban(self, guild_id: Snowflake, user_id: Snowflake) -> Ban | None:
        return self.rows.get((guild_id, user_id))

    async def list_bans(
        self, guild_id: Snowflake, *, after: Snowflake | None = None, limit: int = 1000
    ) -> list[Ban]:
        found = [b for (g, u), b in sorted(self.rows.items()) if g == guild_id]
        return [b for b in found if after is None or b.user.id > after][:limit]


class FakeInvites:
    def __init__(self, db: FakeStorage) -> None:
        self.db = db
        self.rows: dict[str, Invite] = {}

    async def create_invite(self, invite: Invite) -> Invite:
        if invite.code in self.rows:
            raise Conflict("An invite with this code already exists.", code="INVITE_CODE_TAKEN")
        self.rows[invite.code] = invite
        return invite

    async def get_invite(self, code: str) -> Invite | None:
        return self.rows.get(code)

    async def list_guild_invites(self, guild_id: Snowflake) -> list[Invite]:
        return [i for i in self.rows.values() if i.guild_id == guild_id]

    async def list_channel_invites(self, channel_id: Snowflake) -> list[Invite]:
        return [i for i in self.rows.values() if i.channel_id == channel_id]

    async def delete_invite(self, code: str) -> Invite | None:
        return self.rows.pop(code, None)

    async def accept_invite(
        self, code: str, user_id: Snowflake, now: datetime
    ) -> tuple[Invite, Member | None]:
        invite = self.rows.get(code)
        expired = invite is not None and invite.expires_at is not None and invite.expires_at <= now
        if invite is None or expired or 0 < invite.max_uses <= invite.uses:
            raise NotFound(Resource.INVITE)
        member = await self.db.members.add_member(invite.guild_id, user_id, now)
        if member is not None:
            invite = self.rows[code] = replace(invite, uses=invite.uses + 1)
        return invite, member


class FakeMessages:
    def __init__(self, db: FakeStorage) -> None:
        self.db = db
        self.rows: dict[Snowflake, Message] = {}  # live messages only

    def _seen_by(self, message: Message, viewer_id: Snowflake) -> Message:
        return replace(message, reactions=self.db.reactions.counts(message.id, viewer_id))

    def _live(self, channel_id: Snowflake, message_id: Snowflake) -> Message | None:
        message = self.rows.get(message_id)
        return message if message is not None and message.channel_id == channel_id else None

    def _of(self, channel_id: Snowflake) -> list[Message]:
        """The channel's live messages, newest first."""
        return sorted((m for m in self.rows.values() if m.channel_id == channel_id), key=_id)[::-1]

    async def create_message(self, message: NewMessage, *, enforce_nonce: bool = False) -> Message:
        if enforce_nonce and message.nonce is not None:
            for earlier in self._of(message.channel_id):
                if (earlier.author.id, earlier.nonce) == (message.author_id, message.nonce):
                    return earlier
        fields = {f.name: getattr(message, f.name) for f in dataclass_fields(NewMessage)}
        del fields["author_id"]
        stored = Message(**fields, author=self.db.users.rows[message.author_id])
        self.rows[stored.id] = stored
        return stored

    async def send_message(
        self,
        channel_id: Snowflake,
        author_id: Snowflake,
        compose: Callable[[ChannelContext | None], NewMessage],
        *,
        enforce_nonce: bool = False,
    ) -> SentMessage | None:
        found = await self.db.access.channel_context(channel_id, author_id)
        new = compose(found)
        assert found is not None  # compose refuses an unknown channel
        channel, context = found
        for other in (r for r in channel.recipient_ids if r != author_id):
            if not (await self.db.users.dm_standing(author_id, other)).may_message:
                raise CannotMessageUser()
        if new.reference is not None and self._live(channel_id, new.reference.message_id) is None:
            return None
        return SentMessage(
            await self.create_message(new, enforce_nonce=enforce_nonce), channel, context
        )

    async def get_message(
        self, channel_id: Snowflake, message_id: Snowflake, viewer_id: Snowflake
    ) -> Message | None:
        message = self._live(channel_id, message_id)
        return None if message is None else self._seen_by(message, viewer_id)

    async def list_messages(
        self,
        channel_id: Snowflake,
        viewer_id: Snowflake,
        *,
        before: Snowflake | None = None,
        after: Snowflake | None = None,
        around: Snowflake | None = None,
        limit: int = 50,
    ) -> list[Message]:
        newest_first = self._of(channel_id)
        if around is not None:
            newer = [m for m in newest_first if m.id > around][::-1][: limit // 2][::-1]
            page = newer + [m for m in newest_first if m.id <= around][: limit - limit // 2]
        elif after is not None:
            page = [m for m in newest_first if m.id > after][::-1][:limit][::-1]
        else:
            page = [m for m in newest_first if before is None or m.id < before][:limit]
        return [self._seen_by(m, viewer_id) for m in page]

    async def update_message(
        self,
        channel_id: Snowflake,
        message_id: Snowflake,
        *,
        content: str,
        mention_ids: Sequence[Snowflake],
        edited_at: datetime,
        viewer_id: Snowflake,
    ) -> Message | None:
        message = self._live(channel_id, message_id)
        if message is None:
            return None
        edited = replace(
            message, content=content, mention_ids=tuple(mention_ids), edited_at=edited_at
        )
        self.rows[message_id] = edited
        return self._seen_by(edited, viewer_id)

    async def delete_message(self, channel_id: Snowflake, message_id: Snowflake) -> bool:
        if self._live(channel_id, message_id) is None:
            return False
        del self.rows[message_id]
        reactions = self.db.reactions.rows
        for key in [k for k in reactions if k[0] == message_id]:
            del reactions[key]
        return True

    async def bulk_delete_messages(
        self, channel_id: Snowflake, message_ids: Sequence[Snowflake]
    ) -> list[Snowflake]:
        return [i for i in message_ids if await self.delete_message(channel_id, i)]

    async def delete_author_messages(
        self, guild_id: Snowflake, author_id: Snowflake, since: Snowflake
    ) -> dict[Snowflake, list[Snowflake]]:
        deleted: dict[Snowflake, list[Snowflake]] = {}
        for message in sorted(self.rows.values(), key=_id):
            by_author = (message.guild_id, message.author.id) == (guild_id, author_id)
            if by_author and message.id > since:
                await self.delete_message(message.channel_id, message.id)
                deleted.setdefault(message.channel_id, []).append(message.id)
        return deleted

    async def set_pinned(
        self, channel_id: Snowflake, message_id: Snowflake, pinned: bool
    ) -> bool | None:
        message = self._live(channel_id, message_id)
        if message is None:
            return None
        self.rows[message_id] = replace(message, pinned=pinned)
        return message.pinned != pinned

    async def list_pins(self, channel_id: Snowflake, viewer_id: Snowflake) -> list[Message]:
        return [self._seen_by(m, viewer_id) for m in self._of(channel_id) if m.pinned]

    async def search_messages(
        self,
        guild_id: Snowflake,
        channel_ids: Sequence[Snowflake],
        query: str,
        viewer_id: Snowflake,
        *,
        limit: int = 25,
        offset: int = 0,
    ) -> tuple[list[Message], int]:
        """Case-insensitive substring matches: enough to test who may find what."""
        found = [
            m
            for m in sorted(self.rows.values(), key=_id, reverse=True)
            if m.channel_id in set(channel_ids) and query.casefold() in m.content.casefold()
        ]
        return [self._seen_by(m, viewer_id) for m in found[offset : offset + limit]], len(found)


class FakeReactions:
    def __init__(self, db: FakeStorage) -> None:
        self.db = db
        # (message id, emoji key) -> (emoji, who reacted, in order)
        self.rows: dict[tuple[Snowflake, str], tuple[Emoji, list[Snowflake]]] = {}

    def counts(self, message_id: Snowflake, viewer_id: Snowflake) -> tuple[ReactionCount, ...]:
        return tuple(
            ReactionCount(emoji, len(users), viewer_id in users)
            for (m, _), (emoji, users) in self.rows.items()
            if m == message_id and users
        )

    async def add_reaction(
        self, channel_id: Snowflake, message_id: Snowflake, user_id: Snowflake, emoji: Emoji
    ) -> bool | None:
        if self.db.messages._live(channel_id, message_id) is None:
            return None
        _, users = self.rows.setdefault((message_id, emoji.key), (emoji, []))
        if user_id in users:
            return False
        users.append(user_id)
        return True

    async def remove_reaction(
        self, channel_id: Snowflake, message_id: Snowflake, user_id: Snowflake, emoji: Emoji
    ) -> bool:
        _, users = self.rows.get((message_id, emoji.key), (emoji, []))
        if self.db.messages._live(channel_id, message_id) is None or user_id not in users:
            return False
        users.remove(user_id)
        return True

    async def list_reaction_users(
        self,
        message_id: Snowflake,
        emoji: Emoji,
        *,
        after: Snowflake | None = None,
        limit: int = 25,
    ) -> list[User]:
        _, users = self.rows.get((message_id, emoji.key), (emoji, []))
        chosen = sorted(u for u in users if after is None or u > after)[:limit]
        return [self.db.users.rows[u] for u in chosen]

    async def remove_all_reactions(
        self, channel_id: Snowflake, message_id: Snowflake, emoji: Emoji | None = None
    ) -> int | None:
        if self.db.messages._live(channel_id, message_id) is None:
            return None
        gone = [k for k in self.rows if k[0] == message_id and (emoji is None or k[1] == emoji.key)]
        removed = sum(len(self.rows.pop(k)[1]) for k in gone)
        return removed


class FakeAccess:
    def __init__(self, db: FakeStorage) -> None:
        self.db = db

    async def permission_context(
        self, guild_id: Snowflake, user_id: Snowflake, channel: Channel | None = None
    ) -> PermissionContext | None:
        guild = self.db.guilds.rows.get(guild_id)
        if guild is None:
            return None
        everyone = self.db.roles.rows.get(guild_id)
        member = self.db.members.rows.get((guild_id, user_id))
        held = () if member is None else member.role_ids
        roles = sorted((self.db.roles.rows[r] for r in held if r in self.db.roles.rows), key=_id)
        return PermissionContext(
            guild_id=guild_id,
            owner_id=guild.owner_id,
            user_id=user_id,
            is_member=member is not None,
            everyone=NONE if everyone is None else everyone.permissions,
            member_role_ids=tuple(r.id for r in roles),
            role_permissions=tuple(r.permissions for r in roles),
            highest_role_position=max((r.position for r in roles), default=0),
            channel=channel,
            nick=None if member is None else member.nick,
            joined_at=None if member is None else member.joined_at,
        )

    async def channel_context(
        self, channel_id: Snowflake, user_id: Snowflake
    ) -> ChannelContext | None:
        channel = self.db.channels.rows.get(channel_id)
        if channel is None:
            return None
        if channel.guild_id is None:
            return channel, None
        return channel, await self.permission_context(channel.guild_id, user_id, channel)


class FakeStorage:
    """Every repository of the storage port, over dicts."""

    def __init__(self) -> None:
        self.users = FakeUsers(self)
        self.applications = FakeApplications(self)
        self.tokens = FakeTokens(self)
        self.guilds = FakeGuilds(self)
        self.channels = FakeChannels(self)
        self.roles = FakeRoles(self)
        self.members = FakeMembers(self)
        self.bans = FakeBans(self)
        self.invites = FakeInvites(self)
        self.messages = FakeMessages(self)
        self.reactions = FakeReactions(self)
        self.access = FakeAccess(self)

    async def ping(self) -> bool:
        return True


@dataclass
class RecordingBus:
    """An event bus that keeps what is published, in order."""

    events: list[Event] = field(default_factory=list)

    async def publish(self, event: Event) -> None:
        self.events.append(event)

    @property
    def types(self) -> list[str]:
        return [e.type for e in self.events]

    def subscribe(self) -> AbstractAsyncContextManager[Subscription]:
        raise NotImplementedError("services only publish")

    async def replay(self, since: BusPosition, until: BusPosition) -> list[Event]:
        return []

    def of_type(self, kind: str) -> list[Event]:
        return [e for e in self.events if e.type == kind]

    def clear(self) -> None:
        self.events.clear()


def _id(row: Message | Channel | Role | Application) -> int:
    return row.id
