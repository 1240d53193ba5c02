"""Benchmark: the Excel workbook against the HTML report, rendered from the same document in
the same process (docs/OUTPUTS.md, "Excel workbook").

The reference scorecard (examples/met-cpa-2009-10 as of Aug-09) and the 43-force league table
of England & Wales (examples/england-wales-2017-18, total recorded crime rate) are built once
from fresh copies of the examples; then each is rendered as ``xlsx`` and as ``html``, best of N,
and the ratio printed. Building the documents is not timed: it is the same for every format.

    PYTHONPATH=src .venv/bin/python benchmarks/xlsx.py [--runs 5]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from kpiboard.cli.report import league_of, scorecard_of
from kpiboard.render import LEAGUE, SCORECARD

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def best(fn: Callable[[], bytes], runs: int) -> tuple[float, int]:
    times, size = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        size = len(fn())
        times.append(time.perf_counter() - started)
    return min(times), size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        ignore = shutil.ignore_patterns(".kpiboard")
        met = Path(shutil.copytree(EXAMPLES / "met-cpa-2009-10", work / "met", ignore=ignore))
        ew = Path(shutil.copytree(EXAMPLES / "england-wales-2017-18", work / "ew", ignore=ignore))
        card = scorecard_of(met, "2009-08", None)
        league = league_of(ew, None, "total_crime_rate", None)
        cases = [
            ("reference scorecard (Met, Aug-09)", SCORECARD, card),
            (f"league table ({len(league.rows)} forces)", LEAGUE, league),
        ]
        print(
            f"{'document':36} {'xlsx':>9} {'html':>9} {'ratio':>7} {'xlsx size':>9} {'html size':>9}"
        )
        for name, document, doc in cases:
            xlsx, size = best(partial(document.render, doc, "xlsx"), args.runs)
            html, html_size = best(partial(document.render, doc, "html"), args.runs)
            print(
                f"{name:36} {xlsx * 1000:7.1f}ms {html * 1000:7.1f}ms {xlsx / html:6.2f}x "
                f"{size / 1024:7.1f}KB {html_size / 1024:7.1f}KB"
            )


if __name__ == "__main__":
    main()
