"""The permission checks every service starts with: 404 for what the caller may not see."""

from __future__ import annotations

import pytest

from accord.core.entities import Channel, ChannelType
from accord.core.errors import NotFound, PermissionDenied, Resource
from accord.core.permissions import Permission
from accord.core.services.access import DM_PERMISSIONS, channel_access, guild_access
from accord.core.snowflake import Snowflake
from tests.unit.services.world import (
    GENERAL,
    GUILD,
    MEMBER,
    MODERATOR,
    OUTSIDER,
    OWNER,
    SECRET,
    STRANGER,
    World,
)


async def test_a_member_has_the_guild_permissions_of_their_roles(world: World) -> None:
    member = await guild_access(world.storage.access, GUILD, MEMBER.id)
    moderator = await guild_access(world.storage.access, GUILD, MODERATOR.id)
    assert not member.permissions & Permission.KICK_MEMBERS
    assert moderator.permissions & Permission.KICK_MEMBERS
    assert not moderator.is_owner
    assert (await guild_access(world.storage.access, GUILD, OWNER.id)).is_owner


async def test_require_refuses_a_missing_permission_with_403(world: World) -> None:
    access = await guild_access(world.storage.access, GUILD, MEMBER.id)
    access.require(Permission.SEND_MESSAGES)
    with pytest.raises(PermissionDenied):
        access.require(Permission.BAN_MEMBERS)


@pytest.mark.parametrize("guild_id", [GUILD, Snowflake(999)])
async def test_a_guild_is_unknown_to_a_non_member(world: World, guild_id: Snowflake) -> None:
    with pytest.raises(NotFound) as refused:
        await guild_access(world.storage.access, guild_id, OUTSIDER.id)
    assert refused.value.resource is Resource.GUILD


async def test_a_channel_hidden_by_an_overwrite_is_unknown(world: World) -> None:
    with pytest.raises(NotFound) as refused:
        await channel_access(world.storage.access, SECRET, MEMBER.id)
    assert refused.value.resource is Resource.CHANNEL
    assert (await channel_access(world.storage.access, SECRET, MODERATOR.id)).channel.id == SECRET
    assert (await channel_access(world.storage.access, SECRET, OWNER.id)).channel.id == SECRET


async def test_a_guild_channel_is_unknown_to_a_non_member(world: World) -> None:
    with pytest.raises(NotFound):
        await channel_access(world.storage.access, GENERAL, OUTSIDER.id)
    with pytest.raises(NotFound):
        await channel_access(world.storage.access, Snowflake(999), MEMBER.id)


async def test_a_dm_is_seen_by_its_recipients_only(world: World) -> None:
    dm = world.channel(
        Channel(Snowflake(50), ChannelType.DM, recipient_ids=(MEMBER.id, OUTSIDER.id))
    )
    access = await channel_access(world.storage.access, dm.id, OUTSIDER.id)
    assert access.permissions == DM_PERMISSIONS
    assert access.guild is None
    with pytest.raises(NotFound):
        await channel_access(world.storage.access, dm.id, STRANGER.id)
