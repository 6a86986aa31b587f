"""REST routes for guild members, roles and bans (being written)."""

from __future__ import annotations

from quart import Blueprint

blueprint = Blueprint("members", __name__)
