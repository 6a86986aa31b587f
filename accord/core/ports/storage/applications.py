"""The applications repository: bot applications and their tokens."""

from __future__ import annotations

from typing import Protocol

from accord.core.entities import Application
from accord.core.snowflake import Snowflake


class ApplicationRepository(Protocol):
    async def create_application(self, application: Application, token_hash: bytes) -> Application:
        """Insert the application and its bot user together."""
        ...

    async def get_application(self, application_id: Snowflake) -> Application | None: ...

    async def list_applications(self, owner_id: Snowflake) -> list[Application]: ...

    async def set_bot_token(self, application_id: Snowflake, token_hash: bytes) -> bool:
        """Replace the bot token; the old one stops working at once."""
        ...

    async def get_bot_by_token(self, token_hash: bytes) -> Application | None: ...
