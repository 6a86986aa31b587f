"""Which overwrite edits a member may make: nobody grants what they do not hold.

Discord's rule, for every route that writes a channel's overwrites (create,
modify, one overwrite's PUT or DELETE, a sync with the category):

- the caller needs MANAGE_ROLES in the channel (checked by the callers);
- every bit whose allow or deny the edit changes must be one the caller
  holds in the guild, or in the channel's category when it has one (a
  category overwrite may grant it there);
- a caller holding MANAGE_ROLES through an overwrite of the channel itself
  may also change the bits it holds in that channel;
- on channel create, only administrators may put MANAGE_ROLES in an overwrite.

The owner and ADMINISTRATOR hold everything. Only changed bits count, so a
member may edit one overwrite of a channel whose other overwrites carry bits
it lacks. ADMINISTRATOR inside an overwrite is inert (see permissions.py).
"""

from __future__ import annotations

from collections.abc import Iterable

from accord.core.entities import Channel, PermissionContext
from accord.core.errors import PermissionDenied
from accord.core.permissions import (
    ALL,
    NONE,
    OVERWRITABLE,
    Overwrite,
    OverwriteType,
    Permission,
)
from accord.core.services.access import guild_permissions_of, permissions_in


def changed_bits(before: Iterable[Overwrite], after: Iterable[Overwrite]) -> Permission:
    """The bits whose allow or deny differs between two overwrite lists."""
    old = {(o.type, o.id): o for o in before}
    new = {(o.type, o.id): o for o in after}
    empty = Overwrite(0, OverwriteType.ROLE)
    changed = NONE
    for key in old.keys() | new.keys():
        a, b = old.get(key, empty), new.get(key, empty)
        changed |= (a.allow ^ b.allow) | (a.deny ^ b.deny)
    return changed & OVERWRITABLE


def _manage_roles_by_overwrite(channel: Channel, context: PermissionContext) -> bool:
    targets = {(OverwriteType.ROLE, context.guild_id), (OverwriteType.MEMBER, context.user_id)}
    targets.update((OverwriteType.ROLE, r) for r in context.member_role_ids)
    return any(
        (o.type, o.id) in targets and o.allow & Permission.MANAGE_ROLES for o in channel.overwrites
    )


def grantable(context: PermissionContext, channel: Channel, parent: Channel | None) -> Permission:
    """The bits the caller may allow or deny in ``channel``'s overwrites."""
    base = guild_permissions_of(context)
    if base & Permission.ADMINISTRATOR:
        return ALL
    held = base | permissions_in(parent, context) if parent is not None else base
    if _manage_roles_by_overwrite(channel, context):
        held |= permissions_in(channel, context)
    return held


def require_grantable(
    context: PermissionContext,
    channel: Channel,
    parent: Channel | None,
    before: Iterable[Overwrite],
    after: Iterable[Overwrite],
) -> None:
    """Refuse (403) an edit that changes a bit the caller does not hold."""
    missing = changed_bits(before, after) & ~grantable(context, channel, parent)
    if missing:
        raise PermissionDenied(f"Missing Permissions: cannot grant or deny {missing.name}")


def require_creatable(context: PermissionContext, channel: Channel, parent: Channel | None) -> None:
    """The create-time rule: ``require_grantable`` from nothing, MANAGE_ROLES for admins only."""
    require_grantable(context, channel, parent, (), channel.overwrites)
    admin = guild_permissions_of(context) & Permission.ADMINISTRATOR
    if not admin and changed_bits((), channel.overwrites) & Permission.MANAGE_ROLES:
        raise PermissionDenied(
            "Missing Permissions: only administrators may overwrite MANAGE_ROLES"
        )
