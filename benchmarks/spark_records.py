"""Benchmark: police.uk street files into a Spark warehouse (``local[2]``) through Spark's own
CSV reader (kpiboard.warehouse.spark_records) against kpiboard's Python reader handing its
checked rows to Spark as Arrow chunks (the path before it), in one process (docs/SPARK.md).

Synthesises a national-ish volume as benchmarks/ingest_police_uk.py does (the real West
Yorkshire files replicated across the 43 forces and successive months; the templates here are
the two months of examples/west-yorkshire-police-uk's zip), starts the Spark driver once (timed
on its own), then, ``--repeat`` times and alternating which goes first, ingests the project
into a fresh Spark location each way, and checks the two record tables hold the same rows (a
count per organisation, month and crime type) before printing any time.

    .venv/bin/python benchmarks/spark_records.py [--rows 3000000] [--repeat 2] [--tmpdir DIR]
        [--driver-memory 3g]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ingest_police_uk as synth  # (the synthesis, shared)

ROOT = Path(__file__).resolve().parents[1]
ZIP = ROOT / "examples" / "west-yorkshire-police-uk" / "data"


def _location(root: Path, name: str) -> None:
    """Point the project's Spark location at a fresh folder ``name``."""
    config = yaml.safe_load((root / "kpiboard.yaml").read_text())
    config["spark_location"] = name
    (root / "kpiboard.yaml").write_text(yaml.safe_dump(config, sort_keys=False))


def _ingest(root: Path, master: str, native: bool, name: str) -> tuple[float, int, object]:
    """(seconds, records, counts per org/month/type) of one ingest into a fresh location."""
    from kpiboard.catalogue import load_catalogue
    from kpiboard.warehouse import Warehouse, ingest_project, spark_records

    _location(root, name)
    cat = load_catalogue(root).with_warehouse(master)
    spark_records.ENABLED = native
    before = spark_records.READ_BY["spark"]
    started = time.perf_counter()
    summary = ingest_project(cat)
    seconds = time.perf_counter() - started
    if (spark_records.READ_BY["spark"] > before) != native:
        raise SystemExit(f"the {'native' if native else 'Python'} path was not taken")
    with Warehouse.open(cat) as wh:
        t = wh.records()
        counts = (
            t.group_by(["org", "period_end", "crime_type"])
            .aggregate(n=t.count())
            .order_by(["org", "period_end", "crime_type"])
            .to_pyarrow()
        )
    shutil.rmtree(root / name, ignore_errors=True)
    return seconds, summary.records, counts


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=3_000_000)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--tmpdir", default=None)
    ap.add_argument(
        "--driver-memory",
        default="3g",
        help="the Spark driver's heap (Spark's default, 1g, is too small for the Python path's "
        "500,000-row Arrow chunks at this volume: it ran out of heap after a Spark-read load)",
    )
    args = ap.parse_args()
    os.environ["PYSPARK_SUBMIT_ARGS"] = f"--driver-memory {args.driver_memory} pyspark-shell"

    from kpiboard.catalogue.orgs import builtin_forces
    from kpiboard.warehouse.spark_session import spark_session, spark_url

    where = Path(args.tmpdir or tempfile.gettempdir())
    forces = [f.force_name for f in builtin_forces()]
    months = max(1, round(args.rows / (len(forces) * synth.ROWS_PER_FILE)))
    with tempfile.TemporaryDirectory(dir=where, prefix="kpiboard-spark-records-") as tmp:
        templates = Path(tmp) / "templates"
        with zipfile.ZipFile(next(ZIP.glob("*.zip"))) as z:
            z.extractall(templates)
        synth.REAL = sorted(templates.rglob("*-street.csv"))
        root = Path(tmp) / "proj"
        (root / "data").mkdir(parents=True)
        synth.write_project(root)
        synth.synthesise(root / "data", args.rows, months, forces)
        size = sum(p.stat().st_size for p in (root / "data").iterdir())
        print(
            f"{args.rows:,} rows: {len(forces)} forces x {months} months, "
            f"{size / 2**20:,.0f} MiB of CSV; {os.cpu_count()} cores, master {args.master}, "
            f"driver heap {args.driver_memory}",
            flush=True,
        )
        target = spark_url(args.master)
        assert target is not None
        started = time.perf_counter()
        spark_session(target)
        print(f"Spark driver start: {time.perf_counter() - started:.1f} s", flush=True)
        times: dict[bool, list[float]] = {True: [], False: []}
        results = {}
        for i in range(args.repeat):
            for native in (True, False) if i % 2 == 0 else (False, True):
                seconds, records, counts = _ingest(root, args.master, native, f"spark-{i}")
                times[native].append(seconds)
                results[native] = (records, counts)
                label = "Spark's reader" if native else "Python reader "
                print(
                    f"  {label} {seconds:7.1f} s  {records / seconds:>10,.0f} rows/s  "
                    f"load {os.getloadavg()[0]:.2f}",
                    flush=True,
                )
        if results[True][0] != results[False][0] or not results[True][1].equals(results[False][1]):
            raise SystemExit("the two paths loaded different records")
        best = {k: min(v) for k, v in times.items()}
        print(
            f"best of {args.repeat}: Spark's reader {best[True]:.1f} s, Python reader "
            f"{best[False]:.1f} s; Python / Spark = {best[False] / best[True]:.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
