"""Domain errors carry Accord's string code and Discord's numeric code."""

from __future__ import annotations

import pytest

from accord.core.errors import (
    AuthenticationError,
    Conflict,
    DomainError,
    FieldError,
    InvalidCredentials,
    InvalidToken,
    LimitReached,
    MissingAccess,
    NotFound,
    PermissionDenied,
    Resource,
    ValidationError,
)


@pytest.mark.parametrize(
    ("resource", "code", "discord_code", "message"),
    [
        (Resource.ACCOUNT, "UNKNOWN_ACCOUNT", 10001, "Unknown Account"),
        (Resource.APPLICATION, "UNKNOWN_APPLICATION", 10002, "Unknown Application"),
        (Resource.CHANNEL, "UNKNOWN_CHANNEL", 10003, "Unknown Channel"),
        (Resource.GUILD, "UNKNOWN_GUILD", 10004, "Unknown Guild"),
        (Resource.INVITE, "UNKNOWN_INVITE", 10006, "Unknown Invite"),
        (Resource.MEMBER, "UNKNOWN_MEMBER", 10007, "Unknown Member"),
        (Resource.MESSAGE, "UNKNOWN_MESSAGE", 10008, "Unknown Message"),
        (Resource.OVERWRITE, "UNKNOWN_OVERWRITE", 10009, "Unknown Overwrite"),
        (Resource.ROLE, "UNKNOWN_ROLE", 10011, "Unknown Role"),
        (Resource.TOKEN, "UNKNOWN_TOKEN", 10012, "Unknown Token"),
        (Resource.USER, "UNKNOWN_USER", 10013, "Unknown User"),
        (Resource.EMOJI, "UNKNOWN_EMOJI", 10014, "Unknown Emoji"),
        (Resource.BAN, "UNKNOWN_BAN", 10026, "Unknown Ban"),
    ],
    ids=lambda v: v.name if isinstance(v, Resource) else None,
)
def test_not_found_codes_are_discords(resource, code, discord_code, message):
    error = NotFound(resource)
    assert (error.code, error.discord_code, error.message) == (code, discord_code, message)
    assert error.resource is resource
    assert str(error) == message
    assert isinstance(error, DomainError)


def test_not_found_codes_are_per_instance():
    channel, guild = NotFound(Resource.CHANNEL), NotFound(Resource.GUILD)
    assert (channel.code, guild.code) == ("UNKNOWN_CHANNEL", "UNKNOWN_GUILD")
    assert NotFound.code == DomainError.code  # the class itself is untouched


def test_not_found_takes_a_custom_message():
    assert NotFound(Resource.MESSAGE, "No such message here").message == "No such message here"


@pytest.mark.parametrize(
    ("error", "code", "discord_code", "parents"),
    [
        (AuthenticationError(), "UNAUTHORIZED", 40001, ()),
        (InvalidToken(), "INVALID_TOKEN", 50014, (AuthenticationError,)),
        (InvalidCredentials(), "INVALID_CREDENTIALS", 50035, (AuthenticationError,)),
        (PermissionDenied(), "MISSING_PERMISSIONS", 50013, ()),
        (MissingAccess(), "MISSING_ACCESS", 50001, (PermissionDenied,)),
        (ValidationError([]), "VALIDATION_ERROR", 50035, ()),
        (Conflict(), "CONFLICT", 0, ()),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, DomainError) else None,
)
def test_each_error_carries_its_codes(error, code, discord_code, parents):
    assert isinstance(error.code, str)
    assert (error.code, error.discord_code) == (code, discord_code)
    assert isinstance(error, DomainError)
    for parent in parents:
        assert isinstance(error, parent)
    assert error.message == type(error).default_message
    assert str(error) == error.message


def test_a_given_message_replaces_the_default():
    assert str(PermissionDenied("Cannot kick the owner")) == "Cannot kick the owner"
    assert InvalidToken("expired").message == "expired"


def test_conflict_may_carry_specific_codes():
    error = Conflict("Already a member", code="ALREADY_MEMBER", discord_code=40007)
    assert (error.code, error.discord_code, error.message) == (
        "ALREADY_MEMBER",
        40007,
        "Already a member",
    )
    assert (Conflict().code, Conflict().discord_code) == ("CONFLICT", 0)  # others unaffected


def test_limit_reached_carries_the_given_discord_code():
    error = LimitReached("Maximum number of guilds reached (100)", 30001)
    assert (error.code, error.discord_code) == ("LIMIT_REACHED", 30001)
    assert str(error) == "Maximum number of guilds reached (100)"


def test_validation_error_single():
    error = ValidationError.single("username", "BASE_TYPE_BAD_LENGTH", "Must be 2-32 long.")
    assert error.errors == (FieldError("username", "BASE_TYPE_BAD_LENGTH", "Must be 2-32 long."),)
    assert error.message == "Invalid Form Body"
    assert (error.code, error.discord_code) == ("VALIDATION_ERROR", 50035)


def test_validation_error_str_names_every_field():
    error = ValidationError(
        [
            FieldError("name", "BASE_TYPE_REQUIRED", "This field is required"),
            FieldError("roles.2", "NUMBER_TYPE_COERCE", "Value 'x' is not snowflake."),
        ]
    )
    assert str(error) == (
        "Invalid Form Body (name: This field is required; roles.2: Value 'x' is not snowflake.)"
    )


def test_validation_error_keeps_a_generator_of_errors():
    error = ValidationError(FieldError(f"f{i}", "C", "m") for i in range(3))
    assert [e.field for e in error.errors] == ["f0", "f1", "f2"]
    assert [e.field for e in error.errors] == ["f0", "f1", "f2"]  # stored, not consumed once


def test_validation_error_without_fields_reads_as_its_message():
    assert str(ValidationError([])) == "Invalid Form Body"
    assert str(ValidationError([], "Bad body")) == "Bad body"


def test_errors_raise_and_catch_as_exceptions():
    with pytest.raises(PermissionDenied) as caught:
        raise MissingAccess()
    assert caught.value.discord_code == 50001


def test_field_error_is_immutable():
    error = FieldError("name", "CODE", "message")
    with pytest.raises(AttributeError):
        error.field = "other"  # type: ignore[misc]
