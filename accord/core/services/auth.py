"""Accounts and sessions: register, log in, rotate refresh tokens, log out, authenticate,
change a password.

A login opens a session: a family of refresh tokens that rotate on every use.
Access tokens are short-lived JWTs naming their session; a logged-out (or
compromised, see ``refresh``) session's access tokens stop working too.

Every way a session ends (logout, a refresh replay, a password change, an
account deletion, a bot token reset) is announced to every process
(`CacheInvalidations`): caches forget it and the gateways close the
connections it opened (see ``accord.gateway.hub``). Each process acts on an
announcement once: the one that announces it at once, the others when they
hear it (`follow_other_processes`); then this process's own followers (its
gateway) hear it through `applied`, after its caches have forgotten it.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Protocol

from accord.core.clock import Clock, utc_from_ms
from accord.core.entities import Account, Application, RefreshToken, User
from accord.core.errors import (
    BotsForbidden,
    Conflict,
    FieldError,
    InvalidCredentials,
    InvalidToken,
    ValidationError,
)
from accord.core.password_policy import check_new_password, email_name
from accord.core.ports.credentials import AccessTokenSigner, PasswordHasher
from accord.core.ports.invalidations import CacheInvalidations, Kind
from accord.core.ports.storage import (
    ApplicationRepository,
    RotateOutcome,
    TokenRepository,
    UserRepository,
)
from accord.core.services.auth_caches import ExpiringCache
from accord.core.snowflake import Snowflake, SnowflakeGenerator
from accord.core.validation import validate_email, validate_password, validate_username

REFRESH_TOKEN_TTL = timedelta(days=30)
# How long a "this session is live" answer is trusted before asking storage
# again. Logout in this process takes effect at once; the TTL bounds how long
# another process may still accept the session's access tokens.
SESSION_CACHE_TTL_S = 30.0
SESSION_CACHE_MAX = 50_000
BOT_CACHE_MAX = 10_000
# Verified access tokens, so a request costs a dict lookup rather than a JWT
# check and a user read. An entry is only used while its session is still
# trusted (see _session_live), so logout ends it at once in this process.
PRINCIPAL_CACHE_TTL_S = 10.0
PRINCIPAL_CACHE_MAX = 50_000
# Credentials storage refused (an unknown bot token, an ended login), by
# digest, so a header sent again and again costs one read per TTL rather
# than one per request: the rate limits learn who is calling only after this.
# Only refusals that never turn into acceptance are kept (see _refuse).
# At the bound the oldest refusal makes room.
REFUSAL_CACHE_TTL_S = 5.0
REFUSAL_CACHE_MAX = 10_000


@dataclass(frozen=True, slots=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "Bearer"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a human with a session, or a bot."""

    user: User
    session_id: Snowflake | None = None
    application: Application | None = None

    @property
    def login(self) -> Snowflake:
        """What the caller authenticated with: its login session, or a bot's application."""
        if self.session_id is not None:
            return self.session_id
        assert self.application is not None  # a principal is one or the other
        return self.application.id


@dataclass(frozen=True, slots=True)
class NewPassword:
    """A password change checked and hashed, not yet stored (see `AuthService.set_password`)."""

    user_id: Snowflake
    password_hash: str


def hash_secret(token: str) -> bytes:
    """Tokens are stored as SHA-256 digests; a database leak reveals no usable token."""
    return hashlib.sha256(token.encode()).digest()


def new_bot_token(bot_user_id: int) -> str:
    """Discord's shape: base64 of the bot's id, a dot, then random bytes."""
    prefix = base64.urlsafe_b64encode(str(bot_user_id).encode()).decode().rstrip("=")
    return f"{prefix}.{secrets.token_urlsafe(32)}"


# What new_bot_token makes: an id of up to 20 digits in unpadded URL-safe
# base64 (up to 27 characters), a dot, and 32 random bytes likewise (43).
_BOT_TOKEN_SHAPE = re.compile(r"([A-Za-z0-9_-]{2,27})\.[A-Za-z0-9_-]{43}")


def bot_token_shaped(token: str) -> bool:
    """Whether `token` could be one new_bot_token made; no other is looked up in storage."""
    shaped = _BOT_TOKEN_SHAPE.fullmatch(token)
    if shaped is None:
        return False
    prefix = shaped.group(1).encode()
    try:
        bot_id = base64.urlsafe_b64decode(prefix + b"=" * (-len(prefix) % 4))
    except ValueError:  # a length no base64 has
        return False
    # Encoding the digits again must give the prefix back: one spelling per id.
    canonical = base64.urlsafe_b64encode(bot_id).rstrip(b"=") == prefix
    return canonical and bot_id.isdigit() and not bot_id.startswith(b"0")


class AuthServiceStorage(Protocol):
    """The repositories ``AuthService`` uses."""

    @property
    def applications(self) -> ApplicationRepository: ...
    @property
    def tokens(self) -> TokenRepository: ...
    @property
    def users(self) -> UserRepository: ...


class AuthService:
    def __init__(
        self,
        storage: AuthServiceStorage,
        hasher: PasswordHasher,
        signer: AccessTokenSigner,
        ids: SnowflakeGenerator,
        clock: Clock,
        invalidations: CacheInvalidations | None = None,
        applied: CacheInvalidations | None = None,
    ) -> None:
        """`invalidations`: where processes announce what ended or changed; `applied`: where
        this process's own followers hear each announcement once its caches acted on it."""
        self._storage = storage
        self._invalidations = invalidations
        self._applied = applied
        self._hasher = hasher
        self._signer = signer
        self._ids = ids
        self._clock = clock
        # Each cache is grouped by what an announcement names, so forgetting
        # a login, a user or an application costs its entries, not a scan.
        # Live sessions: session id -> its user (ending all of a user's
        # logins forgets theirs).
        self._live_sessions: ExpiringCache[Snowflake, Snowflake] = ExpiringCache(
            SESSION_CACHE_MAX, user=_itself
        )
        self._bots: ExpiringCache[bytes, Application] = ExpiringCache(
            BOT_CACHE_MAX, application=_application_id
        )
        self._principals: ExpiringCache[str, Principal] = ExpiringCache(
            PRINCIPAL_CACHE_MAX, session=_session_id, user=_user_id
        )
        # Digest of a credential storage refused -> the refusal's message.
        self._refusals: ExpiringCache[bytes, str | None] = ExpiringCache(REFUSAL_CACHE_MAX)
        # Counts apply() calls. An answer read from storage is cached only if
        # nothing was forgotten while it was read: a read begun before a
        # logout and answered after it must not put the login back.
        self._forgotten = 0
        # Verifying against this when the email is unknown makes both failures
        # cost the same, so timing does not reveal which accounts exist.
        self._decoy_hash: str | None = None

    async def register(self, username: object, email: object, password: object) -> Tokens:
        errors: list[FieldError] = []
        for check, value in (
            (validate_username, username),
            (validate_email, email),
            (partial(check_new_password, names=(username, email_name(email))), password),
        ):
            try:
                check(value)
            except ValidationError as exc:
                errors.extend(exc.errors)
        if errors:
            raise ValidationError(errors)
        password_hash = await self._hasher.hash(validate_password(password))
        user = User(id=self._ids.next_id(), username=validate_username(username))
        try:
            account = await self._storage.users.create_account(
                user, validate_email(email), password_hash
            )
        except Conflict as exc:
            field = "email" if "EMAIL" in exc.code else "username"
            raise ValidationError.single(field, exc.code, exc.message) from None
        return await self._open_session(account.user.id)

    async def login(self, email: object, password: object) -> Tokens:
        if not isinstance(email, str) or not isinstance(password, str):
            raise InvalidCredentials()
        try:
            address = validate_email(email)
        except ValidationError:
            raise InvalidCredentials() from None
        account = await self._storage.users.get_account_by_email(address)
        if account is None or account.user.bot:
            await self._hasher.verify(await self._decoy(), password)
            raise InvalidCredentials()
        if not await self._hasher.verify(account.password_hash, password):
            raise InvalidCredentials()
        return await self._open_session(account.user.id, checked_hash=account.password_hash)

    async def refresh(self, refresh_token: object) -> Tokens:
        """Swap a refresh token for a new pair; replaying an old one ends the session."""
        if not isinstance(refresh_token, str) or not refresh_token:
            raise InvalidToken("Invalid refresh token")
        now = self._clock.now_ms()
        replacement_secret = secrets.token_urlsafe(32)
        replacement = RefreshToken(
            id=self._ids.next_id(),
            user_id=Snowflake(0),  # the repository takes user and family from the old token
            family_id=Snowflake(0),
            token_hash=hash_secret(replacement_secret),
            expires_at=utc_from_ms(now) + REFRESH_TOKEN_TTL,
        )
        result = await self._storage.tokens.rotate_refresh_token(
            hash_secret(refresh_token), replacement, utc_from_ms(now)
        )
        if result.outcome is not RotateOutcome.ROTATED:
            if result.family_id is not None:
                await self._session_ended(result.family_id)
            raise InvalidToken("Invalid refresh token")
        if result.user_id is None or result.family_id is None:
            raise InvalidToken("Invalid refresh token")
        access, expires_in = self._signer.issue(result.user_id, result.family_id, now // 1000)
        return Tokens(access, replacement_secret, expires_in)

    async def logout(self, principal: Principal) -> None:
        if principal.session_id is not None:
            await self._storage.tokens.revoke_family(principal.session_id)
            await self._session_ended(principal.session_id)

    async def verify_password(self, principal: Principal, password: object) -> Account:
        """The caller's account if ``password`` is its password (400 on ``password`` if not)."""
        if principal.user.bot:
            raise BotsForbidden()
        if password is None:
            raise ValidationError.single("password", "BASE_TYPE_REQUIRED", "This field is required")
        if not isinstance(password, str):
            raise ValidationError.single("password", "BASE_TYPE_STRING", "Must be a string.")
        account = await self._storage.users.get_account(principal.user.id)
        if account is None:
            raise InvalidToken()  # deleted since the token was issued
        if not await self._hasher.verify(account.password_hash, password):
            raise ValidationError.single(
                "password", "PASSWORD_DOES_NOT_MATCH", "Password does not match."
            )
        return account

    async def new_password(
        self,
        principal: Principal,
        password: object,
        new_password: object,
        also_named: object = None,
    ) -> NewPassword:
        """Check the current password and the new one against the policy, and hash it.

        ``also_named``: a username the account is about to take, which the new
        password may not contain either.
        """
        account = await self.verify_password(principal, password)
        names = (account.user.username, also_named, email_name(account.email))
        checked = check_new_password(new_password, names=names, field="new_password")
        return NewPassword(account.user.id, await self._hasher.hash(checked))

    async def set_password(self, change: NewPassword) -> Tokens:
        """Store a new password: every login of the user ends; the new one is returned.

        Discord answers a password change with a new token; here it is a new
        login (access and refresh token), and the caller's old one ends too.
        """
        await self._storage.users.set_password_hash(change.user_id, change.password_hash)
        await self._storage.tokens.revoke_user_logins(change.user_id)
        await self.logins_ended(change.user_id)
        return await self._open_session(change.user_id)

    async def logins_ended(self, user_id: Snowflake) -> None:
        """Every login of the user was revoked in storage: every process lets go of them."""
        await self._announce("logins", user_id)

    async def _session_ended(self, session_id: Snowflake) -> None:
        await self._announce("session", session_id)

    @property
    def invalidations(self) -> CacheInvalidations | None:
        """Where this and other processes announce what ended or changed (None: nowhere)."""
        return self._invalidations

    @property
    def applied(self) -> CacheInvalidations | None:
        """Every announcement, this process's and others', once this process's caches have
        forgotten what it names: what the gateway follows to close connections (None: nobody).
        """
        return self._applied

    async def _announce(self, kind: Kind, key: int) -> None:
        """Act on `kind` `key` here at once, then tell this process's followers and the others.

        Acting first keeps the promise that an ending is honoured at once:
        the request that ended a login answers after its caches forgot it.
        """
        self.apply(kind, key)
        if self._applied is not None:
            await self._applied.announce(kind, key)
        if self._invalidations is not None:
            await self._invalidations.announce(kind, key)

    async def follow_other_processes(self) -> None:
        """Act on what other processes announce, until cancelled, each announcement once.

        This process's own announcements are left out: it acted on them as it
        announced them (`_announce`).
        """
        if self._invalidations is None:
            return
        async with self._invalidations.listen(others_only=True) as announced:
            async for kind, key in announced:
                self.apply(kind, key)
                if self._applied is not None:
                    await self._applied.announce(kind, key)

    def apply(self, kind: Kind, key: int) -> None:
        """Forget what is cached about `kind` `key`; costs the entries forgotten, not a scan.

        Refusals are kept: no announcement makes a refused credential valid
        (a new login or bot token is a new credential, see _refuse).
        """
        self._forgotten += 1
        if kind == "session":
            self._live_sessions.forget(Snowflake(key))
            self._principals.forget_group("session", key)
        elif kind in ("application", "bot_token"):
            self._bots.forget_group("application", key)
        else:  # "user" (a profile) or "logins" (every session of the user)
            if kind == "logins":
                self._live_sessions.forget_group("user", key)
            self._principals.forget_group("user", key)

    async def authenticate(self, authorization: str | None) -> Principal:
        """The caller named by an ``Authorization`` header: ``Bearer <jwt>`` or ``Bot <token>``."""
        scheme, _, credential = (authorization or "").strip().partition(" ")
        credential = credential.strip()
        if not credential:
            raise InvalidToken("401: Unauthorized")
        if scheme.lower() == "bot":
            application = await self._bot(credential)
            return Principal(application.bot, application=application)
        if scheme.lower() != "bearer":
            raise InvalidToken("401: Unauthorized")
        now = self._clock.monotonic()
        cached = self._principals.entries.get(credential)
        if cached is not None and cached[1] > now:
            principal = cached[0]
            live = self._live_sessions.entries.get(principal.session_id or Snowflake(0))
            if live is not None and live[1] > now:
                return principal
        digest = hash_secret(credential)
        self._refused_before(digest, now)
        claims = self._signer.verify(credential, self._clock.now_ms() // 1000)
        forgotten = self._forgotten
        if not await self._session_live(claims.session_id, claims.user_id):
            raise self._refuse(digest, "Session has ended", now)
        user = await self._storage.users.get_user(claims.user_id)
        if user is None:
            raise self._refuse(digest, None, now)
        principal = Principal(user, session_id=claims.session_id)
        if forgotten != self._forgotten:
            return principal  # see _forgotten: answered, not cached
        # Never past the token's own expiry.
        lifetime = min(PRINCIPAL_CACHE_TTL_S, claims.expires_at - self._clock.now_ms() / 1000)
        self._principals.put(credential, principal, now + lifetime)
        return principal

    def _refused_before(self, digest: bytes, now: float) -> None:
        """InvalidToken again if storage refused this credential a moment ago."""
        refused = self._refusals.entries.get(digest)
        if refused is not None and refused[1] > now:
            raise InvalidToken(refused[0])

    def _refuse(self, digest: bytes, message: str | None, now: float) -> InvalidToken:
        """Remember that storage refused a credential; returns the error to raise.

        Only storage's refusals are kept, the ones that cost a read: an
        unknown bot token, an ended login, a user that does not exist. None
        of them turns into acceptance. A bot token, a login and its access
        tokens are new random strings, told to their owner only once stored,
        so none was refused before it existed; and an ended login, a
        replaced bot token or a missing user stays so. What needs no read (a
        bad shape, signature or expiry) is refused again just as cheaply,
        and kept out so it cannot push out the refusals that save reads.
        """
        self._refusals.put(digest, message, now + REFUSAL_CACHE_TTL_S)
        return InvalidToken(message)

    async def forget_user(self, user_id: Snowflake) -> None:
        """A user's profile changed: every process drops its cached principals of them."""
        await self._announce("user", user_id)

    async def forget_application(self, application_id: Snowflake) -> None:
        """A bot's profile changed: every process drops its cached copies of the bot."""
        await self._announce("application", application_id)

    async def bot_token_replaced(self, application_id: Snowflake) -> None:
        """A bot token was reset: no process accepts the old one, and its connections end."""
        await self._announce("bot_token", application_id)

    async def _open_session(self, user_id: Snowflake, checked_hash: str | None = None) -> Tokens:
        """A new login for the user; ``checked_hash``: the password hash the caller verified.

        A password change (or deletion) ends every login that exists when it
        revokes them; a login verified against the old password but stored
        just after that would escape it. So the hash is read again once the
        login is stored: the change wrote its hash before revoking, so either
        this read sees the new hash (and the login is withdrawn) or the
        revocation sees the login.
        """
        now = self._clock.now_ms()
        family = self._ids.next_id()
        secret = secrets.token_urlsafe(32)
        await self._storage.tokens.create_refresh_token(
            RefreshToken(
                id=family,
                user_id=user_id,
                family_id=family,
                token_hash=hash_secret(secret),
                expires_at=utc_from_ms(now) + REFRESH_TOKEN_TTL,
            )
        )
        if checked_hash is not None:
            account = await self._storage.users.get_account(user_id)
            if account is None or account.password_hash != checked_hash:
                await self._storage.tokens.revoke_family(family)
                raise InvalidCredentials()
        self._live_sessions.put(family, user_id, self._clock.monotonic() + SESSION_CACHE_TTL_S)
        access, expires_in = self._signer.issue(user_id, family, now // 1000)
        return Tokens(access, secret, expires_in)

    async def _session_live(self, session_id: Snowflake, user_id: Snowflake) -> bool:
        now = self._clock.monotonic()
        cached = self._live_sessions.entries.get(session_id)
        if cached is not None and cached[1] > now:
            return True
        forgotten = self._forgotten
        live = await self._storage.tokens.is_family_live(
            session_id, utc_from_ms(self._clock.now_ms())
        )
        if live and forgotten == self._forgotten:
            self._live_sessions.put(session_id, user_id, now + SESSION_CACHE_TTL_S)
        return live

    async def _bot(self, token: str) -> Application:
        digest = hash_secret(token)
        now = self._clock.monotonic()
        cached = self._bots.entries.get(digest)
        if cached is not None and cached[1] > now:
            return cached[0]
        if not bot_token_shaped(token):
            raise InvalidToken()  # never minted: not worth a read
        self._refused_before(digest, now)
        forgotten = self._forgotten
        application = await self._storage.applications.get_bot_by_token(digest)
        if application is None:
            raise self._refuse(digest, None, now)
        if forgotten != self._forgotten:
            return application  # see _forgotten: answered, not cached
        self._bots.put(digest, application, now + SESSION_CACHE_TTL_S)
        return application

    async def _decoy(self) -> str:
        if self._decoy_hash is None:
            self._decoy_hash = await self._hasher.hash(secrets.token_urlsafe(16))
        return self._decoy_hash


# What each cache's entries are grouped by (see AuthService.apply).
def _itself(user_id: Snowflake) -> Snowflake:
    return user_id


def _application_id(application: Application) -> Snowflake:
    return application.id


def _session_id(principal: Principal) -> Snowflake | None:
    return principal.session_id


def _user_id(principal: Principal) -> Snowflake:
    return principal.user.id
