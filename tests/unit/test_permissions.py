"""Permission bits (Discord's positions) and Discord's documented computation order."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from accord.core.errors import ValidationError
from accord.core.permissions import (
    ALL,
    DEFAULT_EVERYONE,
    NONE,
    Overwrite,
    OverwriteType,
    Permission,
    base_permissions,
    channel_permissions,
    has_permission,
    parse_permissions,
)

P = Permission
ROLE, MEMBER = OverwriteType.ROLE, OverwriteType.MEMBER

# Bit positions from Discord's "Bitwise Permission Flags" table.
DISCORD_BITS = {
    "CREATE_INSTANT_INVITE": 0,
    "KICK_MEMBERS": 1,
    "BAN_MEMBERS": 2,
    "ADMINISTRATOR": 3,
    "MANAGE_CHANNELS": 4,
    "MANAGE_GUILD": 5,
    "ADD_REACTIONS": 6,
    "VIEW_AUDIT_LOG": 7,
    "VIEW_CHANNEL": 10,
    "SEND_MESSAGES": 11,
    "SEND_TTS_MESSAGES": 12,
    "MANAGE_MESSAGES": 13,
    "EMBED_LINKS": 14,
    "ATTACH_FILES": 15,
    "READ_MESSAGE_HISTORY": 16,
    "MENTION_EVERYONE": 17,
    "USE_EXTERNAL_EMOJIS": 18,
    "CONNECT": 20,
    "SPEAK": 21,
    "CHANGE_NICKNAME": 26,
    "MANAGE_NICKNAMES": 27,
    "MANAGE_ROLES": 28,
    "MANAGE_WEBHOOKS": 29,
    "MODERATE_MEMBERS": 40,
}


@pytest.mark.parametrize(("name", "bit"), DISCORD_BITS.items(), ids=list(DISCORD_BITS))
def test_bit_values_are_discords(name, bit):
    assert Permission[name].value == 1 << bit


def test_all_is_every_defined_bit_and_nothing_else():
    assert all(p in ALL for p in Permission)
    assert ALL.value == sum(p.value for p in Permission)
    assert NONE.value == 0


# -- the computation -------------------------------------------------------

GUILD = 1000  # the guild id, which is also the @everyone role's id
ME, SOMEONE_ELSE = 2000, 2001
MOD, HELPER, MUTED, NOT_MINE = 3001, 3002, 3003, 3999

BASIC = P.VIEW_CHANNEL | P.SEND_MESSAGES | P.READ_MESSAGE_HISTORY
SEND_EXTRAS = P.EMBED_LINKS | P.ATTACH_FILES | P.MENTION_EVERYONE | P.SEND_TTS_MESSAGES


def everyone_ow(allow=NONE, deny=NONE):
    return Overwrite(GUILD, ROLE, allow, deny)


def role_ow(role_id, allow=NONE, deny=NONE):
    return Overwrite(role_id, ROLE, allow, deny)


def member_ow(member_id, allow=NONE, deny=NONE):
    return Overwrite(member_id, MEMBER, allow, deny)


@dataclass(frozen=True)
class Case:
    id: str
    expected: Permission
    everyone: Permission = BASIC
    roles: dict[int, Permission] = field(default_factory=dict)  # the member's roles, in order
    overwrites: tuple[Overwrite, ...] = ()
    is_owner: bool = False


def compute(case: Case) -> Permission:
    base = base_permissions(
        is_owner=case.is_owner, everyone=case.everyone, roles=case.roles.values()
    )
    return channel_permissions(
        base,
        guild_id=GUILD,
        member_id=ME,
        member_role_ids=list(case.roles),
        overwrites=case.overwrites,
    )


CASES = [
    # 1. the owner has everything, whatever the overwrites say
    Case("owner-no-roles", ALL, everyone=NONE, is_owner=True),
    Case(
        "owner-despite-member-deny",
        ALL,
        is_owner=True,
        overwrites=(member_ow(ME, deny=ALL), everyone_ow(deny=P.VIEW_CHANNEL)),
    ),
    # 2-3. ADMINISTRATOR means everything and skips overwrites
    Case(
        "admin-role-ignores-overwrites",
        ALL,
        everyone=NONE,
        roles={MOD: P.ADMINISTRATOR},
        overwrites=(
            everyone_ow(deny=ALL),
            role_ow(MOD, deny=P.VIEW_CHANNEL),
            member_ow(ME, deny=P.SEND_MESSAGES),
        ),
    ),
    Case("admin-on-everyone", ALL, everyone=P.ADMINISTRATOR),
    # 2. @everyone OR every role
    Case("everyone-only", BASIC),
    Case("everyone-only-default", DEFAULT_EVERYONE, everyone=DEFAULT_EVERYONE),
    Case(
        "roles-or-ed",
        P.VIEW_CHANNEL | P.SEND_MESSAGES | P.MANAGE_MESSAGES | P.KICK_MEMBERS,
        everyone=P.VIEW_CHANNEL,
        roles={MOD: P.SEND_MESSAGES | P.MANAGE_MESSAGES, HELPER: P.KICK_MEMBERS},
    ),
    # 4a. the @everyone overwrite
    Case(
        "everyone-overwrite-deny",
        P.VIEW_CHANNEL | P.READ_MESSAGE_HISTORY,
        overwrites=(everyone_ow(deny=P.SEND_MESSAGES),),
    ),
    Case(
        "everyone-overwrite-allow",
        BASIC | P.ADD_REACTIONS,
        overwrites=(everyone_ow(allow=P.ADD_REACTIONS),),
    ),
    Case(
        "everyone-overwrite-hides-channel",
        NONE,
        overwrites=(everyone_ow(deny=P.VIEW_CHANNEL),),
    ),
    # 4b. role overwrites, aggregated: every role deny, then every role allow
    Case(
        "role-deny-then-other-role-allow",
        BASIC,
        roles={MUTED: NONE, HELPER: NONE},
        overwrites=(role_ow(MUTED, deny=P.SEND_MESSAGES), role_ow(HELPER, allow=P.SEND_MESSAGES)),
    ),
    Case(
        "role-allow-listed-before-other-role-deny",
        BASIC,
        roles={HELPER: NONE, MUTED: NONE},
        overwrites=(role_ow(HELPER, allow=P.SEND_MESSAGES), role_ow(MUTED, deny=P.SEND_MESSAGES)),
    ),
    Case(
        "role-allow-grants-bit-base-lacks",
        BASIC | P.MANAGE_MESSAGES,
        roles={MOD: NONE, MUTED: NONE},
        overwrites=(
            role_ow(MUTED, deny=P.MANAGE_MESSAGES),
            role_ow(MOD, allow=P.MANAGE_MESSAGES),
        ),
    ),
    Case(
        "role-deny-alone",
        P.VIEW_CHANNEL | P.READ_MESSAGE_HISTORY,
        roles={MUTED: NONE},
        overwrites=(role_ow(MUTED, deny=P.SEND_MESSAGES),),
    ),
    Case(
        "role-allow-beats-everyone-deny",
        BASIC,
        roles={HELPER: NONE},
        overwrites=(
            everyone_ow(deny=P.SEND_MESSAGES | P.VIEW_CHANNEL),
            role_ow(HELPER, allow=P.SEND_MESSAGES | P.VIEW_CHANNEL),
        ),
    ),
    Case(
        "role-deny-beats-everyone-allow",
        BASIC,
        roles={MUTED: NONE},
        overwrites=(everyone_ow(allow=P.ADD_REACTIONS), role_ow(MUTED, deny=P.ADD_REACTIONS)),
    ),
    Case(
        "everyone-id-among-member-roles-is-not-a-second-role-overwrite",
        P.VIEW_CHANNEL | P.READ_MESSAGE_HISTORY,
        everyone=P.VIEW_CHANNEL | P.READ_MESSAGE_HISTORY,
        roles={GUILD: NONE, MUTED: NONE},
        overwrites=(everyone_ow(allow=P.SEND_MESSAGES), role_ow(MUTED, deny=P.SEND_MESSAGES)),
    ),
    # 4c. the member's own overwrite beats role overwrites, both ways
    Case(
        "member-allow-beats-role-deny",
        BASIC,
        roles={MUTED: NONE},
        overwrites=(
            role_ow(MUTED, deny=P.SEND_MESSAGES),
            member_ow(ME, allow=P.SEND_MESSAGES),
        ),
    ),
    Case(
        "member-deny-beats-role-allow",
        P.VIEW_CHANNEL | P.READ_MESSAGE_HISTORY,
        everyone=P.VIEW_CHANNEL | P.READ_MESSAGE_HISTORY,
        roles={HELPER: NONE},
        overwrites=(
            role_ow(HELPER, allow=P.SEND_MESSAGES),
            member_ow(ME, deny=P.SEND_MESSAGES),
        ),
    ),
    Case(
        "member-deny-beats-role-base",
        P.VIEW_CHANNEL | P.READ_MESSAGE_HISTORY,
        roles={MOD: P.MANAGE_MESSAGES},
        overwrites=(member_ow(ME, deny=P.SEND_MESSAGES | P.MANAGE_MESSAGES),),
    ),
    # 5. implicit rules
    Case(
        "no-view-means-none-even-with-send-allowed",
        NONE,
        roles={HELPER: NONE},
        overwrites=(
            everyone_ow(deny=P.VIEW_CHANNEL),
            role_ow(HELPER, allow=P.SEND_MESSAGES | P.MANAGE_MESSAGES),
            member_ow(ME, allow=P.SEND_MESSAGES),
        ),
    ),
    Case("no-view-in-base-means-none", NONE, everyone=P.SEND_MESSAGES | P.MANAGE_MESSAGES),
    Case(
        "no-send-strips-send-qualifiers",
        P.VIEW_CHANNEL | P.READ_MESSAGE_HISTORY | P.ADD_REACTIONS,
        everyone=BASIC | SEND_EXTRAS | P.ADD_REACTIONS,
        overwrites=(everyone_ow(deny=P.SEND_MESSAGES),),
    ),
    Case(
        "send-keeps-send-qualifiers",
        BASIC | SEND_EXTRAS,
        everyone=BASIC | SEND_EXTRAS,
    ),
    # overwrites aimed at someone else are ignored
    Case(
        "overwrite-for-role-not-held-ignored",
        BASIC,
        roles={MOD: NONE},
        overwrites=(role_ow(NOT_MINE, allow=P.MANAGE_MESSAGES, deny=P.VIEW_CHANNEL),),
    ),
    Case(
        "member-overwrite-for-another-user-ignored",
        BASIC,
        overwrites=(member_ow(SOMEONE_ELSE, allow=P.MANAGE_MESSAGES, deny=P.VIEW_CHANNEL),),
    ),
    Case(
        "member-overwrite-does-not-match-a-role-with-the-same-id",
        BASIC,
        roles={MOD: NONE},
        overwrites=(member_ow(MOD, deny=P.VIEW_CHANNEL),),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_channel_permissions(case):
    assert compute(case) == case.expected


@pytest.mark.parametrize(
    ("is_owner", "everyone", "roles", "expected"),
    [
        (True, NONE, [], ALL),
        (False, BASIC, [], BASIC),
        (
            False,
            P.VIEW_CHANNEL,
            [P.SEND_MESSAGES, P.KICK_MEMBERS],
            P.VIEW_CHANNEL | P.SEND_MESSAGES | P.KICK_MEMBERS,
        ),
        (False, NONE, [P.BAN_MEMBERS, P.ADMINISTRATOR], ALL),
        (False, P.ADMINISTRATOR, [], ALL),
        (False, NONE, [], NONE),
    ],
    ids=["owner", "everyone-only", "roles-or-ed", "admin-role", "admin-everyone", "nothing"],
)
def test_base_permissions(is_owner, everyone, roles, expected):
    assert base_permissions(is_owner=is_owner, everyone=everyone, roles=roles) == expected


def test_roles_may_be_a_one_shot_iterable():
    roles = iter([P.SEND_MESSAGES, P.MANAGE_MESSAGES])
    got = base_permissions(is_owner=False, everyone=P.VIEW_CHANNEL, roles=roles)
    assert got == P.VIEW_CHANNEL | P.SEND_MESSAGES | P.MANAGE_MESSAGES


def test_channel_overwrites_and_role_ids_may_be_generators():
    got = channel_permissions(
        BASIC,
        guild_id=GUILD,
        member_id=ME,
        member_role_ids=(r for r in [MUTED]),
        overwrites=(o for o in [role_ow(MUTED, deny=P.SEND_MESSAGES)]),
    )
    assert got == P.VIEW_CHANNEL | P.READ_MESSAGE_HISTORY


# -- parsing, checking, defaults --------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("0", NONE),
        (0, NONE),
        ("2048", P.SEND_MESSAGES),
        (8, P.ADMINISTRATOR),
        (str(ALL.value), ALL),
        ((1 << 63) - 1, ALL),
        (str((1 << 47) | (1 << 11)), P.SEND_MESSAGES),  # bit 47 is not one we know
        (1 << 62, NONE),
    ],
    ids=[
        "zero-str",
        "zero-int",
        "send-str",
        "admin-int",
        "all-str",
        "max-int",
        "unknown-bit-dropped",
        "only-unknown",
    ],
)
def test_parse_permissions_accepts_strings_and_ints(given, expected):
    parsed = parse_permissions(given)
    assert parsed == expected
    assert isinstance(parsed, Permission)


@pytest.mark.parametrize(
    "given",
    [
        True,
        False,
        -1,
        "-1",
        1 << 63,
        "9223372036854775808",
        "1" * 21,
        10**5000,
        1.0,
        "1.5",
        "",
        " 8",
        "0x8",
        "eight",
        "\u0668",
        None,
        [],
        {},
        b"8",
    ],
    ids=[
        "true",
        "false",
        "neg-int",
        "neg-str",
        "2^63",
        "2^63-str",
        "21-digits",
        "huge",
        "float",
        "float-str",
        "empty",
        "space",
        "hex",
        "word",
        "arabic-digit",
        "none",
        "list",
        "dict",
        "bytes",
    ],
)
def test_parse_permissions_rejects_non_numbers(given):
    with pytest.raises(ValidationError) as caught:
        parse_permissions(given, "allow")
    (error,) = caught.value.errors
    assert error.field == "allow"
    assert error.code == "NUMBER_TYPE_COERCE"


@pytest.mark.parametrize(
    ("granted", "required", "expected"),
    [
        (BASIC, P.SEND_MESSAGES, True),
        (BASIC, P.SEND_MESSAGES | P.VIEW_CHANNEL, True),
        (BASIC, P.SEND_MESSAGES | P.MANAGE_MESSAGES, False),
        (BASIC, P.MANAGE_ROLES, False),
        (NONE, NONE, True),
        (NONE, P.VIEW_CHANNEL, False),
        (P.ADMINISTRATOR, P.MANAGE_ROLES | P.BAN_MEMBERS, True),
    ],
    ids=[
        "one-held",
        "all-held",
        "one-missing",
        "missing",
        "nothing-required",
        "nothing-granted",
        "admin-implies-all",
    ],
)
def test_has_permission(granted, required, expected):
    assert has_permission(granted, required) is expected


def test_default_everyone_can_read_and_talk():
    for needed in (P.VIEW_CHANNEL, P.SEND_MESSAGES, P.READ_MESSAGE_HISTORY):
        assert needed in DEFAULT_EVERYONE


def test_default_everyone_cannot_moderate_or_manage():
    forbidden = [P.ADMINISTRATOR, P.KICK_MEMBERS, P.BAN_MEMBERS, P.MODERATE_MEMBERS]
    forbidden += [p for p in Permission if p.name and p.name.startswith("MANAGE_")]
    assert len(forbidden) > 8
    for permission in forbidden:
        assert permission not in DEFAULT_EVERYONE, permission.name


def test_overwrite_defaults_to_no_change():
    overwrite = Overwrite(ME, MEMBER)
    assert (overwrite.allow, overwrite.deny) == (NONE, NONE)
    assert (
        channel_permissions(
            BASIC, guild_id=GUILD, member_id=ME, member_role_ids=[], overwrites=[overwrite]
        )
        == BASIC
    )


@pytest.mark.parametrize("target", [(ROLE, 1), (ROLE, 7), (MEMBER, 42)])
def test_administrator_in_an_overwrite_confers_nothing(target):
    kind, target_id = target
    granted = channel_permissions(
        P.VIEW_CHANNEL | P.SEND_MESSAGES,
        guild_id=1,
        member_id=42,
        member_role_ids=[7],
        overwrites=[Overwrite(target_id, kind, allow=P.ADMINISTRATOR)],
    )
    assert granted == P.VIEW_CHANNEL | P.SEND_MESSAGES
    assert not has_permission(granted, P.MANAGE_MESSAGES)
