"""Op 8 REQUEST_GUILD_MEMBERS: strict parsing, and the chunks that answer it."""

from __future__ import annotations

from typing import Any

import pytest

from accord.adapters.memory.presence import InMemoryPresence
from accord.core.entities import User
from accord.core.ports.presence import Status
from accord.core.snowflake import Snowflake
from accord.gateway.member_chunks import (
    CHUNK_SIZE,
    MAX_NONCE_LENGTH,
    MAX_QUERY_LENGTH,
    MAX_USER_IDS,
    MembersRequest,
    member_chunks,
    parse_members_request,
)
from accord.gateway.protocol import ALL_INTENTS, CloseCode, GatewayError, Intents
from tests.unit.fakes import FakeClock
from tests.unit.gateway_fakes import GUILD, FakeStorage, member


def request(**fields: Any) -> dict[str, Any]:
    return {"guild_id": str(GUILD), **fields}


def test_everyone_request_as_discord_py_sends_it() -> None:
    parsed = parse_members_request(request(query="", limit=0, presences=True, nonce="n1"))
    assert parsed == MembersRequest(GUILD, "", 0, None, True, "n1")


def test_user_ids_request() -> None:
    parsed = parse_members_request({"guild_id": int(GUILD), "user_ids": ["5", 6, "5"]})
    assert parsed.user_ids == (Snowflake(5), Snowflake(6))  # duplicates asked once
    assert parsed.query is None
    assert (parsed.limit, parsed.presences, parsed.nonce) == (0, False, None)


@pytest.mark.parametrize("one", ["5", 5])
def test_a_single_user_id_is_accepted_bare(one: object) -> None:
    assert parse_members_request(request(user_ids=one)).user_ids == (Snowflake(5),)


def test_an_over_long_nonce_is_ignored_not_fatal() -> None:
    assert parse_members_request(request(query="a", nonce="n" * MAX_NONCE_LENGTH)).nonce
    assert (
        parse_members_request(request(query="a", nonce="n" * (MAX_NONCE_LENGTH + 1))).nonce is None
    )
    assert parse_members_request(request(query="a", nonce=5)).nonce is None


def test_limits_are_inclusive() -> None:
    assert parse_members_request(request(query="q" * MAX_QUERY_LENGTH)).query
    assert parse_members_request(request(query="", limit=CHUNK_SIZE)).limit == CHUNK_SIZE
    ids = [str(n) for n in range(1, MAX_USER_IDS + 1)]
    assert len(parse_members_request(request(user_ids=ids)).user_ids or ()) == MAX_USER_IDS


@pytest.mark.parametrize(
    "d",
    [
        None,
        [],
        "guild",
        {"query": ""},
        request(),
        request(query="", user_ids=["5"]),
        {"guild_id": "abc", "query": ""},
        {"guild_id": None, "query": ""},
        {"guild_id": True, "query": ""},
        {"guild_id": -1, "query": ""},
        request(query=5),
        request(query="q" * (MAX_QUERY_LENGTH + 1)),
        request(query="a\x00"),  # no name holds one, and PostgreSQL text cannot
        request(user_ids={"id": "5"}),
        request(user_ids=True),
        request(user_ids=["5", "x"]),
        request(user_ids=[None]),
        request(user_ids=[str(n) for n in range(MAX_USER_IDS + 1)]),
        request(query="", limit=-1),
        request(query="", limit=CHUNK_SIZE + 1),
        request(query="", limit="5"),
        request(query="", limit=True),
        request(query="", limit=None),
        request(query="", presences="yes"),
        request(query="", presences=1),
    ],
)
def test_malformed_requests_close_with_4002(d: object) -> None:
    with pytest.raises(GatewayError) as info:
        parse_members_request(d)
    assert info.value.close_code is CloseCode.DECODE_ERROR


USERS = [User(Snowflake(n), f"user{n:04d}") for n in range(1, 2501)]


@pytest.fixture
def storage() -> FakeStorage:
    return FakeStorage([member(u) for u in USERS])


@pytest.fixture
def presence() -> InMemoryPresence:
    return InMemoryPresence(FakeClock(1_700_000_000_000))


def ids(chunk: dict[str, Any]) -> list[int]:
    return [int(m["user"]["id"]) for m in chunk["members"]]


async def test_every_member_comes_in_chunks_of_a_thousand(
    storage: FakeStorage, presence: InMemoryPresence
) -> None:
    parsed = parse_members_request(request(query="", limit=0, nonce="all"))
    chunks = await member_chunks(storage, presence, parsed, ALL_INTENTS, True)  # type: ignore[arg-type]
    assert [len(c["members"]) for c in chunks] == [1000, 1000, 500]
    assert [(c["chunk_index"], c["chunk_count"]) for c in chunks] == [(0, 3), (1, 3), (2, 3)]
    assert [i for c in chunks for i in ids(c)] == list(range(1, 2501))
    assert all(c["nonce"] == "all" and c["guild_id"] == str(GUILD) for c in chunks)


async def test_a_full_last_page_adds_no_empty_chunk(presence: InMemoryPresence) -> None:
    storage = FakeStorage([member(u) for u in USERS[:2000]])
    parsed = parse_members_request(request(query="", limit=0))
    chunks = await member_chunks(storage, presence, parsed, ALL_INTENTS, True)  # type: ignore[arg-type]
    assert [len(c["members"]) for c in chunks] == [1000, 1000]
    assert chunks[-1]["chunk_count"] == 2


async def test_a_limit_stops_the_listing(storage: FakeStorage, presence: InMemoryPresence) -> None:
    parsed = parse_members_request(request(query="", limit=3))
    [chunk] = await member_chunks(storage, presence, parsed, ALL_INTENTS, True)  # type: ignore[arg-type]
    assert ids(chunk) == [1, 2, 3]


async def test_everyone_needs_the_guild_members_intent(
    storage: FakeStorage, presence: InMemoryPresence
) -> None:
    parsed = parse_members_request(request(query="", limit=0, nonce="n"))
    chunks = await member_chunks(storage, presence, parsed, Intents.GUILDS, True)  # type: ignore[arg-type]
    assert chunks == [
        {"guild_id": str(GUILD), "members": [], "chunk_index": 0, "chunk_count": 1, "nonce": "n"}
    ]


async def test_a_prefix_query(storage: FakeStorage, presence: InMemoryPresence) -> None:
    parsed = parse_members_request(request(query="USER000", limit=5))
    [chunk] = await member_chunks(storage, presence, parsed, Intents.GUILDS, True)  # type: ignore[arg-type]
    assert ids(chunk) == [1, 2, 3, 4, 5]


async def test_user_ids_report_those_not_found(
    storage: FakeStorage, presence: InMemoryPresence
) -> None:
    parsed = parse_members_request(request(user_ids=["2", "99999", "1"]))
    [chunk] = await member_chunks(storage, presence, parsed, Intents.GUILDS, True)  # type: ignore[arg-type]
    assert sorted(ids(chunk)) == [1, 2]
    assert chunk["not_found"] == ["99999"]


async def test_a_non_member_gets_one_empty_chunk(
    storage: FakeStorage, presence: InMemoryPresence
) -> None:
    parsed = parse_members_request(request(user_ids=["1"], nonce="x"))
    [chunk] = await member_chunks(storage, presence, parsed, ALL_INTENTS, False)  # type: ignore[arg-type]
    assert chunk["members"] == [] and chunk["nonce"] == "x"
    assert chunk["not_found"] == ["1"]


@pytest.mark.parametrize(
    ("intents", "sent"), [(ALL_INTENTS, True), (Intents.GUILDS, False)], ids=["with", "without"]
)
async def test_presences_need_the_presence_intent(
    storage: FakeStorage, presence: InMemoryPresence, intents: Intents, sent: bool
) -> None:
    await presence.set_session_status(Snowflake(1), "s1", Status.IDLE)
    await presence.set_session_status(Snowflake(2), "s2", Status.INVISIBLE)
    parsed = parse_members_request(request(user_ids=["1", "2", "3"], presences=True))
    [chunk] = await member_chunks(storage, presence, parsed, intents, True)  # type: ignore[arg-type]
    if sent:  # invisible and offline members are not listed
        assert [(p["user"]["id"], p["status"]) for p in chunk["presences"]] == [("1", "idle")]
    else:
        assert "presences" not in chunk
