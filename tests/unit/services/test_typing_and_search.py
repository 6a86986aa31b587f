"""TypingService (the throttled typing indicator) and SearchService (message search)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from accord.adapters.memory.ratelimit import InMemoryRateLimiter
from accord.core.errors import (
    CannotMessageUser,
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from accord.core.permissions import Permission
from accord.core.ports.storage import UserSettings
from accord.core.services.message_search import QUERY_MAX, SearchQuery
from accord.core.services.typing_indicator import TYPING_THROTTLE, TypingService
from accord.core.snowflake import Snowflake
from tests.unit.services.world import (
    CATEGORY,
    GENERAL,
    GUILD,
    HELPER,
    MEMBER,
    MODERATOR,
    NOW_MS,
    OUTSIDER,
    SECRET,
    STRANGER,
    World,
)


def typing(world: World) -> TypingService:
    return TypingService(world.storage, world.bus, InMemoryRateLimiter(world.clock), world.clock)


async def test_typing_is_announced_at_most_once_per_window(world: World) -> None:
    service = typing(world)
    assert await service.start(MEMBER.id, GENERAL) is True
    assert await service.start(MEMBER.id, GENERAL) is False
    world.clock.advance(int(TYPING_THROTTLE.window * 1000))
    assert await service.start(MEMBER.id, GENERAL) is True
    first = world.bus.events[0]
    assert (first.type, first.channel_id) == ("TYPING_START", GENERAL)
    assert first.data["timestamp"] == NOW_MS // 1000
    assert first.data["member"]["user"]["id"] == str(MEMBER.id)
    assert len(world.bus.events) == 2


async def test_typing_in_a_dm_goes_to_its_recipients(world: World) -> None:
    dm = world.dm(MEMBER, HELPER)
    await typing(world).start(MEMBER.id, dm.id)
    [event] = world.bus.events
    assert event.user_ids == frozenset({MEMBER.id, HELPER.id})
    assert "member" not in event.data


async def test_typing_in_a_dm_needs_what_a_send_there_needs(world: World) -> None:
    """A shared guild or the recipient's consent, as for a message (50007 otherwise)."""
    dm = world.dm(OUTSIDER, STRANGER)
    with pytest.raises(CannotMessageUser) as refused:
        await typing(world).start(OUTSIDER.id, dm.id)
    assert refused.value.discord_code == 50007
    assert world.bus.events == []
    world.storage.users.settings[STRANGER.id] = UserSettings(allow_dms_from_anyone=True)
    assert await typing(world).start(OUTSIDER.id, dm.id) is True
    with pytest.raises(CannotMessageUser):  # consent goes one way
        await typing(world).start(STRANGER.id, dm.id)


async def test_typing_in_a_guild_channel_asks_nothing_about_dms(world: World) -> None:
    async def no_dm_check(*_: object) -> None:
        raise AssertionError("a guild channel needs no DM standing")

    world.storage.users.dm_standing = no_dm_check  # type: ignore[method-assign]
    assert await typing(world).start(MEMBER.id, GENERAL) is True


async def test_typing_needs_a_text_channel_the_caller_may_send_in(world: World) -> None:
    service = typing(world)
    with pytest.raises(Conflict):
        await service.start(MODERATOR.id, CATEGORY)
    with pytest.raises(NotFound):
        await service.start(MEMBER.id, SECRET)
    world.revoke_everyone(Permission.SEND_MESSAGES)
    with pytest.raises(PermissionDenied):
        await service.start(MEMBER.id, GENERAL)
    assert world.bus.events == []


async def found(world: World, caller: Snowflake, query: SearchQuery) -> list[str]:
    result = await world.search().search(caller, GUILD, query)
    assert result["total_results"] == len(result["messages"])
    return [hits[0]["content"] for hits in result["messages"]]


async def test_search_finds_only_in_channels_the_caller_may_read(world: World) -> None:
    world.post(HELPER, GENERAL, "public news")
    world.post(MODERATOR, SECRET, "secret news")
    world.post(HELPER, GENERAL, "other")
    assert await found(world, MEMBER.id, SearchQuery("news")) == ["public news"]
    assert await found(world, MODERATOR.id, SearchQuery("news")) == ["secret news", "public news"]
    assert await found(world, MODERATOR.id, SearchQuery("news", channel_ids=[str(GENERAL)])) == [
        "public news"
    ]


async def test_search_finds_nothing_where_history_is_hidden(world: World) -> None:
    world.post(HELPER, GENERAL, "news")
    world.revoke_everyone(Permission.READ_MESSAGE_HISTORY)
    assert await found(world, MEMBER.id, SearchQuery("news")) == []


async def test_search_marks_hits_and_resolves_mentions(world: World) -> None:
    posted = world.post(HELPER, GENERAL, f"news for <@{MEMBER.id}>")
    world.storage.messages.rows[posted.id] = replace(posted, mention_ids=(MEMBER.id,))
    result = await world.search().search(MEMBER.id, GUILD, SearchQuery("news"))
    [[hit]] = result["messages"]
    assert hit["hit"] is True
    assert [u["id"] for u in hit["mentions"]] == [str(MEMBER.id)]


@pytest.mark.parametrize(
    "query",
    [
        SearchQuery(None),
        SearchQuery("   "),
        SearchQuery("x" * (QUERY_MAX + 1)),
        SearchQuery("x", limit=26),
        SearchQuery("x", offset=-1),
        SearchQuery("x", channel_ids=["nope"]),
    ],
)
async def test_search_refuses_bad_queries(world: World, query: SearchQuery) -> None:
    with pytest.raises(ValidationError):
        await world.search().search(MEMBER.id, GUILD, query)


async def test_search_is_for_members(world: World) -> None:
    with pytest.raises(NotFound):
        await world.search().search(OUTSIDER.id, GUILD, SearchQuery("news"))
