"""One guild with a hidden channel and a cast of users, for the authorization matrix.

The world is built once per module over real HTTP (the server runs on a
background thread, see threaded_server.py) and shared by every row of the
matrix. Rows that change something work on fresh targets made for them
(``World.hidden_channel`` and friends), so a row that wrongly succeeds
cannot spoil the rows after it.

Who is who:

- ``owner`` owns the guild and sees everything;
- ``viewer`` holds the ``seers`` role, allowed to view the hidden channel,
  and nothing more: a member who sees the channel but lacks the permission;
- ``member`` has @everyone alone: cannot see the hidden channel;
- ``manager`` holds ``managers`` (manage channels, roles, messages, kick,
  ban, nicknames) but cannot see the hidden channel either; ``seers`` sits
  above ``managers``, so the hierarchy keeps him from taking that role;
- ``banned`` joined, then was banned; ``outsider`` never joined;
- ``bot`` is a bot added with OAuth2 (view and send, through its managed role);
- ``bystander`` and ``exile`` are targets: a plain member to kick, ban or
  promote, and a banned user to unban. They never act in the matrix.

Every string that some of them may not see is a ``Secret`` naming who may.
"""

from __future__ import annotations

import asyncio
import secrets as random_tokens
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx

VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
ADMINISTRATOR = 1 << 3
MANAGE_WEBHOOKS = 1 << 29
MANAGER_PERMISSIONS = (
    (1 << 1)  # KICK_MEMBERS
    | (1 << 2)  # BAN_MEMBERS
    | (1 << 4)  # MANAGE_CHANNELS
    | (1 << 13)  # MANAGE_MESSAGES
    | (1 << 27)  # MANAGE_NICKNAMES
    | (1 << 28)  # MANAGE_ROLES
)
# Application flags approving presence, members and message content (the _LIMITED forms).
BOT_FLAGS = (1 << 13) | (1 << 15) | (1 << 19)
THUMBS_UP = "%F0%9F%91%8D"
# A word only the world's messages contain, for the search rows.
SEARCH_WORD = "xyloquartz"
PASSWORD = "matrix-Tr0ub4dor&3"

# The actors of the matrix (the owner and the targets never act in it).
ACTORS = ("outsider", "member", "viewer", "manager", "banned", "bot")
HUMAN_ACTORS = ("outsider", "member", "viewer", "manager", "banned")
# Who may see the guild's own things (its name, the public channel), and the hidden ones.
MEMBERS = frozenset({"owner", "viewer", "member", "manager", "bot", "bystander"})
SEERS = frozenset({"owner", "viewer"})


@dataclass(frozen=True)
class Person:
    name: str
    id: str
    token: str  # what the gateway takes: an access token, or a bare bot token
    headers: dict[str, str]
    email: str | None = None


@dataclass(frozen=True)
class Secret:
    """A string only ``seen_by`` may find in a response or a dispatch."""

    label: str
    value: str
    seen_by: frozenset[str]


@dataclass
class World:
    http: httpx.Client
    people: dict[str, Person] = field(default_factory=dict)
    # Path placeholders: guild, public, hidden, message ids, roles, invites ...
    ids: dict[str, str] = field(default_factory=dict)
    secrets: list[Secret] = field(default_factory=list)
    tag: str = field(default_factory=lambda: random_tokens.token_hex(4))

    # -- requests -------------------------------------------------------------------

    def call(
        self,
        who: str | None,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """``method path`` as ``who`` (None: no Authorization header)."""
        sent = dict(headers or (self.people[who].headers if who else {}))
        return self.http.request(method, path, json=body, headers=sent)

    def ok(self, who: str, method: str, path: str, body: Any = None) -> Any:
        """A request that must succeed; its JSON body (None for 204)."""
        response = self.call(who, method, path, body)
        assert response.is_success, f"{who} {method} {path}: {response.status_code} {response.text}"
        return None if response.status_code == 204 else response.json()

    # -- secrets --------------------------------------------------------------------

    def secret(self, label: str, value: str, seen_by: frozenset[str] = SEERS) -> str:
        self.secrets.append(Secret(label, value, seen_by))
        return value

    def leaks(self, who: str, text: str) -> list[str]:
        """Labels of the secrets ``who`` may not see that ``text`` contains."""
        return [s.label for s in self.secrets if who not in s.seen_by and s.value in text]

    # -- fresh targets --------------------------------------------------------------

    def hidden_channel(self, label: str) -> str:
        """A new channel only seers see (as #hidden is), with a secret name and topic."""
        mark = random_tokens.token_hex(4)
        body = {
            "name": self.secret(f"{label} name", f"covert-{mark}"),
            "topic": self.secret(f"{label} topic", f"topic {mark}"),
            "permission_overwrites": self.hiding(),
        }
        created = self.ok("owner", "POST", f"/guilds/{self.ids['guild']}/channels", body)
        return self.secret(f"{label} id", created["id"])

    def hidden_category(self, label: str) -> str:
        mark = random_tokens.token_hex(4)
        body = {
            "name": self.secret(f"{label} name", f"vault-{mark}"),
            "type": 4,
            "permission_overwrites": self.hiding(),
        }
        created = self.ok("owner", "POST", f"/guilds/{self.ids['guild']}/channels", body)
        return self.secret(f"{label} id", created["id"])

    def visible_channel(self, name: str = "open") -> str:
        created = self.ok("owner", "POST", f"/guilds/{self.ids['guild']}/channels", {"name": name})
        return str(created["id"])

    def category(self, name: str = "lobby") -> str:
        body = {"name": name, "type": 4}
        return str(self.ok("owner", "POST", f"/guilds/{self.ids['guild']}/channels", body)["id"])

    def hiding(self) -> list[dict[str, Any]]:
        """Overwrites that hide a channel from all but the seers role."""
        return [
            {"id": self.ids["guild"], "type": 0, "deny": str(VIEW_CHANNEL)},
            {"id": self.ids["seers"], "type": 0, "allow": str(VIEW_CHANNEL)},
        ]

    def hidden_message(self, label: str, **state: bool) -> str:
        """A new message of the owner in #hidden; ``reacted``/``pinned`` as asked."""
        channel = self.ids["hidden"]
        content = self.secret(
            f"{label} content", f"{SEARCH_WORD} classified {random_tokens.token_hex(4)}"
        )
        sent = self.ok("owner", "POST", f"/channels/{channel}/messages", {"content": content})
        message = self.secret(f"{label} id", sent["id"])
        if state.get("reacted"):
            self.ok(
                "owner", "PUT", f"/channels/{channel}/messages/{message}/reactions/{THUMBS_UP}/@me"
            )
        if state.get("pinned"):
            self.ok("owner", "PUT", f"/channels/{channel}/pins/{message}")
        return message

    def message(self, channel: str, message: str) -> dict[str, Any]:
        """A message as the owner reads it now."""
        return dict(self.ok("owner", "GET", f"/channels/{channel}/messages/{message}"))

    def channel(self, channel: str) -> dict[str, Any]:
        return dict(self.ok("owner", "GET", f"/channels/{channel}"))

    def delete_channel(self, channel: str) -> None:
        self.call("owner", "DELETE", f"/channels/{channel}")

    def application(self, name: str = "Spare", flags: int = 0) -> dict[str, Any]:
        """A new public application of the owner, in no guild yet; its token is his alone
        (not even its bot is ever shown it again)."""
        created = self.ok("owner", "POST", "/applications", {"name": name, "flags": flags})
        self.secret(f"{name} bot token", created["token"], frozenset({"owner"}))
        return dict(created)

    def rejoin(self, who: str) -> None:
        """``who`` is a member again (a no-op for a member)."""
        self.call("owner", "DELETE", f"/guilds/{self.ids['guild']}/bans/{self.people[who].id}")
        self.ok(who, "POST", f"/invites/{self.ids['public_invite']}")

    # -- building -------------------------------------------------------------------

    def register(self, name: str) -> Person:
        email = f"{name}-{self.tag}@example.com"
        body = {"username": f"{name}_{self.tag}", "email": email, "password": PASSWORD}
        response = self.http.post("/auth/register", json=body)
        assert response.status_code == 201, response.text
        token = response.json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        me = self.http.get("/users/@me", headers=headers).json()
        person = Person(name, me["id"], token, headers, email)
        self.people[name] = person
        self.secret(f"{name}'s email", email, frozenset({name}))
        self.secret(f"{name}'s access token", token, frozenset({name}))
        return person


def build_world(http: httpx.Client) -> World:
    world = World(http)
    for name in (
        "owner",
        "viewer",
        "member",
        "manager",
        "banned",
        "outsider",
        "bystander",
        "exile",
    ):
        world.register(name)
    ids = world.ids
    guild_name = world.secret("guild name", f"Haven {world.tag}", MEMBERS)
    guild = world.ok("owner", "POST", "/guilds", {"name": guild_name})
    ids["guild"], ids["guild_name"] = guild["id"], guild_name
    public = world.ok("owner", "GET", f"/guilds/{guild['id']}/channels")[0]["id"]
    ids["public"] = public
    ids["public_invite"] = world.ok("owner", "POST", f"/channels/{public}/invites", {"max_age": 0})[
        "code"
    ]
    # seers first: a new role takes position 1, so managers ends up below seers.
    for role, permissions in (("seers", None), ("managers", MANAGER_PERMISSIONS), ("spare", None)):
        body: dict[str, Any] = {"name": f"{role}-{world.tag}"}
        if permissions is not None:
            body["permissions"] = str(permissions | VIEW_CHANNEL | SEND_MESSAGES)
        ids[role] = world.ok("owner", "POST", f"/guilds/{guild['id']}/roles", body)["id"]
    for name in ("viewer", "member", "manager", "banned", "bystander", "exile"):
        world.ok(name, "POST", f"/invites/{ids['public_invite']}")
    members = f"/guilds/{guild['id']}/members"
    world.ok("owner", "PUT", f"{members}/{world.people['viewer'].id}/roles/{ids['seers']}")
    world.ok("owner", "PUT", f"{members}/{world.people['manager'].id}/roles/{ids['managers']}")
    # Opened while both were members: it outlives the ban.
    ids["banned_dm"] = world.ok(
        "banned", "POST", "/users/@me/channels", {"recipient_id": world.people["owner"].id}
    )["id"]
    for name in ("banned", "exile"):
        world.ok("owner", "PUT", f"/guilds/{guild['id']}/bans/{world.people[name].id}")

    # The bot: an application of the owner's, added to the guild.
    # Approved for every privileged intent: what it is not sent is then down to permissions.
    app = world.application("Warden", BOT_FLAGS)
    world.ok(
        "owner",
        "POST",
        "/oauth2/authorize",
        {
            "client_id": app["id"],
            "scope": "bot",
            "guild_id": guild["id"],
            "permissions": str(VIEW_CHANNEL | SEND_MESSAGES),
        },
    )
    token = app["token"]
    world.people["bot"] = Person("bot", app["id"], token, {"Authorization": f"Bot {token}"})
    ids["bot_app"] = app["id"]
    ids["spare_app"] = world.secret(
        "spare application", world.application("Spare")["id"], frozenset({"owner"})
    )

    # What members see: a public message that search also finds.
    public_text = world.secret("public message", f"{SEARCH_WORD} hello {world.tag}", MEMBERS)
    ids["public_message"] = world.ok(
        "owner", "POST", f"/channels/{public}/messages", {"content": public_text}
    )["id"]
    world.ok("owner", "PUT", f"/channels/{public}/pins/{ids['public_message']}")

    # What only the seers see: a category, #hidden, a message, an invite, a DM.
    ids["hidden_category"] = world.hidden_category("hidden category")
    ids["hidden"] = world.hidden_channel("#hidden")
    ids["hidden_message"] = world.hidden_message("hidden message", reacted=True, pinned=True)
    ids["hidden_invite"] = world.secret(
        "hidden invite",
        world.ok("owner", "POST", f"/channels/{ids['hidden']}/invites", {"max_age": 0})["code"],
    )
    dm = world.ok(
        "owner", "POST", "/users/@me/channels", {"recipient_id": world.people["viewer"].id}
    )
    ids["dm"] = world.secret("DM id", dm["id"])
    dm_text = world.secret("DM content", f"between us {random_tokens.token_hex(4)}")
    ids["dm_message"] = world.secret(
        "DM message id",
        world.ok("owner", "POST", f"/channels/{dm['id']}/messages", {"content": dm_text})["id"],
    )
    for name, person in world.people.items():
        ids[name] = person.id
    return world


# -- a database of its own for the module -----------------------------------------------


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


async def _execute(url: str, statement: str) -> None:
    connection = await asyncpg.connect(url, timeout=10)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@contextmanager
def cloned_database(server_url: str, template: str) -> Iterator[str]:
    """A fresh copy of the migrated template that outlives one test (the world's lifetime)."""
    name = f"accord_m_{uuid.uuid4().hex[:12]}"
    asyncio.run(_execute(server_url, f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    try:
        yield _with_database(server_url, name)
    finally:
        asyncio.run(_execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
