"""Query-string values handed to services, which validate them and name the field."""

from __future__ import annotations

import re

from quart import request

_INTEGER = re.compile(r"-?[0-9]{1,12}")


def int_arg(name: str) -> object:
    """The value as an int when written as one, else as sent (None when absent)."""
    value = request.args.get(name)
    if value is not None and _INTEGER.fullmatch(value):
        return int(value)
    return value


def flag_arg(name: str) -> bool:
    """Discord's boolean query flags: only ``true`` (any case) turns one on."""
    return request.args.get(name, "false").lower() == "true"
