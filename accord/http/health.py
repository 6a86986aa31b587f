"""Liveness and readiness: ``/health`` says the process is up, ``/ready`` that it can work."""

from __future__ import annotations

from quart import Blueprint, Response

from accord.http.context import services
from accord.http.responses import json_response

blueprint = Blueprint("health", __name__)


@blueprint.get("/health")
async def health() -> Response:
    return json_response({"status": "ok"})


@blueprint.get("/ready")
async def ready() -> Response:
    if await services().storage.ping():
        return json_response({"status": "ready", "database": "ok"})
    return json_response({"status": "unavailable", "database": "unreachable"}, status=503)
