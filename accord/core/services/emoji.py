"""Reading the emoji of a reaction path: a unicode emoji, or a custom one as ``name:id``."""

from __future__ import annotations

import re
import unicodedata

from accord.core.entities import Emoji
from accord.core.errors import UnknownEmoji
from accord.core.snowflake import MAX_SNOWFLAKE, Snowflake

# The longest standard emoji (family and flag sequences joined with ZWJ and
# tags) are around a dozen code points; 32 leaves room without letting text in.
UNICODE_EMOJI_MAX = 32
# Discord's rule for custom emoji names.
_CUSTOM_NAME = re.compile(r"[A-Za-z0-9_]{2,32}")
_CUSTOM_ID = re.compile(r"[0-9]{1,20}")
# Control characters, separators, surrogates and private use never belong to an emoji.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cs", "Co", "Zs", "Zl", "Zp"})
_REPLACEMENT = "\ufffd"  # what a percent-encoding of invalid UTF-8 decodes to


def parse_emoji(raw: str) -> Emoji:
    """The emoji named by a (percent-decoded) path segment; UnknownEmoji if it is not one."""
    if ":" in raw:
        return _custom(raw)
    if not raw:
        raise UnknownEmoji("The emoji is empty.")
    if len(raw) > UNICODE_EMOJI_MAX:
        raise UnknownEmoji(f"A unicode emoji is at most {UNICODE_EMOJI_MAX} code points.")
    if _REPLACEMENT in raw or any(unicodedata.category(c) in _REFUSED_CATEGORIES for c in raw):
        raise UnknownEmoji("The emoji contains characters no emoji has.")
    # Without an emoji table the test is coarse: some non-ASCII symbol, mark or
    # joiner must be present, which plain words in any script never have.
    if not any(ord(c) > 0x7F and unicodedata.category(c)[0] not in "LN" for c in raw):
        raise UnknownEmoji("Use a unicode emoji, or name:id for a custom emoji.")
    return Emoji(raw)


def _custom(raw: str) -> Emoji:
    parts = raw.split(":")
    if len(parts) == 3 and parts[0] == "a":  # discord.py's form for animated emoji
        parts = parts[1:]
    if len(parts) != 2:
        raise UnknownEmoji("A custom emoji is written name:id.")
    name, number = parts
    if not _CUSTOM_NAME.fullmatch(name):
        raise UnknownEmoji("A custom emoji name is 2 to 32 letters, digits or underscores.")
    if not _CUSTOM_ID.fullmatch(number) or not 0 < int(number) <= MAX_SNOWFLAKE:
        raise UnknownEmoji("A custom emoji id must be a snowflake.")
    return Emoji(name, Snowflake(int(number)))


def same_emoji(a: Emoji, b: Emoji) -> bool:
    """A custom emoji is the same emoji under any name; a unicode one is its characters."""
    if a.id is not None or b.id is not None:
        return a.id == b.id
    return a.name == b.name
