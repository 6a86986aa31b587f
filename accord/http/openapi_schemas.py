"""JSON Schemas of what the REST API answers, for the OpenAPI document.

They describe Discord's shapes as Accord sends them (``accord/core/shapes.py``
and the services' own shapes): every field Accord always sends is required,
nullable ones say so, and extra fields are allowed, as Discord adds fields
over time and its clients ignore the ones they do not know.
"""

from __future__ import annotations

from typing import Any

from accord.core.snowflake import MAX_SNOWFLAKE

Schema = dict[str, Any]


def decimal_at_most(limit: int) -> str:
    """A regular expression for the decimal numbers 0..limit (leading zeros allowed)."""
    digits = str(limit)
    choices = [f"[0-9]{{1,{len(digits) - 1}}}"] if len(digits) > 1 else []
    for i, digit in enumerate(digits):
        if digit != "0":
            rest = len(digits) - i - 1
            tail = f"[0-9]{{{rest}}}" if rest else ""
            choices.append(f"{digits[:i]}[0-{int(digit) - 1}]{tail}")
    choices.append(digits)
    return "^(?:" + "|".join(choices) + ")$"


# An id as Accord sends it and parse_snowflake reads it: a signed 64-bit id in decimal.
SNOWFLAKE_PATTERN = decimal_at_most(MAX_SNOWFLAKE)
# parse_permissions reads bitfields below 2**63, in the same two forms.
MAX_PERMISSIONS = (1 << 63) - 1


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


def array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


def obj(required: dict[str, Schema], optional: dict[str, Schema] | None = None) -> Schema:
    """An object with these fields always present (and these others sometimes)."""
    return {
        "type": "object",
        "required": list(required),
        "properties": {**required, **(optional or {})},
    }


STRING: Schema = {"type": "string"}
INTEGER: Schema = {"type": "integer"}
BOOLEAN: Schema = {"type": "boolean"}
NULL: Schema = {"type": "null"}
ID = ref("Snowflake")
OPTIONAL_ID = nullable(ID)
TIMESTAMP = ref("Timestamp")
PERMISSIONS = ref("Permissions")


def _channel_variant(kind: int, fields: dict[str, Schema]) -> Schema:
    return obj(
        {
            "id": ID,
            "type": {"const": kind},
            "last_message_id": OPTIONAL_ID,
            "flags": INTEGER,
            **fields,
        }
    )


_GUILD_CHANNEL_FIELDS: dict[str, Schema] = {
    "guild_id": ID,
    "name": STRING,
    "position": INTEGER,
    "parent_id": OPTIONAL_ID,
    "permission_overwrites": array(ref("Overwrite")),
    "nsfw": BOOLEAN,
}

_MEMBER_FIELDS: dict[str, Schema] = {
    "nick": nullable(STRING),
    "avatar": nullable(STRING),
    "roles": array(ID),
    "joined_at": TIMESTAMP,
    "premium_since": nullable(TIMESTAMP),
    "deaf": BOOLEAN,
    "mute": BOOLEAN,
    "flags": INTEGER,
    "pending": BOOLEAN,
    "communication_disabled_until": nullable(TIMESTAMP),
}

_PARTIAL_GUILD_FIELDS: dict[str, Schema] = {
    "id": ID,
    "name": STRING,
    "icon": nullable(STRING),
    "description": nullable(STRING),
    "owner_id": ID,
    "features": array(STRING),
}

_GUILD_FIELDS: dict[str, Schema] = {
    **_PARTIAL_GUILD_FIELDS,
    "splash": nullable(STRING),
    "discovery_splash": nullable(STRING),
    "region": nullable(STRING),
    "afk_channel_id": OPTIONAL_ID,
    "afk_timeout": INTEGER,
    "verification_level": INTEGER,
    "default_message_notifications": INTEGER,
    "explicit_content_filter": INTEGER,
    "roles": array(ref("Role")),
    "emojis": array({"type": "object"}),
    "stickers": array({"type": "object"}),
    "mfa_level": INTEGER,
    "system_channel_id": OPTIONAL_ID,
    "system_channel_flags": INTEGER,
    "rules_channel_id": OPTIONAL_ID,
    "vanity_url_code": nullable(STRING),
    "banner": nullable(STRING),
    "premium_tier": INTEGER,
    "premium_subscription_count": INTEGER,
    "preferred_locale": STRING,
    "public_updates_channel_id": OPTIONAL_ID,
    "nsfw_level": INTEGER,
    "premium_progress_bar_enabled": BOOLEAN,
}

_COUNTS: dict[str, Schema] = {
    "approximate_member_count": INTEGER,
    "approximate_presence_count": INTEGER,
}

_INVITE_FIELDS: dict[str, Schema] = {
    "type": {"const": 0},
    "code": STRING,
    "guild": ref("InviteGuild"),
    "channel": obj({"id": ID, "name": nullable(STRING), "type": INTEGER}),
    "uses": INTEGER,
    "max_uses": INTEGER,
    "max_age": INTEGER,
    "temporary": BOOLEAN,
    "created_at": TIMESTAMP,
    "expires_at": nullable(TIMESTAMP),
}

_ERROR_DETAIL = obj({"field": STRING, "code": STRING, "message": STRING})

COMPONENTS: dict[str, Schema] = {
    "Snowflake": {
        "type": "string",
        "pattern": SNOWFLAKE_PATTERN,
        "description": "An id: a 64-bit integer written in decimal, as a string.",
    },
    "Timestamp": {"type": "string", "format": "date-time"},
    "Permissions": {
        "type": "string",
        "pattern": decimal_at_most(MAX_PERMISSIONS),
        "description": "A permission bitfield written in decimal, as a string.",
    },
    "User": obj(
        {
            "id": ID,
            "username": STRING,
            "discriminator": STRING,
            "global_name": nullable(STRING),
            "avatar": nullable(STRING),
            "bot": BOOLEAN,
            "system": BOOLEAN,
            "public_flags": INTEGER,
        }
    ),
    "CurrentUser": {
        "allOf": [
            ref("User"),
            obj(
                {
                    "email": nullable(STRING),
                    "verified": BOOLEAN,
                    "mfa_enabled": BOOLEAN,
                    "locale": STRING,
                    "flags": INTEGER,
                }
            ),
        ]
    },
    "UserSettings": obj({"allow_dms_from_anyone": BOOLEAN}),
    "Role": obj(
        {
            "id": ID,
            "name": STRING,
            "color": INTEGER,
            "colors": obj(
                {"primary_color": INTEGER, "secondary_color": NULL, "tertiary_color": NULL}
            ),
            "hoist": BOOLEAN,
            "icon": NULL,
            "unicode_emoji": NULL,
            "position": INTEGER,
            "permissions": PERMISSIONS,
            "managed": BOOLEAN,
            "mentionable": BOOLEAN,
            "flags": INTEGER,
        }
    ),
    "Overwrite": obj(
        {"id": ID, "type": {"enum": [0, 1]}, "allow": PERMISSIONS, "deny": PERMISSIONS}
    ),
    "Channel": {
        "description": "A guild text channel (0), DM (1), group DM (3) or category (4).",
        "oneOf": [
            _channel_variant(
                0,
                {
                    **_GUILD_CHANNEL_FIELDS,
                    "topic": nullable(STRING),
                    "rate_limit_per_user": INTEGER,
                },
            ),
            _channel_variant(1, {"recipients": array(ref("User"))}),
            _channel_variant(
                3,
                {
                    "recipients": array(ref("User")),
                    "name": nullable(STRING),
                    "owner_id": OPTIONAL_ID,
                    "icon": nullable(STRING),
                },
            ),
            _channel_variant(4, _GUILD_CHANNEL_FIELDS),
        ],
    },
    "Member": obj({**_MEMBER_FIELDS, "user": ref("User")}),
    "PartialGuild": obj(_PARTIAL_GUILD_FIELDS),
    "CurrentUserGuild": obj(
        {**_PARTIAL_GUILD_FIELDS, "owner": BOOLEAN, "permissions": PERMISSIONS, "banner": NULL},
        _COUNTS,
    ),
    "Guild": obj(_GUILD_FIELDS, {"member_count": INTEGER, **_COUNTS}),
    "CreatedGuild": obj(
        {
            **_GUILD_FIELDS,
            "member_count": INTEGER,
            "channels": array(ref("Channel")),
            "members": array(ref("Member")),
            "large": BOOLEAN,
            "unavailable": BOOLEAN,
            "threads": array({"type": "object"}),
            "presences": array({"type": "object"}),
            "voice_states": array({"type": "object"}),
            "joined_at": nullable(TIMESTAMP),
        }
    ),
    "Emoji": obj({"id": OPTIONAL_ID, "name": STRING}),
    "Message": obj(
        {
            "id": ID,
            "channel_id": ID,
            "author": ref("User"),
            "content": STRING,
            "timestamp": TIMESTAMP,
            "edited_timestamp": nullable(TIMESTAMP),
            "tts": BOOLEAN,
            "mention_everyone": BOOLEAN,
            "mentions": array(ref("User")),
            "mention_roles": array(ID),
            "attachments": array(
                obj(
                    {
                        "id": ID,
                        "filename": STRING,
                        "size": INTEGER,
                        "url": STRING,
                        "proxy_url": STRING,
                        "content_type": nullable(STRING),
                        "width": nullable(INTEGER),
                        "height": nullable(INTEGER),
                    }
                )
            ),
            "embeds": array({"type": "object"}),
            "reactions": array(
                obj(
                    {
                        "emoji": ref("Emoji"),
                        "count": INTEGER,
                        "count_details": obj({"burst": INTEGER, "normal": INTEGER}),
                        "me": BOOLEAN,
                        "me_burst": BOOLEAN,
                        "burst_colors": array(STRING),
                    }
                )
            ),
            "pinned": BOOLEAN,
            "type": INTEGER,
            "flags": INTEGER,
            "nonce": {"type": ["string", "integer", "null"]},
            "components": array({"type": "object"}),
        },
        {
            "guild_id": ID,
            "message_reference": obj(
                {"type": INTEGER, "message_id": ID, "channel_id": ID}, {"guild_id": ID}
            ),
        },
    ),
    "MessageSearch": obj(
        {
            "messages": array(
                array({"allOf": [ref("Message"), obj({"hit": {"const": True}})]}),
            ),
            "total_results": INTEGER,
        }
    ),
    "InviteGuild": obj(
        {
            **_PARTIAL_GUILD_FIELDS,
            "splash": NULL,
            "banner": NULL,
            "verification_level": INTEGER,
            "vanity_url_code": NULL,
            "nsfw": BOOLEAN,
            "nsfw_level": INTEGER,
            "premium_subscription_count": INTEGER,
        }
    ),
    "Invite": obj(_INVITE_FIELDS, {"inviter": ref("User"), **_COUNTS}),
    "AcceptedInvite": obj({**_INVITE_FIELDS, "new_member": BOOLEAN}, {"inviter": ref("User")}),
    "Ban": obj({"reason": nullable(STRING), "user": ref("User")}),
    "Application": obj(
        {
            "id": ID,
            "name": STRING,
            "icon": NULL,
            "description": STRING,
            "summary": STRING,
            "type": NULL,
            "hook": BOOLEAN,
            "rpc_origins": array(STRING),
            "bot_public": BOOLEAN,
            "bot_require_code_grant": BOOLEAN,
            "verify_key": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "owner": ref("User"),
            "team": NULL,
            "flags": INTEGER,
            "tags": array(STRING),
            "redirect_uris": array(STRING),
            "interactions_endpoint_url": NULL,
            "role_connections_verification_url": NULL,
            "terms_of_service_url": NULL,
            "privacy_policy_url": NULL,
            "custom_install_url": NULL,
            "install_params": NULL,
            "bot": ref("User"),
        }
    ),
    "CreatedApplication": {
        "description": "The application with its bot token, shown this once.",
        "allOf": [
            ref("Application"),
            obj({"token": STRING, "bot": {"allOf": [ref("User"), obj({"token": STRING})]}}),
        ],
    },
    "BotToken": obj({"token": STRING}),
    "BotAuthorization": obj(
        {
            "joined": BOOLEAN,
            "application": obj({"id": ID, "name": STRING}),
            "guild": ref("PartialGuild"),
            "member": ref("Member"),
            "role": nullable(ref("Role")),
        }
    ),
    "Tokens": obj(
        {
            "access_token": STRING,
            "refresh_token": STRING,
            "expires_in": INTEGER,
            "token_type": {"const": "Bearer"},
        }
    ),
    "Gateway": obj({"url": {"type": "string", "pattern": "^wss?://"}}),
    "GatewayBot": obj(
        {
            "url": {"type": "string", "pattern": "^wss?://"},
            "shards": INTEGER,
            "session_start_limit": obj(
                {
                    "total": INTEGER,
                    "remaining": INTEGER,
                    "reset_after": INTEGER,
                    "max_concurrency": INTEGER,
                }
            ),
        }
    ),
    "Health": obj({"status": {"const": "ok"}}),
    "Readiness": obj({"status": {"enum": ["ready", "unavailable"]}, "database": STRING}),
    "Error": {
        "description": (
            "Discord's error body (code, message, and per-field errors for a 400) and "
            "Accord's own error object with a string code and the request's id."
        ),
        **obj(
            {
                "code": INTEGER,
                "message": STRING,
                "error": obj(
                    {
                        "code": STRING,
                        "message": STRING,
                        "details": array(_ERROR_DETAIL),
                        "request_id": STRING,
                    }
                ),
            },
            {
                "errors": {
                    "type": "object",
                    "description": 'Per field: {"field": {"_errors": [{"code", "message"}]}}.',
                }
            },
        ),
    },
    "RateLimited": obj(
        {
            "message": STRING,
            "retry_after": {"type": "number", "minimum": 0},
            "global": BOOLEAN,
            "code": INTEGER,
        }
    ),
}
