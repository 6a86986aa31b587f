"""The ``accord`` command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from accord.adapters.postgres.migrations import MigrationError
from accord.config import ConfigError, add_flags, load_settings
from accord.logs import configure_logging
from accord.runner import run_migrate, run_serve


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="accord", description="Accord: a Discord-compatible chat server."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser(
        "serve",
        help="run the REST API and gateway in one process",
        description="Run Accord in one process. With no DATABASE_URL an embedded "
        "PostgreSQL is started in the data dir and migrated.",
    )
    add_flags(serve, "serve")
    for name, surface in (("api", "the REST API"), ("gateway", "the WebSocket gateway")):
        alone = commands.add_parser(
            name,
            help=f"run only {surface}",
            description=f"Run only {surface}; several processes share DATABASE_URL.",
        )
        add_flags(alone, name)
    migrate = commands.add_parser(
        "migrate",
        help="apply pending database migrations",
        description="Apply pending migrations in order, each in its own transaction.",
    )
    add_flags(migrate, "migrate")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging()
    try:
        settings = load_settings(args)
        configure_logging(settings.log_format)
        if args.command == "serve":
            run_serve(settings)
        elif args.command in ("api", "gateway"):
            run_serve(settings, frozenset({args.command}))
        elif args.command == "migrate":
            applied = run_migrate(settings)
            print("\n".join(f"applied {name}" for name in applied) or "nothing to apply")
    except (ConfigError, MigrationError) as exc:
        print(f"accord: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
