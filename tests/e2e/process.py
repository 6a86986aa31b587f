"""Running `accord serve` as a real child process for end-to-end tests."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

STARTUP_TIMEOUT = 60
SHUTDOWN_TIMEOUT = 30


@contextmanager
def accord_serve(
    *args: str, env: dict[str, str] | None = None
) -> Iterator[tuple[subprocess.Popen[str], int]]:
    """Start `accord serve` on a free port; yield the process and its API port."""
    environment = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    environment.update(env or {})
    process = subprocess.Popen(
        [sys.executable, "-m", "accord", "serve", "--api-port", "0", "--gateway-port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=environment,
    )
    try:
        yield process, _wait_for_port(process)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(SHUTDOWN_TIMEOUT)


def _wait_for_port(process: subprocess.Popen[str]) -> int:
    assert process.stdout is not None
    deadline = time.monotonic() + STARTUP_TIMEOUT
    seen: list[str] = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        match = re.search(r"Accord is running: http://[\d.]+:(\d+)/", line)
        if match:
            return int(match.group(1))
    raise AssertionError("server did not report its port:\n" + "".join(seen))
