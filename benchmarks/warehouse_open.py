"""What a dashboard build pays for holding no warehouse connection between builds: opening the
DuckDB file read-only through Ibis (and closing it), against the build itself.

    .venv/bin/python benchmarks/warehouse_open.py [--project examples/met-cpa-2009-10] [--runs 30]

Works on a copy of the project (ingested first). Prints the median and max of: a read use that
opens and closes the connection (the first build after an idle spell), the same read on a kept
connection (builds that follow each other), and one scorecard build. Not part of the test
suite: machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from kpiboard.assemble import assemble_scorecard
from kpiboard.catalogue import load_catalogue
from kpiboard.periods import parse_month
from kpiboard.warehouse import WarehouseAccess

ROOT = Path(__file__).resolve().parents[1]


def timed(runs: int, step: Callable[[], object]) -> tuple[float, float]:
    """Median and max of ``runs`` runs of ``step``, in milliseconds."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        step()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", type=Path, default=ROOT / "examples" / "met-cpa-2009-10")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--month", default="2009-08")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(shutil.copytree(args.project, Path(tmp) / "p"))
        shutil.rmtree(project / ".kpiboard", ignore_errors=True)
        cat = load_catalogue(project)
        access = WarehouseAccess(cat)
        access.ensure_ingested()

        def use() -> None:
            with access.read() as wh:
                wh.scorecard_observations(cat)

        def build() -> None:
            with access.read() as wh:
                assemble_scorecard(cat, wh.scorecard_observations(cat), parse_month(args.month))

        cold = timed(args.runs, use)
        with access.read() as wh:  # builds that follow each other: the connection is kept
            kept = timed(args.runs, lambda: wh.scorecard_observations(cat))
        built = timed(max(3, args.runs // 6), build)
        access.close()
    print(f"open + read + close, per use: median {cold[0]:.1f} ms, max {cold[1]:.1f} ms")
    print(f"read on a kept connection: median {kept[0]:.1f} ms, max {kept[1]:.1f} ms")
    print(f"one scorecard build (open included): median {built[0]:.1f} ms, max {built[1]:.1f} ms")


if __name__ == "__main__":
    main()
