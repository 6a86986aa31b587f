"""ReactionService: reacting, taking reactions back, listing reactors, clearing reactions."""

from __future__ import annotations

import pytest

from accord.core.entities import Emoji
from accord.core.errors import (
    CannotMessageUser,
    LimitReached,
    NotFound,
    PermissionDenied,
    UnknownEmoji,
    ValidationError,
)
from accord.core.permissions import Permission
from accord.core.ports.storage import UserSettings
from accord.core.services.reactions import MAX_DISTINCT_REACTIONS
from accord.core.snowflake import Snowflake
from tests.unit.services.world import (
    GENERAL,
    GUILD,
    HELPER,
    MEMBER,
    MODERATOR,
    OUTSIDER,
    SECRET,
    STRANGER,
    World,
)

THUMBS = "👍"
HEART = "❤️"


async def reactors(world: World, message_id: int, emoji: str = THUMBS) -> list[str]:
    listed = await world.reactions().users(MODERATOR.id, GENERAL, str(message_id), emoji)
    return [u["id"] for u in listed]


async def test_a_reaction_is_stored_once_and_announced_once(world: World) -> None:
    posted = world.post(HELPER)
    await world.reactions().add(MEMBER.id, GENERAL, str(posted.id), THUMBS)
    await world.reactions().add(MEMBER.id, GENERAL, str(posted.id), THUMBS)
    assert await reactors(world, posted.id) == [str(MEMBER.id)]
    [event] = world.bus.events
    assert (event.type, event.guild_id, event.channel_id) == (
        "MESSAGE_REACTION_ADD",
        GUILD,
        GENERAL,
    )
    assert event.data["emoji"] == {"id": None, "name": THUMBS}
    assert event.data["message_author_id"] == str(HELPER.id)
    assert event.data["member"]["user"]["id"] == str(MEMBER.id)


async def test_a_new_emoji_needs_add_reactions_but_joining_one_does_not(world: World) -> None:
    posted = world.post(HELPER)
    await world.reactions().add(HELPER.id, GENERAL, str(posted.id), THUMBS)
    world.revoke_everyone(Permission.ADD_REACTIONS)
    await world.reactions().add(MEMBER.id, GENERAL, str(posted.id), THUMBS)
    with pytest.raises(PermissionDenied):
        await world.reactions().add(MEMBER.id, GENERAL, str(posted.id), HEART)
    assert await reactors(world, posted.id) == [str(HELPER.id), str(MEMBER.id)]


async def test_a_message_holds_at_most_twenty_distinct_emoji(world: World) -> None:
    posted = world.post(HELPER)
    for n in range(MAX_DISTINCT_REACTIONS):
        world.storage.reactions.rows[(posted.id, f"e{n}:{n + 1}")] = (
            Emoji(f"e{n}", Snowflake(n + 1)),
            [HELPER.id],
        )
    with pytest.raises(LimitReached) as refused:
        await world.reactions().add(MEMBER.id, GENERAL, str(posted.id), THUMBS)
    assert refused.value.discord_code == 30010
    await world.reactions().add(MEMBER.id, GENERAL, str(posted.id), "e0:1")  # an existing one


async def test_reacting_refusals(world: World) -> None:
    posted = world.post(HELPER)
    with pytest.raises(NotFound):
        await world.reactions().add(MEMBER.id, GENERAL, "999", THUMBS)
    with pytest.raises(NotFound):
        await world.reactions().add(MEMBER.id, SECRET, str(posted.id), THUMBS)
    with pytest.raises(NotFound):
        await world.reactions().add(OUTSIDER.id, GENERAL, str(posted.id), THUMBS)
    with pytest.raises(UnknownEmoji):
        await world.reactions().add(MEMBER.id, GENERAL, str(posted.id), "thumbs")
    world.revoke_everyone(Permission.READ_MESSAGE_HISTORY)
    with pytest.raises(PermissionDenied):
        await world.reactions().add(MEMBER.id, GENERAL, str(posted.id), THUMBS)
    assert world.bus.events == []


async def test_reacting_in_a_dm_needs_what_a_send_there_needs(world: World) -> None:
    """A shared guild or the recipient's consent, as for a message (50007 otherwise)."""
    dm = world.dm(OUTSIDER, STRANGER)
    posted = world.post(STRANGER, dm.id)
    with pytest.raises(CannotMessageUser) as refused:
        await world.reactions().add(OUTSIDER.id, dm.id, str(posted.id), THUMBS)
    assert refused.value.discord_code == 50007
    assert world.bus.events == []
    assert not world.storage.reactions.rows
    world.storage.users.settings[STRANGER.id] = UserSettings(allow_dms_from_anyone=True)
    await world.reactions().add(OUTSIDER.id, dm.id, str(posted.id), THUMBS)
    world.storage.users.settings[STRANGER.id] = UserSettings(allow_dms_from_anyone=False)
    # Taking one's reaction back out of a closed DM stays possible.
    await world.reactions().remove(OUTSIDER.id, dm.id, str(posted.id), THUMBS, "@me")
    assert not any(users for _, users in world.storage.reactions.rows.values())


async def test_reacting_in_a_guild_channel_asks_nothing_about_dms(world: World) -> None:
    async def no_dm_check(*_: object) -> None:
        raise AssertionError("a guild channel needs no DM standing")

    world.storage.users.dm_standing = no_dm_check  # type: ignore[method-assign]
    posted = world.post(HELPER)
    await world.reactions().add(MEMBER.id, GENERAL, str(posted.id), THUMBS)


async def test_taking_back_ones_own_reaction(world: World) -> None:
    posted = world.post(HELPER)
    await world.reactions().add(MEMBER.id, GENERAL, str(posted.id), THUMBS)
    world.bus.clear()
    await world.reactions().remove(MEMBER.id, GENERAL, str(posted.id), THUMBS, "@me")
    await world.reactions().remove(MEMBER.id, GENERAL, str(posted.id), THUMBS, "@me")
    assert await reactors(world, posted.id) == []
    [event] = world.bus.events
    assert (event.type, event.data["user_id"]) == ("MESSAGE_REACTION_REMOVE", str(MEMBER.id))
    with pytest.raises(NotFound):
        await world.reactions().remove(MEMBER.id, GENERAL, "999", THUMBS, "@me")


async def test_removing_anothers_reaction_needs_manage_messages(world: World) -> None:
    posted = world.post(HELPER)
    await world.reactions().add(HELPER.id, GENERAL, str(posted.id), THUMBS)
    with pytest.raises(PermissionDenied):
        await world.reactions().remove(MEMBER.id, GENERAL, str(posted.id), THUMBS, str(HELPER.id))
    await world.reactions().remove(MODERATOR.id, GENERAL, str(posted.id), THUMBS, str(HELPER.id))
    assert await reactors(world, posted.id) == []


async def test_listing_reactors_pages_by_user_id(world: World) -> None:
    posted = world.post(HELPER)
    for user in (MEMBER, HELPER, MODERATOR):
        await world.reactions().add(user.id, GENERAL, str(posted.id), THUMBS)
    service = world.reactions()
    page = await service.users(
        MEMBER.id, GENERAL, str(posted.id), THUMBS, after=str(MODERATOR.id), limit=1
    )
    assert [u["id"] for u in page] == [str(HELPER.id)]
    with pytest.raises(ValidationError):
        await service.users(MEMBER.id, GENERAL, str(posted.id), THUMBS, limit=101)
    with pytest.raises(NotFound):
        await service.users(MEMBER.id, GENERAL, "999", THUMBS)


async def test_clearing_needs_manage_messages_and_announces_what_went(world: World) -> None:
    posted = world.post(HELPER)
    for emoji in (THUMBS, HEART):
        await world.reactions().add(MEMBER.id, GENERAL, str(posted.id), emoji)
    world.bus.clear()
    with pytest.raises(PermissionDenied):
        await world.reactions().clear(MEMBER.id, GENERAL, str(posted.id))
    await world.reactions().clear(MODERATOR.id, GENERAL, str(posted.id), HEART)
    await world.reactions().clear(MODERATOR.id, GENERAL, str(posted.id), HEART)  # none left
    await world.reactions().clear(MODERATOR.id, GENERAL, str(posted.id))
    assert world.bus.types == ["MESSAGE_REACTION_REMOVE_EMOJI", "MESSAGE_REACTION_REMOVE_ALL"]
    assert world.bus.events[0].data["emoji"]["name"] == HEART
    assert await reactors(world, posted.id) == []
    with pytest.raises(NotFound):
        await world.reactions().clear(MODERATOR.id, GENERAL, "999")
