"""Locust scenarios for Accord: a REST user and a gateway user, chosen by tag or class name.

    locust -f loadtest/locustfile.py --host http://127.0.0.1:8080 --headless \
        -u 40 -r 10 -t 60s                    # both users, weighted 3 REST : 1 gateway
    ... --tags rest                           # only the REST user
    ... --tags gateway                        # only the gateway user
    ... RestUser                              # or pick a class by name

`RestUser` registers (and now and then logs in again), creates a guild or
joins one through an invite, then posts, pages history back, edits its own
messages and reacts. `GatewayUser` does the same setup, opens the gateway
that `GET /gateway` advertises, identifies, heartbeats on the interval HELLO
gives, receives, posts, and now and then drops its connection and RESUMEs.

What the gateway user measures appears as Locust requests of type "WS",
beside the HTTP ones in the UI and the CSV files:

- `POST->MESSAGE_CREATE`: from just before a POST (by any user of this
  Locust process) to its MESSAGE_CREATE arriving at a gateway user of this
  process, one sample per delivery. A POST's own MESSAGE_CREATE missing
  after --accord-delivery-timeout seconds is a failure.
- `IDENTIFY->READY`, `RESUME->RESUMED`, `heartbeat->ACK`;
- `sequence`: a failure whenever a dispatch's `s` is not the previous + 1,
  across resumes (a dispatch lost, repeated or out of order).

Guilds are shared within one Locust process: a user joins a guild of this
process through its invite until --accord-guild-size members have, then
creates the next one. Nothing is shared between processes, so the file runs
unchanged in distributed mode (`--master` and several `--worker`); latency is
only measured where a POST and its delivery are in the same process.

Locust runs on gevent (it monkey-patches the standard library on import), so
the gateway client is websocket-client, whose blocking sockets gevent makes
cooperative: one greenlet per connection receives, another heartbeats.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import socket
import time
import uuid
from typing import Any

import gevent
import websocket
from gevent.event import Event
from locust import FastHttpUser, between, events, tag, task
from locust.exception import RescheduleTask
from locust.runners import WorkerRunner

API = "/api/v10"
THUMBS_UP = "%F0%9F%91%8D"
# GUILDS | GUILD_MESSAGES | MESSAGE_CONTENT: what the gateway user listens to.
INTENTS = (1 << 0) | (1 << 9) | (1 << 15)
# A refresh this long before the access token expires, so no request meets a 401.
REFRESH_MARGIN_S = 60.0
# POSTs whose deliveries are still awaited; older ones are forgotten.
SENT_KEEP_S = 60.0

_names = itertools.count()
# nonce -> time.perf_counter() just before its POST, for every POST of this process.
_sent: dict[str, float] = {}
# [code, members who used it]: guilds of this process that still take members.
_invites: list[list[Any]] = []


@events.init_command_line_parser.add_listener
def _options(parser: Any) -> None:
    parser.add_argument(
        "--accord-guild-size",
        type=int,
        default=20,
        include_in_web_ui=True,
        help="members per guild before the next user creates a new one",
    )
    parser.add_argument(
        "--accord-delivery-timeout",
        type=float,
        default=10.0,
        include_in_web_ui=True,
        help="seconds a POST's own MESSAGE_CREATE may take before it counts as lost",
    )


@events.init.add_listener
def _drop_users_without_tasks(environment: Any, runner: Any = None, **_: Any) -> None:
    """`--tags rest` leaves the gateway user no task: take it out rather than fail to spawn it.

    Workers filter their tasks when the master's tags arrive; the master and a
    local runner decide here which user classes are dispatched at all.
    """
    if isinstance(runner, WorkerRunner) or not environment.parsed_options:
        return
    options = environment.parsed_options
    if not (options.tags or options.exclude_tags):
        return
    environment._filter_tasks_by_tags()
    environment.user_classes[:] = [u for u in environment.user_classes if u.tasks]


def _fire(name: str, started: float, exception: Exception | None = None, size: int = 0) -> None:
    events.request.fire(
        request_type="WS",
        name=name,
        response_time=(time.perf_counter() - started) * 1000,
        response_length=size,
        exception=exception,
        context={},
    )


class AccordUser(FastHttpUser):
    """Registers, joins a guild (creating it and its invite when none of this process has room)."""

    abstract = True

    def on_start(self) -> None:
        name = f"lc{os.getpid()}x{next(_names)}x{uuid.uuid4().hex[:6]}"
        self.email = f"{name}@example.com"
        self.password = "locust password"
        reply = self._call(
            "POST",
            "/auth/register",
            "/auth/register",
            {"username": name, "email": self.email, "password": self.password},
            auth=False,
        )
        self._take_tokens(reply)
        self.guild_id, self.channel_id = self._join_or_create()
        self.my_messages: list[str] = []
        self.oldest: str | None = None

    def _take_tokens(self, tokens: dict[str, Any]) -> None:
        self.access_token = tokens["access_token"]
        self.refresh_token = tokens["refresh_token"]
        self.expires_at = time.monotonic() + float(tokens["expires_in"])

    def _headers(self) -> dict[str, str]:
        if time.monotonic() > self.expires_at - REFRESH_MARGIN_S:
            reply = self._call(
                "POST",
                "/auth/refresh",
                "/auth/refresh",
                {"refresh_token": self.refresh_token},
                auth=False,
            )
            self._take_tokens(reply)
        return {"Authorization": f"Bearer {self.access_token}"}

    def _call(
        self, method: str, path: str, name: str, body: Any = None, *, auth: bool = True
    ) -> Any:
        """One request; a status >= 300 is a Locust failure and ends this task's run."""
        headers = self._headers() if auth else {}
        with self.client.request(
            method, API + path, name=name, json=body, headers=headers, catch_response=True
        ) as reply:
            if reply.status_code >= 300:
                reply.failure(f"{reply.status_code}: {(reply.text or '')[:200]}")
                raise RescheduleTask
            reply.success()
            return reply.json() if reply.text else None

    def _join_or_create(self) -> tuple[str, str]:
        size = self.environment.parsed_options.accord_guild_size
        while _invites:
            entry = _invites[0]
            if entry[1] + 1 >= size:
                _invites.pop(0)
            entry[1] += 1
            joined = self._call("POST", f"/invites/{entry[0]}", "/invites/[code]", None)
            return joined["guild"]["id"], joined["channel"]["id"]
        guild = self._call("POST", "/guilds", "/guilds", {"name": "locust guild"})
        channel_id = next(c["id"] for c in guild["channels"] if c["type"] == 0)
        invite = self._call(
            "POST", f"/channels/{channel_id}/invites", "/channels/[id]/invites", {"max_age": 0}
        )
        _invites.append([invite["code"], 1])
        return guild["id"], channel_id

    def post_message(self, content: str, nonce: str | None = None) -> dict[str, Any]:
        nonce = nonce or uuid.uuid4().hex[:25]
        _forget_old_posts()
        _sent[nonce] = time.perf_counter()
        message = self._call(
            "POST",
            f"/channels/{self.channel_id}/messages",
            "/channels/[id]/messages",
            {"content": content, "nonce": nonce},
        )
        self.my_messages = [*self.my_messages[-9:], message["id"]]
        return message


def _forget_old_posts() -> None:
    if len(_sent) < 10_000:
        return
    cutoff = time.perf_counter() - SENT_KEEP_S
    for nonce in [n for n, t in _sent.items() if t < cutoff]:
        del _sent[nonce]


class RestUser(AccordUser):
    """Chat over REST only: post, page history back, edit, react, now and then log in."""

    weight = 3
    wait_time = between(0.5, 2.0)

    @tag("rest")
    @task(6)
    def post(self) -> None:
        self.post_message(f"hello from {self.email} at {time.time():.3f}")

    @tag("rest")
    @task(3)
    def page_history(self) -> None:
        path = f"/channels/{self.channel_id}/messages?limit=50"
        if self.oldest and random.random() < 0.7:
            path += f"&before={self.oldest}"
        page = self._call("GET", path, "/channels/[id]/messages?limit=50[&before]")
        self.oldest = page[-1]["id"] if page else None

    @tag("rest")
    @task(2)
    def edit(self) -> None:
        if not self.my_messages:
            return
        self._call(
            "PATCH",
            f"/channels/{self.channel_id}/messages/{random.choice(self.my_messages)}",
            "/channels/[id]/messages/[id]",
            {"content": f"edited at {time.time():.3f}"},
        )

    @tag("rest")
    @task(2)
    def react(self) -> None:
        if not self.my_messages:
            return
        message_id = random.choice(self.my_messages)
        self._call(
            "PUT",
            f"/channels/{self.channel_id}/messages/{message_id}/reactions/{THUMBS_UP}/@me",
            "/channels/[id]/messages/[id]/reactions/[emoji]/@me",
        )

    @tag("rest")
    @task(1)
    def log_in(self) -> None:
        tokens = self._call(
            "POST",
            "/auth/login",
            "/auth/login",
            {"email": self.email, "password": self.password},
            auth=False,
        )
        self._take_tokens(tokens)


class GatewayUser(AccordUser):
    """Holds a gateway session: identify, heartbeat, receive, post, drop and RESUME."""

    weight = 1
    wait_time = between(1.0, 3.0)

    def on_start(self) -> None:
        super().on_start()
        self.gateway_url = self._call("GET", "/gateway", "/gateway", auth=False)["url"]
        self.session_id: str | None = None
        self.resume_url = self.gateway_url
        self.seq = 0
        self.ws: websocket.WebSocket | None = None
        self.readers: list[gevent.Greenlet] = []
        self.awaited: dict[str, Event] = {}  # nonce of this user's POST -> its delivery
        self._beat_sent: float | None = None  # when the unanswered heartbeat went out
        self._connect(resume=False)

    def on_stop(self) -> None:
        self._drop(close_code=1000)

    # -- the connection --------------------------------------------------

    def _connect(self, *, resume: bool) -> None:
        """Open a connection and IDENTIFY or RESUME; reports the time to READY or RESUMED."""
        url = (self.resume_url if resume else self.gateway_url).rstrip("/")
        ws = websocket.create_connection(
            f"{url}/?v=10&encoding=json", timeout=30, enable_multithread=True
        )
        hello = json.loads(ws.recv())
        interval_s = hello["d"]["heartbeat_interval"] / 1000
        started = time.perf_counter()
        done = Event()
        if resume:
            name = "RESUME->RESUMED"
            payload = {"token": self.access_token, "session_id": self.session_id, "seq": self.seq}
            ws.send(json.dumps({"op": 6, "d": payload}))
        else:
            name = "IDENTIFY->READY"
            properties = {"os": "linux", "browser": "locust", "device": "locust"}
            identify = {"token": self.access_token, "intents": INTENTS, "properties": properties}
            ws.send(json.dumps({"op": 2, "d": identify}))
        ws.settimeout(None)
        self.ws = ws
        self.readers = [
            gevent.spawn(self._receive, ws, done),
            gevent.spawn(self._heartbeat, ws, interval_s),
        ]
        if done.wait(30):
            _fire(name, started)
        else:
            _fire(name, started, TimeoutError(f"no {name.split('->')[1]} in 30 s"))
            self._drop(close_code=4000)

    def _drop(self, *, close_code: int | None) -> None:
        """End the connection: a close frame with `close_code`, or (None) a bare TCP abort."""
        ws, self.ws = self.ws, None
        for reader in self.readers:
            reader.kill(block=False)
        self.readers = []
        if ws is None:
            return
        try:
            if close_code is None:
                ws.sock.shutdown(socket.SHUT_RDWR)
            else:
                ws.close(status=close_code, timeout=2)
        except (OSError, websocket.WebSocketException):
            pass
        ws.shutdown()

    def _receive(self, ws: websocket.WebSocket, ready: Event) -> None:
        while True:
            try:
                raw = ws.recv()
            except (OSError, websocket.WebSocketException) as exc:
                if self.ws is ws:  # not a drop of our own
                    _fire("connection", time.perf_counter(), ConnectionError(str(exc)))
                    self.ws = None
                return
            if not raw:
                continue
            payload = json.loads(raw)
            op = payload["op"]
            if op == 0:
                self._dispatch(payload, len(raw), ready)
            elif op == 11:
                if self._beat_sent is not None:
                    _fire("heartbeat->ACK", self._beat_sent)
                    self._beat_sent = None
            elif op == 7:  # the server asks for a RESUME elsewhere
                self.ws = None
                gevent.spawn(self._reconnect)
                return
            elif op == 9:
                _fire("RESUME->RESUMED", time.perf_counter(), ConnectionError("invalid session"))
                self.session_id, self.seq = None, 0
                self.ws = None
                return

    def _dispatch(self, payload: dict[str, Any], size: int, ready: Event) -> None:
        kind, seq = payload["t"], payload["s"]
        if kind == "RESUMED":
            ready.set()
            return
        if seq != self.seq + 1:
            _fire("sequence", time.perf_counter(), ValueError(f"s {seq} after {self.seq}"))
        self.seq = seq
        if kind == "READY":
            self.session_id = payload["d"]["session_id"]
            self.resume_url = payload["d"].get("resume_gateway_url") or self.gateway_url
        elif kind == "GUILD_CREATE" and payload["d"]["id"] == self.guild_id:
            ready.set()
        elif kind == "MESSAGE_CREATE":
            nonce = payload["d"].get("nonce")
            sent = _sent.get(nonce) if isinstance(nonce, str) else None
            if sent is not None:
                _fire("POST->MESSAGE_CREATE", sent, size=size)
                awaited = self.awaited.get(nonce)
                if awaited is not None:
                    awaited.set()

    def _heartbeat(self, ws: websocket.WebSocket, interval_s: float) -> None:
        self._beat_sent = None
        gevent.sleep(interval_s * random.random())
        while True:
            if self._beat_sent is not None:
                _fire(
                    "heartbeat->ACK", self._beat_sent, TimeoutError("no ACK before the next beat")
                )
            self._beat_sent = time.perf_counter()
            try:
                ws.send(json.dumps({"op": 1, "d": self.seq or None}))
            except (OSError, websocket.WebSocketException):
                return
            gevent.sleep(interval_s)

    def _reconnect(self) -> None:
        self._drop(close_code=4000)
        self._connect(resume=self.session_id is not None)

    # -- tasks -----------------------------------------------------------

    @tag("gateway")
    @task(10)
    def post_and_wait(self) -> None:
        """Post, and wait until this session receives the message (counts as lost if not)."""
        if self.ws is None:
            self._reconnect()
        nonce = uuid.uuid4().hex[:25]
        arrived = self.awaited[nonce] = Event()
        try:
            self.post_message(f"gateway user {self.email} at {time.time():.3f}", nonce)
            timeout = self.environment.parsed_options.accord_delivery_timeout
            if not arrived.wait(timeout):
                _fire("POST->MESSAGE_CREATE", _sent[nonce], TimeoutError("not delivered"))
        finally:
            del self.awaited[nonce]

    @tag("gateway")
    @task(1)
    def drop_and_resume(self) -> None:
        """Lose the connection (a TCP abort or a 4000 close, at random) and RESUME it."""
        if self.session_id is None:
            self._drop(close_code=1000)
            self._connect(resume=False)
            return
        self._drop(close_code=random.choice([None, 4000]))
        self._connect(resume=True)
