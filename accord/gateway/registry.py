"""Every session of this gateway process, indexed for fan-out and resume.

Indexes: by session id (RESUME), by user (user-targeted events, presence),
by guild (guild events) and by login (ending the sessions of a login that
ended). A guild's `GuildView` is kept while at least one session is
subscribed to it.

Bounds: at most `max_sessions` sessions in all and `max_per_user` per user
(IDENTIFY past either is refused with 4000 and a reason); a detached session
is forgotten when its resume window ends.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Final

import trio

from accord.core.snowflake import Snowflake
from accord.gateway.guild_view import GuildView
from accord.gateway.session import Session

# A 2-core process holds ~10-20k idle sessions within its memory bar; past
# that a deployment adds gateway processes.
DEFAULT_MAX_SESSIONS: Final = 50_000
# Discord allows 1,000 identifies a day; a user with this many live sessions
# at once is a runaway client, and load tests use many bots instead.
DEFAULT_MAX_PER_USER: Final = 1_000
# How often detached sessions are checked for the end of their window.
REAP_INTERVAL_S: Final = 5.0


class TooManySessions(Exception):
    """The process or the user is at its session bound."""


class SessionRegistry:
    """Every session and its indexes; those and the guild views change only through methods here."""

    def __init__(
        self,
        resume_window: float,
        clock: Callable[[], float],
        *,
        max_sessions: int = DEFAULT_MAX_SESSIONS,
        max_per_user: int = DEFAULT_MAX_PER_USER,
    ) -> None:
        self.resume_window = resume_window
        self._clock = clock
        self._max_sessions = max_sessions
        self._max_per_user = max_per_user
        self._sessions: dict[str, Session] = {}
        # No key maps to an empty set: the last session out removes its key.
        self._by_user: dict[Snowflake, set[Session]] = {}
        self._by_guild: dict[Snowflake, set[Session]] = {}
        self._by_login: dict[Snowflake, set[Session]] = {}
        self._views: dict[Snowflake, GuildView] = {}

    def __len__(self) -> int:
        return len(self._sessions)

    def __iter__(self) -> Iterator[Session]:
        return iter(list(self._sessions.values()))

    def get(self, session_id: str) -> Session | None:
        return self._sessions.get(session_id)

    def add(self, session: Session) -> None:
        """Register a new session; TooManySessions past a bound."""
        if len(self._sessions) >= self._max_sessions:
            raise TooManySessions(f"this gateway holds its maximum of {self._max_sessions}")
        if len(self._by_user.get(session.user.id, ())) >= self._max_per_user:
            raise TooManySessions(f"a user may hold at most {self._max_per_user} sessions")
        self._by_user.setdefault(session.user.id, set()).add(session)
        self._sessions[session.id] = session
        if session.login is not None:
            self._by_login.setdefault(session.login, set()).add(session)

    def set_login(self, session: Session, login: Snowflake) -> None:
        """The registered `session` is now authenticated by `login` (a RESUME's token)."""
        if session.login == login:
            return
        if session.login is not None:
            _discard(self._by_login, session.login, session)
        session.set_login(login)
        self._by_login.setdefault(login, set()).add(session)

    def subscribe(self, session: Session, guild_id: Snowflake, *, loading: bool = False) -> None:
        """`session` receives the guild's events (held until its GUILD_CREATE if `loading`)."""
        session.subscribe(guild_id, loading=loading)
        self._by_guild.setdefault(guild_id, set()).add(session)

    def unsubscribe(self, session: Session, guild_id: Snowflake) -> None:
        """`session` no longer receives the guild's events; the last one out drops its view."""
        session.unsubscribe(guild_id)
        if _discard(self._by_guild, guild_id, session):
            self._views.pop(guild_id, None)

    def subscribers(self, guild_id: Snowflake) -> list[Session]:
        """The sessions subscribed to the guild (a copy: delivering to them may end some)."""
        return list(self._by_guild.get(guild_id, ()))

    def view(self, guild_id: Snowflake) -> GuildView | None:
        """What is known of the guild to decide who may see its events (None: nothing yet)."""
        return self._views.get(guild_id)

    def set_view(self, guild_id: Snowflake, view: GuildView) -> None:
        """The guild's view from now on; kept until its last subscriber leaves."""
        self._views[guild_id] = view

    def drop_view_if_unwatched(self, guild_id: Snowflake) -> None:
        """Forget the guild's view when no session here is subscribed to it.

        Nothing re-reads an unwatched view, so a session subscribing later
        would otherwise be judged by whatever it held then.
        """
        if guild_id not in self._by_guild:
            self._views.pop(guild_id, None)

    def detach(self, session: Session) -> None:
        """The connection is gone; the session waits for a RESUME."""
        session.detach(self._clock())

    def end(self, session: Session) -> None:
        """Forget a session entirely (not resumable)."""
        session.end()
        for guild_id in list(session.guild_ids):
            self.unsubscribe(session, guild_id)
        self._sessions.pop(session.id, None)
        if session.login is not None:
            _discard(self._by_login, session.login, session)
        _discard(self._by_user, session.user.id, session)

    def expired(self) -> list[Session]:
        """Detached sessions whose resume window has ended."""
        deadline = self._clock() - self.resume_window
        return [
            s
            for s in self._sessions.values()
            if s.transport is None and s.detached_at is not None and s.detached_at <= deadline
        ]

    def sessions_of_login(self, login: Snowflake) -> list[Session]:
        return list(self._by_login.get(login, ()))

    def sessions_of_user(self, user_id: Snowflake) -> list[Session]:
        return list(self._by_user.get(user_id, ()))

    def has_sessions(self, user_id: Snowflake) -> bool:
        return user_id in self._by_user

    def sessions_of(self, user_ids: frozenset[Snowflake]) -> list[Session]:
        found: list[Session] = []
        for user_id in user_ids:
            found.extend(self._by_user.get(user_id, ()))
        return found

    async def wait_reaped(self, on_expired: Callable[[Session], Awaitable[None]]) -> None:
        """Run forever, ending sessions whose window has passed (via `on_expired`)."""
        while True:
            await trio.sleep(min(REAP_INTERVAL_S, self.resume_window))
            for session in self.expired():
                await on_expired(session)


def _discard(index: dict[Snowflake, set[Session]], key: Snowflake, session: Session) -> bool:
    """Take `session` out of `index[key]`; True if that left the key with none (it is removed)."""
    sessions = index.get(key)
    if sessions is None:
        return False
    sessions.discard(session)
    if sessions:
        return False
    del index[key]
    return True
