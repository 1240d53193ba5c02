"""Precision that never contradicts (docs/ENGINE.md, "Precision"): the rule's known answers,
and the bar over every example project: no sentence compares two figures printed alike, and
no change printed as nothing is called a rise or a fall."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from obs import monthly, obs, project

from kpiboard.assemble import assemble_scorecard, revision_texts
from kpiboard.cli.report import observed
from kpiboard.errors import KpiboardError
from kpiboard.periods import format_month, parse_month
from kpiboard.precision import (
    against_target,
    common_decimals,
    compare,
    decimals_to_differ,
    percent_change_text,
)
from kpiboard.render import render
from kpiboard.scorecard import Row, Scorecard
from kpiboard.vocabulary import ChangeDirection

EXAMPLES = sorted(
    p for p in (Path(__file__).resolve().parents[1] / "examples").iterdir() if p.is_dir()
)
MONTHS_BACK = (0, 1, 3, 6, 12)  # the latest month with data and a few before it

# --- the rule's known answers ------------------------------------------------------------------


def test_figures_that_print_alike_gain_decimals_and_the_change_follows() -> None:
    c = compare(76.6, 77.4, "%", 0, change_unit="pts")
    assert (c.first_text, c.second_text, c.change_text) == ("76.6%", "77.4%", "+0.8 pts")
    assert c.direction is ChangeDirection.UP and c.extended


def test_figures_that_already_differ_keep_the_measure_s_decimals() -> None:
    c = compare(76.4, 77.6, "%", 0, change_unit="pts")
    assert (c.first_text, c.second_text, c.change_text) == ("76%", "78%", "+1 pts")
    assert not c.extended


def test_a_change_that_would_print_as_nothing_gains_decimals() -> None:
    # 76% and 77% differ, but +0.02 pts at no decimals is "+0 pts": both gain two
    c = compare(76.49, 76.51, "%", 0, change_unit="pts")
    assert (c.first_text, c.second_text, c.change_text) == ("76.49%", "76.51%", "+0.02 pts")


def test_equal_figures_are_level_not_up_or_down() -> None:
    c = compare(77.0, 77.0, "%", 0, change_unit="pts")
    assert c.level and c.direction is ChangeDirection.LEVEL
    assert (c.first_text, c.second_text, c.change_text) == ("77%", "77%", "0 pts")
    # equal beyond the cap of three more decimals: level all the same
    assert compare(50.00001, 50.00002, "%", 1).level


def test_counts() -> None:
    c = compare(1234, 1234.4, "", 0)
    assert (c.first_text, c.second_text, c.change_text) == ("1,234.0", "1,234.4", "+0.4")
    # whole counts never gain decimals: equal ones are level, others differ as they are
    assert compare(1234, 1234, "", 0).level
    assert compare(1234, 1235, "", 0).change_text == "+1"
    assert decimals_to_differ(1234.0, 1234.0, 0) is None


def test_negative_changes() -> None:
    c = compare(77.4, 76.6, "%", 0, change_unit="pts")
    assert (c.first_text, c.second_text, c.change_text) == ("77.4%", "76.6%", "-0.8 pts")
    assert c.direction is ChangeDirection.DOWN
    c = compare(-2.44, -2.36, "%", 1, as_change=True, change_unit="pts")
    assert (c.first_text, c.second_text, c.change_text) == ("-2.44%", "-2.36%", "+0.08 pts")


def test_money_keeps_its_symbol() -> None:
    c = compare(43.81, 43.79, "£m", 1)
    assert (c.first_text, c.second_text, c.change_text) == ("£43.81m", "£43.79m", "-£0.02m")


def test_percent_changes_are_never_plus_nothing() -> None:
    assert percent_change_text(0.04, 1) == "+0.04%"
    assert percent_change_text(-0.004, 1) == "-0.004%"
    assert percent_change_text(2.61, 1) == "+2.6%"


def test_a_figure_against_its_target() -> None:
    t = against_target(76.6, 77, "%", 0, 0, gap_unit="pts")
    assert (t.figure_text, t.goal_decimals, t.gap_text) == ("76.6%", 0, "0.4 pts")
    t = against_target(77.2, 79, "%", 0, 0, gap_unit="pts")
    assert (t.figure_text, t.gap_text) == ("77%", "2 pts")
    # a target written with more decimals than the measure: the figure is written with them
    t = against_target(79.4, 79.5, "%", 0, 1, gap_unit="pts")
    assert (t.figure_text, t.goal_decimals, t.gap_text) == ("79.4%", 1, "0.1 pts")
    t = against_target(-2.44, -2.4, "%", 1, 1, gap_unit="pts", as_change=True)
    assert (t.figure_text, t.gap_text) == ("-2.44%", "0.04 pts")


def test_two_figures_each_at_its_own_precision() -> None:
    assert common_decimals(4321, 0, 4400, 0) is None  # they compare the right way as printed
    assert common_decimals(4399.6, 0, 4400, 0) == 1  # "4,400 against 4,400"
    assert common_decimals(0.55, 0, 0.57, 1) == 2  # "1 pts" is not within "+/-0.6 pts"


def _status_reason(tmp_path: Path, measure: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    card = assemble_scorecard(project(tmp_path, [measure]), obs(rows), parse_month("2009-08"))
    return next(r for r in card.all_rows() if r.measure == measure["id"]).status_reason


RATE = {"id": "sd", "title": "SD rate", "kind": "proportion", "unit": "%", "decimals": 1}


def _rate_rows(num: float) -> list[dict[str, Any]]:
    return [dict(r, denominator=1000.0) for r in monthly("A", "sd", "2009-04", [num] * 5)]


@pytest.mark.parametrize(
    ("level", "num", "words"),
    [
        # a target with more decimals than the measure: the figure is written with them, and
        # more where it would still print as the target does
        (32.05, 320.49, "32.049% is 0.001 pts below the 32.05% target"),
        # the figure meets the target, but as published (32.0%) it does not: said so
        (32.04, 320.4, "32.0% as published is 0.04 pts below the 32.04% target"),
        (32, 319.4, "31.9% is 0.1 pts below the 32% target"),
    ],
)
def test_status_reasons_write_the_figure_and_target_to_differ(
    tmp_path: Path, level: float, num: float, words: str
) -> None:
    m = {**RATE, "window": "fytd", "targets": [{"year": "2009/10", "level": level}]}
    assert _status_reason(tmp_path, m, _rate_rows(num)).startswith(words)


def test_a_figure_equal_to_a_strict_target_is_level_with_it(tmp_path: Path) -> None:
    m = {"id": "c", "title": "C", "kind": "count"}
    m["targets"] = [{"year": "2009/10", "level": 120, "op": ">"}]
    reason = _status_reason(tmp_path, m, monthly("A", "c", "2008-09", [10] * 12))
    assert reason.startswith("120 is level with the > 120 target")


MONEY = {"id": "assets", "title": "Assets", "kind": "count", "unit": "£m", "decimals": 1}


def _facts(tmp_path: Path, measure: dict[str, Any], values: list[float]) -> list[str]:
    rows = monthly("A", measure["id"], "2008-08", values)
    card = assemble_scorecard(project(tmp_path, [measure]), obs(rows), parse_month("2009-08"))
    return list(next(r for r in card.all_rows() if r.measure == measure["id"]).facts)


def test_the_months_in_and_out_of_a_rolling_total(tmp_path: Path) -> None:
    # Aug-08 out, Aug-09 in: both "£3.0m" at the measure's decimals
    facts = _facts(tmp_path, {**MONEY, "facts": ["drop_off"]}, [2.96] + [3.0] * 11 + [3.04])
    assert any(
        "Aug-08 (£2.96m) dropped out of the rolling 12-month total and Aug-09 (£3.04m) came "
        "in: up £0.08m on last month's" in f
        for f in facts
    ), facts


def test_a_monthly_average_against_its_target(tmp_path: Path) -> None:
    # Apr-Aug 2009 average £3.7504m against a flat £45m year's £3.75m a month
    m = {
        **MONEY,
        "facts": ["monthly_average"],
        "targets": [{"year": "2009/10", "level": 45}],
    }
    facts = _facts(tmp_path, m, [3.0] * 8 + [3.75] * 4 + [3.752])
    assert (
        "An average of £3.7504m a month in Apr - Aug 2009 against a target monthly average "
        "of £3.7500m" in facts
    ), facts


# --- the bar: every example, several months -----------------------------------------------------

NUM = r"[-+]?(?:[£$€])?\d[\d,]*(?:\.\d+)?"
FIG = rf"{NUM}(?:%| pts|m|bn|k)?"
PAIRS = [  # two figures a sentence compares, which must not print alike
    re.compile(rf"\bfrom ({FIG})(?: \([^)]*\)| for [^(;]*?| in [^;]*?)? to ({FIG})"),
    re.compile(rf"\bto ({FIG}) from ({FIG})"),
    re.compile(
        rf"\b({FIG})(?: a month)?(?: in [^;]*?)? against (?:a |the )?(?:target (?:monthly average )?of )?({FIG})"
    ),
    re.compile(
        rf"^({FIG})(?: \([^)]*\))? (?:is [^;]*?|better than|meets|on) the (?:[<>]=? )?({FIG}) target"
    ),
    re.compile(rf"performance \(({FIG})\) is .*margin of error for this measure \(\+/-({FIG})\)"),
    re.compile(rf"\(({FIG})\) dropped out .*\(({FIG})\) came in"),
]
ZERO_MOVES = [  # a change written as nothing beside words that say it moved
    re.compile(r"\b(?:Up|Down|up|down|rise|fall)\b[^;]*\([+-]0(?:\.0+)?(?: pts|%)?[,)]"),
    re.compile(r"\b(?:is|up|down) [+-]?0(?:\.0+)? (?:pts |%)?(?:above|below|on)\b"),
]


def _numeric(text: str) -> float:
    """The first number in ``text``: ``-£0.02m`` -> -0.02, ``0.00 per 1,000`` -> 0.0."""
    found = re.search(r"([-+]?)[£$€]?(\d[\d,]*(?:\.\d+)?)", text)
    assert found, text
    return float(found[1] + found[2].replace(",", ""))


@pytest.fixture(scope="module", params=EXAMPLES, ids=[p.name for p in EXAMPLES])
def cards(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[Scorecard]]:
    example: Path = request.param
    root = tmp_path_factory.mktemp("precision") / example.name
    shutil.copytree(example, root, ignore=shutil.ignore_patterns(".kpiboard"))
    with observed(root, None) as (cat, wh, latest):
        obs = wh.scorecard_observations(cat)
        months = sorted({latest - back for back in MONTHS_BACK})
        built = []
        for month in months:
            try:
                built.append(assemble_scorecard(cat, obs, month))
            except KpiboardError:  # a month before the example's data starts
                continue
        assert built, f"no scorecard for {example.name} in {[format_month(m) for m in months]}"
        yield built


def _rows(rows: tuple[Row, ...]) -> Iterator[Row]:
    for r in rows:
        yield r
        yield from _rows(r.children)


def _sentences(row: Row) -> Iterator[str]:
    yield from row.facts
    yield row.status_reason
    if row.significance is not None:
        yield row.significance.text


def test_no_change_reads_as_nothing_beside_up_or_down(cards: list[Scorecard]) -> None:
    """Structural: a change called up or down prints non-zero with the matching sign; level
    only when the two figures are equal at the data's precision."""
    checked = 0
    for card in cards:
        for row in _rows(card.rows):
            ch = row.change
            if ch is None:
                continue
            checked += 1
            where = f"{card.as_of} {row.id} {row.title}"
            if ch.direction is ChangeDirection.LEVEL:
                assert _numeric(ch.absolute_text) == 0, where
                continue
            sign = "+" if ch.direction is ChangeDirection.UP else "-"
            for text in (ch.absolute_text, ch.percent_text):
                if text is None:
                    continue
                assert text.startswith(sign) and _numeric(text) != 0, (where, text)
            if row.comparator is not None and row.latest is not None and row.level is None:
                c = compare(
                    row.comparator.value or 0.0, row.latest.value or 0.0, row.unit, row.decimals
                )
                assert c.first_text != c.second_text, where
                # the comparator shown beside the change is written to the same precision
                assert row.comparator.text.startswith(c.first_text), (where, row.comparator.text)
    assert checked


def test_no_sentence_compares_two_figures_printed_alike(cards: list[Scorecard]) -> None:
    seen = 0
    for card in cards:
        for row in _rows(card.rows):
            for sentence in _sentences(row):
                for pattern in PAIRS:
                    for a, b in pattern.findall(sentence):
                        seen += 1
                        assert _numeric(a) != _numeric(b), (card.as_of, row.id, sentence)
                for pattern in ZERO_MOVES:
                    assert not pattern.search(sentence), (card.as_of, row.id, sentence)
    assert seen  # the net caught comparisons to check


def test_the_reference_row_2c_reads_true(cards: list[Scorecard]) -> None:
    """The sentences the issue quoted: "Up from 77% ... (+1 pts)" and "the change from 77% to
    77%" (met-cpa-2009-10, Aug-09)."""
    aug = [c for c in cards if c.as_of == "2009-08"]
    if not aug:
        pytest.skip("another example")
    row = next(r for r in _rows(aug[0].rows) if r.id == "2c")
    assert row.facts[0] == "Up to 77.2% from 76.5% for 12 months to Jun-08 (+0.7 pts)"
    assert row.significance is not None
    assert row.significance.text.startswith(
        "The rise from 76.5% (12 months to Jun-08) to 77.2% is within normal variation"
    )


def test_a_revision_the_decimals_hide_is_written_to_differ(cards: list[Scorecard]) -> None:
    row = next(
        r
        for r in _rows(cards[-1].rows)
        if r.latest is not None and r.latest.value and r.level is None and r.decimals == 0
    )
    assert row.latest is not None and row.latest.value is not None
    old = replace(row, latest=replace(row.latest, value=row.latest.value + 0.2))
    before, after = revision_texts(old, row).split(" → ")
    assert before != after and _numeric(before) - _numeric(after) == pytest.approx(0.2)


def test_a_shortfall_and_its_margin_of_error_compare_as_printed(cards: list[Scorecard]) -> None:
    """Row 2b in May-09: a 1.63 pts shortfall against a 1.59 pts margin, not "1.6 pts is
    greater than +/-1.6 pts" (met-cpa-2009-10)."""
    may = [c for c in cards if c.as_of == "2009-05"]
    if not may:
        pytest.skip("another example")
    row = next(r for r in _rows(may[0].rows) if r.id == "2b")
    assert row.status_reason.startswith(
        "5.43 pts is 1.63 pts above the 3.8 pts target, more than the +/-1.59 pts margin"
    )
    assert row.margin_of_error is not None
    assert (row.margin_of_error.shortfall_text, row.margin_of_error.text) == (
        "1.63 pts",
        "+/-1.59 pts",
    )


def test_the_workbook_writes_a_change_to_its_comparator_s_precision(
    cards: list[Scorecard], tmp_path: Path
) -> None:
    """Row 2c's change cell shows +0.7 pts (its figures 76.5% and 77.2%), not "+1 pts"."""
    aug = [c for c in cards if c.as_of == "2009-08"]
    if not aug:
        pytest.skip("another example")
    path = tmp_path / "card.xlsx"
    path.write_bytes(render(aug[0], "xlsx"))
    ws = openpyxl.load_workbook(path)["Scorecard"]
    header = next(r for r in ws.iter_rows() if "Change" in [c.value for c in r])
    names = [c.value for c in header]
    line = next(r for r in ws.iter_rows(min_row=header[0].row + 1) if r[0].value == "2c")
    change, comparator = line[names.index("Change")], line[names.index("Comparator")]
    assert change.value == pytest.approx(77.19988344988344 - 76.52706343374969)
    assert change.number_format.startswith('+0.0" pts"')
    assert comparator.number_format == "0.0%"
