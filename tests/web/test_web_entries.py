"""The owners' flow over the API on the demo project (issue 16's bar): an editor enters a
figure for a measure entered on the dashboard (4b, networks disrupted, from Sep-09); the
scorecard does not show it; the editor cannot approve it; an approver does; the scorecard then
shows it in a new vintage; the audit log has every step. And the refusals: a figure outside
the process limits without a note, a conflict, a month from the data files, a stranger."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from webutil import EXAMPLE, ORG, api_sign_in

from kpiboard.web.db import AppStore, Figures, Role
from kpiboard.web.entering import sync_approved
from kpiboard.web.service import ScorecardService

SEP = "2009-09"
FIGURE = f"/api/entries/{ORG}/{SEP}/networks_disrupted"


@pytest.fixture
def client(own_client: TestClient) -> TestClient:
    return own_client


def _post(client: TestClient, who: dict[str, str], path: str, body: dict[str, Any]) -> Any:
    return client.post(path, json=body, headers=who)


def test_enter_submit_approve_then_the_scorecard_shows_it_in_a_new_vintage(
    client: TestClient, app_store: AppStore
) -> None:
    editor = api_sign_in(client, "editor")
    before = client.get("/api/months").json()
    assert before["latest"] == "2009-08"
    listed = client.get(f"/api/entries/{ORG}/{SEP}").json()["entries"]
    assert [(e["measure"], e["state"], e["due"]) for e in listed] == [
        ("networks_disrupted", "not entered", "2009-10-14")  # the 10th working day of October
    ]
    saved = _post(client, editor, FIGURE, {"value": 31, "base": 0, "note": "from ops"})
    assert saved.status_code == 201, saved.text
    assert (saved.json()["step"], saved.json()["state"]) == (1, "draft")
    submitted = _post(client, editor, f"{FIGURE}/submit", {"base": 1})
    assert submitted.status_code == 201, submitted.text
    # not on the scorecard before approval
    assert client.get("/api/months").json()["months"][0] == "2009-08"
    # the editor cannot approve it
    refused = _post(client, editor, f"{FIGURE}/approve", {"base": 2})
    assert refused.status_code == 403, refused.text
    assert "may not approve figures for networks_disrupted" in refused.json()["error"]["message"]
    approver = api_sign_in(client, "approver")
    # the approver sees the submitted figure (a reader without a say would see nothing yet)
    seen = client.get(FIGURE).json()
    assert seen["current"]["figures"]["value"] == 31 and seen["may_approve"]
    approved = _post(client, approver, f"{FIGURE}/approve", {"base": 2})
    assert approved.status_code == 201, approved.text
    assert approved.json()["vintage"] == before["vintage"] + 1
    after = client.get("/api/months").json()
    assert after["latest"] == SEP and after["vintage"] == before["vintage"] + 1
    card = client.get(f"/api/scorecards/{ORG}/{SEP}").json()
    row = next(r for r in card["rows"] if r["measure"] == "networks_disrupted")
    points = {p["period"]: p["value"] for p in row["spc"]["points"]}
    assert points[SEP] == 31.0
    # every step audited, with who took it
    events = [(e.event, e.username) for e in reversed(app_store.audit_log(limit=30))]
    steps = [e for e in events if e[0].startswith("entr") or e[0] == "permission_denied"]
    assert steps == [
        ("entry_draft", "editor"),
        ("entry_submitted", "editor"),
        ("permission_denied", "editor"),
        ("entry_approved", "approver"),
        ("entries_loaded", "approver"),
    ]


def test_a_figure_outside_the_process_limits_needs_a_confirming_note(client: TestClient) -> None:
    editor = api_sign_in(client, "editor")
    wild = _post(client, editor, FIGURE, {"value": 400, "base": 0})
    assert wild.status_code == 422, wild.text
    error = wild.json()["error"]
    assert error["code"] == "invalid_figures"
    [problem] = error["problems"]
    assert problem["confirm"] and "outside the process limits" in problem["message"]
    noted = _post(client, editor, FIGURE, {"value": 400, "base": 0, "note": "joint operation"})
    assert noted.status_code == 201, noted.text
    negative = _post(client, editor, FIGURE, {"value": -2, "base": 1})
    assert negative.status_code == 422
    assert negative.json()["error"]["problems"][0]["field"] == "value"


def test_two_people_editing_one_figure_and_the_months_the_data_files_hold(
    client: TestClient,
) -> None:
    editor = api_sign_in(client, "editor")
    assert _post(client, editor, FIGURE, {"value": 30, "base": 0}).status_code == 201
    assert _post(client, editor, FIGURE, {"value": 29, "base": 1}).status_code == 201
    stale = _post(client, editor, FIGURE, {"value": 28, "base": 1})
    assert stale.status_code == 409, stale.text
    assert stale.json()["error"]["current"]["figures"]["value"] == 29
    aug = _post(
        client, editor, f"/api/entries/{ORG}/2009-08/networks_disrupted", {"value": 1, "base": 0}
    )
    assert aug.status_code == 400 and "comes from the data files" in aug.json()["error"]["message"]
    other = _post(client, editor, f"/api/entries/{ORG}/{SEP}/msv", {"value": 1, "base": 0})
    assert other.status_code == 404  # not a measure entered on the dashboard
    viewer = api_sign_in(client, "viewer")
    denied = _post(client, viewer, FIGURE, {"value": 1, "base": 2})
    assert denied.status_code == 403
    # a viewer without a say sees no draft
    assert client.get(f"/api/entries/{ORG}/{SEP}").json()["entries"][0]["current"] is None
    no_csrf = client.post(FIGURE, json={"value": 1, "base": 2})
    assert no_csrf.status_code == 403, no_csrf.text


def test_a_rebuilt_warehouse_is_caught_up_with_the_approved_figures(
    tmp_path: Path, app_store: AppStore
) -> None:
    """The approved figures live in the application database; a warehouse rebuilt from the
    data files (or one another server did not load) gets them back when the dashboard starts."""
    editor = next(u for u in app_store.users() if u.role is Role.EDITOR)
    boss = next(u for u in app_store.users() if u.role is Role.APPROVER)
    key = (ORG, "networks_disrupted", SEP)
    app_store.save_entry(*key, Figures(value=33), editor, base=0, enterers=["role:editor"])
    app_store.submit_entry(*key, editor, base=1, enterers=["role:editor"])
    app_store.approve_entry(*key, boss, base=2, approvers=["role:approver"])
    root = tmp_path / "met"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".kpiboard"))
    service = ScorecardService.open(root)  # a warehouse from the data files alone
    try:
        assert service.vintage == 1 and service.latest_month == "2009-08"
        assert sync_approved(service, app_store, "kpiboard serve") == 2
        assert service.latest_month == SEP
        assert sync_approved(service, app_store, "kpiboard serve") is None  # nothing to add
    finally:
        service.close()
