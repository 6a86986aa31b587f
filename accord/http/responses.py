"""JSON responses as Discord clients expect them."""

from __future__ import annotations

from typing import Any

import orjson
from quart import Response

# discord.py rejects any parameter after the media type (such as "; charset=utf-8").
JSON_CONTENT_TYPE = "application/json"


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps(body),
        status=status,
        headers=headers,
        content_type=JSON_CONTENT_TYPE,
    )


def no_content() -> Response:
    """A 204. The body is given as bytes: Quart turns a missing body into an iterable
    that it drains on asyncio's executor, which does not exist under Trio."""
    return Response(b"", status=204)
