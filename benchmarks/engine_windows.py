"""Benchmark: the engine's window computation against hand-written DuckDB SQL and pandas.

Builds a synthetic national cube (43 organisations x 30 measures x 120 months of monthly data,
154,800 rows) in a DuckDB file, then in the same process times, best of N:

* kpiboard: ``warehouse.windows.window_table`` (rolling 1/3/12 months and FYTD sums of every
  statistic, with the same window a year earlier joined), compiled by Ibis, fetched as Arrow;
* hand-written DuckDB SQL computing the same columns;
* pandas computing the same columns (groupby rolling / cumsum / merge);

checks the three agree, and prints the ratios. Then times one organisation's full scorecard
(all 30 measures, ranks among the 43) once the warehouse is loaded. Run by hand:

    .venv/bin/python benchmarks/engine_windows.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import datetime
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


def best(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


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


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        t0 = time.perf_counter()
        data = cube()
        path = tmp / "wh.duckdb"
        raw = duckdb.connect(str(path))
        raw.execute("CREATE TABLE obs AS SELECT * FROM data")
        raw.close()
        print(
            f"cube: {data.num_rows:,} rows ({ORGS} orgs x {MEASURES} measures x {MONTHS} months), "
            f"built and loaded in {time.perf_counter() - t0:.2f}s; duckdb {duckdb.__version__}, ibis {ibis.__version__}"
        )

        con = ibis.duckdb.connect(str(path))
        obs = con.table("obs")
        expr = window_table(obs, 4)
        t_engine, engine_res = best(lambda: expr.to_pyarrow(), args.repeat)

        raw = con.con  # the same DuckDB connection, so both read the same file the same way
        sql = hand_sql(4)
        t_sql, sql_res = best(lambda: raw.sql(sql).to_arrow_table(), args.repeat)

        df = obs.to_pyarrow().to_pandas()
        t_pd, pd_res = best(lambda: with_pandas(df), max(1, args.repeat // 2))

        key = ["org", "measure", "m"]
        cols = [
            "r12_amt",
            "r12_n",
            "r3_pden",
            "fytd_amt",
            "fytd_pnum",
            "prev_r12_amt",
            "prev_fytd_amt",
        ]
        e = engine_res.to_pandas().sort_values(key, ignore_index=True)
        s = sql_res.to_pandas().sort_values(key, ignore_index=True)
        p = pd_res.sort_values(key, ignore_index=True)
        for c in cols:
            np.testing.assert_allclose(
                e[c].to_numpy("float64"), s[c].to_numpy("float64"), rtol=1e-12, equal_nan=True
            )
            np.testing.assert_allclose(
                e[c].to_numpy("float64"), p[c].to_numpy("float64"), rtol=1e-12, equal_nan=True
            )
        print(
            f"results agree on {len(e):,} rows x {len(cols)} checked columns "
            f"({len(e.columns)} columns in all: {len(WINDOWS)} windows x {len(STATS)} statistics, and a year earlier)"
        )
        print(f"{'kpiboard engine (Ibis -> DuckDB -> Arrow)':45s} {t_engine:7.3f}s  1.00")
        print(
            f"{'hand-written DuckDB SQL -> Arrow':45s} {t_sql:7.3f}s  {t_sql / t_engine:4.2f}  (engine / SQL = {t_engine / t_sql:.2f}x)"
        )
        print(
            f"{'pandas groupby/rolling/cumsum/merge':45s} {t_pd:7.3f}s  {t_pd / t_engine:4.2f}  (engine / pandas = {t_engine / t_pd:.2f}x)"
        )
        con.disconnect()

        proj = scorecard_project(tmp / "proj")
        (tmp / "proj" / "wh.duckdb").write_bytes(path.read_bytes())
        cat = load_catalogue(proj)
        con2 = ibis.duckdb.connect(str(tmp / "proj" / "wh.duckdb"))
        obs2 = con2.table("obs")
        t_card, card = best(
            lambda: assemble_scorecard(cat, obs2, parse_month("2009-08"), "org00"), args.repeat
        )
        print(
            f"{'one organisation scorecard (30 KPIs, ranks of 43)':45s} {t_card:7.3f}s  "
            f"({len(card.rows)} rows, {sum(len(r.ranks) for r in card.rows)} ranks)"
        )
        con2.disconnect()
    return 0


if __name__ == "__main__":
    sys.exit(main())
