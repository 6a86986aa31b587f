"""The matrix's actors on the real gateway: who receives what about the hidden channel.

Every actor (and the owner) is connected and identified; an act on the
hidden channel is made over REST; then markers are sent that every session
must receive (a message in the public channel for members, a USER_UPDATE of
their own for those outside the guild). The in-process bus has one global
order and the fan-out delivers in it, so once a session has its marker,
everything published before it has reached that session or never will.
"""

from __future__ import annotations

import functools
import secrets as random_tokens
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import trio

from tests.e2e.authz_world import SEARCH_WORD, THUMBS_UP, World
from tests.e2e.gateway_client import ALL_INTENTS, GatewayClient
from tests.e2e.gateway_world import identified

T = TypeVar("T")

# Everyone connected: the actors, and the owner who sees all.
CONNECTED = ("owner", "viewer", "member", "manager", "bot", "banned", "outsider")
IN_GUILD = ("owner", "viewer", "member", "manager", "bot")
OUTSIDE = ("banned", "outsider")
# Members who may not see the hidden channel.
BLIND = ("member", "manager", "bot")


async def in_thread(fn: Callable[..., T], *args: Any) -> T:
    """A call of the world's (blocking) HTTP client, off the Trio thread the sockets need."""
    return await trio.to_thread.run_sync(functools.partial(fn, *args))


@dataclass
class Seat:
    """One connected actor, and where its traffic after identifying starts."""

    client: GatewayClient
    dispatches_from: int = 0
    frames_from: int = 0

    def mark(self) -> None:
        self.dispatches_from = len(self.client.dispatches)
        self.frames_from = len(self.client.raw_frames)

    def dispatches(self) -> list[dict[str, Any]]:
        return self.client.dispatches[self.dispatches_from :]

    def frames(self, since_identify: bool = True) -> list[str]:
        raw = self.client.raw_frames[self.frames_from if since_identify else 0 :]
        return [f if isinstance(f, str) else f.decode() for f in raw]


@asynccontextmanager
async def audience(url: str, world: World) -> AsyncIterator[dict[str, Seat]]:
    """Everyone in CONNECTED, identified and past their GUILD_CREATEs."""
    async with AsyncExitStack() as stack:
        seats = {}
        for name in CONNECTED:
            person = world.people[name]
            client = await stack.enter_async_context(identified(url, person, ALL_INTENTS))
            seats[name] = Seat(client)
        for seat in seats.values():
            seat.mark()
        yield seats


async def settle(world: World, seats: dict[str, Seat]) -> None:
    """Wait until every session has had everything published so far."""
    marker = f"marker {random_tokens.token_hex(4)}"
    path = f"/channels/{world.ids['public']}/messages"
    sent = await in_thread(world.ok, "owner", "POST", path, {"content": marker})
    for name in IN_GUILD:
        await seats[name].client.wait_for("MESSAGE_CREATE", lambda d: d["id"] == sent["id"])
    for name in OUTSIDE:
        # Their own profile change reaches only them.
        await in_thread(world.ok, name, "PATCH", "/users/@me", {"global_name": marker})
        await seats[name].client.wait_for("USER_UPDATE", lambda d: d.get("global_name") == marker)


def concerns(payload: dict[str, Any], channel_id: str) -> bool:
    """Whether a dispatch is about the channel (its messages, or the channel itself)."""
    data = payload["d"]
    if not isinstance(data, dict):
        return False
    if data.get("channel_id") == channel_id:
        return True
    return str(payload["t"]).startswith("CHANNEL_") and data.get("id") == channel_id


def about(seat: Seat, channel_id: str) -> list[str]:
    """The dispatch types a seat received about the channel since it identified."""
    return [str(p["t"]) for p in seat.dispatches() if concerns(p, channel_id)]


def shown(world: World, name: str, seat: Seat, since_identify: bool = True) -> list[str]:
    """The secrets ``name`` may not see that its frames (since identifying) contained."""
    found: list[str] = []
    for frame in seat.frames(since_identify):
        found += [label for label in world.leaks(name, frame) if label not in found]
    return found


# -- what is done to a hidden channel while everyone listens --------------------------------

ADD_REACTIONS = 1 << 6
MESSAGE_EVENTS = frozenset(
    {
        "MESSAGE_CREATE",
        "MESSAGE_UPDATE",
        "MESSAGE_REACTION_ADD",
        "MESSAGE_REACTION_REMOVE",
        "MESSAGE_REACTION_REMOVE_EMOJI",
        "MESSAGE_REACTION_REMOVE_ALL",
        "CHANNEL_PINS_UPDATE",
        "TYPING_START",
        "MESSAGE_DELETE",
        "MESSAGE_DELETE_BULK",
    }
)


def _fresh_channel(world: World) -> dict[str, Any]:
    return {"channel": world.hidden_channel("channel watched on the gateway")}


def send_secret(world: World, who: str, channel: str, label: str) -> str:
    text = world.secret(label, f"{SEARCH_WORD} whispered {random_tokens.token_hex(4)}")
    sent = world.ok(who, "POST", f"/channels/{channel}/messages", {"content": text})
    return world.secret(f"{label} id", sent["id"])


def _messages(world: World, ctx: dict[str, Any]) -> None:
    """Everything one can do to messages in the channel."""
    channel = ctx["channel"]
    base = f"/channels/{channel}/messages"
    message = send_secret(world, "owner", channel, "gateway message")
    send_secret(world, "viewer", channel, "the viewer's gateway message")
    edited = world.secret("gateway edit", f"edited {random_tokens.token_hex(4)}")
    world.ok("owner", "PATCH", f"{base}/{message}", {"content": edited})
    reaction = f"{base}/{message}/reactions/{THUMBS_UP}"
    world.ok("owner", "PUT", f"{reaction}/@me")
    world.ok("owner", "DELETE", f"{reaction}/@me")
    world.ok("owner", "PUT", f"{reaction}/@me")
    world.ok("owner", "DELETE", reaction)
    world.ok("owner", "PUT", f"{reaction}/@me")
    world.ok("owner", "DELETE", f"{base}/{message}/reactions")
    world.ok("owner", "PUT", f"/channels/{channel}/pins/{message}")
    world.ok("owner", "DELETE", f"/channels/{channel}/pins/{message}")
    world.ok("owner", "POST", f"/channels/{channel}/typing")
    pair = [send_secret(world, "owner", channel, f"doomed message {i}") for i in (1, 2)]
    world.ok("owner", "POST", f"{base}/bulk-delete", {"messages": pair})
    world.ok("owner", "DELETE", f"{base}/{message}")


def _rename(world: World, ctx: dict[str, Any]) -> None:
    body = {
        "name": world.secret("renamed channel", f"renamed-{random_tokens.token_hex(4)}"),
        "topic": world.secret("new topic", f"new topic {random_tokens.token_hex(4)}"),
    }
    world.ok("owner", "PATCH", f"/channels/{ctx['channel']}", body)


def _put_overwrite(world: World, ctx: dict[str, Any]) -> None:
    path = f"/channels/{ctx['channel']}/permissions/{world.ids['spare']}"
    world.ok("owner", "PUT", path, {"type": 0, "allow": str(ADD_REACTIONS)})


def _with_spare_overwrite(world: World) -> dict[str, Any]:
    ctx = _fresh_channel(world)
    _put_overwrite(world, ctx)
    return ctx


def _delete_overwrite(world: World, ctx: dict[str, Any]) -> None:
    world.ok("owner", "DELETE", f"/channels/{ctx['channel']}/permissions/{world.ids['spare']}")


def _channel_and_category(world: World) -> dict[str, Any]:
    """A hidden channel, and a hidden category whose overwrites differ from it."""
    ctx = {**_fresh_channel(world), "category": world.hidden_category("category on the gateway")}
    _put_overwrite(world, {"channel": ctx["category"]})
    return ctx


def _sync(world: World, ctx: dict[str, Any]) -> None:
    move = {"id": ctx["channel"], "parent_id": ctx["category"], "lock_permissions": True}
    world.ok("owner", "PATCH", f"/guilds/{world.ids['guild']}/channels", [move])


def _create(world: World, ctx: dict[str, Any]) -> None:
    ctx["channel"] = world.hidden_channel("channel created on the gateway")


def _delete(world: World, ctx: dict[str, Any]) -> None:
    world.ok("owner", "DELETE", f"/channels/{ctx['channel']}")


def _invite(world: World, ctx: dict[str, Any]) -> None:
    body = {"max_age": 0, "unique": True}
    invite = world.ok("owner", "POST", f"/channels/{ctx['channel']}/invites", body)
    world.secret("invite watched on the gateway", invite["code"], frozenset({"owner"}))
    world.ok("owner", "DELETE", f"/invites/{invite['code']}")


def _bystander_speaks(world: World) -> dict[str, Any]:
    """The bystander, let into a hidden channel, says two things there."""
    ctx = _fresh_channel(world)
    members = f"/guilds/{world.ids['guild']}/members/{world.ids['bystander']}"
    world.ok("owner", "PUT", f"{members}/roles/{world.ids['seers']}")
    for i in (1, 2):
        send_secret(world, "bystander", ctx["channel"], f"bystander's message {i}")
    return ctx


def _ban_and_purge(world: World, ctx: dict[str, Any]) -> None:
    path = f"/guilds/{world.ids['guild']}/bans/{world.ids['bystander']}"
    world.ok("owner", "PUT", path, {"delete_message_seconds": 3600})


def tidy(world: World, ctx: dict[str, Any]) -> None:
    """Remove what an act made, and bring the bystander back if it was banned."""
    for name in ("channel", "category"):
        if name in ctx:
            world.delete_channel(ctx[name])
    world.rejoin("bystander")  # after the purge; a no-op otherwise


@dataclass(frozen=True)
class Act:
    """Something done to a hidden channel, and who must hear of it."""

    name: str
    act: Callable[[World, dict[str, Any]], None]
    seen: frozenset[str]  # what the witness receives about the channel
    prepare: Callable[[World], dict[str, Any]] = _fresh_channel
    witness: str = "viewer"
    blind: tuple[str, ...] = BLIND + OUTSIDE  # receive nothing about it, and no secret


ACTS = [
    Act("messages, reactions, pins, typing", _messages, MESSAGE_EVENTS),
    Act("channel renamed", _rename, frozenset({"CHANNEL_UPDATE"})),
    Act("overwrite put", _put_overwrite, frozenset({"CHANNEL_UPDATE"})),
    Act(
        "overwrite deleted",
        _delete_overwrite,
        frozenset({"CHANNEL_UPDATE"}),
        prepare=_with_spare_overwrite,
    ),
    Act(
        "permissions synced with the category",
        _sync,
        frozenset({"CHANNEL_UPDATE"}),
        prepare=_channel_and_category,
    ),
    Act("channel created", _create, frozenset({"CHANNEL_CREATE"}), prepare=lambda world: {}),
    Act("channel deleted", _delete, frozenset({"CHANNEL_DELETE"})),
    # Invite events go to who may manage the channel: not even the viewer.
    Act(
        "invite created and deleted",
        _invite,
        frozenset({"INVITE_CREATE", "INVITE_DELETE"}),
        witness="owner",
        blind=("viewer", *BLIND, *OUTSIDE),
    ),
    Act(
        "a ban purges messages",
        _ban_and_purge,
        frozenset({"MESSAGE_DELETE_BULK"}),
        prepare=_bystander_speaks,
    ),
]
