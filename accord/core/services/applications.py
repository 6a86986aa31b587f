"""Use cases for bot applications: create, read, reset the bot token, add the bot to a guild."""

from __future__ import annotations

import re
import secrets
import unicodedata
from typing import Protocol

from accord.core.clock import Clock
from accord.core.entities import Application, User
from accord.core.errors import NotFound, Resource, ValidationError
from accord.core.ports.bus import EventBus
from accord.core.ports.storage import UserRepository
from accord.core.services.account_kind import require_human
from accord.core.services.application_flags import intents_from_flags
from accord.core.services.application_shapes import application_shape
from accord.core.services.auth import hash_secret, new_bot_token
from accord.core.services.bot_authorization import (
    BotAuthorization,
    BotAuthorizationStorage,
    authorize_bot,
)
from accord.core.shapes import JSON
from accord.core.snowflake import Snowflake, SnowflakeGenerator
from accord.core.validation import USERNAME_MAX, USERNAME_MIN, validate_name, validate_username

# Discord's ceiling for an application's description (the guild one is 300).
APP_DESCRIPTION_MAX = 400
_NOT_USERNAME = re.compile(r"[^A-Za-z0-9_]+")


def bot_username(name: str) -> str:
    """A valid username from an application name: accents dropped, the rest to ``_``."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    username = _NOT_USERNAME.sub("_", ascii_name).strip("_")[:USERNAME_MAX].rstrip("_")
    if len(username) < USERNAME_MIN:
        username = f"{username}_bot".lstrip("_")
    return validate_username(username, "name")


def _description(value: object) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError.single("description", "BASE_TYPE_STRING", "Must be a string.")
    if len(value) > APP_DESCRIPTION_MAX or "\x00" in value:
        raise ValidationError.single(
            "description",
            "BASE_TYPE_BAD_LENGTH",
            f"Must be at most {APP_DESCRIPTION_MAX} characters, without NUL.",
        )
    return value


class ApplicationServiceStorage(BotAuthorizationStorage, Protocol):
    """The repositories ``ApplicationService`` uses: those adding a bot to a guild, and users."""

    @property
    def users(self) -> UserRepository: ...


class ApplicationService:
    def __init__(
        self,
        storage: ApplicationServiceStorage,
        bus: EventBus,
        ids: SnowflakeGenerator,
        clock: Clock,
    ) -> None:
        self._storage = storage
        self._bus = bus
        self._ids = ids
        self._clock = clock

    async def create(
        self, owner: User, name: object, description: object = None, flags: object = None
    ) -> JSON:
        """A new application with its bot user; the bot token is in the answer, and only there."""
        require_human(owner)
        app_name = validate_name(name)
        # As on Discord, the bot user shares its application's id.
        app_id = self._ids.next_id()
        bot = User(
            id=app_id,
            username=bot_username(app_name),
            discriminator=f"{secrets.randbelow(9999) + 1:04d}",
            bot=True,
            approved_intents=intents_from_flags(flags),
        )
        application = Application(
            id=app_id,
            name=app_name,
            owner_id=owner.id,
            bot=bot,
            description=_description(description),
        )
        token = new_bot_token(bot.id)
        created = await self._storage.applications.create_application(
            application, hash_secret(token)
        )
        payload = application_shape(created, owner)
        payload["bot"]["token"] = token
        payload["token"] = token
        return payload

    async def get_current(self, application: Application) -> JSON:
        """The calling bot's own application, read fresh (the caller's copy may be cached)."""
        return await self._shape(await self._known(application.id))

    async def get(self, caller_id: Snowflake, application_id: Snowflake) -> JSON:
        return await self._shape(await self._visible_to(caller_id, application_id))

    async def list_owned(self, owner: User) -> list[JSON]:
        require_human(owner)
        return [
            application_shape(a, owner)
            for a in await self._storage.applications.list_applications(owner.id)
        ]

    async def reset_bot_token(self, owner: User, application_id: Snowflake) -> JSON:
        """A new bot token, shown once; the old one is refused from the moment this returns."""
        require_human(owner)
        application = await self._known(application_id)
        if application.owner_id != owner.id:
            raise NotFound(Resource.APPLICATION)
        token = new_bot_token(application.bot.id)
        if not await self._storage.applications.set_bot_token(application.id, hash_secret(token)):
            raise NotFound(Resource.APPLICATION)
        return {"token": token}

    async def authorize(self, caller: User, request: BotAuthorization) -> JSON:
        """OAuth2's bot flow: add the application's bot to a guild the caller manages."""
        return await authorize_bot(
            self._storage, self._bus, self._ids, self._clock, caller, request
        )

    async def _visible_to(self, caller_id: Snowflake, application_id: Snowflake) -> Application:
        """The application if the caller owns it or is its bot; unknown otherwise."""
        application = await self._known(application_id)
        if caller_id not in (application.owner_id, application.bot.id):
            raise NotFound(Resource.APPLICATION)
        return application

    async def _known(self, application_id: Snowflake) -> Application:
        application = await self._storage.applications.get_application(application_id)
        if application is None:
            raise NotFound(Resource.APPLICATION)
        return application

    async def _shape(self, application: Application) -> JSON:
        owner = await self._storage.users.get_user(application.owner_id)
        if owner is None:  # owners cascade-delete their applications
            raise NotFound(Resource.APPLICATION)
        return application_shape(application, owner)
