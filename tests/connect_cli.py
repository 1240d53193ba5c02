"""Running kpiboard as a user runs it against a Spark Connect server (tests/test_spark_connect.py,
tests/test_spark_connect_token.py): each command in a process of its own, an example copied,
the DuckDB report to compare with."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from spark_connect_server import ConnectServer
from typer.testing import CliRunner

from kpiboard.cli import app

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE, MONTH = "met-cpa-2009-10", "2009-08"
#: A bound on one command's seconds: a guard against a hang (the Connect client's own retries
#: take minutes), not a timing.
GUARD_SECONDS = 180


def run_kpiboard(
    args: list[str], unset: tuple[str, ...] = (), **env: str
) -> subprocess.CompletedProcess[str]:
    """``kpiboard ARGS`` in a process of its own (a Connect client marks its process as one),
    ``env`` added to this one's environment and the variables ``unset`` taken out of it."""
    environ = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), **env}
    for name in unset:
        environ.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "kpiboard", *args],
        capture_output=True,
        text=True,
        timeout=GUARD_SECONDS,
        env=environ,
    )


def run_python(script: str) -> subprocess.CompletedProcess[str]:
    """``python -c SCRIPT`` in a process of its own."""
    return subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=GUARD_SECONDS,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )


def ok(done: subprocess.CompletedProcess[str], server: ConnectServer) -> str:
    """The command's standard output, once it succeeded."""
    assert done.returncode == 0, done.stderr + server.log_tail()
    return done.stdout


def refused(done: subprocess.CompletedProcess[str], server: ConnectServer | None = None) -> str:
    tail = server.log_tail() if server else ""
    assert done.returncode == 1, done.stdout + done.stderr + tail
    assert "Traceback" not in done.stderr, done.stderr
    """The command's error, once it failed as a user's mistake does (exit code 1, no
    traceback), on one line."""
    return " ".join(done.stderr.split())  # the console wraps long lines


def example(to: Path, name: str = EXAMPLE) -> Path:
    shutil.copytree(ROOT / "examples" / name, to, ignore=shutil.ignore_patterns(".kpiboard"))
    return to


def duckdb_report(to: Path, name: str = EXAMPLE, month: str = MONTH) -> dict[str, Any]:
    """The example ``name`` ingested into DuckDB (in a copy at ``to``) and reported as of
    ``month``, as JSON: what a Spark warehouse's report must equal."""
    root = example(to, name)
    assert CliRunner().invoke(app, ["ingest", str(root)]).exit_code == 0
    done = CliRunner().invoke(app, ["report", str(root), "--as-of", month, "--format", "json"])
    assert done.exit_code == 0, done.output
    report: dict[str, Any] = json.loads(done.stdout)
    assert report["rows"], "an example with no rows proves nothing"
    return report
