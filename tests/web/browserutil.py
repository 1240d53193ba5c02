"""What the accessibility and print tests share: Debian's Chromium driven by Playwright, axe-core
from the npm registry (tests/axe, installed by `make axe`), the HTML outputs rendered from fresh
copies of the examples, and the layout measurements made in the page."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from appdb_helpers import PASSWORD
from live import project_copy, serving
from webutil import EXAMPLE, ROOT

from kpiboard.cli.report import league_of, scorecard_of
from kpiboard.render import LEAGUE, render
from kpiboard.render.registry import RenderOptions

CHROMIUM = Path(os.environ.get("KPIBOARD_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
AXE = ROOT / "tests" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
ENGLAND_WALES = ROOT / "examples" / "england-wales-2017-18"
ARTIFACTS = ROOT / "test-artifacts" / "a11y"

# 100% zoom is a 1280 px wide window; 200% zoom of the same window leaves half the CSS pixels.
ZOOMS = {"100%": {"width": 1280, "height": 900}, "200%": {"width": 640, "height": 450}}
# WCAG 2.2 A and AA (axe tags every success criterion by the version that introduced it) and
# axe's best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa", "best-practice"]

# Commentary with long words (a column that is too narrow splits them: "measur/e") and a long
# paragraph (a clipped column loses its end), as an editor writes it.
COMMENTARY = (
    "Robbery is **down** on last year. The improvement reflects measurement changes and "
    "neighbourhood partnership working across boroughs; representatives acknowledged "
    "characteristically disproportionate, counterintuitive fluctuations. Closing sentence "
    "ZZTOKENEND."
)
LONG_WORDS = ["measurement", "neighbourhood", "representatives", "characteristically",
              "disproportionate", "counterintuitive", "ZZTOKENEND"]  # fmt: skip


def contrast(a: str, b: str) -> float:
    """WCAG's contrast ratio of two #rrggbb colours."""

    def lum(hex_colour: str) -> float:
        rgb = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@dataclass(frozen=True)
class Outputs:
    report: Path  # `kpiboard report --format html` of the reference example, with commentary
    league: Path  # `kpiboard report --org all --measure total_crime_rate --format html`


def render_outputs(tmp: Path) -> Outputs:
    """The HTML report (the reference scorecard, with commentary on robbery) and the 43-force
    league table, each rendered from a fresh copy of its example."""
    met = tmp / "met"
    shutil.copytree(EXAMPLE, met, ignore=shutil.ignore_patterns(".kpiboard"))
    card = scorecard_of(met, "2009-08", None)
    report = tmp / "report.html"
    options = RenderOptions(commentary={"robbery": COMMENTARY})
    report.write_bytes(render(card, "html", options))
    ew = tmp / "ew"
    shutil.copytree(ENGLAND_WALES, ew, ignore=shutil.ignore_patterns(".kpiboard"))
    league = tmp / "league.html"
    league.write_bytes(LEAGUE.render(league_of(ew, "2018-03", "total_crime_rate", None), "html"))
    return Outputs(report, league)


@dataclass(frozen=True)
class Served:
    url: str  # `kpiboard serve` of a copy of the reference example, with an admin account
    outputs: Outputs


@contextmanager
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The dashboard, started while the HTML outputs render (the accessibility and the print
    tests share one, see conftest.py)."""
    project = project_copy(tmp_path_factory.mktemp("a11y"))
    with ThreadPoolExecutor(1) as pool:
        rendering = pool.submit(render_outputs, tmp_path_factory.mktemp("outputs"))
        with serving(project) as url:
            yield Served(url, rendering.result())


def sign_in(page: Any, url: str) -> None:
    """Sign ``page`` in as the admin (who may edit commentary and publish)."""
    from playwright.sync_api import expect

    page.goto(url + "/login")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Signed in as")).to_be_visible()


def run_axe(page: Any) -> list[str]:
    """axe-core's violations on the page as shown, one line each (rule, impact, where)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # evaluated, not added as a <script>: the dashboard's Content-Security-Policy stays on
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
    found: list[str] = page.evaluate(
        """async (tags) => {
          const r = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                             resultTypes: ['violations']});
          return r.violations.map(v => `${v.id} (${v.impact}): ${v.help}; at ` +
            v.nodes.slice(0, 4).map(n => n.target.join(' ')).join(', '));
        }""",
        AXE_TAGS,
    )
    return found


# Reflow problems: the page scrolls sideways (outside a scroll region that takes the focus and
# has a name), a cell's content spills out of it (a badge over the next column), an empty row
# header, a scroll region a keyboard cannot reach.
LAYOUT = """() => {
  const problems = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > doc.clientWidth)
    problems.push(`the page scrolls sideways: ${doc.scrollWidth} px wide in ${doc.clientWidth}`);
  const where = (el) => {
    const row = el.closest('tr');
    const head = row && row.querySelector('th');
    return `${el.tagName.toLowerCase()}${head ? ' in row ' + JSON.stringify(head.textContent.trim().slice(0, 30)) : ''}`;
  };
  for (const badge of document.querySelectorAll('.badge')) {
    const cell = badge.closest('td, th');
    const b = badge.getBoundingClientRect();
    if (!cell || b.width === 0) continue;
    const c = cell.getBoundingClientRect();
    if (b.left < c.left - 0.5 || b.right > c.right + 0.5 || b.top < c.top - 0.5 || b.bottom > c.bottom + 0.5)
      problems.push(`badge ${JSON.stringify(badge.textContent.trim())} spills out of its ${where(cell)}`);
  }
  for (const cell of document.querySelectorAll('td, th')) {
    if (cell.getBoundingClientRect().width === 0) continue;
    if (cell.scrollWidth > cell.clientWidth + 1)
      problems.push(`content overflows its ${where(cell)}: ${cell.scrollWidth} px in ${cell.clientWidth}`);
  }
  for (const th of document.querySelectorAll('th'))
    if (!th.textContent.trim()) problems.push(`empty header cell: ${th.outerHTML.slice(0, 80)}`);
  for (const el of document.querySelectorAll('body *')) {
    const style = getComputedStyle(el);
    if (!['auto', 'scroll'].includes(style.overflowX) || el.scrollWidth <= el.clientWidth) continue;
    const region = el.getAttribute('role') === 'region' || el.tagName === 'SECTION';
    if (el.tabIndex < 0 || !region || !el.getAttribute('aria-label'))
      problems.push(`a scroll region without tabindex=0, role=region and a name: ${el.outerHTML.slice(0, 80)}`);
  }
  return problems;
}"""

# Words split across lines: every word (between spaces, hyphens and slashes) of the text in
# table cells must sit on one line, and no cell's text may be cut off by its cell.
SPLIT_WORDS = """() => {
  const problems = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || !parent.closest('td, th') || parent.closest('svg, .visually-hidden, summary')) continue;
    const text = node.textContent;
    const re = /[^\\s\\-\\u2010-\\u2015\\/]+/g;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      const rects = [...range.getClientRects()].filter(r => r.width > 0);
      const lines = new Set(rects.map(r => Math.round(r.top)));
      if (lines.size > 1) problems.push(`"${m[0]}" split across lines`);
    }
  }
  return problems;
}"""


def shot(page: Any, name: str) -> None:
    """A screenshot for people to look at, in test-artifacts/a11y/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))  # the first screen: whole pages are slow
