"""``--format md``: one GFM table per section, letter + word statuses, escaped cells."""

from __future__ import annotations

import dataclasses
import re

from fixtures.scorecard_fixture import sample_scorecard

from kpiboard.render import render
from kpiboard.render.markdown import escape_cell
from kpiboard.scorecard import Scorecard

HEADER = "| Ref | Key performance indicator | Target 2009/10 | Status | Latest data | Comments |"
UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def _md(scorecard: Scorecard | None = None) -> str:
    return render(scorecard or sample_scorecard(), "md").decode("utf-8")


def _table_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("|")]


def test_title_and_as_of() -> None:
    text = _md()
    assert text.startswith("# 2009/10 Critical Performance Areas\n")
    assert "**Metropolitan Police Service** · as of Aug-09 · financial year 2009/10" in text


def test_a_table_per_section_in_order() -> None:
    text = _md()
    headings = re.findall(r"^## (.+)$", text, flags=re.M)
    assert headings == ["Confidence", "Safety", "Improvement"]
    assert text.count(HEADER) == 3


def test_every_table_line_has_six_cells() -> None:
    for line in _table_lines(_md()):
        assert len(UNESCAPED_PIPE.findall(line)) == 7, line


def test_statuses_are_icon_letter_and_word() -> None:
    lines = {line.split(" | ")[0].strip("|* "): line for line in _table_lines(_md())}
    assert "| 🟠 A Amber |" in lines["2a"]
    assert "| 🔴 R Red |" in lines["2b"]
    assert "| 🟢 G Green |" in lines["6c"]
    assert "| 🟠 A Amber |" in lines["4a"]  # from SPC; the comments say so
    assert "| – |" in lines["1a"]  # no status: a visible dash, not an empty cell


def test_reason_children_ranks_milestones() -> None:
    text = _md()
    assert "*77.3% is 2.7 pts below the 80% target, within the 3-pt tolerance*" in text
    assert "| ↳ Residential burglary |" in text
    assert "Rank:" not in text  # ranks are in the engine's own sentences, not repeated
    assert "14th/42 in England & Wales and 2nd/4 in MSF (12 months to Mar-09)" in text
    assert "Milestone: 55.4% by Mar 2011" in text
    assert "| Tracking measure |" in text
    assert "| In development |" in text


def test_spc_line_and_status_source_are_in_the_comments() -> None:
    lines = {line.split(" | ")[0].strip("|* "): line for line in _table_lines(_md())}
    comments = lines["4c"].split(" | ")[-1]
    reason = "*£43.8m is 2.7% below the £45m target, within the 5% tolerance*"
    assert comments.startswith(f"{reason}<br>SPC: Common cause variation; hit and miss<br>")
    # status from SPC: the reason is the engine's SPC sentence, then the target's verdict
    assert (
        "*SPC: Common cause variation at Aug-09; against a target of 15,623.7 offences a "
        "month, the process will meet the target only some of the time (hit and miss)*<br>"
        "Status from SPC; against the target alone: G Green (-5.1% better than the -2% "
        "target)<br>• Residential"
    ) in lines["4a"]
    assert "SPC: Special cause concern (higher) (above the upper process limit)" in _md()
    assert "SPC: Special cause improvement (lower) (7-point decreasing trend)" in _md()
    assert "SPC:" not in lines["2a"] and "Status from" not in lines["4c"]


def test_key_is_at_the_end() -> None:
    text = _md().rstrip()
    key_line = next(line for line in text.splitlines() if "Performance assessment key" in line)
    assert "🟢 G (green) = on/above target" in key_line
    assert "🟠 A (amber) = marginally below target" in key_line
    assert "🔴 R (red) = well below target" in key_line
    assert text.index(key_line) > text.rindex("| ")


def test_pipes_and_markup_in_text_are_escaped() -> None:
    base = sample_scorecard()
    first = dataclasses.replace(
        base.rows[0],
        title="Burglary | robbery *all* <script>x</script>",
        facts=("one\ntwo",),
    )
    text = _md(dataclasses.replace(base, rows=(first, *base.rows[1:])))
    line = next(line for line in _table_lines(text) if "Burglary" in line)
    assert len(UNESCAPED_PIPE.findall(line)) == 7
    assert r"Burglary \| robbery \*all\* &lt;script>x&lt;/script>" in line
    assert "• one<br>two" in line


def test_escape_cell_keeps_comparisons_readable() -> None:
    assert escape_cell("< 3,320 ie 50% reduction") == "< 3,320 ie 50% reduction"
    assert escape_cell("a|b") == r"a\|b"
    assert escape_cell(r"c:\x") == r"c:\\x"
