"""Intents decide what a session receives; without MESSAGE_CONTENT a bot gets guild messages blank.

"Received nothing" is checked against a later marker event the session does
receive: the fan-out delivers in publish order, so once the marker is in,
anything published before it would have arrived already.
"""

from __future__ import annotations

from tests.e2e.conftest import bounded
from tests.e2e.gateway_world import (
    DIRECT_MESSAGES,
    FLAG_MESSAGE_CONTENT,
    GUILD_MESSAGES,
    GUILDS,
    MESSAGE_CONTENT,
    bot,
    dm_channel,
    guild,
    identified,
    join,
    person,
    post,
    text_channel,
)


def _messages(client) -> dict[str, dict]:
    return {d["id"]: d for d in client.events("MESSAGE_CREATE")}


async def _marker(api, owner, home, *clients) -> None:
    """A CHANNEL_CREATE every GUILDS session gets, and wait for it at each client."""
    created = await api.post(
        f"/guilds/{home['id']}/channels", json={"name": "marker"}, headers=owner.headers
    )
    assert created.status_code == 201, created.text
    for client in clients:
        await client.wait_for("CHANNEL_CREATE", lambda d: d["id"] == created.json()["id"])


@bounded
async def test_message_intents_filter_guild_and_dm_messages(api, gateway):
    alice, bob = await person(api, "alice"), await person(api, "bob")
    home = await guild(api, alice)
    await join(api, alice, bob, home)
    dm = await dm_channel(api, alice, bob)
    async with (
        identified(gateway.url, bob, GUILDS) as guilds_only,
        identified(gateway.url, bob, GUILDS | GUILD_MESSAGES) as guild_messages,
        identified(gateway.url, bob, GUILDS | DIRECT_MESSAGES) as direct_messages,
    ):
        in_guild = await post(api, alice, text_channel(home), "in the guild")
        in_dm = await post(api, alice, dm, "in private")
        await _marker(api, alice, home, guilds_only, guild_messages, direct_messages)
    assert _messages(guilds_only) == {}
    assert set(_messages(guild_messages)) == {in_guild["id"]}
    assert set(_messages(direct_messages)) == {in_dm["id"]}
    assert _messages(direct_messages)[in_dm["id"]]["content"] == "in private"


@bounded
async def test_a_bot_without_message_content_gets_others_guild_messages_blank(api, gateway):
    alice = await person(api, "alice")
    home = await guild(api, alice)
    channel = text_channel(home)
    plain = await bot(api, alice, home, name="Plain")
    reader = await bot(api, alice, home, flags=FLAG_MESSAGE_CONTENT, name="Reader")
    intents = GUILDS | GUILD_MESSAGES | DIRECT_MESSAGES
    async with (
        identified(gateway.url, plain, intents) as plain_client,
        identified(gateway.url, reader, intents | MESSAGE_CONTENT) as reader_client,
        identified(gateway.url, alice) as human,
    ):
        others = await post(api, alice, channel, "hello everyone")
        mention = await post(api, alice, channel, f"<@{plain.id}> look at this")
        own = await post(api, plain, channel, "the bot speaks")
        dm = await post(api, alice, await dm_channel(api, alice, plain), "just for you")
        await _marker(api, alice, home, plain_client, reader_client, human)
    got = _messages(plain_client)
    assert set(got) == {others["id"], mention["id"], own["id"], dm["id"]}
    blank = got[others["id"]]
    assert blank["content"] == "" and blank["embeds"] == [] and blank["attachments"] == []
    # The rest of the message is intact.
    assert blank["author"]["id"] == alice.id and blank["channel_id"] == channel
    assert got[mention["id"]]["content"] == f"<@{plain.id}> look at this"
    assert got[own["id"]]["content"] == "the bot speaks"
    assert got[dm["id"]]["content"] == "just for you"
    # With the intent (bot) or as a person, content arrives in full.
    for client in (reader_client, human):
        assert _messages(client)[others["id"]]["content"] == "hello everyone"
    assert dm["id"] not in _messages(reader_client)
