"""``--format html``: one self-contained, accessible page (checked with html.parser only)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from fixtures.scorecard_fixture import sample_scorecard

from kpiboard.render import render
from kpiboard.render.html import MIN_CONTRAST, PAGE_SWATCHES, STATUS_SWATCHES, Swatch
from kpiboard.scorecard import Scorecard

VOID = {"meta", "col", "br", "hr", "img", "input", "link", "source", "wbr"}
COLUMNS = [
    "Ref",
    "Key performance indicator",
    "Target 2009/10",
    "Status",
    "Latest data",
    "Comments",
]
WORDS = {"green": ("G", "Green"), "amber": ("A", "Amber"), "red": ("R", "Red")}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    @property
    def text(self) -> str:
        parts = [c if isinstance(c, str) else c.text for c in self.children]
        return " ".join(" ".join(parts).split())

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def iter(self, tag: str | None = None) -> Iterator[Node]:
        for child in self.children:
            if isinstance(child, Node):
                if tag is None or child.tag == tag:
                    yield child
                yield from child.iter(tag)

    def find(self, tag: str) -> Node:
        return next(self.iter(tag))


class TreeBuilder(HTMLParser):
    """A strict little DOM: fails on a closing tag that does not match the open one."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]
        self.doctype = ""

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(html: str) -> tuple[TreeBuilder, Node]:
    builder = TreeBuilder()
    builder.feed(html)
    builder.close()
    assert builder.stack == [builder.root], "unclosed elements"
    return builder, builder.root


def _html(scorecard: Scorecard | None = None) -> str:
    return render(scorecard or sample_scorecard(), "html").decode("utf-8")


@pytest.fixture(scope="module")
def page() -> str:
    return _html()


@pytest.fixture(scope="module")
def doc(page: str) -> Node:
    return parse(page)[1]


def _section_tables(doc: Node) -> list[Node]:
    """The per-section tables (not the "At a glance" summary, nor the SPC matrix)."""
    return [t for t in doc.iter("table") if not {"glance", "matrix"} & set(t.classes)]


def _rows(doc: Node) -> list[Node]:
    """The KPI rows of the section tables (not the full-width chart rows under some)."""
    return [
        tr
        for table in _section_tables(doc)
        for tbody in table.iter("tbody")
        for tr in tbody.iter("tr")
        if "charts-row" not in tr.classes
    ]


def _row(doc: Node, ref: str) -> Node:
    return next(tr for tr in _rows(doc) if tr.find("th").text == ref)


def test_is_a_well_formed_english_document(page: str) -> None:
    builder, doc = parse(page)
    assert builder.doctype.lower() == "doctype html"
    html = doc.find("html")
    assert html.attrs["lang"] == "en"
    assert html.find("head").find("meta").attrs == {"charset": "utf-8"}
    title = doc.find("title").text
    assert "2009/10 Critical Performance Areas" in title and "Aug-09" in title
    assert len(list(doc.iter("main"))) == 1
    assert len(list(doc.iter("h1"))) == 1


def test_heading_names_organisation_as_of_and_year(doc: Node) -> None:
    header = doc.find("main").find("header")
    assert header.find("h1").text == "2009/10 Critical Performance Areas"
    assert "Metropolitan Police Service" in header.text
    assert "as of Aug-09" in header.text
    assert "financial year 2009/10" in header.text


# Inline SVG may name its XML namespaces (never fetched); nothing else may mention a URL.
XMLNS = re.compile(r'\sxmlns(:\w+)?="http://www\.w3\.org/[^"]*"')


def test_no_external_assets(page: str, doc: Node) -> None:
    for node in doc.iter():
        for name in ("src", "href", "xlink:href", "action", "data", "poster", "srcset"):
            value = node.attrs.get(name, "")
            assert not re.match(r"\s*(https?:|data:)?//", value), (node.tag, value)
            assert not value or value.startswith("#"), (node.tag, name, value)
        for name, value in node.attrs.items():
            if name.startswith("xmlns"):
                assert value.startswith("http://www.w3.org/"), (name, value)
    assert not list(doc.iter("script")) and not list(doc.iter("link"))
    assert not list(doc.iter("img")) and not list(doc.iter("iframe"))
    assert not list(doc.iter("image")) and not list(doc.iter("foreignobject"))
    for style in doc.iter("style"):
        assert "url(" not in style.text and "@import" not in style.text
        assert "@font-face" not in style.text
    assert "url(" not in page  # not in style attributes either
    unnamespaced = XMLNS.sub("", page)
    assert "http://" not in unnamespaced and "https://" not in unnamespaced


def test_one_captioned_table_per_section(doc: Node) -> None:
    tables = _section_tables(doc)
    assert [t.find("caption").text for t in tables] == ["Confidence", "Safety", "Improvement"]
    for table in tables:
        headers = list(table.find("thead").iter("th"))
        assert [th.text for th in headers] == COLUMNS
        assert all(th.attrs.get("scope") == "col" for th in headers)
        for tr in table.find("tbody").iter("tr"):
            if "charts-row" in tr.classes:  # one full-width cell under its KPI
                assert [c.attrs.get("colspan") for c in tr.children if isinstance(c, Node)] == [
                    str(len(COLUMNS))
                ]
                continue
            first = tr.children[0] if isinstance(tr.children[0], Node) else tr.find("th")
            assert first.tag == "th" and first.attrs.get("scope") == "row"
            assert len([c for c in tr.children if isinstance(c, Node)]) == len(COLUMNS)


def test_every_status_has_shape_letter_word_and_reason(doc: Node) -> None:
    scorecard = sample_scorecard()
    rows = _rows(doc)
    assert len(rows) == len(scorecard.all_rows())
    for row, tr in zip(scorecard.all_rows(), rows, strict=True):
        cell = next(td for td in tr.iter("td") if "status" in td.classes)
        key = row.status.value if row.status else "none"
        assert f"status-{key}" in cell.classes
        icon = next(s for s in cell.iter("span") if "icon" in s.classes)
        assert icon.attrs.get("aria-hidden") == "true" and icon.text
        if row.status is None:
            assert "No status" in cell.text
        else:
            letter, word = WORDS[key]
            assert f"{letter} {word}" in cell.text
        assert row.status_reason in cell.text


def test_the_stylesheet_uses_the_tested_swatches(doc: Node) -> None:
    style = doc.find("style").text
    for key, swatch in STATUS_SWATCHES.items():
        assert f".status-{key} {{ background: {swatch.fill}; color: {swatch.text}; }}" in style


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(swatch: Swatch) -> float:
    a, b = sorted((_luminance(swatch.text), _luminance(swatch.fill)), reverse=True)
    return (a + 0.05) / (b + 0.05)


@pytest.mark.parametrize(("name", "swatch"), [*STATUS_SWATCHES.items(), *PAGE_SWATCHES.items()])
def test_text_contrast_meets_wcag_aa(name: str, swatch: Swatch) -> None:
    assert _contrast(swatch) >= MIN_CONTRAST, name


def test_contrast_formula_against_known_values() -> None:
    assert _contrast(Swatch("#000000", "#ffffff")) == pytest.approx(21.0)
    assert _contrast(Swatch("#777777", "#ffffff")) == pytest.approx(4.48, abs=0.01)


def _title(tr: Node) -> str:
    return next(s.text for s in tr.iter("span") if "title" in s.classes)


def test_children_are_marked_and_indented(doc: Node) -> None:
    child = next(tr for tr in _rows(doc) if _title(tr) == "Residential burglary")
    assert "child" in child.classes
    marker = next(s for s in child.iter("span") if "child-marker" in s.classes)
    assert marker.text == "↳"
    assert "Part of 4a" in child.find("th").text  # the row header is never empty
    assert "tr.child .kpi { padding-left" in doc.find("style").text
    parent = _row(doc, "4a")
    assert "child" not in parent.classes
    assert _rows(doc).index(child) == _rows(doc).index(parent) + 1


def test_tracking_and_in_development_are_labelled(doc: Node) -> None:
    tracking = _row(doc, "1b")
    assert "tracking" in tracking.classes and "Tracking measure" in tracking.text
    in_dev = _row(doc, "5a")
    assert "in-development" in in_dev.classes
    assert "In development" in in_dev.text and "No data yet" in in_dev.text


def test_ranks_facts_milestones_and_figures(doc: Node) -> None:
    row_1a = _row(doc, "1a")
    assert "14th/42 in England & Wales and 2nd/4 in MSF (12 months to Mar-09)" in row_1a.text
    assert "Rank:" not in row_1a.text
    assert [li.text for li in row_1a.find("ul").iter("li")] == [
        "55.4% by Mar 2011",
        "59.4% by Mar 2012",
    ]
    row_4a = _row(doc, "4a")
    facts = next(ul for ul in row_4a.iter("ul") if "facts" in ul.classes)
    assert len(list(facts.iter("li"))) == 3
    row_4c = _row(doc, "4c")
    figures = row_4c.find("dl")
    terms = [dt.text for dt in figures.iter("dt")]
    assert "Forecast 2009/10:" in terms and "Range, last 12 months:" in terms
    assert "£1.3m (Jun-09) to £9.6m (Dec-08)" in figures.text
    assert "±1.6 pts; shortfall 1.7 pts" in _row(doc, "2b").text
    latest = next(td for td in _row(doc, "2a").iter("td") if "latest" in td.classes)
    assert latest.text == (
        "77.3% provisional 12 months to Jun-09 "
        "revised since published: 77.1% → 77.3% (vintage 3)"  # the fixture's 2a is revised
    )


def test_footer_has_the_key_and_notes(doc: Node) -> None:
    footer = doc.find("footer")
    assert "Performance assessment key" in footer.find("h2").text
    key = [li.text for li in footer.find("ul").iter("li")]
    assert key == [
        "● G Green = on/above target",
        "▲ A Amber = marginally below target",
        "■ R Red = well below target",
    ]
    assert "Survey measures are rolling 12-month estimates" in footer.text


def test_print_styles(doc: Node) -> None:
    style = doc.find("style").text
    assert "@media print" in style
    assert "size: A4 landscape" in style
    assert "break-inside: avoid" in style
    assert "display: table-header-group" in style


def test_text_is_escaped_never_markup() -> None:
    base = sample_scorecard()
    first = dataclasses.replace(
        base.rows[0],
        title='<script>alert("x")</script> & co',
        facts=("<b>bold?</b>",),
        status_reason="<img src=x onerror=alert(1)>",
    )
    page = _html(dataclasses.replace(base, rows=(first, *base.rows[1:]), title="A <i>t</i>"))
    _, doc = parse(page)
    assert not list(doc.iter("script")) and not list(doc.iter("img"))
    assert not list(doc.iter("b")) and not list(doc.iter("i"))
    assert '<script>alert("x")</script> & co' in _row(doc, "1a").text
    assert "&lt;script&gt;" in page
    assert doc.find("h1").text == "A <i>t</i>"


def test_ratio_and_level_figures_are_shown() -> None:
    from kpiboard.scorecard import RatioFigures

    base = sample_scorecard()
    ratio = RatioFigures(0.6, "0.6 : 1", 24.8, "24.8%", 0.8, "0.8 : 1")
    last = dataclasses.replace(base.rows[-1], ratio=ratio)
    _, doc = parse(_html(dataclasses.replace(base, rows=(*base.rows[:-1], last))))
    figures = _row(doc, "6c").find("dl").text
    assert "Ratio: 0.6 : 1 (reference share 24.8%) against target 0.8 : 1" in figures
    assert "Level (12 months to Aug-09): 181,608" in _row(doc, "4a").find("dl").text


# --- SPC: the summary, the status cell, the charts ----------------------------------------

GLANCE_COLUMNS = ["Ref", "KPI", "Status", "Variation (SPC)", "Assurance (SPC)", "Latest"]


def _glance(doc: Node) -> Node:
    return next(t for t in doc.iter("table") if "glance" in t.classes)


def _glance_rows(doc: Node) -> list[Node]:
    return [tr for tr in _glance(doc).iter("tr") if "glance-row" in tr.classes]


def _cell(tr: Node, cls: str) -> Node:
    return next(td for td in tr.iter("td") if cls in td.classes)


def _labelled_svgs(node: Node) -> list[Node]:
    return list(node.iter("svg"))


def test_at_a_glance_comes_first_and_lists_every_row(doc: Node) -> None:
    tables = list(doc.iter("table"))
    assert tables[0] is _glance(doc)
    glance = _glance(doc)
    assert glance.find("caption").text == "At a glance"
    headers = list(glance.find("thead").iter("th"))
    assert [th.text for th in headers] == GLANCE_COLUMNS
    assert all(th.attrs.get("scope") == "col" for th in headers)
    groups = [th.text for th in glance.iter("th") if th.attrs.get("scope") == "rowgroup"]
    assert groups == ["Confidence", "Safety", "Improvement"]
    scorecard = sample_scorecard()
    rows = _glance_rows(doc)
    assert [tr.find("a").text for tr in rows] == [r.title for r in scorecard.all_rows()]
    ids = {tr.attrs.get("id") for tr in _rows(doc)}
    for row, tr in zip(scorecard.all_rows(), rows, strict=True):
        assert tr.find("th").attrs.get("scope") == "row"
        href = tr.find("a").attrs["href"]
        assert href.startswith("#") and href[1:] in ids  # drill-through to the row
        status = _cell(tr, "status")
        key = row.status.value if row.status else "none"
        assert f"status-{key}" in status.classes
        if row.status is not None:
            letter, word = WORDS[key]
            assert f"{letter} {word}" in status.text
        variation, assurance = _cell(tr, "variation"), _cell(tr, "assurance")
        if row.spc is None:
            assert variation.text.startswith("–") and assurance.text.startswith("–")
            assert not _labelled_svgs(tr)
            continue
        icon = variation.find("svg")
        assert icon.attrs["role"] == "img" and icon.attrs["aria-label"] == row.spc.variation_text
        words = [span.text for span in variation.iter("span") if not span.classes]
        assert words == [row.spc.variation_text]  # visible words beside the icon
        if row.spc.assurance is None:
            assert assurance.text.startswith("–") and not _labelled_svgs(assurance)
        else:
            icon = assurance.find("svg")
            assert icon.attrs["aria-label"] == "Inconsistently meets the target (hit and miss)"
            assert "Inconsistently meets the target (hit and miss)" in assurance.text


def test_at_a_glance_words(doc: Node) -> None:
    by_title = {tr.find("a").text: tr for tr in _glance_rows(doc)}
    burglary = by_title["Residential burglary"]
    assert "Special cause concern (higher)" in _cell(burglary, "variation").text
    assert "no monthly target" in _cell(burglary, "assurance").text  # for screen readers
    sac = by_title["Serious acquisitive crime rate"]
    assert "A Amber" in _cell(sac, "status").text
    assert "Status from SPC" in _cell(sac, "status").text
    assert _cell(by_title["Robbery"], "variation").text == "– no SPC verdict"
    assert "£43.8m" in _cell(by_title[_title(_row(doc, "4c"))], "latest").text


def test_status_cell_shows_spc_beside_the_rag_status(doc: Node) -> None:
    cell = next(td for td in _row(doc, "4c").iter("td") if "status" in td.classes)
    assert "A Amber" in cell.text and "Status from" not in cell.text
    spc = next(p for p in cell.iter("p") if "spc" in p.classes)
    assert "SPC: Common cause variation; hit and miss" in spc.text
    labels = [svg.attrs["aria-label"] for svg in spc.iter("svg")]
    assert labels == ["Common cause variation", "Inconsistently meets the target (hit and miss)"]


def test_status_from_spc_shows_the_targets_verdict_second(doc: Node) -> None:
    cell = next(td for td in _row(doc, "4a").iter("td") if "status" in td.classes)
    assert "status-amber" in cell.classes
    assert "Status from SPC" in cell.text
    rag = next(s for s in cell.iter("span") if "rag" in s.classes)
    assert rag.text == "Against the target alone: ● G Green"
    assert any("status-green" in s.classes for s in rag.iter("span"))
    assert cell.text.index("A Amber") < cell.text.index("Status from SPC")
    # the target's own reason, beside its verdict
    reason = next(s for s in cell.iter("span") if "rag-reason" in s.classes)
    assert reason.text == "-5.1% better than the -2% target"
    assert cell.text.index("Against the target alone") < cell.text.index(reason.text)


def test_the_targets_reason_is_shown_only_when_its_verdict_is_secondary(doc: Node) -> None:
    cell = next(td for td in _row(doc, "4c").iter("td") if "status" in td.classes)
    assert not any("rag-reason" in s.classes for s in cell.iter("span"))


def _chart_row(doc: Node, ref_row: Node) -> Node | None:
    table = next(t for t in _section_tables(doc) if ref_row in list(t.iter("tr")))
    trs = list(table.iter("tr"))
    following = trs[trs.index(ref_row) + 1] if trs.index(ref_row) + 1 < len(trs) else None
    return following if following is not None and "charts-row" in following.classes else None


def test_charts_sit_in_a_closed_details_under_their_row(doc: Node) -> None:
    expected = {
        "4a": 2,
        "Residential burglary": 1,
        "Robbery": 0,
        "Motor vehicle crime": 1,
        "4c": 2,
        "2a": 0,
        "6c": 0,
    }
    for name, count in expected.items():
        tr = _row(doc, name) if len(name) == 2 else next(r for r in _rows(doc) if _title(r) == name)
        charts = _chart_row(doc, tr)
        if count == 0:
            assert charts is None, name
            continue
        assert charts is not None, name
        details = charts.find("details")
        assert "open" not in details.attrs  # the page stays scannable
        summary = details.find("summary").text
        assert summary == f"Charts for {name}"
        figures = list(details.iter("figure"))
        assert len(figures) == count, name
        for figure in figures:
            svg = figure.find("svg")
            assert svg.attrs["role"] == "img" and svg.attrs["aria-label"]
            assert svg.find("title").text == svg.attrs["aria-label"]
            assert figure.find("figcaption").text
    figure = next(_chart_row(doc, _row(doc, "4a")).iter("figure"))  # type: ignore[union-attr]
    assert (
        figure.find("svg")
        .attrs["aria-label"]
        .startswith(
            "SPC chart of Serious acquisitive crime rate, Sep-07 to Aug-09: common cause variation;"
        )
    )
    assert "Common cause variation at Aug-09" in figure.find("figcaption").text


def test_charts_print_opened(doc: Node) -> None:
    style = doc.find("style").text
    print_css = style[style.index("@media print") :]
    assert "details::details-content { content-visibility: visible; }" in print_css
    assert "figure.chart" in print_css


def test_spc_icon_key_in_the_footer(doc: Node) -> None:
    footer = doc.find("footer")
    assert "SPC icons (Making Data Count)" in [h.text for h in footer.iter("h2")]
    labels = [svg.attrs["aria-label"] for svg in footer.iter("svg")]
    assert "Special cause concern (higher)" in labels
    assert "Consistently misses the target" in labels
    assert len(labels) == 10


def test_no_spc_no_spc_furniture() -> None:
    base = sample_scorecard()
    plain = dataclasses.replace(
        base,
        rows=tuple(
            dataclasses.replace(
                r,
                spc=None,
                status_from="rag",
                children=tuple(dataclasses.replace(c, spc=None) for c in r.children),
            )
            for r in base.rows
        ),
    )
    page = _html(plain)
    _, doc = parse(page)
    assert not list(doc.iter("svg")) and not list(doc.iter("details"))
    assert "SPC icons" not in page
    assert len(_glance_rows(doc)) == len(base.all_rows())


def test_spc_row_text_is_escaped_in_charts_too() -> None:
    base = sample_scorecard()
    evil = '<script>alert("x")</script> & <b>co</b>'
    rows = tuple(dataclasses.replace(r, title=evil) if r.id == "4c" else r for r in base.rows)
    page = _html(dataclasses.replace(base, rows=rows))
    _, doc = parse(page)
    assert not list(doc.iter("script")) and not list(doc.iter("b"))
    figure = next(_chart_row(doc, _row(doc, "4c")).iter("figure"))  # type: ignore[union-attr]
    assert evil in figure.find("svg").attrs["aria-label"]
    assert "SPC chart: 4c " + evil in figure.find("svg").text


def test_a_revised_figure_is_marked_beside_it(doc: Node) -> None:
    latest = next(td for td in _row(doc, "2a").iter("td") if "latest" in td.classes)
    [mark] = [s for s in latest.iter("span") if "revised" in s.classes]
    assert mark.text == "revised since published: 77.1% → 77.3% (vintage 3)"
    other = next(td for td in _row(doc, "2b").iter("td") if "latest" in td.classes)
    assert not [s for s in other.iter("span") if "revised" in s.classes]


def test_the_spc_matrix_links_each_assured_row_once(doc: Node) -> None:
    matrix = next(t for t in doc.iter("table") if "matrix" in t.classes)
    columns = [th.text for th in matrix.find("thead").iter("th")]
    expected = [
        "Consistently passing the target",
        "Hit and miss",
        "Consistently failing the target",
    ]
    assert len(columns) == 3
    assert all(c.endswith(e) for c, e in zip(columns, expected, strict=True)), columns
    rows = [tr.find("th").text for tr in matrix.find("tbody").iter("tr")]
    assert rows == ["Special cause improvement", "Common cause", "Special cause concern"]
    anchors = {n.attrs["id"] for n in _all(doc) if "id" in n.attrs}
    section = next(n for n in _all(doc) if "matrix" in n.classes and n.tag == "section")
    links = [a.attrs["href"] for a in _all(section) if a.tag == "a"]
    assert links and all(h.startswith("#") and h[1:] in anchors for h in links)
    assert len(links) == len(set(links))
    # every row with an SPC verdict is placed once: in a cell, or beside the matrix
    assert len(links) == sum(1 for r in sample_scorecard().all_rows() if r.spc is not None)


def _all(node: Node) -> Iterator[Node]:
    for child in node.children:
        if isinstance(child, Node):
            yield child
            yield from _all(child)
