"""Use cases for the caller's own account: profile and password, guild list, DMs, settings,
and deleting the account."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol, TypeVar

from accord.core.clock import Clock
from accord.core.entities import Channel, ChannelType, Guild, User
from accord.core.errors import (
    BotsForbidden,
    CannotMessageUser,
    Conflict,
    FieldError,
    NotFound,
    Resource,
    ValidationError,
)
from accord.core.events import Event
from accord.core.ports.bus import EventBus
from accord.core.ports.storage import (
    AccessRepository,
    ChannelRepository,
    DeletionOutcome,
    GuildRepository,
    MemberRepository,
    UserRepository,
    UserSettings,
)
from accord.core.services.access import guild_permissions_of
from accord.core.services.auth import AuthService, NewPassword, Principal
from accord.core.services.avatars import avatar_hash
from accord.core.services.departures import publish_departure
from accord.core.shapes import JSON, channel_shape, current_user_shape, partial_guild_shape
from accord.core.snowflake import Snowflake, SnowflakeGenerator, parse_snowflake
from accord.core.validation import validate_global_name, validate_username

# Discord's page bounds for GET /users/@me/guilds.
GUILD_PAGE_MIN, GUILD_PAGE_MAX = 1, 200
# Discord's code for deleting an account that still owns guilds.
OWNS_GUILDS_CODE = 40011


def deleted_username(user_id: Snowflake) -> str:
    """What a deleted account is called from then on: unique, and no name anyone can register
    (usernames have no spaces)."""
    return f"Deleted User {user_id:016x}"


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ProfileChanges:
    """A PATCH of /users/@me: ``*_set`` says whether the field was sent (null clears).

    ``password`` (the current one) and ``new_password`` are None when not sent.
    """

    username: object = None
    username_set: bool = False
    global_name: object = None
    global_name_set: bool = False
    avatar: object = None
    avatar_set: bool = False
    password: object = None
    new_password: object = None

    @property
    def checks_password(self) -> bool:
        """Whether the caller's password is checked: it costs what a login attempt does."""
        return self.password is not None or self.new_password is not None


@dataclass(frozen=True, slots=True)
class GuildPage:
    before: Snowflake | None = None
    after: Snowflake | None = None
    limit: int = GUILD_PAGE_MAX
    with_counts: bool = False


class UserServiceStorage(Protocol):
    """The repositories ``UserService`` uses."""

    @property
    def access(self) -> AccessRepository: ...
    @property
    def channels(self) -> ChannelRepository: ...
    @property
    def guilds(self) -> GuildRepository: ...
    @property
    def members(self) -> MemberRepository: ...
    @property
    def users(self) -> UserRepository: ...


class UserService:
    def __init__(
        self,
        storage: UserServiceStorage,
        bus: EventBus,
        ids: SnowflakeGenerator,
        clock: Clock,
        auth: AuthService,
    ) -> None:
        self._storage = storage
        self._bus = bus
        self._ids = ids
        self._clock = clock
        self._auth = auth  # passwords, and the caches and logins a change ends

    async def modify_me(self, principal: Principal, changes: ProfileChanges) -> JSON:
        """Rename or re-avatar the caller (bots too); only the caller is told.

        A ``password`` sent is checked first, and a wrong one changes nothing.
        With ``new_password`` the password changes too, as Discord's client
        asks for it: every login of the user ends, the caller's included, and
        the answer carries one new login (``token``, ``refresh_token``,
        ``expires_in``; docs/decisions/0004-session-ending.md).
        """
        change: NewPassword | None = None
        if changes.new_password is not None:
            change = await self._auth.new_password(
                principal, changes.password, changes.new_password, also_named=changes.username
            )
        elif changes.password is not None:
            await self._auth.verify_password(principal, changes.password)
        payload = await self._modify_profile(principal.user.id, changes)
        # Cached principals hold the old profile; drop them so the next request
        # (in any process) sees the new one.
        if principal.application is not None:
            await self._auth.forget_application(principal.application.id)
        else:
            await self._auth.forget_user(principal.user.id)
        if change is None:
            return payload
        tokens = await self._auth.set_password(change)
        return {
            **payload,
            "token": tokens.access_token,
            "refresh_token": tokens.refresh_token,
            "expires_in": tokens.expires_in,
        }

    async def _modify_profile(self, user_id: Snowflake, changes: ProfileChanges) -> JSON:
        user = await self._user(user_id)
        updated = _apply(user, changes)
        if updated != user:
            try:
                saved = await self._storage.users.update_user(updated)
            except Conflict as exc:
                raise ValidationError.single("username", exc.code, exc.message) from None
            if saved is None:
                raise NotFound(Resource.USER)
            updated = saved
        account = None if updated.bot else await self._storage.users.get_account(user_id)
        payload = current_user_shape(account, updated)
        if updated != user:
            await self._bus.publish(Event("USER_UPDATE", payload, user_ids=frozenset({user_id})))
        return payload

    async def list_my_guilds(self, user_id: Snowflake, page: GuildPage) -> list[JSON]:
        """The caller's guilds in id order, each with ``owner`` and their guild permissions."""
        guilds = await self._storage.guilds.list_user_guilds(
            user_id, before=page.before, after=page.after, limit=page.limit
        )
        return [await self._guild_entry(user_id, g, page.with_counts) for g in guilds]

    async def list_my_dms(self, user_id: Snowflake) -> list[JSON]:
        channels = await self._storage.channels.list_private_channels(user_id)
        others = {r for c in channels for r in c.recipient_ids if r != user_id}
        users = {u.id: u for u in await self._storage.users.get_users(list(others))}
        return [
            channel_shape(c, [users[r] for r in c.recipient_ids if r in users]) for c in channels
        ]

    async def open_dm(self, caller: User, recipient_id: object) -> JSON:
        """The DM with ``recipient_id``, created on first use; CHANNEL_CREATE when new.

        A new DM needs a guild in common or the recipient's consent (Discord's
        50007 otherwise). An existing one is always reopened: its history is
        the caller's too; each send into it is checked (``send_message``).
        """
        user_id = caller.id
        recipient_key = parse_snowflake(recipient_id, "recipient_id")
        if recipient_key == user_id:
            raise ValidationError.single(
                "recipient_id", "INVALID_RECIPIENT", "Cannot open a DM with yourself."
            )
        recipient = await self._storage.users.get_user(recipient_key)
        if recipient is None:
            raise NotFound(Resource.USER)
        if caller.bot and recipient.bot:
            raise CannotMessageUser("Bots cannot open DMs with other bots")
        standing = await self._storage.users.dm_standing(user_id, recipient.id)
        if not (standing.may_message or standing.has_dm):
            raise CannotMessageUser()
        candidate = Channel(
            id=self._ids.next_id(), type=ChannelType.DM, recipient_ids=(user_id, recipient.id)
        )
        channel = await self._storage.channels.open_dm(candidate)
        payload = channel_shape(channel, [recipient])
        if channel.id == candidate.id:
            await self._bus.publish(
                Event(
                    "CHANNEL_CREATE", payload, channel_id=channel.id, user_ids=frozenset({user_id})
                )
            )
        return payload

    async def get_settings(self, caller: User) -> JSON:
        """The caller's settings; people only, as on Discord."""
        return _settings_shape(await self._settings(caller))

    async def modify_settings(self, caller: User, allow_dms_from_anyone: bool | None) -> JSON:
        """Change the settings sent (None: not sent) and answer all of them."""
        settings = await self._settings(caller)
        if allow_dms_from_anyone is not None:
            changed = replace(settings, allow_dms_from_anyone=allow_dms_from_anyone)
            if changed != settings:
                saved = await self._storage.users.update_settings(caller.id, changed)
                if saved is None:
                    raise NotFound(Resource.USER)
                settings = saved
        return _settings_shape(settings)

    async def _settings(self, caller: User) -> UserSettings:
        if caller.bot:
            raise BotsForbidden()
        settings = await self._storage.users.get_settings(caller.id)
        if settings is None:
            raise NotFound(Resource.USER)
        return settings

    async def delete_account(self, principal: Principal, password: object) -> None:
        """Discord's account deletion, for a person who gives their password.

        Refused (40011) while the account owns a guild, as Discord does. Its
        messages stay, signed by a renamed user without email, password or
        avatar. Storage erases it, ends every login and every membership in
        one step that no ownership transfer or join can slip into. The ended
        logins are announced at once, before anything else, so every process
        lets go of them (their gateway connections close with 4004); then each
        guild it left is told (GUILD_MEMBER_REMOVE).
        """
        await self._auth.verify_password(principal, password)
        user = principal.user
        deletion = await self._storage.users.delete_account(user.id, deleted_username(user.id))
        if deletion.outcome is DeletionOutcome.OWNS_GUILDS:
            raise Conflict(
                "You must transfer ownership of any owned guilds before deleting your account",
                code="OWNS_GUILDS",
                discord_code=OWNS_GUILDS_CODE,
            )
        if deletion.outcome is DeletionOutcome.NO_ACCOUNT:
            raise NotFound(Resource.USER)  # deleted meanwhile, by another request
        await self._auth.logins_ended(user.id)
        gone = replace(user, username=deleted_username(user.id), global_name=None, avatar=None)
        for guild_id in deletion.left_guild_ids:
            await publish_departure(self._bus, guild_id, gone)

    async def _guild_entry(self, user_id: Snowflake, guild: Guild, with_counts: bool) -> JSON:
        context = await self._storage.access.permission_context(guild.id, user_id)
        permissions = 0 if context is None else int(guild_permissions_of(context))
        shape = partial_guild_shape(guild)
        shape.update(
            {"owner": guild.owner_id == user_id, "permissions": str(permissions), "banner": None}
        )
        if with_counts:
            counts = await self._storage.guilds.get_guild_counts(guild.id)
            shape["approximate_member_count"] = counts.member_count if counts else 0
            shape["approximate_presence_count"] = 0
        return shape

    async def _user(self, user_id: Snowflake) -> User:
        user = await self._storage.users.get_user(user_id)
        if user is None:
            raise NotFound(Resource.USER)
        return user


def _checked(
    errors: list[FieldError],
    sent: bool,
    check: Callable[[object], T],
    value: object,
    current: T,
) -> T:
    """``check(value)`` if the field was sent, else ``current``; failures go to ``errors``."""
    if not sent:
        return current
    try:
        return check(value)
    except ValidationError as exc:
        errors.extend(exc.errors)
        return current


def _settings_shape(settings: UserSettings) -> JSON:
    """Discord's settings object, with the fields Accord has (docs/decisions/0005-dm-consent.md)."""
    return {"allow_dms_from_anyone": settings.allow_dms_from_anyone}


def _avatar(value: object) -> str | None:
    return None if value is None else avatar_hash(value)


def _apply(user: User, changes: ProfileChanges) -> User:
    """The user with every sent field validated; all bad fields are reported together."""
    errors: list[FieldError] = []
    username = _checked(
        errors, changes.username_set, validate_username, changes.username, user.username
    )
    global_name = _checked(
        errors,
        changes.global_name_set,
        validate_global_name,
        changes.global_name,
        user.global_name,
    )
    avatar = _checked(errors, changes.avatar_set, _avatar, changes.avatar, user.avatar)
    if errors:
        raise ValidationError(errors)
    return replace(user, username=username, global_name=global_name, avatar=avatar)
