"""The authorization matrix: every route, tried by everyone who must not act, leaks nothing.

One world (authz_world.py) serves the whole module: a guild with a hidden
channel, a hidden message, a DM, invites and applications, and the actors
(outsider, member, viewer, manager, banned, bot; and no token at all).
Each row of authz_table.py is tried by each actor: the status must be the
row's (403 or 404 as Discord answers; hidden things are 404 so their
existence is not revealed), and the body must hold no secret that actor may
not see. Each row's control makes the same request as someone allowed to,
so a refusal is the server's decision, not a malformed request.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from werkzeug.exceptions import HTTPException

from accord.config import Settings
from accord.http.app import create_app
from tests.e2e.authz_cases import OK, UNCHANGED, Case, Skip, fill, matches
from tests.e2e.authz_gateway import (
    ACTS,
    BLIND,
    IN_GUILD,
    OUTSIDE,
    Act,
    Seat,
    about,
    audience,
    in_thread,
    send_secret,
    settle,
    shown,
    tidy,
)
from tests.e2e.authz_table import CASES
from tests.e2e.authz_world import (
    ACTORS,
    VIEW_CHANNEL,
    World,
    build_world,
    cloned_database,
)
from tests.e2e.conftest import TEST_JWT_SECRET, bounded
from tests.e2e.threaded_server import Server, running_accord

pytestmark = pytest.mark.slow

API = "/api/v10"
ANONYMOUS = "anonymous"
TARGET_CHANGED = "the target changed"
# One request may take this long on a busy machine before the row fails.
REQUEST_SECONDS = 10


@pytest.fixture(scope="module")
def server(
    postgres_server_url: str, template_database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    settings = Settings(
        api_port=0,
        gateway_port=0,
        data_dir=tmp_path_factory.mktemp("authz"),
        jwt_secret=TEST_JWT_SECRET,
        pool_size=4,
        rate_limit_scale=1000.0,  # the matrix sends hundreds of requests per actor
    )
    with (
        cloned_database(postgres_server_url, template_database) as url,
        running_accord(settings, url) as running,
    ):
        yield running


@pytest.fixture(scope="module")
def world(server: Server) -> Iterator[World]:
    with httpx.Client(base_url=server.api_url, timeout=REQUEST_SECONDS) as http:
        yield build_world(http)


# -- every route has a row ---------------------------------------------------------------


async def test_every_route_has_a_row(services):
    app = create_app(services)
    adapter = app.url_map.bind("localhost")
    routes = {
        (method, rule.rule.removeprefix(API))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(f"{API}/")
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }
    covered, stale = set(), []
    for case in CASES:
        try:
            rule, _ = adapter.match(
                f"{API}{case.concrete_path}", method=case.method, return_rule=True
            )
        except HTTPException:
            stale.append(case.id)
            continue
        covered.add((case.method, rule.rule.removeprefix(API)))
    assert sorted(routes - covered) == [], "routes with no row in authz_table.py"
    assert stale == [], "rows for routes that are gone"


# -- each row, tried by each actor -----------------------------------------------------------


def _expected(case: Case, actor: str) -> Any:
    if actor == ANONYMOUS:
        return OK if case.public else 401
    return case.expect[actor]


def _rows() -> Iterator[Any]:
    """One test per row (its actors, then its control), one per actor with a known defect."""
    for case in CASES:
        tried = [
            actor
            for actor in (ANONYMOUS, *ACTORS)
            if not isinstance(_expected(case, actor), Skip)
            # No token is needed: the anonymous try says it all.
            and (actor == ANONYMOUS or not case.public)
        ]
        yield pytest.param(case, [a for a in tried if a not in case.xfail], True, id=case.id)
        for actor in case.xfail:
            mark = pytest.mark.xfail(strict=True, reason=case.xfail[actor])
            yield pytest.param(case, [actor], False, id=f"{case.id} as {actor}", marks=mark)


def _send(
    world: World,
    case: Case,
    who: str | None,
    ctx: dict[str, Any],
    body: Any,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    return world.call(who, case.method, fill(case.path, ctx), fill(body, ctx), headers=headers)


def _try(world: World, case: Case, actor: str, ctx: dict[str, Any], check: bool) -> list[str]:
    """What went wrong when ``actor`` made the row's request (nothing, if all is well)."""
    ctx = {**ctx, "self": world.ids.get(actor, "0"), "actor": actor}
    response = _send(world, case, None if actor == ANONYMOUS else actor, ctx, case.body)
    expected = _expected(case, actor)
    problems = []
    if not matches(expected, response.status_code):
        problems.append(f"expected {expected}, got {response.status_code}")
    leaked = [label for label in world.leaks(actor, response.text) if label not in case.reveals]
    if leaked:
        problems.append(f"shown {leaked}")
    if check and case.check is not None:
        try:
            case.check(world, ctx)
        except AssertionError as damage:
            problems.append(f"{TARGET_CHANGED}: {damage}")
    return [f"{actor}: {p} -- {response.text[:300]}" for p in problems]


def _control(world: World, case: Case, ctx: dict[str, Any]) -> list[str]:
    """The row's request made by one who may make it: it gets the control's answer."""
    control = case.control
    if control is None:
        return []
    ctx = {**ctx, "self": world.ids[control.who]}
    if control.setup is not None:
        ctx.update(control.setup(world))
    body = case.body if control.body is UNCHANGED else control.body
    try:
        # A setup may hand the control a login of its own (a throwaway account, a second session).
        response = _send(world, case, control.who, ctx, body, ctx.get("authorization"))
        problems = []
        if not matches(control.status, response.status_code):
            problems.append(f"expected {control.status}, got {response.status_code}")
        problems += [
            f"{name} missing" for name in control.shows if str(ctx[name]) not in response.text
        ]
        if not problems and control.undo is not None:
            control.undo(world, ctx, response)
        who = "a throwaway account" if "authorization" in ctx else control.who
        return [f"control by {who}: {p} -- {response.text[:300]}" for p in problems]
    finally:
        if case.cleanup is not None and control.setup is not None:
            case.cleanup(world, ctx)


@pytest.mark.parametrize(("case", "actors", "with_control"), list(_rows()))
def test_each_actor_gets_what_the_row_says_and_sees_no_secret(
    world: World, case: Case, actors: list[str], with_control: bool
):
    # One target for all the actors of the row: a check after each try sees any damage.
    ctx: dict[str, Any] = dict(world.ids)
    if case.setup is not None:
        ctx.update(case.setup(world))
    problems: list[str] = []
    try:
        damaged = False
        for actor in actors:
            found = _try(world, case, actor, ctx, check=not damaged)
            # Once one actor changed the target, the check would blame every later one too.
            damaged = damaged or any(TARGET_CHANGED in p for p in found)
            problems += found
        if with_control:
            problems += _control(world, case, ctx)
    finally:
        if case.cleanup is not None:
            case.cleanup(world, ctx)
    assert problems == [], "\n".join(problems)


# -- the gateway: dispatches about the hidden channel reach only who may see it --------------


def _gateway(server: Server) -> str:
    return f"ws://127.0.0.1:{server.gateway_port}"


def _unseen(
    world: World, seats: dict[str, Seat], names: tuple[str, ...], channel: str
) -> list[str]:
    """What the blind received that they should not have."""
    problems = []
    for name in names:
        seat = seats[name]
        if got := about(seat, channel):
            problems.append(f"{name} received {got}")
        if leaked := shown(world, name, seat):
            problems.append(f"{name} was shown {leaked}")
        if name in OUTSIDE and any(world.ids["guild"] in frame for frame in seat.frames()):
            problems.append(f"{name} received something about the guild")
    return problems


@pytest.mark.parametrize("act", [pytest.param(a, id=a.name) for a in ACTS])
@bounded
async def test_dispatches_about_a_hidden_channel_reach_only_who_may_see_it(
    server: Server, world: World, act: Act
):
    ctx = await in_thread(act.prepare, world)
    try:
        async with audience(_gateway(server), world) as seats:
            await in_thread(act.act, world, ctx)
            await settle(world, seats)
        witnessed = set(about(seats[act.witness], ctx["channel"]))
        problems = (
            [f"{act.witness} missed {sorted(act.seen - witnessed)}"] if act.seen - witnessed else []
        )
        problems += _unseen(world, seats, act.blind, ctx["channel"])
        assert problems == [], "\n".join(problems)
    finally:
        await in_thread(tidy, world, ctx)


@bounded
async def test_guild_create_lists_only_the_channels_each_member_sees(server: Server, world: World):
    async with audience(_gateway(server), world) as seats:
        pass
    hidden = {world.ids["hidden"], world.ids["hidden_category"]}
    problems = []
    for name in IN_GUILD:
        created = [
            p["d"]
            for p in seats[name].client.dispatches
            if p["t"] == "GUILD_CREATE" and p["d"]["id"] == world.ids["guild"]
        ]
        assert len(created) == 1, f"{name} got {len(created)} GUILD_CREATE for the guild"
        listed = {c["id"] for c in created[0]["channels"]}
        assert world.ids["public"] in listed
        if name in ("owner", "viewer"):
            assert hidden <= listed, f"{name} should see the hidden channels"
        elif listed & hidden:
            problems.append(f"{name} was listed the hidden channels")
    for name in (*BLIND, *OUTSIDE):
        if leaked := shown(world, name, seats[name], since_identify=False):
            problems.append(f"{name} was shown {leaked} on connecting")
    assert problems == [], "\n".join(problems)


@bounded
async def test_a_member_who_loses_sight_of_a_channel_is_told_it_is_gone(
    server: Server, world: World
):
    channel = await in_thread(world.visible_channel, "soon-hidden")
    permissions = f"/channels/{channel}/permissions"
    # The seers are let in before anyone connects: the viewer never loses sight of it.
    allow = {"type": 0, "allow": str(VIEW_CHANNEL)}
    await in_thread(world.ok, "owner", "PUT", f"{permissions}/{world.ids['seers']}", allow)
    try:
        async with audience(_gateway(server), world) as seats:
            deny = {"type": 0, "deny": str(VIEW_CHANNEL)}
            await in_thread(world.ok, "owner", "PUT", f"{permissions}/{world.ids['guild']}", deny)
            await in_thread(send_secret, world, "owner", channel, "said once hidden")
            await settle(world, seats)
        problems = []
        for name in BLIND:
            if (got := about(seats[name], channel)) != ["CHANNEL_DELETE"]:
                problems.append(f"{name} received {got}, not one CHANNEL_DELETE")
        seen = about(seats["viewer"], channel)
        assert "MESSAGE_CREATE" in seen and "CHANNEL_DELETE" not in seen, seen
        assert problems == [], "\n".join(problems)
    finally:
        await in_thread(world.delete_channel, channel)


@bounded
async def test_member_lists_over_the_gateway_go_only_to_members(server: Server, world: World):
    """Op 8 for a guild one is not in is answered with one empty chunk, naming no member."""
    members = {world.ids["viewer"], world.ids["member"]}
    requests = [
        {"query": "", "limit": 0, "presences": True},
        {"user_ids": sorted(members), "presences": True},
    ]
    async with audience(_gateway(server), world) as seats:
        for name in ("owner", *OUTSIDE):
            client = seats[name].client
            for number, request in enumerate(requests):
                nonce = f"{name}-{number}"
                await client.send(8, {"guild_id": world.ids["guild"], "nonce": nonce, **request})
                chunk = await client.wait_for(
                    "GUILD_MEMBERS_CHUNK", lambda d, n=nonce: d.get("nonce") == n
                )
                listed = {m["user"]["id"] for m in chunk["d"]["members"]}
                if name == "owner":
                    assert listed >= members, request
                    continue
                # Asked by id, the chunk may give the ids back as not_found; nothing else.
                told = json.dumps({k: v for k, v in chunk["d"].items() if k != "not_found"})
                assert listed == set() and not chunk["d"].get("presences"), chunk
                assert not any(member in told for member in members), chunk
            if name in OUTSIDE:
                assert shown(world, name, seats[name]) == []
