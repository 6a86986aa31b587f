"""PostgreSQL repositories (being written)."""

from __future__ import annotations

from accord.adapters.postgres.base import PgRepository


class PgMessageRepository(PgRepository):
    pass


class PgReactionRepository(PgRepository):
    pass
