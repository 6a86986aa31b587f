"""Who may DM whom, against a real PostgreSQL: the standing storage reads, and sends into DMs."""

from __future__ import annotations

import pytest

from accord.adapters.postgres.storage import PostgresStorage
from accord.core.entities import Channel, ChannelType, User
from accord.core.errors import CannotMessageUser
from accord.core.ports.storage import DeletionOutcome, DmStanding, UserSettings
from accord.core.services.message_compose import Draft
from tests.integration import seed
from tests.integration.seed import new_id
from tests.integration.test_message_send_repo import composer, live_contents


async def open_dm(storage: PostgresStorage, a: User, b: User) -> Channel:
    return await storage.channels.open_dm(
        Channel(id=new_id(), type=ChannelType.DM, recipient_ids=(a.id, b.id))
    )


async def test_standing_reads_a_shared_guild_consent_and_an_existing_dm(storage: PostgresStorage):
    alice, bob, carol = [await seed.user(storage) for _ in range(3)]
    await seed.guild(storage, alice)  # alice's own guild: nobody else in it
    standing = storage.users.dm_standing

    assert await standing(alice.id, bob.id) == DmStanding(False, False, False)
    await seed.member(storage, await seed.guild(storage, carol), bob)
    assert await standing(alice.id, bob.id) == DmStanding(False, False, False)
    await seed.member(storage, await seed.guild(storage, bob), alice)
    assert await standing(alice.id, bob.id) == DmStanding(True, False, False)
    assert await standing(bob.id, alice.id) == DmStanding(True, False, False)

    await storage.users.update_settings(carol.id, UserSettings(allow_dms_from_anyone=True))
    await open_dm(storage, alice, carol)
    assert await standing(alice.id, carol.id) == DmStanding(False, True, True)
    # Consent is the recipient's: carol writing to alice would need alice's.
    assert await standing(carol.id, alice.id) == DmStanding(False, False, True)
    assert not (await standing(carol.id, alice.id)).may_message


async def test_a_deleted_account_cannot_be_messaged(storage: PostgresStorage):
    alice, bob = await seed.user(storage), await seed.user(storage)
    await seed.member(storage, await seed.guild(storage, alice), bob)
    await storage.users.update_settings(bob.id, UserSettings(allow_dms_from_anyone=True))
    dm = await open_dm(storage, alice, bob)

    deleted = await storage.users.delete_account(bob.id, f"Deleted User {bob.id:016x}")
    assert deleted.outcome is DeletionOutcome.DELETED

    assert not (await storage.users.dm_standing(alice.id, bob.id)).may_message
    with pytest.raises(CannotMessageUser):
        await storage.messages.send_message(dm.id, alice.id, composer(Draft("hi"), alice.id))


async def test_settings_default_off_and_round_trip(storage: PostgresStorage):
    alice = await seed.user(storage)
    assert await storage.users.get_settings(alice.id) == UserSettings(allow_dms_from_anyone=False)
    on = UserSettings(allow_dms_from_anyone=True)
    assert await storage.users.update_settings(alice.id, on) == on
    assert await storage.users.get_settings(alice.id) == on
    assert await storage.users.get_settings(new_id()) is None
    assert await storage.users.update_settings(new_id(), on) is None


async def test_a_send_into_a_dm_needs_a_shared_guild_or_the_recipients_consent(
    storage: PostgresStorage,
):
    alice, bob = await seed.user(storage), await seed.user(storage)
    dm = await open_dm(storage, alice, bob)

    for sender in (alice, bob):
        with pytest.raises(CannotMessageUser):
            await storage.messages.send_message(
                dm.id, sender.id, composer(Draft("refused"), sender.id)
            )
    assert await live_contents(storage, dm.id) == []
    assert (await storage.channels.get_channel(dm.id)).last_message_id is None

    await storage.users.update_settings(bob.id, UserSettings(allow_dms_from_anyone=True))
    to_bob = await storage.messages.send_message(dm.id, alice.id, composer(Draft("a"), alice.id))
    with pytest.raises(CannotMessageUser):  # alice has not consented
        await storage.messages.send_message(dm.id, bob.id, composer(Draft("b"), bob.id))

    await seed.member(storage, await seed.guild(storage, alice), bob)
    to_alice = await storage.messages.send_message(dm.id, bob.id, composer(Draft("c"), bob.id))
    assert to_bob is not None and to_alice is not None
    assert await live_contents(storage, dm.id) == ["c", "a"]
