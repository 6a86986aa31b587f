from accord.adapters.postgres.storage import PostgresStorage


async def test_ping_answers_on_a_live_database(storage: PostgresStorage):
    assert await storage.ping() is True
