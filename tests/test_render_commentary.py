"""Commentary Markdown becomes inert HTML (two guards: markdown-it without raw HTML, then nh3)."""

from __future__ import annotations

import pytest
from fixtures.scorecard_fixture import sample_scorecard

from kpiboard.render import render
from kpiboard.render.commentary import commentary_html
from kpiboard.render.registry import RenderOptions


@pytest.mark.parametrize(
    "text, absent",
    [
        ("<script>alert(1)</script>", "<script"),
        ("[x](javascript:alert(1))", 'href="javascript'),
        ("[x](JaVaScRiPt:alert(1))", "href="),
        ("[x](vbscript:msgbox(1))", "href="),
        ("[x](data:text/html;base64,PHNjcmlwdD4=)", "href="),
        ('<a href="https://x.org" onclick="alert(1)">x</a>', "<a "),
        ("<img src=x onerror=alert(1)>", "<img"),
        ('<div style="background:url(javascript:alert(1))">x</div>', "<div"),
        ("<iframe src=https://x.org></iframe>", "<iframe"),
        ("![pic](https://x.org/p.png)", "<img"),
    ],
)
def test_hostile_input_is_inert(text: str, absent: str) -> None:
    assert absent not in commentary_html(text)


def test_markdown_renders_with_safe_links() -> None:
    html = commentary_html(
        "# Heading\n\n**bold** _it_ [link](https://www.police.uk) <mailto:a@b.org>\n\n- one\n- two"
    )
    assert "<h3>Heading</h3>" in html  # under the page's own headings
    assert "<strong>bold</strong>" in html and "<em>it</em>" in html
    assert '<a href="https://www.police.uk" rel="noopener noreferrer nofollow">link</a>' in html
    assert '<a href="mailto:a@b.org" rel="noopener noreferrer nofollow">' in html
    assert "<li>one</li>" in html


def test_typed_html_is_shown_as_text() -> None:
    assert commentary_html("a <b>c</b>") == "<p>a &lt;b&gt;c&lt;/b&gt;</p>\n"


def test_html_report_carries_commentary_stamp_and_changes() -> None:
    card = sample_scorecard()
    measure = card.all_rows()[0].measure
    options = RenderOptions(
        commentary={measure: "**Reviewed** <script>x</script>"},
        stamp=("Published by A",),
        changes=("Row 1: status Amber → Red",),
    )
    html = render(card, "html", options).decode()
    assert "<strong>Reviewed</strong>" in html and "<script>x" not in html
    assert "Published by A" in html and "Row 1: status Amber → Red" in html
    plain = render(card, "html").decode()
    assert (
        "Changed since the last published pack" not in plain and 'class="commentary"' not in plain
    )
