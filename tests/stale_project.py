"""A small project whose measures end at different months, for the stale marks: as of Jun-10,
``late`` (monthly, last figure Mar-10, default latency 2) and ``old_quarters`` (quarterly, last
Sep-09, default latency 6) are stale; ``fresh``, ``declared`` (latency: 3) and ``quarters``
(last Dec-09) are not."""

from __future__ import annotations

from pathlib import Path

AS_OF = "2010-06"
KPIBOARD_YAML = """\
title: Stale marks
organisation: A
organisations: [{id: A, name: Alpha}]
dashboard: {anonymous_read: true}
"""


def _measure(mid: str, window: str = "month", extra: str = "") -> str:
    return (
        f"  - id: {mid}\n    title: {mid.capitalize()}\n    kind: count\n    tracking: true\n"
        f"    window: {window}\n{extra}"
    )


MEASURES_YAML = "measures:\n" + "".join(
    [
        _measure("fresh"),
        _measure("late"),
        _measure("declared", extra="    latency: 3\n"),
        _measure("quarters", "quarter"),
        _measure("old_quarters", "quarter"),
    ]
)


def _rows() -> list[str]:
    rows = [f"A,fresh,2010-{m:02d},1,{10 + m}" for m in range(1, 7)]
    rows += [f"A,{mid},2010-{m:02d},1,{20 + m}" for mid in ("late", "declared") for m in (1, 2, 3)]
    rows += [f"A,quarters,{p},3,{30 + i}" for i, p in enumerate(["2009-09", "2009-12"])]
    rows += [f"A,old_quarters,{p},3,{40 + i}" for i, p in enumerate(["2009-06", "2009-09"])]
    return rows


def write_project(root: Path) -> Path:
    (root / "measures").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "kpiboard.yaml").write_text(KPIBOARD_YAML)
    (root / "measures" / "m.yaml").write_text(MEASURES_YAML)
    lines = ["org,measure,period_end,months,numerator", *_rows()]
    (root / "data" / "figures.csv").write_text("\n".join(lines) + "\n")
    return root
