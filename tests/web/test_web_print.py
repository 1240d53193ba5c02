"""Printing from the browser (issue 14 item 5): the HTML report and the dashboard's scorecard,
printed by Chromium on A4 landscape, keep every column whole and every word on one line (the
commentary column used to be clipped, its words split: "measur/e").

Measured in print-emulated media at the width of an A4 landscape page inside 12 mm margins,
then printed to PDF (Playwright's page.pdf) and read back with pdftotext. The PDFs go to
test-artifacts/a11y/ for people to look at (pdftoppm renders them)."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browserutil import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    LAYOUT,
    LONG_WORDS,
    SPLIT_WORDS,
    Served,
    sign_in,
)

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing: `make test` installs Debian's chromium"
)

# A4 landscape is 297 mm wide; inside 12 mm margins that is 273 mm = 1032 CSS px at 96 px/in.
A4_LANDSCAPE_TEXT_WIDTH = round((297 - 2 * 12) / 25.4 * 96)
SCORECARD = "/scorecard/metropolitan/2009-08"


@pytest.fixture(scope="module")
def page(a11y_served: Served) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        p = browser.new_page(viewport={"width": 1280, "height": 900})
        sign_in(p, a11y_served.url)
        yield p
        browser.close()


def _url(served: Served, what: str) -> str:
    return served.outputs.report.as_uri() if what == "report" else served.url + SCORECARD


@pytest.mark.parametrize("what", ["report", "scorecard"])
def test_printed_cells_keep_their_content_and_words_whole(
    page: Any, a11y_served: Served, what: str
) -> None:
    page.goto(_url(a11y_served, what))
    page.emulate_media(media="print")
    try:
        page.set_viewport_size({"width": A4_LANDSCAPE_TEXT_WIDTH, "height": 700})
        assert page.evaluate("document.querySelectorAll('td').length") > 100
        assert page.evaluate(LAYOUT) == []  # no cell overflows (clipped on paper), no badge out
        assert page.evaluate(SPLIT_WORDS) == []
        if what == "report":  # the commentary prints in full, in its column
            shown = page.locator("td.comments .commentary").inner_text()
            assert set(LONG_WORDS) <= set(re.findall(r"[^\W_]+", shown))
    finally:
        page.emulate_media(media=None)
        page.set_viewport_size({"width": 1280, "height": 900})


def _pdf_words(pdf: Path) -> list[str]:
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return re.findall(r"[^\W_]+", text)


@pytest.mark.skipif(
    shutil.which("pdftotext") is None,
    reason="pdftotext is missing: `make test` installs poppler-utils",
)
@pytest.mark.parametrize("what", ["report", "scorecard"])
def test_printed_pdf_is_a4_landscape_with_every_word_whole(
    page: Any, a11y_served: Served, what: str
) -> None:
    page.goto(_url(a11y_served, what))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pdf = ARTIFACTS / f"print-{what}.pdf"
    page.pdf(path=str(pdf), format="A4", landscape=True, print_background=True)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info)
    assert size, info
    assert abs(float(size[1]) - 842) < 2 and abs(float(size[2]) - 595) < 2  # A4 landscape
    words = set(_pdf_words(pdf))
    # every word of every KPI title (a word split across lines comes out as two)
    titles = page.evaluate(
        "() => [...document.querySelectorAll('tbody tr[id]')].map(tr => tr.querySelector("
        "'td .title, td a').textContent)"
    )
    assert len(titles) > 20
    expected = {w for t in titles for w in re.findall(r"[^\W_]+", t)}
    if what == "report":
        expected |= set(LONG_WORDS)
    assert expected - words == set()
