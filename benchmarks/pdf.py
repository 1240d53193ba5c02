"""Benchmark: what a PDF costs against the HTML of the same document, in the same process.

The reference pack (examples/met-cpa-2009-10 as of 2009-08) and the 43-force league table
(examples/england-wales-2017-18, total_crime_rate) are assembled once (a copy of each example,
ingested into a temporary folder), then each rendered N times as HTML and as PDF; the best and
the median of each, the PDF/HTML ratio, the pages and the size. The first HTML is timed apart:
it draws the charts (vl-convert), which later renders, HTML or PDF, take from a cache. WeasyPrint's import is timed
apart (every command pays it only when it draws a PDF).

    PYTHONPATH=src .venv/bin/python benchmarks/pdf.py [--runs 3]
"""

from __future__ import annotations

import argparse
import io
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from pypdf import PdfReader

from kpiboard.cli.report import league_of, scorecard_of
from kpiboard.render import LEAGUE, render

ROOT = Path(__file__).resolve().parents[1]
MET = ROOT / "examples" / "met-cpa-2009-10"
ENGLAND_WALES = ROOT / "examples" / "england-wales-2017-18"


def _times(fn: Callable[[], bytes], runs: int) -> tuple[list[float], bytes]:
    out, times = b"", []
    for _ in range(runs):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return times, out


def _copy(src: Path, tmp: Path) -> Path:
    return Path(shutil.copytree(src, tmp / src.name, ignore=shutil.ignore_patterns(".kpiboard")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import weasyprint"], check=True)
    python = time.perf_counter() - start
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    bare = time.perf_counter() - start
    print(f"import weasyprint: {python - bare:.2f} s (a Python start with it, minus one without)")

    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        card = scorecard_of(_copy(MET, tmp), "2009-08", None)
        league = league_of(_copy(ENGLAND_WALES, tmp), "2018-03", "total_crime_rate", None)
        cases: list[tuple[str, Callable[[], bytes], Callable[[], bytes]]] = [
            ("reference pack", lambda: render(card, "html"), lambda: render(card, "pdf")),
            (
                "43-force league",
                lambda: LEAGUE.render(league, "html"),
                lambda: LEAGUE.render(league, "pdf"),
            ),
        ]
        print(
            "| document | HTML first (charts drawn) | HTML best / median | PDF best / median "
            "| PDF / HTML (best) | PDF / first HTML | pages | PDF size |"
        )
        print("|---|---|---|---|---|---|---|---|")
        for name, html, pdf in cases:
            cold, _ = _times(html, 1)  # the first draws the charts (vl-convert caches them)
            pdf()  # warm: WeasyPrint's fonts
            html_times, _ = _times(html, args.runs)
            pdf_times, data = _times(pdf, args.runs)
            pages = len(PdfReader(io.BytesIO(data)).pages)
            print(
                f"| {name} | {cold[0]:.2f} s "
                f"| {min(html_times):.3f} / {statistics.median(html_times):.3f} s "
                f"| {min(pdf_times):.2f} / {statistics.median(pdf_times):.2f} s "
                f"| {min(pdf_times) / min(html_times):.0f}× | {min(pdf_times) / cold[0]:.1f}× "
                f"| {pages} | {len(data) / 1024:.0f} KiB |"
            )


if __name__ == "__main__":
    main()
