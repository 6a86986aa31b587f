"""Gateway opcodes, close codes, intents and dispatch gating match Discord's documentation."""

from __future__ import annotations

import pytest

from accord.gateway.protocol import (
    ALL_INTENTS,
    DISPATCH_GATES,
    PRIVILEGED_INTENTS,
    CloseCode,
    GatewayError,
    Intents,
    InvalidIntents,
    Opcode,
    parse_intents,
    wants,
)


def test_opcode_values_are_discords() -> None:
    assert {op.name: op.value for op in Opcode} == {
        "DISPATCH": 0,
        "HEARTBEAT": 1,
        "IDENTIFY": 2,
        "PRESENCE_UPDATE": 3,
        "VOICE_STATE_UPDATE": 4,
        "RESUME": 6,
        "RECONNECT": 7,
        "REQUEST_GUILD_MEMBERS": 8,
        "INVALID_SESSION": 9,
        "HELLO": 10,
        "HEARTBEAT_ACK": 11,
    }


def test_close_codes_and_whether_a_client_may_resume_after_them() -> None:
    expected = {
        4000: True,
        4001: True,
        4002: True,
        4003: True,
        4004: False,
        4005: True,
        4007: True,
        4008: True,
        4009: True,
        4010: False,
        4011: False,
        4012: False,
        4013: False,
        4014: False,
    }
    assert {code.value: code.resumable for code in CloseCode} == expected
    assert CloseCode.DECODE_ERROR == 4002
    assert CloseCode.DISALLOWED_INTENTS == 4014


@pytest.mark.parametrize(
    ("intent", "bit"),
    [
        (Intents.GUILDS, 0),
        (Intents.GUILD_MEMBERS, 1),
        (Intents.GUILD_MODERATION, 2),
        (Intents.GUILD_EXPRESSIONS, 3),
        (Intents.GUILD_INVITES, 6),
        (Intents.GUILD_PRESENCES, 8),
        (Intents.GUILD_MESSAGES, 9),
        (Intents.GUILD_MESSAGE_REACTIONS, 10),
        (Intents.GUILD_MESSAGE_TYPING, 11),
        (Intents.DIRECT_MESSAGES, 12),
        (Intents.DIRECT_MESSAGE_REACTIONS, 13),
        (Intents.DIRECT_MESSAGE_TYPING, 14),
        (Intents.MESSAGE_CONTENT, 15),
        (Intents.GUILD_SCHEDULED_EVENTS, 16),
        (Intents.AUTO_MODERATION_CONFIGURATION, 20),
        (Intents.AUTO_MODERATION_EXECUTION, 21),
        (Intents.GUILD_MESSAGE_POLLS, 24),
        (Intents.DIRECT_MESSAGE_POLLS, 25),
    ],
)
def test_intent_bits_are_discords(intent: Intents, bit: int) -> None:
    assert intent == 1 << bit


def test_privileged_intents() -> None:
    assert PRIVILEGED_INTENTS == (1 << 1) | (1 << 8) | (1 << 15)


def test_parse_intents_accepts_known_bits() -> None:
    # discord.py's Intents.default(): everything but the privileged intents.
    default = int(ALL_INTENTS & ~PRIVILEGED_INTENTS)
    assert parse_intents(default) == ALL_INTENTS & ~PRIVILEGED_INTENTS
    assert parse_intents(0) == Intents(0)
    assert parse_intents(513) == Intents.GUILDS | Intents.GUILD_MESSAGES


@pytest.mark.parametrize("value", ["513", 1.0, None, True, [1], -1, 1 << 17, 1 << 40])
def test_parse_intents_rejects_invalid_values_with_close_4013(value: object) -> None:
    with pytest.raises(InvalidIntents) as info:
        parse_intents(value)
    assert isinstance(info.value, GatewayError)  # the one error type that maps to a close
    assert info.value.close_code == CloseCode.INVALID_INTENTS


def test_every_dispatch_the_server_sends_has_a_gate() -> None:
    sent = {
        "READY",
        "RESUMED",
        "USER_UPDATE",
        *(f"MESSAGE_{x}" for x in ("CREATE", "UPDATE", "DELETE", "DELETE_BULK")),
        *(f"MESSAGE_REACTION_{x}" for x in ("ADD", "REMOVE", "REMOVE_ALL", "REMOVE_EMOJI")),
        *(f"GUILD_{x}" for x in ("CREATE", "UPDATE", "DELETE")),
        *(f"CHANNEL_{x}" for x in ("CREATE", "UPDATE", "DELETE", "PINS_UPDATE")),
        *(f"GUILD_ROLE_{x}" for x in ("CREATE", "UPDATE", "DELETE")),
        *(f"GUILD_MEMBER_{x}" for x in ("ADD", "UPDATE", "REMOVE")),
        "GUILD_BAN_ADD",
        "GUILD_BAN_REMOVE",
        "INVITE_CREATE",
        "INVITE_DELETE",
        "TYPING_START",
        "PRESENCE_UPDATE",
    }
    assert set(DISPATCH_GATES) == sent


@pytest.mark.parametrize("event", ["READY", "RESUMED", "USER_UPDATE"])
def test_lifecycle_and_user_dispatches_are_never_gated(event: str) -> None:
    assert wants(Intents(0), event, in_guild=True)
    assert wants(Intents(0), event, in_guild=False)


@pytest.mark.parametrize(
    ("event", "guild_intent", "dm_intent"),
    [
        ("MESSAGE_CREATE", Intents.GUILD_MESSAGES, Intents.DIRECT_MESSAGES),
        ("MESSAGE_DELETE", Intents.GUILD_MESSAGES, Intents.DIRECT_MESSAGES),
        ("MESSAGE_REACTION_ADD", Intents.GUILD_MESSAGE_REACTIONS, Intents.DIRECT_MESSAGE_REACTIONS),
        ("TYPING_START", Intents.GUILD_MESSAGE_TYPING, Intents.DIRECT_MESSAGE_TYPING),
        ("CHANNEL_PINS_UPDATE", Intents.GUILDS, Intents.DIRECT_MESSAGES),
    ],
)
def test_guild_and_dm_variants_need_their_own_intent(
    event: str, guild_intent: Intents, dm_intent: Intents
) -> None:
    assert wants(guild_intent, event, in_guild=True)
    assert not wants(guild_intent, event, in_guild=False)
    assert wants(dm_intent, event, in_guild=False)
    assert not wants(dm_intent, event, in_guild=True)


@pytest.mark.parametrize(
    ("event", "intent"),
    [
        ("GUILD_CREATE", Intents.GUILDS),
        ("GUILD_ROLE_UPDATE", Intents.GUILDS),
        ("CHANNEL_CREATE", Intents.GUILDS),
        ("GUILD_MEMBER_ADD", Intents.GUILD_MEMBERS),
        ("GUILD_BAN_ADD", Intents.GUILD_MODERATION),
        ("INVITE_CREATE", Intents.GUILD_INVITES),
        ("PRESENCE_UPDATE", Intents.GUILD_PRESENCES),
        ("MESSAGE_DELETE_BULK", Intents.GUILD_MESSAGES),
    ],
)
def test_guild_only_dispatches_need_their_intent_everywhere(event: str, intent: Intents) -> None:
    others = ALL_INTENTS & ~intent
    for in_guild in (True, False):
        assert wants(intent, event, in_guild=in_guild)
        assert not wants(others, event, in_guild=in_guild)


def test_unknown_dispatch_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        wants(ALL_INTENTS, "NOT_AN_EVENT", in_guild=True)
