"""PgAccessRepository: what it reads must drive the core permission computation right."""

from __future__ import annotations

from dataclasses import replace

from accord.adapters.postgres.storage import PostgresStorage
from accord.core.entities import Channel, ChannelType, PermissionContext
from accord.core.permissions import (
    ALL,
    NONE,
    Overwrite,
    OverwriteType,
    Permission,
    base_permissions,
    channel_permissions,
)
from tests.integration import seed
from tests.integration.seed import new_id

P = Permission
EVERYONE = P.VIEW_CHANNEL | P.SEND_MESSAGES | P.READ_MESSAGE_HISTORY


def base_of(context: PermissionContext) -> Permission:
    return base_permissions(
        is_owner=context.owner_id == context.user_id,
        everyone=context.everyone,
        roles=context.role_permissions,
    )


def in_channel(context: PermissionContext, channel: Channel) -> Permission:
    return channel_permissions(
        base_of(context),
        guild_id=context.guild_id,
        member_id=context.user_id,
        member_role_ids=context.member_role_ids,
        overwrites=channel.overwrites,
    )


async def text_channel(storage, guild_id, *overwrites: Overwrite) -> Channel:
    return await storage.channels.create_channel(
        Channel(
            id=new_id(),
            type=ChannelType.GUILD_TEXT,
            guild_id=guild_id,
            name="room",
            overwrites=overwrites,
        )
    )


async def test_permission_context_of_unknown_guild_is_none(storage: PostgresStorage):
    someone = await seed.user(storage)
    assert await storage.access.permission_context(new_id(), someone.id) is None


async def test_permission_context_of_a_member_with_roles(storage: PostgresStorage):
    owner, member = await seed.user(storage), await seed.user(storage)
    guild_id = await seed.guild(storage, owner, everyone=EVERYONE)
    kick = await seed.role(storage, guild_id, P.KICK_MEMBERS, position=3)
    manage = await seed.role(storage, guild_id, P.MANAGE_MESSAGES, position=5)
    await seed.role(storage, guild_id, P.BAN_MEMBERS, position=9)  # not the member's
    await seed.member(storage, guild_id, member, [manage, kick])

    context = await storage.access.permission_context(guild_id, member.id)

    assert context == PermissionContext(
        guild_id=guild_id,
        owner_id=owner.id,
        user_id=member.id,
        is_member=True,
        everyone=EVERYONE,
        member_role_ids=(kick, manage),
        role_permissions=(P.KICK_MEMBERS, P.MANAGE_MESSAGES),
        highest_role_position=5,
        joined_at=context.joined_at,  # the member's own fields come along
    )
    assert context.joined_at is not None and context.nick is None
    assert base_of(context) == EVERYONE | P.KICK_MEMBERS | P.MANAGE_MESSAGES


async def test_permission_context_of_owner_and_of_a_stranger(storage: PostgresStorage):
    owner, stranger = await seed.user(storage), await seed.user(storage)
    guild_id = await seed.guild(storage, owner, everyone=EVERYONE)

    own = await storage.access.permission_context(guild_id, owner.id)
    other = await storage.access.permission_context(guild_id, stranger.id)

    assert own.is_member and base_of(own) == ALL
    assert own.member_role_ids == () and own.highest_role_position == 0
    assert other.is_member is False
    assert other.owner_id == owner.id and other.everyone == EVERYONE


async def test_administrator_role_grants_everything_despite_overwrites(storage: PostgresStorage):
    owner, admin = await seed.user(storage), await seed.user(storage)
    guild_id = await seed.guild(storage, owner, everyone=EVERYONE)
    admin_role = await seed.role(storage, guild_id, P.ADMINISTRATOR)
    await seed.member(storage, guild_id, admin, [admin_role])
    channel = await text_channel(
        storage, guild_id, Overwrite(guild_id, OverwriteType.ROLE, deny=P.VIEW_CHANNEL)
    )

    found = await storage.access.channel_context(channel.id, admin.id)

    assert found is not None
    _, context = found
    assert in_channel(context, channel) == ALL


async def test_channel_context_overwrites_decide_what_a_member_may_do(storage: PostgresStorage):
    owner, reader, muted, outsider = [await seed.user(storage) for _ in range(4)]
    guild_id = await seed.guild(storage, owner, everyone=EVERYONE)
    readers = await seed.role(storage, guild_id, NONE, position=2)
    await seed.member(storage, guild_id, reader, [readers])
    await seed.member(storage, guild_id, muted, [readers])
    await seed.member(storage, guild_id, outsider)
    overwrites = (
        Overwrite(guild_id, OverwriteType.ROLE, deny=P.VIEW_CHANNEL),
        Overwrite(readers, OverwriteType.ROLE, allow=P.VIEW_CHANNEL | P.ADD_REACTIONS),
        Overwrite(muted.id, OverwriteType.MEMBER, deny=P.SEND_MESSAGES),
    )
    channel = await text_channel(storage, guild_id, *overwrites)

    permissions = {}
    for user in (reader, muted, outsider, owner):
        found = await storage.access.channel_context(channel.id, user.id)
        assert found is not None
        read_channel, context = found
        assert read_channel == channel
        assert context.channel == channel
        # The same standing permission_context reads, with the channel attached.
        alone = await storage.access.permission_context(guild_id, user.id)
        assert context == replace(alone, channel=channel)
        permissions[user.id] = in_channel(context, channel)

    assert permissions[reader.id] == EVERYONE | P.ADD_REACTIONS
    assert permissions[muted.id] == P.VIEW_CHANNEL | P.READ_MESSAGE_HISTORY | P.ADD_REACTIONS
    assert permissions[outsider.id] == NONE
    assert permissions[owner.id] == ALL


async def test_channel_context_of_a_dm_has_recipients_and_no_guild(storage: PostgresStorage):
    alice, bob = await seed.user(storage), await seed.user(storage)
    dm = await storage.channels.open_dm(
        Channel(id=new_id(), type=ChannelType.DM, recipient_ids=(alice.id, bob.id))
    )

    found = await storage.access.channel_context(dm.id, alice.id)

    assert found == (dm, None)
    assert set(found[0].recipient_ids) == {alice.id, bob.id}


async def test_channel_context_of_unknown_channel_is_none(storage: PostgresStorage):
    someone = await seed.user(storage)
    assert await storage.access.channel_context(new_id(), someone.id) is None
