"""Request bodies: nesting past the bound is a 400 naming the body; NUL is found at any depth."""

from __future__ import annotations

import pydantic
import pytest
from quart_trio import QuartTrio

from accord.core.errors import ValidationError
from accord.http.body import MAX_BODY_DEPTH, nested_deeper_than, nul_fields, read_body


class Anything(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="allow")


def _lists(depth: int, inner: bytes = b"") -> bytes:
    return b"[" * depth + inner + b"]" * depth


async def _read(raw: bytes) -> Anything:
    app = QuartTrio(__name__)
    headers = {"Content-Type": "application/json"}
    async with app.test_request_context("/", method="POST", data=raw, headers=headers):
        return await read_body(Anything)


@pytest.mark.parametrize(
    ("value", "depth"),
    [
        (1, 0),
        ([], 1),
        ({"a": []}, 2),
        ([1, [2, [3]], {"x": {"y": {}}}], 4),
    ],
)
def test_depth_is_counted_in_containers(value, depth):
    assert not nested_deeper_than(value, depth)
    assert nested_deeper_than(value, depth - 1) is (depth > 0)


def test_depth_of_a_value_past_the_recursion_limit_is_measured():
    value: list = []
    for _ in range(100_000):
        value = [value]
    assert nested_deeper_than(value, MAX_BODY_DEPTH)


@pytest.mark.parametrize("depth", [MAX_BODY_DEPTH + 1, 500, 1000])
async def test_a_body_nested_past_the_bound_is_refused_whole(depth):
    with pytest.raises(ValidationError) as refused:
        await _read(_lists(depth, b'"\\u0000"'))
    (error,) = refused.value.errors
    assert (error.field, error.code) == ("_body", "BASE_TYPE_MAX_DEPTH")
    assert str(MAX_BODY_DEPTH) in error.message


async def test_objects_count_as_levels_too():
    raw = b'{"a":' * (MAX_BODY_DEPTH + 1) + b"1" + b"}" * (MAX_BODY_DEPTH + 1)
    with pytest.raises(ValidationError) as refused:
        await _read(raw)
    assert refused.value.errors[0].code == "BASE_TYPE_MAX_DEPTH"


async def test_a_body_at_the_bound_is_read():
    raw = b'{"a":' + _lists(MAX_BODY_DEPTH - 1) + b"}"
    assert (await _read(raw)).model_extra == {"a": _nest(MAX_BODY_DEPTH - 1)}


def _nest(depth: int) -> list:
    value: list = []
    for _ in range(depth - 1):
        value = [value]
    return value


async def test_many_brackets_inside_strings_are_not_nesting():
    raw = b'{"a": "' + b"[{" * 1000 + b'"}'
    assert (await _read(raw)).model_extra == {"a": "[{" * 1000}


async def test_nul_at_the_deepest_allowed_level_is_named():
    raw = b'{"a":' + _lists(MAX_BODY_DEPTH - 1, b'"x\\u0000"') + b"}"
    with pytest.raises(ValidationError) as refused:
        await _read(raw)
    (error,) = refused.value.errors
    assert error.field == "a" + ".0" * (MAX_BODY_DEPTH - 1)
    assert error.code == "STRING_TYPE_INVALID"


def test_nul_fields_are_in_document_order_and_bounded():
    value = {"k\x00": ["ok", "b\x00"], "c": {"d": "\x00"}, "e": "\x00"}
    assert nul_fields(value) == ["_body", "k\x00.1", "c.d", "e"]
    assert nul_fields(["\x00"] * 1000, limit=3) == ["0", "1", "2"]
    assert nul_fields({"a": "clean", "b": [1, 2.5, None, True]}) == []
