"""IDENTIFY and RESUME are read strictly: every bad field closes with the code a client acts on."""

from __future__ import annotations

from typing import Any

import pytest

from accord.core.entities import User
from accord.core.ports.presence import Status
from accord.core.snowflake import Snowflake
from accord.gateway.identify import (
    LARGE_THRESHOLD_DEFAULT,
    authorization_header,
    granted_intents,
    parse_identify,
    parse_resume,
    presence_shape,
)
from accord.gateway.protocol import ALL_INTENTS, CloseCode, GatewayError, Intents

HUMAN = User(Snowflake(1), "human")
BOT = User(Snowflake(2), "bot", bot=True)
APPROVED_BOT = User(
    Snowflake(3),
    "approved",
    bot=True,
    approved_intents=int(Intents.GUILD_MEMBERS | Intents.MESSAGE_CONTENT),
)


def identify(**fields: Any) -> dict[str, Any]:
    return {"token": "abc.def", "intents": 513, "properties": {"os": "linux"}, **fields}


def close_code(parse: Any, d: object) -> CloseCode:
    with pytest.raises(GatewayError) as info:
        parse(d)
    return info.value.close_code


def test_identify_with_discord_py_fields() -> None:
    request = parse_identify(
        identify(
            compress=False,
            large_threshold=250,
            shard=[0, 1],
            presence={"status": "idle", "since": 0, "activities": [], "afk": False},
        )
    )
    assert request.token == "abc.def"
    assert request.intents == Intents.GUILDS | Intents.GUILD_MESSAGES
    assert request.large_threshold == 250
    assert request.status is Status.IDLE


def test_identify_defaults() -> None:
    request = parse_identify({"token": "t"})
    assert request.intents is None  # not sent: decided by who the token belongs to
    assert request.large_threshold == LARGE_THRESHOLD_DEFAULT
    assert request.status is Status.ONLINE


@pytest.mark.parametrize("status", ["online", "idle", "dnd", "invisible"])
def test_identify_accepts_each_status(status: str) -> None:
    assert parse_identify(identify(presence={"status": status})).status is Status(status)


@pytest.mark.parametrize("d", [None, [], "token", 5, [{"token": "t"}]])
def test_identify_needs_an_object(d: object) -> None:
    assert close_code(parse_identify, d) is CloseCode.DECODE_ERROR


@pytest.mark.parametrize("token", [None, "", 5, ["t"], "x" * 2049])
def test_identify_needs_a_token_string(token: object) -> None:
    assert close_code(parse_identify, identify(token=token)) is CloseCode.DECODE_ERROR


def test_identify_token_length_bound_is_inclusive() -> None:
    assert parse_identify(identify(token="x" * 2048)).token == "x" * 2048


@pytest.mark.parametrize("threshold", [49, 251, 0, -50, "50", 50.0, True, None])
def test_identify_large_threshold_must_be_50_to_250(threshold: object) -> None:
    assert close_code(parse_identify, identify(large_threshold=threshold)) is (
        CloseCode.DECODE_ERROR
    )


@pytest.mark.parametrize("status", ["away", "", 1, True])
def test_identify_bad_status_is_a_decode_error(status: object) -> None:
    d = identify(presence={"status": status})
    assert close_code(parse_identify, d) is CloseCode.DECODE_ERROR


def test_identify_offline_means_invisible() -> None:
    assert parse_identify(identify(presence={"status": "offline"})).status is Status.INVISIBLE


@pytest.mark.parametrize("intents", ["513", -1, 1.0, True, None, 1 << 22, 1 << 63])
def test_identify_bad_intents_close_with_4013(intents: object) -> None:
    assert close_code(parse_identify, identify(intents=intents)) is CloseCode.INVALID_INTENTS


@pytest.mark.parametrize("shard", [[1, 2], [0, 2], [1, 1], [0], [], "0,1", 0])
def test_identify_any_shard_but_the_only_one_closes_with_4010(shard: object) -> None:
    assert close_code(parse_identify, identify(shard=shard)) is CloseCode.INVALID_SHARD


def test_resume() -> None:
    request = parse_resume({"token": "t", "session_id": "abc", "seq": 41})
    assert (request.token, request.session_id, request.seq) == ("t", "abc", 41)


def test_resume_without_a_sequence_starts_from_zero() -> None:
    assert parse_resume({"token": "t", "session_id": "abc", "seq": None}).seq == 0
    assert parse_resume({"token": "t", "session_id": "abc"}).seq == 0


@pytest.mark.parametrize(
    "d",
    [
        None,
        [],
        {"session_id": "abc", "seq": 1},
        {"token": "", "session_id": "abc", "seq": 1},
        {"token": "t", "seq": 1},
        {"token": "t", "session_id": "", "seq": 1},
        {"token": "t", "session_id": "x" * 65, "seq": 1},
        {"token": "t", "session_id": 5, "seq": 1},
        {"token": "t", "session_id": "abc", "seq": "1"},
        {"token": "t", "session_id": "abc", "seq": 1.0},
        {"token": "t", "session_id": "abc", "seq": True},
    ],
)
def test_bad_resume_is_a_decode_error(d: object) -> None:
    assert close_code(parse_resume, d) is CloseCode.DECODE_ERROR


@pytest.mark.parametrize(
    ("token", "header"),
    [
        ("head.body.signature", "Bearer head.body.signature"),  # a user access token (JWT)
        ("MTIz.secret", "Bot MTIz.secret"),  # a bot token, sent bare as discord.py does
        ("Bot MTIz.secret", "Bot MTIz.secret"),
        ("bot MTIz.secret", "bot MTIz.secret"),
        ("Bearer head.body.signature", "Bearer head.body.signature"),
    ],
)
def test_authorization_header(token: str, header: str) -> None:
    assert authorization_header(token) == header


def test_people_may_leave_intents_out_and_get_everything() -> None:
    assert granted_intents(None, HUMAN) == ALL_INTENTS
    asked = Intents.GUILDS | Intents.MESSAGE_CONTENT | Intents.GUILD_PRESENCES
    assert granted_intents(asked, HUMAN) == asked  # not privileged for people


def test_bots_must_name_their_intents() -> None:
    with pytest.raises(GatewayError) as info:
        granted_intents(None, BOT)
    assert info.value.close_code is CloseCode.INVALID_INTENTS


def test_bots_get_what_they_ask_without_approval_when_nothing_is_privileged() -> None:
    asked = Intents.GUILDS | Intents.GUILD_MESSAGES | Intents.DIRECT_MESSAGES
    assert granted_intents(asked, BOT) == asked


@pytest.mark.parametrize(
    ("user", "asked", "missing"),
    [
        (BOT, Intents.GUILDS | Intents.MESSAGE_CONTENT, "MESSAGE_CONTENT"),
        (BOT, Intents.GUILD_MEMBERS, "GUILD_MEMBERS"),
        (APPROVED_BOT, Intents.GUILD_MEMBERS | Intents.GUILD_PRESENCES, "GUILD_PRESENCES"),
    ],
)
def test_privileged_intents_without_approval_close_with_4014(
    user: User, asked: Intents, missing: str
) -> None:
    with pytest.raises(GatewayError) as info:
        granted_intents(asked, user)
    assert info.value.close_code is CloseCode.DISALLOWED_INTENTS
    assert missing in info.value.reason
    assert not info.value.close_code.resumable


def test_approved_privileged_intents_are_granted() -> None:
    asked = Intents.GUILDS | Intents.GUILD_MEMBERS | Intents.MESSAGE_CONTENT
    assert granted_intents(asked, APPROVED_BOT) == asked


def test_presence_shape() -> None:
    assert presence_shape(Snowflake(7), Status.DND, Snowflake(100)) == {
        "user": {"id": "7"},
        "status": "dnd",
        "activities": [],
        "client_status": {"desktop": "dnd"},
        "guild_id": "100",
    }
    offline = presence_shape(Snowflake(7), Status.OFFLINE)
    assert offline["client_status"] == {}
    assert "guild_id" not in offline
