"""README.md's configuration table, rendered from the settings' declaration.

``python -m accord.settings_table [README.md]`` (``make settings-table``)
rewrites the part of README.md between the two markers below;
tests/unit/test_settings_table.py fails while the file differs from it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from accord.adapters import bridge
from accord.config import COMMANDS, OPTIONS, Option

BEGIN = (
    "<!-- settings: rendered from accord/config.py by `make settings-table`; "
    "edit the declaration, not this table -->"
)
END = "<!-- end of settings -->"


def _cell(markdown: str) -> str:
    return markdown.replace("|", "\\|")


def _row(option: Option[Any]) -> str:
    flag = f"`{option.flag}`" if option.flag is not None else "(environment only)"
    cells = (flag, f"`{option.env}`", option.default_text, option.meaning)
    return "| " + " | ".join(_cell(cell) for cell in cells) + " |"


def _bridge_row() -> str:
    # Read where a bridge opens, not through Settings: the tests and benchmarks
    # that open a bridge without a process's settings honour it too.
    return (
        f"| (environment only) | `{bridge.ENV_VAR}` | `{bridge.DEFAULT_KIND}` | how Trio reaches "
        "asyncpg: `thread` or `trio-asyncio` (see `docs/decisions/0001-trio-asyncpg-bridge.md`) |"
    )


def _series(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _commands() -> str:
    """Which command takes which flags: those taking all of them, then each of the others."""
    flagged = [option for option in OPTIONS if option.flag is not None]
    every = [c for c in COMMANDS if all(c in option.commands for option in flagged)]
    parts = [f"{_series([f'`accord {c}`' for c in every])} take every flag"] if every else []
    for command in COMMANDS:
        if command not in every:
            flags = [f"`{o.flag}`" for o in flagged if command in o.commands]
            parts.append(f"`accord {command}` takes {_series(flags)}")
    return "; ".join(parts) + "."


def render() -> str:
    """The table and the sentence on which command takes which flag, between the markers."""
    lines = [
        BEGIN,
        "| flag | environment | default | meaning |",
        "|---|---|---|---|",
        *(_row(option) for option in OPTIONS),
        _bridge_row(),
        "",
        _commands(),
        END,
    ]
    return "\n".join(lines)


def documented(readme: str) -> str:
    """The part of `readme` between the markers, markers included ('' if they are missing)."""
    start = readme.find(BEGIN)
    end = readme.find(END, start)
    if start < 0 or end < 0:
        return ""
    return readme[start : end + len(END)]


def main(argv: list[str]) -> int:
    path = Path(argv[0] if argv else "README.md")
    readme = path.read_text(encoding="utf-8")
    current = documented(readme)
    if not current:
        print(f"{path}: no settings markers ({BEGIN!r} ... {END!r})", file=sys.stderr)
        return 1
    path.write_text(readme.replace(current, render()), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
