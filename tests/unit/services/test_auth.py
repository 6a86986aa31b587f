"""AuthService: accounts, logins and their refresh tokens, logouts, and who a request is."""

from __future__ import annotations

import pytest

from accord.adapters.crypto import JwtAccessTokens
from accord.core.entities import Application, User
from accord.core.errors import (
    BotsForbidden,
    InvalidCredentials,
    InvalidToken,
    ValidationError,
)
from accord.core.services.auth import (
    REFRESH_TOKEN_TTL,
    AuthService,
    Tokens,
    hash_secret,
    new_bot_token,
)
from accord.core.snowflake import Snowflake
from tests.unit.fakes import FakePasswordHasher, RecordingInvalidations
from tests.unit.services.world import MEMBER, OWNER, World

PASSWORD = "correct horse"  # the member's, set by `auth`
BOT = User(Snowflake(90), "bot", bot=True)
BOT_APP = Application(Snowflake(90), "bot app", OWNER.id, BOT)
BOT_TOKEN, OLD_BOT_TOKEN, NEW_BOT_TOKEN = (new_bot_token(BOT.id) for _ in range(3))


class Auth:
    """An AuthService over the world's storage, with what it announced."""

    def __init__(self, world: World, hasher: FakePasswordHasher | None = None) -> None:
        self.world = world
        self.hasher = hasher or FakePasswordHasher()
        self.invalidations = RecordingInvalidations()
        self.service = AuthService(
            world.storage,
            self.hasher,
            JwtAccessTokens(b"k" * 32),
            world.ids,
            world.clock,
            self.invalidations,
        )

    async def whoami(self, tokens: Tokens) -> Snowflake:
        return (await self.service.authenticate(f"Bearer {tokens.access_token}")).user.id


@pytest.fixture
async def auth(world: World) -> Auth:
    await world.storage.users.set_password_hash(MEMBER.id, f"hashed:{PASSWORD}")
    return Auth(world)


async def test_register_opens_a_login_for_the_new_account(auth: Auth) -> None:
    tokens = await auth.service.register("newbie", "newbie@example.com", PASSWORD)
    account = await auth.world.storage.users.get_account_by_email("newbie@example.com")
    assert account is not None and account.password_hash == f"hashed:{PASSWORD}"
    assert await auth.whoami(tokens) == account.user.id


async def test_register_reports_every_bad_field_together(auth: Auth) -> None:
    with pytest.raises(ValidationError) as refused:
        await auth.service.register("no spaces", "not-an-email", "short")
    assert [e.field for e in refused.value.errors] == ["username", "email", "password"]
    with pytest.raises(ValidationError) as refused:
        await auth.service.register("newbie", "newbie@example.com", "newbie forever")
    assert refused.value.errors[0].code == "PASSWORD_TOO_WEAK"


@pytest.mark.parametrize(
    ("username", "email", "field", "code"),
    [
        ("newbie", "member@example.com", "email", "EMAIL_ALREADY_REGISTERED"),
        ("member", "new@example.com", "username", "USERNAME_ALREADY_TAKEN"),
    ],
)
async def test_register_refuses_a_taken_email_or_username(
    auth: Auth, username: str, email: str, field: str, code: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        await auth.service.register(username, email, PASSWORD)
    assert (refused.value.errors[0].field, refused.value.errors[0].code) == (field, code)


async def test_login_with_the_right_password(auth: Auth) -> None:
    tokens = await auth.service.login("member@example.com", PASSWORD)
    assert await auth.whoami(tokens) == MEMBER.id


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("member@example.com", "wrong password"),
        ("nobody@example.com", PASSWORD),
        ("not an email", PASSWORD),
        (None, PASSWORD),
        ("member@example.com", 12345678),
    ],
)
async def test_login_refusals_all_look_the_same(
    auth: Auth, email: object, password: object
) -> None:
    with pytest.raises(InvalidCredentials):
        await auth.service.login(email, password)


async def test_an_unknown_email_costs_a_password_check_too(auth: Auth) -> None:
    with pytest.raises(InvalidCredentials):
        await auth.service.login("nobody@example.com", PASSWORD)
    assert len(auth.hasher.verified) == 1  # against a decoy hash


async def test_a_login_verified_against_a_password_changed_meanwhile_is_withdrawn(
    auth: Auth,
) -> None:
    storage = auth.world.storage

    class ChangedWhileChecking(FakePasswordHasher):
        async def verify(self, password_hash: str, password: str) -> bool:
            matched = await super().verify(password_hash, password)
            await storage.users.set_password_hash(MEMBER.id, "hashed:new one")
            return matched

    racing = Auth(auth.world, ChangedWhileChecking())
    with pytest.raises(InvalidCredentials):
        await racing.service.login("member@example.com", PASSWORD)
    [token] = storage.tokens.rows.values()
    assert token.revoked


async def test_refresh_rotates_the_token_and_keeps_the_login(auth: Auth) -> None:
    tokens = await auth.service.login("member@example.com", PASSWORD)
    fresh = await auth.service.refresh(tokens.refresh_token)
    assert fresh.refresh_token != tokens.refresh_token
    assert await auth.whoami(fresh) == MEMBER.id
    again = await auth.service.refresh(fresh.refresh_token)
    assert await auth.whoami(again) == MEMBER.id


async def test_replaying_a_used_refresh_token_ends_the_login(auth: Auth) -> None:
    tokens = await auth.service.login("member@example.com", PASSWORD)
    login = (await auth.service.authenticate(f"Bearer {tokens.access_token}")).session_id
    fresh = await auth.service.refresh(tokens.refresh_token)
    with pytest.raises(InvalidToken):
        await auth.service.refresh(tokens.refresh_token)
    assert auth.invalidations.announced == [("session", login)]
    with pytest.raises(InvalidToken):
        await auth.service.refresh(fresh.refresh_token)
    with pytest.raises(InvalidToken):
        await auth.whoami(fresh)


@pytest.mark.parametrize("token", ["", None, "never-issued"])
async def test_refresh_refuses_unknown_tokens(auth: Auth, token: object) -> None:
    with pytest.raises(InvalidToken):
        await auth.service.refresh(token)


async def test_refresh_tokens_expire(auth: Auth) -> None:
    tokens = await auth.service.login("member@example.com", PASSWORD)
    auth.world.clock.advance(int(REFRESH_TOKEN_TTL.total_seconds() * 1000))
    with pytest.raises(InvalidToken):
        await auth.service.refresh(tokens.refresh_token)


async def test_logout_ends_the_login_at_once_and_tells_every_process(auth: Auth) -> None:
    tokens = await auth.service.login("member@example.com", PASSWORD)
    principal = await auth.service.authenticate(f"Bearer {tokens.access_token}")
    await auth.service.logout(principal)
    assert auth.invalidations.announced == [("session", principal.session_id)]
    with pytest.raises(InvalidToken):
        await auth.whoami(tokens)
    with pytest.raises(InvalidToken):
        await auth.service.refresh(tokens.refresh_token)


@pytest.mark.parametrize(
    "header", [None, "", "Bearer", "Bearer not-a-jwt", "Basic abc", "Bot unknown-token"]
)
async def test_authenticate_refuses_what_is_not_a_live_credential(
    auth: Auth, header: str | None
) -> None:
    with pytest.raises(InvalidToken):
        await auth.service.authenticate(header)


async def test_a_bot_authenticates_with_its_token(auth: Auth) -> None:
    await auth.world.storage.applications.create_application(BOT_APP, hash_secret(BOT_TOKEN))
    principal = await auth.service.authenticate(f"Bot {BOT_TOKEN}")
    assert (principal.user, principal.application, principal.login) == (BOT, BOT_APP, BOT_APP.id)


async def test_a_reset_bot_token_is_refused_once_announced(auth: Auth) -> None:
    storage = auth.world.storage
    await storage.applications.create_application(BOT_APP, hash_secret(OLD_BOT_TOKEN))
    await auth.service.authenticate(f"Bot {OLD_BOT_TOKEN}")  # now cached
    await storage.applications.set_bot_token(BOT_APP.id, hash_secret(NEW_BOT_TOKEN))
    await auth.service.bot_token_replaced(BOT_APP.id)
    with pytest.raises(InvalidToken):
        await auth.service.authenticate(f"Bot {OLD_BOT_TOKEN}")
    assert (await auth.service.authenticate(f"Bot {NEW_BOT_TOKEN}")).application == BOT_APP
    assert auth.invalidations.announced == [("bot_token", BOT_APP.id)]


async def test_a_profile_change_is_seen_by_the_next_request(auth: Auth) -> None:
    tokens = await auth.service.login("member@example.com", PASSWORD)
    await auth.whoami(tokens)  # now cached
    await auth.world.storage.users.update_user(User(MEMBER.id, "renamed"))
    await auth.service.forget_user(MEMBER.id)
    principal = await auth.service.authenticate(f"Bearer {tokens.access_token}")
    assert principal.user.username == "renamed"
    assert auth.invalidations.announced == [("user", MEMBER.id)]


async def test_verify_password(auth: Auth) -> None:
    tokens = await auth.service.login("member@example.com", PASSWORD)
    me = await auth.service.authenticate(f"Bearer {tokens.access_token}")
    assert (await auth.service.verify_password(me, PASSWORD)).user.id == MEMBER.id
    for wrong, code in (
        (None, "BASE_TYPE_REQUIRED"),
        (5, "BASE_TYPE_STRING"),
        ("nope", "PASSWORD_DOES_NOT_MATCH"),
    ):
        with pytest.raises(ValidationError) as refused:
            await auth.service.verify_password(me, wrong)
        assert refused.value.errors[0].code == code
    await auth.world.storage.applications.create_application(BOT_APP, hash_secret(BOT_TOKEN))
    bot = await auth.service.authenticate(f"Bot {BOT_TOKEN}")
    with pytest.raises(BotsForbidden):
        await auth.service.verify_password(bot, PASSWORD)


async def test_a_password_change_ends_every_login_and_opens_a_new_one(auth: Auth) -> None:
    first = await auth.service.login("member@example.com", PASSWORD)
    second = await auth.service.login("member@example.com", PASSWORD)
    me = await auth.service.authenticate(f"Bearer {first.access_token}")
    change = await auth.service.new_password(me, PASSWORD, "purple elephant")
    fresh = await auth.service.set_password(change)
    for old in (first, second):
        with pytest.raises(InvalidToken):
            await auth.whoami(old)
    assert await auth.whoami(fresh) == MEMBER.id
    assert ("logins", MEMBER.id) in auth.invalidations.announced
    await auth.service.login("member@example.com", "purple elephant")
    with pytest.raises(InvalidCredentials):
        await auth.service.login("member@example.com", PASSWORD)


async def test_a_new_password_is_checked_against_the_policy_and_the_old_one(auth: Auth) -> None:
    tokens = await auth.service.login("member@example.com", PASSWORD)
    me = await auth.service.authenticate(f"Bearer {tokens.access_token}")
    with pytest.raises(ValidationError) as refused:
        await auth.service.new_password(me, "wrong", "purple elephant")
    assert refused.value.errors[0].field == "password"
    with pytest.raises(ValidationError) as refused:
        await auth.service.new_password(me, PASSWORD, "member rocks")  # contains the username
    assert refused.value.errors[0].field == "new_password"
    with pytest.raises(ValidationError):
        await auth.service.new_password(me, PASSWORD, "my newname", also_named="newname")


async def test_a_bots_profile_change_is_seen_by_its_next_request(auth: Auth) -> None:
    storage = auth.world.storage
    await storage.applications.create_application(BOT_APP, hash_secret(BOT_TOKEN))
    await auth.service.authenticate(f"Bot {BOT_TOKEN}")  # now cached
    storage.applications.rows[BOT_APP.id] = Application(BOT_APP.id, "renamed", OWNER.id, BOT)
    await auth.service.forget_application(BOT_APP.id)
    principal = await auth.service.authenticate(f"Bot {BOT_TOKEN}")
    assert principal.application is not None and principal.application.name == "renamed"
    assert auth.invalidations.announced == [("application", BOT_APP.id)]


async def test_logins_ended_in_storage_stop_working_once_announced(auth: Auth) -> None:
    tokens = await auth.service.login("member@example.com", PASSWORD)
    await auth.whoami(tokens)  # now cached
    await auth.world.storage.tokens.revoke_user_logins(MEMBER.id)  # as an account deletion does
    await auth.service.logins_ended(MEMBER.id)
    with pytest.raises(InvalidToken):
        await auth.whoami(tokens)
    assert auth.invalidations.announced == [("logins", MEMBER.id)]
    assert auth.service.invalidations is auth.invalidations
