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
        self.by_user: dict[Snowflake, set[Session]] = {}
        self.by_guild: dict[Snowflake, set[Session]] = {}
        self.by_login: dict[Snowflake, set[Session]] = {}
        self.views: dict[Snowflake, GuildView] = {}

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
        if len(self.by_user.get(session.user.id, ())) >= self._max_per_user:
            raise TooManySessions(f"a user may hold at most {self._max_per_user} sessions")
        self.by_user.setdefault(session.user.id, set()).add(session)
        self._sessions[session.id] = session
        if session.login is not None:
            self.by_login.setdefault(session.login, set()).add(session)

    def set_login(self, session: Session, login: Snowflake) -> None:
        """The registered `session` is now authenticated by `login` (a RESUME's token)."""
        if session.login == login:
            return
        self._drop_login(session)
        session.login = login
        self.by_login.setdefault(login, set()).add(session)

    def _drop_login(self, session: Session) -> None:
        if session.login is None:
            return
        mine = self.by_login.get(session.login)
        if mine is not None:
            mine.discard(session)
            if not mine:
                del self.by_login[session.login]

    def subscribe(self, session: Session, guild_id: Snowflake) -> None:
        session.guild_ids.add(guild_id)
        self.by_guild.setdefault(guild_id, set()).add(session)

    def unsubscribe(self, session: Session, guild_id: Snowflake) -> None:
        session.guild_ids.discard(guild_id)
        session.loading.pop(guild_id, None)
        members = self.by_guild.get(guild_id)
        if members is not None:
            members.discard(session)
            if not members:
                del self.by_guild[guild_id]
                self.views.pop(guild_id, None)

    def detach(self, session: Session) -> None:
        """The connection is gone; the session waits for a RESUME."""
        if session.transport is not None:
            session.transport.abort()
        session.transport = None
        session.detached_at = self._clock()

    def end(self, session: Session) -> None:
        """Forget a session entirely (not resumable)."""
        session.ended = True
        if session.transport is not None:
            session.transport.abort()
            session.transport = None
        for guild_id in list(session.guild_ids):
            self.unsubscribe(session, guild_id)
        self._sessions.pop(session.id, None)
        self._drop_login(session)
        mine = self.by_user.get(session.user.id)
        if mine is not None:
            mine.discard(session)
            if not mine:
                del self.by_user[session.user.id]

    def expired(self) -> list[Session]:
        """Detached sessions whose resume window has ended."""
        deadline = self._clock() - self.resume_window
        return [
            s
            for s in self._sessions.values()
            if s.transport is None and s.detached_at is not None and s.detached_at <= deadline
        ]

    def sessions_of_login(self, login: Snowflake) -> list[Session]:
        return list(self.by_login.get(login, ()))

    def sessions_of(self, user_ids: frozenset[Snowflake]) -> list[Session]:
        found: list[Session] = []
        for user_id in user_ids:
            found.extend(self.by_user.get(user_id, ()))
        return found

    async def wait_reaped(self, on_expired: Callable[[Session], Awaitable[None]]) -> None:
        """Run forever, ending sessions whose window has passed (via `on_expired`)."""
        while True:
            await trio.sleep(min(REAP_INTERVAL_S, self.resume_window))
            for session in self.expired():
                await on_expired(session)
