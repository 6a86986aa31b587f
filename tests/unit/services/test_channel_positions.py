"""ChannelPositionService: reordering channels, moving them between categories, syncing."""

from __future__ import annotations

import pytest

from accord.core.entities import Channel, ChannelType, Role
from accord.core.errors import NotFound, PermissionDenied, ValidationError
from accord.core.permissions import Overwrite, OverwriteType, Permission
from accord.core.services.channel_positions import MOVES_MAX, ChannelMove
from accord.core.snowflake import Snowflake
from tests.unit.services.world import (
    CATEGORY,
    GENERAL,
    GUILD,
    HELPER,
    HELPER_ROLE,
    MEMBER,
    MODERATOR,
    OUTSIDER,
    SECRET,
    World,
)


def channel(world: World, channel_id: Snowflake) -> Channel:
    return world.storage.channels.rows[channel_id]


async def test_reorder_moves_channels_and_announces_each_that_changed(world: World) -> None:
    moves = [ChannelMove(str(GENERAL), 5), ChannelMove(str(SECRET), 2)]  # SECRET is at 2 already
    await world.channel_positions().reorder(MODERATOR.id, GUILD, moves)
    assert (channel(world, GENERAL).position, channel(world, SECRET).position) == (5, 2)
    assert [(e.type, e.channel_id) for e in world.bus.events] == [("CHANNEL_UPDATE", GENERAL)]


async def test_reorder_moves_into_and_out_of_a_category(world: World) -> None:
    into = ChannelMove(str(GENERAL), parent_id=str(CATEGORY), move_parent=True)
    await world.channel_positions().reorder(MODERATOR.id, GUILD, [into])
    assert channel(world, GENERAL).parent_id == CATEGORY
    out = ChannelMove(str(GENERAL), parent_id=None, move_parent=True)
    await world.channel_positions().reorder(MODERATOR.id, GUILD, [out])
    assert channel(world, GENERAL).parent_id is None
    assert world.bus.types == ["CHANNEL_UPDATE", "CHANNEL_UPDATE"]


async def test_reorder_needs_manage_channels_in_the_guild(world: World) -> None:
    with pytest.raises(PermissionDenied):
        await world.channel_positions().reorder(MEMBER.id, GUILD, [ChannelMove(str(GENERAL), 5)])
    with pytest.raises(NotFound):
        await world.channel_positions().reorder(OUTSIDER.id, GUILD, [ChannelMove(str(GENERAL), 5)])
    assert channel(world, GENERAL).position == 1


async def test_a_channel_the_caller_cannot_see_is_refused_as_not_of_the_guild(
    world: World,
) -> None:
    # Helpers may manage channels, but do not see #secret.
    world.role(Role(HELPER_ROLE, GUILD, "helpers", Permission.MANAGE_CHANNELS, position=1))
    with pytest.raises(ValidationError) as refused:
        await world.channel_positions().reorder(HELPER.id, GUILD, [ChannelMove(str(SECRET), 0)])
    assert refused.value.errors[0].code == "CHANNEL_UNKNOWN"


async def test_a_channel_seen_but_not_managed_is_403(world: World) -> None:
    world.role(Role(HELPER_ROLE, GUILD, "helpers", Permission.MANAGE_CHANNELS, position=1))
    deny = Overwrite(HELPER_ROLE, OverwriteType.ROLE, deny=Permission.MANAGE_CHANNELS)
    world.channel(Channel(GENERAL, ChannelType.GUILD_TEXT, GUILD, "general", 1, overwrites=(deny,)))
    with pytest.raises(PermissionDenied):
        await world.channel_positions().reorder(HELPER.id, GUILD, [ChannelMove(str(GENERAL), 0)])


@pytest.mark.parametrize(
    ("moves", "code"),
    [
        ([], "BASE_TYPE_BAD_LENGTH"),
        ([ChannelMove(str(GENERAL))] * (MOVES_MAX + 1), "BASE_TYPE_BAD_LENGTH"),
        ([ChannelMove(str(GENERAL), 1), ChannelMove(str(GENERAL), 2)], "BASE_TYPE_INVALID"),
        ([ChannelMove("999", 1)], "CHANNEL_UNKNOWN"),
        ([ChannelMove(str(GENERAL), -1)], "NUMBER_TYPE_MIN"),
        (
            [ChannelMove(str(GENERAL), parent_id=str(SECRET), move_parent=True)],
            "CHANNEL_PARENT_INVALID",
        ),
        (
            [ChannelMove(str(CATEGORY), parent_id=str(CATEGORY), move_parent=True)],
            "BASE_TYPE_INVALID",
        ),
    ],
)
async def test_reorder_refuses_bad_moves_before_writing_anything(
    world: World, moves: list[ChannelMove], code: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        await world.channel_positions().reorder(MODERATOR.id, GUILD, moves)
    assert refused.value.errors[0].code == code
    assert world.bus.events == []


async def test_lock_permissions_gives_the_channel_its_categorys_overwrites(world: World) -> None:
    hide = Overwrite(GUILD, OverwriteType.ROLE, deny=Permission.SEND_MESSAGES)
    world.channel(
        Channel(CATEGORY, ChannelType.GUILD_CATEGORY, GUILD, "category", overwrites=(hide,))
    )
    move = ChannelMove(
        str(SECRET), parent_id=str(CATEGORY), move_parent=True, lock_permissions=True
    )
    await world.channel_positions().reorder(MODERATOR.id, GUILD, [move])
    synced = channel(world, SECRET)
    assert (synced.parent_id, synced.overwrites) == (CATEGORY, (hide,))
    [event] = world.bus.events
    assert event.data["permission_overwrites"][0]["deny"] == str(int(Permission.SEND_MESSAGES))


async def test_lock_permissions_needs_manage_roles(world: World) -> None:
    world.role(Role(HELPER_ROLE, GUILD, "helpers", Permission.MANAGE_CHANNELS, position=1))
    move = ChannelMove(
        str(GENERAL), parent_id=str(CATEGORY), move_parent=True, lock_permissions=True
    )
    with pytest.raises(PermissionDenied):
        await world.channel_positions().reorder(HELPER.id, GUILD, [move])
    assert channel(world, GENERAL).parent_id is None


async def test_lock_permissions_needs_manage_roles_in_the_guild_not_just_the_channel(
    world: World,
) -> None:
    world.role(Role(HELPER_ROLE, GUILD, "helpers", Permission.MANAGE_CHANNELS, position=1))
    grant = Overwrite(HELPER_ROLE, OverwriteType.ROLE, allow=Permission.MANAGE_ROLES)
    world.channel(
        Channel(GENERAL, ChannelType.GUILD_TEXT, GUILD, "general", 1, overwrites=(grant,))
    )
    move = ChannelMove(
        str(GENERAL), parent_id=str(CATEGORY), move_parent=True, lock_permissions=True
    )
    with pytest.raises(PermissionDenied):
        await world.channel_positions().reorder(HELPER.id, GUILD, [move])
