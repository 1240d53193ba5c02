"""A small project for announcements (docs/VINTAGES.md): two years of monthly figures to
Jun-18, loaded, then changed and loaded again, so that each kind of announcement has one known
answer.

- ``burglary`` (a monthly count, status from SPC, no target): steady, so no status, then a
  July far above its limits — a new special cause concern, now Red;
- ``robbery`` (a count over 12 months against a target of 1,100 a year): about 70 a month,
  then every month revised up by 25 and a high July, so Green → Amber, a new signal, and its
  assurance moves off "consistently meets the target" (the monthly target, 91.7, is now
  inside its limits);
- ``vehicle`` (tracking, monthly): its last figure stays at Jun-18, so once July is loaded
  it is stale (its latency is 0 months: a month behind is late);
- ``cases`` (tracking, for A and B): June's figure revised (for published June packs).
"""

from __future__ import annotations

from pathlib import Path

KPIBOARD_YAML = """\
title: Announcements
organisation: A
organisations: [{id: A, name: Alpha}, {id: B, name: Beta}]
dashboard: {anonymous_read: true}
"""

MEASURES_YAML = """\
measures:
  - id: burglary
    title: Burglary
    section: Crime
    kind: count
    polarity: lower_is_better
    window: month
    status_from: spc
  - id: robbery
    title: Robbery
    section: Crime
    kind: count
    polarity: lower_is_better
    targets: [{year: 2018/19, level: 1100}]
  - id: vehicle
    title: Vehicle crime
    section: Crime
    kind: count
    tracking: true
    window: month
    latency: 0
  - id: cases
    title: Cases
    section: Work
    kind: count
    tracking: true
    window: month
"""

STEADY = [100, 104, 97, 101, 99, 103, 96, 102, 98, 100, 105, 95] * 2  # no signal
START = (2016, 7)  # 24 months to Jun-18


def months(n: int, start: tuple[int, int] = START) -> list[str]:
    y, m = start
    out = []
    for _ in range(n):
        out.append(f"{y}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def figures(
    org: str, measure: str, values: list[float], start: tuple[int, int] = START
) -> list[str]:
    return [
        f"{org},{measure},{p},1,{v}"
        for p, v in zip(months(len(values), start), values, strict=True)
    ]


def first_rows() -> list[str]:
    """Vintage 1: every measure to Jun-18."""
    rows = figures("A", "burglary", STEADY)
    rows += figures("A", "robbery", [v - 30 for v in STEADY])
    rows += figures("A", "vehicle", STEADY)
    rows += figures("A", "cases", STEADY)
    rows += figures("B", "cases", STEADY)
    return rows


def second_rows() -> list[str]:
    """Vintage 2: July for burglary (far above its limits), robbery (every month revised up,
    July high) and cases; vehicle stops at June; cases' June revised, for A and B."""
    rows = [r for r in first_rows() if ",robbery," not in r]
    rows += figures("A", "burglary", [160], (2018, 7))
    rows += figures("A", "robbery", [v - 5 for v in STEADY] + [130])
    rows += figures("A", "cases", [96], (2018, 7))
    return [r.replace(",cases,2018-06,1,95", ",cases,2018-06,1,99") for r in rows]


# what vintage 2 brings (no pins), in order: tests/test_announce.py has each in full
SECOND_TEXTS = [
    "Burglary: now Red (Jul-18)",
    "Robbery: Green → Amber (Jul-18)",
    "Burglary: new special cause concern, above the upper process limit (Jul-18)",
    "Robbery: new special cause concern, above the upper process limit (Jul-18)",
    "Robbery: Consistently meets the target → Inconsistently meets the target (hit and miss) "
    "(Jul-18)",
    "Vehicle crime: stale at Jul-18, last figure Jun-18 (latency 0 months)",
]


def write_project(root: Path, rows: list[str] | None = None) -> Path:
    (root / "measures").mkdir(parents=True, exist_ok=True)
    (root / "data").mkdir(exist_ok=True)
    (root / "kpiboard.yaml").write_text(KPIBOARD_YAML)
    (root / "measures" / "m.yaml").write_text(MEASURES_YAML)
    write_rows(root, first_rows() if rows is None else rows)
    return root


def write_rows(root: Path, rows: list[str]) -> None:
    lines = ["org,measure,period_end,months,numerator", *rows]
    (root / "data" / "figures.csv").write_text("\n".join(lines) + "\n")
