"""PostgreSQL repositories (being written)."""

from __future__ import annotations

from accord.adapters.postgres.base import PgRepository


class PgChannelRepository(PgRepository):
    pass


class PgAccessRepository(PgRepository):
    pass
