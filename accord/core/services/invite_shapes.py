"""Discord's JSON shapes for invites: the REST invite object and the gateway payloads."""

from __future__ import annotations

from accord.core.entities import Channel, Guild, Invite, User
from accord.core.shapes import JSON, partial_guild_shape, timestamp, user_shape

INVITE_TYPE_GUILD = 0


def invite_guild_shape(guild: Guild) -> JSON:
    """The partial guild of an invite, with the fields clients read from it."""
    shape = partial_guild_shape(guild)
    shape.update(
        {
            "splash": None,
            "banner": None,
            "verification_level": 0,
            "vanity_url_code": None,
            "nsfw": False,
            "nsfw_level": 0,
            "premium_subscription_count": 0,
        }
    )
    return shape


def invite_shape(invite: Invite, guild: Guild, channel: Channel, inviter: User | None) -> JSON:
    """The invite object with its metadata (uses, limits, creation time)."""
    shape: JSON = {
        "type": INVITE_TYPE_GUILD,
        "code": invite.code,
        "guild": invite_guild_shape(guild),
        "channel": {"id": str(channel.id), "name": channel.name, "type": int(channel.type)},
        "uses": invite.uses,
        "max_uses": invite.max_uses,
        "max_age": invite.max_age,
        "temporary": invite.temporary,
        "created_at": timestamp(invite.created_at),
        "expires_at": timestamp(invite.expires_at),
    }
    if inviter is not None:
        shape["inviter"] = user_shape(inviter)
    return shape


def invite_create_payload(invite: Invite, inviter: User | None) -> JSON:
    """INVITE_CREATE's ``d``: ids instead of nested guild and channel."""
    payload: JSON = {
        "type": INVITE_TYPE_GUILD,
        "code": invite.code,
        "guild_id": str(invite.guild_id),
        "channel_id": str(invite.channel_id),
        "uses": invite.uses,
        "max_uses": invite.max_uses,
        "max_age": invite.max_age,
        "temporary": invite.temporary,
        "created_at": timestamp(invite.created_at),
        "expires_at": timestamp(invite.expires_at),
    }
    if inviter is not None:
        payload["inviter"] = user_shape(inviter)
    return payload


def invite_delete_payload(invite: Invite) -> JSON:
    return {
        "code": invite.code,
        "guild_id": str(invite.guild_id),
        "channel_id": str(invite.channel_id),
    }
