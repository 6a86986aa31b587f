"""Error bodies stay small and encodable whatever the request made their field names of."""

from __future__ import annotations

import orjson
import pytest
from quart_trio import QuartTrio

from accord.core.errors import FieldError
from accord.http.errors import (
    MAX_FIELD_CHARS,
    MAX_FIELD_DEPTH,
    MAX_MESSAGE_CHARS,
    MAX_REPORTED_ERRORS,
    error_body,
)


async def _body(*errors: FieldError) -> dict:
    app = QuartTrio(__name__)
    async with app.app_context():
        response = error_body(400, 50035, "VALIDATION_ERROR", "Invalid Form Body", errors)
        return orjson.loads(await response.get_data())


def _depth(tree: dict) -> int:
    """Levels of field names above the ``_errors`` list that ends the deepest path."""
    children = [v for k, v in tree.items() if k != "_errors"]
    return 1 + max((_depth(c) for c in children), default=0) if children else 0


async def test_a_field_of_260_dotted_parts_is_reported_within_the_depth_bound():
    field = ".".join(["a"] * 260)
    body = await _body(FieldError(field, "UNKNOWN_FIELD", "Extra inputs are not permitted"))
    assert _depth(body["errors"]) == MAX_FIELD_DEPTH
    node = body["errors"]
    for _ in range(MAX_FIELD_DEPTH - 1):
        node = node["a"]
    # The tail keeps the rest of the (clipped) name, dots and all.
    (tail,) = (key for key in node if key != "_errors")
    assert tail.startswith("a.a.a") and tail.endswith("…")
    assert node[tail]["_errors"] == [
        {"code": "UNKNOWN_FIELD", "message": "Extra inputs are not permitted"}
    ]


async def test_a_field_within_the_bound_keeps_discords_shape():
    body = await _body(
        FieldError("embeds.0.fields.2.name", "BASE_TYPE_REQUIRED", "This field is required"),
        FieldError("embeds.0.title", "BASE_TYPE_BAD_LENGTH", "Too long"),
    )
    embed = body["errors"]["embeds"]["0"]
    assert embed["fields"]["2"]["name"]["_errors"][0]["code"] == "BASE_TYPE_REQUIRED"
    assert embed["title"]["_errors"][0]["code"] == "BASE_TYPE_BAD_LENGTH"
    assert [d["field"] for d in body["error"]["details"]] == [
        "embeds.0.fields.2.name",
        "embeds.0.title",
    ]


async def test_only_the_first_errors_are_reported():
    errors = [FieldError(f"k{i}", "UNKNOWN_FIELD", "Extra inputs") for i in range(10_000)]
    body = await _body(*errors)
    assert list(body["errors"]) == [f"k{i}" for i in range(MAX_REPORTED_ERRORS)]
    assert len(body["error"]["details"]) == MAX_REPORTED_ERRORS


async def test_long_names_and_messages_are_cut():
    body = await _body(FieldError("x" * 100_000, "UNKNOWN_FIELD", "y" * 100_000))
    (detail,) = body["error"]["details"]
    assert len(detail["field"]) == MAX_FIELD_CHARS and detail["field"].endswith("…")
    assert len(detail["message"]) == MAX_MESSAGE_CHARS and detail["message"].endswith("…")


@pytest.mark.parametrize(
    "fields",
    [
        ("a", "a._errors"),
        ("a._errors", "a"),
        ("_errors", "_errors._errors.b"),
    ],
)
async def test_a_client_key_named_errors_does_not_break_the_tree(fields):
    body = await _body(*(FieldError(f, "STRING_TYPE_INVALID", "NUL") for f in fields))
    assert len(body["error"]["details"]) == 2
    assert all(isinstance(errors, list) for errors in _lists(body["errors"]))


def _lists(tree: dict) -> list:
    found = [tree["_errors"]] if "_errors" in tree else []
    for key, value in tree.items():
        if key != "_errors":
            found += _lists(value)
    return found


async def test_text_that_cannot_be_encoded_is_replaced():
    body = await _body(FieldError("bad\ud800key", "UNKNOWN_FIELD", "lone \udfff surrogate"))
    (detail,) = body["error"]["details"]
    assert detail["field"] == "bad?key" and detail["message"] == "lone ? surrogate"
