"""REST routes for invites (and channel/guild invite lists) (being written)."""

from __future__ import annotations

from quart import Blueprint

blueprint = Blueprint("invites", __name__)
