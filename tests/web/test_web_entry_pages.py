"""The owners' and approvers' pages on the demo project (its 4b, networks disrupted, is entered
on the dashboard from Sep-09): "Your figures" lists what each person has to enter and to
approve; the entry form takes every step, shows problems by field, a conflict with the figure
as it is now, and notes as text; a viewer is refused the form and every post needs the CSRF
token. (The whole path in Chromium: test_web_entry_browser.py.)"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from webutil import ORG, csrf_of, sign_in

from kpiboard.web.db import AppStore, EntryState

SEP = "2009-09"
FORM = f"/entries/{ORG}/{SEP}/networks_disrupted"
OUTSIDE = "60"  # the demo's 4b process limits are 18.7 to 43.1


def _as(client: TestClient, username: str) -> str:
    client.cookies.clear()
    return sign_in(client, username)


def _post(client: TestClient, token: str, **data: str) -> object:
    return client.post(FORM, data={"csrf_token": token, **data})


def _saved(client: TestClient, token: str, value: str = "31", note: str = "") -> None:
    got = _post(client, token, step="save", base="0", value=value, note=note)
    assert got.status_code == 303, got.text  # type: ignore[attr-defined]


def test_your_figures_lists_what_the_editor_enters_and_links_from_the_nav(
    client: TestClient,
) -> None:
    _as(client, "editor")
    page = client.get("/entries")
    assert page.status_code == 200
    assert '<a href="/entries" aria-current="page">Your figures</a>' in page.text
    rows = re.findall(r"<tr><th scope=\"row\"><a href=\"([^\"]+)\">", page.text)
    # from since (Sep-09), the oldest twelve months not yet approved
    assert rows[0] == FORM and len(rows) == 12
    assert rows[-1] == f"/entries/{ORG}/2010-08/networks_disrupted"
    # the figure for September 2009 is due on the 10th working day of October 2009
    assert "due Wednesday 14 October 2009, 10th working day" in page.text
    assert "overdue by" in page.text
    assert "Waiting for your approval" not in page.text
    # the nav links to it from every page (cached per role: the link depends on the role only)
    assert '<a href="/entries">Your figures</a>' in client.get(f"/scorecard/{ORG}/2009-08").text
    # a viewer may neither enter nor approve: no link, nothing listed
    _as(client, "viewer")
    assert "Your figures" not in client.get(f"/scorecard/{ORG}/2009-08").text
    assert "Nothing for you to enter or approve" in client.get("/entries").text


def test_a_viewer_is_refused_the_form(client: TestClient) -> None:
    token = _as(client, "viewer")
    assert client.get(FORM).status_code == 403
    refused = _post(client, token, step="save", base="0", value="31")
    assert refused.status_code == 403  # type: ignore[attr-defined]


@pytest.mark.parametrize("step", ["save", "submit", "approve", "return"])
def test_every_step_is_refused_without_the_csrf_token(
    client: TestClient, app_store: AppStore, step: str
) -> None:
    token = _as(client, "editor")
    _saved(client, token)
    _post(client, token, step="submit", base="1")
    who = "editor" if step in ("save", "submit") else "approver"
    _as(client, who)
    form = {"step": step, "base": "2", "value": "32", "return_reason": "why"}
    for sent in ({}, {"csrf_token": "not-the-token"}):
        got = client.post(FORM, data={**form, **sent})
        assert got.status_code == 403, got.text
        assert "CSRF" in got.text or "csrf" in got.text
    steps = app_store.entry_history(ORG, "networks_disrupted", SEP)
    assert [s.state for s in steps] == [EntryState.SUBMITTED, EntryState.DRAFT]


def test_a_surprise_is_shown_by_its_field_and_saved_with_a_note(client: TestClient) -> None:
    token = _as(client, "editor")
    page = client.get(FORM).text
    assert "18.7 to 43.1 (mean 30.9)" in page and "27 (Aug-09)" in page  # limits, last month
    assert '<input type="hidden" name="base" value="0">' in page
    refused = _post(client, token, step="save", base="0", value=OUTSIDE)
    assert refused.status_code == 422  # type: ignore[attr-defined]
    text = refused.text  # type: ignore[attr-defined]
    assert "is outside the process limits" in text
    assert 'aria-invalid="true" aria-describedby="problem-value1"' in text
    assert f'name="value" value="{OUTSIDE}"' in text  # what was typed, kept
    assert "say why in the note" in text
    _saved(client, token, OUTSIDE, note="two operations closed at once")
    done = client.get(FORM + "?done=saved").text
    assert 'role="status" id="entry-done" tabindex="-1" autofocus>Saved as a draft' in done
    assert '<input type="hidden" name="base" value="1">' in done
    assert "two operations closed at once" in done


def test_non_numbers_and_a_return_without_reason_are_refused_by_field(
    client: TestClient,
) -> None:
    token = _as(client, "editor")
    got = _post(client, token, step="save", base="0", value="lots")
    assert got.status_code == 422  # type: ignore[attr-defined]
    assert "&#39;lots&#39; is not a number" in got.text  # type: ignore[attr-defined]
    _saved(client, token)
    _post(client, token, step="submit", base="1")
    token = _as(client, "approver")
    got = _post(client, token, step="return", base="2", return_reason="  ")
    assert got.status_code == 422  # type: ignore[attr-defined]
    assert "say why you return it" in got.text  # type: ignore[attr-defined]


def test_script_in_a_note_is_shown_as_text(client: TestClient) -> None:
    token = _as(client, "editor")
    _saved(client, token, note='<script>alert("x")</script><img src=x onerror=alert(1)>')
    page = client.get(FORM).text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page


def test_a_conflict_shows_the_figure_as_it_is_now_and_who_changed_it(
    client: TestClient,
) -> None:
    token = _as(client, "editor")
    _saved(client, token, "31")
    stale = _post(client, token, step="save", base="0", value="33")  # started before step 1
    assert stale.status_code == 409  # type: ignore[attr-defined]
    text = stale.text  # type: ignore[attr-defined]
    assert "It is now at step 1, draft, by editor" in text and "Value 31" in text
    assert '<input type="hidden" name="base" value="1">' in text  # saving again replaces it
    assert 'name="value" value="33"' in text


def test_approver_sees_it_waiting_returns_it_then_approves_it(own_client: TestClient) -> None:
    client = own_client
    token = _as(client, "editor")
    _saved(client, token, "31")
    page = client.get(FORM).text
    assert "Submit for approval" in page and "Approve" not in page.split("History")[0]
    assert _post(client, token, step="submit", base="1").status_code == 303  # type: ignore[attr-defined]
    # the editor cannot approve
    assert _post(client, token, step="approve", base="2").status_code == 403  # type: ignore[attr-defined]
    token = _as(client, "approver")
    waiting = client.get("/entries").text
    assert "Waiting for your approval: 1 figure" in waiting and FORM in waiting
    back = _post(client, token, step="return", base="2", return_reason="check <b>ops</b> log")
    assert back.status_code == 303  # type: ignore[attr-defined]
    token = _as(client, "editor")
    listed = client.get("/entries").text
    assert "Returned by approver: check &lt;b&gt;ops&lt;/b&gt; log" in listed
    assert "Returned by approver: check &lt;b&gt;ops&lt;/b&gt; log" in client.get(FORM).text
    _post(client, token, step="save", base="3", value="32")
    _post(client, token, step="submit", base="4")
    token = _as(client, "approver")
    assert client.get(f"/scorecard/{ORG}/{SEP}").status_code == 404  # not on the board yet
    done = _post(client, token, step="approve", base="5")
    assert done.status_code == 303  # type: ignore[attr-defined]
    assert client.get(done.headers["location"]).text.count("Approved: the scorecard shows it") == 1  # type: ignore[attr-defined]
    card = client.get(f"/scorecard/{ORG}/{SEP}")
    assert card.status_code == 200
    assert csrf_of(card.text) == token
    assert FORM not in client.get("/entries").text  # approved: no longer waiting


def test_a_published_month_asks_for_a_revision_reason(
    client: TestClient, app_store: AppStore
) -> None:
    # Sep-09 in a published pack (recorded as publishing records it; its contents do not
    # matter here, and rendering a whole pack would take most of this test's time)
    approver = app_store.user("approver")
    assert approver is not None
    app_store.publish(
        ORG,
        SEP,
        scorecard_json="{}",
        pack_html="<p>pack</p>",
        data_version="v",
        commentary={},
        changes={},
        user=approver,
    )
    token = _as(client, "editor")
    assert "Revision reason (this month is in a published pack" in client.get(FORM).text
    refused = _post(client, token, step="save", base="0", value="33")
    assert refused.status_code == 422  # type: ignore[attr-defined]
    assert 'aria-describedby="problem-reason1"' in refused.text  # type: ignore[attr-defined]
    revised = _post(client, token, step="save", base="0", value="33", reason="late return")
    assert revised.status_code == 303  # type: ignore[attr-defined]
    assert "Reason: late return" in client.get(FORM).text
