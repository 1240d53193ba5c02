"""An SPC (XmR) chart as one self-contained SVG, drawn by hand: the values as a grey line,
each point coloured by its type (Making Data Count colours), the mean as a solid line and the
process limits dashed, each per rebase group, and the target as a red dashed line. A <title>
and a <desc> say in words what the chart shows, for screen readers.

Like every renderer it only lays out what the engine computed: the caller turns an SPC result
into an :class:`SpcChart` (``kpiboard spc`` does it from ``engine.spc.SpcResult``).

>>> p = ChartPoint("2020-01", 3.0, 3.0, 1.0, 5.0, "common_cause", "Common Cause", 0)
>>> svg = render_spc_svg(SpcChart("Demo", (p,), "increase", "common_cause"))
>>> svg.startswith(b"<svg") and b"<title" in svg
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr


@dataclass(frozen=True)
class ChartPoint:
    """One point of the chart; limits are None where undefined."""

    date: str
    value: float
    mean: float | None
    lpl: float | None
    upl: float | None
    point_type: str  # common_cause, special_cause_improvement, ... (engine.spc.PointType)
    rule: str  # the rule in words: "Above UCL", "Common Cause", ...
    group: int  # the rebase group, from 0


@dataclass(frozen=True)
class SpcChart:
    title: str
    points: tuple[ChartPoint, ...]
    direction: str  # increase | decrease | neutral
    variation: str  # the variation icon's name
    assurance: str | None = None
    target: float | None = None
    trial_limits: bool = False  # the last group has too few points for settled limits


# NHSRplotthedots' palette (ptd_spc_colours), after NHS England's Making Data Count
COLOURS = {
    "common_cause": "#7B7D7D",
    "special_cause_improvement": "#289DE0",
    "special_cause_concern": "#FAB428",
    "special_cause_neutral_high": "#361475",
    "special_cause_neutral_low": "#361475",
}
LINE_COLOUR = "#7B7D7D"
MEAN_COLOUR = "#000000"
LIMIT_COLOUR = "#231F20"
TARGET_COLOUR = "#DE1B1B"
WIDTH, HEIGHT = 760, 360
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 36, 56
MAX_X_LABELS = 12
Y_TICKS = 6

WORDS = {
    "common_cause": "common cause",
    "special_cause_improvement": "special cause improvement",
    "special_cause_concern": "special cause concern",
    "special_cause_neutral_high": "special cause, neither improvement nor concern (high)",
    "special_cause_neutral_low": "special cause, neither improvement nor concern (low)",
}


def _number(x: float) -> str:
    """Short, readable axis and tooltip numbers."""
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.4g}"


def _nice_ticks(lo: float, hi: float) -> list[float]:
    span = hi - lo
    raw = span / (Y_TICKS - 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(lo / step) * step
    return [first + k * step for k in range(int((hi - first) / step + 1e-9) + 1)]


def _describe(c: SpcChart) -> str:
    pts = c.points
    last = pts[-1]
    special = sum(p.point_type != "common_cause" for p in pts)
    text = (f"XmR chart of {len(pts)} points from {pts[0].date} to {last.date}, improvement "
            f"direction {c.direction}. Latest value {_number(last.value)}: "
            f"{WORDS[last.point_type]} ({last.rule}). ")
    if last.mean is not None and last.lpl is not None and last.upl is not None:
        text += (f"Mean {_number(last.mean)}, process limits {_number(last.lpl)} "
                 f"to {_number(last.upl)}. ")
    text += f"{special} of {len(pts)} points are special cause. Variation: {c.variation.replace('_', ' ')}."
    if c.target is not None:
        text += f" Target {_number(c.target)}"
        text += f"; assurance: {c.assurance.replace('_', ' ')}." if c.assurance else "."
    if last.group > pts[0].group:
        text += f" Limits recalculated {last.group - pts[0].group} time(s)."
    if c.trial_limits:
        text += " Trial limits: too few points for settled limits."
    return text


def render_spc_svg(c: SpcChart) -> bytes:
    """The chart as SVG bytes."""
    pts = c.points
    n = len(pts)
    if not n:
        raise ValueError("an SPC chart needs at least one point")
    shown = [v for p in pts for v in (p.value, p.mean, p.lpl, p.upl) if v is not None]
    if c.target is not None:
        shown.append(c.target)
    lo, hi = min(shown), max(shown)
    pad = (hi - lo) * 0.06 or max(abs(hi), 1.0) * 0.1
    lo, hi = lo - pad, hi + pad
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(i: int | float) -> float:
        return LEFT + (plot_w * (i / (n - 1)) if n > 1 else plot_w / 2)

    def y(v: float) -> float:
        return TOP + plot_h * (hi - v) / (hi - lo)

    def path(xs: Sequence[float], ys: Sequence[float]) -> str:
        return " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(xs, ys, strict=True))

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
           f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-labelledby="spc-title spc-desc" '
           'font-family="sans-serif" font-size="11">',
           f'<title id="spc-title">{escape(c.title)}</title>',
           f'<desc id="spc-desc">{escape(_describe(c))}</desc>',
           f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#FFFFFF"/>',
           f'<text x="{LEFT}" y="{TOP - 14}" font-size="14" font-weight="bold">{escape(c.title)}</text>']
    for t in _nice_ticks(lo, hi):
        out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(t):.1f}" y2="{y(t):.1f}" '
                   'stroke="#E5E5E5"/>')
        out.append(f'<text x="{LEFT - 6}" y="{y(t) + 4:.1f}" text-anchor="end">{escape(_number(t))}</text>')
    every = max(1, math.ceil(n / MAX_X_LABELS))
    for i in range(0, n, every):
        out.append(f'<text x="{x(i):.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="end" '
                   f'transform="rotate(-40 {x(i):.1f} {HEIGHT - BOTTOM + 16})">{escape(pts[i].date)}</text>')
    starts = [i for i in range(1, n) if pts[i].group != pts[i - 1].group]
    for s in starts:  # a rebase: new limits from here
        xb = (x(s - 1) + x(s)) / 2
        out.append(f'<line x1="{xb:.1f}" x2="{xb:.1f}" y1="{TOP}" y2="{HEIGHT - BOTTOM}" '
                   'stroke="#999999" stroke-dasharray="2 3"/>')
    bounds = [0, *starts, n]
    dashed = ' stroke-dasharray="6 4"'
    for a, b in zip(bounds, bounds[1:], strict=False):
        span = [x(a - 0.4 if a else a), x(b - 1 + 0.4 if b < n else b - 1)]
        first = pts[a]
        for v, colour, dash in ((first.mean, MEAN_COLOUR, ""), (first.lpl, LIMIT_COLOUR, dashed),
                                (first.upl, LIMIT_COLOUR, dashed)):
            if v is not None:
                out.append(f'<polyline points="{path(span, [y(v)] * 2)}" fill="none" '
                           f'stroke="{colour}" stroke-width="1.2"{dash}/>')
    if c.target is not None:
        out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(c.target):.1f}" y2="{y(c.target):.1f}" '
                   f'stroke="{TARGET_COLOUR}" stroke-width="1.2" stroke-dasharray="8 3"/>')
    xs = [x(i) for i in range(n)]
    ys = [y(p.value) for p in pts]
    out.append(f'<polyline points="{path(xs, ys)}" fill="none" stroke="{LINE_COLOUR}" stroke-width="1.5"/>')
    for i, p in enumerate(pts):
        tip = f"{p.date}: {_number(p.value)}, {WORDS[p.point_type]} ({p.rule})"
        out.append(f'<circle cx="{xs[i]:.1f}" cy="{ys[i]:.1f}" r="3.5" fill="{COLOURS[p.point_type]}" '
                   f'class={quoteattr(p.point_type)}><title>{escape(tip)}</title></circle>')
    out.append("</svg>\n")
    return "\n".join(out).encode()
