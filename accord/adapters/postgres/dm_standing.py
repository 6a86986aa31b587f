"""What decides whether one user may DM another, read for many pairs in one query."""

from __future__ import annotations

from collections.abc import Sequence

from asyncpg.pool import PoolConnectionProxy

from accord.core.ports.storage import DmStanding
from accord.core.snowflake import Snowflake

# For each (sender, recipient) pair, in the order given: whether they share a
# guild (members_user finds the sender's guilds, the members key each one's
# recipient row), whether the recipient allows DMs from anyone, and whether a
# DM between them exists (channels_dm_pair). A deleted account (or a missing
# one) shares nothing and allows nothing: it cannot be messaged, as on Discord.
_STANDINGS = (
    "SELECT q.n,"
    " (u.deleted_at IS NULL AND EXISTS (SELECT 1 FROM members s JOIN members r"
    " ON r.guild_id = s.guild_id AND r.user_id = q.recipient_id"
    " WHERE s.user_id = q.sender_id)) AS shares_guild,"
    " COALESCE(u.allow_dms_from_anyone AND u.deleted_at IS NULL, false) AS open_to_anyone,"
    " EXISTS (SELECT 1 FROM channels c WHERE c.type = 1"
    " AND c.dm_low = LEAST(q.sender_id, q.recipient_id)"
    " AND c.dm_high = GREATEST(q.sender_id, q.recipient_id)) AS has_dm"
    " FROM unnest($1::bigint[], $2::bigint[]) WITH ORDINALITY AS q(sender_id, recipient_id, n)"
    " LEFT JOIN users u ON u.id = q.recipient_id"
    " ORDER BY q.n"
)


async def fetch_dm_standings(
    connection: PoolConnectionProxy, pairs: Sequence[tuple[Snowflake, Snowflake]]
) -> list[DmStanding]:
    """The standing of each (sender, recipient) pair, in the order given."""
    if not pairs:
        return []
    rows = await connection.fetch(
        _STANDINGS, [sender for sender, _ in pairs], [recipient for _, recipient in pairs]
    )
    return [
        DmStanding(
            shares_guild=row["shares_guild"],
            open_to_anyone=row["open_to_anyone"],
            has_dm=row["has_dm"],
        )
        for row in rows
    ]
