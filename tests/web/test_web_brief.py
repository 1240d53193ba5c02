"""The month's executive summary on the dashboard: drafted from the figures, edited like
commentary (revisions kept), frozen into the published pack with its draft beside it."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from webutil import ORG, REASON, AppFactory, sign_in

from kpiboard.brief import SUMMARY_KEY
from kpiboard.web.db import AppStore

PAGE = f"/scorecard/{ORG}/2009-08/executive-summary"
API = f"/api/executive-summary/{ORG}/2009-08"
# Aug-09 against Jul-09 on the reference scorecard (tests/test_brief.py has the whole sentences)
COUNTS = "2 Red, 8 Amber and 7 Green of 17 KPIs with a status (Jul-09: 2 Red, 7 Amber and 8 Green)"
MOVED = "4c The value of the assets recovered"


def test_the_draft_compares_with_the_month_before_and_links_its_kpis(client: TestClient) -> None:
    sign_in(client, "viewer")
    page = client.get(PAGE)
    assert page.status_code == 200
    assert COUNTS in page.text and "compared with Jul-09" in page.text
    link = re.search(r'<a href="([^"]+)">' + re.escape(MOVED), page.text)
    assert link and link.group(1) == f"/scorecard/{ORG}/2009-08/kpi/assets_recovered"
    assert "<textarea" not in page.text  # viewers read it; editors write it
    api = client.get(API).json()
    assert api["draft"]["since"] == "Jul-09" and api["draft"]["since_as_of"] == "2009-07"
    assert api["draft"]["lines"][0]["text"].startswith(COUNTS)
    assert api["revisions"] == []


def test_edited_revisions_are_kept_and_frozen_with_the_draft(
    client: TestClient, app_store: AppStore
) -> None:
    csrf = sign_in(client, "approver")
    form = client.get(PAGE).text
    assert "- " + COUNTS in form  # the form starts from the draft, as Markdown
    assert "Read and edit the executive summary first" not in form  # it is this page
    scorecard = client.get(f"/scorecard/{ORG}/2009-08").text
    assert f'<a href="{PAGE}">Read and edit the executive summary first</a>' in scorecard
    for text in ("First go", "**Assets** slipped to Amber; all else steady."):
        got = client.post(PAGE, data={"text": text, "csrf_token": csrf})
        assert got.status_code == 303 and got.headers["location"].endswith("?saved=1")
    saved = client.get(PAGE + "?saved=1")
    assert "Saved: revision 2 is now the executive summary for Aug-09." in saved.text
    assert 'role="status"' in saved.text and "<strong>Assets</strong> slipped" in saved.text
    assert [r.text for r in app_store.revisions(ORG, SUMMARY_KEY, "2009-08")] == [
        "**Assets** slipped to Amber; all else steady.",
        "First go",
    ]
    assert (
        client.post(
            f"/packs/{ORG}/2009-08", data={"csrf_token": csrf, "reason": REASON}
        ).status_code
        == 303
    )
    pub = app_store.publication(ORG, "2009-08")
    assert pub is not None and pub.commentary[SUMMARY_KEY].number == 2
    draft = pub.changes["summary"]
    assert isinstance(draft, dict) and draft["lines"][0]["text"].startswith(COUNTS)
    frozen = client.get(f"/packs/{ORG}/2009-08/pack.html").text
    summary = frozen[frozen.index('id="summary-heading"') : frozen.index("</section>")]
    assert "<strong>Assets</strong> slipped to Amber" in summary
    # the draft beside it, each sentence linked to its row of the pack
    assert "As drafted from the figures" in summary and "First go" not in summary
    assert re.search(r'<a href="#kpi-4c">' + re.escape(MOVED), summary)
    # frozen: no more revisions once published
    late = client.post(PAGE, data={"text": "late", "csrf_token": csrf})
    assert late.status_code == 409 and "frozen" in client.get(PAGE).text


def test_an_unedited_pack_shows_the_draft(client: TestClient, app_store: AppStore) -> None:
    csrf = sign_in(client, "approver")
    assert (
        client.post(
            f"/packs/{ORG}/2009-07", data={"csrf_token": csrf, "reason": REASON}
        ).status_code
        == 303
    )
    july = client.get(f"/packs/{ORG}/2009-07/pack.html").text
    assert "Executive summary" in july and "As drafted from the figures" not in july
    # the next month's draft is against the published pack, not the month before
    api = client.get(API).json()
    assert api["draft"]["since"] == "the pack for Jul-09"
    assert api["draft"]["lines"][0]["text"].startswith(
        "2 Red, 8 Amber and 7 Green of 17 KPIs with a status (the pack for Jul-09:"
    )


def test_only_editors_write_it_and_only_with_the_token(
    client: TestClient, make_client: AppFactory, app_store: AppStore
) -> None:
    csrf = sign_in(client, "viewer")
    assert client.post(PAGE, data={"text": "x", "csrf_token": csrf}).status_code == 403
    assert client.post(API, json={"text": "x"}, headers={"X-CSRF-Token": csrf}).status_code == 403
    client = make_client()
    csrf = sign_in(client, "editor")
    assert client.post(PAGE, data={"text": "x"}).status_code == 403  # no CSRF token
    got = client.post(API, json={"text": "From the API"}, headers={"X-CSRF-Token": csrf})
    assert got.status_code == 201 and got.json()["number"] == 1
    assert [r.text for r in app_store.revisions(ORG, SUMMARY_KEY, "2009-08")] == ["From the API"]
    script = client.post(PAGE, data={"text": "<script>alert(1)</script>", "csrf_token": csrf})
    assert script.status_code == 303
    assert "<script>alert(1)" not in client.get(PAGE).text
