"""The three places that decide who sees a channel agree, case by case.

REST reads go through access.py, GUILD_CREATE through channel_visibility.py
and the gateway's fan-out through its GuildView; one table of cases drives
all three, so a rule changed in one place and not the others fails here.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from accord.core.entities import (
    Channel,
    ChannelType,
    Guild,
    Member,
    PermissionContext,
    Role,
    User,
)
from accord.core.permissions import DEFAULT_EVERYONE, NONE, Overwrite, OverwriteType, Permission
from accord.core.ports.storage import GuildSnapshot
from accord.core.services.access import permissions_in
from accord.core.services.channel_visibility import visible_channels
from accord.core.snowflake import Snowflake
from accord.gateway.guild_view import GuildView

P = Permission
GUILD, OWNER, USER, STAFF, MUTED = (Snowflake(n) for n in (1, 2, 3, 4, 5))
ROLE, MEMBER = OverwriteType.ROLE, OverwriteType.MEMBER
HIDE = P.VIEW_CHANNEL


def _channel(n: int, *overwrites: Overwrite) -> Channel:
    return Channel(
        Snowflake(100 + n), ChannelType.GUILD_TEXT, GUILD, f"c{n}", overwrites=overwrites
    )


CHANNELS = (
    _channel(0),
    _channel(1, Overwrite(GUILD, ROLE, deny=HIDE)),
    _channel(2, Overwrite(GUILD, ROLE, deny=HIDE), Overwrite(STAFF, ROLE, allow=HIDE)),
    _channel(3, Overwrite(STAFF, ROLE, allow=HIDE), Overwrite(MUTED, ROLE, deny=HIDE)),
    _channel(4, Overwrite(GUILD, ROLE, deny=HIDE), Overwrite(USER, MEMBER, allow=HIDE)),
    _channel(5, Overwrite(USER, MEMBER, deny=HIDE)),
    _channel(6, Overwrite(GUILD, ROLE, deny=HIDE), Overwrite(USER, MEMBER, allow=P.ADMINISTRATOR)),
)

# (who, their roles, @everyone's permissions, the staff role's permissions)
CASES = [
    ("plain member", USER, (), DEFAULT_EVERYONE, NONE),
    ("staff", USER, (STAFF,), DEFAULT_EVERYONE, NONE),
    ("staff and muted", USER, (STAFF, MUTED), DEFAULT_EVERYONE, NONE),
    ("muted", USER, (MUTED,), DEFAULT_EVERYONE, NONE),
    ("owner", OWNER, (), DEFAULT_EVERYONE, NONE),
    ("administrator role", USER, (STAFF,), DEFAULT_EVERYONE, P.ADMINISTRATOR),
    ("everyone cannot view", USER, (), DEFAULT_EVERYONE & ~HIDE, NONE),
    ("staff role grants view", USER, (STAFF,), DEFAULT_EVERYONE & ~HIDE, HIDE),
]


@pytest.mark.parametrize(("name", "user_id", "role_ids", "everyone", "staff"), CASES)
def test_rest_guild_create_and_gateway_agree(name, user_id, role_ids, everyone, staff):
    roles = (
        Role(GUILD, GUILD, "@everyone", everyone),
        Role(STAFF, GUILD, "staff", staff, position=2),
        Role(MUTED, GUILD, "muted", NONE, position=1),
    )
    member = Member(GUILD, User(user_id, "u"), datetime(2026, 1, 1, tzinfo=UTC), role_ids=role_ids)
    snapshot = GuildSnapshot(Guild(GUILD, "g", OWNER), roles, CHANNELS, (member,), 1)
    by_id = {r.id: r for r in roles}
    context = PermissionContext(
        guild_id=GUILD,
        owner_id=OWNER,
        user_id=user_id,
        is_member=True,
        everyone=everyone,
        member_role_ids=role_ids,
        role_permissions=tuple(by_id[r].permissions for r in role_ids),
    )
    rest = {c.id for c in CHANNELS if permissions_in(c, context) & P.VIEW_CHANNEL}
    guild_create = {c.id for c in visible_channels(snapshot, member)}
    view = GuildView.from_snapshot(snapshot, [member])
    gateway = {c.id for c in CHANNELS if view.bits_in(user_id, c.id) & int(P.VIEW_CHANNEL)}
    swept = view.visible(user_id, [c.id for c in CHANNELS])
    assert rest == guild_create == gateway == swept, name
    if user_id == OWNER or staff & P.ADMINISTRATOR:
        assert rest == {c.id for c in CHANNELS}
    if user_id != OWNER and not staff & P.ADMINISTRATOR:
        assert CHANNELS[6].id not in rest  # ADMINISTRATOR in an overwrite shows nothing
