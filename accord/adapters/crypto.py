"""Argon2id password hashing off the event loop, and JWT access tokens."""

from __future__ import annotations

import jwt
import trio
from argon2 import PasswordHasher as Argon2Hasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from accord.core.errors import InvalidToken, ValidationError
from accord.core.ports.credentials import AccessClaims
from accord.core.snowflake import parse_snowflake

# Hashing costs ~50 ms of CPU by design. Running it in worker threads keeps the
# event loop serving; the limiter caps how many run at once so a login burst
# queues instead of spawning a thread per request.
HASH_CONCURRENCY = 4


class Argon2PasswordHasher:
    def __init__(self, concurrency: int = HASH_CONCURRENCY) -> None:
        self._hasher = Argon2Hasher()  # argon2id with the library's current defaults
        self._limiter = trio.CapacityLimiter(concurrency)

    async def hash(self, password: str) -> str:
        return await trio.to_thread.run_sync(self._hasher.hash, password, limiter=self._limiter)

    async def verify(self, password_hash: str, password: str) -> bool:
        return await trio.to_thread.run_sync(
            self._verify_sync, password_hash, password, limiter=self._limiter
        )

    def _verify_sync(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False


# Short-lived: an access token cannot be recalled once issued, so its lifetime
# bounds how long a stolen one is useful. Refresh tokens carry the session.
ACCESS_TOKEN_TTL_S = 15 * 60
_ALGORITHM = "HS256"  # pinned: the verifier accepts this and nothing else


class JwtAccessTokens:
    def __init__(self, secret: bytes, ttl: int = ACCESS_TOKEN_TTL_S) -> None:
        if len(secret) < 32:
            raise ValueError("the JWT secret must be at least 32 bytes")
        self._secret = secret
        self._ttl = ttl

    def issue(self, user_id: int, session_id: int, now: int) -> tuple[str, int]:
        claims = {"sub": str(user_id), "sid": str(session_id), "iat": now, "exp": now + self._ttl}
        return jwt.encode(claims, self._secret, algorithm=_ALGORITHM), self._ttl

    def verify(self, token: str, now: int) -> AccessClaims:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[_ALGORITHM],
                options={"require": ["exp", "iat", "sub", "sid"], "verify_exp": False},
            )
        except jwt.PyJWTError:
            raise InvalidToken() from None
        expires_at = claims["exp"]
        # Expiry is checked against the injected clock, not the library's own.
        if not isinstance(expires_at, int) or expires_at <= now:
            raise InvalidToken("Access token expired")
        try:
            return AccessClaims(
                parse_snowflake(claims["sub"]), parse_snowflake(claims["sid"]), expires_at
            )
        except ValidationError:
            raise InvalidToken() from None
