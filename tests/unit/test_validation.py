"""Input rules: canonical value on success, one ValidationError naming the field otherwise."""

from __future__ import annotations

import random

import pytest

from accord.core.errors import ValidationError
from accord.core.validation import (
    validate_bool,
    validate_color,
    validate_content,
    validate_description,
    validate_email,
    validate_global_name,
    validate_int,
    validate_name,
    validate_nick,
    validate_nonce,
    validate_password,
    validate_reason,
    validate_topic,
    validate_username,
)

BAD_LENGTH = "BASE_TYPE_BAD_LENGTH"
NOT_STRING = "BASE_TYPE_STRING"
INVALID = "STRING_TYPE_INVALID"


def rejected(validator, value, *args, field=None):
    """Run ``validator`` expecting a refusal; return the single field error."""
    call_args = (value, *args) if field is None else (value, *args, field)
    with pytest.raises(ValidationError) as caught:
        validator(*call_args)
    (error,) = caught.value.errors
    assert error.message
    return error


# -- username --------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["ab", "a" * 32, "User_123", "__", "ABCxyz09"],
    ids=["len-2", "len-32", "mixed", "underscores", "letters-digits"],
)
def test_username_accepts(name):
    assert validate_username(name) == name


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("a", BAD_LENGTH),
        ("", BAD_LENGTH),
        ("a" * 33, BAD_LENGTH),
        ("ab cd", "USERNAME_INVALID_CHARACTERS"),
        (" ab", "USERNAME_INVALID_CHARACTERS"),
        ("ab-cd", "USERNAME_INVALID_CHARACTERS"),
        ("ab.cd", "USERNAME_INVALID_CHARACTERS"),
        ("jos\u00e9", "USERNAME_INVALID_CHARACTERS"),
        ("\u0430\u0431\u0432", "USERNAME_INVALID_CHARACTERS"),  # Cyrillic letters
        ("\u0661\u0662", "USERNAME_INVALID_CHARACTERS"),  # Arabic-Indic digits
        ("ab\n", "USERNAME_INVALID_CHARACTERS"),
        ("ab\x00", "USERNAME_INVALID_CHARACTERS"),
        (None, NOT_STRING),
        (12345, NOT_STRING),
        (["ab"], NOT_STRING),
        (b"abc", NOT_STRING),
    ],
    ids=[
        "len-1",
        "empty",
        "len-33",
        "space",
        "leading-space",
        "hyphen",
        "dot",
        "accent",
        "cyrillic",
        "arabic-digits",
        "newline",
        "nul",
        "none",
        "int",
        "list",
        "bytes",
    ],
)
def test_username_rejects(name, code):
    error = rejected(validate_username, name)
    assert (error.field, error.code) == ("username", code)


# -- email -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("user@example.com", "user@example.com"),
        ("first.last+tag@mail.example.co.uk", "first.last+tag@mail.example.co.uk"),
        ("x_y-z@sub-domain.a1.io", "x_y-z@sub-domain.a1.io"),
        ("Mixed.Case@Example.COM", "Mixed.Case@example.com"),  # local part keeps its case
        ("  padded@example.com \n", "padded@example.com"),
        ("a" * 242 + "@example.com", "a" * 242 + "@example.com"),  # 254 characters
    ],
    ids=["plain", "plus-and-subdomains", "hyphen-digits", "domain-lowered", "trimmed", "254"],
)
def test_email_accepts(given, expected):
    assert validate_email(given) == expected


@pytest.mark.parametrize(
    "given",
    [
        "userexample.com",
        "a@b@example.com",
        "@example.com",
        "user@",
        "user@localhost",
        "us er@example.com",
        "user@exa mple.com",
        "user@-example.com",
        "user@example..com",
        "user@.example.com",
        "user@exam_ple.com",
        "us\u00e9r@example.com",
        "user@example.com\x00",
        "",
        "a" * 243 + "@example.com",  # 255 characters
    ],
    ids=[
        "no-at",
        "two-at",
        "empty-local",
        "empty-domain",
        "dotless-domain",
        "space-local",
        "space-domain",
        "hyphen-label",
        "empty-label",
        "leading-dot",
        "underscore-domain",
        "non-ascii",
        "nul",
        "empty",
        "255",
    ],
)
def test_email_rejects(given):
    error = rejected(validate_email, given)
    assert (error.field, error.code) == ("email", "EMAIL_TYPE_INVALID_EMAIL")


@pytest.mark.parametrize(
    "given", [None, 5, ["a@b.co"], b"a@b.co"], ids=["none", "int", "list", "bytes"]
)
def test_email_must_be_a_string(given):
    error = rejected(validate_email, given, field="login")
    assert (error.field, error.code) == ("login", NOT_STRING)


# -- password --------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    ["p" * 8, "p" * 72, " spaced out ", "\u00e9" * 8],
    ids=["len-8", "len-72", "spaces-kept", "8-non-ascii"],
)
def test_password_accepts_unchanged(password):
    assert validate_password(password) == password


@pytest.mark.parametrize(
    ("password", "code"),
    [("p" * 7, BAD_LENGTH), ("p" * 73, BAD_LENGTH), ("", BAD_LENGTH), (12345678, NOT_STRING)],
    ids=["len-7", "len-73", "empty", "int"],
)
def test_password_rejects(password, code):
    error = rejected(validate_password, password)
    assert (error.field, error.code) == ("password", code)


# -- names (guild, channel, role) ------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("a", "a"),
        ("  general  ", "general"),
        ("n" * 100, "n" * 100),
        ("  " + "n" * 100 + "\t", "n" * 100),  # the limit applies after trimming
        ("caf\u00e9 \u2615 chat", "caf\u00e9 \u2615 chat"),
    ],
    ids=["len-1", "trimmed", "len-100", "len-100-after-trim", "unicode"],
)
def test_name_accepts(given, expected):
    assert validate_name(given) == expected


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ("", BAD_LENGTH),
        ("   ", BAD_LENGTH),
        ("\t\n", BAD_LENGTH),
        ("n" * 101, BAD_LENGTH),
        ("a\x00b", INVALID),
        ("a\nb", INVALID),
        ("a\tb", INVALID),
        ("bell\x07", INVALID),
        ("del\x7f", INVALID),
        (None, NOT_STRING),
        (7, NOT_STRING),
    ],
    ids=[
        "empty",
        "spaces",
        "whitespace",
        "len-101",
        "nul",
        "newline",
        "tab",
        "bell",
        "del",
        "none",
        "int",
    ],
)
def test_name_rejects(given, code):
    error = rejected(validate_name, given, field="name")
    assert (error.field, error.code) == ("name", code)


# -- message content -------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    ["x", "x" * 2000, "  hi  ", "line one\nline two\ttabbed", "\U0001f600" * 2000],
    ids=["len-1", "len-2000", "spaces-kept", "multiline", "2000-emoji"],
)
def test_content_accepts_unchanged(content):
    assert validate_content(content) == content


@pytest.mark.parametrize(
    ("content", "code"),
    [
        ("", "BASE_TYPE_REQUIRED"),
        ("   \n\t ", "BASE_TYPE_REQUIRED"),
        ("x" * 2001, BAD_LENGTH),
        ("hi\x00there", INVALID),
        (None, NOT_STRING),
        (42, NOT_STRING),
        ({"text": "hi"}, NOT_STRING),
    ],
    ids=["empty", "whitespace", "len-2001", "nul", "none", "int", "dict"],
)
def test_content_rejects(content, code):
    error = rejected(validate_content, content)
    assert (error.field, error.code) == ("content", code)


# -- optional texts: nick, global name, topic, description, reason --------


@pytest.mark.parametrize(
    ("validator", "given", "expected"),
    [
        (validate_nick, None, None),
        (validate_nick, "", None),
        (validate_nick, "   ", None),
        (validate_nick, " Bob ", "Bob"),
        (validate_nick, "n" * 32, "n" * 32),
        (validate_global_name, None, None),
        (validate_global_name, " Ada L. ", "Ada L."),
        (validate_global_name, "g" * 32, "g" * 32),
        (validate_topic, None, None),
        (validate_topic, "", None),
        (validate_topic, "t" * 1024, "t" * 1024),
        (validate_topic, "line\nline", "line\nline"),
        (validate_description, None, None),
        (validate_description, "", None),
        (validate_description, "d" * 300, "d" * 300),
        (validate_reason, None, None),
        (validate_reason, "", None),
        (validate_reason, "r" * 512, "r" * 512),
    ],
    ids=[
        "nick-none",
        "nick-empty-clears",
        "nick-blank-clears",
        "nick-trimmed",
        "nick-32",
        "global-none",
        "global-trimmed",
        "global-32",
        "topic-none",
        "topic-empty",
        "topic-1024",
        "topic-multiline",
        "description-none",
        "description-empty",
        "description-300",
        "reason-none",
        "reason-empty",
        "reason-512",
    ],
)
def test_optional_texts_accept(validator, given, expected):
    assert validator(given) == expected


@pytest.mark.parametrize(
    ("validator", "field", "given", "code"),
    [
        (validate_nick, "nick", "n" * 33, BAD_LENGTH),
        (validate_nick, "nick", "a\nb", INVALID),
        (validate_nick, "nick", 5, NOT_STRING),
        (validate_global_name, "global_name", "g" * 33, BAD_LENGTH),
        (validate_global_name, "global_name", "a\x1bb", INVALID),
        (validate_topic, "topic", "t" * 1025, BAD_LENGTH),
        (validate_topic, "topic", "a\x00", INVALID),
        (validate_topic, "topic", ["t"], NOT_STRING),
        (validate_description, "description", "d" * 301, BAD_LENGTH),
        (validate_description, "description", "\x00", INVALID),
        (validate_reason, "reason", "r" * 513, BAD_LENGTH),
        (validate_reason, "reason", "\x00", INVALID),
        (validate_reason, "reason", 1, NOT_STRING),
    ],
    ids=[
        "nick-33",
        "nick-newline",
        "nick-int",
        "global-33",
        "global-escape",
        "topic-1025",
        "topic-nul",
        "topic-list",
        "description-301",
        "description-nul",
        "reason-513",
        "reason-nul",
        "reason-int",
    ],
)
def test_optional_texts_reject(validator, field, given, code):
    error = rejected(validator, given)
    assert (error.field, error.code) == (field, code)


# -- nonce -----------------------------------------------------------------


@pytest.mark.parametrize(
    "nonce",
    [None, 0, 123, -5, (1 << 63) - 1, -(1 << 63), "", "abc", "n" * 25],
    ids=["none", "zero", "int", "negative", "max", "min", "empty", "str", "len-25"],
)
def test_nonce_accepts(nonce):
    assert validate_nonce(nonce) == nonce


@pytest.mark.parametrize(
    ("nonce", "code"),
    [
        ("n" * 26, BAD_LENGTH),
        ("a\x00", INVALID),
        (1 << 63, "NUMBER_TYPE_COERCE"),
        (-(1 << 63) - 1, "NUMBER_TYPE_COERCE"),
        (10**5000, "NUMBER_TYPE_COERCE"),
        (True, NOT_STRING),
        (1.5, NOT_STRING),
        ([], NOT_STRING),
    ],
    ids=["len-26", "nul", "2^63", "below-min", "huge", "bool", "float", "list"],
)
def test_nonce_rejects(nonce, code):
    error = rejected(validate_nonce, nonce)
    assert (error.field, error.code) == ("nonce", code)


# -- numbers and booleans --------------------------------------------------


@pytest.mark.parametrize("value", [1, 50, 100], ids=["low", "middle", "high"])
def test_int_within_bounds(value):
    assert validate_int(value, "limit", 1, 100) == value


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (0, "NUMBER_TYPE_MIN"),
        (-(10**5000), "NUMBER_TYPE_MIN"),
        (101, "NUMBER_TYPE_MAX"),
        (10**5000, "NUMBER_TYPE_MAX"),
        (True, "NUMBER_TYPE_COERCE"),
        (50.0, "NUMBER_TYPE_COERCE"),
        ("50", "NUMBER_TYPE_COERCE"),
        (None, "NUMBER_TYPE_COERCE"),
    ],
    ids=["below", "far-below", "above", "far-above", "bool", "float", "str", "none"],
)
def test_int_out_of_bounds_or_not_an_int(value, code):
    error = rejected(validate_int, value, "limit", 1, 100)
    assert (error.field, error.code) == ("limit", code)


@pytest.mark.parametrize("value", [0, 0x00FF00, 0xFFFFFF], ids=["black", "green", "white"])
def test_color_accepts_24_bits(value):
    assert validate_color(value) == value


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (-1, "NUMBER_TYPE_MIN"),
        (0x1000000, "NUMBER_TYPE_MAX"),
        ("#fff", "NUMBER_TYPE_COERCE"),
        (False, "NUMBER_TYPE_COERCE"),
    ],
    ids=["negative", "25-bits", "css", "bool"],
)
def test_color_rejects(value, code):
    error = rejected(validate_color, value)
    assert (error.field, error.code) == ("color", code)


@pytest.mark.parametrize("value", [True, False])
def test_bool_accepts_booleans(value):
    assert validate_bool(value, "tts") is value


@pytest.mark.parametrize("value", [1, 0, "true", None, []], ids=["1", "0", "str", "none", "list"])
def test_bool_rejects_everything_else(value):
    error = rejected(validate_bool, value, "tts")
    assert (error.field, error.code) == ("tts", "BASE_TYPE_BOOLEAN")


# -- no input makes a validator raise anything but ValidationError --------

# (field name the error must carry, validator taking one value)
VALIDATORS = {
    "username": validate_username,
    "email": validate_email,
    "password": validate_password,
    "name": validate_name,
    "content": validate_content,
    "topic": validate_topic,
    "nick": validate_nick,
    "global_name": validate_global_name,
    "description": validate_description,
    "reason": validate_reason,
    "nonce": validate_nonce,
    "color": validate_color,
    "limit": lambda v: validate_int(v, "limit", 1, 100),
    "tts": lambda v: validate_bool(v, "tts"),
}

DISCORD_CODES = {
    "BASE_TYPE_STRING",
    "BASE_TYPE_BAD_LENGTH",
    "BASE_TYPE_REQUIRED",
    "BASE_TYPE_BOOLEAN",
    "NUMBER_TYPE_COERCE",
    "NUMBER_TYPE_MIN",
    "NUMBER_TYPE_MAX",
    "EMAIL_TYPE_INVALID_EMAIL",
    "USERNAME_INVALID_CHARACTERS",
    "STRING_TYPE_INVALID",
}

ODD_INPUTS = [
    None,
    0,
    -1,
    1 << 64,
    10**5000,
    1.5,
    float("nan"),
    float("inf"),
    True,
    False,
    [],
    [1],
    {},
    {"a": 1},
    (),
    set(),
    b"x",
    bytearray(b"x"),
    object(),
    "",
    " ",
    "\x00",
    "\x00" * 40,
    "\ud800",
    "\u200b",
    "\u202e",
    "\x1f",
    "\r\n",
    "x" * 100_000,
    "@" * 300,
    "a@" + "b." * 200 + "com",
    "9" * 5000,
]


def _random_strings(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    pools = [
        (0, 0x7F),  # ASCII, controls included
        (0x80, 0x2FFF),  # Latin-1 through symbols
        (0xD800, 0xDFFF),  # lone surrogates
        (0x1F000, 0x1FAFF),  # emoji
    ]
    out = []
    for _ in range(count):
        low, high = rng.choice(pools)
        length = rng.choice([0, 1, 2, 7, 8, 25, 32, 33, 100, 101, 254, 2000, 2001])
        out.append("".join(chr(rng.randint(low, high)) for _ in range(length)))
    return out


RANDOM_STRINGS = _random_strings(seed=20150101, count=150)


@pytest.mark.parametrize(("field", "validator"), VALIDATORS.items(), ids=list(VALIDATORS))
def test_only_validation_errors_for_any_input(field, validator):
    for value in ODD_INPUTS + RANDOM_STRINGS:
        try:
            validator(value)
        except ValidationError as error:
            assert len(error.errors) == 1
            assert error.errors[0].field == field
            assert error.errors[0].code in DISCORD_CODES
            assert error.discord_code == 50035
