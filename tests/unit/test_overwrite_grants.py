"""Overwrite edits: nobody grants or denies a bit they do not hold (Discord's rule)."""

from __future__ import annotations

import pytest

from accord.core.entities import Channel, ChannelType, PermissionContext
from accord.core.errors import PermissionDenied
from accord.core.permissions import NONE, Overwrite, OverwriteType, Permission
from accord.core.services.overwrite_grants import (
    changed_bits,
    grantable,
    require_creatable,
    require_grantable,
)
from accord.core.snowflake import Snowflake

P = Permission
GUILD, OWNER, CALLER, OTHER, ROLE = (Snowflake(n) for n in (1, 2, 3, 4, 5))
EVERYONE = P.VIEW_CHANNEL | P.SEND_MESSAGES
MANAGER = P.MANAGE_CHANNELS | P.MANAGE_ROLES


def context(*roles: P, owner: Snowflake = OWNER) -> PermissionContext:
    return PermissionContext(
        guild_id=GUILD,
        owner_id=owner,
        user_id=CALLER,
        is_member=True,
        everyone=EVERYONE,
        member_role_ids=(ROLE,) if roles else (),
        role_permissions=roles,
    )


def channel(*overwrites: Overwrite, parent: Snowflake | None = None) -> Channel:
    return Channel(
        Snowflake(10), ChannelType.GUILD_TEXT, GUILD, "c", parent_id=parent, overwrites=overwrites
    )


def member_overwrite(allow: P = NONE, deny: P = NONE, target: Snowflake = CALLER) -> Overwrite:
    return Overwrite(target, OverwriteType.MEMBER, allow, deny)


def test_only_changed_bits_count():
    same = member_overwrite(allow=P.MANAGE_MESSAGES, target=OTHER)
    assert changed_bits([same], [same]) == NONE
    assert changed_bits([], [member_overwrite(deny=P.SEND_MESSAGES)]) == P.SEND_MESSAGES
    moved = [member_overwrite(allow=P.SEND_MESSAGES)]
    assert changed_bits([member_overwrite(deny=P.SEND_MESSAGES)], moved) == P.SEND_MESSAGES
    assert changed_bits([same], []) == P.MANAGE_MESSAGES
    assert changed_bits([], [member_overwrite(allow=P.ADMINISTRATOR)]) == NONE


def test_a_manager_cannot_grant_itself_what_it_lacks():
    target = channel()
    with pytest.raises(PermissionDenied):
        require_grantable(
            context(MANAGER), target, None, (), [member_overwrite(allow=P.MANAGE_MESSAGES)]
        )
    require_grantable(context(MANAGER), target, None, (), [member_overwrite(deny=P.SEND_MESSAGES)])


def test_others_bits_already_there_do_not_block_an_edit():
    theirs = member_overwrite(allow=P.MANAGE_MESSAGES, target=OTHER)
    target = channel(theirs)
    mine = member_overwrite(deny=P.SEND_MESSAGES)
    require_grantable(context(MANAGER), target, None, [theirs], [theirs, mine])
    with pytest.raises(PermissionDenied):
        require_grantable(context(MANAGER), target, None, [theirs], [mine])


def test_owner_and_administrators_may_grant_anything():
    everything = [member_overwrite(allow=P.MANAGE_MESSAGES | P.BAN_MEMBERS)]
    require_grantable(context(owner=CALLER), channel(), None, (), everything)
    require_grantable(context(P.ADMINISTRATOR), channel(), None, (), everything)


def test_a_category_overwrite_extends_what_may_be_granted_inside_it():
    category = Channel(
        Snowflake(20),
        ChannelType.GUILD_CATEGORY,
        GUILD,
        "cat",
        overwrites=(member_overwrite(allow=P.MANAGE_MESSAGES),),
    )
    assert grantable(context(MANAGER), channel(parent=category.id), category) & P.MANAGE_MESSAGES
    assert not grantable(context(MANAGER), channel(), None) & P.MANAGE_MESSAGES


def test_manage_roles_through_the_channels_own_overwrite_adds_its_bits():
    granted = channel(member_overwrite(allow=P.MANAGE_ROLES | P.MANAGE_MESSAGES))
    assert grantable(context(P.MANAGE_CHANNELS), granted, None) & P.MANAGE_MESSAGES
    without = channel(member_overwrite(allow=P.MANAGE_MESSAGES))
    assert not grantable(context(MANAGER), without, None) & P.MANAGE_MESSAGES


def test_only_administrators_create_channels_overwriting_manage_roles():
    new = channel(member_overwrite(allow=P.MANAGE_ROLES, target=OTHER))
    with pytest.raises(PermissionDenied):
        require_creatable(context(MANAGER), new, None)
    require_creatable(context(P.ADMINISTRATOR), new, None)
