"""Benchmark: SPC for a national set of KPIs, kpiboard's vector engine against pandas.

A synthetic, seeded set of 43 organisations × 200 measures × 120 months (8,600 series, 1.03
million points): noise around a level, with a step change in a third of the series, a drift in
a sixth and the odd outlier, so that every rule fires somewhere; a third of the measures are
"decrease is better". In the same process it times, best of N:

* kpiboard ``spc_batch``: the whole matrix in one vector pass (codes per point, icons per row);
* kpiboard ``spc_many``: the same, turned into 8,600 ``SpcResult`` objects;
* kpiboard ``spc`` called once per series (what a caller gets without the batch entry point);
* a straightforward pandas implementation: one long table, ``groupby`` over the series, and a
  per-series function computing the mean, moving ranges, screening, limits and the four rules
  with pandas ``rolling`` windows;

checks that all of them give the same point type at every point and the same variation and
assurance icons, and prints the times and ratios. Run by hand:

    .venv/bin/python benchmarks/spc_bench.py [--repeat 3] [--pandas-repeat 1]
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from kpiboard.engine.spc import (
    ASSURANCES,
    MR_SCREEN,
    POINT_TYPES,
    RUN_POINTS,
    TREND_POINTS,
    TWO_OF_THREE_CLOSE,
    TWO_OF_THREE_WINDOW,
    TWO_SIGMA,
    VARIATIONS,
    XMR_LIMIT,
    spc,
    spc_batch,
    spc_many,
)

ORGS, MEASURES, MONTHS = 43, 200, 120
SEED = 2009


def synthetic() -> tuple[np.ndarray, list[str], np.ndarray]:
    """(values series × months, direction per series, target per series (NaN: none))."""
    rng = np.random.default_rng(SEED)
    n = ORGS * MEASURES
    level = rng.uniform(50, 5000, n)[:, None]
    noise = rng.normal(0, 1, (n, MONTHS)) * level * rng.uniform(0.02, 0.1, n)[:, None]
    kind = rng.integers(0, 6, n)
    t = np.arange(MONTHS)
    step_at = rng.integers(12, MONTHS - 6, n)[:, None]
    step = np.where(
        kind[:, None] < 2, (t >= step_at) * level * rng.uniform(-0.3, 0.3, n)[:, None], 0
    )
    drift = np.where(kind[:, None] == 2, t * level * rng.uniform(-0.003, 0.003, n)[:, None], 0)
    values = np.round(level + noise + step + drift)
    outliers = rng.random((n, MONTHS)) < 0.004
    values = np.where(outliers, values * 1.6, values)
    measure = np.tile(np.arange(MEASURES), ORGS)
    directions = ["decrease" if m % 3 == 0 else "increase" for m in measure]
    targets = np.where(measure % 2 == 0, level[:, 0] * rng.uniform(0.8, 1.2, n), np.nan)
    return values, directions, targets


# --- a straightforward pandas implementation ------------------------------------------------


def _part_of(ends: pd.Series, length: int) -> pd.Series:
    """Points of a window of ``length`` ending at a flagged point: a forward-looking max."""
    return ends[::-1].astype(float).rolling(length, min_periods=1).max()[::-1] > 0


def pandas_point_types(y: pd.Series, direction: int, target: float) -> pd.DataFrame:
    """SPC of one series with pandas: returns point-type codes and the two icon codes."""
    mean = y.mean()
    mr = y.diff().abs()
    amr = mr.mean()
    if amr > 0:
        amr = mr[mr < MR_SCREEN * amr].mean()
    lpl, upl = mean - XMR_LIMIT * amr, mean + XMR_LIMIT * amr
    nlpl, nupl = mean - TWO_SIGMA * amr, mean + TWO_SIGMA * amr
    outside = (y > upl) | (y < lpl)
    rel = np.sign(y - mean)
    close = ~outside & ((y < nlpl) | (y > nupl))
    run = _part_of(rel.rolling(RUN_POINTS).sum().abs() == RUN_POINTS, RUN_POINTS)
    d = y.diff()
    steps = TREND_POINTS - 1
    up_end = (d > 0).astype(float).rolling(steps).sum() == steps
    down_end = (d < 0).astype(float).rolling(steps).sum() == steps
    rising, falling = _part_of(up_end, TREND_POINTS), _part_of(down_end, TREND_POINTS)
    later = np.sign(y.shift(-1) - y)
    trend = np.where(rising & falling, later, rising.astype(int) - falling.astype(int))
    window = (close.astype(float).rolling(TWO_OF_THREE_WINDOW).sum() >= TWO_OF_THREE_CLOSE) & (
        rel.rolling(TWO_OF_THREE_WINDOW).sum().abs() == TWO_OF_THREE_WINDOW
    )
    two = _part_of(window, TWO_OF_THREE_WINDOW) & close
    side = np.select(
        [outside, trend != 0, two, run],
        [np.where(rel == 1, 1, -1), trend, np.where(rel > 0, 1, -1), np.where(rel > 0, 1, -1)],
        0,
    )
    good = side * direction
    ptype = np.select(
        [side == 0, good > 0],
        [POINT_TYPES.index("common_cause"), POINT_TYPES.index("special_cause_improvement")],
        POINT_TYPES.index("special_cause_concern"),
    )
    last, up = ptype[-1], direction > 0
    if last == POINT_TYPES.index("special_cause_improvement"):
        variation = "improvement_high" if up else "improvement_low"
    elif last == POINT_TYPES.index("special_cause_concern"):
        variation = "concern_low" if up else "concern_high"
    else:
        variation = "common_cause"
    if np.isnan(target):
        assurance = -1
    elif target > upl:
        assurance = ASSURANCES.index("consistent_fail" if up else "consistent_pass")
    elif target < lpl:
        assurance = ASSURANCES.index("consistent_pass" if up else "consistent_fail")
    else:
        assurance = ASSURANCES.index("inconsistent")
    return pd.DataFrame(
        {"point_type": ptype, "variation": VARIATIONS.index(variation), "assurance": assurance}
    )


def with_pandas(long: pd.DataFrame) -> pd.DataFrame:
    return long.groupby("series", sort=False).apply(
        lambda g: pandas_point_types(
            g["value"].reset_index(drop=True), int(g["sign"].iat[0]), float(g["target"].iat[0])
        ),
        include_groups=False,
    )


# --- timing -----------------------------------------------------------------------------------


def best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pandas-repeat", type=int, default=1)
    args = parser.parse_args()

    values, directions, targets = synthetic()
    n, m = values.shape
    sign = np.array([1 if d == "increase" else -1 for d in directions])
    print(
        f"{ORGS} organisations × {MEASURES} measures × {MONTHS} months = {n:,} series, {values.size:,} "
        f"points; Python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}"
    )

    t_batch, batch = best(lambda: spc_batch(values, directions, targets=targets), args.repeat)
    t_many, many = best(lambda: spc_many(values, directions, targets=targets), args.repeat)
    t_loop, loop = best(
        lambda: [
            spc(
                values[i],
                direction=directions[i],
                target=None if np.isnan(targets[i]) else float(targets[i]),
            )
            for i in range(n)
        ],
        1,
    )
    long = pd.DataFrame(
        {
            "series": np.repeat(np.arange(n), m),
            "value": values.ravel(),
            "sign": np.repeat(sign, m),
            "target": np.repeat(targets, m),
        }
    )
    t_pd, pd_res = best(lambda: with_pandas(long), args.pandas_repeat)

    # they must agree before any time means anything
    codes = batch.point_type_code
    pd_types = pd_res["point_type"].to_numpy().reshape(n, m)
    assert np.array_equal(codes, pd_types), (
        f"pandas differs at {np.argwhere(codes != pd_types)[:5]}"
    )
    icons = pd_res.groupby(level=0).first()
    assert np.array_equal(batch.variation_code, icons["variation"].to_numpy())
    assert np.array_equal(batch.assurance_code, icons["assurance"].to_numpy())
    for results in (many, loop):
        assert all(
            r.point_type == tuple(POINT_TYPES[c] for c in codes[i]) for i, r in enumerate(results)
        )
        assert [r.variation for r in results] == [VARIATIONS[c] for c in batch.variation_code]

    special = codes != POINT_TYPES.index("common_cause")
    print(
        f"all four agree on every point type and icon; {special.mean():.1%} of points are special "
        f"cause, {np.mean(batch.variation_code != 0):.1%} of latest months"
    )
    print(f"{'implementation':<44}{'time':>10}{'pandas ÷ it':>14}")
    for label, t in (
        ("kpiboard spc_batch (codes, one vector pass)", t_batch),
        ("kpiboard spc_many (8,600 SpcResult objects)", t_many),
        ("kpiboard spc, once per series", t_loop),
        ("pandas: groupby + per-series rolling rules", t_pd),
    ):
        print(f"{label:<44}{t:>9.3f}s{t_pd / t:>13.1f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
