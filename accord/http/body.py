"""Reading JSON request bodies into the pydantic models that also document them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

import orjson
import pydantic
from quart import g, request
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge, UnsupportedMediaType

from accord.core.errors import FieldError, ValidationError

M = TypeVar("M", bound=pydantic.BaseModel)

# pydantic's error types mapped to Discord's per-field codes.
_CODES = {
    "missing": "BASE_TYPE_REQUIRED",
    "string_type": "BASE_TYPE_STRING",
    "int_type": "NUMBER_TYPE_COERCE",
    "int_parsing": "NUMBER_TYPE_COERCE",
    "bool_type": "BASE_TYPE_BOOLEAN",
    "bool_parsing": "BASE_TYPE_BOOLEAN",
    "string_too_short": "BASE_TYPE_BAD_LENGTH",
    "string_too_long": "BASE_TYPE_BAD_LENGTH",
    "too_short": "BASE_TYPE_BAD_LENGTH",
    "too_long": "BASE_TYPE_BAD_LENGTH",
    "greater_than_equal": "NUMBER_TYPE_MIN",
    "less_than_equal": "NUMBER_TYPE_MAX",
    "extra_forbidden": "UNKNOWN_FIELD",
    "list_type": "BASE_TYPE_ARRAY",
    "model_type": "DICT_TYPE_CONVERT",
    "dict_type": "DICT_TYPE_CONVERT",
}


# How deeply a request body may nest objects and arrays. Discord's deepest
# request bodies (a message's components: row, menu, options, emoji) stay
# under ten levels; 32 leaves room for any of them while keeping every walk
# over a body, and every error that names a place in it, far from Python's
# recursion limit and from the 255 levels orjson can encode. A deeper body is
# refused whole with a 400 naming ``_body``; nothing in it is looked at.
MAX_BODY_DEPTH = 32
# NUL characters reported per body: one is enough to fix the request, and the
# error body reports no more than this many errors anyway.
MAX_NUL_FIELDS = 50


def validation_error(error: pydantic.ValidationError) -> ValidationError:
    fields = []
    for item in error.errors(include_url=False, include_context=False, include_input=False):
        field = ".".join(str(part) for part in item["loc"]) or "_body"
        fields.append(FieldError(field, _CODES.get(item["type"], "BASE_TYPE_INVALID"), item["msg"]))
    return ValidationError(fields)


def nested_deeper_than(value: object, limit: int) -> bool:
    """Whether objects and arrays in ``value`` nest more than ``limit`` levels.

    ``[]`` and ``{}`` are one level, ``[[]]`` two, a scalar none. Walked with a
    list for a stack, not recursion, so any value orjson decodes can be measured.
    """
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children: Iterable[object]
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def nul_fields(value: object, limit: int = MAX_NUL_FIELDS) -> list[str]:
    """Where a decoded JSON value holds a NUL character, which PostgreSQL text cannot store.

    At most ``limit`` places, found in document order; walked without recursion.
    """
    found: list[str] = []
    stack: list[tuple[object, str]] = [(value, "")]
    while stack and len(found) < limit:
        item, path = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                found.append(path or "_body")
            continue
        if isinstance(item, dict):
            if any("\x00" in key for key in item):
                found.append(path or "_body")
            children = [(item[key], f"{path}.{key}" if path else key) for key in item]
        elif isinstance(item, list):
            children = [(child, f"{path}.{i}" if path else str(i)) for i, child in enumerate(item)]
        else:
            continue
        stack.extend(reversed(children))  # popped first to last, as the document reads
    return found


async def read_body(model: type[M]) -> M:
    """The request's JSON body as ``model``: 415 if not JSON, 400 if malformed or invalid."""
    limit = request.max_content_length
    # Refuse on the declared length before reading anything; chunked bodies are
    # still cut off by Quart while they stream in.
    if limit is not None and (request.content_length or 0) > limit:
        raise RequestEntityTooLarge()
    if request.mimetype != "application/json":
        raise UnsupportedMediaType()
    drained: bytes | None = g.get("body")
    raw = (
        drained
        if drained is not None
        else await request.get_data(cache=True, as_text=False, parse_form_data=False)
    )
    try:
        data = orjson.loads(raw or b"{}")
    except orjson.JSONDecodeError:
        raise BadRequest() from None
    # Only a body with more opening brackets than the limit can nest past it,
    # so the common small body is never walked.
    if raw.count(b"[") + raw.count(b"{") > MAX_BODY_DEPTH and nested_deeper_than(
        data, MAX_BODY_DEPTH
    ):
        raise ValidationError.single(
            "_body",
            "BASE_TYPE_MAX_DEPTH",
            f"Objects and arrays must not nest more than {MAX_BODY_DEPTH} levels deep.",
        )
    # JSON can only carry NUL escaped, so the tree is walked only when the escape appears.
    if b"\\u0000" in raw:
        nul = nul_fields(data)
        if nul:
            raise ValidationError(
                FieldError(f, "STRING_TYPE_INVALID", "Must not contain NUL characters.")
                for f in nul
            )
    try:
        return model.model_validate(data, strict=False)
    except pydantic.ValidationError as exc:
        raise validation_error(exc) from None


async def reject_nul_in_url() -> None:
    """Before every request: a NUL in the path or query can never name anything we store."""
    if "\x00" in request.path or any("\x00" in k or "\x00" in v for k, v in request.args.items()):
        raise ValidationError.single("_url", "STRING_TYPE_INVALID", "URL contains NUL characters.")


async def drain_body() -> None:
    """Before every request: read the whole body (it is bounded by MAX_CONTENT_LENGTH).

    Hypercorn cannot reuse a keep-alive connection whose request body is still
    arriving when the response is complete (a 401, 405 or automatic OPTIONS
    answered before the body was read): the next request on it never gets an
    answer. Reading first means every response follows the whole request. The
    bytes are kept on ``g``, so routes that parse the body do not wait for it again.
    """
    if request.content_length or "transfer-encoding" in request.headers:
        g.body = await request.get_data(as_text=False)
