"""Prometheus /metrics on the REST port and on the gateway port."""

from __future__ import annotations

import httpx

from tests.e2e.conftest import bounded
from tests.e2e.gateway_world import guild, identified, person, post, text_channel


def _sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in the exposition text (fails if absent)."""
    # The exposition writes labels sorted by name.
    want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        head, _, value = line.rpartition(" ")
        if head == (f"{name}{{{want}}}" if want else name):
            return float(value)
    raise AssertionError(f"no sample {name} {labels} in:\n{text}")


@bounded
async def test_metrics_count_sessions_deliveries_requests_and_the_pool(api, gateway):
    alice = await person(api, "alice")
    home = await guild(api, alice)
    host = str(api.base_url).split("/api/")[0]
    async with httpx.AsyncClient(base_url=host) as root:
        before = (await root.get("/metrics")).text
        delivered_before = _sample(before, "accord_gateway_deliveries_total")
        async with identified(gateway.url, alice) as client:
            await post(api, alice, text_channel(home), "counted")
            await client.wait_for("MESSAGE_CREATE")
            answer = await root.get("/metrics")
            assert answer.status_code == 200
            assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
            text = answer.text
    assert _sample(text, "accord_gateway_sessions", state="connected") >= 1
    assert _sample(text, "accord_gateway_deliveries_total") >= delivered_before + 1
    assert _sample(text, "accord_gateway_delivery_seconds_count") >= 1
    assert _sample(text, "accord_db_pool_connections", state="max") >= 1
    route = "/api/v10/channels/<channel_id>/messages"
    assert (
        _sample(text, "accord_http_request_seconds_count", route=route, method="POST", status="2xx")
        >= 1
    )


@bounded
async def test_the_gateway_port_answers_metrics_and_still_speaks_websocket(api, gateway):
    alice = await person(api, "alice")
    port = gateway.url.rsplit(":", 1)[1]
    async with httpx.AsyncClient() as plain:
        answer = await plain.get(f"http://127.0.0.1:{port}/metrics")
    assert answer.status_code == 200
    assert "accord_gateway_sessions" in answer.text
    async with identified(gateway.url, alice) as client:
        assert client.session_id
