"""discord.py, unmodified, runs a bot against a real Accord server.

The server is what `accord serve` runs (open_services + start_surfaces), on
port 0, in its own Trio run in a background thread; discord.py runs on
asyncio in the test's thread and is pointed at the server with the two
class attributes docs/discord-py.md describes. Every wait is bounded.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import discord
import discord.gateway
import discord.http
import discord.utils
import httpx
import pytest
import yarl

from accord.config import Settings
from accord.core.permissions import Permission
from tests.e2e.conftest import TEST_JWT_SECRET, bearer
from tests.e2e.threaded_server import Server, running_accord

pytestmark = pytest.mark.slow

# The whole scenario must finish in this long; each wait inside it is shorter.
SCENARIO_SECONDS = 60
STEP_SECONDS = 10
# Accord's message-create limit per caller and channel (5 per 5 s), the real one.
MESSAGES_PER_CALLER = 5
# More than one page of channel.history (discord.py asks for 100 at a time).
HISTORY_MESSAGES = 105
MESSAGE_CONTENT = 1 << 18  # application flag: the bot may read message content
BOT_PERMISSIONS = (
    Permission.VIEW_CHANNEL
    | Permission.SEND_MESSAGES
    | Permission.READ_MESSAGE_HISTORY
    | Permission.ADD_REACTIONS
)


# -- setting up over REST, as a person would --------------------------------------


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, (response.request.url, response.text)
    return response.json() if response.content else None


def _bot_auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bot {token}"}


@dataclass
class World:
    owner: dict[str, str]
    poster: dict[str, str]
    poster_id: int
    guild_id: int
    general_id: int
    history_id: int
    limits_id: int
    bot_id: int
    bot_token: str
    fillers: list[dict[str, str]]


def _human(http: httpx.Client, name: str) -> tuple[dict[str, str], int]:
    body = {"username": name, "email": f"{name}@example.com", "password": "correct horse"}
    headers = bearer(_ok(http.post("/auth/register", json=body), 201)["access_token"])
    return headers, int(_ok(http.get("/users/@me", headers=headers))["id"])


def _add_bot(http: httpx.Client, owner: dict[str, str], guild_id: int, name: str) -> dict:
    app = _ok(
        http.post("/applications", json={"name": name, "flags": MESSAGE_CONTENT}, headers=owner),
        201,
    )
    form = {
        "client_id": app["id"],
        "scope": "bot",
        "permissions": str(int(BOT_PERMISSIONS)),
        "guild_id": str(guild_id),
    }
    assert _ok(http.post("/oauth2/authorize", json=form, headers=owner))["joined"] is True
    return dict(app)


def _text_channel(http: httpx.Client, owner: dict[str, str], guild_id: int, name: str) -> int:
    body = {"name": name, "type": 0}
    return int(_ok(http.post(f"/guilds/{guild_id}/channels", json=body, headers=owner), 201)["id"])


def build_world(http: httpx.Client) -> World:
    owner, _ = _human(http, "owner")
    poster, poster_id = _human(http, "poster")
    guild = _ok(http.post("/guilds", json={"name": "Home"}, headers=owner), 201)
    guild_id = int(guild["id"])
    channels = _ok(http.get(f"/guilds/{guild_id}/channels", headers=owner))
    general_id = int(next(c["id"] for c in channels if c["name"] == "general"))
    invite = _ok(http.post(f"/channels/{general_id}/invites", json={}, headers=owner))
    _ok(http.post(f"/invites/{invite['code']}", headers=poster))
    app = _add_bot(http, owner, guild_id, "Helper")
    # The real per-caller limit stays on, so the history is written by several callers.
    callers = -(-HISTORY_MESSAGES // MESSAGES_PER_CALLER)
    fillers = [
        _bot_auth(_add_bot(http, owner, guild_id, f"Filler {n}")["token"]) for n in range(callers)
    ]
    return World(
        owner=owner,
        poster=poster,
        poster_id=poster_id,
        guild_id=guild_id,
        general_id=general_id,
        history_id=_text_channel(http, owner, guild_id, "history"),
        limits_id=_text_channel(http, owner, guild_id, "limits"),
        bot_id=int(app["id"]),
        bot_token=app["token"],
        fillers=fillers,
    )


# -- the bot ----------------------------------------------------------------------


class Bot(discord.Client):
    """Counts READY and RESUMED and answers "ping" from anyone but itself."""

    def __init__(self) -> None:
        intents = discord.Intents.default()
        intents.message_content = True
        super().__init__(intents=intents)
        self.readies = 0
        self.resumes = 0
        self.answered: asyncio.Future[discord.Message] | None = None

    async def on_ready(self) -> None:
        self.readies += 1

    async def on_resumed(self) -> None:
        self.resumes += 1

    async def on_message(self, message: discord.Message) -> None:
        if message.author.id != self.user.id and message.content == "ping":  # type: ignore[union-attr]
            reply = await message.channel.send(f"pong, {message.author.name}")
            if self.answered is not None and not self.answered.done():
                self.answered.set_result(reply)


async def step(awaitable: Awaitable[Any]) -> Any:
    return await asyncio.wait_for(awaitable, STEP_SECONDS)


async def scenario(
    server: Server, world: World, frames: list[type], before_resume: list[Callable]
) -> None:
    bot = Bot()
    api = httpx.AsyncClient(base_url=server.api_url, timeout=STEP_SECONDS)
    async with api, bot:
        ready = bot.wait_for("ready", timeout=STEP_SECONDS)
        runner = asyncio.create_task(bot.start(world.bot_token))
        try:
            await ready
            await exercise(bot, api, server, world, frames, before_resume)
        finally:
            await step(bot.close())
            await step(runner)


async def exercise(
    bot: Bot,
    api: httpx.AsyncClient,
    server: Server,
    world: World,
    frames: list[type],
    before_resume: list[Callable],
) -> None:
    # -- READY and GUILD_CREATE filled the cache ------------------------------------
    assert bot.user is not None and bot.user.id == world.bot_id and bot.user.bot
    assert bot.application_id == world.bot_id
    guild = bot.get_guild(world.guild_id)
    assert guild is not None and guild.name == "Home"
    general = guild.get_channel(world.general_id)
    assert isinstance(general, discord.TextChannel) and general.name == "general"
    assert guild.default_role.id == world.guild_id and guild.default_role.name == "@everyone"
    assert guild.me is not None and guild.me.id == world.bot_id
    assert guild.owner_id != world.bot_id
    assert general.permissions_for(guild.me).send_messages

    # -- a message from someone else, answered with channel.send ---------------------
    bot.answered = asyncio.get_running_loop().create_future()
    seen = bot.wait_for(
        "message", check=lambda m: m.author.id == world.poster_id, timeout=STEP_SECONDS
    )
    posted = await api.post(
        f"/channels/{world.general_id}/messages", json={"content": "ping"}, headers=world.poster
    )
    ping = _ok(posted)
    message = await seen
    assert message.id == int(ping["id"]) and message.content == "ping"
    assert message.guild == guild and message.channel == general
    # MESSAGE_CREATE carries the author's `member`, so discord.py makes them a Member.
    assert message.author.id == world.poster_id and message.author.name == "poster"
    assert isinstance(message.author, discord.Member), type(message.author)
    assert message.author.guild == guild and message.author.joined_at is not None
    reply = await step(bot.answered)
    assert reply.content == "pong, poster" and reply.author.id == world.bot_id

    # -- edit and delete, with their gateway events ------------------------------------
    edited = bot.wait_for("message_edit", check=lambda b, a: a.id == reply.id)
    raw_edit = bot.wait_for("raw_message_edit", check=lambda e: e.message_id == reply.id)
    await step(reply.edit(content="pong (edited)"))
    before, after = await step(edited)
    assert before.content == "pong, poster" and after.content == "pong (edited)"
    assert after.edited_at is not None
    raw = await step(raw_edit)
    assert raw.channel_id == world.general_id and raw.guild_id == world.guild_id

    deleted = bot.wait_for("message_delete", check=lambda m: m.id == reply.id)
    raw_delete = bot.wait_for("raw_message_delete", check=lambda e: e.message_id == reply.id)
    await step(reply.delete())
    assert (await step(deleted)).content == "pong (edited)"
    raw = await step(raw_delete)
    assert raw.channel_id == world.general_id and raw.guild_id == world.guild_id

    # -- a reaction ---------------------------------------------------------------
    reacted = bot.wait_for("reaction_add", check=lambda r, u: r.message.id == message.id)
    raw_reaction = bot.wait_for("raw_reaction_add", check=lambda e: e.message_id == message.id)
    await step(message.add_reaction("👍"))
    reaction, user = await step(reacted)
    assert str(reaction.emoji) == "👍" and reaction.count == 1 and reaction.me
    assert user.id == world.bot_id
    raw = await step(raw_reaction)
    assert raw.user_id == world.bot_id and raw.emoji.name == "👍"
    assert raw.channel_id == world.general_id and raw.guild_id == world.guild_id

    # -- history: more than one page, nothing skipped or repeated -------------------
    posted_ids = []
    for n in range(HISTORY_MESSAGES):
        caller = world.fillers[n // MESSAGES_PER_CALLER]
        body = {"content": f"history {n}"}
        response = await api.post(
            f"/channels/{world.history_id}/messages", json=body, headers=caller
        )
        posted_ids.append(int(_ok(response)["id"]))
    history = guild.get_channel(world.history_id)
    assert isinstance(history, discord.TextChannel)
    newest_first = [m async for m in history.history(limit=None)]
    assert [m.id for m in newest_first] == posted_ids[::-1]
    oldest_first = [m async for m in history.history(limit=None, oldest_first=True)]
    assert [m.content for m in oldest_first] == [f"history {n}" for n in range(HISTORY_MESSAGES)]

    # -- op 7: the client resumes and gets what was posted while it was away ----------
    session_id = bot.ws.session_id
    away_ids: list[int] = []

    async def post_while_away() -> None:
        for n in range(3):
            response = await api.post(
                f"/channels/{world.general_id}/messages",
                json={"content": f"while away {n}"},
                headers=world.poster,
            )
            away_ids.append(int(_ok(response)["id"]))

    before_resume.append(post_while_away)
    away: list[int] = []
    got_all = asyncio.Event()

    def collect(m: discord.Message) -> bool:
        if m.content.startswith("while away"):
            away.append(m.id)
        if len(away) == 3:
            got_all.set()
        return False

    collector = bot.wait_for("message", check=collect)
    resumed = bot.wait_for("resumed", timeout=STEP_SECONDS)
    assert await asyncio.to_thread(server.call, server.gateway.reconnect, session_id)
    await resumed
    await step(got_all.wait())
    collector.close()
    assert not before_resume, "discord.py did not RESUME"
    assert away == away_ids
    assert bot.resumes == 1 and bot.readies == 1 and bot.ws.session_id == session_id

    # -- a 429 that discord.py waits out and retries ---------------------------------
    limits = guild.get_channel(world.limits_id)
    assert isinstance(limits, discord.TextChannel)
    url = f"/channels/{world.limits_id}/messages"
    for n in range(MESSAGES_PER_CALLER + 1):
        exhaust = await api.post(url, json={"content": f"{n}"}, headers=_bot_auth(world.bot_token))
        if exhaust.status_code == 429:
            break
        _ok(exhaust)
    assert exhaust.status_code == 429, "the bucket was not exhausted"
    retry_after = exhaust.json()["retry_after"]
    started = time.monotonic()
    sent = await step(limits.send("after the limit"))
    assert sent.content == "after the limit"
    assert time.monotonic() - started >= retry_after * 0.5

    # -- every frame was zlib-stream compressed ---------------------------------------
    assert frames and all(kind is bytes for kind in frames), set(frames)


def test_discord_py_bot(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog
) -> None:
    # discord.py asks for zstd-stream when it can import a zstd decompressor.
    assert discord.utils._ActiveDecompressionContext.COMPRESSION_TYPE == "zlib-stream"
    settings = Settings(
        api_port=0,
        gateway_port=0,
        data_dir=tmp_path,
        jwt_secret=TEST_JWT_SECRET,
        pool_size=4,
    )
    frames: list[type] = []
    before_resume: list[Callable[[], Awaitable[None]]] = []
    received = discord.gateway.DiscordWebSocket.received_message
    resume = discord.gateway.DiscordWebSocket.resume

    async def record_frame(self, msg, /):
        frames.append(type(msg))
        await received(self, msg)

    async def resume_later(self):
        while before_resume:
            await before_resume.pop()()
        await resume(self)

    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "received_message", record_frame)
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "resume", resume_later)
    caplog.set_level(logging.WARNING, logger="discord.http")
    started = time.monotonic()
    with running_accord(settings, database_url) as server:
        monkeypatch.setattr(discord.http.Route, "BASE", server.api_url)
        monkeypatch.setattr(
            discord.gateway.DiscordWebSocket,
            "DEFAULT_GATEWAY",
            yarl.URL(f"ws://127.0.0.1:{server.gateway_port}/"),
        )
        with httpx.Client(base_url=server.api_url, timeout=STEP_SECONDS) as http:
            world = build_world(http)

        async def bounded() -> None:
            await asyncio.wait_for(scenario(server, world, frames, before_resume), SCENARIO_SECONDS)

        asyncio.run(bounded())
    assert any("responded with 429" in r.getMessage() for r in caplog.records), caplog.text
    assert time.monotonic() - started < SCENARIO_SECONDS + STEP_SECONDS
