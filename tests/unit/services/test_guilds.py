"""GuildService: creating, reading, changing (ownership too) and deleting guilds."""

from __future__ import annotations

import pytest

from accord.core.clock import utc_from_ms
from accord.core.entities import Guild
from accord.core.errors import LimitReached, NotFound, PermissionDenied, ValidationError
from accord.core.services.guilds import MAX_GUILDS_PER_USER, GuildChanges
from accord.core.shapes import timestamp
from accord.core.snowflake import Snowflake
from tests.unit.services.world import (
    GUILD,
    GUILD_MEMBERS,
    MEMBER,
    MODERATOR,
    NOW_MS,
    OUTSIDER,
    OWNER,
    World,
)


async def test_create_makes_the_caller_owner_with_everyone_and_general(world: World) -> None:
    payload = await world.guilds().create_guild(OUTSIDER.id, "new guild", "about")
    guild_id = Snowflake(int(payload["id"]))
    assert world.storage.guilds.rows[guild_id].owner_id == OUTSIDER.id
    assert [r["name"] for r in payload["roles"]] == ["@everyone"]
    assert [c["name"] for c in payload["channels"]] == ["general"]
    assert [m["user"]["id"] for m in payload["members"]] == [str(OUTSIDER.id)]
    [event] = world.bus.events
    assert (event.type, event.user_ids, event.affects) == (
        "GUILD_CREATE",
        frozenset({OUTSIDER.id}),
        frozenset({OUTSIDER.id}),
    )


async def test_create_refuses_a_bad_name_and_the_hundred_and_first_guild(world: World) -> None:
    with pytest.raises(ValidationError):
        await world.guilds().create_guild(OUTSIDER.id, "")
    for n in range(MAX_GUILDS_PER_USER):
        world.storage.guilds.rows[Snowflake(5000 + n)] = Guild(Snowflake(5000 + n), "g", OWNER.id)
        world.join(OUTSIDER, guild_id=Snowflake(5000 + n))
    with pytest.raises(LimitReached) as refused:
        await world.guilds().create_guild(OUTSIDER.id, "one too many")
    assert refused.value.discord_code == 30001
    assert world.bus.events == []


async def test_get_is_for_members_with_counts_on_request(world: World) -> None:
    plain = await world.guilds().get_guild(MEMBER.id, GUILD, with_counts=False)
    assert plain["id"] == str(GUILD) and "approximate_member_count" not in plain
    counted = await world.guilds().get_guild(MEMBER.id, GUILD, with_counts=True)
    assert counted["approximate_member_count"] == 5
    with pytest.raises(NotFound):
        await world.guilds().get_guild(OUTSIDER.id, GUILD, with_counts=False)


async def test_modify_writes_the_fields_and_announces_them(world: World) -> None:
    changes = GuildChanges(name="renamed", description="about", icon="abc")
    payload = await world.guilds().modify_guild(MODERATOR.id, GUILD, changes)
    saved = world.storage.guilds.rows[GUILD]
    assert (saved.name, saved.description, saved.icon) == ("renamed", "about", "abc")
    [event] = world.bus.events
    assert (event.type, event.data) == ("GUILD_UPDATE", payload)
    await world.guilds().modify_guild(
        MODERATOR.id, GUILD, GuildChanges(clear_description=True, clear_icon=True)
    )
    saved = world.storage.guilds.rows[GUILD]
    assert (saved.description, saved.icon) == (None, None)


async def test_modify_needs_manage_guild(world: World) -> None:
    with pytest.raises(PermissionDenied):
        await world.guilds().modify_guild(MEMBER.id, GUILD, GuildChanges(name="x"))
    with pytest.raises(NotFound):
        await world.guilds().modify_guild(OUTSIDER.id, GUILD, GuildChanges(name="x"))
    assert world.storage.guilds.rows[GUILD].name == "guild"


async def test_only_the_owner_transfers_ownership_and_only_to_a_member(world: World) -> None:
    with pytest.raises(PermissionDenied):
        await world.guilds().modify_guild(
            MODERATOR.id, GUILD, GuildChanges(owner_id=str(MEMBER.id))
        )
    with pytest.raises(ValidationError) as refused:
        await world.guilds().modify_guild(OWNER.id, GUILD, GuildChanges(owner_id=str(OUTSIDER.id)))
    assert refused.value.errors[0].code == "GUILD_OWNER_NOT_MEMBER"
    await world.guilds().modify_guild(OWNER.id, GUILD, GuildChanges(owner_id=str(MEMBER.id)))
    assert world.storage.guilds.rows[GUILD].owner_id == MEMBER.id


async def test_only_the_owner_deletes_and_every_member_is_told(world: World) -> None:
    with pytest.raises(PermissionDenied):
        await world.guilds().delete_guild(MODERATOR.id, GUILD)
    with pytest.raises(NotFound):
        await world.guilds().delete_guild(OUTSIDER.id, GUILD)
    await world.guilds().delete_guild(OWNER.id, GUILD)
    assert GUILD not in world.storage.guilds.rows
    [event] = world.bus.events
    assert event.type == "GUILD_DELETE"
    assert event.user_ids == frozenset(u.id for u in GUILD_MEMBERS)


async def test_the_creator_joins_at_the_clocks_time(world: World) -> None:
    payload = await world.guilds().create_guild(OUTSIDER.id, "g")
    assert payload["members"][0]["joined_at"] == timestamp(utc_from_ms(NOW_MS))
