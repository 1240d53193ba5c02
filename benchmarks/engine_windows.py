"""Benchmark: the engine's window computation against hand-written DuckDB SQL and pandas.

Builds a synthetic national cube (43 organisations x 30 measures x 120 months of monthly data,
154,800 rows) in a DuckDB file, then in the same process times, best of N:

* kpiboard: ``warehouse.windows.window_table`` (rolling 1/3/12 months and FYTD sums of every
  statistic, with the same window a year earlier joined), compiled by Ibis, fetched as Arrow;
* hand-written DuckDB SQL computing the same columns;
* pandas computing the same columns (groupby rolling / cumsum / merge);

checks the three agree (on two organisations' rows: at the largest sizes a result is
gigabytes), and prints the ratios; the engine and the SQL run in turn, and the median of the
pairs' ratios is printed beside the best-to-best one (on a shared machine it moves less). Then times one organisation's full scorecard (every
measure, ranked among every organisation) in a process of its own, and prints its peak
memory; ``--old`` also times it read as before the scorecard's reads were its own (every
organisation's 49 months of every ranked measure). Sizes by ``--orgs``, ``--measures`` and
``--months``; at the largest, ``--stream`` reads the windows batch by batch (the whole result,
60 columns of every row, would not fit beside the rest) and ``--no-pandas`` skips pandas.
Run by hand:

    .venv/bin/python benchmarks/engine_windows.py [--repeat 5] [--orgs 43 --measures 30]
"""

from __future__ import annotations

import argparse
import datetime
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import yaml

from kpiboard.assemble import assemble_scorecard
from kpiboard.catalogue import load_catalogue
from kpiboard.periods import parse_month
from kpiboard.warehouse.windows import STATS, WINDOWS, window_table

ORGS, MEASURES, MONTHS = 43, 30, 120
START = (2000, 4)


def cube() -> pa.Table:
    rng = np.random.default_rng(2009)
    n = ORGS * MEASURES * MONTHS
    org = np.repeat([f"org{i:02d}" for i in range(ORGS)], MEASURES * MONTHS)
    measure = np.tile(np.repeat([f"m{j:02d}" for j in range(MEASURES)], MONTHS), ORGS)
    months = np.tile(np.arange(MONTHS), ORGS * MEASURES)
    dates = [
        datetime.date(START[0] + (START[1] - 1 + k) // 12, (START[1] - 1 + k) % 12 + 1, 1)
        for k in range(MONTHS)
    ]
    period_end = np.array(dates, dtype="datetime64[D]")[months]
    numerator = rng.poisson(200, n).astype("float64")
    is_prop = np.tile(np.repeat(np.arange(MEASURES) % 2 == 1, MONTHS), ORGS)
    denominator = np.where(is_prop, numerator + rng.poisson(400, n), np.nan)
    return pa.table(
        {
            "org": org,
            "measure": measure,
            "period_end": pa.array(period_end, pa.date32()),
            "months": pa.array(np.ones(n, dtype="int32")),
            "numerator": numerator,
            "denominator": pa.array(denominator, from_pandas=True),
            "value": pa.nulls(n, pa.float64()),
            "sample_size": pa.nulls(n, pa.float64()),
            "provisional": pa.array(np.zeros(n, dtype=bool)),
            "note": pa.nulls(n, pa.string()),
            "source": pa.nulls(n, pa.string()),
        }
    )


def hand_sql(fy_start_month: int = 4) -> str:
    """The same computation, written by hand."""
    frames = {
        "m1": None,
        "r3": "PARTITION BY org, measure ORDER BY m RANGE BETWEEN 2 PRECEDING AND CURRENT ROW",
        "r12": "PARTITION BY org, measure ORDER BY m RANGE BETWEEN 11 PRECEDING AND CURRENT ROW",
        "fytd": "PARTITION BY org, measure, fy ORDER BY m ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW",
    }
    cols = []
    for name, frame in frames.items():
        for stat in STATS:
            if frame is None:
                cols.append(f"{'1' if stat == 'n' else stat} AS {name}_{stat}")
            elif stat == "n":
                cols.append(f"count(m) OVER ({frame}) AS {name}_n")
            elif stat == "prov":
                cols.append(f"max(prov) OVER ({frame}) AS {name}_prov")
            else:
                cols.append(f"sum({stat}) OVER ({frame}) AS {name}_{stat}")
    names = [f"{w}_{s}" for w in frames for s in STATS]
    return f"""
    WITH base AS (
      SELECT org, measure, year(period_end) * 12 + month(period_end) - 1 AS m,
             coalesce(numerator, value) AS amt,
             coalesce(numerator, value / 100.0 * sample_size) AS pnum,
             coalesce(denominator, sample_size) AS pden,
             value AS val, coalesce(sample_size, denominator) AS ss,
             coalesce(provisional, false)::TINYINT AS prov
      FROM obs WHERE months = 1),
    based AS (SELECT *, floor((m - {fy_start_month - 1}) / 12)::BIGINT AS fy FROM base),
    w AS (SELECT org, measure, m, fy, {", ".join(cols)} FROM based)
    SELECT w.*, {", ".join(f"p.{c} AS prev_{c}" for c in names)}
    FROM w LEFT JOIN w AS p ON p.org = w.org AND p.measure = w.measure AND p.m + 12 = w.m
    """


def with_pandas(df: pd.DataFrame, fy_start_month: int = 4) -> pd.DataFrame:
    """The same columns with pandas: a dense org x measure by month grid (so gaps stay gaps),
    rolling sums down the month axis, cumulative sums within financial years, then a merge
    for the year before."""
    d = df[df["months"] == 1]
    pe = pd.to_datetime(d["period_end"])
    b = pd.DataFrame(
        {
            "org": d["org"].to_numpy(),
            "measure": d["measure"].to_numpy(),
            "m": (pe.dt.year * 12 + pe.dt.month - 1).to_numpy(),
            "amt": d["numerator"].fillna(d["value"]).to_numpy(),
            "pnum": d["numerator"].fillna(d["value"] / 100.0 * d["sample_size"]).to_numpy(),
            "pden": d["denominator"].fillna(d["sample_size"]).to_numpy(),
            "val": d["value"].to_numpy(),
            "ss": d["sample_size"].fillna(d["denominator"]).to_numpy(),
            "prov": d["provisional"].fillna(False).astype("int8").to_numpy(),
            "n": 1,
        }
    )
    months = np.arange(b["m"].min(), b["m"].max() + 1)
    fy_of = (months - (fy_start_month - 1)) // 12
    idx = b.set_index(["org", "measure", "m"])
    out = b[["org", "measure", "m"]].copy()
    out["fy"] = (out["m"] - (fy_start_month - 1)) // 12
    pos = pd.MultiIndex.from_frame(out[["org", "measure", "m"]])
    for stat in STATS:
        wide = idx[stat].unstack("m").reindex(columns=months)  # rows: org x measure
        out[f"m1_{stat}"] = idx[stat].to_numpy()
        for name, length in (("r3", 3), ("r12", 12)):
            roll = wide.T.rolling(length, min_periods=1)
            res = (roll.max() if stat == "prov" else roll.sum()).T
            out[f"{name}_{stat}"] = res.stack(future_stack=True).reindex(pos).to_numpy()
        parts = []
        for fy in np.unique(fy_of):
            block = wide.loc[:, months[fy_of == fy]]
            parts.append(block.cummax(axis=1) if stat == "prov" else block.cumsum(axis=1))
        fytd = pd.concat(parts, axis=1)
        out[f"fytd_{stat}"] = fytd.stack(future_stack=True).reindex(pos).to_numpy()
    cols = [c for c in out.columns if c not in ("org", "measure", "m", "fy")]
    prev = out[["org", "measure", "m", *cols]].copy()
    prev["m"] = prev["m"] + 12
    prev.columns = ["org", "measure", "m", *[f"prev_{c}" for c in cols]]
    return out.merge(prev, on=["org", "measure", "m"], how="left")


def _timed(fn, keep) -> tuple[float, object]:
    """One run of ``fn``: its time and ``keep`` of its result (the result itself let go)."""
    t0 = time.perf_counter()
    result = fn()
    took = time.perf_counter() - t0
    kept = keep(result)
    del result
    return took, kept


def best(fn, repeat: int, keep=lambda r: r) -> tuple[float, object]:
    """The best time of ``repeat`` runs of ``fn``, and ``keep`` of its last result (a sample:
    at the largest sizes a result is gigabytes, and two alive at once do not fit)."""
    times, kept = [], None
    for _ in range(repeat):
        took, kept = _timed(fn, keep)
        times.append(took)
    return min(times), kept


def paired(fa, fb, repeat: int, keep=lambda r: r) -> tuple[float, float, float, object, object]:
    """``fa`` and ``fb`` run in turn ``repeat`` times (a shared machine's load then weighs on
    both alike): the best time of each, the median of the ratios a/b of each pair, and ``keep``
    of each one's last result."""
    ta, tb, ka, kb = [], [], None, None
    for _ in range(repeat):
        took, ka = _timed(fa, keep)
        ta.append(took)
        took, kb = _timed(fb, keep)
        tb.append(took)
    ratios = [a / b for a, b in zip(ta, tb, strict=True)]
    return min(ta), min(tb), float(np.median(ratios)), ka, kb


SAMPLE_ORGS = ("org00", "org01")


def sample(table: pa.Table | pd.DataFrame) -> pd.DataFrame:
    """The rows of two organisations, sorted: what the three results are compared on."""
    df = table if isinstance(table, pd.DataFrame) else None
    if df is None:
        import pyarrow.compute as pc

        df = table.filter(pc.is_in(table["org"], pa.array(SAMPLE_ORGS))).to_pandas()
    df = df[df["org"].isin(SAMPLE_ORGS)]
    return df.sort_values(["org", "measure", "m"], ignore_index=True)


def scorecard_project(tmp: Path) -> Path:
    measures = []
    for j in range(MEASURES):
        prop = j % 2 == 1
        measures.append(
            {
                "id": f"m{j:02d}",
                "row": str(j + 1),
                "title": f"Measure {j}",
                "kind": "proportion" if prop else "count",
                "unit": "%" if prop else "",
                "decimals": 1 if prop else 0,
                "window": ["rolling_12", "fytd"][j % 2 == 0 and j % 4 == 0],
                "targets": [{"year": "2009/10", "level": 33.0 if prop else 2400}],
                "ranks": {},
                "facts": ["drop_off", "monthly_average", "range", "forecast"] if not prop else [],
            }
        )
    (tmp / "measures").mkdir(parents=True)
    (tmp / "measures" / "all.yaml").write_text(yaml.safe_dump({"measures": measures}))
    (tmp / "kpiboard.yaml").write_text(
        yaml.safe_dump(
            {
                "title": "Benchmark",
                "organisation": "org00",
                "organisations": [{"id": f"org{i:02d}", "name": f"Org {i}"} for i in range(ORGS)],
                "peer_groups": [{"id": "ew", "name": "All", "members": "all"}],
                "warehouse": "duckdb:///" + str(tmp / "wh.duckdb"),
            }
        )
    )
    return tmp


def streamed(batches) -> pd.DataFrame:
    """The sample's rows of a result read batch by batch (the whole would not fit)."""
    return sample(pa.Table.from_batches([sample_batch(b) for b in batches]))


def sample_batch(batch: pa.RecordBatch) -> pa.RecordBatch:
    import pyarrow.compute as pc

    return batch.filter(pc.is_in(batch["org"], pa.array(SAMPLE_ORGS)))


def vm(field: str) -> int:
    """A figure of this process from /proc/self/status, in KiB (VmHWM: its peak resident size)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def child(proj: Path, repeat: int, old: bool) -> int:
    """One organisation's scorecard in a process of its own, so that its peak memory is its
    own: prints the best time, the first, and the process's resident size before and at peak."""
    from kpiboard.engine.build import build_scorecard
    from kpiboard.engine.needs import scorecard_request
    from kpiboard.warehouse.reads import Observations

    cat = load_catalogue(proj)
    con = ibis.duckdb.connect(str(proj / "wh.duckdb"), read_only=True)
    obs = con.table("obs")
    month = parse_month("2009-08")

    def card():
        if old:  # as before: every organisation's 49 months of every ranked measure, then build
            data = Observations(obs).engine_data(scorecard_request(cat, month, "org00"))
            return build_scorecard(cat, data, month, "org00")
        return assemble_scorecard(cat, obs, month, "org00")

    before = vm("VmRSS")
    t0 = time.perf_counter()
    got = card()
    first = time.perf_counter() - t0
    t_best, got = best(card, repeat)
    print(
        f"{t_best:.4f} {first:.4f} {before} {vm('VmHWM')} {len(got.rows)} "
        f"{sum(len(r.ranks) for r in got.rows)}"
    )
    return 0


def scorecard_in_child(proj: Path, repeat: int, old: bool) -> list[str]:
    cmd = [sys.executable, __file__, "--child", str(proj), "--repeat", str(repeat)]
    out = subprocess.run([*cmd, *(["--old"] if old else [])], check=True, capture_output=True)
    return out.stdout.decode().split()


def main() -> int:
    global ORGS, MEASURES, MONTHS
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--orgs", type=int, default=ORGS)
    ap.add_argument("--measures", type=int, default=MEASURES)
    ap.add_argument("--months", type=int, default=MONTHS)
    ap.add_argument("--no-pandas", action="store_true", help="skip pandas (memory)")
    ap.add_argument("--no-windows", action="store_true", help="only the one-org scorecard")
    ap.add_argument("--old", action="store_true", help="time the scorecard read as before too")
    ap.add_argument(
        "--stream", action="store_true", help="fetch the windows in batches, keeping none (memory)"
    )
    ap.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return child(args.child, args.repeat, args.old)
    ORGS, MEASURES, MONTHS = args.orgs, args.measures, args.months
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        t0 = time.perf_counter()
        data = cube()
        path = tmp / "wh.duckdb"
        raw = duckdb.connect(str(path))
        raw.execute("CREATE TABLE obs AS SELECT * FROM data")
        raw.close()
        rows = data.num_rows
        del data
        print(
            f"cube: {rows:,} rows ({ORGS} orgs x {MEASURES} measures x {MONTHS} months), "
            f"built and loaded in {time.perf_counter() - t0:.2f}s; duckdb {duckdb.__version__}, "
            f"ibis {ibis.__version__}"
        )
        t_engine = None if args.no_windows else windows(path, args)
        proj = scorecard_project(tmp / "proj")
        shutil.copy(path, proj / "wh.duckdb")
        path.unlink()
        label = f"one organisation's scorecard ({MEASURES} KPIs, ranks of {ORGS})"
        runs = [("after", False), *([("before", True)] if args.old else [])]
        for name, old in runs:
            t_card, first, before, hwm, n_rows, n_ranks = scorecard_in_child(proj, args.repeat, old)
            ratio = f"  {float(t_card) / t_engine:.2f} x the cube's windows" if t_engine else ""
            print(
                f"{label + ', ' + name:60s} {float(t_card):7.3f}s (first {float(first):.3f}s){ratio}; "
                f"{n_rows} rows, {n_ranks} ranks; process peak {int(hwm) / 1024:,.0f} MiB "
                f"({(int(hwm) - int(before)) / 1024:,.0f} MiB over its {int(before) / 1024:,.0f} MiB "
                "before the first scorecard)"
            )
    return 0


def windows(path: Path, args: argparse.Namespace) -> float:
    """The whole cube's windows: engine, hand-written SQL and pandas; prints and returns the
    engine's time."""
    con = ibis.duckdb.connect(str(path))
    obs = con.table("obs")
    expr = window_table(obs, 4)
    raw = con.con  # the same DuckDB connection, so both read the same file the same way
    sql = hand_sql(4)
    if args.stream:  # every batch fetched into Arrow, only the sample's rows kept
        # Ibis 12's own batches call an API DuckDB 2 removed: compile with Ibis, read with DuckDB
        t_engine, t_sql, ratio, e, s = paired(
            lambda: streamed(raw.sql(con.compile(expr)).to_arrow_reader()),
            lambda: streamed(raw.sql(sql).to_arrow_reader()),
            args.repeat,
        )
    else:
        t_engine, t_sql, ratio, e, s = paired(
            lambda: expr.to_pyarrow(), lambda: raw.sql(sql).to_arrow_table(), args.repeat, sample
        )
    t_pd, p = None, None
    if not args.no_pandas:
        df = obs.to_pyarrow().to_pandas()
        t_pd, p = best(lambda: with_pandas(df), max(1, args.repeat // 2), sample)
        del df
    cols = ["r12_amt", "r12_n", "r3_pden", "fytd_amt", "fytd_pnum", "prev_r12_amt", "prev_fytd_amt"]
    for other in (s, p):
        if other is None:
            continue
        assert len(other) == len(e)
        for c in cols:
            np.testing.assert_allclose(
                e[c].to_numpy("float64"), other[c].to_numpy("float64"), rtol=1e-12, equal_nan=True
            )
    print(
        f"results agree on the {len(e):,} rows of {', '.join(SAMPLE_ORGS)} x {len(cols)} checked "
        f"columns ({len(e.columns)} columns in all: {len(WINDOWS)} windows x {len(STATS)} "
        "statistics, and a year earlier)"
    )
    print(f"{'kpiboard engine (Ibis -> DuckDB -> Arrow)':45s} {t_engine:7.3f}s  1.00")
    print(
        f"{'hand-written DuckDB SQL -> Arrow':45s} {t_sql:7.3f}s  {t_sql / t_engine:4.2f}  "
        f"(engine / SQL = {t_engine / t_sql:.2f}x best to best; "
        f"{ratio:.2f}x the median of {args.repeat} pairs run in turn)"
    )
    if t_pd is not None:
        print(
            f"{'pandas groupby/rolling/cumsum/merge':45s} {t_pd:7.3f}s  {t_pd / t_engine:4.2f}  "
            f"(engine / pandas = {t_engine / t_pd:.2f}x)"
        )
    con.disconnect()
    return t_engine


if __name__ == "__main__":
    sys.exit(main())
