"""The migration runner against a real PostgreSQL."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import asyncpg
import pytest

from accord.adapters.postgres.migrations import (
    MigrationError,
    apply_migrations,
    default_migrations_dir,
    load_migrations,
    migrate_url,
)

EXPECTED_TABLES = {
    "users",
    "applications",
    "refresh_tokens",
    "guilds",
    "roles",
    "channels",
    "permission_overwrites",
    "channel_recipients",
    "members",
    "member_roles",
    "bans",
    "invites",
    "messages",
    "attachments",
    "reactions",
    "schema_migrations",
}


def _run(coro_fn, *args):
    return asyncio.run(coro_fn(*args))


async def _tables(url: str) -> set[str]:
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return {row["tablename"] for row in rows}
    finally:
        await connection.close()


def test_applies_every_file_in_order_then_nothing(empty_database_url):
    applied = _run(migrate_url, empty_database_url)
    assert applied == [f.name for f in load_migrations(default_migrations_dir())]
    assert applied == sorted(applied)
    assert _run(_tables, empty_database_url) == EXPECTED_TABLES
    assert _run(migrate_url, empty_database_url) == []


def test_concurrent_runs_apply_each_file_once(empty_database_url):
    async def four() -> list[list[str]]:
        return list(await asyncio.gather(*(migrate_url(empty_database_url) for _ in range(4))))

    results = asyncio.run(four())
    names = [name for result in results for name in result]
    assert sorted(names) == [f.name for f in load_migrations(default_migrations_dir())]


def test_refuses_when_an_applied_file_changed(empty_database_url, tmp_path: Path):
    directory = tmp_path / "migrations"
    shutil.copytree(default_migrations_dir(), directory)
    _run(migrate_url, empty_database_url, directory)
    first = sorted(directory.glob("*.sql"))[0]
    first.write_text(first.read_text() + "\n-- edited\n")
    with pytest.raises(MigrationError, match="changed after it was applied"):
        _run(migrate_url, empty_database_url, directory)


def test_failed_file_leaves_nothing_half_applied(empty_database_url, tmp_path: Path):
    directory = tmp_path / "migrations"
    directory.mkdir()
    (directory / "0001_ok.sql").write_text("CREATE TABLE a (x INT);")
    (directory / "0002_bad.sql").write_text("CREATE TABLE b (x INT); SELECT no_such_function();")
    with pytest.raises(asyncpg.PostgresError):
        _run(migrate_url, empty_database_url, directory)
    tables = _run(_tables, empty_database_url)
    assert "a" in tables and "b" not in tables

    async def versions(url: str) -> list[int]:
        connection = await asyncpg.connect(url)
        try:
            return [r[0] for r in await connection.fetch("SELECT version FROM schema_migrations")]
        finally:
            await connection.close()

    assert _run(versions, empty_database_url) == [1]


def test_rejects_badly_named_files(tmp_path: Path):
    (tmp_path / "1_init.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match=r"NNNN_name\.sql"):
        load_migrations(tmp_path)


def test_unique_reaction_holds_for_unicode_emoji(database_url):
    async def check(url: str) -> None:
        connection = await asyncpg.connect(url)
        try:
            await connection.execute(
                "INSERT INTO users (id, username, email, password_hash)"
                " VALUES (1, 'ab', 'a@b.co', 'x');"
                "INSERT INTO guilds (id, name, owner_id) VALUES (10, 'g', 1);"
                "INSERT INTO channels (id, type, guild_id, name) VALUES (20, 0, 10, 'c');"
                "INSERT INTO messages (id, channel_id, guild_id, author_id, content)"
                " VALUES (30, 20, 10, 1, 'hi');"
                "INSERT INTO reactions (message_id, user_id, emoji_name) VALUES (30, 1, '👍');"
            )
            with pytest.raises(asyncpg.UniqueViolationError):
                await connection.execute(
                    "INSERT INTO reactions (message_id, user_id, emoji_name) VALUES (30, 1, '👍')"
                )
        finally:
            await connection.close()

    _run(check, database_url)


def test_apply_migrations_accepts_a_connection(empty_database_url):
    async def run(url: str) -> list[str]:
        connection = await asyncpg.connect(url)
        try:
            return await apply_migrations(connection, default_migrations_dir())
        finally:
            await connection.close()

    assert _run(run, empty_database_url)


def _copy_up_to(directory: Path, version: int) -> None:
    """The shipped migration files numbered ``version`` or lower, copied into ``directory``."""
    directory.mkdir(exist_ok=True)
    for migration in load_migrations(default_migrations_dir()):
        if migration.version <= version:
            (directory / migration.name).write_text(migration.sql, "utf-8")


def test_the_erasure_check_never_scans_messages_under_an_exclusive_lock(
    empty_database_url, tmp_path: Path
):
    """Adding the check takes the exclusive lock only to add it; the scan that validates
    it comes later, in a transaction writers get through (a write in flight does not
    make it wait)."""
    directory = tmp_path / "migrations"

    async def check(url: str) -> None:
        _copy_up_to(directory, 3)
        await migrate_url(url, directory)
        setup = await asyncpg.connect(url)
        writer = await asyncpg.connect(url)
        try:
            await setup.execute(
                "INSERT INTO users (id, username, email, password_hash)"
                " VALUES (1, 'ab', 'a@b.co', 'x');"
                "INSERT INTO guilds (id, name, owner_id) VALUES (10, 'g', 1);"
                "INSERT INTO channels (id, type, guild_id, name) VALUES (20, 0, 10, 'c');"
                "INSERT INTO messages (id, channel_id, guild_id, author_id, content, deleted_at)"
                " VALUES (30, 20, 10, 1, 'secret', now()), (31, 20, 10, 1, 'kept', NULL);"
            )
            _copy_up_to(directory, 4)
            await migrate_url(url, directory)
            erased, validated = await setup.fetchrow(
                "SELECT (SELECT content FROM messages WHERE id = 30),"
                " (SELECT convalidated FROM pg_constraint"
                "  WHERE conname = 'messages_deleted_are_erased')"
            )
            assert erased == ""
            assert validated is False  # added NOT VALID: no scan under its exclusive lock

            # A server writing a message while the remaining files are applied.
            in_flight = writer.transaction()
            await in_flight.start()
            await writer.execute("UPDATE messages SET content = 'edited' WHERE id = 31")
            _copy_up_to(directory, 10_000)
            await setup.execute("SET lock_timeout = '5s'")
            await apply_migrations(setup, directory)
            await in_flight.commit()
            assert await setup.fetchval(
                "SELECT convalidated FROM pg_constraint"
                " WHERE conname = 'messages_deleted_are_erased'"
            )
            with pytest.raises(asyncpg.CheckViolationError):
                await setup.execute("UPDATE messages SET deleted_at = now() WHERE id = 31")
            # 0005's checks on users, added NOT VALID like this one, are validated too.
            assert await setup.fetchval(
                "SELECT bool_and(convalidated) FROM pg_constraint"
                " WHERE conname IN ('users_login_check', 'users_deleted_check')"
            )
        finally:
            await writer.close()
            await setup.close()

    _run(check, empty_database_url)
