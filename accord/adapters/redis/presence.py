"""Presence on Redis: every session of a user, on every gateway process, in one place.

Keys (under the prefix):
- `presence:{user}`: hash of `{process}|{session}` -> status;
- `gateways`: sorted set of process ids scored by when their liveness ends;
- `gateway-users:{process}`: the users with sessions on that process;
- `last-seen`: hash of user -> Unix ms when they were last seen online.

A process refreshes its liveness every few seconds (`keep_alive`); the
sessions of a process whose liveness lapsed no longer count, and the first
live process to notice removes them and reports who went offline
(`reap_departed`). So a process that dies takes its users offline within the
TTL. Times come from Redis (TIME), so processes on different hosts agree.
"""

from __future__ import annotations

import os
import secrets
import socket
from datetime import UTC, datetime
from typing import Final

import redis.asyncio as aioredis

from accord.adapters.redis.client import RedisLink, text
from accord.core.ports.presence import PresenceState, Status, StatusChange, aggregate
from accord.core.snowflake import Snowflake

# Only one live process cleans up after a dead one; the claim outlives a slow cleanup.
REAP_CLAIM_S: Final = 60
# Users whose statuses one pipeline reads (a GUILD_CREATE asks for up to 250,
# a member chunk for up to 1,000): bounds one reply, whatever a caller asks for.
STATUS_READ_BATCH: Final = 1000

# One session's change and the statuses of the user's live sessions just
# before and just after it, as one script: Redis runs a script with nothing
# in between, so concurrent changes to one user each see a true "before".
# KEYS: presence:{user}, gateway-users:{process}, gateways.
# ARGV: "{process}|{session}", the status ("" drops the session), user, process.
# Returns {statuses before, statuses after, Redis's time in ms}.
_CHANGE_SESSION: Final = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local live = {}
local function live_statuses()
  local out = {}
  local flat = redis.call('HGETALL', KEYS[1])
  for i = 1, #flat, 2 do
    local process = string.match(flat[i], '^(.-)|')
    if live[process] == nil then
      local ends = redis.call('ZSCORE', KEYS[3], process)
      live[process] = ends ~= false and tonumber(ends) > now
    end
    if live[process] then out[#out + 1] = flat[i + 1] end
  end
  return out
end
local before = live_statuses()
if ARGV[2] ~= '' then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  redis.call('SADD', KEYS[2], ARGV[3])
else
  redis.call('HDEL', KEYS[1], ARGV[1])
  local mine = ARGV[4] .. '|'
  local kept = false
  for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
    if string.sub(field, 1, #mine) == mine then kept = true break end
  end
  if not kept then redis.call('SREM', KEYS[2], ARGV[3]) end
end
return {before, live_statuses(), now}
"""


def process_id() -> str:
    """Unique per process start, readable in Redis: host, pid and a random tag."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


class RedisPresence:
    def __init__(
        self,
        link: RedisLink,
        prefix: str,
        *,
        ttl_s: float,
        process: str | None = None,
    ) -> None:
        self._link = link
        self._prefix = prefix
        self._ttl_ms = int(ttl_s * 1000)
        self.process = process or process_id()
        self._change_session = link.client.register_script(_CHANGE_SESSION)

    def _key(self, *parts: str | int) -> str:
        return ":".join((self._prefix, *map(str, parts)))

    async def keep_alive(self) -> None:
        await self._link.run(self._keep_alive)

    async def set_session_status(
        self, user_id: Snowflake, session_id: str, status: Status
    ) -> StatusChange:
        return await self._link.run(self._set, user_id, session_id, status)

    async def drop_session(self, user_id: Snowflake, session_id: str) -> StatusChange:
        return await self._link.run(self._drop, user_id, session_id)

    async def get_statuses(self, user_ids: list[Snowflake]) -> dict[Snowflake, PresenceState]:
        return await self._link.run(self._statuses, user_ids)

    async def reap_departed(self) -> list[PresenceState]:
        return await self._link.run(self._reap)

    # What follows runs on the bridge's asyncio loop.

    @property
    def _client(self) -> aioredis.Redis:
        return self._link.client

    async def _now_ms(self) -> int:
        seconds, micros = await self._client.time()
        return int(seconds) * 1000 + int(micros) // 1000

    async def _keep_alive(self) -> None:
        now = await self._now_ms()
        await self._client.zadd(self._key("gateways"), {self.process: now + self._ttl_ms})

    async def _live(self, processes: set[str], now: int) -> set[str]:
        if not processes:
            return set()
        ordered = sorted(processes)
        ends = await self._client.zmscore(self._key("gateways"), ordered)
        return {p for p, end in zip(ordered, ends, strict=True) if end is not None and end > now}

    async def _sessions(self, user_id: int) -> dict[str, Status]:
        raw = await self._client.hgetall(self._key("presence", user_id))
        return {text(field): Status(text(value)) for field, value in raw.items()}

    async def _aggregate(self, user_id: int, now: int) -> Status:
        sessions = await self._sessions(user_id)
        live = await self._live({f.split("|", 1)[0] for f in sessions}, now)
        return aggregate([s for f, s in sessions.items() if f.split("|", 1)[0] in live])

    async def _change(
        self, user_id: Snowflake, session_id: str, status: Status | None
    ) -> tuple[StatusChange, int]:
        before, after, now = await self._change_session(
            keys=[
                self._key("presence", user_id),
                self._key("gateway-users", self.process),
                self._key("gateways"),
            ],
            args=[
                f"{self.process}|{session_id}",
                "" if status is None else status.value,
                user_id,
                self.process,
            ],
        )
        change = StatusChange(
            *(aggregate([Status(text(v)) for v in side]) for side in (before, after))
        )
        return change, int(now)

    async def _set(self, user_id: Snowflake, session_id: str, status: Status) -> StatusChange:
        change, _ = await self._change(user_id, session_id, status)
        return change

    async def _drop(self, user_id: Snowflake, session_id: str) -> StatusChange:
        change, now = await self._change(user_id, session_id, None)
        if change.after is Status.OFFLINE:
            await self._client.hset(self._key("last-seen"), str(user_id), now)
        return change

    async def _statuses(self, user_ids: list[Snowflake]) -> dict[Snowflake, PresenceState]:
        found: dict[Snowflake, PresenceState] = {}
        for start in range(0, len(user_ids), STATUS_READ_BATCH):
            found.update(await self._statuses_of(user_ids[start : start + STATUS_READ_BATCH]))
        return found

    async def _statuses_of(self, user_ids: list[Snowflake]) -> dict[Snowflake, PresenceState]:
        """Two round trips for any number of users: their sessions, then which processes live."""
        async with self._client.pipeline(transaction=False) as pipe:
            pipe.time()
            for user_id in user_ids:
                pipe.hgetall(self._key("presence", user_id))
            pipe.hmget(self._key("last-seen"), [str(u) for u in user_ids])
            replies = await pipe.execute()
        (seconds, micros), raw_sessions, seen = replies[0], replies[1:-1], replies[-1]
        sessions = [{text(f): Status(text(v)) for f, v in raw.items()} for raw in raw_sessions]
        now = int(seconds) * 1000 + int(micros) // 1000
        live = await self._live({f.split("|", 1)[0] for mine in sessions for f in mine}, now)
        found: dict[Snowflake, PresenceState] = {}
        for user_id, mine, last in zip(user_ids, sessions, seen, strict=True):
            status = aggregate([s for f, s in mine.items() if f.split("|", 1)[0] in live])
            last_seen = None if last is None else datetime.fromtimestamp(int(last) / 1000, UTC)
            found[user_id] = PresenceState(user_id, status, last_seen)
        return found

    async def _reap(self) -> list[PresenceState]:
        now = await self._now_ms()
        changed: list[PresenceState] = []
        for raw in await self._client.zrangebyscore(self._key("gateways"), "-inf", now):
            dead = text(raw)
            claim = self._key("reaping", dead)
            if dead == self.process or not await self._client.set(
                claim, self.process, nx=True, ex=REAP_CLAIM_S
            ):
                continue
            users_key = self._key("gateway-users", dead)
            for member in await self._client.smembers(users_key):
                user_id = Snowflake(int(member))
                sessions = await self._sessions(user_id)
                stale = [f for f in sessions if f.startswith(f"{dead}|")]
                before = aggregate(list(sessions.values()))  # as last announced
                if stale:
                    await self._client.hdel(self._key("presence", user_id), *stale)
                after = await self._aggregate(user_id, now)
                if after is Status.OFFLINE:
                    await self._client.hset(self._key("last-seen"), str(user_id), now)
                if after is not before:
                    changed.append(PresenceState(user_id, after))
            await self._client.delete(users_key)
            await self._client.zrem(self._key("gateways"), dead)
        return changed
