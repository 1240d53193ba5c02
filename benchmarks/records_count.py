"""What a records measure costs at each report, per row: the count of incident records by
organisation x month x category that ``with_records`` asks the warehouse for (docs/RECORDS.md),
as a hand-written GROUP BY over a synthetic records table, on DuckDB and on a local Spark
session over the same Parquet file, in the same run. For docs/SCALE.md's estimates.

    .venv/bin/python benchmarks/records_count.py [--rows 50000000] [--spark 'local[2]']

43 organisations, 120 months, 14 categories, random rows (written by DuckDB). Prints each
engine's best of 3 and its rows per second per core. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

QUERY = "SELECT org, month, category, count(*) AS n FROM {table} GROUP BY org, month, category"


def best(run: Callable[[], object], times: int = 3) -> float:
    out = []
    for _ in range(times):
        started = time.perf_counter()
        run()
        out.append(time.perf_counter() - started)
    return min(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=50_000_000)
    ap.add_argument("--spark", default="local[2]", help="a Spark master; '' to skip Spark")
    args = ap.parse_args()
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        parquet = Path(tmp) / "records.parquet"
        con = duckdb.connect(str(Path(tmp) / "records.duckdb"))
        con.execute(
            f"""CREATE TABLE records AS SELECT
                'force-' || (random() * 43)::INT AS org,
                (random() * 120)::INT AS month,
                'category-' || (random() * 14)::INT AS category,
                'crime-' || i AS crime_id
            FROM range({args.rows}) t(i)"""
        )
        con.execute(f"COPY records TO '{parquet}' (FORMAT parquet)")
        groups = len(con.execute(QUERY.format(table="records")).fetchall())
        table = best(lambda: con.sql(QUERY.format(table="records")).to_arrow_table())
        scan = best(lambda: con.sql(QUERY.format(table=f"'{parquet}'")).to_arrow_table())
        con.execute("CHECKPOINT")
        sizes = {
            "DuckDB file": (Path(tmp) / "records.duckdb").stat().st_size,
            "Parquet file": parquet.stat().st_size,
        }
        print(f"{args.rows:,} records, {groups:,} groups, {cores} cores")
        for name, size in sizes.items():
            print(f"{name}: {size / 2**20:,.0f} MiB, {size / args.rows:.1f} bytes a record")
        print(f"{'':34} {'best s':>7} {'rows/s/core':>12}")
        for name, seconds in (("DuckDB table", table), ("DuckDB over the Parquet file", scan)):
            print(f"{name:34} {seconds:7.2f} {args.rows / seconds / cores:12,.0f}")
        if args.spark:
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
            from pyspark.sql import SparkSession

            spark = (
                SparkSession.builder.master(args.spark)
                .config("spark.ui.enabled", "false")
                .config("spark.ui.showConsoleProgress", "false")
                .config("spark.sql.shuffle.partitions", "4")
                .config("spark.sql.warehouse.dir", str(Path(tmp) / "spark-warehouse"))
                .getOrCreate()
            )
            spark.sparkContext.setLogLevel("ERROR")
            spark.read.parquet(str(parquet)).createOrReplaceTempView("records")
            sql = QUERY.format(table="records")
            seconds = best(lambda: spark.sql(sql).toArrow())
            assert spark.sql(sql).count() == groups
            used = spark.sparkContext.defaultParallelism
            print(
                f"{'Spark ' + args.spark + ' over the Parquet':34} {seconds:7.2f} "
                f"{args.rows / seconds / used:12,.0f}"
            )
            spark.stop()


if __name__ == "__main__":
    main()
