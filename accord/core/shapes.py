"""Discord's JSON shapes for entities, shared by the REST API and the gateway.

Ids are strings, timestamps ISO 8601 with ``+00:00``, permission sets
decimal strings: what Discord clients parse.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from accord.core.entities import (
    Account,
    Channel,
    ChannelType,
    Emoji,
    Guild,
    Member,
    Message,
    PermissionContext,
    Role,
    User,
)
from accord.core.permissions import Overwrite

JSON = dict[str, Any]


def timestamp(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def user_shape(user: User) -> JSON:
    return {
        "id": str(user.id),
        "username": user.username,
        "discriminator": user.discriminator,
        "global_name": user.global_name,
        "avatar": user.avatar,
        "bot": user.bot,
        "system": user.system,
        "public_flags": user.flags,
    }


def current_user_shape(account: Account | None, user: User) -> JSON:
    """``/users/@me``: the public shape plus what only the owner sees."""
    shape = user_shape(user)
    shape.update(
        {
            "email": account.email if account else None,
            "verified": account is not None,
            "mfa_enabled": False,
            "locale": "en-US",
            "flags": user.flags,
        }
    )
    return shape


def role_shape(role: Role) -> JSON:
    return {
        "id": str(role.id),
        "name": role.name,
        "color": role.color,
        "colors": {"primary_color": role.color, "secondary_color": None, "tertiary_color": None},
        "hoist": role.hoist,
        "icon": None,
        "unicode_emoji": None,
        "position": role.position,
        "permissions": str(int(role.permissions)),
        "managed": role.managed,
        "mentionable": role.mentionable,
        "flags": 0,
    }


def overwrite_shape(overwrite: Overwrite) -> JSON:
    return {
        "id": str(overwrite.id),
        "type": int(overwrite.type),
        "allow": str(int(overwrite.allow)),
        "deny": str(int(overwrite.deny)),
    }


def _optional_id(value: int | None) -> str | None:
    return None if value is None else str(value)


def channel_shape(channel: Channel, recipients: Sequence[User] = ()) -> JSON:
    shape: JSON = {
        "id": str(channel.id),
        "type": int(channel.type),
        "last_message_id": _optional_id(channel.last_message_id),
        "flags": 0,
    }
    if channel.type.in_guild:
        shape.update(
            {
                "guild_id": _optional_id(channel.guild_id),
                "name": channel.name,
                "position": channel.position,
                "parent_id": _optional_id(channel.parent_id),
                "permission_overwrites": [overwrite_shape(o) for o in channel.overwrites],
                "nsfw": False,
            }
        )
        if channel.type is ChannelType.GUILD_TEXT:
            shape["topic"] = channel.topic
            shape["rate_limit_per_user"] = 0
    else:
        shape["recipients"] = [user_shape(u) for u in recipients]
        if channel.type is ChannelType.GROUP_DM:
            shape.update(
                {"name": channel.name, "owner_id": _optional_id(channel.owner_id), "icon": None}
            )
    return shape


def member_shape(member: Member, *, with_user: bool = True) -> JSON:
    shape: JSON = {
        "nick": member.nick,
        "avatar": None,
        "roles": [str(r) for r in member.role_ids],
        "joined_at": timestamp(member.joined_at),
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "flags": member.flags,
        "pending": False,
        "communication_disabled_until": None,
    }
    if with_user:
        shape["user"] = user_shape(member.user)
    return shape


def partial_member_shape(context: PermissionContext) -> JSON:
    """The member fields message events carry beside ``author`` (no ``user``)."""
    return {
        "nick": context.nick,
        "avatar": None,
        "roles": [str(r) for r in context.member_role_ids if r != context.guild_id],
        "joined_at": timestamp(context.joined_at),
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "flags": context.member_flags,
        "pending": False,
        "communication_disabled_until": None,
    }


def guild_shape(guild: Guild, roles: Sequence[Role], member_count: int | None = None) -> JSON:
    shape: JSON = {
        "id": str(guild.id),
        "name": guild.name,
        "icon": guild.icon,
        "splash": None,
        "discovery_splash": None,
        "description": guild.description,
        "owner_id": str(guild.owner_id),
        "region": None,
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "roles": [role_shape(r) for r in roles],
        "emojis": [],
        "stickers": [],
        "features": [],
        "mfa_level": 0,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "vanity_url_code": None,
        "banner": None,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": "en-US",
        "public_updates_channel_id": None,
        "nsfw_level": 0,
        "premium_progress_bar_enabled": False,
    }
    if member_count is not None:
        shape["member_count"] = member_count
    return shape


def partial_guild_shape(guild: Guild) -> JSON:
    """``/users/@me/guilds`` entries and invite guilds."""
    return {
        "id": str(guild.id),
        "name": guild.name,
        "icon": guild.icon,
        "description": guild.description,
        "owner_id": str(guild.owner_id),
        "features": [],
    }


def emoji_shape(emoji: Emoji) -> JSON:
    return {"id": _optional_id(emoji.id), "name": emoji.name}


def message_shape(message: Message, mentions: Sequence[User] = ()) -> JSON:
    """A message as REST returns it and MESSAGE_CREATE carries it."""
    reference = message.reference
    return {
        "id": str(message.id),
        "channel_id": str(message.channel_id),
        **({"guild_id": str(message.guild_id)} if message.guild_id is not None else {}),
        "author": user_shape(message.author),
        "content": message.content,
        "timestamp": timestamp(message.created_at),
        "edited_timestamp": timestamp(message.edited_at),
        "tts": message.tts,
        "mention_everyone": message.mention_everyone,
        "mentions": [user_shape(u) for u in mentions],
        "mention_roles": [str(r) for r in message.mention_role_ids],
        "attachments": [
            {
                "id": str(a.id),
                "filename": a.filename,
                "size": a.size,
                "url": a.url,
                "proxy_url": a.proxy_url or a.url,
                "content_type": a.content_type,
                "width": a.width,
                "height": a.height,
            }
            for a in message.attachments
        ],
        "embeds": [],
        "reactions": [
            {
                "emoji": emoji_shape(r.emoji),
                "count": r.count,
                "count_details": {"burst": 0, "normal": r.count},
                "me": r.me,
                "me_burst": False,
                "burst_colors": [],
            }
            for r in message.reactions
        ],
        "pinned": message.pinned,
        "type": int(message.type),
        "flags": message.flags,
        "nonce": message.nonce,
        "components": [],
        # Absent, not null, on a message that replies to nothing: discord.py
        # reads a present key as a reference object.
        **(
            {}
            if reference is None
            else {
                "message_reference": {
                    "type": 0,
                    "message_id": str(reference.message_id),
                    "channel_id": str(reference.channel_id),
                    **({"guild_id": str(reference.guild_id)} if reference.guild_id else {}),
                },
                # Discord's null: the message replied to was deleted. Accord does not
                # resolve a live one, which Discord's absent key allows ("not fetched").
                **({"referenced_message": None} if message.reference_deleted else {}),
            }
        ),
    }
