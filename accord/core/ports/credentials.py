"""Ports for secrets: password hashing and signed access tokens."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from accord.core.snowflake import Snowflake


class PasswordHasher(Protocol):
    async def hash(self, password: str) -> str:
        """A salted, slow hash; runs off the event loop."""
        ...

    async def verify(self, password_hash: str, password: str) -> bool:
        """Whether ``password`` matches; False (never an exception) for a malformed hash."""
        ...


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: Snowflake
    session_id: Snowflake  # the refresh-token family this access token belongs to
    expires_at: int  # unix seconds


class AccessTokenSigner(Protocol):
    def issue(self, user_id: Snowflake, session_id: Snowflake, now: int) -> tuple[str, int]:
        """A signed token and its lifetime in seconds."""
        ...

    def verify(self, token: str, now: int) -> AccessClaims:
        """The token's claims; InvalidToken if forged, malformed or expired."""
        ...
