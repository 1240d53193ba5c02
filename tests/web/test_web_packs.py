"""Publishing a month's pack: approvers only, once, frozen byte for byte, with what changed."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from webutil import ORG, REASON, sign_in

from kpiboard.render import render
from kpiboard.scorecard import Row
from kpiboard.web.db import AppStore
from kpiboard.web.service import ScorecardService


def _save(client: TestClient, csrf: str, month: str, measure: str, text: str) -> None:
    got = client.post(
        f"/scorecard/{ORG}/{month}/kpi/{measure}/commentary",
        data={"text": text, "csrf_token": csrf},
    )
    assert got.status_code == 303, got.text


def test_publish_freezes_scorecard_commentary_and_data_version(
    client: TestClient, app_store: AppStore, service: ScorecardService
) -> None:
    csrf = sign_in(client, "approver")
    _save(client, csrf, "2009-08", "robbery", "First draft")
    _save(client, csrf, "2009-08", "robbery", "**Final** words")
    got = client.post(f"/packs/{ORG}/2009-08", data={"csrf_token": csrf, "reason": REASON})
    assert got.status_code == 303 and got.headers["location"] == f"/packs/{ORG}/2009-08"
    pub = app_store.publication(ORG, "2009-08")
    assert pub is not None and pub.published_by == "approver"
    assert json.loads(pub.scorecard_json) == json.loads(
        render(service.scorecard(ORG, "2009-08"), "json")
    )
    assert pub.data_version == service.version.hash
    assert (
        pub.commentary["robbery"].text == "**Final** words"
        and pub.commentary["robbery"].number == 2
    )
    frozen = client.get(f"/packs/{ORG}/2009-08/pack.html")
    assert (
        frozen.status_code == 200 and frozen.headers["x-kpiboard-content-hash"] == pub.content_hash
    )
    assert "<strong>Final</strong> words" in frozen.text and "First draft" not in frozen.text
    assert "script-src" not in frozen.headers["content-security-policy"]  # no scripts at all
    page = client.get(f"/packs/{ORG}/2009-08").text
    assert pub.content_hash in page and "first published pack" in page
    # commentary for a published month is frozen
    again = client.post(
        f"/scorecard/{ORG}/2009-08/kpi/robbery/commentary",
        data={"text": "late", "csrf_token": csrf},
    )
    assert again.status_code == 409
    assert [r.text for r in app_store.revisions(ORG, "robbery", "2009-08")] == [
        "**Final** words",
        "First draft",
    ]


def test_a_second_publish_is_refused_and_the_first_kept(
    client: TestClient, app_store: AppStore
) -> None:
    csrf = sign_in(client, "approver")
    assert (
        client.post(
            f"/packs/{ORG}/2009-08", data={"csrf_token": csrf, "reason": REASON}
        ).status_code
        == 303
    )
    first = app_store.publication(ORG, "2009-08")
    assert first is not None
    second = client.post(f"/packs/{ORG}/2009-08", data={"csrf_token": csrf, "reason": REASON})
    assert second.status_code == 409 and "already published" in second.text
    api = client.post(
        f"/api/packs/{ORG}/2009-08", headers={"X-CSRF-Token": csrf}, json={"reason": REASON}
    )
    assert api.status_code == 409 and api.json()["error"]["code"] == "already_published"
    assert app_store.publication(ORG, "2009-08") == first
    assert [p.month for p in app_store.publications()] == ["2009-08"]
    assert "pack_publish_refused" in [e.event for e in app_store.audit_log(50)]


def test_a_published_pack_renders_identically_later(
    client: TestClient, app_store: AppStore
) -> None:
    csrf = sign_in(client, "approver")
    _save(client, csrf, "2009-08", "robbery", "As published")
    client.post(f"/packs/{ORG}/2009-08", data={"csrf_token": csrf, "reason": REASON})
    before = client.get(f"/packs/{ORG}/2009-08/pack.html").content
    api_before = client.get(f"/api/packs/{ORG}/2009-08").json()
    # commentary on other months, other publications and new sessions change nothing in it
    _save(client, csrf, "2009-07", "robbery", "Something else")
    client.post(f"/packs/{ORG}/2009-07", data={"csrf_token": csrf, "reason": REASON})
    later = TestClient(client.app, base_url="http://127.0.0.1", follow_redirects=False)
    sign_in(later, "viewer")
    assert later.get(f"/packs/{ORG}/2009-08/pack.html").content == before
    assert later.get(f"/api/packs/{ORG}/2009-08").json() == api_before


def test_changes_since_the_last_published_pack(
    client: TestClient, app_store: AppStore, service: ScorecardService
) -> None:
    csrf = sign_in(client, "approver")
    client.post(f"/packs/{ORG}/2009-07", data={"csrf_token": csrf, "reason": REASON})
    _save(client, csrf, "2009-08", "robbery", "New this month")
    client.post(f"/packs/{ORG}/2009-08", data={"csrf_token": csrf, "reason": REASON})
    pub = app_store.publication(ORG, "2009-08")
    assert pub is not None
    changes = pub.changes
    assert changes["previous"]["month"] == "2009-07"  # type: ignore[index]
    items = changes["items"]
    assert isinstance(items, list)
    july = {r.measure: r for r in service.scorecard(ORG, "2009-07").all_rows()}
    august = {r.measure: r for r in service.scorecard(ORG, "2009-08").all_rows()}
    expected_status = {m for m in august if m in july and july[m].status != august[m].status}
    assert {i["measure"] for i in items if i["what"] == "status"} == expected_status

    def shown(row: Row) -> tuple[str, str | None] | None:  # the figure and its period, as published
        return (row.latest.text, row.latest.period) if row.latest is not None else None

    expected_latest = {m for m in august if m in july and shown(july[m]) != shown(august[m])}
    assert {
        i["measure"] for i in items if i["what"] == "latest"
    } == expected_latest and expected_latest
    assert [i["measure"] for i in items if i["what"] == "commentary"] == ["robbery"]
    html = client.get(f"/packs/{ORG}/2009-08/pack.html").text
    assert "Changed since the last published pack" in html
    assert "commentary revision 1 by approver" in html and "New this month" in html
    assert "commentary revision 1 by approver" in client.get(f"/packs/{ORG}/2009-08").text


def test_a_packs_page_names_each_commentary_by_its_kpi(
    client: TestClient, app_store: AppStore
) -> None:
    csrf = sign_in(client, "approver")
    _save(client, csrf, "2009-08", "robbery", "Robbery fell.")
    assert (
        client.post(
            f"/packs/{ORG}/2009-08", data={"csrf_token": csrf, "reason": REASON}
        ).status_code
        == 303
    )
    page = client.get(f"/packs/{ORG}/2009-08").text
    heading = page[page.index("Commentary in this pack") :]
    assert "<h3>Robbery</h3>" in heading and "<h3>robbery</h3>" not in heading
