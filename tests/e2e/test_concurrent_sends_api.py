"""Many message creates at once over HTTP: each is stored, answered and dispatched exactly once.

Concurrent sends share their statements in storage (send_batches); this is
the whole path, from real HTTP requests to a real gateway connection.
"""

from __future__ import annotations

import trio

from tests.e2e.conftest import bounded
from tests.e2e.gateway_world import GUILD_MESSAGES, MESSAGE_CONTENT, guild, identified, join, person

SENDERS = 4
PER_CHANNEL = 6


@bounded
async def test_concurrent_creates_are_each_stored_answered_and_dispatched_once(api, gateway):
    owner = await person(api, "owner")
    home = await guild(api, owner)
    first = next(c["id"] for c in home["channels"] if c["type"] == 0)
    second = await api.post(
        f"/guilds/{home['id']}/channels", json={"name": "second"}, headers=owner.headers
    )
    assert second.status_code == 201, second.text
    channels = [first, second.json()["id"]]
    senders = [owner]
    for n in range(SENDERS - 1):
        member = await person(api, f"member{n}")
        await join(api, owner, member, home)
        senders.append(member)
    answers: dict[str, dict] = {}

    async def send(author, channel_id: str, content: str) -> None:
        reply = await api.post(
            f"/channels/{channel_id}/messages", json={"content": content}, headers=author.headers
        )
        assert reply.status_code == 200, reply.text
        answers[content] = reply.json()

    async with identified(gateway.url, owner, GUILD_MESSAGES | MESSAGE_CONTENT) as client:
        async with trio.open_nursery() as nursery:
            for author in senders:
                for channel_id in channels:
                    for n in range(PER_CHANNEL):
                        content = f"{author.name} {channel_id} {n}"
                        nursery.start_soon(send, author, channel_id, content)
        total = SENDERS * len(channels) * PER_CHANNEL
        dispatched = [(await client.wait_for("MESSAGE_CREATE"))["d"] for _ in range(total)]

    assert len(answers) == total
    for content, message in answers.items():
        name, channel_id, _ = content.split(" ")
        assert message["content"] == content and message["channel_id"] == channel_id
        assert message["author"]["username"] == name
    ids = {m["id"] for m in answers.values()}
    assert len(ids) == total
    assert sorted(m["id"] for m in dispatched) == sorted(ids)  # each exactly once
    assert all(m["content"] == answers[m["content"]]["content"] for m in dispatched)
    for channel_id in channels:
        sent = {m["id"] for m in answers.values() if m["channel_id"] == channel_id}
        page = await api.get(
            f"/channels/{channel_id}/messages", params={"limit": 100}, headers=owner.headers
        )
        assert {m["id"] for m in page.json()} == sent
        channel = await api.get(f"/channels/{channel_id}", headers=owner.headers)
        assert channel.json()["last_message_id"] == max(sent, key=int)
