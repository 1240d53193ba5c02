"""``--format table``: the rich terminal table, at every width, with and without colour."""

from __future__ import annotations

import dataclasses
import re
from io import StringIO

import pytest
from fixtures.scorecard_fixture import sample_scorecard
from rich.cells import cell_len
from rich.console import Console

from kpiboard.render import print_table, render, render_table
from kpiboard.render.table import DEFAULT_WIDTH, WIDE_MIN

ANSI = re.compile(r"\x1b\[[0-9;]*m")
WIDTHS = [40, 60, 80, WIDE_MIN, 120, 200]


@pytest.mark.parametrize("width", WIDTHS)
def test_wraps_to_any_width_without_losing_anything(width: int) -> None:
    text = render_table(sample_scorecard(), width=width)
    for line in text.splitlines():
        assert cell_len(line) <= width, line
    for expected in (
        "G Green",
        "A Amber",
        "R Red",
        "Tracking",
        "development",
        "14th/42",
        "↳",
        "Residential",
        "APACS",
        "Aug-09",
        "Performance assessment key",
    ):
        assert expected in text, (width, expected)
    if width < WIDE_MIN:  # stacked: each field's text is contiguous, so whole phrases
        flat = " ".join(text.split())
        for expected in (
            "In development",
            "↳ Residential burglary",
            "[APACS PI 1.1]",
            "Target 2009/10",
            "No status: measure in development",
        ):
            assert expected in flat, (width, expected)
    assert "…" not in text  # folded, never truncated


@pytest.mark.parametrize("width", [1, 5, 10, 20, 29, 30])
def test_absurdly_narrow_widths_do_not_crash_or_drop_rows(width: int) -> None:
    text = render_table(sample_scorecard(), width=width).replace("\n", "")
    for expected in ("Green", "Amber", "Red", "Tracking", "Counter"):
        assert expected in text, (width, expected)


def test_wide_layout_has_the_reference_columns() -> None:
    text = render_table(sample_scorecard(), width=160)
    header = next(line for line in text.splitlines() if "Key performance indicator" in line)
    for column in ("Ref", "Key performance indicator", "Status", "Latest data", "Comments"):
        assert column in header
    assert "Target" in header


def test_children_are_indented_under_their_parent() -> None:
    text = render_table(sample_scorecard(), width=160)
    lines = text.splitlines()
    parent = next(i for i, line in enumerate(lines) if " 4a " in line)
    child = next(i for i, line in enumerate(lines) if "↳ Residential burglary" in line)
    assert child > parent
    assert "   ↳ Residential burglary" in lines[child]  # cell padding + indent


def test_no_status_is_a_dash_and_reason_is_shown() -> None:
    text = render_table(sample_scorecard(), width=160)
    row_1a = next(line for line in text.splitlines() if " 1a " in line)
    assert " – " in row_1a
    flat = " ".join(text.split())
    assert "77.3% is 2.7 pts below the 80% target" in flat


def test_key_and_notes_are_at_the_bottom() -> None:
    lines = [line for line in render_table(sample_scorecard(), width=120).splitlines() if line]
    tail = " ".join(lines[-4:])
    assert "Performance assessment key: G (green) = on/above target" in tail
    assert "Survey measures are rolling" in tail


def test_plain_unless_colour_is_asked_for() -> None:
    plain = render_table(sample_scorecard(), width=120, color=False)
    coloured = render_table(sample_scorecard(), width=120, color=True)
    assert not ANSI.search(plain)
    assert ANSI.search(coloured)
    assert ANSI.sub("", coloured).replace(" \n", "\n").split() == plain.split()


def test_square_brackets_are_text_not_markup() -> None:
    base = sample_scorecard()
    first = dataclasses.replace(base.rows[0], title="[bold]Not bold[/bold] [red]x")
    text = render_table(dataclasses.replace(base, rows=(first, *base.rows[1:])), width=200)
    assert "[bold]Not bold[/bold] [red]x" in text


def test_default_width_and_registry_bytes() -> None:
    out = render(sample_scorecard(), "table")
    assert out.decode("utf-8") == render_table(sample_scorecard(), width=DEFAULT_WIDTH)
    assert max(cell_len(line) for line in out.decode().splitlines()) <= DEFAULT_WIDTH


def test_print_table_writes_to_a_given_console() -> None:
    file = StringIO()
    console = Console(file=file, width=100, force_terminal=True, color_system="standard")
    print_table(sample_scorecard(), console)
    assert ANSI.search(file.getvalue())
    assert "A Amber" in ANSI.sub("", file.getvalue())


@pytest.mark.parametrize("width", [80, 25])  # stacked and plain: each field contiguous
def test_spc_verdict_follows_the_reason(width: int) -> None:
    flat = " ".join(render_table(sample_scorecard(), width=width).split())
    assert "SPC: Common cause variation; hit and miss" in flat  # 4c
    assert "SPC: Special cause concern (higher) (above the upper process limit)" in flat
    assert (
        "Status from SPC; against the target alone: G Green (-5.1% better than the -2% target)"
    ) in flat  # 4a, with the target's own reason
    reason = "within the 5% tolerance"
    assert flat.index(reason) < flat.index("SPC: Common cause variation; hit and miss")


def test_spc_verdict_in_the_wide_comments_column() -> None:
    text = render_table(sample_scorecard(), width=200)
    assert "│ SPC: Common cause variation; hit and miss" in text
    assert "Status from SPC; against the target alone: G Green" in text
    assert "target alone: G Green (-5.1% better" in " ".join(text.split())
