"""A derived measure's formula where its definition is shown: the engine puts it on the
Scorecard's row (as written, and with the measures' titles and row labels for a person), the
JSON carries both, and the report (HTML, Markdown) and the PDF pack's appendix lay it out."""

from __future__ import annotations

import dataclasses
import json
from html import unescape
from pathlib import Path

from fixtures.scorecard_fixture import sample_scorecard
from test_cli import copy_project, run
from test_render_pdf import page_texts

from kpiboard.catalogue.formula import readable
from kpiboard.derivation import Derivation
from kpiboard.render import render
from kpiboard.scorecard import Scorecard

ROOT = Path(__file__).resolve().parents[1]
MET = ROOT / "examples" / "met-cpa-2009-10"

FORMULA = "(burglary + robbery) / crimes"
TEXT = "(Residential burglary [3] + Robbery [4]) ÷ Total recorded crime [1] × 100"
DERIVED = Derivation(FORMULA, TEXT)

# a share of the example's most serious violence within MSV and AWI, added to a copy of it
SHARE = """\
measures:
  - id: msv_share
    row: 3z
    section: Safety
    title: Most serious violence as a share of MSV and AWI
    unit: "%"
    kind: proportion
    polarity: lower_is_better
    formula: msv / msv_awi
"""
SHARE_TEXT = (
    "Most serious violence rate [3a] ÷ "
    "Most serious violence (MSV) and assault with injury (AWI) × 100"  # a child has no row label
)


def with_derived_row() -> Scorecard:
    """The fixture with its first KPI derived."""
    card = sample_scorecard()
    first = dataclasses.replace(card.rows[0], derived=DERIVED)
    return dataclasses.replace(card, rows=(first, *card.rows[1:]))


def test_readable_names_the_measures_and_writes_the_operators_as_people_do() -> None:
    names = {"a": "Alpha [1]", "b-c": "Beta"}.get
    assert readable("-a + (b-c - 2*a)/ -a", names) == (
        "−Alpha [1] + (Beta − 2 × Alpha [1]) ÷ −Alpha [1]"
    )
    assert readable("a/unknown", names) == "Alpha [1] ÷ unknown"  # an id with no name stays


def test_the_engine_puts_the_formula_on_the_row_and_the_json_carries_it(tmp_path: Path) -> None:
    root = copy_project(MET, tmp_path / "met")
    (root / "measures" / "4-derived.yaml").write_text(SHARE, encoding="utf-8")
    report = json.loads(run("report", root, "--as-of", "2009-08", "--format", "json").stdout)
    rows = {r["measure"]: r for r in report["rows"]}
    assert rows["msv_share"]["derived"] == {"formula": "msv / msv_awi", "text": SHARE_TEXT}
    assert rows["msv"]["derived"] is None  # a measure with data of its own


def test_json_carries_the_formula_as_written_and_for_a_person() -> None:
    rows = json.loads(render(with_derived_row(), "json"))["rows"]
    assert rows[0]["derived"] == {"formula": FORMULA, "text": TEXT}
    assert all(r["derived"] is None for r in rows[1:])


def test_the_html_report_shows_the_formula_under_the_kpi() -> None:
    html = unescape(render(with_derived_row(), "html").decode("utf-8"))
    assert f'<span class="description derived">Derived: {TEXT}</span>' in html
    assert html.count("Derived: ") == 1


def test_markdown_shows_the_formula_under_the_kpi() -> None:
    md = render(with_derived_row(), "md").decode("utf-8")
    assert md.count(f"Derived: {TEXT}") == 1


def test_the_pdf_appendix_defines_the_kpi_by_its_formula() -> None:
    pages = page_texts(render(with_derived_row(), "pdf"))
    appendix = next(p for p in pages if "Definitions, latest periods and methods" in p)
    assert f"Derived: {TEXT}" in appendix
    assert f"Formula: {FORMULA}" in appendix
