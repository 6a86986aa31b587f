"""History paging over real HTTP: before, after and around, nothing skipped or repeated."""

from __future__ import annotations

import httpx

from tests.e2e.conftest import bearer, bounded, register

TOTAL = 130  # more than one page at the maximum limit of 100


async def _channel_with_messages(api: httpx.AsyncClient) -> tuple[dict[str, str], str, list[str]]:
    headers = bearer((await register(api, "pager"))["access_token"])
    guild = (await api.post("/guilds", json={"name": "Paging"}, headers=headers)).json()
    channel_id = guild["channels"][0]["id"]
    ids = []
    for n in range(TOTAL):
        sent = await api.post(
            f"/channels/{channel_id}/messages", json={"content": f"m{n}"}, headers=headers
        )
        assert sent.status_code == 200, sent.text
        ids.append(sent.json()["id"])
    return headers, channel_id, ids


@bounded
async def test_before_and_after_walk_the_whole_history_exactly_once(api):
    headers, channel_id, ids = await _channel_with_messages(api)
    url = f"/channels/{channel_id}/messages"

    seen: list[str] = []
    page = (await api.get(f"{url}?limit=50", headers=headers)).json()
    while page:
        assert [int(m["id"]) for m in page] == sorted((int(m["id"]) for m in page), reverse=True)
        seen.extend(m["id"] for m in page)
        page = (await api.get(f"{url}?limit=50&before={page[-1]['id']}", headers=headers)).json()
    assert seen == list(reversed(ids))

    forward: list[str] = []
    cursor = "0"
    while True:
        page = (await api.get(f"{url}?limit=100&after={cursor}", headers=headers)).json()
        if not page:
            break
        # still newest first within a page, as Discord returns them
        forward.extend(m["id"] for m in reversed(page))
        cursor = page[0]["id"]
    assert forward == ids


@bounded
async def test_around_centres_on_the_message(api):
    headers, channel_id, ids = await _channel_with_messages(api)
    middle = ids[60]
    page = (
        await api.get(f"/channels/{channel_id}/messages?around={middle}&limit=11", headers=headers)
    ).json()
    got = list(reversed([m["id"] for m in page]))  # oldest first, like ids
    start = ids.index(got[0])
    assert got == ids[start : start + 11], "a contiguous run, nothing skipped"
    assert middle in got and abs(start - 55) <= 1, "centred on the message"


@bounded
async def test_limit_bounds(api):
    headers, channel_id, ids = await _channel_with_messages(api)
    url = f"/channels/{channel_id}/messages"
    assert len((await api.get(url, headers=headers)).json()) == 50  # Discord's default
    assert len((await api.get(f"{url}?limit=100", headers=headers)).json()) == 100
    assert (await api.get(f"{url}?limit=101", headers=headers)).status_code == 400
    both = await api.get(f"{url}?before={ids[5]}&after={ids[1]}", headers=headers)
    assert both.status_code == 400
