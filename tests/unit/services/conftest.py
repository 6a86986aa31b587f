"""Each test gets its own world: fake storage, a recording bus, a stopped clock."""

from __future__ import annotations

import pytest

from tests.unit.services.world import World


@pytest.fixture
def world() -> World:
    return World()
