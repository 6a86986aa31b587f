"""MessageService: sending (compose's checks too), reading, editing, deleting and pinning."""

from __future__ import annotations

import pytest

from accord.core.entities import MessageType
from accord.core.errors import (
    CannotMessageUser,
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from accord.core.permissions import Permission
from accord.core.ports.storage import UserSettings
from accord.core.services.message_compose import Draft
from accord.core.shapes import JSON
from accord.core.snowflake import Snowflake, snowflake_at
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

DAY_MS = 86_400_000


def message_ids(shapes: list[JSON]) -> list[Snowflake]:
    return [Snowflake(int(s["id"])) for s in shapes]


async def test_a_send_is_stored_and_published_with_the_authors_member(world: World) -> None:
    payload = await world.messages().create(MEMBER.id, GENERAL, Draft(f"hi <@{HELPER.id}>"))
    stored = world.storage.messages.rows[Snowflake(int(payload["id"]))]
    assert (stored.content, stored.author, stored.mention_ids) == (
        f"hi <@{HELPER.id}>",
        MEMBER,
        (HELPER.id,),
    )
    assert [u["id"] for u in payload["mentions"]] == [str(HELPER.id)]
    [event] = world.bus.events
    assert (event.type, event.guild_id, event.channel_id) == ("MESSAGE_CREATE", GUILD, GENERAL)
    assert event.data["member"]["roles"] == []
    assert {k: v for k, v in event.data.items() if k != "member"} == payload


async def test_a_reply_points_at_a_live_message_of_the_channel(world: World) -> None:
    earlier = world.post(HELPER)
    payload = await world.messages().create(
        MEMBER.id, GENERAL, Draft("yes", reply_to=str(earlier.id))
    )
    assert payload["type"] == MessageType.REPLY
    assert payload["message_reference"]["message_id"] == str(earlier.id)
    with pytest.raises(ValidationError) as refused:
        await world.messages().create(MEMBER.id, GENERAL, Draft("no", reply_to="999"))
    assert refused.value.errors[0].code == "REPLIES_UNKNOWN_MESSAGE"
    assert len(world.storage.messages.rows) == 2


async def test_a_repeated_enforced_nonce_returns_the_first_send(world: World) -> None:
    first = await world.messages().create(
        MEMBER.id, GENERAL, Draft("a", nonce="n1", enforce_nonce=True)
    )
    again = await world.messages().create(
        MEMBER.id, GENERAL, Draft("a", nonce="n1", enforce_nonce=True)
    )
    assert again["id"] == first["id"]
    assert world.bus.types == ["MESSAGE_CREATE"]


async def test_mention_everyone_and_tts_need_their_permissions(world: World) -> None:
    sent = await world.messages().create(MEMBER.id, GENERAL, Draft("@everyone", tts=True))
    assert (sent["mention_everyone"], sent["tts"]) == (True, False)
    world.revoke_everyone(Permission.MENTION_EVERYONE)
    world.grant_everyone(Permission.SEND_TTS_MESSAGES)
    sent = await world.messages().create(MEMBER.id, GENERAL, Draft("@here", tts=True))
    assert (sent["mention_everyone"], sent["tts"]) == (False, True)


async def test_sends_are_refused_where_the_author_may_not_send(world: World) -> None:
    service = world.messages()
    with pytest.raises(NotFound):
        await service.create(MEMBER.id, SECRET, Draft("x"))
    with pytest.raises(NotFound):
        await service.create(OUTSIDER.id, GENERAL, Draft("x"))
    with pytest.raises(Conflict) as refused:
        await service.create(MODERATOR.id, CATEGORY, Draft("x"))
    assert refused.value.discord_code == 50008
    with pytest.raises(ValidationError):
        await service.create(MEMBER.id, GENERAL, Draft(""))
    with pytest.raises(ValidationError):
        await service.create(MEMBER.id, GENERAL, Draft("x", nonce=["not", "a", "nonce"]))
    world.revoke_everyone(Permission.SEND_MESSAGES)
    with pytest.raises(PermissionDenied):
        await service.create(MEMBER.id, GENERAL, Draft("x"))
    assert world.storage.messages.rows == {}
    assert world.bus.events == []


async def test_a_dm_send_goes_to_its_recipients(world: World) -> None:
    dm = world.dm(MEMBER, HELPER)
    await world.messages().create(MEMBER.id, dm.id, Draft("psst"))
    [event] = world.bus.events
    assert (event.user_ids, event.guild_id) == (frozenset({MEMBER.id, HELPER.id}), None)
    assert "member" not in event.data


async def test_a_dm_to_someone_sharing_no_guild_needs_their_consent(world: World) -> None:
    dm = world.dm(OUTSIDER, STRANGER)
    with pytest.raises(CannotMessageUser):
        await world.messages().create(OUTSIDER.id, dm.id, Draft("hello?"))
    world.storage.users.settings[STRANGER.id] = UserSettings(allow_dms_from_anyone=True)
    await world.messages().create(OUTSIDER.id, dm.id, Draft("hello?"))
    assert world.bus.types == ["MESSAGE_CREATE"]


async def test_get_reads_one_message_with_history_permission(world: World) -> None:
    posted = world.post(HELPER)
    assert (await world.messages().get(MEMBER.id, GENERAL, str(posted.id)))["content"] == "hello"
    with pytest.raises(NotFound):
        await world.messages().get(MEMBER.id, GENERAL, "999")
    with pytest.raises(NotFound):
        await world.messages().get(MEMBER.id, SECRET, str(posted.id))
    world.revoke_everyone(Permission.READ_MESSAGE_HISTORY)
    with pytest.raises(PermissionDenied):
        await world.messages().get(MEMBER.id, GENERAL, str(posted.id))


async def test_history_pages_newest_first(world: World) -> None:
    posted = [world.post(HELPER, content=str(n)) for n in range(5)]
    ids = [m.id for m in posted]
    service = world.messages()
    assert message_ids(await service.history(MEMBER.id, GENERAL)) == ids[::-1]
    assert message_ids(await service.history(MEMBER.id, GENERAL, limit=2)) == ids[:2:-1][:2]
    assert message_ids(await service.history(MEMBER.id, GENERAL, before=str(ids[2]))) == [
        ids[1],
        ids[0],
    ]
    after = await service.history(MEMBER.id, GENERAL, after=str(ids[2]), limit=1)
    assert message_ids(after) == [ids[3]]
    around = await service.history(MEMBER.id, GENERAL, around=str(ids[2]), limit=3)
    assert message_ids(around) == [ids[3], ids[2], ids[1]]


async def test_history_refusals(world: World) -> None:
    service = world.messages()
    with pytest.raises(ValidationError):
        await service.history(MEMBER.id, GENERAL, before="1", after="2")
    with pytest.raises(ValidationError):
        await service.history(MEMBER.id, GENERAL, limit=101)
    with pytest.raises(Conflict):
        await service.history(MODERATOR.id, CATEGORY)
    with pytest.raises(NotFound):
        await service.history(OUTSIDER.id, GENERAL)


async def test_history_without_read_history_is_an_empty_page(world: World) -> None:
    world.post(HELPER)
    world.revoke_everyone(Permission.READ_MESSAGE_HISTORY)
    assert await world.messages().history(MEMBER.id, GENERAL) == []
    assert await world.messages().pins(MEMBER.id, GENERAL) == []


async def test_only_the_author_edits(world: World) -> None:
    posted = world.post(MEMBER)
    payload = await world.messages().edit(MEMBER.id, GENERAL, str(posted.id), f"<@{HELPER.id}>")
    assert payload["edited_timestamp"] is not None
    assert world.storage.messages.rows[posted.id].mention_ids == (HELPER.id,)
    [event] = world.bus.events
    assert (event.type, event.data["content"]) == ("MESSAGE_UPDATE", f"<@{HELPER.id}>")
    with pytest.raises(PermissionDenied):
        await world.messages().edit(MODERATOR.id, GENERAL, str(posted.id), "mine now")
    with pytest.raises(NotFound):
        await world.messages().edit(MEMBER.id, GENERAL, "999", "x")
    with pytest.raises(ValidationError):
        await world.messages().edit(MEMBER.id, GENERAL, str(posted.id), "")


async def test_authors_delete_their_own_and_moderators_anyones(world: World) -> None:
    own, other = world.post(MEMBER), world.post(HELPER)
    await world.messages().delete(MEMBER.id, GENERAL, str(own.id))
    with pytest.raises(PermissionDenied):
        await world.messages().delete(MEMBER.id, GENERAL, str(other.id))
    await world.messages().delete(MODERATOR.id, GENERAL, str(other.id))
    assert world.storage.messages.rows == {}
    assert [(e.type, e.data["id"]) for e in world.bus.events] == [
        ("MESSAGE_DELETE", str(own.id)),
        ("MESSAGE_DELETE", str(other.id)),
    ]
    with pytest.raises(NotFound):
        await world.messages().delete(MODERATOR.id, GENERAL, str(other.id))


async def test_bulk_delete_removes_the_live_ones_in_one_event(world: World) -> None:
    posted = [world.post(HELPER) for _ in range(3)]
    never_sent = world.ids.next_id()
    wanted = [str(posted[0].id), str(posted[2].id), str(posted[0].id), str(never_sent)]
    await world.messages().bulk_delete(MODERATOR.id, GENERAL, wanted)
    assert list(world.storage.messages.rows) == [posted[1].id]
    [event] = world.bus.events
    assert (event.type, event.data["ids"]) == (
        "MESSAGE_DELETE_BULK",
        [str(posted[0].id), str(posted[2].id)],
    )


async def test_bulk_delete_refusals(world: World) -> None:
    posted = [world.post(HELPER), world.post(HELPER)]
    wanted = [str(m.id) for m in posted]
    with pytest.raises(PermissionDenied):
        await world.messages().bulk_delete(MEMBER.id, GENERAL, wanted)
    with pytest.raises(ValidationError):
        await world.messages().bulk_delete(MODERATOR.id, GENERAL, wanted[:1])
    with pytest.raises(ValidationError):
        await world.messages().bulk_delete(MODERATOR.id, GENERAL, wanted * 51)
    old = world.post(HELPER, message_id=snowflake_at(NOW_MS - 15 * DAY_MS))
    with pytest.raises(Conflict) as refused:
        await world.messages().bulk_delete(MODERATOR.id, GENERAL, [*wanted, str(old.id)])
    assert refused.value.discord_code == 50034
    assert len(world.storage.messages.rows) == 3


async def test_pinning_needs_manage_messages_and_announces_changes_only(world: World) -> None:
    posted = world.post(HELPER)
    with pytest.raises(PermissionDenied):
        await world.messages().set_pinned(MEMBER.id, GENERAL, str(posted.id), True)
    await world.messages().set_pinned(MODERATOR.id, GENERAL, str(posted.id), True)
    await world.messages().set_pinned(MODERATOR.id, GENERAL, str(posted.id), True)
    assert message_ids(await world.messages().pins(MEMBER.id, GENERAL)) == [posted.id]
    [event] = world.bus.events
    assert (event.type, event.data["channel_id"]) == ("CHANNEL_PINS_UPDATE", str(GENERAL))
    await world.messages().set_pinned(MODERATOR.id, GENERAL, str(posted.id), False)
    assert await world.messages().pins(MEMBER.id, GENERAL) == []
    with pytest.raises(NotFound):
        await world.messages().set_pinned(MODERATOR.id, GENERAL, "999", True)
