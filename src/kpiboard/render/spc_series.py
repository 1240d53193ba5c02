"""One series through SPC (``kpiboard spc``) in each format
(:data:`kpiboard.render.registry.SPC_SERIES`): ``json`` (the points and the verdict), ``csv``
(one line per point) and ``svg`` (the report's SPC chart of the series, on its own).

The JSON and CSV columns are the contract in docs/SPC.md: ``date`` (as given), ``value``,
``mean``, ``lpl``, ``upl`` (``null`` / empty where undefined), ``point_type``, ``rule``,
``rebase_group`` and ``trial_limits``.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from kpiboard.render.charts import Charted, series_chart_svg
from kpiboard.render.registry import RenderOptions
from kpiboard.scorecard import SpcSeries

# CSV cells for JSON's null, true and false
_CELL: dict[Any, str] = {None: "", True: "true", False: "false"}


def points(series: SpcSeries) -> list[dict[str, Any]]:
    """One flat record per point, in the contract's column order."""
    return [
        {
            "date": p.period,
            "value": p.value,
            "mean": p.mean,
            "lpl": p.lpl,
            "upl": p.upl,
            "point_type": p.point_type,
            "rule": p.rule,
            "rebase_group": p.rebase_group,
            "trial_limits": trial,
        }
        for p, trial in zip(series.spc.points, series.trial_limits, strict=True)
    ]


def render_spc_json(series: SpcSeries, options: RenderOptions) -> bytes:
    del options  # JSON has no layout options
    spc = series.spc
    doc = {
        "points": points(series),
        "variation": spc.variation,
        "assurance": spc.assurance,
        "direction": spc.direction,
        "target": spc.target,
        "summary": spc.summary,  # the verdict in words (why there is no assurance, if none)
    }
    return (json.dumps(doc, indent=2) + "\n").encode()


def render_spc_csv(series: SpcSeries, options: RenderOptions) -> bytes:
    del options  # CSV has no layout options
    records = points(series)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(records[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(
        {k: _CELL[v] if v is None or isinstance(v, bool) else v for k, v in p.items()}
        for p in records
    )
    return buffer.getvalue().encode()


def render_spc_svg(series: SpcSeries, options: RenderOptions) -> bytes:
    del options  # the chart has a fixed size
    charted = Charted(series.spc, series.name, series.title or series.name, series.unit)
    return series_chart_svg(charted).encode()
