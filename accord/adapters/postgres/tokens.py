"""Rotating refresh tokens in PostgreSQL.

A family is one login's chain of tokens. Exactly one link is live at a time:
the one neither revoked nor replaced; rotating it replaces it with the next.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg

from accord.adapters.postgres.base import PgRepository, on_database
from accord.adapters.postgres.sql import Connection, missing_reference, unique_conflict
from accord.core.entities import RefreshToken
from accord.core.ports.storage import RotateOutcome, RotateResult
from accord.core.snowflake import Snowflake

_INSERT = (
    "INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, expires_at, revoked_at,"
    " replaced_by) VALUES ($1, $2, $3, $4, $5, CASE WHEN $6 THEN now() END, $7)"
)


class PgTokenRepository(PgRepository):
    @on_database
    async def create_refresh_token(self, token: RefreshToken) -> None:
        async with self._pool.acquire() as connection:
            try:
                await connection.execute(
                    _INSERT,
                    token.id,
                    token.user_id,
                    token.family_id,
                    token.token_hash,
                    token.expires_at,
                    token.revoked,
                    token.replaced_by,
                )
            except asyncpg.UniqueViolationError as exc:
                raise unique_conflict(exc) from None
            except asyncpg.ForeignKeyViolationError as exc:
                raise missing_reference(exc) from None

    @on_database
    async def rotate_refresh_token(
        self, token_hash: bytes, replacement: RefreshToken, now: datetime
    ) -> RotateResult:
        async with self._pool.acquire() as connection:
            try:
                async with connection.transaction():
                    return await _rotate(connection, token_hash, replacement, now)
            except asyncpg.UniqueViolationError as exc:
                raise unique_conflict(exc) from None

    @on_database
    async def revoke_family(self, family_id: Snowflake) -> int:
        async with self._pool.acquire() as connection, connection.transaction():
            return await revoke_tokens(connection, "family_id", family_id)

    @on_database
    async def revoke_user_logins(self, user_id: Snowflake) -> int:
        async with self._pool.acquire() as connection, connection.transaction():
            return await revoke_tokens(connection, "user_id", user_id)

    @on_database
    async def is_family_live(self, family_id: Snowflake, now: datetime) -> bool:
        async with self._pool.acquire() as connection:
            live: bool = await connection.fetchval(
                "SELECT EXISTS (SELECT 1 FROM refresh_tokens WHERE family_id = $1"
                " AND revoked_at IS NULL AND replaced_by IS NULL AND expires_at > $2)",
                family_id,
                now,
            )
        return live


# A rotation commits a new head while a revocation may be under way; see
# revoke_tokens. Each extra pass needs another rotation racing the previous
# one, so a handful always suffices.
MAX_REVOKE_PASSES = 16
_REVOKE_SQL = {
    column: "WITH revoked AS (UPDATE refresh_tokens SET revoked_at = now()"
    f" WHERE {column} = $1 AND revoked_at IS NULL RETURNING replaced_by)"
    " SELECT count(*) AS found, count(*) FILTER (WHERE replaced_by IS NULL) AS heads FROM revoked"
    for column in ("family_id", "user_id")
}


async def revoke_tokens(connection: Connection, column: str, key: Snowflake) -> int:
    """Revoke every token whose `column` is `key` (a login or all of a user's); returns how
    many were live (replaced links were already dead; only a chain's head counts).

    One UPDATE is not enough: a rotation that locked the head first commits
    its replacement while the UPDATE waits for that lock, and the UPDATE,
    whose snapshot predates the replacement, revokes the old head but never
    sees the new one. So the UPDATE is repeated until it finds nothing left:
    each pass sees what rotations committed before it began, and a rotation
    still in flight holds a row that pass finds and waits for.
    """
    live = 0
    for _ in range(MAX_REVOKE_PASSES):
        row = await connection.fetchrow(_REVOKE_SQL[column], key)
        assert row is not None  # an aggregate always yields its row
        live += int(row["heads"])
        if row["found"] == 0:
            return live
    raise RuntimeError(f"tokens of {column} {key} kept rotating during revocation")


async def _rotate(
    connection: Connection, token_hash: bytes, replacement: RefreshToken, now: datetime
) -> RotateResult:
    # The row lock makes two concurrent uses of one token take turns: the
    # second sees it replaced and is treated as a replay.
    old = await connection.fetchrow(
        "SELECT id, user_id, family_id, expires_at, revoked_at, replaced_by"
        " FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE",
        token_hash,
    )
    if old is None:
        return RotateResult(RotateOutcome.UNKNOWN)
    user_id, family_id = Snowflake(old["user_id"]), Snowflake(old["family_id"])
    if old["revoked_at"] is not None or old["replaced_by"] is not None:
        await connection.execute(
            "UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL",
            family_id,
            now,
        )
        return RotateResult(RotateOutcome.REUSED, user_id, family_id)
    if old["expires_at"] <= now:
        return RotateResult(RotateOutcome.EXPIRED, user_id, family_id)
    await connection.execute(
        "UPDATE refresh_tokens SET replaced_by = $2 WHERE id = $1", old["id"], replacement.id
    )
    # The replacement continues the old token's login, whatever the caller put there.
    await connection.execute(
        _INSERT,
        replacement.id,
        user_id,
        family_id,
        replacement.token_hash,
        replacement.expires_at,
        False,
        None,
    )
    return RotateResult(RotateOutcome.ROTATED, user_id, family_id)
