"""Concurrent message sends stored together: one context read and one insert for many.

Under load, many creates wait on the database at once, and each one's two
statements cost more in round trips, asyncpg's per-query work and the
server's per-statement work than in the rows themselves. Sends that arrive
while a batch is in flight wait for the next one; the next one takes them all
(up to MAX_BATCH), reads every sender's channel context in one query, composes
each message, and stores the plain ones with one multi-row statement. A lone
send is a batch of one and waits for nothing.

Each send still gets its own outcome, and its response still follows its
commit: the multi-row insert is one statement, stored whole or not at all,
and if it fails (one row's channel deleted since the read, say) each message
of it is stored on its own, so one bad row fails only its own send.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from accord.adapters.postgres.channel_rows import (
    CHANNEL_COLUMNS,
    PERMISSION_COLUMNS,
    PERMISSION_JOINS,
    channel_from_row,
    permission_context_from_row,
)
from accord.adapters.postgres.message_rows import author_from_row
from accord.adapters.postgres.rows import USER_COLUMNS
from accord.adapters.postgres.sending import new_message_stored, store_one
from accord.core.entities import NewMessage
from accord.core.ports.storage import ChannelContext, SentMessage
from accord.core.snowflake import Snowflake

# Sends per batch: enough to take everything a busy process has waiting, few
# enough that one statement's arrays stay small.
MAX_BATCH = 64
# Sends waiting for a batch; past this a new send waits for room (backpressure
# on the request handlers, which are bounded by the server's connections).
MAX_WAITING = 1024

# Every (channel, sender) pair's context in one query, in the order asked.
_CONTEXTS = (
    f"SELECT q.n, {CHANNEL_COLUMNS}, {PERMISSION_COLUMNS}"
    " FROM unnest($1::bigint[], $2::bigint[]) WITH ORDINALITY AS q(channel_id, user_id, n)"
    " JOIN channels c ON c.id = q.channel_id"
    " LEFT JOIN guilds g ON g.id = c.guild_id"
    f" {PERMISSION_JOINS.format(user='q.user_id')}"
)

# Which reply targets are live messages of the channel they are claimed in.
_LIVE_TARGETS = (
    "SELECT q.n FROM unnest($1::bigint[], $2::bigint[]) WITH ORDINALITY AS q(id, channel_id, n)"
    " JOIN messages m ON m.id = q.id AND m.channel_id = q.channel_id AND m.deleted_at IS NULL"
)

# The plain messages of a batch, their channels advanced, their authors read.
# Channels are locked in id order first, so two processes' batches that share
# channels cannot deadlock on them. Mention lists travel as array literals:
# unnest cannot take arrays of arrays of different lengths.
_INSERT_MANY = (
    "WITH input AS (SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[],"
    " $4::bigint[], $5::smallint[], $6::text[], $7::bool[], $8::bool[], $9::text[],"
    " $10::text[], $11::bigint[], $12::bigint[], $13::bigint[], $14::text[])"
    " AS i(id, channel_id, guild_id, author_id, type, content, tts, mention_everyone,"
    " mention_ids, mention_role_ids, reference_message_id, reference_channel_id,"
    " reference_guild_id, nonce)),"
    " locked AS (SELECT c.id FROM channels c"
    " WHERE c.id IN (SELECT channel_id FROM input) ORDER BY c.id FOR UPDATE),"
    " stored AS (INSERT INTO messages (id, channel_id, guild_id, author_id, type, content,"
    " tts, mention_everyone, mention_ids, mention_role_ids, reference_message_id,"
    " reference_channel_id, reference_guild_id, nonce)"
    " SELECT id, channel_id, guild_id, author_id, type, content, tts, mention_everyone,"
    " mention_ids::bigint[], mention_role_ids::bigint[], reference_message_id,"
    " reference_channel_id, reference_guild_id, nonce FROM input RETURNING id, author_id),"
    " advanced AS (UPDATE channels c SET last_message_id = GREATEST(c.last_message_id, a.last)"
    " FROM (SELECT i.channel_id, max(i.id) AS last FROM input i"
    " JOIN locked l ON l.id = i.channel_id GROUP BY i.channel_id) a WHERE c.id = a.channel_id)"
    f" SELECT stored.id AS message_id, {USER_COLUMNS}"
    " FROM stored JOIN users u ON u.id = stored.author_id"
)

Compose = Callable[[ChannelContext | None], NewMessage]


@dataclass(slots=True)
class _Send:
    channel_id: Snowflake
    author_id: Snowflake
    compose: Compose
    enforce_nonce: bool
    future: asyncio.Future[SentMessage | None]
    found: ChannelContext | None = field(default=None)
    message: NewMessage | None = field(default=None)

    def settle(self, result: SentMessage | None) -> None:
        if not self.future.done():  # a cancelled caller's future is done already
            self.future.set_result(result)

    def fail(self, error: BaseException) -> None:
        if not self.future.done():
            self.future.set_exception(error)


class SendBatches:
    """``MessageRepository.send_message`` for many callers at once; lives on the asyncio loop."""

    def __init__(
        self, pool: asyncpg.Pool, *, max_batch: int = MAX_BATCH, max_waiting: int = MAX_WAITING
    ) -> None:
        self._pool = pool
        self._max_batch = max_batch
        self._max_waiting = max_waiting
        self._waiting: deque[_Send] = deque()
        self._draining = False
        self._room: asyncio.Event | None = None  # made on the loop, when first needed
        self._drainer: asyncio.Task[None] | None = None  # referenced while it runs

    async def send(
        self, channel_id: Snowflake, author_id: Snowflake, compose: Compose, enforce_nonce: bool
    ) -> SentMessage | None:
        """Like ``sending.send_message``; cancelled before its batch starts, nothing is stored."""
        while len(self._waiting) >= self._max_waiting:
            if self._room is None:
                self._room = asyncio.Event()
            self._room.clear()
            await self._room.wait()
        loop = asyncio.get_running_loop()
        send = _Send(channel_id, author_id, compose, enforce_nonce, loop.create_future())
        self._waiting.append(send)
        if not self._draining:
            self._draining = True
            self._drainer = loop.create_task(self._drain())
        return await send.future

    async def _drain(self) -> None:
        try:
            while self._waiting:
                batch: list[_Send] = []
                while self._waiting and len(batch) < self._max_batch:
                    send = self._waiting.popleft()
                    if not send.future.done():  # skip callers cancelled while waiting
                        batch.append(send)
                if self._room is not None:
                    self._room.set()
                if batch:
                    await _store_batch(self._pool, batch)
        finally:
            # Reached also when the loop shuts down under a batch: no caller is left hanging.
            self._draining = False
            self._drainer = None
            for send in self._waiting:
                send.fail(asyncio.CancelledError())


async def _store_batch(pool: asyncpg.Pool, batch: Sequence[_Send]) -> None:
    try:
        async with pool.acquire() as connection:
            await _compose_all(connection, batch)
            composed = [s for s in batch if s.message is not None]
            await _drop_dead_replies(connection, composed)
            composed = [s for s in composed if not s.future.done()]
            plain = [s for s in composed if not _needs_own_statement(s)]
            if plain:
                await _insert_plain(connection, plain)
            for send in composed:
                if not send.future.done():
                    await _store_alone(connection, send)
    except BaseException as error:
        for send in batch:
            send.fail(error if isinstance(error, Exception) else asyncio.CancelledError())
        if not isinstance(error, Exception):
            raise


async def _compose_all(connection: PoolConnectionProxy, batch: Sequence[_Send]) -> None:
    """Read every context in one query and compose; a refused send fails alone."""
    rows = await connection.fetch(
        _CONTEXTS, [s.channel_id for s in batch], [s.author_id for s in batch]
    )
    by_position = {row["n"]: row for row in rows}
    for position, send in enumerate(batch, start=1):
        row = by_position.get(position)
        send.found = None if row is None else _context_from_row(row, send.author_id)
        try:
            send.message = send.compose(send.found)  # raises to refuse
        except Exception as error:
            send.fail(error)


def _context_from_row(row: asyncpg.Record, user_id: Snowflake) -> ChannelContext:
    channel = channel_from_row(row)
    if row["context_guild_id"] is None:
        return channel, None
    return channel, permission_context_from_row(row, user_id, channel)


async def _drop_dead_replies(connection: PoolConnectionProxy, sends: Sequence[_Send]) -> None:
    """A reply whose target is not a live message of its channel is refused (None)."""
    replies = [s for s in sends if s.message is not None and s.message.reference is not None]
    if not replies:
        return
    targets = [s.message.reference for s in replies if s.message and s.message.reference]
    rows = await connection.fetch(
        _LIVE_TARGETS, [t.message_id for t in targets], [s.channel_id for s in replies]
    )
    live = {row["n"] for row in rows}
    for position, send in enumerate(replies, start=1):
        if position not in live:
            send.settle(None)


def _needs_own_statement(send: _Send) -> bool:
    """Nonce claims need a transaction of their own; attachments a second table."""
    message = send.message
    assert message is not None
    return bool(message.attachments) or (send.enforce_nonce and message.nonce is not None)


def _array_literal(ids: tuple[Snowflake, ...]) -> str:
    return "{" + ",".join(str(i) for i in ids) + "}"


async def _insert_plain(connection: PoolConnectionProxy, sends: Sequence[_Send]) -> None:
    messages = [s.message for s in sends if s.message is not None]
    references = [m.reference for m in messages]
    try:
        rows = await connection.fetch(
            _INSERT_MANY,
            [m.id for m in messages],
            [m.channel_id for m in messages],
            [m.guild_id for m in messages],
            [m.author_id for m in messages],
            [m.type.value for m in messages],
            [m.content for m in messages],
            [m.tts for m in messages],
            [m.mention_everyone for m in messages],
            [_array_literal(m.mention_ids) for m in messages],
            [_array_literal(m.mention_role_ids) for m in messages],
            [None if r is None else r.message_id for r in references],
            [None if r is None else r.channel_id for r in references],
            [None if r is None else r.guild_id for r in references],
            [m.nonce for m in messages],
        )
    except asyncpg.PostgresError:
        return  # nothing was stored; each is stored on its own next, and fails alone
    authors = {row["message_id"]: author_from_row(row) for row in rows}
    for send, message in zip(sends, messages, strict=True):
        assert send.found is not None  # composed, so the channel was found
        send.settle(SentMessage(new_message_stored(message, authors[message.id]), *send.found))


async def _store_alone(connection: PoolConnectionProxy, send: _Send) -> None:
    assert send.message is not None and send.found is not None
    try:
        stored = await store_one(connection, send.message, send.enforce_nonce)
    except Exception as error:
        send.fail(error)
    else:
        send.settle(SentMessage(stored, *send.found))
