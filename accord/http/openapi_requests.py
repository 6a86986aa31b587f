"""What the OpenAPI document says a request may carry: path and query parameters, and
the limits of body fields that the pydantic models leave to the services.

The limits are the services' own constants, so the document moves with them.
A body model's fields are typed by pydantic; the services check lengths, ranges
and formats, and ``BODY_FIELDS`` states those checks for the document.
"""

from __future__ import annotations

from accord.core.services.bans import MAX_DELETE_DAYS, MAX_DELETE_SECONDS
from accord.core.services.channel_positions import POSITION_MAX
from accord.core.services.channels import MAX_OVERWRITES
from accord.core.services.members import MEMBER_PAGE_MAX, SEARCH_QUERY_MAX
from accord.core.services.message_search import LIMIT_MAX as SEARCH_LIMIT_MAX
from accord.core.services.message_search import OFFSET_MAX, QUERY_MAX
from accord.core.services.messages import BULK_MAX, BULK_MIN, HISTORY_MAX
from accord.core.services.reactions import USERS_MAX
from accord.core.services.roles import MAX_ROLE_POSITION
from accord.core.services.users import GUILD_PAGE_MAX, GUILD_PAGE_MIN
from accord.core.snowflake import MAX_SNOWFLAKE
from accord.core.validation import (
    COLOR_MAX,
    CONTENT_MAX,
    DESCRIPTION_MAX,
    EMAIL_MAX,
    INVITE_MAX_AGE,
    INVITE_MAX_USES,
    NAME_MAX,
    NAME_MIN,
    NICK_MAX,
    NONCE_MAX,
    PASSWORD_MAX,
    PASSWORD_MIN,
    TOPIC_MAX,
    USERNAME_MAX,
    USERNAME_MIN,
)
from accord.http.openapi_schemas import MAX_PERMISSIONS, Schema, array, ref

SNOWFLAKE_TEXT = ref("Snowflake")
# In a body an id may also be a JSON number, as Discord accepts.
SNOWFLAKE_VALUE: Schema = {
    "anyOf": [SNOWFLAKE_TEXT, {"type": "integer", "minimum": 0, "maximum": MAX_SNOWFLAKE}]
}
# A permission set: a decimal string (Discord's form) or a number.
BITFIELD: Schema = {
    "anyOf": [ref("Permissions"), {"type": "integer", "minimum": 0, "maximum": MAX_PERMISSIONS}],
    "description": "A permission bitfield: a decimal string or an integer.",
}
# Control characters are refused in one-line names; they must not be blank once trimmed.
_LABEL = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"


def _text(low: int, high: int, pattern: str | None = None) -> Schema:
    schema: Schema = {"type": "string", "minLength": low, "maxLength": high}
    if pattern is not None:
        schema["pattern"] = pattern
    return schema


def _int(low: int, high: int) -> Schema:
    return {"type": "integer", "minimum": low, "maximum": high}


NAME = _text(NAME_MIN, NAME_MAX, _LABEL) | {
    "description": f"{NAME_MIN}-{NAME_MAX} characters once trimmed, without control characters."
}
USERNAME = _text(USERNAME_MIN, USERNAME_MAX, "^[A-Za-z0-9_]+$")
PASSWORD = _text(PASSWORD_MIN, PASSWORD_MAX) | {
    "description": (
        f"{PASSWORD_MIN}-{PASSWORD_MAX} characters; the server may refuse passwords that are "
        "too easily guessed, and says why."
    )
}
# validate_email's form, around which it trims whitespace.
_LABEL_DNS = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL = _text(3, EMAIL_MAX) | {
    "pattern": f"^\\s*[A-Za-z0-9.!#$%&'*+/=?^_`{{|}}~-]+@{_LABEL_DNS}(?:\\.{_LABEL_DNS})+\\s*$"
}
OVERWRITE_INPUT: Schema = {
    "type": "object",
    "required": ["id", "type"],
    "properties": {
        "id": SNOWFLAKE_VALUE,
        "type": {"enum": [0, 1], "description": "0 for a role, 1 for a member."},
        "allow": {"anyOf": [BITFIELD, {"type": "null"}]},
        "deny": {"anyOf": [BITFIELD, {"type": "null"}]},
    },
}
OVERWRITES = array(OVERWRITE_INPUT) | {"maxItems": MAX_OVERWRITES}
CHANNEL_POSITION = _int(0, POSITION_MAX)

# A message's text: not blank (Accord sends no embeds, files or stickers, so text is required).
CONTENT = _text(1, CONTENT_MAX, "\\S")

# Per body model (by its class name), the full schema of the fields whose limits
# the services check. A field that may also be null stays nullable.
BODY_FIELDS: dict[str, dict[str, Schema]] = {
    "RegisterBody": {"username": USERNAME, "email": EMAIL, "password": PASSWORD},
    "ModifyMeBody": {"username": USERNAME},
    "CreateGuildBody": {"name": NAME, "description": _text(0, DESCRIPTION_MAX)},
    "ModifyGuildBody": {
        "name": NAME,
        "description": _text(0, DESCRIPTION_MAX),
        "owner_id": SNOWFLAKE_VALUE,
    },
    "CreateChannelBody": {
        "name": NAME,
        "type": {"enum": [0, 4], "description": "0 for a text channel, 4 for a category."},
        "topic": _text(0, TOPIC_MAX),
        "parent_id": SNOWFLAKE_VALUE,
        "position": CHANNEL_POSITION,
        "permission_overwrites": OVERWRITES,
    },
    "ModifyChannelBody": {
        "name": NAME,
        "topic": _text(0, TOPIC_MAX),
        "parent_id": SNOWFLAKE_VALUE,
        "position": CHANNEL_POSITION,
        "permission_overwrites": OVERWRITES,
    },
    "ChannelPositionBody": {
        "id": SNOWFLAKE_VALUE,
        "position": CHANNEL_POSITION,
        "parent_id": SNOWFLAKE_VALUE,
    },
    "OverwriteBody": {
        "type": OVERWRITE_INPUT["properties"]["type"],
        "allow": BITFIELD,
        "deny": BITFIELD,
    },
    "CreateMessageBody": {
        "content": CONTENT,
        "nonce": {
            "anyOf": [
                _text(0, NONCE_MAX),
                {"type": "integer", "minimum": -(1 << 63), "maximum": (1 << 63) - 1},
            ]
        },
    },
    "MessageReferenceBody": {"message_id": SNOWFLAKE_VALUE},
    "EditMessageBody": {"content": CONTENT},
    "BulkDeleteBody": {
        "messages": array(SNOWFLAKE_VALUE) | {"minItems": BULK_MIN, "maxItems": BULK_MAX}
    },
    "RoleBody": {"name": NAME, "permissions": BITFIELD, "color": _int(0, COLOR_MAX)},
    "RoleColorsBody": {"primary_color": _int(0, COLOR_MAX)},
    "RolePositionBody": {"id": SNOWFLAKE_VALUE, "position": _int(0, MAX_ROLE_POSITION)},
    "ModifyMemberBody": {"nick": _text(0, NICK_MAX), "roles": array(SNOWFLAKE_VALUE)},
    "ModifyCurrentMemberBody": {"nick": _text(0, NICK_MAX)},
    "BanBody": {
        "delete_message_seconds": _int(0, MAX_DELETE_SECONDS),
        "delete_message_days": _int(0, MAX_DELETE_DAYS),
    },
    "CreateInviteBody": {
        "max_age": _int(0, INVITE_MAX_AGE),
        "max_uses": _int(0, INVITE_MAX_USES),
        "target_type": {"type": "null", "description": "Stream and activity invites are refused."},
    },
    "CreateApplicationBody": {"name": NAME, "description": _text(0, 400)},
    "AuthorizeBody": {
        "client_id": SNOWFLAKE_VALUE,
        "guild_id": SNOWFLAKE_VALUE,
        "scope": {"type": "string", "description": "Space-separated scopes; must include bot."},
        "permissions": BITFIELD,
    },
    "OpenDmBody": {"recipient_id": SNOWFLAKE_VALUE},
}


# Fields the model leaves optional but the service requires (and never takes as null).
REQUIRED_FIELDS: dict[str, frozenset[str]] = {
    "CreateMessageBody": frozenset({"content"}),
    "EditMessageBody": frozenset({"content"}),
}


def query(name: str, schema: Schema, description: str, *, required: bool = False) -> Schema:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "schema": schema,
        "description": description,
    }


def limit(high: int, default: int, low: int = 1) -> Schema:
    return query("limit", _int(low, high) | {"default": default}, f"Page size, {low}-{high}.")


def anchor(name: str, description: str) -> Schema:
    return query(name, SNOWFLAKE_TEXT, description)


# Discord's flag: "true" in any case turns it on, any other value leaves it off.
LENIENT_FLAG: Schema = {"type": "string", "description": "true (any case) turns it on."}

QUERIES: dict[str, list[Schema]] = {
    "list_messages": [
        anchor("before", "Messages before this id."),
        anchor("after", "Messages after this id."),
        anchor("around", "Messages around this id. At most one of before, after and around."),
        limit(HISTORY_MAX, 50),
    ],
    "list_members": [
        anchor("after", "Members whose user id is above this."),
        limit(MEMBER_PAGE_MAX, 1),
    ],
    "search_members": [
        query(
            "query",
            _text(1, SEARCH_QUERY_MAX),
            "Start of a username or nickname.",
            required=True,
        ),
        limit(MEMBER_PAGE_MAX, 1),
    ],
    "list_bans": [anchor("after", "Bans whose user id is above this."), limit(1000, 1000)],
    "list_reaction_users": [anchor("after", "Users whose id is above this."), limit(USERS_MAX, 25)],
    "list_my_guilds": [
        anchor("before", "Guilds whose id is below this."),
        anchor("after", "Guilds whose id is above this."),
        limit(GUILD_PAGE_MAX, GUILD_PAGE_MAX, GUILD_PAGE_MIN),
        query(
            "with_counts",
            {"type": "boolean", "default": False},
            "Add approximate member and presence counts.",
        ),
    ],
    "get_guild": [
        query("with_counts", LENIENT_FLAG, "Add approximate member and presence counts."),
    ],
    "get_invite": [
        query("with_counts", LENIENT_FLAG, "Add approximate member and presence counts."),
    ],
    "search_messages": [
        query(
            "content",
            _text(1, QUERY_MAX, "\\S"),
            "The words to search for.",
            required=True,
        ),
        limit(SEARCH_LIMIT_MAX, SEARCH_LIMIT_MAX),
        query("offset", _int(0, OFFSET_MAX) | {"default": 0}, "Matches to skip."),
        query(
            "channel_id",
            array(SNOWFLAKE_TEXT),
            "Search only these channels (repeat the parameter).",
        )
        | {"style": "form", "explode": True},
    ],
}

# Discord clients send a moderation act's reason in this header, URL-encoded.
AUDIT_LOG_REASON: Schema = {
    "name": "X-Audit-Log-Reason",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "maxLength": 512},
    "description": "Why, for the audit log; URL-encoded.",
}
HEADERS: dict[str, list[Schema]] = {"ban": [AUDIT_LOG_REASON]}


def path_parameter(name: str) -> Schema:
    """The schema of a path parameter, by its name."""
    if name == "code":
        return {
            "type": "string",
            "pattern": "^[A-Za-z0-9]{2,32}$",
            "description": "An invite code.",
        }
    if name == "emoji":
        return {
            "type": "string",
            # Symbols of the Miscellaneous Symbols and Pictographs and Emoticons
            # blocks, or a custom emoji's name:id (a:name:id when animated).
            "pattern": (
                "^(?:[\u2600-\u26ff\U0001f300-\U0001f64f]{1,4}"
                "|(?:a:)?[A-Za-z0-9_]{2,32}:[1-9][0-9]{0,17})$"
            ),
            "description": "A unicode emoji, or name:id for a custom emoji (URL-encoded).",
        }
    return SNOWFLAKE_TEXT
