"""JSON field types that take a value only as the JSON type it claims to be.

``read_body`` validates in pydantic's lax mode, in which ``true`` passes as the
integer 1, ``"12"`` as 12 and ``1`` as ``true``. For fields where such a guess
would store something the client did not mean (a colour, a permission set, a
hoist flag) these types refuse it with the error Discord gives a wrong type.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError


def _integer(value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, int):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value


def _boolean(value: object) -> object:
    if not isinstance(value, bool):
        raise PydanticCustomError("bool_type", "Input should be a valid boolean")
    return value


def _snowflake(value: object) -> object:
    # Ids come as strings (Discord's form) or numbers; their digits are checked
    # by the service's parse_snowflake, which names the field in its error.
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise PydanticCustomError("int_parsing", "Value is not a snowflake")
    return value


def _bitfield(value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise PydanticCustomError("int_parsing", "Must be a decimal string or an integer")
    return value


def null_only(reason: str) -> BeforeValidator:
    """For a field Accord accepts only as null, saying why in the error."""

    def check(value: object) -> object:
        if value is not None:
            raise PydanticCustomError("unsupported", reason)
        return value

    return BeforeValidator(check)


ExactInt = Annotated[int, BeforeValidator(_integer)]
ExactBool = Annotated[bool, BeforeValidator(_boolean)]
# A snowflake id: a decimal string or an integer.
SnowflakeId = Annotated[str | int, BeforeValidator(_snowflake)]
# A permission bitfield, in the same two forms.
Bitfield = Annotated[str | int, BeforeValidator(_bitfield)]
