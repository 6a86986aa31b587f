"""Who holds a role: the members whose permissions change when the role does."""

from __future__ import annotations

from accord.core.ports.storage import MemberRepository
from accord.core.snowflake import Snowflake

# Members read per round trip while scanning a guild. The storage port has no
# "members holding role X" query, so a role edit pages through the guild: one
# read per 1,000 members, paid only when a role's permissions change.
HOLDER_PAGE = 1000


async def role_holders(
    members: MemberRepository, guild_id: Snowflake, role_id: Snowflake
) -> frozenset[Snowflake]:
    """The ids of the members holding ``role_id`` (every member, for @everyone)."""
    if role_id == guild_id:
        return frozenset(await members.list_guild_member_ids(guild_id))
    holders: set[Snowflake] = set()
    after: Snowflake | None = None
    while True:
        page = await members.list_members(guild_id, after=after, limit=HOLDER_PAGE)
        holders.update(m.user.id for m in page if role_id in m.role_ids)
        if len(page) < HOLDER_PAGE:
            return frozenset(holders)
        after = page[-1].user.id
