#!/usr/bin/env python3
"""Write the ILLUSTRATIVE observations of the met-cpa-2009-10 example into data/*.csv.

The Metropolitan Police's real monthly data behind its August 2009 "Critical Performance
Areas" report are not published. This script constructs monthly and rolling-year data that
look plausible (seasonal wobble, noise, integer counts) and that reproduce every figure the
published report states when kpiboard's rules are applied (windows, pooling, population
as-of, ranks). It is deterministic: one random.Random(2009), stdlib only.

    python examples/met-cpa-2009-10/generate_data.py [--out DIR]

Each published figure is hit by (1) drawing a series near the right level and then (2)
moving the months that only one window contains until that window's total is exact. The
asserts at the end of each block re-check the figure, so a change here cannot silently break
the example. tests/test_example_data.py recomputes everything independently from the CSVs.

What is real: the measure definitions and targets, the published figures, the force list,
and (scaled) 2011 census ethnic shares. Everything else is made up.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import math
import random
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
HEADER = [
    "org",
    "measure",
    "period_end",
    "months",
    "numerator",
    "denominator",
    "value",
    "sample_size",
    "provisional",
    "note",
]

rng = random.Random(2009)

# The 43 territorial forces of England and Wales, in kpiboard.yaml's order
# (ids as in the team's forces.csv, column data_police_uk_id).
FORCES = [
    "metropolitan",
    "cumbria",
    "lancashire",
    "merseyside",
    "greater-manchester",
    "cheshire",
    "northumbria",
    "durham",
    "north-yorkshire",
    "west-yorkshire",
    "south-yorkshire",
    "humberside",
    "cleveland",
    "west-midlands",
    "staffordshire",
    "west-mercia",
    "warwickshire",
    "derbyshire",
    "nottinghamshire",
    "lincolnshire",
    "leicestershire",
    "northamptonshire",
    "cambridgeshire",
    "norfolk",
    "suffolk",
    "bedfordshire",
    "hertfordshire",
    "essex",
    "thames-valley",
    "hampshire",
    "surrey",
    "kent",
    "sussex",
    "city-of-london",
    "devon-and-cornwall",
    "avon-and-somerset",
    "gloucestershire",
    "wiltshire",
    "dorset",
    "north-wales",
    "gwent",
    "south-wales",
    "dyfed-powys",
]
HOME = "metropolitan"
MSF_PEERS = ["greater-manchester", "west-midlands", "west-yorkshire"]
# City of London is left out of the APACS survey comparisons (tiny resident population).
SURVEY_FORCES = [f for f in FORCES if f != "city-of-london"]
SURVEY_PEERS = [f for f in SURVEY_FORCES if f != HOME]

# 2011 Census usual residents: (all, White), per police force area. Real figures (ONS, Open
# Government Licence v3.0) copied from the redistributed census-2011-ethnic-group-by-police-
# force-area.csv (first count column = total, second = White). Used only to derive the
# illustrative 2001 economically-active minority shares and survey sample mixes below.
CENSUS_2011 = {
    "avon-and-somerset": (1599555, 1491970),
    "bedfordshire": (615061, 476647),
    "cambridgeshire": (804841, 726531),
    "cheshire": (1027709, 995998),
    "city-of-london": (7375, 5799),
    "cleveland": (557227, 526456),
    "cumbria": (499858, 492257),
    "derbyshire": (1018438, 949845),
    "devon-and-cornwall": (1668218, 1627306),
    "dorset": (744041, 714637),
    "durham": (618806, 605364),
    "dyfed-powys": (515114, 504714),
    "essex": (1724950, 1608308),
    "gloucestershire": (596984, 569647),
    "greater-manchester": (2682528, 2248123),
    "gwent": (576754, 554377),
    "hampshire": (1897991, 1771378),
    "hertfordshire": (1116062, 977495),
    "humberside": (917647, 885279),
    "kent": (1727665, 1607681),
    "lancashire": (1460893, 1320035),
    "leicestershire": (1017697, 797704),
    "lincolnshire": (713653, 696484),
    "merseyside": (1381189, 1305303),
    "metropolitan": (8166566, 4881636),
    "norfolk": (857888, 828018),
    "north-wales": (687937, 670704),
    "north-yorkshire": (796427, 769206),
    "northamptonshire": (691952, 632822),
    "northumbria": (1420853, 1343747),
    "nottinghamshire": (1091482, 969501),
    "south-wales": (1283651, 1198458),
    "south-yorkshire": (1343601, 1217653),
    "staffordshire": (1097497, 1032327),
    "suffolk": (728163, 693195),
    "surrey": (1132390, 1023682),
    "sussex": (1606932, 1505433),
    "thames-valley": (2269772, 1919646),
    "warwickshire": (545474, 505688),
    "west-mercia": (1222416, 1176516),
    "west-midlands": (2736460, 1919138),
    "west-yorkshire": (2226058, 1819818),
    "wiltshire": (680137, 642869),
}


def non_white_2011(org: str) -> float:
    total, white = CENSUS_2011[org]
    return 100.0 * (total - white) / total


# --------------------------------------------------------------------------------------------
# months and small helpers
# --------------------------------------------------------------------------------------------


def mi(text: str) -> int:
    """'2009-08' -> a month index (year*12 + month-1)."""
    year, month = text.split("-")
    return int(year) * 12 + int(month) - 1


def ms(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def span(first: str, last: str) -> list[int]:
    return list(range(mi(first), mi(last) + 1))


def total(series: dict[int, int], first: str, last: str) -> int:
    return sum(series[i] for i in span(first, last))


def r1(x: float) -> float:
    """Round half up at 1 dp the way a reader would (values here never sit on .x5 exactly)."""
    return math.floor(x * 10 + 0.5) / 10


def wobble(
    first: str,
    last: str,
    level: float | dict[str, float],
    *,
    amp: float = 0.05,
    peak: int = 7,
    noise: float = 0.03,
    trend: float = 0.0,
    floor: int = 0,
) -> dict[int, int]:
    """Monthly counts around `level` a month: either a number at `first` growing by `trend` a
    year, or anchors {month: level} joined by straight lines (flat beyond the ends); times a
    seasonal cosine of relative amplitude `amp` peaking in calendar month `peak`, times
    (1 + gaussian noise)."""
    out = {}
    start = mi(first)
    points = sorted((mi(k), v) for k, v in level.items()) if isinstance(level, dict) else None
    for i in span(first, last):
        if points is None:
            base = level * (1 + trend) ** ((i - start) / 12)
        elif i <= points[0][0]:
            base = points[0][1]
        elif i >= points[-1][0]:
            base = points[-1][1]
        else:
            (a, va), (b, vb) = next(
                (p, q) for p, q in itertools.pairwise(points) if p[0] <= i <= q[0]
            )
            base = va + (vb - va) * (i - a) / (b - a)
        season = 1 + amp * math.cos(2 * math.pi * ((i % 12 + 1) - peak) / 12)
        out[i] = max(floor, round(base * season * (1 + rng.gauss(0, noise))))
    return out


def rates(den: dict[int, int], rate_of, noise: float = 0.01) -> dict[int, int]:
    """Numerators: den × rate (rate_of(month index) in 0..1, plus gaussian noise), in 0..den."""
    return {
        i: min(d, max(0, round(d * (rate_of(i) + rng.gauss(0, noise))))) for i, d in den.items()
    }


def set_total(
    series: dict[int, int],
    idx: list[int],
    target: int,
    *,
    lo: int | dict[int, int] = 0,
    hi: int | dict[int, int] | None = None,
) -> None:
    """Change the months `idx` (and only those) so that they sum to `target`: the difference
    is spread in proportion to the months' values, then ±1 at a time in a shuffled order,
    keeping each month within [lo, hi]."""
    idx = list(idx)

    def bound(b, i, default):
        if b is None:
            return default
        return b[i] if isinstance(b, dict) else b

    current = sum(series[i] for i in idx)
    diff = target - current
    if diff and current:
        for i in idx:
            step = int(diff * series[i] / current)
            series[i] = min(bound(hi, i, math.inf), max(bound(lo, i, 0), series[i] + step))
    order = idx[:]
    rng.shuffle(order)
    while (diff := target - sum(series[i] for i in idx)) != 0:
        moved = False
        for i in order:
            if diff == 0:
                break
            s = 1 if diff > 0 else -1
            if bound(lo, i, 0) <= series[i] + s <= bound(hi, i, math.inf):
                series[i] += s
                diff -= s
                moved = True
        if not moved:
            raise ValueError(f"cannot make {ms(idx[0])}..{ms(idx[-1])} sum to {target}")


def set_window(
    series: dict[int, int], window: tuple[str, str], target: int, movable: list[int], **bounds
) -> None:
    """Make the window's total `target` by changing only the `movable` months in it."""
    rest = sum(series[i] for i in span(*window) if i not in movable)
    set_total(series, movable, target - rest, **bounds)


# --------------------------------------------------------------------------------------------
# output
# --------------------------------------------------------------------------------------------

OUT: dict[str, list[list[str]]] = defaultdict(list)


def fmt(x) -> str:
    if x is None or x == "":
        return ""
    if isinstance(x, bool):
        return "true" if x else ""
    if isinstance(x, float):
        return f"{x:.1f}"
    return str(x)


def emit(
    file: str,
    org: str,
    measure: str,
    period_end: str | int,
    months: int = 1,
    *,
    numerator=None,
    denominator=None,
    value=None,
    sample_size=None,
    provisional: bool = False,
    note: str = "",
) -> None:
    if isinstance(period_end, int):
        period_end = ms(period_end)
    OUT[file].append(
        [
            org,
            measure,
            period_end,
            str(months),
            fmt(numerator),
            fmt(denominator),
            fmt(value),
            fmt(sample_size),
            "true" if provisional else "",
            note,
        ]
    )


def emit_counts(file: str, org: str, measure: str, series: dict[int, int], **kw) -> None:
    for i in sorted(series):
        emit(file, org, measure, i, numerator=series[i], **kw)


def emit_props(file: str, org: str, measure: str, num: dict[int, int], den: dict[int, int]):
    for i in sorted(den):
        assert 0 <= num[i] <= den[i], (org, measure, ms(i))
        emit(file, org, measure, i, numerator=num[i], denominator=den[i])


def pct(num: dict[int, int], den: dict[int, int], first: str, last: str) -> float:
    return 100.0 * total(num, first, last) / total(den, first, last)


# Windows at as-of Aug-09 (financial year April-March).
R12_AUG09 = ("2008-09", "2009-08")
R12_AUG08 = ("2007-09", "2008-08")
R12_JUL09 = ("2008-08", "2009-07")
R12_JUN09 = ("2008-07", "2009-06")
R12_MAR09 = ("2008-04", "2009-03")
FYTD_09 = ("2009-04", "2009-08")
FYTD_08 = ("2008-04", "2008-08")
FY_0809 = ("2008-04", "2009-03")
R3_JUL09 = ("2009-05", "2009-07")
KEY = {}  # the unrounded figures hit, printed at the end


# --------------------------------------------------------------------------------------------
# population (mid-year estimates, illustrative but near the ONS figures of the time)
# --------------------------------------------------------------------------------------------

POPULATION = {
    "metropolitan": {2006: 7_512_400, 2007: 7_572_600, 2008: 7_633_100, 2009: 7_694_200},
    "greater-manchester": {2006: 2_557_200, 2007: 2_566_100, 2008: 2_575_500, 2009: 2_588_300},
    "west-midlands": {2006: 2_597_300, 2007: 2_609_800, 2008: 2_622_400, 2009: 2_638_700},
    "west-yorkshire": {2006: 2_164_900, 2007: 2_183_000, 2008: 2_200_500, 2009: 2_218_000},
}


def pop(org: str, last_month: str) -> int:
    """The latest mid-year (June) estimate at or before `last_month`."""
    year, month = map(int, last_month.split("-"))
    if month < 6:
        year -= 1
    return POPULATION[org][year]


def per_1000(count: int, org: str, last_month: str) -> float:
    return count / pop(org, last_month) * 1000


def rank(values: dict[str, float], org: str, lower_is_better: bool) -> int:
    mine = values[org]
    better = [v for v in values.values() if (v < mine if lower_is_better else v > mine)]
    return 1 + len(better)


for org, by_year in POPULATION.items():
    for year, people in by_year.items():
        emit(
            "population.csv",
            org,
            "population",
            f"{year}-06",
            value=people,
            note="mid-year estimate (illustrative)",
        )

# 6b's denominator: minority-ethnic share of the economically active population, 2001 census.
# Illustrative: each force's 2011 non-White share scaled by one factor chosen so that the MPS
# gets the 25.0% its report implies (14.9% recruits = 0.6 : 1; 20% target = 0.8 : 1).
ECON_SCALE = 25.0 / non_white_2011(HOME)
ECON_SHARE = {f: max(0.5, r1(non_white_2011(f) * ECON_SCALE)) for f in FORCES}
ECON_SHARE[HOME] = 25.0
for f in FORCES:
    emit(
        "population.csv",
        f,
        "econ_active_minority_share",
        "2001-04",
        value=ECON_SHARE[f],
        note="2001 census economically active (illustrative: scaled 2011 census share)",
    )


# --------------------------------------------------------------------------------------------
# 1a, 1b, 2c (BCS): 12-month estimates to Mar-09 for the 42 forces other than City of London
# --------------------------------------------------------------------------------------------


def bcs_sample(org: str) -> int:
    return rng.randint(3900, 4200) if org == HOME else rng.randint(900, 1150)


def survey_league(
    mps_value: float, above: int, msf_above: int, lo: float, hi: float, step_gap: float = 0.1
) -> dict[str, float]:
    """Values (1 dp) for the 41 survey peers so that exactly `above` of them beat the MPS
    (higher is better), `msf_above` of those being MSF peers; no ties with the MPS."""
    peers = SURVEY_PEERS[:]
    msf_up = rng.sample(MSF_PEERS, msf_above)
    others = [p for p in peers if p not in MSF_PEERS]
    up = set(msf_up) | set(rng.sample(others, above - msf_above))
    out = {}
    for p in peers:
        if p in up:
            out[p] = r1(rng.uniform(mps_value + step_gap, hi))
        else:
            out[p] = r1(rng.uniform(lo, mps_value - step_gap))
    assert sum(v > mps_value for v in out.values()) == above
    return out


def write_bcs(measure: str, mps_now: float, mps_before: float | None, league: dict, note: str):
    if mps_before is not None:
        emit(
            "surveys.csv",
            HOME,
            measure,
            "2008-03",
            12,
            value=mps_before,
            sample_size=bcs_sample(HOME),
            note="BCS 12 months to Mar-08",
        )
    emit(
        "surveys.csv",
        HOME,
        measure,
        "2009-03",
        12,
        value=mps_now,
        sample_size=bcs_sample(HOME),
        note=note,
    )
    for p in SURVEY_PEERS:
        emit(
            "peers-surveys.csv",
            p,
            measure,
            "2009-03",
            12,
            value=league[p],
            sample_size=bcs_sample(p),
            note=note,
        )
    values = dict(league, **{HOME: mps_now})
    KEY[measure] = (
        mps_now,
        rank(values, HOME, False),
        len(values),
        rank({k: values[k] for k in [HOME, *MSF_PEERS]}, HOME, False),
    )


asb = survey_league(49.3, above=13, msf_above=1, lo=40.5, hi=55.0)
write_bcs("confidence_asb", 49.3, 46.1, asb, "BCS 12 months to Mar-09")
assert KEY["confidence_asb"][1:] == (14, 42, 2)

good_job = survey_league(55.1, above=13, msf_above=0, lo=46.0, hi=62.0)
write_bcs("confidence_good_job", 55.1, 52.8, good_job, "BCS 12 months to Mar-09")
assert KEY["confidence_good_job"][1:] == (14, 42, 1)

respect = survey_league(78.4, above=40, msf_above=3, lo=76.5, hi=88.0, step_gap=0.6)
write_bcs("respect_bcs", 78.4, None, respect, "BCS 12 months to Mar-09")
assert KEY["respect_bcs"][1:] == (41, 42, 4)


# --------------------------------------------------------------------------------------------
# 2a, 2b: MPS User Satisfaction Survey, monthly Apr-07..Jun-09, split white / BME / unknown
# --------------------------------------------------------------------------------------------

USS = span("2007-04", "2009-06")
w_den = {i: round(rng.gauss(750, 22)) for i in USS}
b_den = {i: round(rng.gauss(340, 16)) for i in USS}
u_den = {
    i: min(1500 - w_den[i] - b_den[i], max(1300 - w_den[i] - b_den[i], round(rng.gauss(300, 30))))
    for i in USS
}


def by_period(fy0708: float, q1_08: float, jul08_mar09: float, q1_09: float):
    """A rate (0..1) for each stretch of the USS series."""

    def rate_of(i: int) -> float:
        if i < mi("2008-04"):
            return fy0708
        if i < mi("2008-07"):
            return q1_08
        if i < mi("2009-04"):
            return jul08_mar09
        return q1_09

    return rate_of


w_num = rates(w_den, by_period(0.786, 0.796, 0.792, 0.785), noise=0.012)
b_num = rates(b_den, by_period(0.728, 0.744, 0.739, 0.724), noise=0.018)
u_num = rates(u_den, by_period(0.765, 0.775, 0.772, 0.765), noise=0.02)

# 12 months to Jun-09: white 79.0x, BME 73.5x, gap 5.5 (also from the rounded parts), gap
# minus the 3.8 target 1.7, margin of error 1.6 and below that shortfall. Only Apr-Jun 09
# are moved (they are in this window and not in 2008/09).
DW, DB = total(w_den, *R12_JUN09), total(b_den, *R12_JUN09)
set_window(w_num, R12_JUN09, round(0.7902 * DW), span("2009-04", "2009-06"), hi=w_den)
pw = total(w_num, *R12_JUN09) / DW
set_window(b_num, R12_JUN09, round((pw - 0.0551) * DB), span("2009-04", "2009-06"), hi=b_den)
pb = total(b_num, *R12_JUN09) / DB
gap = 100 * (pw - pb)
moe = 196 * math.sqrt(pw * (1 - pw) / DW + pb * (1 - pb) / DB)
assert r1(gap) == 5.5 and abs(r1(100 * pw) - r1(100 * pb) - 5.5) < 1e-9, (pw, pb)
assert r1(gap - 3.8) == 1.7 and r1(moe) == 1.6 and moe < gap - 3.8, (gap, moe)
KEY["satisfaction_gap Jun-09"] = dict(
    white=100 * pw, bme=100 * pb, gap=gap, moe=moe, n_white=DW, n_bme=DB
)
# 2008/09: a slightly smaller gap (5.1), by moving BME Apr-Jun 08 (in 2008/09 only).
fy_pw = total(w_num, *FY_0809) / total(w_den, *FY_0809)
set_window(
    b_num,
    FY_0809,
    round((fy_pw - 0.0510) * total(b_den, *FY_0809)),
    span("2008-04", "2008-06"),
    hi=b_den,
)
gap_fy = 100 * (
    total(w_num, *FY_0809) / total(w_den, *FY_0809)
    - total(b_num, *FY_0809) / total(b_den, *FY_0809)
)
assert r1(gap_fy) == 5.1, gap_fy
KEY["satisfaction_gap 2008/09"] = gap_fy

# Overall satisfaction = white + BME + ethnicity unknown. Hit 2008/09 = 77.7 by moving the
# unknowns in Apr-Jun 08 (2008/09 only), then 12 months to Jun-09 = 77.3 via Apr-Jun 09.
o_den = {i: w_den[i] + b_den[i] + u_den[i] for i in USS}


def overall_num() -> dict[int, int]:
    return {i: w_num[i] + b_num[i] + u_num[i] for i in USS}


d = total(o_den, *FY_0809)
need = round(0.7772 * d) - total(overall_num(), *FY_0809)
set_total(u_num, span("2008-04", "2008-06"), total(u_num, "2008-04", "2008-06") + need, hi=u_den)
d = total(o_den, *R12_JUN09)
need = round(0.7732 * d) - total(overall_num(), *R12_JUN09)
set_total(u_num, span("2009-04", "2009-06"), total(u_num, "2009-04", "2009-06") + need, hi=u_den)
o_num = overall_num()
us_r12, us_fy = pct(o_num, o_den, *R12_JUN09), pct(o_num, o_den, *FY_0809)
assert r1(us_r12) == 77.3 and r1(us_fy) == 77.7, (us_r12, us_fy)
assert all(1300 <= o_den[i] <= 1500 for i in USS)
assert all(0.70 < u_num[i] / u_den[i] < 0.85 for i in USS), "unknown-ethnicity rate implausible"
KEY["user_satisfaction"] = dict(r12_jun09=us_r12, fy0809=us_fy)

emit_props("surveys.csv", HOME, "user_satisfaction", o_num, o_den)
emit_props("surveys.csv", HOME, "satisfaction_white", w_num, w_den)
emit_props("surveys.csv", HOME, "satisfaction_bme", b_num, b_den)

# Peers: 12-month USS estimates to Jun-09 (overall, white, BME) for the 41 other forces.
# The BME share of respondents follows the area's 2011 non-White share. The peers' gaps are
# shifted together until the pooled England & Wales gap (MPS included) is 5.7.
uss_n = {p: rng.randint(1000, 1500) for p in SURVEY_PEERS}
uss_nb = {
    p: max(12, round(uss_n[p] * min(0.35, 1.25 * non_white_2011(p) / 100))) for p in SURVEY_PEERS
}
uss_nu = {p: round(uss_n[p] * rng.uniform(0.02, 0.05)) for p in SURVEY_PEERS}
uss_nw = {p: uss_n[p] - uss_nb[p] - uss_nu[p] for p in SURVEY_PEERS}
uss_white = {p: r1(rng.uniform(80.0, 86.0)) for p in SURVEY_PEERS}
uss_gap_noise = {p: rng.gauss(0, 1.6) for p in SURVEY_PEERS}
mps_w = (total(w_num, *R12_JUN09), DW)
mps_b = (total(b_num, *R12_JUN09), DB)


def pooled(values: dict[str, float], n: dict[str, int], mps: tuple[int, int]) -> float:
    sat = sum(values[p] / 100 * n[p] for p in SURVEY_PEERS) + mps[0]
    return 100 * sat / (sum(n[p] for p in SURVEY_PEERS) + mps[1])


def peers_bme(shift: float) -> dict[str, float]:
    return {p: r1(uss_white[p] - shift - uss_gap_noise[p]) for p in SURVEY_PEERS}


pooled_white = pooled(uss_white, uss_nw, mps_w)
lo_s, hi_s = 0.0, 15.0
for _ in range(60):  # bisection on the common shift
    mid = (lo_s + hi_s) / 2
    if pooled_white - pooled(peers_bme(mid), uss_nb, mps_b) < 5.70:
        lo_s = mid
    else:
        hi_s = mid
uss_bme = peers_bme((lo_s + hi_s) / 2)
by_bme_n = sorted(SURVEY_PEERS, key=lambda p: (-uss_nb[p], p))
for step in range(200):  # then 0.1-pt nudges until exact from both sides
    ew_gap = pooled_white - pooled(uss_bme, uss_nb, mps_b)
    ew_gap_rounded_parts = r1(pooled_white) - r1(pooled(uss_bme, uss_nb, mps_b))
    if abs(ew_gap - 5.70) <= 0.03 and abs(ew_gap_rounded_parts - 5.7) < 1e-9:
        break
    p = by_bme_n[step % 10]
    uss_bme[p] = r1(uss_bme[p] + (0.1 if ew_gap > 5.70 else -0.1))
else:
    raise AssertionError("could not hit the pooled E&W gap")
KEY["satisfaction_gap E&W pooled"] = dict(
    white=pooled_white, bme=pooled(uss_bme, uss_nb, mps_b), gap=ew_gap
)

uss_overall = {}
for p in SURVEY_PEERS:
    unknown = uss_white[p] - rng.uniform(0.5, 2.5)
    uss_overall[p] = r1(
        (uss_nw[p] * uss_white[p] + uss_nb[p] * uss_bme[p] + uss_nu[p] * unknown) / uss_n[p]
    )
assert min(uss_overall.values()) >= 78.0, "the MPS must be last in E&W"
for p in SURVEY_PEERS:
    note = "USS 12 months to Jun-09"
    emit(
        "peers-surveys.csv",
        p,
        "user_satisfaction",
        "2009-06",
        12,
        value=uss_overall[p],
        sample_size=uss_n[p],
        note=note,
    )
    emit(
        "peers-surveys.csv",
        p,
        "satisfaction_white",
        "2009-06",
        12,
        value=uss_white[p],
        sample_size=uss_nw[p],
        note=note,
    )
    emit(
        "peers-surveys.csv",
        p,
        "satisfaction_bme",
        "2009-06",
        12,
        value=uss_bme[p],
        sample_size=uss_nb[p],
        note=note,
    )

# 2c: MPS Public Attitude Survey, monthly Apr-07..Jun-09; 12 months to Jun-09 = 77.2 -> 77%.
pas_den = {i: round(rng.gauss(1700, 60)) for i in USS}
pas_num = rates(pas_den, lambda i: 0.765 if i < mi("2008-07") else 0.772, noise=0.012)
set_window(
    pas_num,
    R12_JUN09,
    round(0.7720 * total(pas_den, *R12_JUN09)),
    span("2009-04", "2009-06"),
    hi=pas_den,
)
respect_r12 = pct(pas_num, pas_den, *R12_JUN09)
assert round(respect_r12) == 77 and abs(respect_r12 - 77.2) < 0.05
KEY["respect_pas"] = respect_r12
emit_props("surveys.csv", HOME, "respect_pas", pas_num, pas_den)


# --------------------------------------------------------------------------------------------
# 3a: most serious violence and MSV + assault with injury (monthly counts)
# --------------------------------------------------------------------------------------------

CRIME_MPS = ("2006-04", "2009-08")
CRIME_PEERS = ("2006-04", "2009-07")  # iQuanta: a month behind

msv = {HOME: wobble(*CRIME_MPS, 1460, amp=0.06, peak=7, noise=0.03, trend=-0.01)}
msv[HOME] = {i: min(1600, max(1300, v)) for i, v in msv[HOME].items()}
set_total(msv[HOME], span(*FYTD_09), round(total(msv[HOME], *FYTD_08) * 1.005), lo=1300, hi=1600)
msv_change = 100 * (total(msv[HOME], *FYTD_09) / total(msv[HOME], *FYTD_08) - 1)
assert r1(msv_change) == 0.5

# AWI here means MSV + assault with injury (the child measure includes MSV).
awi_only = {HOME: wobble(*CRIME_MPS, 3600, amp=0.07, peak=7, noise=0.025)}
awi = {HOME: {i: msv[HOME][i] + awi_only[HOME][i] for i in msv[HOME]}}
set_total(
    awi[HOME],
    span(*FYTD_09),
    round(total(awi[HOME], *FYTD_08) * 1.017),
    lo={i: msv[HOME][i] + 2500 for i in awi[HOME]},
)
awi_change = 100 * (total(awi[HOME], *FYTD_09) / total(awi[HOME], *FYTD_08) - 1)
assert r1(awi_change) == 1.7

PEER_MSV = {"greater-manchester": 340, "west-midlands": 310, "west-yorkshire": 205}
PEER_AWI = {"greater-manchester": 1650, "west-midlands": 1120, "west-yorkshire": 850}
for p in MSF_PEERS:
    msv[p] = wobble(*CRIME_PEERS, PEER_MSV[p], amp=0.07, peak=7, noise=0.05)
    extra = wobble(*CRIME_PEERS, PEER_AWI[p], amp=0.07, peak=7, noise=0.03)
    awi[p] = {i: msv[p][i] + extra[i] for i in msv[p]}

msv_rate = {o: per_1000(total(msv[o], *R3_JUL09), o, "2009-07") for o in msv}
awi_rate = {o: per_1000(total(awi[o], *R3_JUL09), o, "2009-07") for o in awi}
assert rank(msv_rate, HOME, True) == 4 and rank(awi_rate, HOME, True) == 3, (msv_rate, awi_rate)
KEY["msv"] = dict(fytd_change=msv_change, msf_rate_3m=msv_rate)
KEY["msv_awi"] = dict(fytd_change=awi_change, msf_rate_3m=awi_rate)


# --------------------------------------------------------------------------------------------
# 3b: knife crime per 1,000, 12 months to Aug-09 against 12 months to Aug-08: -11.9%
# --------------------------------------------------------------------------------------------

knife = {
    HOME: wobble(
        *CRIME_MPS,
        {"2006-04": 1175, "2007-06": 1185, "2008-02": 1165, "2009-02": 1035},
        amp=0.05,
        peak=10,
        noise=0.035,
    )
}


def knife_ok(k0: int, k1: int) -> bool:
    """-11.9% from the unrounded rates and from the rates rounded to 2 dp, neither near a
    rounding edge."""
    a, b = k0 / pop(HOME, "2008-08") * 1000, k1 / pop(HOME, "2009-08") * 1000
    exact = 100 * (b / a - 1)
    rounded = 100 * (round(b, 2) / round(a, 2) - 1)
    edge = min(abs(a * 100 % 1 - 0.5), abs(b * 100 % 1 - 0.5))
    return abs(exact + 11.9) < 0.04 and abs(rounded + 11.9) < 0.045 and edge > 0.1


k0 = 13950  # about 1,160 a month in the year to Aug-08
best = min(
    (abs(dk0) + abs(k1 - round(k0 * 0.889)), k0 + dk0, k1)
    for dk0 in range(-300, 301)
    for k1 in range(round((k0 + dk0) * 0.875), round((k0 + dk0) * 0.895))
    if knife_ok(k0 + dk0, k1)
)
_, k0_target, k1_target = best
set_total(knife[HOME], span(*R12_AUG08), k0_target, lo=900, hi=1400)
set_total(knife[HOME], span(*R12_AUG09), k1_target, lo=850, hi=1250)
knife_a = per_1000(total(knife[HOME], *R12_AUG08), HOME, "2008-08")
knife_b = per_1000(total(knife[HOME], *R12_AUG09), HOME, "2009-08")
knife_change = 100 * (knife_b / knife_a - 1)
assert r1(knife_change) == -11.9

PEER_KNIFE = {"greater-manchester": 270, "west-midlands": 330, "west-yorkshire": 165}
for p in MSF_PEERS:
    knife[p] = wobble(
        "2007-04", "2009-03", PEER_KNIFE[p], amp=0.05, peak=10, noise=0.06, trend=-0.04
    )
knife_mar09 = {o: per_1000(total(knife[o], *R12_MAR09), o, "2009-03") for o in knife}
assert rank(knife_mar09, HOME, True) == 4
KEY["knife_crime"] = dict(
    rate_aug08=knife_a, rate_aug09=knife_b, change=knife_change, msf_rate_mar09=knife_mar09
)


# --------------------------------------------------------------------------------------------
# 3c, 3d: sanction detection rates
# --------------------------------------------------------------------------------------------

msv_sd = {HOME: rates(msv[HOME], lambda i: 0.305 if i < mi("2008-04") else 0.318, noise=0.02)}
set_total(msv_sd[HOME], span(*FYTD_09), round(0.3230 * total(msv[HOME], *FYTD_09)), hi=msv[HOME])
msv_sd_fytd = pct(msv_sd[HOME], msv[HOME], *FYTD_09)
assert round(msv_sd_fytd) == 32 and msv_sd_fytd >= 32.0

PEER_MSV_SD = {"greater-manchester": 0.40, "west-midlands": 0.37, "west-yorkshire": 0.43}
for p in MSF_PEERS:
    msv_sd[p] = rates(msv[p], lambda i, r=PEER_MSV_SD[p]: r, noise=0.03)
msv_sd_jul = {o: pct(msv_sd[o], msv[o], *R12_JUL09) for o in msv_sd}
assert rank(msv_sd_jul, HOME, False) == 4
KEY["msv_sd_rate"] = dict(fytd=msv_sd_fytd, msf_r12_jul09=msv_sd_jul)

sso = {HOME: wobble(*CRIME_MPS, 275, amp=0.06, peak=7, noise=0.05)}
sso[HOME] = {i: min(300, max(250, v)) for i, v in sso[HOME].items()}


def sso_rate(i: int) -> float:
    if i < mi("2008-09"):
        return 0.29
    if i < mi("2009-04"):
        return 0.31
    return 0.24


sso_sd = {HOME: rates(sso[HOME], sso_rate, noise=0.03)}
set_total(sso_sd[HOME], span(*FYTD_09), round(0.2370 * total(sso[HOME], *FYTD_09)), hi=sso[HOME])
r12_target = round(0.2810 * total(sso[HOME], *R12_AUG09))
set_total(
    sso_sd[HOME],
    span("2008-09", "2009-03"),
    r12_target - total(sso_sd[HOME], *FYTD_09),
    hi=sso[HOME],
)
sso_r12 = pct(sso_sd[HOME], sso[HOME], *R12_AUG09)
sso_fytd = pct(sso_sd[HOME], sso[HOME], *FYTD_09)
assert r1(sso_r12) == 28.1 and r1(sso_fytd) == 23.7, (sso_r12, sso_fytd)

PEER_SSO = {"greater-manchester": 110, "west-midlands": 95, "west-yorkshire": 80}
PEER_SSO_SD = {"greater-manchester": 0.33, "west-midlands": 0.235, "west-yorkshire": 0.36}
for p in MSF_PEERS:
    sso[p] = wobble(*CRIME_PEERS, PEER_SSO[p], amp=0.06, peak=7, noise=0.08)
    sso_sd[p] = rates(sso[p], lambda i, r=PEER_SSO_SD[p]: r, noise=0.04)
sso_jul = {o: pct(sso_sd[o], sso[o], *R12_JUL09) for o in sso}
assert rank(sso_jul, HOME, False) == 3
KEY["sso_sd_rate"] = dict(r12_aug09=sso_r12, fytd=sso_fytd, msf_r12_jul09=sso_jul)


# --------------------------------------------------------------------------------------------
# 4a: serious acquisitive crime = residential burglary + robbery + motor vehicle crime
# --------------------------------------------------------------------------------------------

# (published change over the rolling year to Aug-09, published % change) -> prior year total
SAC_CHANGE = {"res_burglary": (1573, 2.6), "robbery": (-1527, -4.4), "mv_crime": (-10748, -9.3)}
SAC_SHAPE = {
    "res_burglary": dict(amp=0.08, peak=12, noise=0.03),
    "robbery": dict(amp=0.07, peak=11, noise=0.035),
    "mv_crime": dict(amp=0.05, peak=11, noise=0.025),
}
SAC_2006 = {"res_burglary": 1.01, "robbery": 1.04, "mv_crime": 1.07}
sac = {m: {} for m in SAC_CHANGE}
for m, (change, percent) in SAC_CHANGE.items():
    prior = round(change / (percent / 100))
    # level: a little higher in 2006/07 (crime was falling), then the two rolling years
    series = wobble(
        *CRIME_MPS,
        {
            "2006-10": prior / 12 * SAC_2006[m],
            "2008-02": prior / 12,
            "2009-02": (prior + change) / 12,
        },
        **SAC_SHAPE[m],
    )
    set_total(series, span(*R12_AUG08), prior)
    set_total(series, span(*R12_AUG09), prior + change)
    sac[m][HOME] = series
    a, b = total(series, *R12_AUG08), total(series, *R12_AUG09)
    assert b - a == change and r1(100 * (b / a - 1)) == percent
    KEY[m] = dict(r12_aug08=a, r12_aug09=b, change=b - a, percent=100 * (b / a - 1))
sac_a = sum(total(sac[m][HOME], *R12_AUG08) for m in sac)
sac_b = sum(total(sac[m][HOME], *R12_AUG09) for m in sac)
sac_change = 100 * (sac_b / sac_a - 1)
assert r1(sac_change) == -5.1

PEER_SAC = {  # monthly levels: burglary, robbery, MV crime
    "greater-manchester": (1480, 420, 2750),
    "west-midlands": (1150, 560, 2350),
    "west-yorkshire": (1300, 190, 2250),
}
for p in MSF_PEERS:
    for m, level in zip(SAC_CHANGE, PEER_SAC[p], strict=True):
        sac[m][p] = wobble(*CRIME_PEERS, level, trend=-0.04, **SAC_SHAPE[m])
sac_jul = {
    o: per_1000(sum(total(sac[m][o], *R12_JUL09) for m in sac), o, "2009-07")
    for o in [HOME, *MSF_PEERS]
}
assert rank(sac_jul, HOME, True) == 4
KEY["serious_acquisitive"] = dict(
    r12_aug08=sac_a, r12_aug09=sac_b, change=sac_change, msf_rate_jul09=sac_jul
)

for o in [HOME, *MSF_PEERS]:
    file = "crime.csv" if o == HOME else "peers-crime.csv"
    emit_counts(file, o, "msv", msv[o])
    emit_counts(file, o, "msv_awi", awi[o])
    emit_counts(file, o, "knife_crime", knife[o])
    for m in sac:
        emit_counts(file, o, m, sac[m][o])
    file = "sanction-detections.csv" if o == HOME else "peers-sanction-detections.csv"
    emit_props(file, o, "msv_sd_rate", msv_sd[o], msv[o])
    emit_props(file, o, "sso_sd_rate", sso_sd[o], sso[o])


# --------------------------------------------------------------------------------------------
# 4b networks disrupted, 4c assets recovered, 4d Class A drugs trafficking SDs
# --------------------------------------------------------------------------------------------

OPS = ("2007-04", "2009-08")
networks = wobble(*OPS, 33, amp=0.08, peak=3, noise=0.12)
set_total(networks, span("2008-09", "2009-03"), 386 - 159, lo=20)
set_total(networks, span(*FYTD_09), 159, lo=20)
assert total(networks, *R12_AUG09) == 386 and total(networks, *FYTD_09) == 159
emit_counts("operations.csv", HOME, "networks_disrupted", networks)

# Assets recovered in tenths of £m, so every sum is exact at 1 dp.
assets = {i: rng.randint(22, 48) for i in span(*OPS)}
assets[mi("2008-08")] = 120  # Aug-08: £12.0m, drops out this month
assets[mi("2009-08")] = 19  # Aug-09: £1.9m
low = rng.choice(span("2009-04", "2009-07"))  # the year's lowest month: £1.3m
high = rng.choice(span("2008-10", "2009-02"))  # and its highest: £9.6m
assets[low], assets[high] = 13, 96
rest_q = [i for i in span("2009-04", "2009-07") if i != low]
rest_w = [i for i in span("2008-09", "2009-03") if i != high]
for idx, want in ((rest_q, 130 - 13 - 19), (rest_w, 438 - 130 - 96)):
    set_total(assets, idx, want, lo=15, hi=90)
year = [assets[i] for i in span(*R12_AUG09)]
assert sum(year) == 438 and total(assets, *FYTD_09) == 130 and assets[mi("2008-08")] == 120
assert min(year) == 13 and max(year) == 96 and year.count(13) == 1 and year.count(96) == 1
for i in sorted(assets):
    emit(
        "operations.csv", HOME, "assets_recovered", i, numerator=f"{assets[i] / 10:.1f}", note="£m"
    )
KEY["assets_recovered"] = dict(
    r12_aug09=sum(year) / 10,
    aug08=12.0,
    fytd=13.0,
    low=1.3,
    high=9.6,
    low_month=ms(low),
    high_month=ms(high),
)

cocaine = wobble(*OPS, 135, amp=0.06, peak=3, noise=0.06)
heroin = wobble(*OPS, 62, amp=0.06, peak=3, noise=0.08)
other = wobble(*OPS, 12, amp=0.0, noise=0.3, floor=3)
for series, r12, ytd in ((cocaine, 1595, 705), (heroin, 755, 330), (other, 150, 45)):
    set_total(series, span("2008-09", "2009-03"), r12 - ytd, lo=3)
    set_total(series, span(*FYTD_09), ytd, lo=3)
classa = {i: cocaine[i] + heroin[i] + other[i] for i in cocaine}
assert total(classa, *R12_AUG09) == 2500 and total(classa, *FYTD_09) == 1080
assert all(cocaine[i] + heroin[i] < classa[i] for i in classa)
emit_counts("sanction-detections.csv", HOME, "classa_sds", classa)
emit_counts("sanction-detections.csv", HOME, "classa_cocaine", cocaine)
emit_counts("sanction-detections.csv", HOME, "classa_heroin", heroin)


# --------------------------------------------------------------------------------------------
# 4e: killed or seriously injured on London's roads
# --------------------------------------------------------------------------------------------

KSI_BASELINE = {1994: 6850, 1995: 6780, 1996: 6640, 1997: 6520, 1998: 6410}
assert sum(KSI_BASELINE.values()) == 33200
for y, people in KSI_BASELINE.items():
    emit(
        "roads.csv",
        HOME,
        "ksi",
        f"{y}-12",
        12,
        numerator=people,
        note="calendar year (1994-98 baseline)",
    )
ksi = wobble("2006-04", "2009-03", 325, amp=0.08, peak=10, noise=0.05, trend=-0.075)
set_total(ksi, span(*R12_MAR09), 3294)
for i in sorted(ksi):
    prov = i >= mi("2009-01")
    emit(
        "roads.csv",
        HOME,
        "ksi",
        i,
        numerator=ksi[i],
        provisional=prov,
        note="provisional" if prov else "",
    )


# --------------------------------------------------------------------------------------------
# 6a efficiency gains, 6b minority-ethnic recruits, 6c ICT systems
# --------------------------------------------------------------------------------------------

for month, forecast in (
    ("2009-04", 110.4),
    ("2009-05", 111.6),
    ("2009-06", 112.2),
    ("2009-07", 113.5),
    ("2009-08", 113.9),
):
    emit(
        "corporate.csv",
        HOME,
        "efficiency_gains",
        month,
        value=forecast,
        note="forecast outturn 2009/10",
    )

rec_den = wobble(*OPS, 225, amp=0.25, peak=10, noise=0.15, floor=150)
rec_den = {i: min(300, v) for i, v in rec_den.items()}
rec_num = rates(rec_den, lambda i: 0.175 if i < mi("2008-04") else 0.158, noise=0.025)
# 2008/09 = 16.2% (move Apr-Aug 08), 12 months to Aug-09 = 14.9% (move Apr-Aug 09).
set_total(
    rec_num,
    span(*FYTD_08),
    round(0.1620 * total(rec_den, *FY_0809)) - total(rec_num, "2008-09", "2009-03"),
    hi=rec_den,
)
set_total(
    rec_num,
    span(*FYTD_09),
    round(0.1490 * total(rec_den, *R12_AUG09)) - total(rec_num, "2008-09", "2009-03"),
    hi=rec_den,
)
rec_r12, rec_fy = pct(rec_num, rec_den, *R12_AUG09), pct(rec_num, rec_den, *FY_0809)
assert r1(rec_r12) == 14.9 and r1(rec_fy) == 16.2
emit_props("corporate.csv", HOME, "recruits_minority_share", rec_num, rec_den)

# Peers: recruits in the 12 months to Aug-09 and the minority share of them. The MPS is 40th
# of 43 on recruits' share ÷ population share: three forces (all with large minority
# populations) recruit below the MPS's 0.6 : 1, every other force above it.
below = {"west-midlands", "leicestershire", "bedfordshire"}
ratio = {HOME: rec_r12 / ECON_SHARE[HOME]}
for f in FORCES:
    if f == HOME:
        continue
    n = (
        rng.randint(30, 45)
        if f == "city-of-london"
        else max(40, round(CENSUS_2011[f][0] / 9000 * rng.uniform(0.7, 1.3)))
    )
    want = rng.uniform(0.40, 0.52) if f in below else rng.uniform(0.68, 1.5)
    k = round(want * ECON_SHARE[f] / 100 * n)
    while f not in below and r1(100 * k / n) / ECON_SHARE[f] < ratio[HOME] + 0.04:
        k += 1
    while f in below and r1(100 * k / n) / ECON_SHARE[f] > ratio[HOME] - 0.04:
        k -= 1
    share = r1(100 * k / n)
    ratio[f] = share / ECON_SHARE[f]
    emit(
        "peers-workforce.csv",
        f,
        "recruits_minority_share",
        "2009-08",
        12,
        value=share,
        sample_size=n,
        note=f"{k} of {n} officer recruits in the 12 months to Aug-09",
    )
assert rank(ratio, HOME, False) == 40 and len(ratio) == 43
KEY["recruits_minority"] = dict(
    r12_aug09=rec_r12, fy0809=rec_fy, ratio=ratio[HOME], rank=rank(ratio, HOME, False)
)

emit(
    "corporate.csv",
    HOME,
    "ict_systems",
    "2009-06",
    3,
    numerator=8,
    denominator=8,
    note="Q1 2009/10: 8 of 8 systems reporting at or above target availability",
)


# --------------------------------------------------------------------------------------------
# write
# --------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=HERE / "data",
        help="folder for the CSV files (default: data/ next to this script)",
    )
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name in sorted(OUT):
        with open(args.out / name, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(HEADER)
            writer.writerows(OUT[name])
        if not args.quiet:
            print(f"wrote {args.out / name} ({len(OUT[name])} rows)")
    if not args.quiet:
        for key, val in KEY.items():
            print(f"  {key}: {val}")


if __name__ == "__main__":
    main()
