"""Schema migrations: numbered SQL files applied in order, each in its own transaction.

Safe to run from several processes at once (a session-level advisory lock
serializes them) and refuses to continue when a file that was already applied
has changed since, because the database would no longer match the files.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import asyncpg

# Any constant works as long as nothing else in the database uses it; this one
# is "accord" in ASCII, so it is recognisable in pg_locks.
MIGRATION_LOCK_KEY = 0x6163636F7264

_FILE_NAME = re.compile(r"(\d{4})_[a-z0-9_]+\.sql")


class MigrationError(Exception):
    """The migration files and the database disagree; nothing further was applied."""


@dataclass(frozen=True, slots=True)
class MigrationFile:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def default_migrations_dir() -> Path:
    """``migrations/`` at the root of the source tree this package runs from."""
    return Path(__file__).resolve().parents[3] / "migrations"


def load_migrations(directory: Path) -> list[MigrationFile]:
    """Every ``NNNN_name.sql`` in ``directory``, by version; other names are an error."""
    if not directory.is_dir():
        raise MigrationError(f"migrations directory not found: {directory}")
    files: list[MigrationFile] = []
    for path in sorted(directory.iterdir()):
        if path.suffix != ".sql":
            continue
        match = _FILE_NAME.fullmatch(path.name)
        if match is None:
            raise MigrationError(f"migration file name must be NNNN_name.sql: {path.name}")
        files.append(MigrationFile(int(match.group(1)), path.name, path.read_text("utf-8")))
    versions = [f.version for f in files]
    if len(set(versions)) != len(versions):
        raise MigrationError("two migration files share a version number")
    return files


_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    checksum   TEXT NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
)
"""


async def apply_migrations(connection: asyncpg.Connection, directory: Path) -> list[str]:
    """Apply the files not yet applied; returns their names in the order applied."""
    files = load_migrations(directory)
    await connection.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
    try:
        await connection.execute(_CREATE_TABLE)
        rows = await connection.fetch("SELECT version, name, checksum FROM schema_migrations")
        applied = {row["version"]: (row["name"], row["checksum"]) for row in rows}
        _check_applied(files, applied)
        done: list[str] = []
        for migration in files:
            if migration.version in applied:
                continue
            async with connection.transaction():
                await connection.execute(migration.sql)
                await connection.execute(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                    migration.version,
                    migration.name,
                    migration.checksum,
                )
            done.append(migration.name)
        return done
    finally:
        await connection.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_KEY)


def _check_applied(files: list[MigrationFile], applied: dict[int, tuple[str, str]]) -> None:
    by_version = {f.version: f for f in files}
    for version, (name, checksum) in sorted(applied.items()):
        current = by_version.get(version)
        if current is None:
            raise MigrationError(f"applied migration {name} is missing from the files")
        if current.checksum != checksum:
            raise MigrationError(
                f"migration {name} changed after it was applied; "
                "add a new migration instead of editing an applied one"
            )
    pending = [f.version for f in files if f.version not in applied]
    if pending and applied and min(pending) < max(applied):
        raise MigrationError(
            f"migration {min(pending):04d} is older than the newest applied one; renumber it"
        )


async def migrate_url(dsn: str, directory: Path | None = None) -> list[str]:
    """Connect to ``dsn``, apply pending migrations, disconnect."""
    connection = await asyncpg.connect(dsn)
    try:
        return await apply_migrations(connection, directory or default_migrations_dir())
    finally:
        await connection.close()
