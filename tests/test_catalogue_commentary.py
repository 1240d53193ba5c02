"""A measure's commentary owners and due date (``commentary:``, docs/CATALOGUE.md)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from test_catalogue import M, findings_of, measure, write

from kpiboard.catalogue import load_catalogue
from kpiboard.web.due import commentary_due


def test_commentary_owners_and_due_date_load(tmp_path: Path) -> None:
    body = "    commentary: {owner: [jsmith, 'role:approver'], due: 3}\n"
    cat = load_catalogue(write(tmp_path, measure(body)))
    c = cat.measures["m"].commentary
    assert c is not None and (c.owner, c.due) == (["jsmith", "role:approver"], 3)
    due = commentary_due(cat.measures["m"], "2009-08")
    # Sep 2009: the 1st is a Tuesday; the 3rd working day is Thursday the 3rd
    assert due.date == dt.date(2009, 9, 3) and due.owners == ("jsmith", "role:approver")
    assert not due.overdue(dt.date(2009, 9, 3)) and due.overdue(dt.date(2009, 9, 4))


def test_without_commentary_editors_write_it_by_the_12th_working_day(tmp_path: Path) -> None:
    cat = load_catalogue(write(tmp_path, measure("")))
    assert cat.measures["m"].commentary is None
    due = commentary_due(cat.measures["m"], "2009-08")
    # Sep 2009 has no bank holiday: the 12th working day is Wednesday the 16th
    assert due.date == dt.date(2009, 9, 16) and due.owners == ("role:editor",)


@pytest.mark.parametrize(
    ("body", "line", "words"),
    [
        ("    commentary: {owner: ['role:viewer']}\n", 5, "'role:viewer': a commentary owner"),
        ("    commentary:\n      owner: [j smith]\n", 6, "'j smith' is neither a username"),
        ("    commentary:\n      due: 0\n", 6, "greater than or equal to 1"),
        ("    commentary: {owners: [jsmith]}\n", 5, "owners"),
    ],
)
def test_commentary_findings_name_the_line_and_what_is_wrong(
    tmp_path: Path, body: str, line: int, words: str
) -> None:
    found = [f for f in findings_of(write(tmp_path, measure(body))) if words in f.message]
    assert found, words
    assert (found[0].file, found[0].line) == (M, line), found[0].render()
