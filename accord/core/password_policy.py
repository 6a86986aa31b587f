"""Which passwords an account may set: on register and on a password change.

A password must be 8-72 characters (``validate_password``, code
BASE_TYPE_BAD_LENGTH) and pass every rule below; each rule it breaks is one
``PASSWORD_TOO_WEAK`` error on the field, its message naming the rule.

Every rule looks at the password normalised: NFKC (so "password" typed in
full-width letters, U+FF41-U+FF5A, and other compatibility forms read as the
letters they show), then case-folded, then without whitespace. Names are
normalised the same way. The password itself is stored as typed.

1. Not a common password. Compared normalised, with common letter
   substitutions undone (``p@ssw0rd``), and also without a short or common
   digit/punctuation prefix or suffix (``Password123!``), against
   ``data/common_passwords.txt``.
2. Not containing the username or the email address's local part (names of
   three characters or more: shorter ones are in too many words to refuse).
3. Not one character or a pattern of up to three repeated (``aaaaaaaa``,
   ``abcabcabc``).
4. Not a run of consecutive characters (``12345678``, ``hgfedcba``).

"correct horse" passes for any test user whose name it does not contain.
"""

from __future__ import annotations

import string
import unicodedata
from collections.abc import Iterable
from functools import cache
from importlib import resources
from itertools import pairwise
from typing import Final

from accord.core.errors import FieldError, ValidationError
from accord.core.validation import validate_password

CODE: Final = "PASSWORD_TOO_WEAK"
# Discord's wording for this refusal, followed by the rule that was broken.
_PREFIX: Final = "Password is too weak or common to use"
# Usernames and email names shorter than this are not looked for inside passwords.
MIN_NAME_IN_PASSWORD: Final = 3
# A word left once decoration is stripped is looked up only if at least this
# long: the list's shortest entries ("cat", "sun") have three letters, so a
# shorter core cannot be one of them, and "dog2024" must still be found.
MIN_UNDECORATED_CORE: Final = 3
# Patterns up to this long, repeated, are refused ("abab...", "abcabc...").
MAX_REPEATED_UNIT: Final = 3
# A prefix or suffix of digits and punctuation this short is taken for
# decoration ("1", "123!", "2024") and removed before looking a password up.
MAX_DECORATION: Final = 5
_DECORATION: Final = frozenset(string.digits + string.punctuation)
# Substitutions people make to dress up a word: p@ssw0rd, $ecr3t.
_UNDO_SUBSTITUTIONS: Final = str.maketrans(
    {"@": "a", "4": "a", "0": "o", "1": "i", "!": "i", "3": "e", "$": "s", "5": "s", "7": "t"}
)


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list, read once per process."""
    text = resources.files("accord.core").joinpath("data/common_passwords.txt").read_text()
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def email_name(email: object) -> str | None:
    """The local part of an address (before the last @), if it is one."""
    if not isinstance(email, str) or "@" not in email:
        return None
    return email.rpartition("@")[0].strip() or None


def check_new_password(
    value: object, *, names: Iterable[object] = (), field: str = "password"
) -> str:
    """The password if the policy allows it; ValidationError with every rule it breaks.

    ``names`` are what the password may not contain: the account's username(s)
    and its email's local part (non-strings are ignored).
    """
    password = validate_password(value, field)
    reasons = weaknesses(password, names)
    if reasons:
        raise ValidationError([FieldError(field, CODE, f"{_PREFIX}: {r}.") for r in reasons])
    return password


def weaknesses(password: str, names: Iterable[object] = ()) -> list[str]:
    """Why `password` may not be used (empty if it may), one reason per broken rule."""
    reasons: list[str] = []
    folded = _normalised(password)
    if _is_common(folded):
        reasons.append("it is one of the most commonly used passwords")
    for name in _names(names):
        if name in folded:
            reasons.append(f"it contains your username or email name ('{name}')")
            break
    unit = _repeated_unit(folded)
    if unit is not None:
        reasons.append(
            "it is one character repeated"
            if len(unit) == 1
            else f"it is the pattern '{unit}' repeated"
        )
    if _is_run(folded):
        reasons.append("it is a run of consecutive characters")
    return reasons


def _normalised(text: str) -> str:
    """What the rules compare: NFKC, case-folded, without whitespace."""
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def _names(names: Iterable[object]) -> list[str]:
    normalised = (_normalised(name) for name in names if isinstance(name, str))
    return [name for name in normalised if len(name) >= MIN_NAME_IN_PASSWORD]


def _is_common(folded: str) -> bool:
    common = common_passwords()
    candidates = {folded, folded.translate(_UNDO_SUBSTITUTIONS)}
    for text in list(candidates):
        core = _undecorated(text)
        if core is not None:
            candidates.update((core, core.translate(_UNDO_SUBSTITUTIONS)))
    return not candidates.isdisjoint(common)


def _undecorated(text: str) -> str | None:
    """`text` without a predictable digit/punctuation prefix and suffix, or None if it has none."""
    start, end = 0, len(text)
    while start < end and text[start] in _DECORATION:
        start += 1
    while end > start and text[end - 1] in _DECORATION:
        end -= 1
    if (start, end) == (0, len(text)) or end - start < MIN_UNDECORATED_CORE:
        return None
    decoration = text[:start] + text[end:]
    if len(decoration) > MAX_DECORATION and decoration.strip(string.punctuation) not in (
        common_passwords()
    ):
        return None  # a long, uncommon number is not decoration: it carries the strength
    return text[start:end]


def _repeated_unit(text: str) -> str | None:
    for size in range(1, MAX_REPEATED_UNIT + 1):
        unit = text[:size]
        if len(text) > size and unit * (len(text) // size) + unit[: len(text) % size] == text:
            return unit
    return None


def _is_run(text: str) -> bool:
    if len(text) < 2:
        return False
    step = ord(text[1]) - ord(text[0])
    return step in (1, -1) and all(ord(b) - ord(a) == step for a, b in pairwise(text))
