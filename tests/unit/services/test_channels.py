"""ChannelService: listing, creating, reading, changing and deleting channels, and overwrites."""

from __future__ import annotations

from dataclasses import replace

import pytest

from accord.core.entities import Channel, ChannelType, Role
from accord.core.errors import NotFound, PermissionDenied, Resource, ValidationError
from accord.core.permissions import Overwrite, OverwriteType, Permission
from accord.core.services.channels import MAX_CHANNELS_PER_GUILD, ChannelChanges, ChannelDraft
from accord.core.snowflake import Snowflake
from tests.unit.services.world import (
    CATEGORY,
    GENERAL,
    GUILD,
    HELPER,
    HELPER_ROLE,
    MEMBER,
    MOD_ROLE,
    MODERATOR,
    OUTSIDER,
    OWNER,
    SECRET,
    World,
)

VIEW = Permission.VIEW_CHANNEL
SEND = Permission.SEND_MESSAGES


def ids(shapes: list[dict[str, object]]) -> list[str]:
    return [str(s["id"]) for s in shapes]


def field_of(error: ValidationError) -> tuple[str, str]:
    return error.errors[0].field, error.errors[0].code


async def test_members_list_only_the_channels_they_can_see(world: World) -> None:
    service = world.channels()
    assert ids(await service.list_guild_channels(MEMBER.id, GUILD)) == [str(CATEGORY), str(GENERAL)]
    everything = [str(CATEGORY), str(GENERAL), str(SECRET)]
    assert ids(await service.list_guild_channels(MODERATOR.id, GUILD)) == everything
    with pytest.raises(NotFound):
        await service.list_guild_channels(OUTSIDER.id, GUILD)


async def test_create_stores_the_channel_last_and_announces_it(world: World) -> None:
    payload = await world.channels().create(MODERATOR.id, GUILD, ChannelDraft("news", topic="t"))
    created = world.storage.channels.rows[Snowflake(int(payload["id"]))]
    assert (created.name, created.topic, created.position) == ("news", "t", 3)
    [event] = world.bus.events
    assert (event.type, event.guild_id, event.channel_id) == ("CHANNEL_CREATE", GUILD, created.id)
    assert event.data == payload


async def test_create_under_a_category_it_may_manage(world: World) -> None:
    payload = await world.channels().create(
        MODERATOR.id, GUILD, ChannelDraft("sub", parent_id=str(CATEGORY), position=7)
    )
    assert (payload["parent_id"], payload["position"]) == (str(CATEGORY), 7)


async def test_create_needs_manage_channels(world: World) -> None:
    with pytest.raises(PermissionDenied):
        await world.channels().create(MEMBER.id, GUILD, ChannelDraft("news"))
    with pytest.raises(NotFound):
        await world.channels().create(OUTSIDER.id, GUILD, ChannelDraft("news"))
    assert world.bus.events == []


@pytest.mark.parametrize(
    ("draft", "expected"),
    [
        (ChannelDraft("x", type=2), ("type", "BASE_TYPE_CHOICES")),
        (ChannelDraft("x", parent_id=str(GENERAL)), ("parent_id", "CHANNEL_PARENT_INVALID")),
        (ChannelDraft("x", parent_id="999"), ("parent_id", "CHANNEL_PARENT_INVALID")),
        (ChannelDraft("x", type=4, parent_id=str(CATEGORY)), ("parent_id", "BASE_TYPE_INVALID")),
        (ChannelDraft("x", overwrites="no"), ("permission_overwrites", "LIST_TYPE_CONVERT")),
        (ChannelDraft("", type=0), ("name", "BASE_TYPE_BAD_LENGTH")),
    ],
)
async def test_create_refuses_bad_fields(
    world: World, draft: ChannelDraft, expected: tuple[str, str]
) -> None:
    with pytest.raises(ValidationError) as refused:
        await world.channels().create(MODERATOR.id, GUILD, draft)
    assert field_of(refused.value) == expected


async def test_create_stops_at_the_guilds_channel_cap(world: World) -> None:
    for n in range(MAX_CHANNELS_PER_GUILD - 3):
        world.channel(Channel(Snowflake(10_000 + n), ChannelType.GUILD_TEXT, GUILD, f"c{n}"))
    with pytest.raises(ValidationError) as refused:
        await world.channels().create(MODERATOR.id, GUILD, ChannelDraft("one-too-many"))
    assert field_of(refused.value) == ("_body", "MAX_CHANNELS")


async def test_create_with_overwrites_needs_manage_roles_and_the_bits_granted(
    world: World,
) -> None:
    # Helpers may manage channels but not roles: no overwrites for them.
    world.role(Role(HELPER_ROLE, GUILD, "helpers", Permission.MANAGE_CHANNELS, position=1))
    hide = [{"id": str(GUILD), "type": 0, "deny": str(int(VIEW))}]
    with pytest.raises(PermissionDenied):
        await world.channels().create(HELPER.id, GUILD, ChannelDraft("x", overwrites=hide))
    # The moderator lacks ADMINISTRATOR-only MANAGE_ROLES in an overwrite on create.
    grant = [{"id": str(MEMBER.id), "type": 1, "allow": str(int(Permission.MANAGE_ROLES))}]
    with pytest.raises(PermissionDenied):
        await world.channels().create(MODERATOR.id, GUILD, ChannelDraft("x", overwrites=grant))
    payload = await world.channels().create(MODERATOR.id, GUILD, ChannelDraft("x", overwrites=hide))
    assert payload["permission_overwrites"] == [
        {"id": str(GUILD), "type": 0, "allow": "0", "deny": str(int(VIEW))}
    ]


async def test_get_shows_a_visible_channel_and_hides_the_rest(world: World) -> None:
    assert (await world.channels().get(MEMBER.id, GENERAL))["name"] == "general"
    with pytest.raises(NotFound):
        await world.channels().get(MEMBER.id, SECRET)


async def test_get_a_dm_lists_the_other_recipient(world: World) -> None:
    dm = world.channel(
        Channel(Snowflake(50), ChannelType.DM, recipient_ids=(MEMBER.id, OUTSIDER.id))
    )
    payload = await world.channels().get(MEMBER.id, dm.id)
    assert [r["id"] for r in payload["recipients"]] == [str(OUTSIDER.id)]


async def test_modify_writes_the_changes_and_announces_them(world: World) -> None:
    changes = ChannelChanges(name="renamed", topic="about", position=5, parent_id=str(CATEGORY))
    payload = await world.channels().modify(MODERATOR.id, GENERAL, changes)
    saved = world.storage.channels.rows[GENERAL]
    assert (saved.name, saved.topic, saved.position, saved.parent_id) == (
        "renamed",
        "about",
        5,
        CATEGORY,
    )
    assert world.bus.types == ["CHANNEL_UPDATE"]
    assert world.bus.events[0].data == payload


async def test_modify_clears_the_topic_and_the_parent(world: World) -> None:
    world.channel(replace(world.storage.channels.rows[GENERAL], topic="t", parent_id=CATEGORY))
    await world.channels().modify(
        MODERATOR.id, GENERAL, ChannelChanges(clear_topic=True, clear_parent=True)
    )
    saved = world.storage.channels.rows[GENERAL]
    assert (saved.topic, saved.parent_id) == (None, None)


async def test_modify_refuses_members_and_hides_what_they_cannot_see(world: World) -> None:
    with pytest.raises(PermissionDenied):
        await world.channels().modify(MEMBER.id, GENERAL, ChannelChanges(name="x"))
    with pytest.raises(NotFound):
        await world.channels().modify(MEMBER.id, SECRET, ChannelChanges(name="x"))
    assert world.storage.channels.rows[GENERAL].name == "general"


async def test_modify_a_dm_is_refused_as_unknown(world: World) -> None:
    dm = world.channel(
        Channel(Snowflake(50), ChannelType.DM, recipient_ids=(MEMBER.id, OUTSIDER.id))
    )
    with pytest.raises(NotFound) as refused:
        await world.channels().modify(MEMBER.id, dm.id, ChannelChanges(name="x"))
    assert refused.value.resource is Resource.CHANNEL


async def test_modify_replaces_the_overwrites_within_what_the_caller_holds(world: World) -> None:
    let_in = [{"id": str(MEMBER.id), "type": 1, "allow": str(int(VIEW))}]
    await world.channels().modify(MODERATOR.id, SECRET, ChannelChanges(overwrites=let_in))
    assert world.storage.channels.rows[SECRET].overwrites == (
        Overwrite(MEMBER.id, OverwriteType.MEMBER, allow=VIEW),
    )
    # ADMINISTRATOR is dropped from overwrites, but MANAGE_WEBHOOKS is a bit the moderator lacks.
    webhooks = [{"id": str(MEMBER.id), "type": 1, "allow": str(int(Permission.MANAGE_WEBHOOKS))}]
    with pytest.raises(PermissionDenied):
        await world.channels().modify(MODERATOR.id, SECRET, ChannelChanges(overwrites=webhooks))


async def test_delete_removes_the_channel_and_announces_it(world: World) -> None:
    payload = await world.channels().delete(MODERATOR.id, SECRET)
    assert SECRET not in world.storage.channels.rows
    [event] = world.bus.events
    assert (event.type, event.channel_id, event.data) == ("CHANNEL_DELETE", SECRET, payload)


async def test_delete_needs_manage_channels(world: World) -> None:
    with pytest.raises(PermissionDenied):
        await world.channels().delete(MEMBER.id, GENERAL)
    with pytest.raises(NotFound):
        await world.channels().delete(OUTSIDER.id, GENERAL)
    assert GENERAL in world.storage.channels.rows


async def test_put_overwrite_adds_or_replaces_one_target(world: World) -> None:
    await world.channels().put_overwrite(MODERATOR.id, GENERAL, str(MEMBER.id), 1, 0, int(SEND))
    await world.channels().put_overwrite(MODERATOR.id, GENERAL, str(MEMBER.id), 1, int(SEND), 0)
    assert world.storage.channels.rows[GENERAL].overwrites == (
        Overwrite(MEMBER.id, OverwriteType.MEMBER, allow=SEND),
    )
    assert world.bus.types == ["CHANNEL_UPDATE", "CHANNEL_UPDATE"]


async def test_put_overwrite_needs_manage_roles_and_the_bit(world: World) -> None:
    with pytest.raises(PermissionDenied):
        await world.channels().put_overwrite(MEMBER.id, GENERAL, str(MEMBER.id), 1, int(SEND), 0)
    admin_bit = int(Permission.MANAGE_WEBHOOKS)
    with pytest.raises(PermissionDenied):
        await world.channels().put_overwrite(MODERATOR.id, GENERAL, str(MEMBER.id), 1, admin_bit, 0)
    with pytest.raises(ValidationError):
        await world.channels().put_overwrite(MODERATOR.id, GENERAL, "x", 1, 0, 0)
    assert world.storage.channels.rows[GENERAL].overwrites == ()
    # The owner holds every bit.
    await world.channels().put_overwrite(OWNER.id, GENERAL, str(MEMBER.id), 1, admin_bit, 0)
    assert world.storage.channels.rows[GENERAL].overwrites[0].allow == Permission.MANAGE_WEBHOOKS


async def test_delete_overwrite_removes_it_or_says_it_is_unknown(world: World) -> None:
    await world.channels().delete_overwrite(MODERATOR.id, SECRET, str(MOD_ROLE))
    assert [o.id for o in world.storage.channels.rows[SECRET].overwrites] == [GUILD]
    assert world.bus.types == ["CHANNEL_UPDATE"]
    with pytest.raises(NotFound) as refused:
        await world.channels().delete_overwrite(OWNER.id, SECRET, str(MOD_ROLE))
    assert refused.value.resource is Resource.OVERWRITE
