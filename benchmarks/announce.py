"""Benchmark: what announcements add to an ingest (docs/VINTAGES.md, "Announcements").

For each example with a second vintage to compare (West Yorkshire's police.uk street records,
England & Wales' Home Office table): a fresh copy is loaded (vintage 1), 1% of the rows of its
last data file are dropped (a revision), and it is loaded again (vintage 2). Timed: that second
load, and ``announcements(cat, wh, 2)`` — the two scorecards (vintage 1's and 2's) and their
comparison that ``kpiboard ingest`` now adds after the load. Best of N fresh copies.

    PYTHONPATH=src .venv/bin/python benchmarks/announce.py [--runs 3]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
import zipfile
from pathlib import Path

from kpiboard.announce import announcements
from kpiboard.catalogue import load_catalogue
from kpiboard.warehouse import Warehouse, ingest_project

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
NAMES = ("west-yorkshire-police-uk", "england-wales-2017-18")


def _revise(archive: Path) -> None:
    """Drop every 100th data row of the archive's last member (its other members unchanged)."""
    with zipfile.ZipFile(archive) as z:
        members = {name: z.read(name) for name in z.namelist()}
    last = sorted(members)[-1]
    header, *rows = members[last].decode("utf-8-sig").splitlines(keepends=True)
    members[last] = (header + "".join(r for k, r in enumerate(rows) if k % 100 != 99)).encode()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)


def once(name: str, work: Path) -> tuple[float, float, int]:
    root = Path(
        shutil.copytree(EXAMPLES / name, work / name, ignore=shutil.ignore_patterns(".kpiboard"))
    )
    cat = load_catalogue(root)
    assert ingest_project(cat).vintage == 1
    [archive] = (root / "data").glob("*.zip")
    _revise(archive)
    started = time.perf_counter()
    assert ingest_project(cat).vintage == 2
    load = time.perf_counter() - started
    with Warehouse.open(cat) as wh:
        started = time.perf_counter()
        news = announcements(cat, wh, 2)
        compare = time.perf_counter() - started
    shutil.rmtree(root)
    return load, compare, len(news)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for name in NAMES:
            runs = [once(name, Path(tmp)) for _ in range(args.runs)]
            load = min(r[0] for r in runs)
            compare = min(r[1] for r in runs)
            print(
                f"{name}: second load {load:.2f} s, announcements {compare:.2f} s "
                f"(+{compare / load:.0%}), {runs[0][2]} announced; "
                f"all runs: loads {', '.join(f'{r[0]:.2f}' for r in runs)}, "
                f"announcements {', '.join(f'{r[1]:.2f}' for r in runs)}"
            )


if __name__ == "__main__":
    main()
