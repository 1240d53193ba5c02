"""``--format html``: one self-contained, accessible page that reads like the board paper.

Self-contained: inline ``<style>``, Unicode status icons, inline SVG for the SPC icons and
charts, no fonts, scripts, images or links to fetch, so the file can be emailed, archived
with the board pack and opened offline.
Accessible: ``lang``, one ``<table>`` per section with a ``<caption>``, header cells with
``scope``, every status as shape + letter + word + reason (never colour alone), every SPC
icon and chart an image with a text alternative, and text colours chosen for at least
:data:`MIN_CONTRAST` against their fill (tested).

Layout: "At a glance" first (every KPI with its status, SPC variation and assurance icons,
linking to its row: the NHS board cover page), then one table per section. A row with an
SPC series gets a full-width row under it holding its charts in a closed ``<details>``, so
the page stays scannable. Printed, the charts are opened (``::details-content``), each
chart row kept whole on its page.

The template is ``templates/report.html.j2``; autoescape is on, so titles and facts are
always text, never markup.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, Template
from markupsafe import Markup

from kpiboard.render.charts import Chart, charts_for
from kpiboard.render.commentary import commentary_html
from kpiboard.render.icons import assurance_icon, variation_icon
from kpiboard.render.matrix import ASSURANCES, mdc_matrix
from kpiboard.render.matrix import name as matrix_name
from kpiboard.render.registry import RenderOptions
from kpiboard.render.viewmodel import (
    SectionView,
    assurance_words,
    key_entries,
    sections,
    variation_words,
)
from kpiboard.scorecard import Scorecard

MIN_CONTRAST = 4.5  # WCAG 2.1 AA for normal-size text
TEMPLATE = "report.html.j2"


@dataclass(frozen=True)
class Swatch:
    """A text colour on a fill colour; the pair is what the contrast test checks."""

    text: str
    fill: str


# Dark text on light fills: readable on screen and when printed without backgrounds.
STATUS_SWATCHES: dict[str, Swatch] = {
    "green": Swatch("#1b5e20", "#e8f5e9"),
    "amber": Swatch("#7a3e00", "#fff3e0"),
    "red": Swatch("#b71c1c", "#ffebee"),
    "none": Swatch("#424242", "#f5f5f5"),
}

# Every other text/fill pair the stylesheet uses.
PAGE_SWATCHES: dict[str, Swatch] = {
    "body": Swatch("#1a1a1a", "#ffffff"),
    "muted": Swatch("#555555", "#ffffff"),
    "muted_child": Swatch("#555555", "#f7f7f7"),
    "body_child": Swatch("#1a1a1a", "#f7f7f7"),
    "caption": Swatch("#ffffff", "#263238"),
    "column_header": Swatch("#1a1a1a", "#eceff1"),
    "tag": Swatch("#37474f", "#eceff1"),
    "link": Swatch("#0b4f8a", "#ffffff"),
    "link_child": Swatch("#0b4f8a", "#f7f7f7"),
}


@dataclass(frozen=True)
class ChartView:
    """A chart as the template places it: the SVG is markup (drawn by vl-convert from
    escaped JSON, labelled by :func:`kpiboard.render.charts.vega.labelled_svg`)."""

    kind: str
    svg: Markup
    caption: str


@cache
def environment() -> Environment:
    """The report templates' Jinja environment (the PDF's template extends the report's)."""
    env = Environment(
        loader=PackageLoader("kpiboard.render", "templates"),
        autoescape=True,  # not select_autoescape: the file ends in .j2, not .html
        undefined=StrictUndefined,  # a misspelt field fails the tests, not the board
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals.update(
        variation_icon=lambda key, label=None: Markup(variation_icon(key, label)),
        assurance_icon=lambda key, label=None: Markup(assurance_icon(key, label)),
        variation_words=variation_words,
        assurance_words=assurance_words,
    )
    return env


def _template() -> Template:
    return environment().get_template(TEMPLATE)


def render_html(scorecard: Scorecard, options: RenderOptions) -> bytes:
    """The scorecard as one UTF-8 HTML document."""
    views = sections(scorecard)
    charts = {
        line.anchor: [chart_view(c) for c in charts_for(line.row)]
        for section in views
        for line in section.lines
    }
    return _template().render(report_context(scorecard, views, charts, options)).encode("utf-8")


def report_context(
    scorecard: Scorecard,
    views: list[SectionView],
    charts: Mapping[str, list[ChartView]],
    options: RenderOptions,
) -> dict[str, Any]:
    """What ``report.html.j2`` is rendered with: the scorecard, its sections, the charts under
    each row (by anchor), the keys, the swatches and ``options``' commentary, stamp and
    changes, and a pack's executive summary."""
    has_spc = any(line.row.spc is not None for s in views for line in s.lines)
    return dict(
        scorecard=scorecard,
        sections=views,
        key=key_entries(scorecard),
        charts=charts,
        has_spc=has_spc,
        matrix=mdc_matrix(views) if has_spc else None,
        matrix_columns=[(a.value, words) for a, words in ASSURANCES],
        matrix_name=matrix_name,
        variation_key=scorecard.spc_key.get("variation", {}),
        assurance_key=scorecard.spc_key.get("assurance", {}),
        status_swatches=STATUS_SWATCHES,
        page=PAGE_SWATCHES,
        commentary={
            m: Markup(commentary_html(t)) for m, t in options.commentary.items() if t.strip()
        },
        stamp=options.stamp,
        changes=options.changes,
        summary=_summary_view(options, views),
    )


@dataclass(frozen=True)
class SummaryView:
    """A pack's executive summary as the template places it: the draft's sentences, each with
    the anchor of the first row it is about ("" for none), and the edited text (rendered
    Markdown) when an editor rewrote it."""

    since: str | None
    sentences: tuple[tuple[str, str], ...]
    edited: Markup | None


def _summary_view(options: RenderOptions, views: Sequence[SectionView]) -> SummaryView | None:
    summary = options.summary
    if summary is None:
        return None
    anchors = {line.row.measure: line.anchor for section in views for line in section.lines}
    sentences = tuple(
        (line.text, next((anchors[m] for m in line.rows if m in anchors), ""))
        for line in summary.lines
    )
    text = options.summary_text
    edited = Markup(commentary_html(text)) if text and text.strip() else None
    return SummaryView(summary.since, sentences, edited)


def chart_view(chart: Chart) -> ChartView:
    return ChartView(chart.kind, Markup(chart.svg), chart.caption)
