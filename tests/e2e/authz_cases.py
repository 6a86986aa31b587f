"""The vocabulary of the authorization matrix: a case, what each actor gets, the control.

A ``Case`` is one request (a path and body with ``{placeholders}`` filled
from the world) and, for every actor, what it must answer: a status, a set
of acceptable statuses, ``OK`` (any 2xx, then checked for leaks), or a
``Skip`` saying why that actor is not tried (it may do this, and doing it
would only change the world). Every response of every actor is checked for
secrets that actor may not see. The ``Control`` is the same request made by
someone allowed to make it: it must succeed (or answer what it states), so a
denial in the matrix is the server's decision, not a malformed request.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.e2e.authz_world import ACTORS, World

OK = "ok"
# Refused where the id sits in the body (channel moves): "unknown" (404), "forbidden" (403),
# or a 400 naming the id as unknown, as for an id that does not exist. The row's control,
# the same body from the owner, shows the body itself is well formed.
REFUSED = frozenset({400, 403, 404})


@dataclass(frozen=True)
class Skip:
    reason: str


Expect = int | frozenset[int] | str | Skip
Setup = Callable[[World], dict[str, Any]]
Cleanup = Callable[[World, dict[str, Any]], None]
Undo = Callable[[World, dict[str, Any], httpx.Response], None]
Check = Callable[[World, dict[str, Any]], None]

UNCHANGED: Any = object()  # a Control's body when it sends the case's own


@dataclass(frozen=True)
class Control:
    """The case's request made by ``who``, who may make it; ``status`` is what it gets."""

    who: str = "owner"
    status: Expect = OK
    setup: Setup | None = None  # placeholders for the control alone (a throwaway target)
    body: Any = UNCHANGED
    shows: tuple[str, ...] = ()  # placeholders whose values its response must contain
    undo: Undo | None = None  # put the world back after the control succeeded


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    expect: Mapping[str, Expect]
    label: str = ""
    body: Any = None
    setup: Setup | None = None  # fresh targets, shared by the row's actors
    cleanup: Cleanup | None = None
    check: Check | None = None  # after each try: the target is as it was
    control: Control | None = None
    no_control: str = ""  # why there is no control, when there is none
    public: bool = False  # answers without a token
    reveals: frozenset[str] = frozenset()  # secret labels this route shows by design
    # actor -> a known defect: that actor's try becomes a test of its own, marked
    # xfail(strict=True) with this reason, so it fails once fixed and the mark must go.
    xfail: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        missing = set(ACTORS) - set(self.expect)
        assert not missing, f"{self.id}: no expectation for {sorted(missing)}"
        assert self.control is not None or self.no_control, f"{self.id}: no control, no reason"

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}" + (f" [{self.label}]" if self.label else "")

    @property
    def concrete_path(self) -> str:
        """The path with every placeholder a dummy id: for matching it to its route."""
        return _PLACEHOLDER.sub(
            lambda m: "%F0%9F%91%8D" if m.group(1) == "emoji" else "1", self.path.split("?")[0]
        )


_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def fill(template: Any, ctx: Mapping[str, Any]) -> Any:
    """``template`` with ``{name}`` replaced from ``ctx``; a lone placeholder keeps its type."""
    if isinstance(template, str):
        whole = _PLACEHOLDER.fullmatch(template)
        if whole:
            return ctx[whole.group(1)]
        return _PLACEHOLDER.sub(lambda m: str(ctx[m.group(1)]), template)
    if isinstance(template, list):
        return [fill(item, ctx) for item in template]
    if isinstance(template, dict):
        return {key: fill(value, ctx) for key, value in template.items()}
    return template


def matches(expect: Expect, status: int) -> bool:
    if expect == OK:
        return 200 <= status < 300
    if isinstance(expect, frozenset):
        return status in expect
    return status == expect


# -- expectation shapes ----------------------------------------------------------------


def hidden(**overrides: Expect) -> dict[str, Expect]:
    """A resource in the hidden channel: unknown to all but the viewer, who may read it."""
    return {**{actor: 404 for actor in ACTORS}, "viewer": OK, **overrides}


def hidden_act(**overrides: Expect) -> dict[str, Expect]:
    """An act in the hidden channel that needs more than seeing it: the viewer is refused."""
    return hidden(viewer=403, **overrides)


def members(**overrides: Expect) -> dict[str, Expect]:
    """Any member may; those outside the guild do not learn it exists."""
    base: dict[str, Expect] = {actor: OK for actor in ACTORS}
    return {**base, "outsider": 404, "banned": 404, **overrides}


def guild_permission(manager: Expect, **overrides: Expect) -> dict[str, Expect]:
    """A guild permission that members, the viewer and the bot lack; ``manager`` as given."""
    return members(**{"member": 403, "viewer": 403, "bot": 403, "manager": manager, **overrides})


def anyone(**overrides: Expect) -> dict[str, Expect]:
    return {**{actor: OK for actor in ACTORS}, **overrides}


def everyone_denied(status: Expect = 404, **overrides: Expect) -> dict[str, Expect]:
    return {**{actor: status for actor in ACTORS}, **overrides}
