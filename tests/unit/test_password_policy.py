"""The password policy: which new passwords are refused, and the error that says why."""

from __future__ import annotations

import pytest

from accord.core.errors import ValidationError
from accord.core.password_policy import (
    CODE,
    MIN_UNDECORATED_CORE,
    check_new_password,
    common_passwords,
    email_name,
)


def refused(password: object, *, names=("alice", "alice"), field="password") -> list[str]:
    """The messages of every error the policy gives for ``password``."""
    with pytest.raises(ValidationError) as caught:
        check_new_password(password, names=names, field=field)
    errors = caught.value.errors
    assert errors and all(e.field == field for e in errors)
    return [f"{e.code}: {e.message}" for e in errors]


@pytest.mark.parametrize(
    "password",
    ["correct horse", "fuzzing pw", "benchmark pw", "Tr0ub4dor&3", "love83920174", "x7#kQ!m2"],
)
def test_strong_enough_passwords_are_accepted_unchanged(password):
    assert check_new_password(password, names=("alice", "alice")) == password


@pytest.mark.parametrize(
    "password",
    [
        "password",
        "PASSWORD",
        "Password123!",
        "p@ssw0rd",
        "P@ssw0rd1!",
        "12345678",
        "qwertyuiop",
        "1qaz2wsx",
        "iloveyou",
        "i love you",
        "letmein!",
        "dragon2024",
        "monkey123456!",
        "accord2025",
        "123456password",
    ],
)
def test_common_passwords_and_decorated_ones_are_refused(password):
    assert any("most commonly used" in m for m in refused(password))


def test_a_long_uncommon_number_is_not_decoration():
    # "love" is common, but eight digits nobody guesses carry the strength.
    assert check_new_password("love83920174") == "love83920174"


@pytest.mark.parametrize(
    ("password", "names"),
    [
        ("alice-rocks-1", ("alice", None)),
        ("my ALICE password!", ("alice", None)),
        ("secretly.mallory", ("bob", "mallory")),
        ("bob_the_builder", ("Bob", None)),
    ],
)
def test_the_username_or_email_name_inside_is_refused(password, names):
    assert any("username or email name" in m for m in refused(password, names=names))


def test_names_shorter_than_three_characters_are_not_looked_for():
    assert check_new_password("alone in the dark", names=("al", "on")) == "alone in the dark"


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("aaaaaaaa", "one character repeated"),
        ("zzzzzzzzzzzz", "one character repeated"),
        ("xyxyxyxyxy", "pattern 'xy' repeated"),
        ("k9!k9!k9!", "pattern 'k9!' repeated"),
    ],
)
def test_repeated_characters_and_short_patterns_are_refused(password, reason):
    assert any(reason in m for m in refused(password))


@pytest.mark.parametrize("password", ["lmnopqrstu", "98765432", "ponmlkji"])
def test_runs_of_consecutive_characters_are_refused(password):
    assert any("run of consecutive characters" in m for m in refused(password))


def test_every_broken_rule_is_reported_with_the_weak_password_code():
    messages = refused("12345678")
    assert len(messages) == 2
    assert all(m.startswith(f"{CODE}: Password is too weak or common to use: ") for m in messages)


def test_length_is_checked_first_with_discords_bad_length_code():
    assert refused("aaaa") == ["BASE_TYPE_BAD_LENGTH: Must be between 8 and 72 in length."]
    assert refused("x7#kQ!m2" * 10)[0].startswith("BASE_TYPE_BAD_LENGTH")
    assert refused(12345678) == ["BASE_TYPE_STRING: Must be a string."]


def test_the_field_is_named_as_the_caller_asks():
    refused("password", field="new_password")


def test_the_list_is_loaded_once_and_is_lower_case():
    words = common_passwords()
    assert words is common_passwords()
    assert 500 <= len(words) <= 2000
    assert all(w == w.lower() and w.strip() == w and w for w in words)
    assert "correct horse".replace(" ", "") not in words


@pytest.mark.parametrize(
    ("email", "name"),
    [("alice@example.com", "alice"), ("a@b@example.com", "a@b"), ("nope", None), (5, None)],
)
def test_email_name_is_the_local_part(email, name):
    assert email_name(email) == name


def full_width(text: str) -> str:
    """``text`` with its ASCII letters and digits in their full-width forms (U+FF01-U+FF5E)."""
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)


@pytest.mark.parametrize(
    ("password", "names"),
    [
        ("A L I C E 2024", ("alice", None)),
        (full_width("ALICE") + "-rocks", ("alice", None)),
        (full_width("mallory") + " was here", ("bob", "mallory")),
        ("my STRASSE key", ("straße", None)),
        ("bobby's the best", (full_width("Bobby"), None)),
    ],
)
def test_the_name_is_found_whatever_its_spacing_width_or_case(password, names):
    assert any("username or email name" in m for m in refused(password, names=names))


@pytest.mark.parametrize("password", ["password", "PASSWORD123", "iloveyou"])
def test_full_width_forms_of_common_passwords_are_refused(password):
    assert any("most commonly used" in m for m in refused(full_width(password)))


def test_a_full_width_password_that_passes_is_kept_as_typed():
    password = full_width("correct horse")
    assert check_new_password(password) == password


def test_no_common_password_is_too_short_to_be_found_once_undecorated():
    assert min(len(word) for word in common_passwords()) >= MIN_UNDECORATED_CORE
    assert any("most commonly used" in m for m in refused("cat!2024"))
