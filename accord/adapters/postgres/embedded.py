"""An embedded PostgreSQL for the single-process default (no DATABASE_URL).

pgserver ships PostgreSQL binaries in its wheel; the cluster lives in
``<data dir>/pgdata`` and listens only on a Unix socket, so nothing else on
the machine can reach it and no port can clash.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)


@contextmanager
def embedded_postgres(data_dir: Path) -> Iterator[str]:
    """Start (or join) the cluster in ``data_dir`` and yield its URL; stop it on exit.

    Several processes may share one data dir; the cluster stops when the last
    of them leaves.
    """
    # Imported here: a deployment with DATABASE_URL never needs it.
    from pgserver.postgres_server import get_server

    data_dir.mkdir(parents=True, exist_ok=True)
    pgdata = data_dir.resolve() / "pgdata"
    log.info("starting embedded PostgreSQL in %s", pgdata)
    server = get_server(pgdata, cleanup_mode="stop")
    try:
        yield server.get_uri()
    finally:
        log.info("stopping embedded PostgreSQL")
        server.cleanup()
