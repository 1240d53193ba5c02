"""Benchmark: `kpiboard ingest` of a tidy CSV against DuckDB's own read_csv, in one process.

Writes a project with ~150,000 observation rows (60 organisations x 25 measures x 100 months)
as 5 CSV files, then times, best of N:

* kpiboard: read and validate every row (``ingest.read_observations``), then the atomic load
  into a fresh DuckDB warehouse (``warehouse.ingest_project`` end to end);
* a reload of the same files (every key replaced);
* DuckDB ``CREATE TABLE AS SELECT * FROM read_csv(...)`` of the same files (no validation).

    .venv/bin/python benchmarks/ingest_csv.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import csv
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import yaml

from kpiboard.catalogue import load_catalogue
from kpiboard.ingest import read_observations
from kpiboard.warehouse import Warehouse, ingest_project

ORGS, MEASURES, MONTHS, FILES = 60, 25, 100, 5


def write_project(root: Path) -> int:
    rng = random.Random(2009)
    (root / "measures").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "kpiboard.yaml").write_text(
        yaml.safe_dump(
            {
                "title": "Ingest benchmark",
                "organisation": "org00",
                "organisations": [
                    {"id": f"org{i:02d}", "name": f"Organisation {i}"} for i in range(ORGS)
                ],
            }
        )
    )
    (root / "measures" / "m.yaml").write_text(
        yaml.safe_dump(
            {
                "measures": [
                    {
                        "id": f"m{j:02d}",
                        "title": f"Measure {j}",
                        "kind": "proportion" if j % 2 else "count",
                    }
                    for j in range(MEASURES)
                ]
            }
        )
    )
    rows = 0
    per_file = MEASURES // FILES
    for f in range(FILES):
        with open(root / "data" / f"part{f}.csv", "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(
                ["org", "measure", "period_end", "months", "numerator", "denominator", "note"]
            )
            for j in range(f * per_file, (f + 1) * per_file):
                for i in range(ORGS):
                    for k in range(MONTHS):
                        y, m = 2001 + k // 12, k % 12 + 1
                        num = rng.randint(50, 400)
                        den = num + rng.randint(0, 600) if j % 2 else ""
                        w.writerow([f"org{i:02d}", f"m{j:02d}", f"{y}-{m:02d}", 1, num, den, ""])
                        rows += 1
    return rows


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmpdir:
        root = Path(tmpdir) / "proj"
        rows = write_project(root)
        cat = load_catalogue(root)
        print(f"{rows:,} rows in {FILES} CSV files; duckdb {duckdb.__version__}")

        t_read = best(lambda: read_observations(cat), args.repeat)

        def fresh() -> None:
            shutil.rmtree(root / ".kpiboard", ignore_errors=True)
            ingest_project(cat)

        t_fresh = best(fresh, args.repeat)
        t_reload = best(lambda: ingest_project(cat), args.repeat)
        with Warehouse.open(cat) as wh:
            assert wh.observations().count().to_pyarrow().as_py() == rows

        def raw() -> None:
            con = duckdb.connect(str(Path(tmpdir) / "raw.duckdb"))
            con.execute("DROP TABLE IF EXISTS obs")
            con.execute(f"CREATE TABLE obs AS SELECT * FROM read_csv('{root}/data/*.csv')")
            con.close()

        t_raw = best(raw, args.repeat)
        for label, t in (
            ("kpiboard read + validate", t_read),
            ("kpiboard ingest, fresh warehouse", t_fresh),
            ("kpiboard ingest, reload (keys replaced)", t_reload),
            ("DuckDB read_csv -> table", t_raw),
        ):
            print(
                f"{label:42s} {t:6.2f}s {rows / t:>10,.0f} rows/s   DuckDB / this = {t_raw / t:.2f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
