"""PostgreSQL repositories (being written)."""

from __future__ import annotations

from accord.adapters.postgres.base import PgRepository


class PgUserRepository(PgRepository):
    pass


class PgApplicationRepository(PgRepository):
    pass


class PgTokenRepository(PgRepository):
    pass
