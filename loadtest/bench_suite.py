"""`make bench`: every benchmark against docs/quality-bars.md's bars, one table, results kept.

Runs each benchmark script as its own subprocess (each starts a fresh server
on loopback ports and a temp data dir, and writes its figures with --json),
each bounded by a time cap so the whole suite ends within SUITE_BUDGET_S.
Their full output goes to loadtest/results/latest.log; this prints one
progress line per benchmark, then one table: every figure, its bar, whether
it is met, the CPU the load generator used beside the server's, and the
machine's load average while it ran (other work on the 2 cores moves
wall-clock figures). Then it writes loadtest/results/latest.json (git
ignores loadtest/results/), the plot docs/latency.png, and the section of
docs/benchmarks.md between its markers, which is the record that is kept.

    .venv/bin/python loadtest/bench_suite.py      # or: make bench
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import bench_docs

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
# Under 15 minutes in all, even when every step runs to its cap.
SUITE_BUDGET_S = 870
# A step still running GRACE_S before its cap is interrupted (SIGINT to its
# process group: it stops the servers, Redis and PostgreSQL it started), then
# whatever of the group is left is killed at the cap.
GRACE_S = 10


@dataclass(frozen=True)
class Step:
    name: str
    script: str
    args: tuple[str, ...]
    cap_s: int  # the step is stopped past this (its figures are then missing)


STEPS = (
    Step(
        "idle",
        "bench_gateway_idle.py",
        ("--sessions", "10000", "--bots", "20", "--identify-timeout", "240"),
        270,
    ),
    Step("fanout", "bench_gateway_fanout.py", ("--sessions", "1000", "--rounds", "5"), 100),
    Step(
        "latency",
        "bench_gateway_latency.py",
        ("--sessions", "1000", "--rate", "20", "--seconds", "15", "--search-steps", "4"),
        170,
    ),
    # The same latency through `accord api` + `accord gateway` sharing PostgreSQL and
    # a Redis the step starts: every event crosses Redis Streams.
    Step(
        "processes",
        "bench_gateway_latency.py",
        ("--processes", "api+gateway", "--sessions", "1000", "--rate", "20", "--seconds", "15"),
        130,
    ),
    Step("rest", "bench_rest.py", ("--seconds", "20", "--rounds", "5", "--connections", "32"), 80),
    Step(
        "resume",
        "bench_gateway_resume.py",
        ("--sessions", "150", "--disconnects", "1000", "--timeout", "80"),
        120,
    ),
)
assert sum(s.cap_s for s in STEPS) <= SUITE_BUDGET_S
# --quick: the same steps at toy sizes, to check the suite itself (nothing is written to docs/).
QUICK = {
    "idle": ("--sessions", "200", "--bots", "2", "--hold", "3"),
    "fanout": ("--sessions", "100", "--bots", "10", "--rounds", "2", "--events", "50"),
    "latency": (
        *("--sessions", "100", "--bots", "10", "--seconds", "3"),
        *("--search-steps", "1", "--search-seconds", "2"),
    ),
    "processes": (
        *("--processes", "api+gateway", "--sessions", "100", "--bots", "10", "--seconds", "3"),
    ),
    "rest": ("--seconds", "2", "--rounds", "2", "--connections", "4"),
    "resume": ("--sessions", "20", "--bots", "2", "--disconnects", "60"),
}


def run_step(step: Step, log: Any, scratch: Path) -> dict[str, Any]:
    """Run one benchmark; its figures (or why there are none) and the machine around it."""
    out = scratch / f"{step.name}.json"
    command = [sys.executable, str(HERE / step.script), *step.args, "--json", str(out)]
    log.write(f"\n$ {' '.join(command[1:])}\n")
    log.flush()
    load_before = os.getloadavg()[0]
    started = time.monotonic()
    process = subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT, cwd=HERE, start_new_session=True
    )
    try:
        code = process.wait(step.cap_s - GRACE_S)
        error = None if code == 0 else f"exited with {code}"
    except subprocess.TimeoutExpired:
        error = f"stopped at its {step.cap_s} s cap"
        _signal_group(process.pid, signal.SIGINT)
        try:
            process.wait(GRACE_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    finally:
        _signal_group(process.pid, signal.SIGKILL)  # anything of the step's still alive
    wall = time.monotonic() - started
    figures = json.loads(out.read_text()) if error is None and out.exists() else {}
    return {
        "figures": figures,
        "error": error,
        "wall_s": wall,
        "load": [load_before, os.getloadavg()[0]],
    }


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def main(quick: bool) -> int:
    RESULTS.mkdir(exist_ok=True)
    steps = [replace(s, args=QUICK[s.name]) for s in STEPS] if quick else list(STEPS)
    name = "quick" if quick else "latest"
    begun = time.monotonic()
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    results: dict[str, Any] = {
        "when": stamp,
        "commit": _commit(),
        "machine": f"{os.cpu_count()} CPUs, Python {platform.python_version()}",
        "steps": {},
    }
    log_path = RESULTS / f"{name}.log"
    print(f"make bench, {stamp}: full output in {log_path.relative_to(ROOT)}")
    with log_path.open("w") as log, tempfile.TemporaryDirectory() as scratch:
        for step in steps:
            print(f"  {step.name:<9} (at most {step.cap_s} s) ...", end=" ", flush=True)
            outcome = run_step(step, log, Path(scratch))
            results["steps"][step.name] = outcome
            print(
                f"{outcome['wall_s']:.0f} s, load {outcome['load'][0]:.1f} -> "
                f"{outcome['load'][1]:.1f}" + (f", {outcome['error']}" if outcome["error"] else ""),
                flush=True,
            )
    results["wall_s"] = time.monotonic() - begun
    rows = bench_docs.rows(results)
    results["table"] = rows
    table = bench_docs.render_table(rows)
    print(f"\nAccord benchmarks, {stamp}, commit {results['commit']}, {results['wall_s']:.0f} s\n")
    print(table)
    (RESULTS / f"{name}.json").write_text(json.dumps(results, indent=1) + "\n")
    if quick:
        bench_docs.plot_latency(results, RESULTS / "quick.png")
        print(f"\nwrote loadtest/results/{name}.json and quick.png (docs/ untouched)")
        return 0
    plotted = bench_docs.plot_latency(results, ROOT / "docs" / "latency.png")
    bench_docs.update_markdown(ROOT / "docs" / "benchmarks.md", results, table, plotted)
    written = ", docs/latency.png" if plotted else ""
    print(f"\nwrote loadtest/results/latest.json, docs/benchmarks.md{written}")
    return 0


def _commit() -> str:
    found = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    )
    return found.stdout.strip() or "unknown"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="toy sizes; docs/ untouched")
    sys.exit(main(parser.parse_args().quick))
