"""Reading JSON request bodies into the pydantic models that also document them."""

from __future__ import annotations

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


def validation_error(error: pydantic.ValidationError) -> ValidationError:
    fields = []
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"]) or "_body"
        fields.append(FieldError(field, _CODES.get(item["type"], "BASE_TYPE_INVALID"), item["msg"]))
    return ValidationError(fields)


def _nul_fields(value: object, path: str = "") -> list[str]:
    """Where a decoded JSON value holds a NUL character, which PostgreSQL text cannot store."""
    if isinstance(value, str):
        return [path or "_body"] if "\x00" in value else []
    if isinstance(value, dict):
        found = [path or "_body"] if any("\x00" in str(k) for k in value) else []
        for key, item in value.items():
            found += _nul_fields(item, f"{path}.{key}" if path else str(key))
        return found
    if isinstance(value, list):
        return [
            f
            for i, item in enumerate(value)
            for f in _nul_fields(item, f"{path}.{i}" if path else str(i))
        ]
    return []


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
    raw = drained if drained is not None else await request.get_data(as_text=False)
    try:
        data = orjson.loads(raw or b"{}")
    except orjson.JSONDecodeError:
        raise BadRequest() from None
    # JSON can only carry NUL escaped, so the tree is walked only when the escape appears.
    if b"\\u0000" in raw:
        nul = _nul_fields(data)
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
