"""Channels created or edited with permission_overwrites keep them: private stays private."""

from __future__ import annotations

from tests.e2e.conftest import bounded
from tests.e2e.gateway_world import VIEW_CHANNEL, guild, join, person


@bounded
async def test_a_channel_created_private_is_hidden_until_opened_by_patch(api):
    owner, member = await person(api, "owner"), await person(api, "member")
    home = await guild(api, owner)
    await join(api, owner, member, home)
    hidden = [{"id": home["id"], "type": 0, "allow": "0", "deny": str(VIEW_CHANNEL)}]
    created = await api.post(
        f"/guilds/{home['id']}/channels",
        json={"name": "staff", "permission_overwrites": hidden},
        headers=owner.headers,
    )
    assert created.status_code == 201, created.text
    channel = created.json()
    assert channel["permission_overwrites"] == hidden
    assert (await api.get(f"/channels/{channel['id']}", headers=member.headers)).status_code == 404
    listed = await api.get(f"/guilds/{home['id']}/channels", headers=member.headers)
    assert channel["id"] not in {c["id"] for c in listed.json()}

    opened = await api.patch(
        f"/channels/{channel['id']}", json={"permission_overwrites": []}, headers=owner.headers
    )
    assert opened.status_code == 200, opened.text
    assert opened.json()["permission_overwrites"] == []
    assert (await api.get(f"/channels/{channel['id']}", headers=member.headers)).status_code == 200

    # A PATCH that does not mention them leaves them as they are.
    await api.patch(
        f"/channels/{channel['id']}", json={"permission_overwrites": hidden}, headers=owner.headers
    )
    renamed = await api.patch(
        f"/channels/{channel['id']}", json={"name": "staff-room"}, headers=owner.headers
    )
    assert renamed.json()["permission_overwrites"] == hidden


@bounded
async def test_bad_overwrites_are_refused_and_nothing_is_created(api):
    owner = await person(api, "owner")
    home = await guild(api, owner)
    for bad, field in (
        ("nope", "permission_overwrites"),
        ([{"id": "x", "type": 0}], "permission_overwrites.0.id"),
        ([{"id": home["id"], "type": 7}], "permission_overwrites.0.type"),
        ([{"id": home["id"], "type": 0, "deny": "lots"}], "permission_overwrites.0.deny"),
        ([5], "permission_overwrites.0"),
    ):
        answer = await api.post(
            f"/guilds/{home['id']}/channels",
            json={"name": "x", "permission_overwrites": bad},
            headers=owner.headers,
        )
        assert answer.status_code == 400, (bad, answer.text)
        errors = answer.json()["errors"]
        for part in field.split("."):  # Discord nests errors along the field's path
            errors = errors[part]
        assert errors["_errors"], (bad, answer.json())
    channels = await api.get(f"/guilds/{home['id']}/channels", headers=owner.headers)
    assert "x" not in {c["name"] for c in channels.json()}


@bounded
async def test_setting_overwrites_needs_manage_roles(api):
    owner, member = await person(api, "owner"), await person(api, "member")
    home = await guild(api, owner)
    await join(api, owner, member, home)
    manage_channels = 1 << 4
    role = await api.post(
        f"/guilds/{home['id']}/roles",
        json={"name": "builder", "permissions": str(manage_channels)},
        headers=owner.headers,
    )
    await api.put(
        f"/guilds/{home['id']}/members/{member.id}/roles/{role.json()['id']}",
        headers=owner.headers,
    )
    plain = await api.post(
        f"/guilds/{home['id']}/channels", json={"name": "ok"}, headers=member.headers
    )
    assert plain.status_code == 201, plain.text
    hidden = [{"id": home["id"], "type": 0, "deny": str(VIEW_CHANNEL)}]
    refused = await api.post(
        f"/guilds/{home['id']}/channels",
        json={"name": "secret", "permission_overwrites": hidden},
        headers=member.headers,
    )
    assert refused.status_code == 403 and refused.json()["code"] == 50013
