"""The publish gate (docs/WEB.md): a pack is not published while a required comment is
missing or an entered figure for the month is unapproved, unless the approver states a reason,
kept in the pack and the audit log; publishing shows what the pack will contain first."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from webutil import ORG, api_sign_in, sign_in

from kpiboard.web.db import AppStore

# Aug-09 on the demo project: red or special-cause rows whose commentary is required
MONTH = "2009-08"


def required(client: TestClient) -> list[str]:
    """The measures the month's confirmation page lists as missing commentary."""
    page = client.get(f"/packs/{ORG}/{MONTH}/publish").text
    section = page.split('id="h-missing"')[1].split("</section>")[0]
    return re.findall(r"/kpi/([^\"/]+)\"", section)


def write(client: TestClient, csrf: str, measure: str, text: str = "Explained.") -> None:
    got = client.post(
        f"/scorecard/{ORG}/{MONTH}/kpi/{measure}/commentary",
        data={"text": text, "csrf_token": csrf},
    )
    assert got.status_code == 303, got.text


def test_one_click_no_longer_publishes_a_month_with_a_red_row_not_written(
    client: TestClient, app_store: AppStore
) -> None:
    csrf = sign_in(client, "approver")
    assert "not written yet" in client.get(f"/summary/{ORG}/{MONTH}").text
    got = client.post(f"/packs/{ORG}/{MONTH}", data={"csrf_token": csrf})
    assert got.status_code == 409 and app_store.publication(ORG, MONTH) is None
    assert "Not published" in got.text and "2 required comments not written" in got.text
    api = client.post(f"/api/packs/{ORG}/{MONTH}", headers={"X-CSRF-Token": csrf})
    assert api.status_code == 409 and app_store.publication(ORG, MONTH) is None
    error = api.json()["error"]
    assert error["code"] == "publish_gated"
    assert [m["measure"] for m in error["missing_commentary"]] == [
        "satisfaction_gap",
        "recruits_minority",
    ]
    assert error["missing_commentary"][0]["reasons"] == ["status is red"]
    assert error["unapproved_figures"] == []
    gated = [e for e in app_store.audit_log(50) if e.event == "pack_publish_gated"]
    assert len(gated) == 2 and gated[0].username == "approver"


def test_the_confirmation_page_lists_what_the_pack_will_contain(client: TestClient) -> None:
    csrf = sign_in(client, "approver")
    summary = client.get(f"/summary/{ORG}/{MONTH}").text
    assert f'href="/packs/{ORG}/{MONTH}/publish"' in summary  # the button opens the page
    page = client.get(f"/packs/{ORG}/{MONTH}/publish").text
    rows = page.split('id="h-rows"')[1].split("</section>")[0]
    assert "status-red" in rows and "6b Percentage of police officer recruits" in rows
    assert required(client) == ["satisfaction_gap", "recruits_minority"]
    assert 'name="reason"' in page  # something is missing: a reason is asked for
    write(client, csrf, "satisfaction_gap")
    write(client, csrf, "recruits_minority")
    page = client.get(f"/packs/{ORG}/{MONTH}/publish").text
    assert required(client) == [] and "Every KPI that needs commentary has it." in page
    assert 'name="reason"' not in page and "Nothing is missing." in page
    client.cookies.clear()
    sign_in(client, "editor")
    assert client.get(f"/packs/{ORG}/{MONTH}/publish").status_code == 403


def test_complete_commentary_opens_the_gate(client: TestClient, app_store: AppStore) -> None:
    csrf = sign_in(client, "approver")
    write(client, csrf, "satisfaction_gap")
    write(client, csrf, "recruits_minority", "   ")  # blank is not written
    got = client.post(f"/packs/{ORG}/{MONTH}", data={"csrf_token": csrf})
    assert got.status_code == 409 and "1 required comment not written" in got.text
    write(client, csrf, "recruits_minority")
    got = client.post(f"/packs/{ORG}/{MONTH}", data={"csrf_token": csrf})
    assert got.status_code == 303
    pub = app_store.publication(ORG, MONTH)
    assert pub is not None and "gate" not in pub.changes


def test_a_stated_reason_publishes_and_is_kept_in_the_pack_and_the_audit(
    client: TestClient, app_store: AppStore
) -> None:
    csrf = sign_in(client, "approver")
    write(client, csrf, "satisfaction_gap")
    reason = "Board meets today; 6b commentary follows from HR."
    got = client.post(f"/packs/{ORG}/{MONTH}", data={"csrf_token": csrf, "reason": reason})
    assert got.status_code == 303
    pub = app_store.publication(ORG, MONTH)
    assert pub is not None
    gate = pub.changes["gate"]
    assert gate == {
        "reason": reason,
        "missing_commentary": [
            {
                "measure": "recruits_minority",
                "label": gate["missing_commentary"][0]["label"],  # type: ignore[index]
                "reasons": ["status is red"],
            }
        ],
        "unapproved_figures": [],
    }
    assert client.get(f"/api/packs/{ORG}/{MONTH}").json()["changes"]["gate"]["reason"] == reason
    page = client.get(f"/packs/{ORG}/{MONTH}").text
    assert "Published without all it needed" in page and reason in page
    over = [e for e in app_store.audit_log(50) if e.event == "pack_published_over_gate"]
    assert len(over) == 1 and over[0].detail["reason"] == reason
    assert over[0].username == "approver"


@pytest.fixture
def own(own_client: TestClient) -> TestClient:
    return own_client


def test_an_unapproved_entered_figure_closes_the_gate(own: TestClient) -> None:
    """4b (networks disrupted) is entered on the dashboard from Sep-09: a draft newer than
    the approved figure is refused by name until it is approved; a reason publishes anyway."""
    sep, figure = "2009-09", f"/api/entries/{ORG}/2009-09/networks_disrupted"
    editor = api_sign_in(own, "editor")
    assert own.post(figure, json={"value": 31, "base": 0}, headers=editor).status_code == 201
    assert own.post(f"{figure}/submit", json={"base": 1}, headers=editor).status_code == 201
    approver = api_sign_in(own, "approver")
    assert own.post(f"{figure}/approve", json={"base": 2}, headers=approver).status_code == 201
    pack = f"/api/packs/{ORG}/{sep}"
    first = own.post(pack, headers=approver).json()["error"]
    assert first["unapproved_figures"] == []  # approved: only commentary may be missing
    editor = api_sign_in(own, "editor")
    assert own.post(figure, json={"value": 32, "base": 3}, headers=editor).status_code == 201
    approver = api_sign_in(own, "approver")
    refused = own.post(pack, headers=approver)
    assert refused.status_code == 409
    assert refused.json()["error"]["unapproved_figures"] == [
        {
            "measure": "networks_disrupted",
            "label": "4b The number of criminal networks disrupted",
            "state": "draft",
        }
    ]
    page = own.get(f"/packs/{ORG}/{sep}/publish").text
    unapproved = page.split('id="h-unapproved"')[1].split("</section>")[0]
    assert "4b The number of criminal networks disrupted" in unapproved and "draft" in unapproved
    reason = "The 4b correction is still with SCD7; the board has the approved figure."
    got = own.post(pack, headers=approver, json={"reason": reason})
    assert got.status_code == 201, got.text
    gate = got.json()["changes"]["gate"]
    assert gate["reason"] == reason and gate["unapproved_figures"][0]["state"] == "draft"
