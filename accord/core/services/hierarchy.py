"""The role hierarchy: which roles and members a caller may act on.

Discord's rule: a member manages only roles strictly below their own highest
role, and moderates only members whose highest role is strictly below it. The
owner stands above everything; ADMINISTRATOR does not lift the rule. @everyone
is position 0, so a member without roles outranks nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from accord.core.entities import Member, Role
from accord.core.errors import PermissionDenied
from accord.core.services.access import GuildAccess
from accord.core.snowflake import Snowflake


def outranks(access: GuildAccess, position: int) -> bool:
    """Whether the caller stands above a role (or member) at ``position``."""
    return access.is_owner or access.context.highest_role_position > position


def require_outranks(access: GuildAccess, position: int) -> None:
    if not outranks(access, position):
        raise PermissionDenied("Missing Permissions: role hierarchy")


def top_position(role_ids: Iterable[Snowflake], roles: Mapping[Snowflake, Role]) -> int:
    """The highest position among ``role_ids`` (0, @everyone's, when they hold none)."""
    return max((roles[r].position for r in role_ids if r in roles), default=0)


def require_outranks_member(
    access: GuildAccess, target: Member, roles: Mapping[Snowflake, Role]
) -> None:
    """Refuse moderating the owner, or a member at or above the caller's highest role."""
    if target.user.id == access.context.owner_id:
        raise PermissionDenied("Missing Permissions: the guild owner")
    require_outranks(access, top_position(target.role_ids, roles))


def roles_by_id(roles: Iterable[Role]) -> dict[Snowflake, Role]:
    return {r.id: r for r in roles}
