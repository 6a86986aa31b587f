"""The web client in a real browser against a real server: two people chat, live.

Each test starts the server as `accord serve` does (REST and gateway, port 0)
and drives the system Chromium through Playwright, one browser context per
person, so each has their own session storage and gateway connection. The
people use the page only as a person would: forms, buttons, the keyboard.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from accord.config import Settings
from tests.e2e.browser import Server, launched_chromium, running_accord
from tests.e2e.conftest import TEST_JWT_SECRET, bearer

pytestmark = pytest.mark.slow

# A bar (docs/quality-bars.md): a message one person sends shows at the other's within a second.
LIVE_MS = 1_000
# Anything else the page does (a dialog, a history page, a reconnect) gets this long.
STEP_MS = 10_000
# A reconnect after a drop waits up to the client's backoff cap (10 s) plus the resume.
RESUME_MS = 20_000
# The watchdog closes a connection silent for 1.5x this, so a page that did not
# heartbeat would lose its connection (and its session id would change) mid-test.
HEARTBEAT_MS = 2_000
PASSWORD = "correct horse"


@pytest.fixture
def browser(database_url: str) -> Iterator[Any]:
    # After the database: Playwright's sync API keeps an asyncio loop running in
    # this thread, and the database fixture's own asyncio.run must not overlap it.
    with launched_chromium() as browser:
        yield browser


def _settings(tmp_path: Path, rate_limit_scale: float = 1.0) -> Settings:
    return Settings(
        api_port=0,
        gateway_port=0,
        data_dir=tmp_path,
        jwt_secret=TEST_JWT_SECRET,
        pool_size=4,
        heartbeat_interval_ms=HEARTBEAT_MS,
        rate_limit_scale=rate_limit_scale,
    )


@pytest.fixture
def server(database_url: str, browser: Any, tmp_path: Path) -> Iterator[Server]:
    """The real rate limits, so a burst of sends meets a real 429."""
    with running_accord(_settings(tmp_path), database_url) as server:
        yield server


def _expect() -> Any:
    from playwright.sync_api import expect

    return expect


def _exact(text: str) -> re.Pattern[str]:
    return re.compile(f"^{re.escape(text)}$")


@dataclass
class Person:
    """One person at one browser window."""

    name: str
    page: Any
    errors: list[str]

    @property
    def email(self) -> str:
        return f"{self.name}@example.com"

    def register(self, url: str) -> None:
        self.page.goto(url)
        self.page.get_by_role("button", name="Register").click()
        form = self.page.locator("#register-form")
        form.get_by_label("Username").fill(self.name)
        form.get_by_label("Email").fill(self.email)
        form.get_by_label("Password").fill(PASSWORD)
        form.get_by_role("button", name="Register").click()
        _expect()(self.page.locator("#my-name")).to_have_text(self.name, timeout=STEP_MS)

    def log_in(self, url: str) -> None:
        self.page.goto(url)
        form = self.page.locator("#login-form")
        form.get_by_label("Email").fill(self.email)
        form.get_by_label("Password").fill(PASSWORD)
        form.get_by_role("button", name="Log in").click()
        _expect()(self.page.locator("#my-name")).to_have_text(self.name, timeout=STEP_MS)

    def send(self, text: str) -> None:
        composer = self.page.get_by_label("Message", exact=True)
        composer.fill(text)
        composer.press("Enter")

    def message(self, text: str) -> Any:
        """The message whose content is exactly ``text``."""
        return self.page.locator("#messages li.message").filter(
            has=self.page.locator(".content", has_text=_exact(text))
        )

    def contents(self) -> list[str]:
        """Every message shown, oldest first."""
        result: list[str] = self.page.locator("#messages li.message .content").all_text_contents()
        return result

    def act(self, text: str, action: str) -> None:
        message = self.message(text)
        message.hover()
        message.locator(".actions").get_by_role("button", name=action, exact=True).click()

    def session_id(self) -> str:
        session: str = self.page.evaluate("() => window.accord.gateway.sessionId")
        return session


def _person(browser: Any, name: str) -> Person:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return Person(f"{name}{uuid.uuid4().hex[:6]}", page, errors)


def _in_one_guild(browser: Any, server: Server, join: str = "open link") -> tuple[Person, Person]:
    """Alice registers, creates a guild and an invite; Bob registers and joins.

    ``join``: "open link" (Bob opens the invite link), "paste link" or "paste code"
    (Bob pastes it into the join dialog).
    """
    expect = _expect()
    alice, bob = _person(browser, "alice"), _person(browser, "bob")
    alice.register(server.url)
    bob.register(server.url)

    alice.page.get_by_role("button", name="Create a guild").click()
    alice.page.get_by_label("Guild name").fill("Book club")
    alice.page.locator("#create-guild-form").get_by_role("button", name="Create").click()
    expect(alice.page.locator("#channel-name")).to_have_text("# general", timeout=STEP_MS)
    expect(alice.page.locator("#guild-name")).to_have_text("Book club")

    alice.page.get_by_role("button", name="Invite").click()
    link = alice.page.get_by_label("Invite link")
    expect(link).to_have_value(re.compile(r"/invite/[A-Za-z0-9_-]+$"), timeout=STEP_MS)
    invite_url = link.input_value()
    alice.page.locator("#invite-form").get_by_role("button", name="Done").click()

    code = invite_url.rsplit("/", 1)[1]
    dialog = bob.page.locator("#join-dialog")
    field = dialog.get_by_label("Invite code or link")
    if join == "open link":
        # The link opens the page with the join dialog filled in.
        bob.page.goto(invite_url)
        expect(dialog).to_be_visible(timeout=STEP_MS)
        expect(field).to_have_value(code)
    else:
        bob.page.get_by_role("button", name="Join a guild").click()
        field.fill(invite_url if join == "paste link" else code)
        field.blur()
    expect(dialog.locator("#invite-preview")).to_contain_text("Book club", timeout=STEP_MS)
    dialog.get_by_role("button", name="Join").click()
    expect(bob.page.locator("#guild-name")).to_have_text("Book club", timeout=STEP_MS)
    expect(bob.page.locator("#channel-name")).to_have_text("# general")
    # The dialog's close event (which puts the address back to "/") is queued
    # after the join, so the guild can show first.
    expect(bob.page).to_have_url(f"{server.url}/", timeout=STEP_MS)

    # Each sees the other in the member list, online.
    for viewer, other in ((alice, bob), (bob, alice)):
        member = viewer.page.locator("#member-list li.member").filter(has_text=other.name)
        expect(member).to_have_attribute("data-status", "online", timeout=STEP_MS)
    return alice, bob


def _live(sender: Person, receiver: Person, text: str) -> float:
    """Send ``text``; how long it took to show at the receiver (fails past a second)."""
    start = time.monotonic()
    sender.send(text)
    _expect()(receiver.message(text)).to_have_count(1, timeout=LIVE_MS)
    return time.monotonic() - start


def test_two_people_chat_live(browser: Any, server: Server) -> None:
    expect = _expect()
    alice, bob = _in_one_guild(browser, server)

    # Typing shows at the other side, and stops when the message arrives. (First:
    # the server passes on one TYPING_START per person and channel per 5 s.)
    bob.page.get_by_label("Message", exact=True).press_sequentially("I am wri")
    typing = alice.page.locator("#typing")
    expect(typing).to_have_text(f"{bob.name} is typing…", timeout=LIVE_MS)
    bob.page.get_by_label("Message", exact=True).press_sequentially("ting")
    bob.page.get_by_label("Message", exact=True).press("Enter")
    expect(alice.message("I am writing")).to_have_count(1, timeout=LIVE_MS)
    expect(typing).to_have_text("")

    _live(alice, bob, "hello bob")
    _live(bob, alice, "hi alice")
    expect(alice.message("hello bob").locator(".author")).to_have_text(alice.name)

    # Text is text: markup in a message is shown as typed and never runs.
    markup = '<img src=x onerror="window.pwned=1"><b>bold</b>'
    _live(alice, bob, markup)
    assert bob.page.locator("#messages img, #messages b").count() == 0
    assert bob.page.evaluate("() => window.pwned") is None

    # An edit shows at the other side.
    alice.act("hello bob", "Edit")
    editor = alice.page.get_by_label("Edit message")
    editor.fill("hello bob, edited")
    editor.press("Enter")
    edited = bob.message("hello bob, edited")
    expect(edited).to_have_count(1, timeout=LIVE_MS)
    expect(edited.locator(".edited")).to_have_text("(edited)")

    # A reaction appears at the other side, and goes away again.
    bob.act("hello bob, edited", "React")
    bob.page.get_by_role("menuitem", name="React with 👍").click()
    chip = alice.message("hello bob, edited").locator(".reaction")
    expect(chip).to_have_text("👍 1", timeout=LIVE_MS)
    expect(chip).to_have_attribute("aria-pressed", "false")
    own_chip = bob.message("hello bob, edited").locator(".reaction")
    expect(own_chip).to_have_attribute("aria-pressed", "true", timeout=LIVE_MS)
    own_chip.click()
    expect(chip).to_have_count(0, timeout=LIVE_MS)

    # A reply quotes what it answers.
    bob.act("hello bob, edited", "Reply")
    expect(bob.page.locator("#reply-bar")).to_contain_text("hello bob, edited")
    _live(bob, alice, "agreed")
    expect(alice.message("agreed").locator(".reply-ref")).to_contain_text(
        f"{alice.name} hello bob, edited"
    )

    # A delete shows at the other side; the reply says its original is gone.
    alice.act("hello bob, edited", "Delete")
    alice.act("hello bob, edited", "Confirm delete")
    expect(bob.message("hello bob, edited")).to_have_count(0, timeout=LIVE_MS)
    expect(bob.message("agreed").locator(".reply-ref")).to_have_text(
        "↱ Original message was deleted", timeout=STEP_MS
    )

    expected = ["I am writing", "hi alice", markup, "agreed"]
    assert alice.contents() == expected
    assert bob.contents() == expected
    assert alice.errors == [] and bob.errors == []


def test_a_dropped_gateway_is_resumed_with_nothing_missing_or_doubled(
    browser: Any, server: Server
) -> None:
    expect = _expect()
    alice, bob = _in_one_guild(browser, server, join="paste code")
    session = alice.session_id()
    assert server.session_ids(alice.page.evaluate("() => window.accord.store.me.id")) == [session]
    _live(bob, alice, "before")

    # Op 7: the server asks the page to reconnect; what is sent meanwhile arrives once.
    assert server.reconnect(session)
    bob.send("during op 7")
    expect(alice.message("during op 7")).to_have_count(1, timeout=STEP_MS)

    # A connection that dies with no close frame, while the page cannot reach the
    # server: a banner says so until the session is resumed with what it missed.
    banner = alice.page.locator("#banner")
    alice.page.context.set_offline(True)
    assert server.abort(session)
    expect(banner).to_have_text("Connection lost. Reconnecting…", timeout=STEP_MS)
    missed = ["missed 1", "missed 2", "missed 3"]
    for text in missed:
        bob.send(text)
        expect(bob.message(text)).to_have_count(1, timeout=STEP_MS)
    assert alice.message("missed 1").count() == 0
    alice.page.context.set_offline(False)
    expect(banner).to_be_hidden(timeout=RESUME_MS)
    expect(alice.message("missed 3")).to_have_count(1, timeout=STEP_MS)
    # Bob's sixth message in a few seconds: it may wait out his rate limit.
    bob.send("after")
    expect(alice.message("after")).to_have_count(1, timeout=STEP_MS)

    expected = ["before", "during op 7", *missed, "after"]
    assert alice.contents() == expected
    assert bob.contents() == expected
    # Resumed, never identified again: the same session all along, kept alive by heartbeats.
    assert alice.session_id() == session
    assert alice.errors == [] and bob.errors == []


def test_a_rate_limited_send_waits_and_is_retried(browser: Any, server: Server) -> None:
    expect = _expect()
    alice, bob = _in_one_guild(browser, server, join="paste link")
    # Accord lets a person send 5 messages per 5 s in a channel; the rest get a 429.
    burst = [f"burst {i}" for i in range(8)]
    for text in burst:
        alice.send(text)
    expect(alice.page.locator("#pending .status").first).to_contain_text(
        "Rate limited", timeout=STEP_MS
    )
    expect(bob.message(burst[-1])).to_have_count(1, timeout=RESUME_MS)
    expect(alice.page.locator("#pending li")).to_have_count(0, timeout=STEP_MS)
    assert alice.contents() == burst
    assert bob.contents() == burst


# -- history, categories and sessions, set up over REST -----------------------------


@pytest.fixture
def fast_server(database_url: str, browser: Any, tmp_path: Path) -> Iterator[Server]:
    """Rate limits scaled up, so the set-up can post a long history at once."""
    with running_accord(_settings(tmp_path, rate_limit_scale=1000.0), database_url) as server:
        yield server


HISTORY = 130  # more than two pages of 50


def _ok(response: httpx.Response) -> Any:
    assert response.status_code < 300, (response.request.url, response.text)
    return response.json() if response.content else None


def test_history_loads_older_pages_on_scroll_and_channels_sit_in_categories(
    browser: Any, fast_server: Server
) -> None:
    expect = _expect()
    alice = _person(browser, "alice")
    with httpx.Client(base_url=f"{fast_server.url}/api/v10", timeout=10) as api:
        tokens = _ok(
            api.post(
                "/auth/register",
                json={"username": alice.name, "email": alice.email, "password": PASSWORD},
            )
        )
        auth = bearer(tokens["access_token"])
        guild = _ok(api.post("/guilds", json={"name": "Archive"}, headers=auth))
        general = next(c for c in guild["channels"] if c["name"] == "general")
        category = _ok(
            api.post(
                f"/guilds/{guild['id']}/channels",
                json={"name": "Reading room", "type": 4},
                headers=auth,
            )
        )
        _ok(
            api.post(
                f"/guilds/{guild['id']}/channels",
                json={"name": "novels", "type": 0, "parent_id": category["id"]},
                headers=auth,
            )
        )
        history = [f"message {i:03}" for i in range(HISTORY)]
        for text in history:
            _ok(
                api.post(
                    f"/channels/{general['id']}/messages", json={"content": text}, headers=auth
                )
            )

    alice.log_in(fast_server.url)
    expect(alice.message(history[-1])).to_have_count(1, timeout=STEP_MS)
    assert len(alice.contents()) < HISTORY
    status = alice.page.locator("#history-status")
    scroller = alice.page.locator("#message-scroller")
    deadline = time.monotonic() + STEP_MS / 1000
    while status.text_content() != "This is the beginning of #general.":
        assert time.monotonic() < deadline, alice.contents()[:3]
        scroller.evaluate("node => { node.scrollTop = 0; }")
        alice.page.wait_for_timeout(100)
    assert alice.contents() == history

    # The category heads its channel; the loose channel comes first.
    reading = alice.page.locator("#channel-list section.category")
    expect(reading.locator("h5")).to_have_text("Reading room")
    expect(reading.get_by_role("button")).to_have_text(["#novels"])
    alice.page.locator("#channel-list").get_by_role("button", name="novels").click()
    expect(alice.page.locator("#channel-name")).to_have_text("# novels")
    expect(status).to_have_text("This is the beginning of #novels.", timeout=STEP_MS)
    assert alice.contents() == []
    assert alice.errors == []


def test_tokens_are_refreshed_before_they_expire_and_a_refused_one_leads_to_login(
    browser: Any, fast_server: Server
) -> None:
    expect = _expect()
    alice = _person(browser, "alice")
    alice.register(fast_server.url)
    alice.page.get_by_role("button", name="Create a guild").click()
    alice.page.get_by_label("Guild name").fill("Solo")
    alice.page.locator("#create-guild-form").get_by_role("button", name="Create").click()
    expect(alice.page.locator("#channel-name")).to_have_text("# general", timeout=STEP_MS)

    # An access token about to expire is traded for a new one in time.
    stored = "() => JSON.parse(sessionStorage.getItem('accord.tokens'))"
    before = alice.page.evaluate(stored)
    alice.page.evaluate(
        "() => { const api = window.accord.api;"
        " api.tokens.expires_at = Date.now() + 61000; api.scheduleRefresh(); }"
    )
    alice.page.wait_for_function(
        "old => JSON.parse(sessionStorage.getItem('accord.tokens')).refresh_token !== old",
        arg=before["refresh_token"],
        timeout=STEP_MS,
    )
    after = alice.page.evaluate(stored)
    assert after["access_token"] != before["access_token"]
    alice.send("still here")
    expect(alice.message("still here")).to_have_count(1, timeout=STEP_MS)

    # A session the server no longer accepts sends the person back to log in.
    alice.page.evaluate(
        "() => sessionStorage.setItem('accord.tokens', JSON.stringify("
        "{access_token: 'a.b.c', refresh_token: 'revoked', expires_at: Date.now() + 600000}))"
    )
    alice.page.reload()
    expect(alice.page.locator("#login-view")).to_be_visible(timeout=STEP_MS)
    expect(alice.page.locator("#login-notice")).to_contain_text("log in again")
    alice.log_in(fast_server.url)
    expect(alice.message("still here")).to_have_count(1, timeout=STEP_MS)
    assert alice.errors == []
