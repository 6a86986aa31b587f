"""PostgreSQL repositories (being written)."""

from __future__ import annotations

from accord.adapters.postgres.base import PgRepository


class PgGuildRepository(PgRepository):
    pass


class PgRoleRepository(PgRepository):
    pass
