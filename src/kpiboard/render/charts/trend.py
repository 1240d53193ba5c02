"""The trend chart: a series' values as bars against the target line (drawn only when there is
a target; without one it would only repeat the SPC chart)."""

from __future__ import annotations

from typing import Any

from kpiboard.render.charts.frame import (
    LINES,
    TARGET,
    Charted,
    chart_frame,
    point_date,
    time_axis,
    value_axis,
)

BAR_FILL = "#8fa9c4"


def trend_spec(charted: Charted) -> dict[str, Any]:
    """The values as bars with the target (when there is one) as a line."""
    spc, monthly = charted.spc, charted.monthly
    points = spc.points
    values = [{"month": point_date(p), "label": p.label, "value": p.value} for p in points]
    x = {
        **time_axis(monthly),
        "timeUnit": "utcyearmonth" if monthly else "utcyearmonthdate",
        "bandPosition": 0,
        "scale": {"type": "utc"},
    }
    y = value_axis(
        charted, [p.value for p in points] + ([spc.target] if spc.target is not None else [])
    )
    layers: list[dict[str, Any]] = [
        {
            "mark": {"type": "bar", "color": BAR_FILL, "width": {"band": 0.75}},
            "encoding": {"x": x, "y": {**y, "scale": {"zero": True}}},
        },
    ]
    if spc.target is not None:
        target = "Monthly target" if monthly else "Target"
        colour, dash = LINES[TARGET]
        layers.append(
            {
                "data": {
                    "values": [
                        {
                            "y": spc.target,
                            "line": f"{target} {spc.target_text}" if spc.target_text else target,
                        }
                    ]
                },
                "mark": {"type": "rule", "color": colour, "strokeDash": dash, "strokeWidth": 2},
                "encoding": {
                    "y": {**y, "field": "y"},
                    "strokeDash": {
                        "field": "line",
                        "type": "nominal",
                        "scale": {"range": [dash]},
                        "legend": {
                            "title": None,
                            "orient": "bottom",
                            "symbolType": "stroke",
                            "symbolStrokeColor": colour,
                        },
                    },
                },
            }
        )
    title = f"{'Monthly values' if monthly else 'Values'} against target: {charted.name}"
    subtitle = f"{points[0].label} to {points[-1].label}"
    if spc.target is None:
        subtitle += " · no monthly target" if monthly else " · no target"
    return chart_frame(title, subtitle, values, layers)


def trend_label(charted: Charted) -> str:
    spc, monthly = charted.spc, charted.monthly
    first, last = spc.points[0], spc.points[-1]
    monthly_ = "monthly " if monthly else ""
    text = f"Bar chart of {monthly_}{charted.title}, {first.label} to {last.label}"
    if spc.target_text:
        text += f", against a {monthly_}target of {spc.target_text}"
    if spc.latest_text:
        text += f"; latest ({last.label}) {spc.latest_text}"
    return text
