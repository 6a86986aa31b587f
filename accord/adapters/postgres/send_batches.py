"""Concurrent message sends stored together: one context read and one insert for many.

Under load, many creates wait on the database at once, and each one's two
statements cost more in round trips, asyncpg's per-query work and the
server's per-statement work than in the rows themselves. Sends that arrive
while a batch is in flight wait for the next one; the next one takes them all
(up to MAX_BATCH), reads every sender's channel context in one query, composes
each message, and stores the plain ones with one multi-row statement. A lone
send is a batch of one and waits for nothing. Replies and DM sends each cost
one more query for their batch, to check the reply's target and whether the
DM's recipient may still be messaged; a batch without them costs none.

Each send still gets its own outcome, and its response still follows its
commit: the multi-row insert is one statement, stored whole or not at all,
and if it fails (one row's channel deleted since the read, say) each message
of it is stored on its own, so one bad row fails only its own send.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import cast

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from accord.adapters.postgres.channel_rows import (
    CHANNEL_COLUMNS,
    PERMISSION_COLUMNS,
    PERMISSION_JOINS,
    channel_from_row,
    permission_context_from_row,
)
from accord.adapters.postgres.dm_standing import fetch_dm_standings
from accord.adapters.postgres.message_rows import author_from_row
from accord.adapters.postgres.rows import USER_COLUMNS
from accord.adapters.postgres.sending import new_message_stored, store_one
from accord.core.entities import ChannelType, NewMessage
from accord.core.errors import CannotMessageUser
from accord.core.ports.storage import ChannelContext, SentMessage
from accord.core.snowflake import Snowflake

# Sends per batch: enough to take everything a busy process has waiting, few
# enough that one statement's arrays stay small.
MAX_BATCH = 64
# Sends waiting for a batch; past this a new send waits for room (backpressure
# on the request handlers, which are bounded by the server's connections).
MAX_WAITING = 1024
# Batches stored at once. More than one, so a batch held up (a row lock, say)
# does not hold up every send of the process; few, because under load one
# large batch per round trip is what makes batching pay.
MAX_IN_FLIGHT = 2

log = logging.getLogger(__name__)

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
# Channels are locked in id order first (as channel reorders lock them), so
# batches that share channels, of this process or another, cannot deadlock.
# Mention lists travel as array literals: unnest cannot take arrays of arrays
# of different lengths.
_INSERT_MANY = (
    "WITH input AS (SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[],"
    " $4::bigint[], $5::smallint[], $6::text[], $7::bool[], $8::bool[], $9::text[],"
    " $10::text[], $11::bigint[], $12::bigint[], $13::bigint[], $14::text[])"
    " AS i(id, channel_id, guild_id, author_id, type, content, tts, mention_everyone,"
    " mention_ids, mention_role_ids, reference_message_id, reference_channel_id,"
    " reference_guild_id, nonce)),"
    " locked AS (SELECT c.id FROM channels c"
    " WHERE c.id IN (SELECT channel_id FROM input) ORDER BY c.id FOR NO KEY UPDATE),"
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
    found: ChannelContext | None = None
    message: NewMessage | None = None

    def settle(self, result: SentMessage | None) -> None:
        if not self.future.done():  # a cancelled caller's future is done already
            self.future.set_result(result)

    def fail(self, error: BaseException) -> None:
        if not self.future.done():
            self.future.set_exception(error)


class SendBatches:
    """``MessageRepository.send_message`` for many callers at once; lives on the asyncio loop."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        max_batch: int = MAX_BATCH,
        max_waiting: int = MAX_WAITING,
        max_in_flight: int = MAX_IN_FLIGHT,
    ) -> None:
        self._pool = pool
        self._max_batch = max_batch
        self._max_waiting = max_waiting
        self._max_in_flight = max_in_flight
        self._waiting: deque[_Send] = deque()
        self._room: asyncio.Event | None = None  # made on the loop, when first needed
        self._drainers: set[asyncio.Task[None]] = set()  # referenced while they run

    async def send(
        self, channel_id: Snowflake, author_id: Snowflake, compose: Compose, enforce_nonce: bool
    ) -> SentMessage | None:
        """One send, stored with whatever else is waiting; cancelled while waiting, nothing is."""
        while len(self._waiting) >= self._max_waiting:
            if self._room is None:
                self._room = asyncio.Event()
            self._room.clear()
            await self._room.wait()
        loop = asyncio.get_running_loop()
        send = _Send(channel_id, author_id, compose, enforce_nonce, loop.create_future())
        self._waiting.append(send)
        if len(self._drainers) < self._max_in_flight:
            self._drainers.add(loop.create_task(self._drain()))
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
            # Gone from the set before anything else runs: a send queued next starts a drainer.
            self._drainers.discard(cast("asyncio.Task[None]", asyncio.current_task()))
            # The last drainer stopped by a shutdown under a batch leaves no caller hanging.
            if not self._drainers:
                while self._waiting:
                    self._waiting.popleft().fail(asyncio.CancelledError())
                if self._room is not None:
                    self._room.set()


async def _store_batch(pool: asyncpg.Pool, batch: Sequence[_Send]) -> None:
    try:
        async with pool.acquire() as connection:
            await _compose_all(connection, batch)
            composed = [s for s in batch if s.message is not None]
            await _refuse_closed_dms(connection, composed)
            await _drop_dead_replies(connection, composed)
            plain = [s for s in composed if not s.future.done() and not _needs_own_statement(s)]
            if plain:
                await _insert_plain(connection, plain)
        # Nonce claims, attachments and rows the statement could not take: each on a
        # connection of its own and all at once, so one that waits on a lock holds up
        # only itself.
        alone = [s for s in composed if not s.future.done()]
        if alone:
            await asyncio.gather(*(_store_alone(pool, s) for s in alone))
    except BaseException as error:
        for send in batch:
            send.fail(
                _own_copy(error) if isinstance(error, Exception) else asyncio.CancelledError()
            )
        if not isinstance(error, Exception):
            raise


def _own_copy(error: Exception) -> Exception:
    """One caller's copy of a batch-wide failure: raising one object in many tasks mixes
    their tracebacks."""
    clone = copy.copy(error)
    clone.__cause__ = error
    return clone


async def _compose_all(connection: PoolConnectionProxy, batch: Sequence[_Send]) -> None:
    """Read every context in one query and compose; a refused send fails alone."""
    rows = await connection.fetch(
        _CONTEXTS, [s.channel_id for s in batch], [s.author_id for s in batch]
    )
    by_position = {row["n"]: row for row in rows}
    for position, send in enumerate(batch, start=1):
        row = by_position.get(position)
        try:
            send.found = None if row is None else _context_from_row(row, send.author_id)
            send.message = send.compose(send.found)  # raises to refuse
        except Exception as error:
            send.fail(error)


def _context_from_row(row: asyncpg.Record, user_id: Snowflake) -> ChannelContext:
    channel = channel_from_row(row)
    if row["context_guild_id"] is None:
        return channel, None
    return channel, permission_context_from_row(row, user_id, channel)


async def _refuse_closed_dms(connection: PoolConnectionProxy, sends: Sequence[_Send]) -> None:
    """A DM send is refused (50007) unless its author may message the other recipient.

    Guild sends never get here past the type test: the query runs only for a
    batch that holds a DM.
    """
    dms: list[tuple[_Send, Snowflake]] = []
    for send in sends:
        assert send.found is not None  # composed, so the channel was found
        channel = send.found[0]
        if channel.type is not ChannelType.DM:
            continue
        others = [r for r in channel.recipient_ids if r != send.author_id]
        if others:
            dms.append((send, others[0]))
        else:  # the other recipient's account is gone
            send.fail(CannotMessageUser())
    if not dms:
        return
    standings = await fetch_dm_standings(
        connection, [(send.author_id, recipient) for send, recipient in dms]
    )
    for (send, _), standing in zip(dms, standings, strict=True):
        if not standing.may_message:
            send.fail(CannotMessageUser())


async def _drop_dead_replies(connection: PoolConnectionProxy, sends: Sequence[_Send]) -> None:
    """A reply whose target is not a live message of its channel is refused (None)."""
    replies = [(s, ref) for s in sends if (ref := _composed(s).reference) is not None]
    if not replies:
        return
    rows = await connection.fetch(
        _LIVE_TARGETS,
        [ref.message_id for _, ref in replies],
        [ref.channel_id for _, ref in replies],
    )
    live = {row["n"] for row in rows}
    for position, (send, _) in enumerate(replies, start=1):
        if position not in live:
            send.settle(None)


def _composed(send: _Send) -> NewMessage:
    assert send.message is not None  # only composed sends get this far
    return send.message


def _needs_own_statement(send: _Send) -> bool:
    """Nonce claims need a transaction of their own; attachments a second table.

    These are stored after the batch's plain messages, so their answers can
    follow those of later sends; concurrent sends have no order to keep.
    """
    message = _composed(send)
    return bool(message.attachments) or (send.enforce_nonce and message.nonce is not None)


def _array_literal(ids: tuple[Snowflake, ...]) -> str:
    return "{" + ",".join(str(i) for i in ids) + "}"


async def _insert_plain(connection: PoolConnectionProxy, sends: Sequence[_Send]) -> None:
    messages = [_composed(s) for s in sends]
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
    except asyncpg.PostgresError as error:
        # Nothing was stored; each is stored on its own next, and fails alone.
        log.info("a batch of %d sends is stored one by one: %s", len(sends), error)
        return
    authors = {row["message_id"]: author_from_row(row) for row in rows}
    for send, message in zip(sends, messages, strict=True):
        assert send.found is not None  # composed, so the channel was found
        send.settle(SentMessage(new_message_stored(message, authors[message.id]), *send.found))


async def _store_alone(pool: asyncpg.Pool, send: _Send) -> None:
    assert send.message is not None and send.found is not None
    try:
        async with pool.acquire() as connection:
            stored = await store_one(connection, send.message, send.enforce_nonce)
    except Exception as error:
        send.fail(error)
    else:
        send.settle(SentMessage(stored, *send.found))
