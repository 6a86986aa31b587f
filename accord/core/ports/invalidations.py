"""The cache-invalidation port: tell every process to forget what it cached about something.

Processes cache who a token belongs to for a few seconds; when a session is
revoked, a bot token reset or a profile changed in one process, the others
must drop their copies at once rather than trust them until they expire.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from typing import Literal, Protocol

# What was invalidated, named by the id of: a login session (refresh-token
# family), an application (its bot token), or a user (their profile).
Kind = Literal["session", "application", "user"]


class CacheInvalidations(Protocol):
    async def announce(self, kind: Kind, key: int) -> None:
        """Tell every process (this one included) that `kind` `key` changed."""
        ...

    def listen(self) -> AbstractAsyncContextManager[AsyncIterator[tuple[Kind, int]]]:
        """Announcements from every process, from now on."""
        ...
