"""Benchmark: `kpiboard ingest` then `kpiboard report --format json` of each example on a local
Spark warehouse against the default DuckDB file, in one process (docs/SPARK.md).

For each example, best of N, each on a fresh copy of the project:

* DuckDB: ingest into ``.kpiboard/warehouse.duckdb``, then the report (the baseline);
* Spark (``--warehouse local[2]``): the same two commands, with the Spark driver already
  running (its start is timed once, on its own).

It checks the two reports are equal before printing any time.

    .venv/bin/python benchmarks/spark_backend.py [--repeat 3] [--master 'local[2]']
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from typer.testing import CliRunner

from kpiboard.cli import app
from kpiboard.redaction import redact
from kpiboard.warehouse.spark_session import spark_session, spark_url

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = {"met-cpa-2009-10": "2009-08", "england-wales-2017-18": "2018-03"}


def _run(args: list[str]) -> str:
    done = CliRunner().invoke(app, args)
    if done.exit_code != 0:
        raise SystemExit(f"kpiboard {' '.join(args)} failed:\n{done.output}")
    return done.stdout


def _timed(name: str, month: str, where: list[str], base: Path) -> tuple[float, float, str]:
    """(ingest seconds, report seconds, the report) on a fresh copy of the example."""
    root = Path(tempfile.mkdtemp(dir=base)) / name
    shutil.copytree(ROOT / "examples" / name, root, ignore=shutil.ignore_patterns(".kpiboard"))
    started = time.perf_counter()
    _run(["ingest", str(root), *where])
    ingested = time.perf_counter()
    out = _run(["report", str(root), "--as-of", month, "--format", "json", *where])
    return ingested - started, time.perf_counter() - ingested, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--master", default="local[2]")
    args = parser.parse_args()
    target = spark_url(args.master)
    assert target is not None, "not a Spark master: " + redact(args.master)
    started = time.perf_counter()
    spark_session(target)
    print(f"Spark driver start ({target.shown}): {time.perf_counter() - started:.1f} s")
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        for name, month in EXAMPLES.items():
            best: dict[str, tuple[float, float]] = {}
            reports: dict[str, object] = {}
            for label, where in (("duckdb", []), ("spark", ["--warehouse", args.master])):
                runs = [_timed(name, month, where, base) for _ in range(args.repeat)]
                best[label] = (min(r[0] for r in runs), min(r[1] for r in runs))
                reports[label] = json.loads(runs[0][2])
            if reports["spark"] != reports["duckdb"]:
                raise SystemExit(f"{name}: the Spark report differs from DuckDB's")
            (di, dr), (si, sr) = best["duckdb"], best["spark"]
            print(
                f"{name}: ingest DuckDB {di:.2f} s, Spark {si:.2f} s ({si / di:.1f}x); "
                f"report DuckDB {dr:.2f} s, Spark {sr:.2f} s ({sr / dr:.1f}x); reports equal"
            )


if __name__ == "__main__":
    main()
