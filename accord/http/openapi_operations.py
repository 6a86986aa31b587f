"""What each REST operation answers, for the OpenAPI document, keyed by its route function.

One entry per route: its success status and body, the error statuses it may
answer besides, whether it needs a token, and the links that say where the
ids in its answer may be used next (a contract tester follows them to chain
calls: create a guild, then read it, post in its channel, react to the post).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from accord.http.openapi_schemas import Schema, array, ref

# Every API request may be refused by the global rate limit, or by the URL check (400).
_ALWAYS = frozenset({400, 429})
# What a signed-in operation may answer: a bad token, no permission, nothing there.
SIGNED_IN = _ALWAYS | {401, 403, 404}


@dataclass(frozen=True, slots=True)
class Link:
    """Where a value of this answer goes next: an operation and its parameters."""

    operation: str
    parameters: dict[str, str] = field(default_factory=dict)
    body: dict[str, object] | None = None

    def document(self) -> dict[str, object]:
        out: dict[str, object] = {"operationId": self.operation}
        if self.parameters:
            out["parameters"] = dict(self.parameters)
        if self.body is not None:
            out["requestBody"] = self.body
        return out


@dataclass(frozen=True, slots=True)
class Operation:
    summary: str
    status: int  # the success status
    body: Schema | None  # the success body; None for a 204
    errors: frozenset[int] = SIGNED_IN
    signed_in: bool = True
    rate_limited: bool = False  # answers carry the X-RateLimit-* bucket headers
    links: dict[str, Link] = field(default_factory=dict)


def _links(*targets: str, **parameters: str) -> dict[str, Link]:
    """Links to each target with the same parameters, named after the target."""
    return {target: Link(target, parameters) for target in targets}


# Expressions of the OpenAPI runtime expression language.
_BODY_ID = "$response.body#/id"
_FIRST_ID = "$response.body#/0/id"

_GUILD_TARGETS = (
    "get_guild",
    "modify_guild",
    "list_channels",
    "create_channel",
    "reorder_channels",
    "list_roles",
    "create_role",
    "reorder_roles",
    "list_members",
    "search_members",
    "modify_current_member",
    "list_bans",
    "list_guild_invites",
    "search_messages",
    "delete_guild",
)
_CHANNEL_TARGETS = (
    "get_channel",
    "modify_channel",
    "list_messages",
    "create_message",
    "list_pins",
    "create_invite",
    "list_channel_invites",
    "start_typing",
    "bulk_delete",
)
_MESSAGE_TARGETS = (
    "get_message",
    "edit_message",
    "pin",
    "unpin",
    "clear_reactions",
    "delete_message",
)


def _guild_links(guild_id: str, owner_id: str) -> dict[str, Link]:
    links = _links(*_GUILD_TARGETS, guild_id=guild_id)
    for target in ("get_member", "modify_member"):
        links[target] = Link(target, {"guild_id": guild_id, "user_id": owner_id})
    return links


def _channel_links(channel_id: str, guild_id: str = "$response.body#/guild_id") -> dict[str, Link]:
    links = _links(*_CHANNEL_TARGETS, channel_id=channel_id)
    # @everyone's overwrite: the role's id is the guild's.
    links["put_overwrite"] = Link(
        "put_overwrite",
        {"channel_id": channel_id, "overwrite_id": guild_id},
        {"type": 0, "allow": "0", "deny": "0"},
    )
    return links


def _message_links(channel_id: str, message_id: str) -> dict[str, Link]:
    ids = {"channel_id": channel_id, "message_id": message_id}
    links = {target: Link(target, ids) for target in _MESSAGE_TARGETS}
    thumbs_up = {**ids, "emoji": "\N{THUMBS UP SIGN}"}
    links["add_reaction"] = Link("add_reaction", thumbs_up)
    links["list_reaction_users"] = Link("list_reaction_users", thumbs_up)
    links["remove_own_reaction"] = Link("remove_own_reaction", thumbs_up)
    links["clear_emoji"] = Link("clear_emoji", thumbs_up)
    return links


def _invite_links(code: str) -> dict[str, Link]:
    return _links("get_invite", "accept_invite", "delete_invite", code=code)


_TOKENS = ref("Tokens")
_AUTH_ERRORS = _ALWAYS | {401}

OPERATIONS: dict[str, Operation] = {
    # Health
    "health": Operation("Liveness", 200, ref("Health"), _ALWAYS, signed_in=False),
    "ready": Operation(
        "Readiness: the database answers", 200, ref("Readiness"), _ALWAYS | {503}, signed_in=False
    ),
    # Accounts
    "register": Operation(
        "Create an account",
        201,
        _TOKENS,
        _ALWAYS,
        signed_in=False,
        rate_limited=True,
        links={"refresh": Link("refresh", body={"refresh_token": "$response.body#/refresh_token"})},
    ),
    "login": Operation(
        "Sign in with email and password",
        200,
        _TOKENS,
        _AUTH_ERRORS,
        signed_in=False,
        rate_limited=True,
    ),
    "refresh": Operation(
        "Trade a refresh token for new tokens (each refresh token works once)",
        200,
        _TOKENS,
        _AUTH_ERRORS,
        signed_in=False,
        rate_limited=True,
    ),
    "logout": Operation("End this session", 204, None),
    # Users
    "get_me": Operation(
        "The caller's account",
        200,
        ref("CurrentUser"),
        links=_links("get_user", user_id=_BODY_ID),
    ),
    "modify_me": Operation(
        "Change the caller's username, display name or avatar", 200, ref("CurrentUser")
    ),
    "list_my_guilds": Operation(
        "The caller's guilds",
        200,
        array(ref("CurrentUserGuild")),
        links=_links("get_guild", "list_channels", "list_members", guild_id=_FIRST_ID),
    ),
    "list_my_dms": Operation(
        "The caller's DM channels",
        200,
        array(ref("Channel")),
        links=_links("get_channel", "list_messages", channel_id=_FIRST_ID),
    ),
    "open_dm": Operation(
        "Open (or find) the DM with a user",
        200,
        ref("Channel"),
        links=_links("get_channel", "list_messages", "create_message", channel_id=_BODY_ID),
    ),
    "get_user": Operation("A user's public profile", 200, ref("User")),
    "get_my_settings": Operation("The caller's settings", 200, ref("UserSettings")),
    "modify_my_settings": Operation("Change the caller's settings", 200, ref("UserSettings")),
    "delete_me": Operation(
        "Delete the caller's account (its password confirms); every session ends",
        204,
        None,
        rate_limited=True,
    ),
    # Guilds
    "create_guild": Operation(
        "Create a guild, with @everyone and a #general channel",
        201,
        ref("CreatedGuild"),
        rate_limited=True,
        links={
            **_guild_links(_BODY_ID, "$response.body#/owner_id"),
            **{
                f"{target}_general": Link(target, {"channel_id": "$response.body#/channels/0/id"})
                for target in ("get_channel", "create_message", "list_messages", "create_invite")
            },
        },
    ),
    "get_guild": Operation(
        "A guild the caller is in",
        200,
        ref("Guild"),
        links=_guild_links(_BODY_ID, "$response.body#/owner_id"),
    ),
    "modify_guild": Operation(
        "Change a guild (MANAGE_GUILD)",
        200,
        ref("Guild"),
        links=_guild_links(_BODY_ID, "$response.body#/owner_id"),
    ),
    "delete_guild": Operation("Delete a guild (its owner only)", 204, None),
    "list_channels": Operation(
        "The guild's channels the caller can see",
        200,
        array(ref("Channel")),
        links=_channel_links(_FIRST_ID, "$response.body#/0/guild_id"),
    ),
    "create_channel": Operation(
        "Create a channel (MANAGE_CHANNELS)",
        201,
        ref("Channel"),
        links={
            **_channel_links(_BODY_ID),
            "delete_channel": Link("delete_channel", {"channel_id": _BODY_ID}),
        },
    ),
    "reorder_channels": Operation("Move channels (MANAGE_CHANNELS)", 204, None),
    # Channels
    "get_channel": Operation(
        "A channel the caller can see",
        200,
        ref("Channel"),
        links=_links("list_messages", "list_pins", channel_id=_BODY_ID),
    ),
    "modify_channel": Operation("Change a channel (MANAGE_CHANNELS)", 200, ref("Channel")),
    "delete_channel": Operation(
        "Delete a channel (MANAGE_CHANNELS); answers the deleted channel", 200, ref("Channel")
    ),
    "put_overwrite": Operation(
        "Set a role's or member's permission overwrite (MANAGE_ROLES)",
        204,
        None,
        links={
            "delete_overwrite": Link(
                "delete_overwrite",
                {
                    "channel_id": "$request.path.channel_id",
                    "overwrite_id": "$request.path.overwrite_id",
                },
            )
        },
    ),
    "delete_overwrite": Operation("Remove a permission overwrite (MANAGE_ROLES)", 204, None),
    "list_messages": Operation(
        "Messages, newest first",
        200,
        array(ref("Message")),
        links=_message_links("$request.path.channel_id", _FIRST_ID),
    ),
    "create_message": Operation(
        "Send a message",
        200,
        ref("Message"),
        rate_limited=True,
        links=_message_links("$request.path.channel_id", _BODY_ID),
    ),
    "get_message": Operation("A message", 200, ref("Message")),
    "edit_message": Operation("Edit the caller's own message", 200, ref("Message")),
    "delete_message": Operation("Delete a message (MANAGE_MESSAGES for others')", 204, None),
    "bulk_delete": Operation("Delete 2-100 recent messages (MANAGE_MESSAGES)", 204, None),
    "list_pins": Operation("Pinned messages", 200, array(ref("Message"))),
    "pin": Operation("Pin a message (MANAGE_MESSAGES)", 204, None),
    "unpin": Operation("Unpin a message (MANAGE_MESSAGES)", 204, None),
    # Reactions and typing
    "add_reaction": Operation("React with an emoji", 204, None),
    "remove_reaction": Operation("Remove a user's reaction (MANAGE_MESSAGES)", 204, None),
    "remove_own_reaction": Operation("Take back the caller's reaction", 204, None),
    "list_reaction_users": Operation("Who reacted with an emoji", 200, array(ref("User"))),
    "clear_reactions": Operation("Remove every reaction (MANAGE_MESSAGES)", 204, None),
    "clear_emoji": Operation("Remove every reaction with an emoji (MANAGE_MESSAGES)", 204, None),
    "start_typing": Operation("Show the caller typing", 204, None),
    "search_messages": Operation(
        "Search the guild's messages the caller may read", 200, ref("MessageSearch")
    ),
    # Members
    "list_members": Operation(
        "Members in user-id order",
        200,
        array(ref("Member")),
        links={
            "get_member": Link(
                "get_member",
                {"guild_id": "$request.path.guild_id", "user_id": "$response.body#/0/user/id"},
            )
        },
    ),
    "search_members": Operation(
        "Members whose name starts with the query", 200, array(ref("Member"))
    ),
    "get_member": Operation("A member", 200, ref("Member")),
    "modify_member": Operation(
        "Change a member's nickname or roles (MANAGE_NICKNAMES, MANAGE_ROLES)", 200, ref("Member")
    ),
    "modify_current_member": Operation("Change the caller's nickname", 200, ref("Member")),
    "kick_member": Operation("Remove a member (KICK_MEMBERS)", 204, None),
    "add_member_role": Operation("Give a member a role (MANAGE_ROLES)", 204, None),
    "remove_member_role": Operation("Take a role from a member (MANAGE_ROLES)", 204, None),
    "leave_guild": Operation("Leave a guild (its owner cannot)", 204, None),
    # Roles
    "list_roles": Operation(
        "The guild's roles",
        200,
        array(ref("Role")),
        links=_links("modify_role", guild_id="$request.path.guild_id", role_id=_FIRST_ID),
    ),
    "create_role": Operation(
        "Create a role (MANAGE_ROLES)",
        200,
        ref("Role"),
        links=_links(
            "modify_role", "delete_role", guild_id="$request.path.guild_id", role_id=_BODY_ID
        ),
    ),
    "reorder_roles": Operation("Move roles (MANAGE_ROLES)", 200, array(ref("Role"))),
    "modify_role": Operation("Change a role (MANAGE_ROLES)", 200, ref("Role")),
    "delete_role": Operation("Delete a role (MANAGE_ROLES)", 204, None),
    # Bans
    "list_bans": Operation("The guild's bans (BAN_MEMBERS)", 200, array(ref("Ban"))),
    "get_ban": Operation("A ban (BAN_MEMBERS)", 200, ref("Ban")),
    "ban": Operation("Ban a user (BAN_MEMBERS)", 204, None),
    "unban": Operation("Lift a ban (BAN_MEMBERS)", 204, None),
    # Invites
    "create_invite": Operation(
        "Create an invite to a channel (CREATE_INSTANT_INVITE)",
        200,
        ref("Invite"),
        links=_invite_links("$response.body#/code"),
    ),
    "list_channel_invites": Operation(
        "A channel's live invites (MANAGE_CHANNELS)",
        200,
        array(ref("Invite")),
        links=_invite_links("$response.body#/0/code"),
    ),
    "list_guild_invites": Operation(
        "A guild's live invites (MANAGE_GUILD)",
        200,
        array(ref("Invite")),
        links=_invite_links("$response.body#/0/code"),
    ),
    "get_invite": Operation("Preview an invite", 200, ref("Invite")),
    "accept_invite": Operation(
        "Join the invite's guild",
        200,
        ref("AcceptedInvite"),
        links={
            **_links("get_guild", "list_channels", guild_id="$response.body#/guild/id"),
            **_links("get_channel", "list_messages", channel_id="$response.body#/channel/id"),
        },
    ),
    "delete_invite": Operation(
        "Revoke an invite (MANAGE_CHANNELS or MANAGE_GUILD); answers it", 200, ref("Invite")
    ),
    # Applications and the gateway
    "create_application": Operation(
        "Create an application and its bot user",
        201,
        ref("CreatedApplication"),
        links=_links("get_application", "reset_bot_token", application_id=_BODY_ID),
    ),
    "list_applications": Operation(
        "The caller's applications",
        200,
        array(ref("Application")),
        links=_links("get_application", application_id=_FIRST_ID),
    ),
    "get_current_application": Operation("The calling bot's application", 200, ref("Application")),
    "get_current_oauth2_application": Operation(
        "The calling bot's application", 200, ref("Application")
    ),
    "get_application": Operation("An application the caller owns", 200, ref("Application")),
    "reset_bot_token": Operation(
        "A new bot token; the old one stops working", 200, ref("BotToken")
    ),
    "authorize": Operation(
        "Add an application's bot to a guild the caller manages (MANAGE_GUILD)",
        200,
        ref("BotAuthorization"),
    ),
    "get_gateway": Operation(
        "Where to open the gateway", 200, ref("Gateway"), _ALWAYS, signed_in=False
    ),
    "get_gateway_bot": Operation(
        "Where a bot opens the gateway, and its identify budget", 200, ref("GatewayBot")
    ),
}
