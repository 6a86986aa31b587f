from __future__ import annotations

from tests.e2e.conftest import bounded, register
from tests.e2e.gateway_client import connect


@bounded
async def test_identify_ready_guild_create_and_message(api, gateway):
    tokens = await register(api, "alice")
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    guild = (await api.post("/guilds", json={"name": "g"}, headers=headers)).json()
    channel_id = guild["channels"][0]["id"] if "channels" in guild else None
    async with connect(gateway.url) as client:
        hello = await client.hello()
        assert hello["d"]["heartbeat_interval"] == 41250
        ready = await client.identify(tokens["access_token"])
        assert ready["s"] == 1
        assert ready["d"]["guilds"] == [{"id": guild["id"], "unavailable": True}]
        created = await client.wait_for("GUILD_CREATE")
        assert created["d"]["id"] == guild["id"]
        channel_id = created["d"]["channels"][0]["id"]
        await client.send(1, client.seq)
        assert (await client.wait_op(11))["op"] == 11
        posted = await api.post(
            f"/channels/{channel_id}/messages", json={"content": "hi"}, headers=headers
        )
        assert posted.status_code == 200, posted.text
        message = await client.wait_for("MESSAGE_CREATE")
        assert message["d"]["content"] == "hi"
        # Guild message events carry the author's partial member (no user inside).
        assert message["d"]["member"]["joined_at"] and "user" not in message["d"]["member"]
        assert message["s"] == 3
