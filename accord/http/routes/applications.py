"""REST routes for bot applications, OAuth2 bot authorization, gateway discovery."""

from __future__ import annotations

from quart import Blueprint

blueprint = Blueprint("applications", __name__)
