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
COLUMNS = ["Ref", "Key performance indicator", "Target 2009/10", "Status", "Latest data",
           "Comments"]
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


def _rows(doc: Node) -> list[Node]:
    return [tr for tbody in doc.iter("tbody") for tr in tbody.iter("tr")]


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


def test_no_external_assets(page: str, doc: Node) -> None:
    for node in doc.iter():
        for name in ("src", "href", "action", "data", "poster"):
            value = node.attrs.get(name, "")
            assert not re.match(r"\s*(https?:)?//", value), (node.tag, value)
    assert not list(doc.iter("script")) and not list(doc.iter("link"))
    assert not list(doc.iter("img")) and not list(doc.iter("iframe"))
    style = doc.find("style").text
    assert "url(" not in style and "@import" not in style and "@font-face" not in style
    assert "http://" not in page and "https://" not in page


def test_one_captioned_table_per_section(doc: Node) -> None:
    tables = list(doc.iter("table"))
    assert [t.find("caption").text for t in tables] == ["Confidence", "Safety", "Improvement"]
    for table in tables:
        headers = list(table.find("thead").iter("th"))
        assert [th.text for th in headers] == COLUMNS
        assert all(th.attrs.get("scope") == "col" for th in headers)
        for tr in table.find("tbody").iter("tr"):
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


@pytest.mark.parametrize(
    ("name", "swatch"), [*STATUS_SWATCHES.items(), *PAGE_SWATCHES.items()]
)
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
        "55.4% by Mar 2011", "59.4% by Mar 2012",
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
    assert latest.text == "77.3% provisional 12 months to Jun-09"


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
