"""The one place where errors become HTTP responses.

Bodies carry both what Discord clients read (``code``, ``message``,
``errors``) and Accord's own ``error`` object (string code, details, request id).
"""

from __future__ import annotations

import itertools
import logging
import secrets
from typing import Any

from quart import Quart, Response, g, request
from werkzeug.exceptions import HTTPException

from accord.core.errors import (
    AuthenticationError,
    Conflict,
    DomainError,
    FieldError,
    LimitReached,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from accord.http.responses import json_response

log = logging.getLogger(__name__)

# Conflicts that Discord answers with something other than 400.
_CONFLICT_STATUS = {"USER_BANNED": 403}


# Request ids are this process's random prefix and a counter: as unique as the
# uuid4 they were, without a getrandom system call per request (around which
# the request thread lets the database thread take the GIL).
_REQUEST_ID_PREFIX = secrets.token_hex(8)
_request_numbers = itertools.count(1)


def request_id() -> str:
    rid: str | None = g.get("request_id")
    if rid is None:
        rid = g.request_id = f"{_REQUEST_ID_PREFIX}{next(_request_numbers):016x}"
    return rid


# Bounds on what an error body echoes of the request. Field names and messages
# can be made of the client's own keys and values (an unknown key is named in
# its UNKNOWN_FIELD error), so without them a crafted body would choose the
# size of the answer, or nest ``errors`` past the 255 levels orjson encodes.
# Errors past MAX_REPORTED_ERRORS are left out (the first ones are enough to
# correct a request); a longer name or message is cut, ending in "…"; a field
# path of more than MAX_FIELD_DEPTH dotted parts keeps its tail, dots and all,
# in its last part. 32 levels is deeper than any body read_body accepts
# (MAX_BODY_DEPTH), so every error about an accepted body is placed exactly.
MAX_REPORTED_ERRORS = 50
MAX_FIELD_DEPTH = 32
MAX_FIELD_CHARS = 256
MAX_MESSAGE_CHARS = 512


def _clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters and made encodable (no lone surrogates)."""
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    if not text.isascii():
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


def reported_errors(errors: tuple[FieldError, ...]) -> tuple[FieldError, ...]:
    """The errors a response names: at most MAX_REPORTED_ERRORS, each clipped."""
    return tuple(
        FieldError(
            _clip(error.field, MAX_FIELD_CHARS),
            _clip(error.code, MAX_FIELD_CHARS),
            _clip(error.message, MAX_MESSAGE_CHARS),
        )
        for error in errors[:MAX_REPORTED_ERRORS]
    )


def _nested_errors(errors: tuple[FieldError, ...]) -> dict[str, Any]:
    """Discord's shape: ``{"field": {"sub": {"_errors": [{"code", "message"}]}}}``.

    At most MAX_FIELD_DEPTH levels deep, whatever the field names.
    """
    tree: dict[str, Any] = {}
    for error in errors:
        node = tree
        for part in error.field.split(".", MAX_FIELD_DEPTH - 1):
            if part == "_errors":
                # A client key of that name would collide with the list of
                # errors; the error is reported at the key's parent instead.
                break
            node = node.setdefault(part, {})
        node.setdefault("_errors", []).append({"code": error.code, "message": error.message})
    return tree


def error_body(
    status: int,
    discord_code: int,
    code: str,
    message: str,
    errors: tuple[FieldError, ...] = (),
) -> Response:
    """An error response in Discord's shape, its size bounded whatever ``errors`` holds."""
    reported = reported_errors(errors)
    message = _clip(message, MAX_MESSAGE_CHARS)
    body: dict[str, Any] = {"code": discord_code, "message": message}
    if reported:
        body["errors"] = _nested_errors(reported)
    body["error"] = {
        "code": code,
        "message": message,
        "details": [{"field": e.field, "code": e.code, "message": e.message} for e in reported],
        "request_id": request_id(),
    }
    return json_response(body, status=status)


def domain_status(error: DomainError) -> int:
    match error:
        case ValidationError():
            return 400
        case AuthenticationError():
            return 401
        case PermissionDenied():
            return 403
        case NotFound():
            return 404
        case Conflict():
            return _CONFLICT_STATUS.get(error.code, 400)
        case LimitReached():
            return 400
    return 500


async def _domain_error(error: DomainError) -> Response:
    errors = error.errors if isinstance(error, ValidationError) else ()
    return error_body(domain_status(error), error.discord_code, error.code, error.message, errors)


# Framework-level failures, in Discord's words where Discord has them.
_HTTP_ERRORS: dict[int, tuple[int, str, str]] = {
    400: (50109, "BAD_REQUEST", "The request body contains invalid JSON."),
    401: (40001, "UNAUTHORIZED", "401: Unauthorized"),
    404: (0, "NOT_FOUND", "404: Not Found"),
    405: (0, "METHOD_NOT_ALLOWED", "405: Method Not Allowed"),
    413: (40005, "PAYLOAD_TOO_LARGE", "Request entity too large"),
    415: (0, "UNSUPPORTED_MEDIA_TYPE", "Request body must be application/json"),
}


async def _http_error(error: HTTPException) -> Response:
    status = error.code or 500
    discord_code, code, message = _HTTP_ERRORS.get(
        status, (0, "HTTP_ERROR", f"{status}: {error.name}")
    )
    response = error_body(status, discord_code, code, message)
    if status == 413:
        # The unread rest of the body would be taken for the next request on
        # this connection, so it ends here.
        response.headers["Connection"] = "close"
    if status == 405 and error.response is None:
        allowed = getattr(error, "valid_methods", None)
        if allowed:
            response.headers["Allow"] = ", ".join(allowed)
    return response


async def _unexpected(error: Exception) -> Response:
    log.exception(
        "unhandled error on %s %s (request %s)", request.method, request.path, request_id()
    )
    return error_body(500, 0, "INTERNAL_ERROR", "500: Internal Server Error")


def install_error_handlers(app: Quart) -> None:
    app.register_error_handler(DomainError, _domain_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)

    @app.after_request
    async def _tag(response: Response) -> Response:
        response.headers["X-Request-Id"] = request_id()
        return response
