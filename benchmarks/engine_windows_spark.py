"""Benchmark: the Spark backend on the engine cubes of ``engine_windows.py``, against DuckDB.

The same synthetic cube (``--orgs`` x ``--measures`` x ``--months`` of monthly data) is written
once as a DuckDB table and once as a Parquet file. Then, best of N:

* in this process, the whole cube's windows (``warehouse.windows.window_table``, the same Ibis
  expression) run by DuckDB over its table and by Spark (``--spark MASTER``, e.g. ``local[2]``)
  over the Parquet file, each fetched as Arrow (Spark's own ``toArrow``, as kpiboard's Spark
  warehouse reads, ``spark_store.SparkBackend``). The two results are checked equal, every
  column, on two organisations' rows, before any time is printed. The Spark driver's start
  (kpiboard's ``spark_session``: one JVM a process) is timed on its own, before either;
* one organisation's whole scorecard (``assemble_scorecard``, the code path of
  ``engine_windows.py``'s own scorecard) in a process of its own for each backend, so that each
  peak memory is its own: the Python process's peak resident size and, on Spark, the driver
  JVM's. The two scorecards' JSON are checked equal (floats to 1e-9 relative: the two may sum
  in another order) before their times are printed.

With ``--cli`` instead, the warehouse's own path: the cube as a project of tidy CSV, then
``kpiboard ingest`` once and ``kpiboard report --org org00 --format json`` best of N, on the
project's DuckDB file and on a Spark warehouse (``--warehouse MASTER``), in this process; the
two reports are checked equal before the times are printed.

``--driver-memory 4g`` gives the windows' driver a larger heap than Spark's 1g default (which
the whole cube's windows outgrow at 619,200 rows); the scorecards keep the default.

Ratios are Spark's time over DuckDB's in the same process (windows) or the same sitting
(scorecards). Run by hand, one size at a time (``docs/BENCHMARKS.md``):

    .venv/bin/python benchmarks/engine_windows_spark.py --spark 'local[2]' [--repeat 3]
        [--orgs 43 --measures 30 --months 120] [--driver-memory 4g] [--cli]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb
import engine_windows as ew
import ibis
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import yaml

from kpiboard.assemble import assemble_scorecard
from kpiboard.catalogue import load_catalogue
from kpiboard.periods import parse_month
from kpiboard.render.jsonout import render_json
from kpiboard.render.registry import RenderOptions
from kpiboard.warehouse.windows import window_table

AS_OF = "2009-08"
#: SPARK_DRIVER_MEMORY as this benchmark was started (``--driver-memory`` is the windows' only)
CALLER_HEAP = os.environ.get("SPARK_DRIVER_MEMORY")


def spark_obs(master: str, parquet: Path) -> tuple[Any, Any, float]:
    """kpiboard's Spark session on ``master`` (its start timed), the cube's Parquet file as the
    view ``obs``, and Ibis's PySpark backend as kpiboard's Spark warehouse uses it."""
    from kpiboard.warehouse.spark_session import spark_session, spark_url
    from kpiboard.warehouse.spark_store import SparkBackend

    target = spark_url(master)
    if target is None:
        raise SystemExit(f"not a Spark master: {master} (e.g. local[2])")
    t0 = time.perf_counter()
    session = spark_session(target)
    started = time.perf_counter() - t0
    session.read.parquet(str(parquet)).createOrReplaceTempView("obs")
    ibis.pyspark  # noqa: B018 - loading it the way ibis does registers its options
    backend = SparkBackend().connect(session)
    return session, backend.table("obs"), started


def jvm_peak(session: Any) -> int:
    """The Spark driver JVM's peak resident size in KiB (VmHWM; the JVM PySpark started)."""
    pid = session.sparkContext._gateway.proc.pid
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise KeyError("VmHWM")


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def same_rows(duck: Any, spark: Any) -> int:
    """Assert two samples of the windows are equal, every column (floats to 1e-12 relative);
    the number of columns compared."""
    assert list(duck.columns) == list(spark.columns), (list(duck.columns), list(spark.columns))
    assert len(duck) == len(spark), (len(duck), len(spark))
    for c in duck.columns:
        if not pd.api.types.is_numeric_dtype(duck[c]):
            assert duck[c].tolist() == spark[c].tolist(), c
        else:
            np.testing.assert_allclose(
                duck[c].to_numpy("float64"),
                spark[c].to_numpy("float64"),
                rtol=1e-12,
                equal_nan=True,
                err_msg=c,
            )
    return len(duck.columns)


def windows(duck_path: Path, parquet: Path, master: str, repeat: int) -> tuple[float, float]:
    """The whole cube's windows on DuckDB and on Spark, in this process: prints the Spark
    start, both times and their ratio; returns (DuckDB's time, Spark's time)."""
    con = ibis.duckdb.connect(str(duck_path), read_only=True)
    session, sobs, started = spark_obs(master, parquet)
    heap = session.sparkContext._jvm.java.lang.Runtime.getRuntime().maxMemory() / 2**20
    print(
        f"Spark driver start ({master}, kpiboard's spark_session): {started:.2f}s (once); "
        f"driver heap at most {heap:,.0f} MiB"
    )
    dexpr, sexpr = window_table(con.table("obs"), 4), window_table(sobs, 4)
    t0 = time.perf_counter()
    first = sexpr.to_pyarrow()  # the first query: Spark's code generation and JIT, cold
    t_first = time.perf_counter() - t0
    del first
    # alternately, so that the other work on a shared machine weighs on both alike
    t_duck, t_spark = math.inf, math.inf
    for _ in range(repeat):
        t, d = ew.best(lambda: dexpr.to_pyarrow(), 1, ew.sample)
        t_duck = min(t_duck, t)
        t, s = ew.best(lambda: sexpr.to_pyarrow(), 1, ew.sample)
        t_spark = min(t_spark, t)
    checked = same_rows(d, s)
    print(
        f"results agree on the {len(d):,} rows of {', '.join(ew.SAMPLE_ORGS)} x {checked} "
        f"columns (every column); Spark driver peak so far {jvm_peak(session) / 1024:,.0f} MiB"
    )
    print(f"{'windows: kpiboard engine on DuckDB -> Arrow':50s} {t_duck:8.3f}s  1.00")
    print(
        f"{'windows: the same expression on Spark -> Arrow':50s} {t_spark:8.3f}s  "
        f"{t_spark / t_duck:5.1f}x  (its first run, cold: {t_first:.3f}s)"
    )
    con.disconnect()
    return t_duck, t_spark


def child(proj: Path, master: str | None, repeat: int) -> int:
    """One organisation's scorecard in a process of its own, on DuckDB (``master`` None) or
    Spark: writes its JSON to the project folder and prints the best time, the first, the
    Spark start (0 on DuckDB), this process's resident size before the first scorecard and at
    peak, the driver JVM's peak (0 on DuckDB), rows and ranks."""
    cat = load_catalogue(proj)
    month = parse_month(AS_OF)
    session, started = None, 0.0
    if master is None:
        obs = ibis.duckdb.connect(str(proj / "wh.duckdb"), read_only=True).table("obs")
    else:
        session, obs, started = spark_obs(master, proj / "obs.parquet")

    spent = timed_queries(obs._find_backend())

    def card():
        return assemble_scorecard(cat, obs, month, "org00")

    before = ew.vm("VmRSS")
    t0 = time.perf_counter()
    got = card()
    first = time.perf_counter() - t0
    spent.update(dict.fromkeys(spent, 0.0))  # what follows is the warm scorecards' share
    t_best, got = ew.best(card, repeat)
    name = "duckdb" if master is None else "spark"
    (proj / f"{name}.json").write_bytes(render_json(got, RenderOptions()))
    jvm = 0 if session is None else jvm_peak(session)
    runs = repeat
    print(
        f"{t_best:.4f} {first:.4f} {started:.3f} {before} {ew.vm('VmHWM')} {jvm} "
        f"{len(got.rows)} {sum(len(r.ranks) for r in got.rows)} {spent['queries'] / runs:g} "
        f"{spent['fetch'] / runs:.4f} {spent['compile'] / runs:.4f}"
    )
    return 0


def timed_queries(backend: Any) -> dict[str, float]:
    """Count and time the queries a backend runs (``to_pyarrow``: Ibis compiling, the database
    running and Arrow fetching) and, within them, Ibis compiling: where a scorecard's time goes.
    The backend's own methods are wrapped, on this instance only."""
    spent = {"queries": 0.0, "fetch": 0.0, "compile": 0.0}
    fetch, compile_ = backend.to_pyarrow, backend.compile

    def timed(method: Any, key: str) -> Any:
        def run(*a: Any, **kw: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return method(*a, **kw)
            finally:
                spent[key] += time.perf_counter() - t0
                spent["queries"] += key == "fetch"

        return run

    backend.to_pyarrow, backend.compile = timed(fetch, "fetch"), timed(compile_, "compile")
    return spent


def scorecard_in_child(proj: Path, master: str | None, repeat: int) -> list[str]:
    cmd = [sys.executable, __file__, "--child", str(proj), "--repeat", str(repeat)]
    cmd += ["--spark", "-" if master is None else master]
    # the scorecard's Spark as `kpiboard report` starts it: the driver's heap as the caller's
    env = {k: v for k, v in os.environ.items() if k != "SPARK_DRIVER_MEMORY"}
    env.update({"SPARK_DRIVER_MEMORY": CALLER_HEAP} if CALLER_HEAP else {})
    out = subprocess.run(cmd, check=True, capture_output=True, env=env)
    return out.stdout.decode().split()


def assert_same(a: object, b: object) -> None:
    """The two reports' JSON equal, floats to 1e-9 relative: the tests' own comparison."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from same_json import assert_same as same

    same(a, b)


def scorecards(proj: Path, master: str, repeat: int) -> None:
    """One organisation's scorecard on each backend, each in a process of its own."""
    label = f"one organisation's scorecard ({ew.MEASURES} KPIs, ranks of {ew.ORGS})"
    # DuckDB before and after Spark, its best kept: the other work on a shared machine moves
    runs = {"duckdb": scorecard_in_child(proj, None, repeat)}
    runs["spark"] = scorecard_in_child(proj, master, repeat)
    again = scorecard_in_child(proj, None, repeat)
    runs["duckdb"] = min(runs["duckdb"], again, key=lambda out: float(out[0]))
    reports = {name: json.loads((proj / f"{name}.json").read_text()) for name in runs}
    assert_same(reports["duckdb"], reports["spark"])
    print(f"the two scorecards' JSON agree ({len(reports['spark']['rows'])} rows)")
    t_duck = float(runs["duckdb"][0])
    for name, out in runs.items():
        t_card, first, started, before, hwm, jvm, n_rows, n_ranks, queries, fetch, comp = out
        ratio = float(t_card) / t_duck
        driver = f"; driver JVM peak {int(jvm) / 1024:,.0f} MiB" if name == "spark" else ""
        start = f", Spark start {float(started):.2f}s" if name == "spark" else ""
        print(
            f"{label + ' on ' + name:62s} {float(t_card):7.3f}s  {ratio:5.1f}x (first "
            f"{float(first):.3f}s{start}); {n_rows} rows, {n_ranks} ranks; Python peak "
            f"{int(hwm) / 1024:,.0f} MiB ({(int(hwm) - int(before)) / 1024:,.0f} MiB over its "
            f"{int(before) / 1024:,.0f} MiB before the first){driver}; {queries} queries a "
            f"scorecard, {float(fetch):.3f}s (Ibis compiling {float(comp):.3f}s of it)"
        )


def cube_csv(proj: Path) -> None:
    """The cube as the project's tidy CSV data file (``data:``), for ``kpiboard ingest``."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv

    data = ew.cube().drop_columns(["source"])
    month = pc.strftime(data["period_end"].cast(pa.timestamp("s")), "%Y-%m")
    data = data.set_column(data.schema.get_field_index("period_end"), "period_end", month)
    blank = pa.nulls(data.num_rows, pa.string())  # no month is provisional: left empty
    data = data.set_column(data.schema.get_field_index("provisional"), "provisional", blank)
    (proj / "data").mkdir()
    pcsv.write_csv(data, proj / "data" / "cube.csv")
    config = yaml.safe_load((proj / "kpiboard.yaml").read_text())
    config["data"] = ["data/*.csv"]
    (proj / "kpiboard.yaml").write_text(yaml.safe_dump(config))


def cli(tmp: Path, master: str, repeat: int) -> None:
    """`kpiboard ingest`, then `kpiboard report --org org00 --format json` best of ``repeat``,
    of the cube as a project of tidy CSV, on the project's DuckDB file and on a Spark warehouse
    (``--warehouse MASTER``, the Parquet location in the project), in this process with the
    Spark driver started first. The two reports are checked equal before any time is printed."""
    from typer.testing import CliRunner

    from kpiboard.cli import app
    from kpiboard.warehouse.spark_session import spark_session, spark_url

    def run(args: list[str]) -> tuple[float, str]:
        t0 = time.perf_counter()
        done = CliRunner().invoke(app, args)
        if done.exit_code != 0:
            raise SystemExit(f"kpiboard {' '.join(args)} failed:\n{done.output}")
        return time.perf_counter() - t0, done.stdout

    proj = ew.scorecard_project(tmp / "cli")
    cube_csv(proj)
    target = spark_url(master)
    assert target is not None, master
    t0 = time.perf_counter()
    spark_session(target)
    print(f"Spark driver start ({master}): {time.perf_counter() - t0:.2f}s (once)")
    times, reports = {}, {}
    for name, where in (("duckdb", []), ("spark", ["--warehouse", master])):
        t_ingest, _ = run(["ingest", str(proj), *where])
        report = ["report", str(proj), "--org", "org00", "--as-of", AS_OF, "--format", "json"]
        runs = [run([*report, *where]) for _ in range(repeat)]
        times[name] = (t_ingest, min(t for t, _ in runs), runs[0][0])
        reports[name] = json.loads(runs[0][1])
    assert_same(reports["duckdb"], reports["spark"])
    (di, dr, _), (si, sr, sfirst) = times["duckdb"], times["spark"]
    print(
        f"`report --org org00 --format json`: the two reports agree ({len(reports['spark']['rows'])} rows)"
    )
    print(
        f"kpiboard ingest (tidy CSV): DuckDB {di:.2f}s, Spark {si:.2f}s ({si / di:.1f}x); "
        f"kpiboard report --org: DuckDB {dr:.3f}s, Spark {sr:.3f}s ({sr / dr:.1f}x; "
        f"its first {sfirst:.3f}s)"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--spark", required=True, metavar="MASTER", help="e.g. local[2]")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--orgs", type=int, default=ew.ORGS)
    ap.add_argument("--measures", type=int, default=ew.MEASURES)
    ap.add_argument("--months", type=int, default=ew.MONTHS)
    ap.add_argument("--no-windows", action="store_true", help="only the one-org scorecards")
    ap.add_argument("--no-scorecard", action="store_true", help="only the windows")
    ap.add_argument(
        "--cli",
        action="store_true",
        help="instead: `kpiboard ingest` then `report --org` of the cube as tidy CSV, on DuckDB "
        "and on a Spark warehouse",
    )
    ap.add_argument(
        "--driver-memory",
        metavar="SIZE",
        help="the driver JVM's heap for the whole cube's windows, e.g. 4g (SPARK_DRIVER_MEMORY; "
        "Spark's default is 1g, which they outgrow at 619,200 rows: java.lang.OutOfMemoryError); "
        "the scorecards run with the heap `kpiboard report` would have",
    )
    ap.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    ew.ORGS, ew.MEASURES, ew.MONTHS = args.orgs, args.measures, args.months
    if args.driver_memory:  # read by spark-submit as the JVM starts; not the scorecards'
        os.environ["SPARK_DRIVER_MEMORY"] = args.driver_memory
    if args.child:
        master = None if args.spark == "-" else args.spark
        return child(args.child, master, args.repeat)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        if args.cli:
            print(f"load average {load_average()}")
            cli(tmp, args.spark, args.repeat)
            print(f"load average at the end {load_average()}")
            return 0
        t0 = time.perf_counter()
        data = ew.cube()
        proj = ew.scorecard_project(tmp / "proj")
        raw = duckdb.connect(str(proj / "wh.duckdb"))
        raw.execute("CREATE TABLE obs AS SELECT * FROM data")
        raw.close()
        pq.write_table(data, proj / "obs.parquet")
        rows = data.num_rows
        del data
        print(
            f"cube: {rows:,} rows ({ew.ORGS} orgs x {ew.MEASURES} measures x {ew.MONTHS} "
            f"months), built, loaded and written as Parquet in {time.perf_counter() - t0:.2f}s; "
            f"load average {load_average()}"
        )
        if not args.no_windows:
            windows(proj / "wh.duckdb", proj / "obs.parquet", args.spark, args.repeat)
        if not args.no_scorecard:
            scorecards(proj, args.spark, args.repeat)
        print(f"load average at the end {load_average()}")
        shutil.rmtree(proj)
    return 0


if __name__ == "__main__":
    sys.exit(main())
