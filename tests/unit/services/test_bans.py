"""BanService: listing and reading bans, banning (with recent messages) and unbanning."""

from __future__ import annotations

import pytest

from accord.core.entities import Ban, User
from accord.core.errors import NotFound, PermissionDenied, Resource, ValidationError
from accord.core.snowflake import Snowflake, snowflake_at
from accord.core.validation import REASON_MAX
from tests.unit.services.world import (
    GENERAL,
    GUILD,
    HELPER,
    MEMBER,
    MODERATOR,
    NOW_MS,
    OUTSIDER,
    OWNER,
    PEER,
    SECRET,
    STRANGER,
    World,
)

DAY_MS = 86_400_000


def banned(world: World) -> set[Snowflake]:
    return {u for g, u in world.storage.bans.rows if g == GUILD}


async def test_banning_a_member_removes_them_and_tells_everyone_concerned(world: World) -> None:
    await world.bans().ban(MODERATOR.id, GUILD, HELPER.id, reason="spam")
    assert world.member(HELPER) is None
    assert world.storage.bans.rows[(GUILD, HELPER.id)].reason == "spam"
    add, remove, gone = world.bus.events
    assert (add.type, add.affects) == ("GUILD_BAN_ADD", frozenset({HELPER.id}))
    assert add.data["user"]["id"] == str(HELPER.id)
    assert (remove.type, gone.type, gone.user_ids) == (
        "GUILD_MEMBER_REMOVE",
        "GUILD_DELETE",
        frozenset({HELPER.id}),
    )


async def test_banning_someone_outside_the_guild_keeps_them_out(world: World) -> None:
    await world.bans().ban(MODERATOR.id, GUILD, OUTSIDER.id)
    assert banned(world) == {OUTSIDER.id}
    [event] = world.bus.events
    assert (event.type, event.affects) == ("GUILD_BAN_ADD", frozenset())


async def test_a_second_ban_changes_nothing(world: World) -> None:
    await world.bans().ban(MODERATOR.id, GUILD, OUTSIDER.id, reason="first")
    await world.bans().ban(MODERATOR.id, GUILD, OUTSIDER.id, reason="second")
    assert world.storage.bans.rows[(GUILD, OUTSIDER.id)].reason == "first"
    assert world.bus.types == ["GUILD_BAN_ADD"]


async def test_a_ban_deletes_the_messages_of_the_chosen_window(world: World) -> None:
    old = world.post(HELPER, message_id=snowflake_at(NOW_MS - 2 * DAY_MS))
    recent = [world.post(HELPER), world.post(HELPER, SECRET), world.post(HELPER)]
    others = world.post(MEMBER)
    await world.bans().ban(MODERATOR.id, GUILD, HELPER.id, delete_message_seconds=86_400)
    assert set(world.storage.messages.rows) == {old.id, others.id}
    deleted = [e for e in world.bus.events if e.type.startswith("MESSAGE_DELETE")]
    assert [(e.type, e.channel_id) for e in deleted] == [
        ("MESSAGE_DELETE_BULK", GENERAL),
        ("MESSAGE_DELETE", SECRET),
    ]
    assert deleted[0].data["ids"] == [str(recent[0].id), str(recent[2].id)]


async def test_delete_message_days_is_understood_too(world: World) -> None:
    world.post(HELPER, message_id=snowflake_at(NOW_MS - 2 * DAY_MS))
    await world.bans().ban(MODERATOR.id, GUILD, HELPER.id, delete_message_days=3)
    assert world.storage.messages.rows == {}


@pytest.mark.parametrize(
    ("caller", "target"), [(MEMBER, HELPER), (MODERATOR, PEER), (MODERATOR, OWNER)]
)
async def test_ban_needs_the_permission_and_a_higher_rank(
    world: World, caller: User, target: User
) -> None:
    with pytest.raises(PermissionDenied):
        await world.bans().ban(caller.id, GUILD, target.id)
    assert banned(world) == set()
    assert world.bus.events == []


@pytest.mark.parametrize(
    "options",
    [
        {"delete_message_seconds": 604_801},
        {"delete_message_days": 8},
        {"delete_message_seconds": "1"},
        {"reason": "x" * (REASON_MAX + 1)},
    ],
)
async def test_ban_refuses_bad_options(world: World, options: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        await world.bans().ban(MODERATOR.id, GUILD, HELPER.id, **options)  # type: ignore[arg-type]
    assert world.member(HELPER) is not None


async def test_banning_an_unknown_user_is_404(world: World) -> None:
    with pytest.raises(NotFound) as refused:
        await world.bans().ban(MODERATOR.id, GUILD, Snowflake(999))
    assert refused.value.resource is Resource.USER


async def test_list_and_get_bans_need_ban_members(world: World) -> None:
    for user in (STRANGER, OUTSIDER):
        world.storage.bans.rows[(GUILD, user.id)] = Ban(GUILD, user, None)
    listed = await world.bans().list_bans(MODERATOR.id, GUILD)
    assert [b["user"]["id"] for b in listed] == [str(OUTSIDER.id), str(STRANGER.id)]
    page = await world.bans().list_bans(MODERATOR.id, GUILD, after=str(OUTSIDER.id), limit=5)
    assert [b["user"]["id"] for b in page] == [str(STRANGER.id)]
    assert (await world.bans().get_ban(MODERATOR.id, GUILD, OUTSIDER.id))["reason"] is None
    with pytest.raises(PermissionDenied):
        await world.bans().list_bans(MEMBER.id, GUILD)
    with pytest.raises(PermissionDenied):
        await world.bans().get_ban(MEMBER.id, GUILD, OUTSIDER.id)
    with pytest.raises(NotFound):
        await world.bans().list_bans(OUTSIDER.id, GUILD)


async def test_list_bans_refuses_before_and_bad_limits(world: World) -> None:
    with pytest.raises(ValidationError):
        await world.bans().list_bans(MODERATOR.id, GUILD, before="5")
    with pytest.raises(ValidationError):
        await world.bans().list_bans(MODERATOR.id, GUILD, limit=0)


async def test_unban_lifts_the_ban_and_announces_it(world: World) -> None:
    with pytest.raises(NotFound) as refused:
        await world.bans().get_ban(MODERATOR.id, GUILD, OUTSIDER.id)
    assert refused.value.resource is Resource.BAN
    world.storage.bans.rows[(GUILD, OUTSIDER.id)] = Ban(GUILD, OUTSIDER, "spam")
    with pytest.raises(PermissionDenied):
        await world.bans().unban(MEMBER.id, GUILD, OUTSIDER.id)
    await world.bans().unban(MODERATOR.id, GUILD, OUTSIDER.id)
    assert banned(world) == set()
    [event] = world.bus.events
    assert (event.type, event.data["user"]["id"]) == ("GUILD_BAN_REMOVE", str(OUTSIDER.id))
    with pytest.raises(NotFound):
        await world.bans().unban(MODERATOR.id, GUILD, OUTSIDER.id)
