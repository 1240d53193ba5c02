"""What a command costs before it does anything: whole processes of ``kpiboard --help``,
``kpiboard validate`` and ``kpiboard report`` on the reference example, against ``python -c
"import ibis"`` and ``python -c "import duckdb"`` run in the same way, interleaved, in this run.

    .venv/bin/python benchmarks/startup.py [--runs 5]

Works on a copy of the reference example, ingested first (so ``report`` reads, never loads),
and on a second copy with a dashboard database (``.kpiboard/app.sqlite3``, as once the
dashboard has run: ``report`` then reads which vintage a published pack pinned).
Prints the best and median wall time of each and its ratio to ``import ibis``. Not part of the
test suite: machines are shared and noisy.

Every case runs once before the timed rounds, with bytecode caching on (as on a user's
machine: ``PYTHONDONTWRITEBYTECODE``, set in some shells and containers, is removed for the
children), so no case pays for compiling kpiboard's own modules.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "met"
        shutil.copytree(ROOT / "examples" / "met-cpa-2009-10", project)
        subprocess.run(
            [py, "-m", "kpiboard", "ingest", str(project)], check=True, capture_output=True
        )
        served = Path(tmp) / "met-served"
        shutil.copytree(project, served)
        made = "from kpiboard.web.db import AppStore; import sys; from pathlib import Path; "
        made += "AppStore.open(AppStore.default_url(Path(sys.argv[1]), None)).close()"
        subprocess.run([py, "-c", made, str(served)], check=True, capture_output=True)
        cases = {
            "import duckdb": [py, "-c", "import duckdb"],
            "import ibis": [py, "-c", "import ibis"],
            "kpiboard --help": [py, "-m", "kpiboard", "--help"],
            "kpiboard validate": [py, "-m", "kpiboard", "validate", str(project)],
            "kpiboard report": [py, "-m", "kpiboard", "report", str(project), "--as-of", "2009-08"],
            "report, dashboard db": [
                py,
                "-m",
                "kpiboard",
                "report",
                str(served),
                "--as-of",
                "2009-08",
            ],
        }
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        for command in cases.values():  # warm the bytecode caches
            subprocess.run(command, check=True, capture_output=True, env=env)
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.runs):  # interleaved, so a busy spell hits every case alike
            for name, command in cases.items():
                started = time.perf_counter()
                subprocess.run(command, check=True, capture_output=True, env=env)
                times[name].append(time.perf_counter() - started)
    base = min(times["import ibis"])
    print(f"{'':20} {'best s':>8} {'median s':>9} {'÷ import ibis':>14}")
    for name, ts in times.items():
        print(f"{name:20} {min(ts):8.2f} {statistics.median(ts):9.2f} {min(ts) / base:14.2f}")


if __name__ == "__main__":
    main()
