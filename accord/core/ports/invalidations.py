"""The cache-invalidation port: tell every process to forget what it cached about something.

Processes cache who a token belongs to for a few seconds; when a session is
revoked, a bot token reset or a profile changed in one process, the others
must drop their copies at once rather than trust them until they expire.

Some announcements also end credentials (`ENDING`): every gateway connection
that identified with one is closed with 4004, in every process.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from typing import Final, Literal, Protocol, get_args

# What was invalidated, named by the id of:
#   session    a login session (refresh-token family) that ended: logout, refresh replay;
#   logins     a user all of whose login sessions ended: password change, account deletion;
#   bot_token  an application whose bot token was replaced;
#   application an application whose bot's profile changed (cached copies only);
#   user       a user whose profile changed (cached copies only).
Kind = Literal["session", "logins", "bot_token", "application", "user"]
KINDS: Final[frozenset[str]] = frozenset(get_args(Kind))
# Kinds that end a credential, and with it the gateway sessions it opened.
ENDING: Final[frozenset[Kind]] = frozenset({"session", "logins", "bot_token"})


class CacheInvalidations(Protocol):
    async def announce(self, kind: Kind, key: int) -> None:
        """Tell every process (this one included) that `kind` `key` changed."""
        ...

    def listen(
        self, *, others_only: bool = False
    ) -> AbstractAsyncContextManager[AsyncIterator[tuple[Kind, int]]]:
        """Announcements from every process, from now on.

        With `others_only`, those of other processes only: a process that
        announces acts on its announcement itself, and must not twice.
        """
        ...
