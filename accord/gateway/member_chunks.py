"""Op 8 REQUEST_GUILD_MEMBERS, answered with GUILD_MEMBERS_CHUNK dispatches.

A request names a guild and either a `query` (a username or nick prefix; ""
with `limit` 0 means every member) or up to 100 `user_ids`. Answers come in
chunks of at most 1000 members, each carrying the request's `nonce`.

Asking for every member needs the GUILD_MEMBERS intent and presences need
GUILD_PRESENCES, as on Discord. A request the session may not make (not a
member of that guild, or lacking the intent) is answered with one empty
chunk rather than silence, so a client waiting on its nonce is not left
hanging; malformed requests (a NUL in the query among them) close the
connection with 4002.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol

from accord.core.entities import Member
from accord.core.errors import ValidationError
from accord.core.ports.presence import PresenceStore, Status
from accord.core.ports.storage import MemberRepository
from accord.core.shapes import JSON, member_shape
from accord.core.snowflake import Snowflake, parse_snowflake
from accord.gateway.identify import presence_shape
from accord.gateway.protocol import CloseCode, GatewayError, Intents

CHUNK_SIZE: Final = 1000
MAX_USER_IDS: Final = 100
# A prefix query returns at most this many; 0 with an empty query means all.
MAX_QUERY_LIMIT: Final = 100
MAX_QUERY_LENGTH: Final = 100
MAX_NONCE_LENGTH: Final = 32


@dataclass(frozen=True, slots=True)
class MembersRequest:
    guild_id: Snowflake
    query: str | None
    limit: int
    user_ids: tuple[Snowflake, ...] | None
    presences: bool
    nonce: str | None


def _bad(reason: str) -> GatewayError:
    return GatewayError(CloseCode.DECODE_ERROR, reason)


def _snowflake(value: object, field: str) -> Snowflake:
    try:
        return parse_snowflake(value, field)
    except ValidationError:
        raise _bad(f"{field} must be a snowflake") from None


def parse_members_request(d: object) -> MembersRequest:
    if not isinstance(d, Mapping):
        raise _bad("REQUEST_GUILD_MEMBERS needs an object in 'd'")
    data: Mapping[str, Any] = d
    guild_id = _snowflake(data.get("guild_id"), "guild_id")
    query, user_ids = data.get("query"), data.get("user_ids")
    if (query is None) == (user_ids is None):
        raise _bad("REQUEST_GUILD_MEMBERS needs exactly one of 'query' and 'user_ids'")
    if query is not None and (not isinstance(query, str) or len(query) > MAX_QUERY_LENGTH):
        raise _bad(f"query must be a string of at most {MAX_QUERY_LENGTH} characters")
    if query is not None and "\x00" in query:
        # No name holds one, and PostgreSQL text cannot: the search would fail.
        raise _bad("query must not contain NUL characters")
    ids: tuple[Snowflake, ...] | None = None
    if user_ids is not None:
        if isinstance(user_ids, str | int) and not isinstance(user_ids, bool):
            user_ids = [user_ids]
        if not isinstance(user_ids, list) or len(user_ids) > MAX_USER_IDS:
            raise _bad(f"user_ids must be a list of at most {MAX_USER_IDS} snowflakes")
        ids = tuple(dict.fromkeys(_snowflake(u, "user_ids") for u in user_ids))
    limit = data.get("limit", 0)
    if not isinstance(limit, int) or isinstance(limit, bool) or not 0 <= limit <= CHUNK_SIZE:
        raise _bad(f"limit must be an integer 0-{CHUNK_SIZE}")
    presences = data.get("presences", False)
    if not isinstance(presences, bool):
        raise _bad("presences must be a boolean")
    nonce = data.get("nonce")
    if nonce is not None and (not isinstance(nonce, str) or len(nonce) > MAX_NONCE_LENGTH):
        nonce = None  # Discord ignores an over-long nonce rather than failing the request
    return MembersRequest(guild_id, query, limit, ids, presences, nonce)


class MemberChunkStorage(Protocol):
    """The repository member chunks are read from."""

    @property
    def members(self) -> MemberRepository: ...


async def _member_pages(
    storage: MemberChunkStorage, request: MembersRequest, intents: Intents
) -> AsyncIterator[Sequence[Member]]:
    guild_id = request.guild_id
    if request.user_ids is not None:
        yield await storage.members.get_members(guild_id, list(request.user_ids))
        return
    assert request.query is not None
    if request.query:
        limit = min(request.limit or MAX_QUERY_LIMIT, MAX_QUERY_LIMIT)
        yield await storage.members.search_members(guild_id, request.query, limit)
        return
    if request.limit == 0 and not intents & Intents.GUILD_MEMBERS:
        yield []
        return
    wanted = request.limit or None  # None: all of them
    after: Snowflake | None = None
    while True:
        size = CHUNK_SIZE if wanted is None else min(CHUNK_SIZE, wanted)
        page = await storage.members.list_members(guild_id, after=after, limit=size)
        yield page
        if wanted is not None:
            wanted -= len(page)
        if len(page) < size or wanted == 0:
            return
        after = page[-1].user.id


async def member_chunks(
    storage: MemberChunkStorage,
    presence: PresenceStore,
    request: MembersRequest,
    intents: Intents,
    is_member: bool,
) -> list[JSON]:
    """The `d` of every GUILD_MEMBERS_CHUNK answering `request`, in order."""
    pages: list[Sequence[Member]] = []
    if is_member:
        async for page in _member_pages(storage, request, intents):
            pages.append(page)
    if not pages:
        pages = [[]]
    if pages[-1] == [] and len(pages) > 1:
        pages.pop()  # a full last page was followed by an empty read
    found = {m.user.id for page in pages for m in page}
    with_presences = request.presences and bool(intents & Intents.GUILD_PRESENCES)
    chunks: list[JSON] = []
    for index, page in enumerate(pages):
        chunk: JSON = {
            "guild_id": str(request.guild_id),
            "members": [member_shape(m) for m in page],
            "chunk_index": index,
            "chunk_count": len(pages),
        }
        if request.user_ids is not None and index == 0:
            chunk["not_found"] = [str(u) for u in request.user_ids if u not in found]
        if with_presences:
            statuses = await presence.get_statuses([m.user.id for m in page])
            chunk["presences"] = [
                presence_shape(s.user_id, s.status)
                for s in statuses.values()
                if s.status is not Status.OFFLINE
            ]
        if request.nonce is not None:
            chunk["nonce"] = request.nonce
        chunks.append(chunk)
    return chunks
