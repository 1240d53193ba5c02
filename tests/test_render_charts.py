"""SPC icons and charts: text alternatives, no meaning in colour alone, Vega-Lite specs built
only from the Scorecard, and static inline SVG with nothing to fetch.

vl-convert takes ~0.5 s for its first chart and ~30 ms after; these tests draw only a few.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fixtures.scorecard_fixture import SAC_SPC, SPC_KEY, VEHICLE_SPC, sample_scorecard
from test_render_html import _contrast

from kpiboard.render.charts import (
    LIMITS,
    MEAN,
    POINT_TYPES,
    TARGET,
    Charted,
    chart_svg,
    charts_for,
    labelled_svg,
    rebase_breaks,
    series_chart_svg,
    spc_label,
    spc_spec,
    trend_label,
    trend_spec,
)
from kpiboard.render.html import MIN_CONTRAST, Swatch
from kpiboard.render.icons import assurance_icon, text_colours, variation_icon
from kpiboard.render.viewmodel import spc_line
from kpiboard.scorecard import Row, Spc, SpcPoint

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("KPIBOARD_UPDATE_GOLDEN") == "1"


def _row(row_id: str) -> Row:
    return next(r for r in sample_scorecard().all_rows() if r.id == row_id)


def _charted(row_id: str) -> Charted:
    return Charted.of(_row(row_id))


class SvgParts(HTMLParser):
    """The root <svg>'s attributes, the <title> text and every <text> content."""

    def __init__(self, svg: str) -> None:
        super().__init__(convert_charrefs=True)
        self.root: dict[str, str] = {}
        self.title = ""
        self.texts: list[str] = []
        self.tags: list[str] = []
        self._in: str | None = None
        self.feed(svg)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self.tags:
            self.root = {k: v or "" for k, v in attrs}
        self.tags.append(tag)
        self._in = tag if tag in ("title", "text") else None

    def handle_data(self, data: str) -> None:
        if self._in == "title":
            self.title += data
        elif self._in == "text":
            self.texts.append(data)

    def handle_endtag(self, tag: str) -> None:
        self._in = None


# --- icons -------------------------------------------------------------------------------

ICONS = [(kind, k, w) for kind in ("variation", "assurance") for k, w in SPC_KEY[kind].items()]


def _icon(kind: str, key: str) -> str:
    words = SPC_KEY[kind][key]
    return variation_icon(key, words) if kind == "variation" else assurance_icon(key, words)


@pytest.mark.parametrize(("kind", "key", "words"), ICONS, ids=[k for _, k, _ in ICONS])
def test_every_icon_is_an_image_with_its_words(kind: str, key: str, words: str) -> None:
    parts = SvgParts(_icon(kind, key))
    assert parts.tags[0] == "svg"
    assert parts.root["role"] == "img"
    assert parts.root["aria-label"] == words
    assert parts.title == words
    assert "xmlns" not in parts.root and "href" not in _icon(kind, key)


def test_icons_carry_the_scorecards_words_or_at_least_their_key() -> None:
    words = SPC_KEY["variation"]["concern_high"]
    assert SvgParts(variation_icon("concern_high", words)).title == "Special cause concern (higher)"
    assert SvgParts(assurance_icon("inconsistent")).title == "inconsistent"  # never unlabelled


def _signature(svg: str) -> tuple[str, ...]:
    """What an icon shows without colour: its letters/marks, and whether it draws the line."""
    parts = SvgParts(svg)
    return (*parts.texts, "line" if "<polyline" in svg else "")


def test_no_icon_relies_on_colour_alone() -> None:
    variation = {k: _signature(variation_icon(k)) for k in SPC_KEY["variation"]}
    assurance = {k: _signature(assurance_icon(k)) for k in SPC_KEY["assurance"]}
    assert len(set(variation.values())) == len(variation), variation
    assert len(set(assurance.values())) == len(assurance), assurance
    assert variation["improvement_high"] == ("H", "+", "")
    assert variation["concern_low"] == ("L", "!", "")
    assert variation["common_cause"] == ("line",)
    assert [assurance[k][0] for k in ("consistent_pass", "consistent_fail", "inconsistent")] == [
        "P",
        "F",
        "?",
    ]


@pytest.mark.parametrize(("name", "colour"), sorted(text_colours().items()))
def test_icon_letters_are_readable_on_white(name: str, colour: str) -> None:
    assert _contrast(Swatch(colour, "#ffffff")) >= MIN_CONTRAST, name


def test_icon_labels_are_escaped_and_unknown_keys_still_labelled() -> None:
    svg = variation_icon("concern_high", '<b>"x"</b> & co')
    assert "<b>" not in svg and "&lt;b&gt;&quot;x&quot;&lt;/b&gt; &amp; co" in svg
    odd = SvgParts(assurance_icon("something_new"))
    assert odd.root["role"] == "img" and odd.title == "something new"


# --- what the text formats say -----------------------------------------------------------


def test_spc_line_words() -> None:
    assert spc_line(SAC_SPC) == "SPC: Common cause variation; hit and miss"
    assert spc_line(VEHICLE_SPC) == (
        "SPC: Special cause improvement (lower) (7-point decreasing trend)"
    )
    short = dataclasses.replace(SAC_SPC, trial_limits=True, assurance="consistent_pass")
    assert spc_line(short) == (
        "SPC: Common cause variation; consistently meets the target; trial limits (short series)"
    )
    assert spc_line(None) is None


def test_chart_descriptions_use_the_engines_texts_not_their_own_numbers() -> None:
    row = _row("4c")
    assert row.spc is not None
    assert spc_label(Charted.of(row)) == (
        "SPC chart of The value of the assets recovered (cash forfeiture orders and "
        "confiscation orders), Sep-07 to Aug-09: common cause variation; mean £3.47m, limits "
        "-£1.06m to £8.01m; monthly target £3.75m; inconsistently meets the target (hit and "
        "miss)"
    )
    assert trend_label(Charted.of(row)).endswith("; latest (Aug-09) £1.2m")
    # whatever the engine wrote is what the description says, word for word
    texts = dataclasses.replace(
        row.spc, mean_text="MEAN", lpl_text="LOW", upl_text="HIGH", latest_text="LAST"
    )
    charted = Charted.of(dataclasses.replace(row, spc=texts))
    assert "mean MEAN, limits LOW to HIGH" in spc_label(charted)
    assert trend_label(charted).endswith("; latest (Aug-09) LAST")
    # no limits (a one-point group): said so; no texts at all: no numbers made up
    no_limits = dataclasses.replace(texts, lpl_text=None, upl_text=None)
    assert "mean MEAN, no process limits yet" in spc_label(
        Charted.of(dataclasses.replace(row, spc=no_limits))
    )
    bare = dataclasses.replace(
        texts, mean_text=None, lpl_text=None, upl_text=None, latest_text=None
    )
    label = spc_label(Charted.of(dataclasses.replace(row, spc=bare)))
    assert "mean" not in label and "limits" not in label.replace("limits rebased", "")
    assert "latest" not in trend_label(Charted.of(dataclasses.replace(row, spc=bare)))


# --- specs -------------------------------------------------------------------------------


def _marks(spec: dict[str, Any]) -> list[str]:
    out = []
    for layer in spec["layer"]:
        if "layer" in layer:
            out.extend(inner["mark"]["type"] for inner in layer["layer"])
        else:
            out.append(layer["mark"]["type"])
    return out


def _reference(spec: dict[str, Any]) -> list[dict[str, Any]]:
    layer = next(layer for layer in spec["layer"] if "data" in layer and "layer" not in layer)
    rows: list[dict[str, Any]] = layer["data"]["values"]
    return rows


def test_spc_spec_layers_and_data() -> None:
    spec = spc_spec(_charted("4a"))
    assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/")
    assert _marks(spec) == ["line", "line", "point"]  # values, mean/limits/target, points
    assert len(spec["data"]["values"]) == 24
    assert spec["data"]["values"][-1] == {
        "month": "2009-08-01",
        "label": "Aug-09",
        "value": 14508.0,
        "type": "Common cause",
    }
    lines = [r["line"] for r in _reference(spec)]
    assert (lines.count(MEAN), lines.count(LIMITS), lines.count(TARGET)) == (24, 48, 24)
    assert {r["y"] for r in _reference(spec) if r["line"] == TARGET} == {15623.65}
    points = spec["layer"][2]["encoding"]
    assert points["color"]["scale"]["domain"] == ["Common cause", "Special cause improvement"]
    assert points["shape"]["scale"]["range"] == ["circle", "diamond"]  # shape, not colour only
    assert spec["title"]["text"] == ["SPC chart: 4a Serious acquisitive crime rate"]
    assert spec["title"]["subtitle"] == "Sep-07 to Aug-09 · XmR chart"
    assert spec["layer"][0]["encoding"]["x"]["title"] == "Month"
    assert spec["layer"][0]["encoding"]["y"]["title"] == "Monthly value (offences)"
    json.dumps(spec)  # plain JSON all the way down


def test_rebase_breaks_the_mean_and_limits_and_draws_a_rule() -> None:
    row = _row("vehicle_crime")
    assert [p.label for p in rebase_breaks(row.spc.points)] == ["Sep-08"]  # type: ignore[union-attr]
    spec = spc_spec(Charted.of(row))
    assert _marks(spec) == ["line", "line", "point", "rule", "text"]
    assert spec["layer"][3]["data"]["values"] == [{"month": "2008-08-17", "text": "limits rebased"}]
    segments = {r["segment"] for r in _reference(spec) if r["line"] == MEAN}
    assert len(segments) == 2  # the mean line stops at the rebase instead of joining
    assert TARGET not in {r["line"] for r in _reference(spec)}  # no target: not drawn
    legend = spec["layer"][1]["encoding"]["color"]["scale"]["domain"]
    assert legend == [MEAN, LIMITS]


def test_rebases_are_read_from_the_rebase_group_not_from_the_mean() -> None:
    row = _row("vehicle_crime")
    assert row.spc is not None
    points = row.spc.points
    # limits fixed across a rebase can leave the mean unchanged: still a rebase
    same_mean = tuple(
        dataclasses.replace(p, mean=points[0].mean, lpl=points[0].lpl, upl=points[0].upl)
        for p in points
    )
    assert [p.label for p in rebase_breaks(same_mean)] == ["Sep-08"]
    charted = Charted.of(
        dataclasses.replace(row, spc=dataclasses.replace(row.spc, points=same_mean))
    )
    spec = spc_spec(charted)
    assert _marks(spec) == ["line", "line", "point", "rule", "text"]
    assert len({r["segment"] for r in _reference(spec) if r["line"] == MEAN}) == 2
    assert "limits rebased from Sep-08" in spc_label(charted)
    # a mean that changes within one group is not a rebase
    one_group = tuple(dataclasses.replace(p, rebase_group=0) for p in points)
    assert rebase_breaks(one_group) == []
    charted = Charted.of(
        dataclasses.replace(row, spc=dataclasses.replace(row.spc, points=one_group))
    )
    assert _marks(spc_spec(charted)) == ["line", "line", "point"]
    assert "rebased" not in spc_label(charted)


def test_undefined_limits_are_left_out_not_drawn_at_zero() -> None:
    row = _row("residential_burglary")
    assert row.spc is not None
    points = tuple(
        dataclasses.replace(p, lpl=None, upl=math.nan) if i < 3 else p
        for i, p in enumerate(row.spc.points)
    )
    spec = spc_spec(
        Charted.of(dataclasses.replace(row, spc=dataclasses.replace(row.spc, points=points)))
    )
    limits = [r for r in _reference(spec) if r["line"] == LIMITS]
    assert len(limits) == 2 * 21
    assert all(r["y"] not in (0, None) and not math.isnan(r["y"]) for r in _reference(spec))
    assert min(r["month"] for r in limits) == "2007-12-01"
    json.dumps(spec, allow_nan=False)  # no NaN reaches the spec


def test_trend_spec_bars_and_target() -> None:
    spec = trend_spec(_charted("4c"))
    assert _marks(spec) == ["bar", "rule"]
    assert len(spec["data"]["values"]) == 24
    assert spec["layer"][1]["data"]["values"] == [
        {"y": 3_750_000.0, "line": "Monthly target £3.75m"}
    ]
    assert spec["layer"][0]["encoding"]["y"]["title"] == "Monthly value (£ millions)"
    no_target = trend_spec(_charted("residential_burglary"))
    assert _marks(no_target) == ["bar"] and "no monthly target" in no_target["title"]["subtitle"]


def test_rows_without_spc_have_no_charts() -> None:
    assert charts_for(_row("robbery")) == []
    with pytest.raises(ValueError, match="no SPC"):
        spc_spec(Charted.of(_row("2a")))
    spc = _row("4a").spc
    assert spc is not None
    with pytest.raises(ValueError, match="no SPC"):
        Charted(dataclasses.replace(spc, points=()), "x", "x")


def _daily(n: int = 20, rebase_at: int | None = None) -> Charted:
    """A daily series as ``kpiboard spc`` would chart it (no unit, dates as labels)."""
    days = [f"2020-01-{d:02d}" for d in range(2, 2 + n)]
    points = tuple(
        SpcPoint(
            day,
            day,
            float(i % 5),
            2.0,
            -1.0,
            5.0,
            "common_cause",
            "common_cause",
            rebase_group=int(rebase_at is not None and i >= rebase_at),
        )
        for i, day in enumerate(days)
    )
    spc = Spc(
        variation="common_cause",
        variation_text="Common cause variation",
        assurance="inconsistent",
        assurance_text="hit and miss",
        rule="common_cause",
        rule_text="no special cause",
        mean=2.0,
        lpl=-1.0,
        upl=5.0,
        direction="increase",
        target=3.0,
        target_text="3",
        period=f"{days[0]} - {days[-1]}",
        trial_limits=False,
        points=points,
        mean_text="2.0",
        lpl_text="-1.0",
        upl_text="5.0",
        latest_text="4",
    )
    return Charted(spc, "daily", "daily")


def test_daily_periods_are_drawn_on_the_day_given() -> None:
    charted = _daily(rebase_at=11)
    assert not charted.monthly
    spec = spc_spec(charted)
    assert [v["month"] for v in spec["data"]["values"][:2]] == ["2020-01-02", "2020-01-03"]
    x = spec["layer"][0]["encoding"]["x"]
    assert x["title"] == "Date" and x["axis"]["format"] == "%-d %b %Y"
    assert "interval" not in json.dumps(x["axis"])  # not month ticks
    assert spec["layer"][0]["encoding"]["y"]["title"] == "Value"
    assert {r["month"] for r in _reference(spec)} >= {"2020-01-02", "2020-01-21"}
    # the rebase rule sits halfway between the two groups' points (12 and 13 January)
    assert spec["layer"][3]["data"]["values"] == [
        {"month": "2020-01-12T12:00:00Z", "text": "limits rebased"}
    ]
    assert spc_label(charted).startswith("SPC chart of daily, 2020-01-02 to 2020-01-21:")
    assert "; target 3;" in spc_label(charted)
    trend = trend_spec(charted)
    assert trend["layer"][0]["encoding"]["x"]["timeUnit"] == "utcyearmonthdate"


def test_months_and_first_of_month_dates_keep_the_month_axis() -> None:
    x = spc_spec(_charted("4a"))["layer"][0]["encoding"]["x"]
    assert x["axis"]["format"] == "%b-%y" and x["title"] == "Month"
    spc = _row("4a").spc
    assert spc is not None
    dated = tuple(dataclasses.replace(p, period=f"{p.period}-01") for p in spc.points)
    charted = Charted(dataclasses.replace(spc, points=dated), "n", "t", "offences")
    assert charted.monthly
    assert spc_spec(charted)["data"] == spc_spec(_charted("4a"))["data"]
    ends = tuple(dataclasses.replace(p, period=f"{p.period}-28") for p in spc.points)
    assert not Charted(dataclasses.replace(spc, points=ends), "n", "t").monthly


def test_series_chart_svg_is_one_labelled_self_contained_image() -> None:
    charted = _daily(rebase_at=11)
    svg = series_chart_svg(charted)
    parts = SvgParts(svg)
    assert svg.startswith("<svg") and parts.tags[0] == "svg"
    assert parts.root["role"] == "img" and parts.root["aria-label"] == spc_label(charted)
    assert parts.title == spc_label(charted)
    assert parts.root["xmlns"] == "http://www.w3.org/2000/svg"  # a file of its own
    for tag in ("script", "image", "foreignobject", "a", "style"):
        assert tag not in parts.tags, tag
    assert "href" not in svg and "url(" not in svg
    assert "http" not in re.sub(r'xmlns(:\w+)?="http://www\.w3\.org/[^"]*"', "", svg)
    texts = " ".join(parts.texts)
    for words in (
        "SPC chart: daily",
        "Date",
        "Value",
        "Mean",
        "Process limits",
        "Target",
        "limits rebased",
        "Common cause",
    ):
        assert words in texts, words
    assert POINT_TYPES["common_cause"][1] in svg
    escaped = series_chart_svg(Charted(charted.spc, "t & <x>", "t & <x>"))
    assert "<x>" not in escaped and SvgParts(escaped).root["aria-label"].startswith(
        "SPC chart of t & <x>,"
    )


_FLAT_OBJECT = re.compile(r"\{\n\s+([^{}\[\]]*?)\n\s*\}")


def _readable(spec: dict[str, Any]) -> str:
    """Indented JSON with each flat object (a data row, a mark) on one line."""
    text = json.dumps(spec, indent=1, ensure_ascii=False)
    return (
        _FLAT_OBJECT.sub(
            lambda m: "{" + " ".join(part.strip() for part in m.group(1).splitlines()) + "}", text
        )
        + "\n"
    )


def test_spc_spec_matches_golden_file() -> None:
    """The vehicle-crime chart (rebased, a trend) as JSON: a readable diff of any change."""
    actual = _readable(spc_spec(_charted("vehicle_crime")))
    path = GOLDEN / "spc-chart.vl.json"
    if UPDATE:
        path.write_text(actual, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == actual


# --- SVG ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def charts() -> list[Any]:
    return charts_for(_row("4a"))  # two charts: SPC and trend


def test_charts_are_inline_labelled_svg(charts: list[Any]) -> None:
    assert [c.kind for c in charts] == ["spc", "trend"]
    for chart in charts:
        parts = SvgParts(chart.svg)
        assert parts.tags[0] == "svg"
        assert parts.root["role"] == "img" and parts.root["aria-label"] == chart.label
        assert parts.title == chart.label
        for tag in ("script", "image", "foreignobject", "a", "style"):
            assert tag not in parts.tags, tag
        assert "href" not in chart.svg and "url(" not in chart.svg
        outside = re.sub(r'xmlns(:\w+)?="http://www\.w3\.org/[^"]*"', "", chart.svg)
        assert "http" not in outside
        assert len(chart.svg) < 20_000  # small enough to inline dozens
    assert charts[0].label == (
        "SPC chart of Serious acquisitive crime rate, Sep-07 to Aug-09: common cause "
        "variation; mean 15,538 offences, limits 13,918 offences to 17,159 offences; monthly "
        "target 15,623.7 offences; inconsistently meets the target (hit and miss)"
    )
    texts = " ".join(SvgParts(charts[0].svg).texts)
    for words in (
        "SPC chart: 4a Serious acquisitive crime rate",
        "Month",
        "Mean",
        "Process limits",
        "Target",
        "Common cause",
    ):
        assert words in texts, words


def test_labels_for_rebased_and_special_cause_rows() -> None:
    assert spc_label(_charted("vehicle_crime")) == (
        "SPC chart of Motor vehicle crime, Sep-07 to Aug-09: special cause improvement "
        "(lower) (7-point decreasing trend at Aug-09); mean 8,734 offences, limits 8,062 "
        "offences to 9,406 offences; limits rebased from Sep-08"
    )


def test_drawing_is_deterministic_and_cached() -> None:
    spec = trend_spec(_charted("4a"))
    assert chart_svg(spec) == chart_svg(json.loads(json.dumps(spec)))


def test_labelled_svg_escapes_and_replaces() -> None:
    svg = labelled_svg('<svg width="1" role="x"><g/></svg>', 'a "<b>" & c')
    parts = SvgParts(svg)
    assert parts.root["role"] == "img" and parts.root["aria-label"] == 'a "<b>" & c'
    assert svg.count("role=") == 1 and "<b>" not in svg
    with pytest.raises(ValueError):
        labelled_svg("<p>not svg</p>", "x")
