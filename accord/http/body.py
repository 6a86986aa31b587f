"""Reading JSON request bodies into the pydantic models that also document them."""

from __future__ import annotations

from typing import TypeVar

import orjson
import pydantic
from quart import request
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


async def read_body(model: type[M]) -> M:
    """The request's JSON body as ``model``: 415 if not JSON, 400 if malformed or invalid."""
    limit = request.max_content_length
    # Refuse on the declared length before reading anything; chunked bodies are
    # still cut off by Quart while they stream in.
    if limit is not None and (request.content_length or 0) > limit:
        raise RequestEntityTooLarge()
    if request.mimetype != "application/json":
        raise UnsupportedMediaType()
    raw = await request.get_data(as_text=False)
    try:
        data = orjson.loads(raw or b"{}")
    except orjson.JSONDecodeError:
        raise BadRequest() from None
    try:
        return model.model_validate(data, strict=False)
    except pydantic.ValidationError as exc:
        raise validation_error(exc) from None
