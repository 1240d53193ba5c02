"""The scorecard and the published pack as a PDF board pack: the HTML report's template and
view model (``report-pdf.html.j2`` extends ``report.html.j2``) with a print stylesheet.

What it adds to the report: a cover (title, organisation, period, "as at", KPIs by status, a
DRAFT watermark on every page until the pack is published, the protective marking), a page of
the month at a glance (each KPI's target, latest figure, direction of travel, status and a
one-line comment), the board
summary with each KPI's target, a page per exception (red or amber, or a special-cause SPC
signal) with its facts, figures, commentary and charts, and an appendix (definitions, latest
periods and methods, after the keys and notes). Every word and figure is the Scorecard's.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup

from kpiboard.boardpack import PublishedPack
from kpiboard.render.charts import Charted, charts_for, spc_label
from kpiboard.render.html import environment, report_context
from kpiboard.render.pack import stamp
from kpiboard.render.pdf.write import (
    PdfWarning,
    html_to_pdf,
    month_start,
    page_setup,
    w3c_date,
)
from kpiboard.render.registry import RenderOptions
from kpiboard.render.viewmodel import Line, SectionView, StatusLabel, sections, status_label
from kpiboard.scorecard import Row, Scorecard
from kpiboard.vocabulary import ChangeDirection, Status, Variation

TEMPLATE = "report-pdf.html.j2"
EXCEPTION_STATUSES = (Status.RED.value, Status.AMBER.value)


@dataclass(frozen=True)
class PdfChart:
    """A chart on an exception page: the SVG (None when it could not be drawn), its text
    alternative (also the SVG's <title>, which becomes the PDF figure's Alt) and caption."""

    kind: str
    svg: Markup | None
    label: str
    caption: str


@dataclass(frozen=True)
class StatusCounts:
    """The cover's tally of the lines shown, by status (G, A, R, then none)."""

    by_status: tuple[tuple[StatusLabel, int], ...]
    total: int


@dataclass(frozen=True)
class GlanceLine:
    """One KPI on the page a board member reads in a minute: target, latest figure, the
    direction of travel as an arrow with its words, the status and a one-line comment. No
    p-values and no test names: they stay in the detail and the appendix."""

    line: Line
    arrow: str  # ↑ ↓ →, or "" without a comparator
    travel: str  # "up, better", "down, worse", "level", "up"
    comment: str


ARROWS = {
    ChangeDirection.UP.value: "↑",
    ChangeDirection.DOWN.value: "↓",
    ChangeDirection.LEVEL.value: "→",
}
COMMENT_CHARS = 110  # about one line of the page's comment column


def one_line(text: str) -> str:
    """The first sentence or paragraph of ``text`` as plain words, cut at a word to about one
    line ("…" where cut)."""
    plain = re.sub(r"[*_`#>\[\]]", "", text).strip()
    first = re.split(r"(?<=[.!?])\s|\n\s*\n", plain, maxsplit=1)[0].strip()
    first = " ".join(first.split())
    if len(first) <= COMMENT_CHARS:
        return first
    return first[: first.rfind(" ", 0, COMMENT_CHARS)].rstrip(",;:") + "…"


def glance(views: Iterable[SectionView], commentary: Mapping[str, str]) -> list[GlanceLine]:
    """Each KPI (not its breakdowns) at a glance; the comment is the first words of its
    commentary, else the first clause of its status reason."""
    out = []
    for section in views:
        for line in section.lines:
            if line.is_child:
                continue
            row = line.row
            arrow, travel = "", ""
            if row.change is not None:
                way = str(row.change.direction)
                arrow, travel = ARROWS[way], way
                if row.change.better is not None and way != ChangeDirection.LEVEL.value:
                    travel += ", better" if row.change.better else ", worse"
            written = commentary.get(row.measure, "").strip()
            reason = row.status_reason.split(" (")[0].strip()
            out.append(GlanceLine(line, arrow, travel, one_line(written or reason)))
    return out


def is_exception(line: Line) -> bool:
    """Red or amber, or the latest SPC point a special cause (of either kind)."""
    spc = line.row.spc
    special = spc is not None and spc.variation != Variation.COMMON_CAUSE
    return line.status.key in EXCEPTION_STATUSES or special


def status_counts(views: Iterable[SectionView]) -> StatusCounts:
    lines = [line for section in views for line in section.lines]
    labels = [status_label(s) for s in Status] + [status_label(None)]
    return StatusCounts(
        tuple((label, sum(1 for ln in lines if ln.status.key == label.key)) for label in labels),
        len(lines),
    )


def methods(row: Row) -> tuple[str, ...]:
    """The methods behind the row's statistics, as the engine named them, once each."""
    found: list[str] = []
    if row.spc is not None:
        found.append("SPC: XmR chart, Making Data Count rules")
    for rank in row.ranks:
        if rank.verdict_method:
            found.append(rank.verdict_method)
    for text in (
        row.significance.method if row.significance else None,
        row.interval.method if row.interval else None,
        row.margin_of_error.method if row.margin_of_error else None,
        row.forecast.method if row.forecast else None,
        row.monthly_average.profile if row.monthly_average else None,
    ):
        if text:
            found.append(text)
    return tuple(dict.fromkeys(found))


def exception_charts(row: Row) -> list[PdfChart]:
    """The row's charts; a chart that cannot be drawn is its text alternative alone, with a
    :class:`PdfWarning` (the pack is still written)."""
    try:
        return [PdfChart(c.kind, Markup(c.svg), c.label, c.caption) for c in charts_for(row)]
    except Exception as exc:  # noqa: BLE001 (vl-convert's errors are not a documented set)
        if row.spc is None:
            return []
        try:
            label = spc_label(Charted.of(row))
        except Exception:  # noqa: BLE001
            label = row.spc.summary or f"SPC chart of {row.title}"
        warnings.warn(
            PdfWarning(
                f"the charts of {row.id} ({row.title}) could not be drawn ({exc}); the PDF "
                "shows their text alternative instead"
            ),
            stacklevel=2,
        )
        return [PdfChart("spc", None, label, "SPC chart (XmR, Making Data Count rules).")]


def trend_chart(row: Row) -> list[PdfChart]:
    """The KPI's figure against its target over time (the trend chart; the SPC chart where it
    has no monthly target), for the KPIs that have no exception page of their own."""
    charts = exception_charts(row)
    trend = [c for c in charts if c.kind == "trend"]
    return trend or charts[:1]


def scorecard_html(
    scorecard: Scorecard,
    options: RenderOptions,
    *,
    created: datetime,
    published: bool = False,
) -> str:
    """The PDF's HTML (before WeasyPrint): what the tests and the benchmark look at too."""
    setup = page_setup(options)
    views = sections(scorecard)
    lines = [line for section in views for line in section.lines]
    exceptions = [line for line in lines if is_exception(line)]
    context = report_context(scorecard, views, {line.anchor: [] for line in lines}, options) | dict(
        page_size=setup.css,
        created=w3c_date(created),
        published=published,
        marking=options.marking,
        counts=status_counts(views),
        glance=glance(views, options.commentary),
        exceptions=exceptions,
        exception_charts={line.anchor: exception_charts(line.row) for line in exceptions},
        trends=[
            (line, chart)
            for line in lines
            if not is_exception(line) and not line.is_child
            for chart in trend_chart(line.row)
        ],
        methods={line.anchor: methods(line.row) for line in lines},
    )
    return environment().get_template(TEMPLATE).render(context)


def render_pdf(scorecard: Scorecard, options: RenderOptions) -> bytes:
    """The scorecard as a draft board pack (PDF/UA-1), dated the first of its as-of month."""
    return html_to_pdf(scorecard_html(scorecard, options, created=month_start(scorecard.as_of)))


def render_pack_pdf(pack: PublishedPack, options: RenderOptions) -> bytes:
    """A board pack as PDF: its commentary, stamp, changes and executive summary; dated when
    it was signed off, with no DRAFT watermark; a draft (not signed off) is dated from its
    as-of month and marked DRAFT."""
    pack_options = RenderOptions(
        commentary=pack.commentary,
        stamp=stamp(pack),
        # a draft says nothing of changes when there is no published pack to compare with
        changes=None if pack.draft and not pack.changes else pack.changes,
        summary=pack.summary,
        summary_text=pack.summary_text,
        paper=options.paper,
        orientation=options.orientation,
        marking=options.marking,
    )
    created = pack.signed_off_at or month_start(pack.scorecard.as_of)
    html = scorecard_html(pack.scorecard, pack_options, created=created, published=not pack.draft)
    return html_to_pdf(html)
