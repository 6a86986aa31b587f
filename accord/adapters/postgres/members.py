"""PostgreSQL repositories (being written)."""

from __future__ import annotations

from accord.adapters.postgres.base import PgRepository


class PgMemberRepository(PgRepository):
    pass


class PgBanRepository(PgRepository):
    pass


class PgInviteRepository(PgRepository):
    pass
