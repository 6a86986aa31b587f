"""InviteService: creating, listing, previewing, accepting and revoking invites."""

from __future__ import annotations

from datetime import timedelta

import pytest

from accord.core.clock import utc_from_ms
from accord.core.entities import Ban, Invite, Role
from accord.core.errors import Conflict, NotFound, PermissionDenied, Resource, ValidationError
from accord.core.permissions import Permission
from accord.core.services import invites as invites_module
from accord.core.services.invites import CODE_ATTEMPTS, InviteDraft
from accord.core.validation import INVITE_MAX_AGE, INVITE_MAX_USES
from tests.unit.services.world import (
    CATEGORY,
    GENERAL,
    GUILD,
    HELPER,
    HELPER_ROLE,
    MEMBER,
    MODERATOR,
    NOW_MS,
    OUTSIDER,
    SECRET,
    World,
)

NOW = utc_from_ms(NOW_MS)


def stored(world: World, code: str, **fields: int) -> Invite:
    invite = Invite(code, GUILD, GENERAL, MODERATOR.id, NOW, **fields)
    world.storage.invites.rows[code] = invite
    return invite


async def test_create_stores_a_day_long_invite_and_tells_channel_managers(world: World) -> None:
    payload = await world.invites().create(MEMBER.id, GENERAL, InviteDraft())
    invite = world.storage.invites.rows[payload["code"]]
    assert (invite.max_age, invite.max_uses, invite.inviter_id) == (86_400, 0, MEMBER.id)
    assert (payload["guild"]["id"], payload["channel"]["id"]) == (str(GUILD), str(GENERAL))
    [event] = world.bus.events
    assert (event.type, event.channel_id, event.required) == (
        "INVITE_CREATE",
        GENERAL,
        Permission.MANAGE_CHANNELS,
    )


async def test_create_returns_a_like_live_invite_unless_unique(world: World) -> None:
    first = await world.invites().create(MEMBER.id, GENERAL, InviteDraft(max_uses=5))
    again = await world.invites().create(MEMBER.id, GENERAL, InviteDraft(max_uses=5))
    assert again["code"] == first["code"]
    assert world.bus.types == ["INVITE_CREATE"]
    unique = await world.invites().create(MEMBER.id, GENERAL, InviteDraft(max_uses=5, unique=True))
    assert unique["code"] != first["code"]


async def test_create_tries_another_code_when_one_is_taken(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored(world, "taken123")
    codes = iter(["taken123", "free1234"])
    monkeypatch.setattr(invites_module, "new_code", lambda: next(codes))
    payload = await world.invites().create(MEMBER.id, GENERAL, InviteDraft(unique=True))
    assert payload["code"] == "free1234"


async def test_create_gives_up_after_a_few_taken_codes(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored(world, "taken123")
    tries: list[str] = []

    def taken() -> str:
        tries.append("taken123")
        return "taken123"

    monkeypatch.setattr(invites_module, "new_code", taken)
    with pytest.raises(Conflict):
        await world.invites().create(MEMBER.id, GENERAL, InviteDraft(unique=True))
    assert len(tries) == CODE_ATTEMPTS


async def test_create_refusals(world: World) -> None:
    with pytest.raises(Conflict) as refused:
        await world.invites().create(MODERATOR.id, CATEGORY, InviteDraft())
    assert refused.value.discord_code == 50024
    with pytest.raises(NotFound):
        await world.invites().create(MEMBER.id, SECRET, InviteDraft())
    for draft in (
        InviteDraft(max_age=INVITE_MAX_AGE + 1),
        InviteDraft(max_uses=INVITE_MAX_USES + 1),
        InviteDraft(target_type=1),
    ):
        with pytest.raises(ValidationError):
            await world.invites().create(MEMBER.id, GENERAL, draft)
    world.revoke_everyone(Permission.CREATE_INSTANT_INVITE)
    with pytest.raises(PermissionDenied):
        await world.invites().create(MEMBER.id, GENERAL, InviteDraft())
    assert world.storage.invites.rows == {}


async def test_listing_shows_live_invites_to_managers_only(world: World) -> None:
    stored(world, "live1234", max_age=3600)
    stored(world, "usedup12", max_uses=1, uses=1)
    world.clock.advance(1000)
    for listed in (
        await world.invites().list_for_channel(MODERATOR.id, GENERAL),
        await world.invites().list_for_guild(MODERATOR.id, GUILD),
    ):
        assert [i["code"] for i in listed] == ["live1234"]
        assert listed[0]["inviter"]["id"] == str(MODERATOR.id)
    with pytest.raises(PermissionDenied):
        await world.invites().list_for_channel(MEMBER.id, GENERAL)
    with pytest.raises(PermissionDenied):
        await world.invites().list_for_guild(MEMBER.id, GUILD)
    with pytest.raises(NotFound):
        await world.invites().list_for_guild(OUTSIDER.id, GUILD)


async def test_preview_shows_a_live_invite_to_anyone(world: World) -> None:
    stored(world, "abcd1234", max_age=60)
    preview = await world.invites().preview("abcd1234", with_counts=True)
    assert (preview["code"], preview["approximate_member_count"]) == ("abcd1234", 5)
    world.clock.advance(61_000)
    for code in ("abcd1234", "nosuch12", "bad code!"):
        with pytest.raises(NotFound) as refused:
            await world.invites().preview(code, with_counts=False)
        assert refused.value.resource is Resource.INVITE


async def test_accept_joins_the_guild_and_announces_the_joiner(world: World) -> None:
    stored(world, "abcd1234", max_uses=1)
    shape = await world.invites().accept(OUTSIDER.id, "abcd1234")
    assert shape["new_member"] is True
    assert world.member(OUTSIDER) is not None
    assert world.storage.invites.rows["abcd1234"].uses == 1
    create, add = world.bus.events
    assert (create.type, create.user_ids) == ("GUILD_CREATE", frozenset({OUTSIDER.id}))
    # The joiner's GUILD_CREATE lists only what they may see.
    assert str(SECRET) not in [c["id"] for c in create.data["channels"]]
    assert (add.type, add.data["user"]["id"]) == ("GUILD_MEMBER_ADD", str(OUTSIDER.id))


async def test_accept_by_a_member_uses_nothing(world: World) -> None:
    stored(world, "abcd1234", max_uses=1)
    shape = await world.invites().accept(MEMBER.id, "abcd1234")
    assert shape["new_member"] is False
    assert world.storage.invites.rows["abcd1234"].uses == 0
    assert world.bus.events == []


async def test_accept_refuses_the_banned_and_spent_invites(world: World) -> None:
    stored(world, "abcd1234")
    world.storage.bans.rows[(GUILD, OUTSIDER.id)] = Ban(GUILD, OUTSIDER)
    with pytest.raises(Conflict):
        await world.invites().accept(OUTSIDER.id, "abcd1234")
    stored(world, "spent123", max_uses=1, uses=1)
    with pytest.raises(NotFound):
        await world.invites().accept(OUTSIDER.id, "spent123")
    assert world.member(OUTSIDER) is None


async def test_delete_needs_manage_channels_or_manage_guild(world: World) -> None:
    stored(world, "abcd1234")
    with pytest.raises(PermissionDenied):
        await world.invites().delete(MEMBER.id, "abcd1234")
    with pytest.raises(PermissionDenied):  # the code is no secret to its holder: 403, not 404
        await world.invites().delete(OUTSIDER.id, "abcd1234")
    shape = await world.invites().delete(MODERATOR.id, "abcd1234")
    assert shape["code"] == "abcd1234"
    assert world.storage.invites.rows == {}
    [event] = world.bus.events
    assert (event.type, event.data["code"]) == ("INVITE_DELETE", "abcd1234")
    with pytest.raises(NotFound):
        await world.invites().delete(MODERATOR.id, "abcd1234")


async def test_invite_expiry_is_measured_on_the_clock(world: World) -> None:
    invite = stored(world, "abcd1234", max_age=10)
    assert invite.expires_at == NOW + timedelta(seconds=10)
    world.clock.advance(9_000)
    await world.invites().preview("abcd1234", with_counts=False)
    world.clock.advance(1_000)
    with pytest.raises(NotFound):
        await world.invites().preview("abcd1234", with_counts=False)


async def test_revoking_through_manage_channels_needs_sight_of_the_channel(world: World) -> None:
    world.role(Role(HELPER_ROLE, GUILD, "helpers", Permission.MANAGE_CHANNELS, position=1))
    world.storage.invites.rows["secret12"] = Invite("secret12", GUILD, SECRET, MODERATOR.id, NOW)
    with pytest.raises(PermissionDenied):
        await world.invites().delete(HELPER.id, "secret12")
    stored(world, "general1")
    await world.invites().delete(HELPER.id, "general1")
    assert list(world.storage.invites.rows) == ["secret12"]
