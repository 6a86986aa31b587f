"""REST routes for reactions, typing and search (being written)."""

from __future__ import annotations

from quart import Blueprint

blueprint = Blueprint("reactions", __name__)
