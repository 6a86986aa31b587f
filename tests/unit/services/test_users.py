"""UserService: the caller's profile, guild list, DMs and settings, and deleting the account."""

from __future__ import annotations

import base64
from dataclasses import replace

import pytest

from accord.core.entities import Guild, User
from accord.core.errors import (
    BotsForbidden,
    CannotMessageUser,
    Conflict,
    NotFound,
    ValidationError,
)
from accord.core.events import Event
from accord.core.ports.storage import AccountDeletion, UserSettings
from accord.core.services.auth import Principal
from accord.core.services.users import GuildPage, ProfileChanges, deleted_username
from accord.core.snowflake import Snowflake
from tests.unit.services.world import (
    GENERAL,
    GUILD,
    HELPER,
    MEMBER,
    MODERATOR,
    OUTSIDER,
    OWNER,
    STRANGER,
    World,
)

PNG = "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 8).decode()
OTHER_GUILD = Snowflake(101)
# Signed-in callers; each person's password is their username (see World.auth).
AS_MEMBER = Principal(MEMBER, session_id=Snowflake(900))
AS_OWNER = Principal(OWNER, session_id=Snowflake(901))


async def test_a_profile_change_is_stored_and_told_to_the_caller_only(world: World) -> None:
    changes = ProfileChanges(
        username="renamed", username_set=True, global_name="Re", global_name_set=True
    )
    payload = await world.users().modify_me(AS_MEMBER, changes)
    assert (payload["username"], payload["global_name"]) == ("renamed", "Re")
    assert payload["email"] == "member@example.com"
    assert world.storage.users.rows[MEMBER.id].username == "renamed"
    [event] = world.bus.events
    assert (event.type, event.user_ids) == ("USER_UPDATE", frozenset({MEMBER.id}))


async def test_an_avatar_is_kept_as_its_hash_and_null_clears_it(world: World) -> None:
    payload = await world.users().modify_me(AS_MEMBER, ProfileChanges(avatar=PNG, avatar_set=True))
    assert payload["avatar"] and len(payload["avatar"]) == 32
    cleared = await world.users().modify_me(AS_MEMBER, ProfileChanges(avatar=None, avatar_set=True))
    assert cleared["avatar"] is None


async def test_an_unchanged_profile_publishes_nothing(world: World) -> None:
    await world.users().modify_me(AS_MEMBER, ProfileChanges(username="member", username_set=True))
    assert world.bus.events == []


async def test_every_bad_field_is_reported_together(world: World) -> None:
    changes = ProfileChanges(
        username="no spaces",
        username_set=True,
        global_name="x" * 33,
        global_name_set=True,
        avatar="data:text/plain;base64,aGk=",
        avatar_set=True,
    )
    with pytest.raises(ValidationError) as refused:
        await world.users().modify_me(AS_MEMBER, changes)
    assert [e.field for e in refused.value.errors] == ["username", "global_name", "avatar"]


async def test_a_taken_username_is_a_field_error(world: World) -> None:
    changes = ProfileChanges(username="helper", username_set=True)
    with pytest.raises(ValidationError) as refused:
        await world.users().modify_me(AS_MEMBER, changes)
    assert (refused.value.errors[0].field, refused.value.errors[0].code) == (
        "username",
        "USERNAME_ALREADY_TAKEN",
    )


async def test_my_guilds_say_whether_i_own_them_and_what_i_may_do(world: World) -> None:
    [owned] = await world.users().list_my_guilds(OWNER.id, GuildPage(with_counts=True))
    assert (owned["id"], owned["owner"], owned["approximate_member_count"]) == (str(GUILD), True, 5)
    [joined] = await world.users().list_my_guilds(MODERATOR.id, GuildPage())
    assert joined["owner"] is False
    assert int(joined["permissions"]) & (1 << 1)  # KICK_MEMBERS, from the moderator role
    assert await world.users().list_my_guilds(OUTSIDER.id, GuildPage()) == []


async def test_my_guilds_page_by_id(world: World) -> None:
    world.storage.guilds.rows[OTHER_GUILD] = Guild(OTHER_GUILD, "other", OWNER.id)
    world.join(MEMBER, guild_id=OTHER_GUILD)
    ids = [g["id"] for g in await world.users().list_my_guilds(MEMBER.id, GuildPage(limit=1))]
    assert ids == [str(GUILD)]
    later = await world.users().list_my_guilds(MEMBER.id, GuildPage(after=GUILD))
    assert [g["id"] for g in later] == [str(OTHER_GUILD)]
    earlier = await world.users().list_my_guilds(MEMBER.id, GuildPage(before=OTHER_GUILD))
    assert [g["id"] for g in earlier] == [str(GUILD)]


async def test_opening_a_dm_with_a_guildmate_creates_it_once(world: World) -> None:
    first = await world.users().open_dm(MEMBER, str(HELPER.id))
    again = await world.users().open_dm(MEMBER, str(HELPER.id))
    assert first["id"] == again["id"]
    assert [r["id"] for r in first["recipients"]] == [str(HELPER.id)]
    [event] = world.bus.events
    assert (event.type, event.user_ids) == ("CHANNEL_CREATE", frozenset({MEMBER.id}))
    [listed] = await world.users().list_my_dms(HELPER.id)
    assert [r["id"] for r in listed["recipients"]] == [str(MEMBER.id)]


async def test_a_dm_with_someone_sharing_no_guild_needs_their_consent(world: World) -> None:
    with pytest.raises(CannotMessageUser):
        await world.users().open_dm(OUTSIDER, str(STRANGER.id))
    world.storage.users.settings[STRANGER.id] = UserSettings(allow_dms_from_anyone=True)
    await world.users().open_dm(OUTSIDER, str(STRANGER.id))
    # Once it exists it reopens whatever the consent says now.
    world.storage.users.settings[STRANGER.id] = UserSettings()
    await world.users().open_dm(OUTSIDER, str(STRANGER.id))


async def test_open_dm_refusals(world: World) -> None:
    with pytest.raises(ValidationError):
        await world.users().open_dm(MEMBER, str(MEMBER.id))
    with pytest.raises(ValidationError):
        await world.users().open_dm(MEMBER, "me")
    with pytest.raises(NotFound):
        await world.users().open_dm(MEMBER, "999")
    bot = world.storage.users.put(User(Snowflake(90), "bot", bot=True))
    other = world.storage.users.put(User(Snowflake(91), "other_bot", bot=True))
    world.join(bot)
    world.join(other)
    with pytest.raises(CannotMessageUser):
        await world.users().open_dm(bot, str(other.id))
    assert world.bus.events == []


async def test_settings_are_read_and_changed_by_people_only(world: World) -> None:
    assert await world.users().get_settings(MEMBER) == {"allow_dms_from_anyone": False}
    changed = await world.users().modify_settings(MEMBER, allow_dms_from_anyone=True)
    assert changed == {"allow_dms_from_anyone": True}
    assert await world.users().modify_settings(MEMBER, None) == changed
    bot = world.storage.users.put(User(Snowflake(90), "bot", bot=True))
    with pytest.raises(BotsForbidden):
        await world.users().get_settings(bot)
    with pytest.raises(BotsForbidden):
        await world.users().modify_settings(bot, True)


async def test_deleting_an_account_leaves_every_guild_under_the_deleted_name(
    world: World,
) -> None:
    world.post(MEMBER, GENERAL, "kept")
    await world.users().delete_account(AS_MEMBER, "member")
    assert MEMBER.id not in world.storage.users.accounts
    assert world.storage.users.rows[MEMBER.id].username == deleted_username(MEMBER.id)
    assert world.member(MEMBER) is None
    assert world.bus.types == ["GUILD_MEMBER_REMOVE", "GUILD_DELETE"]
    assert world.bus.events[0].data["user"]["username"] == deleted_username(MEMBER.id)
    assert len(world.storage.messages.rows) == 1  # what it wrote stays


async def test_an_owner_cannot_delete_their_account(world: World) -> None:
    with pytest.raises(Conflict) as refused:
        await world.users().delete_account(AS_OWNER, "owner")
    assert refused.value.discord_code == 40011
    assert OWNER.id in world.storage.users.accounts
    assert world.invalidations.announced == [] and world.bus.events == []


async def test_deleting_an_account_needs_its_password(world: World) -> None:
    with pytest.raises(ValidationError) as refused:
        await world.users().delete_account(AS_MEMBER, "not it")
    assert refused.value.errors[0].code == "PASSWORD_DOES_NOT_MATCH"
    assert MEMBER.id in world.storage.users.accounts and world.member(MEMBER) is not None
    assert world.invalidations.announced == [] and world.bus.events == []


async def test_a_deletion_announces_the_ended_logins_before_telling_any_guild(
    world: World,
) -> None:
    """Were the request cut short after storage, its logins must already be let go of."""
    announced_when_published: list[int] = []
    record = world.bus.publish

    async def publish(event: Event) -> None:
        announced_when_published.append(len(world.invalidations.announced))
        await record(event)

    world.bus.publish = publish  # type: ignore[method-assign]
    await world.users().delete_account(AS_MEMBER, "member")
    assert world.invalidations.announced == [("logins", MEMBER.id)]
    assert announced_when_published == [1, 1]


async def test_ownership_given_after_the_password_check_refuses_the_deletion(
    world: World,
) -> None:
    """The ownership check is the storage's, made with the deletion: not an earlier read."""
    delete = world.storage.users.delete_account

    async def transfer_first(user_id: Snowflake, username: str) -> AccountDeletion:
        world.storage.guilds.rows[GUILD] = Guild(GUILD, "guild", MEMBER.id)
        return await delete(user_id, username)

    world.storage.users.delete_account = transfer_first  # type: ignore[method-assign]
    with pytest.raises(Conflict):
        await world.users().delete_account(AS_MEMBER, "member")
    assert MEMBER.id in world.storage.users.accounts
    assert world.invalidations.announced == [] and world.bus.events == []


async def test_a_guild_joined_after_the_password_check_is_left_too(world: World) -> None:
    world.storage.guilds.rows[OTHER_GUILD] = Guild(OTHER_GUILD, "other", OWNER.id)
    delete = world.storage.users.delete_account

    async def join_first(user_id: Snowflake, username: str) -> AccountDeletion:
        world.join(MEMBER, guild_id=OTHER_GUILD)
        return await delete(user_id, username)

    world.storage.users.delete_account = join_first  # type: ignore[method-assign]
    await world.users().delete_account(AS_MEMBER, "member")
    assert world.storage.members.rows.get((OTHER_GUILD, MEMBER.id)) is None
    removals = world.bus.of_type("GUILD_MEMBER_REMOVE")
    assert [e.guild_id for e in removals] == [GUILD, OTHER_GUILD]


async def test_bots_have_no_account_to_delete(world: World) -> None:
    bot = world.storage.users.put(User(Snowflake(90), "bot", bot=True))
    with pytest.raises(BotsForbidden):
        await world.users().delete_account(Principal(bot), "anything")


# -- password changes (PATCH /users/@me with password) -----------------------------------


async def test_a_password_change_ends_every_login_and_answers_a_new_one(world: World) -> None:
    changes = ProfileChanges(password="member", new_password="a brand new secret")
    payload = await world.users().modify_me(AS_MEMBER, changes)
    assert payload["id"] == str(MEMBER.id)
    assert {"token", "refresh_token", "expires_in"} <= payload.keys()
    account = world.storage.users.accounts[MEMBER.id]
    assert account.password_hash == "hashed:a brand new secret"
    assert ("logins", MEMBER.id) in world.invalidations.announced
    who = await world.auth().authenticate(f"Bearer {payload['token']}")
    assert who.user.id == MEMBER.id


async def test_a_wrong_current_password_changes_nothing(world: World) -> None:
    changes = ProfileChanges(
        username="renamed", username_set=True, password="not it", new_password="a brand new secret"
    )
    with pytest.raises(ValidationError) as refused:
        await world.users().modify_me(AS_MEMBER, changes)
    assert refused.value.errors[0].code == "PASSWORD_DOES_NOT_MATCH"
    assert world.storage.users.rows[MEMBER.id].username == "member"
    assert world.storage.users.accounts[MEMBER.id].password_hash == "hashed:member"
    assert world.invalidations.announced == [] and world.bus.events == []


async def test_a_password_alone_is_checked_and_the_profile_changed(world: World) -> None:
    changes = ProfileChanges(global_name="Mem", global_name_set=True, password="member")
    payload = await world.users().modify_me(AS_MEMBER, changes)
    assert payload["global_name"] == "Mem" and "token" not in payload
    with pytest.raises(ValidationError):
        await world.users().modify_me(AS_MEMBER, replace(changes, password="wrong"))


async def test_a_new_password_may_not_hold_the_name_it_comes_with(world: World) -> None:
    changes = ProfileChanges(
        username="zebrafish", username_set=True, password="member", new_password="zebrafish rule"
    )
    with pytest.raises(ValidationError) as refused:
        await world.users().modify_me(AS_MEMBER, changes)
    assert refused.value.errors[0].field == "new_password"
    assert world.storage.users.rows[MEMBER.id].username == "member"
