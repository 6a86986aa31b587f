"""Deep and malformed JSON against every API route: a 4xx, never a 5xx, never a traceback.

Every route of the app's URL map is sent bodies a careless or hostile client
could send: nesting past every bound, a field name of 260 dotted parts,
invalid UTF-8, NUL, truncated JSON, the wrong top-level type, a wrong media
type; and every field of every documented request body is given huge and
wrongly typed values. A route that reads a body must refuse the malformed
ones with a 4xx; a route that reads none must answer as it does without one;
no answer may be a 5xx and nothing may be logged as an error.

In-process (Quart's test client over the real services and database), so
the few thousand requests take seconds, not minutes.
"""

from __future__ import annotations

import logging
import re
import typing
from collections.abc import Callable
from dataclasses import dataclass, field

import orjson
import pydantic
import trio
from quart_schema.validation import QUART_SCHEMA_REQUEST_ATTRIBUTE

from accord.http.app import create_app

# The whole suite's bound; it takes a few seconds to tens of seconds.
SUITE_SECONDS = 240
PASSWORD = "correct horse battery"
DOTTED_KEY = ".".join(["a"] * 260)
JSON = "application/json"
UNKNOWN_ID = "1100000000000000000"  # a snowflake naming nothing, for a parameter the world lacks

# Bodies no route may take. Each is (raw bytes, media type).
MALFORMED: dict[str, tuple[bytes, str]] = {
    "lists nested 500 deep": (b"[" * 500 + b"]" * 500, JSON),
    "objects nested 500 deep": (b'{"a":' * 500 + b"1" + b"}" * 500, JSON),
    "lists nested past the parser's limit": (b"[" * 2000 + b"]" * 2000, JSON),
    "lists nested 33 deep inside a field": (b'{"name": ' + b"[" * 33 + b"]" * 33 + b"}", JSON),
    "a key of 260 dotted parts": (orjson.dumps({DOTTED_KEY: 1}), JSON),
    "a key of 260 dotted parts holding NUL": (orjson.dumps({DOTTED_KEY: "\x00"}), JSON),
    "260 dotted keys in a list": (orjson.dumps([{DOTTED_KEY: None}] * 3), JSON),
    "thousands of unknown keys": (orjson.dumps({f"k{i}": i for i in range(5000)}), JSON),
    "NUL in a key and a value": (orjson.dumps({"na\x00me": "x\x00", "name": "\x00"}), JSON),
    "a raw NUL byte": (b'{"name": "a\x00b"}', JSON),
    "invalid UTF-8": (b'{"name": "\xff\xfe"}', JSON),
    "a lone surrogate": (b'{"name": "\\ud800"}', JSON),
    "truncated": (b'{"name": ', JSON),
    "a number out of range": (b'{"name": 1e400}', JSON),
    "an array of numbers": (b"[1, 2]", JSON),
    "a string": (b'"name"', JSON),
    "a huge number": (b"123456789012345678901234567890", JSON),
    "null": (b"null", JSON),
    "true": (b"true", JSON),
    "not JSON at all": (b"name=x", "application/x-www-form-urlencoded"),
    "JSON as text": (b'{"name": "x"}', "text/plain"),
}

# Values for one field of a documented body, as raw JSON: numbers past every
# integer type, wrong types, and structures that hide the same in deeper places.
HOSTILE_VALUES: tuple[bytes, ...] = (
    b"123456789012345678901234567890",
    str(2**63).encode(),
    str(-(2**63) - 1).encode(),
    str(2**64 - 1).encode(),
    b"1e308",
    b"-1e308",
    b"0.5",
    b"-1",
    b'"' + b"9" * 40 + b'"',
    b'"-1"',
    b'"\\u0000"',
    b'"' + b"x" * 5000 + b'"',
    b"true",
    b"null",
    b"[]",
    b"{}",
    b"[" * 33 + b"]" * 33,
    orjson.dumps({DOTTED_KEY: "\x00"}),
    orjson.dumps(
        [{"id": "9" * 40, "type": 2**63, "allow": "1e400", "deny": 2**64 - 1, "position": -1}]
    ),
    orjson.dumps({"message_id": 2**64 - 1, "channel_id": -1, "id": "9" * 25}),
)


@dataclass(frozen=True)
class Route:
    method: str
    rule: str
    body: type[pydantic.BaseModel] | None  # the documented request body, if any

    @property
    def order(self) -> tuple[int, int, str, str]:
        """Routes that take away what others work on (a delete, a ban) go after the
        rest, deepest path first (a message before its channel before its guild),
        and those that end the session last of all."""
        if self.rule.endswith(("/auth/logout", "/users/@me/delete")):
            phase = 2
        elif self.method == "DELETE" or (self.method == "PUT" and "/bans/" in self.rule):
            phase = 1
        else:
            phase = 0
        return phase, -self.rule.count("/"), self.rule, self.method


@dataclass
class World:
    """A guild with a member, a role, a message with a reaction, an invite and an application."""

    ids: dict[str, str]
    headers: dict[str, str] = field(default_factory=dict)


def _routes(app) -> list[Route]:
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v10/") or rule.rule.endswith("openapi.json"):
            continue
        view = app.view_functions[rule.endpoint]
        documented = getattr(view, QUART_SCHEMA_REQUEST_ATTRIBUTE, None)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            routes.append(Route(method, rule.rule, documented[0] if documented else None))
    return sorted(routes, key=lambda r: r.order)


def _path(rule: str, ids: dict[str, str]) -> str:
    """The rule with its parameters filled: the world's ids, or a well-formed unknown one."""
    return re.sub(r"<(?:[a-z_]+:)?([a-z_]+)>", lambda m: ids.get(m.group(1), UNKNOWN_ID), rule)


def _field_bodies(model: type[pydantic.BaseModel]) -> list[tuple[str, Callable[[bytes], bytes]]]:
    """For each field of ``model``: its name and how to make a body holding a value in it."""
    if issubclass(model, pydantic.RootModel):
        (item,) = typing.get_args(model.model_fields["root"].annotation)
        return [
            (name, lambda v, n=name: b"[{" + orjson.dumps(n) + b": " + v + b"}]")
            for name in item.model_fields
        ]
    return [
        (name, lambda v, n=name: b"{" + orjson.dumps(n) + b": " + v + b"}")
        for name in model.model_fields
    ]


async def _register(client, name: str) -> tuple[dict[str, str], str]:
    response = await client.post(
        "/api/v10/auth/register",
        json={"username": name, "email": f"{name}@example.com", "password": PASSWORD},
    )
    assert response.status_code == 201, await response.get_data()
    headers = {"Authorization": f"Bearer {(await response.get_json())['access_token']}"}
    me = await client.get("/api/v10/users/@me", headers=headers)
    return headers, (await me.get_json())["id"]


async def _world(client) -> World:
    owner, _ = await _register(client, "owner")
    member, member_id = await _register(client, "member")

    async def call(method: str, path: str, **kwargs) -> dict:
        response = await client.open(f"/api/v10{path}", method=method, headers=owner, **kwargs)
        assert response.status_code < 300, (path, await response.get_data())
        return await response.get_json() if response.status_code != 204 else {}

    guild = await call("POST", "/guilds", json={"name": "Fuzz"})
    channel = guild["channels"][0]["id"]
    message = await call("POST", f"/channels/{channel}/messages", json={"content": "hi"})
    await call("PUT", f"/channels/{channel}/messages/{message['id']}/reactions/👍/@me")
    role = await call("POST", f"/guilds/{guild['id']}/roles", json={"name": "fuzzed"})
    invite = await call("POST", f"/channels/{channel}/invites", json={})
    joined = await client.post(f"/api/v10/invites/{invite['code']}", headers=member)
    assert joined.status_code == 200, await joined.get_data()
    application = await call("POST", "/applications", json={"name": "fuzz app"})
    ids = {
        "guild_id": guild["id"],
        "channel_id": channel,
        "message_id": message["id"],
        "user_id": member_id,
        "role_id": role["id"],
        "overwrite_id": role["id"],
        "emoji": "👍",
        "code": invite["code"],
        "application_id": application["id"],
    }
    return World(ids, owner)


async def _signed_in(client, world: World) -> dict[str, str]:
    """The owner's headers, logging in again if a route before ended the session."""
    me = await client.get("/api/v10/users/@me", headers=world.headers)
    if me.status_code == 401:
        login = await client.post(
            "/api/v10/auth/login", json={"email": "owner@example.com", "password": PASSWORD}
        )
        assert login.status_code == 200, await login.get_data()
        token = (await login.get_json())["access_token"]
        world.headers = {"Authorization": f"Bearer {token}"}
    return world.headers


@dataclass
class Probe:
    """One route's requests, counted, with what went wrong."""

    client: typing.Any
    route: Route
    path: str
    headers: dict[str, str]
    failures: list[str]
    sent: int = 0

    async def send(self, raw: bytes | None, media: str = JSON) -> int:
        self.sent += 1
        extra = {} if raw is None else {"Content-Type": media}
        response = await self.client.open(
            self.path, method=self.route.method, data=raw, headers={**self.headers, **extra}
        )
        return int(response.status_code)

    def fail(self, what: str, status: int) -> None:
        self.failures.append(f"{self.route.method} {self.route.rule} {what}: {status}")


async def _probe(probe: Probe) -> None:
    route = probe.route
    normal = await probe.send(None) if route.method == "GET" else None
    for name, (raw, media) in MALFORMED.items():
        status = await probe.send(raw, media)
        if status >= 500:
            probe.fail(f"with {name}", status)
        elif route.body is not None and not 400 <= status < 500:
            probe.fail(f"took {name}", status)
        elif normal is not None and route.body is None and status != normal:
            probe.fail(f"with {name} answered other than without a body ({normal})", status)
    for field_name, body in _field_bodies(route.body) if route.body else ():
        for value in HOSTILE_VALUES:
            status = await probe.send(body(value))
            if status >= 500:
                probe.fail(f"with {field_name}={value[:40]!r}", status)


async def test_no_route_fails_on_malformed_or_hostile_json(services, caplog):
    caplog.set_level(logging.WARNING)
    app = create_app(services)
    client = app.test_client()
    routes = _routes(app)
    # The enumeration found the API, and the bodies documenting it.
    assert len(routes) > 50 and sum(r.body is not None for r in routes) > 20
    failures: list[str] = []
    sent = 0
    with trio.fail_after(SUITE_SECONDS):
        world = await _world(client)
        for route in routes:
            headers = await _signed_in(client, world)
            probe = Probe(client, route, _path(route.rule, world.ids), headers, failures)
            await _probe(probe)
            sent += probe.sent

    assert sent > 1000
    assert not failures, "\n".join(failures[:60])
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, "\n".join(f"{r.name}: {r.getMessage()[:300]}" for r in errors[:20])
    assert "Traceback" not in caplog.text


def _depth(value: object) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


async def test_the_reported_bodies_are_bounded_400s_over_http(api, caplog):
    """A 260-part dotted key with a NUL, and lists nested 500 deep: no login, the real server."""
    caplog.set_level(logging.WARNING)
    dotted = await api.post(
        "/auth/register",
        content=orjson.dumps({DOTTED_KEY: "\x00", "username": "x", "email": "e", "password": 1}),
        headers={"Content-Type": JSON},
    )
    assert dotted.status_code == 400, dotted.text
    body = dotted.json()
    assert body["code"] == 50035 and 10 < _depth(body["errors"]) <= 40
    assert len(dotted.content) < 8192
    nested = await api.post(
        "/auth/register",
        content=b"[" * 500 + b'"\\u0000"' + b"]" * 500,
        headers={"Content-Type": JSON},
    )
    assert nested.status_code == 400, nested.text
    (error,) = nested.json()["errors"]["_body"]["_errors"]
    assert error["code"] == "BASE_TYPE_MAX_DEPTH" and "32 levels" in error["message"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "Traceback" not in caplog.text
