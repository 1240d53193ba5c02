"""The scorecard page says when a required comment is due, or that it is overdue
(``commentary: due``, 12 working days after the month by default; docs/WEB.md)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from webutil import ORG, sign_in

MONTH = "2009-08"


def cell(page: str, anchor: str) -> str:
    """The commentary cell (the row's last) of the scorecard row ``anchor``."""
    row = page.split(f'id="{anchor}"')[1].split("</tr>")[0]
    return row.rsplit("<td>", 1)[1]


def test_a_required_comment_not_written_is_overdue_and_a_written_one_is_not(
    client: TestClient,
) -> None:
    csrf = sign_in(client, "editor")
    page = client.get(f"/scorecard/{ORG}/{MONTH}").text
    gap = cell(page, "kpi-2b")  # red: its commentary is required
    assert "Commentary required" in gap
    # the 12th working day after Aug-09 is Wednesday 16 Sep 2009, long past
    assert re.search(r'<span class="due overdue">overdue: was due 16 Sep 2009</span>', gap)
    assert "due" not in cell(page, "kpi-6c")  # green: nothing required
    got = client.post(
        f"/scorecard/{ORG}/{MONTH}/kpi/satisfaction_gap/commentary",
        data={"text": "The gap narrowed in the last quarter.", "csrf_token": csrf},
    )
    assert got.status_code == 303
    gap = cell(client.get(f"/scorecard/{ORG}/{MONTH}").text, "kpi-2b")
    assert "Written (revision 1)" in gap and "overdue" not in gap
