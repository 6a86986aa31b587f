"""The tokens repository: refresh tokens, rotated in families (one family per login)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Protocol

from accord.core.entities import RefreshToken
from accord.core.snowflake import Snowflake


class RotateOutcome(Enum):
    ROTATED = "rotated"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    REUSED = "reused"  # an already-rotated token: its whole family is now revoked


@dataclass(frozen=True, slots=True)
class RotateResult:
    outcome: RotateOutcome
    user_id: Snowflake | None = None
    family_id: Snowflake | None = None


class TokenRepository(Protocol):
    async def create_refresh_token(self, token: RefreshToken) -> None: ...

    async def rotate_refresh_token(
        self, token_hash: bytes, replacement: RefreshToken, now: datetime
    ) -> RotateResult:
        """Swap a live token for ``replacement`` (same family) atomically.

        Presenting a token that was already rotated or revoked revokes its
        whole family: the sign of a stolen token being replayed.
        """
        ...

    async def revoke_family(self, family_id: Snowflake) -> int:
        """Revoke every token of a login; returns how many were live."""
        ...

    async def revoke_user_logins(self, user_id: Snowflake) -> int:
        """Revoke every token of every login of the user; returns how many were live."""
        ...

    async def is_family_live(self, family_id: Snowflake, now: datetime) -> bool: ...
