"""ApplicationService: bot applications, their tokens, and adding a bot to a guild (OAuth2)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from accord.core.entities import Application, Ban, User
from accord.core.errors import (
    BotsForbidden,
    Conflict,
    NotFound,
    PermissionDenied,
    Resource,
    ValidationError,
)
from accord.core.permissions import Permission
from accord.core.services.application_flags import INTENT_MESSAGE_CONTENT
from accord.core.services.applications import APP_DESCRIPTION_MAX, bot_username
from accord.core.services.auth import hash_secret
from accord.core.services.bot_authorization import MANAGED_ROLE_POSITION, BotAuthorization
from accord.core.snowflake import Snowflake
from tests.unit.services.world import (
    GUILD,
    HELPER,
    MEMBER,
    MODERATOR,
    OUTSIDER,
    OWNER,
    SECRET,
    World,
)

MESSAGE_CONTENT_LIMITED = 1 << 19


async def created(world: World, owner: User = MODERATOR) -> Application:
    payload = await world.applications().create(owner, "My App!")
    application = world.storage.applications.rows[Snowflake(int(payload["id"]))]
    assert world.storage.applications.token_hashes[application.id] == hash_secret(payload["token"])
    return application


async def test_create_makes_a_bot_user_and_shows_its_token_once(world: World) -> None:
    payload = await world.applications().create(
        MODERATOR, "My App!", "about", MESSAGE_CONTENT_LIMITED
    )
    app_id = Snowflake(int(payload["id"]))
    bot = world.storage.users.rows[app_id]  # the bot shares its application's id
    assert (bot.bot, bot.username, bot.approved_intents) == (True, "My_App", INTENT_MESSAGE_CONTENT)
    assert payload["token"] == payload["bot"]["token"]
    assert world.storage.applications.token_hashes[app_id] == hash_secret(payload["token"])
    assert (payload["owner"]["id"], payload["description"]) == (str(MODERATOR.id), "about")
    listed = await world.applications().list_owned(MODERATOR)
    assert [a["id"] for a in listed] == [payload["id"]]
    assert "token" not in listed[0]


def test_bot_usernames_are_made_valid() -> None:
    assert bot_username("Café Bot") == "Cafe_Bot"
    assert bot_username("!") == "bot"
    assert bot_username("x") == "x_bot"


async def test_create_refusals(world: World) -> None:
    with pytest.raises(ValidationError):
        await world.applications().create(MODERATOR, "")
    with pytest.raises(ValidationError):
        await world.applications().create(MODERATOR, "app", "x" * (APP_DESCRIPTION_MAX + 1))
    with pytest.raises(ValidationError):
        await world.applications().create(MODERATOR, "app", flags=1)
    bot = await created(world)
    with pytest.raises(BotsForbidden):
        await world.applications().create(bot.bot, "app")
    with pytest.raises(BotsForbidden):
        await world.applications().list_owned(bot.bot)


async def test_an_application_is_seen_by_its_owner_and_its_bot_only(world: World) -> None:
    application = await created(world)
    for caller in (MODERATOR.id, application.bot.id):
        assert (await world.applications().get(caller, application.id))["id"] == str(application.id)
    assert (await world.applications().get_current(application))["name"] == "My App!"
    with pytest.raises(NotFound) as refused:
        await world.applications().get(MEMBER.id, application.id)
    assert refused.value.resource is Resource.APPLICATION
    with pytest.raises(NotFound):
        await world.applications().get(MODERATOR.id, Snowflake(999))


async def test_only_the_owner_resets_the_bot_token(world: World) -> None:
    application = await created(world)
    before = world.storage.applications.token_hashes[application.id]
    with pytest.raises(NotFound):
        await world.applications().reset_bot_token(MEMBER, application.id)
    answer = await world.applications().reset_bot_token(MODERATOR, application.id)
    assert world.storage.applications.token_hashes[application.id] == hash_secret(answer["token"])
    assert hash_secret(answer["token"]) != before


def authorization(
    application: Application,
    permissions: object = None,
    *,
    client_id: object = None,
    scope: object = "bot applications.commands",
    guild_id: object = GUILD,
) -> BotAuthorization:
    """The authorize form for adding ``application``'s bot to the guild, with changes."""
    chosen = application.id if client_id is None else client_id
    return BotAuthorization(
        str(chosen), scope, None if guild_id is None else str(guild_id), permissions
    )


async def test_authorizing_adds_the_bot_with_a_managed_role_of_the_permissions(
    world: World,
) -> None:
    application = await created(world)
    wanted = Permission.SEND_MESSAGES | Permission.KICK_MEMBERS
    answer = await world.applications().authorize(
        MODERATOR, authorization(application, str(int(wanted)))
    )
    assert answer["joined"] is True
    role = world.storage.roles.rows[Snowflake(int(answer["role"]["id"]))]
    assert (role.name, role.permissions, role.position, role.managed) == (
        "My_App",
        wanted,
        MANAGED_ROLE_POSITION,
        True,
    )
    assert world.roles_of(application.bot) == (role.id,)
    assert world.bus.types == ["GUILD_ROLE_CREATE", "GUILD_CREATE", "GUILD_MEMBER_ADD"]
    guild_create = world.bus.events[1]
    assert guild_create.user_ids == frozenset({application.bot.id})
    assert str(SECRET) not in [c["id"] for c in guild_create.data["channels"]]


async def test_authorizing_without_permissions_adds_no_role(world: World) -> None:
    application = await created(world)
    answer = await world.applications().authorize(MODERATOR, authorization(application))
    assert answer["role"] is None
    assert world.bus.types == ["GUILD_CREATE", "GUILD_MEMBER_ADD"]


async def test_authorizing_a_bot_already_there_changes_nothing(world: World) -> None:
    application = await created(world)
    world.join(application.bot)
    answer = await world.applications().authorize(MODERATOR, authorization(application, "2048"))
    assert (answer["joined"], answer["role"]) == (False, None)
    assert world.bus.events == []


async def test_authorizing_needs_manage_guild_and_grants_only_what_the_caller_holds(
    world: World,
) -> None:
    application = await created(world)
    with pytest.raises(PermissionDenied):
        await world.applications().authorize(HELPER, authorization(application))
    with pytest.raises(NotFound) as refused:
        await world.applications().authorize(OUTSIDER, authorization(application))
    assert refused.value.resource is Resource.GUILD
    admin = str(int(Permission.ADMINISTRATOR))
    with pytest.raises(PermissionDenied):
        await world.applications().authorize(MODERATOR, authorization(application, admin))
    await world.applications().authorize(OWNER, authorization(application, admin))
    assert world.member(application.bot) is not None


async def test_a_private_bot_is_added_by_its_owner_only(world: World) -> None:
    application = await created(world)
    world.storage.applications.rows[application.id] = replace(application, bot_public=False)
    with pytest.raises(PermissionDenied):
        await world.applications().authorize(OWNER, authorization(application))
    await world.applications().authorize(MODERATOR, authorization(application))


async def test_a_banned_bot_cannot_be_added(world: World) -> None:
    application = await created(world)
    world.storage.bans.rows[(GUILD, application.id)] = Ban(GUILD, application.bot)
    with pytest.raises(Conflict):
        await world.applications().authorize(MODERATOR, authorization(application))


async def test_authorization_form_errors_are_reported_together(world: World) -> None:
    application = await created(world)
    form = authorization(application, "lots", client_id="x", guild_id="", scope="identify")
    with pytest.raises(ValidationError) as refused:
        await world.applications().authorize(MODERATOR, form)
    assert [e.field for e in refused.value.errors] == [
        "client_id",
        "guild_id",
        "scope",
        "permissions",
    ]
    with pytest.raises(ValidationError) as refused:
        await world.applications().authorize(
            MODERATOR, authorization(application, scope="bot email")
        )
    assert refused.value.errors[0].code == "SCOPE_INVALID"
    with pytest.raises(NotFound):
        await world.applications().authorize(MODERATOR, authorization(application, client_id="999"))
    bot = application.bot
    with pytest.raises(BotsForbidden):
        await world.applications().authorize(bot, authorization(application))
