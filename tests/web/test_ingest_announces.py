"""`kpiboard ingest` tells people what its vintage brought (docs/VINTAGES.md, "Announcements";
docs/WEB.md, the outbox): the project's webhooks get one signed call, published packs whose
figures were revised are announced, a webhook that times out leaves the load standing and
waits in the outbox, and the dashboard's reload announces the vintages it makes. Real
receivers on 127.0.0.1, the real command line, a real DuckDB warehouse."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from announce_project import SECOND_TEXTS, second_rows, write_project, write_rows
from fastapi.testclient import TestClient
from notifyutil import SECRET, SECRET_ENV, webhook_yaml
from receivers import HANG, http_receiver
from typer.testing import CliRunner, Result

from kpiboard.cli import app
from kpiboard.web.app import create_app
from kpiboard.web.db import AppStore, Role
from kpiboard.web.notify.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature
from kpiboard.web.service import ScorecardService

runner = CliRunner()


def run(*args: str | Path, code: int = 0) -> Result:
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == code, result.output
    return result


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(SECRET_ENV, SECRET)
    root = write_project(tmp_path / "p")
    run("ingest", root)  # vintage 1
    return root


def configure(root: Path, hook: str) -> None:
    with (root / "kpiboard.yaml").open("a") as fh:
        fh.write("announcements:\n" + hook)


def test_ingest_sends_what_its_vintage_brought_to_a_signed_webhook(project: Path) -> None:
    with http_receiver() as hook:
        configure(project, webhook_yaml(hook.url))
        write_rows(project, second_rows())
        result = run("ingest", project)
    assert "since the last load:" in result.stdout
    assert "announcements: 1 delivered" in result.stderr
    (call,) = hook.received
    headers = {k.lower(): v for k, v in call.headers.items()}
    stamp = headers[TIMESTAMP_HEADER.lower()]
    assert headers[SIGNATURE_HEADER.lower()] == signature(SECRET.encode(), stamp, call.body)
    sent = json.loads(call.body)
    assert sent["vintage"] == 2
    assert [a["text"] for a in sent["announcements"]] == SECOND_TEXTS


def test_a_webhook_that_times_out_leaves_the_load_standing_and_waits_in_the_outbox(
    project: Path,
) -> None:
    with http_receiver(HANG) as hook:
        configure(project, webhook_yaml(hook.url, timeout=0.5))
        write_rows(project, second_rows())
        result = run("ingest", project)
        assert hook.arrived.is_set()
    assert "vintage 2 made" in result.stdout
    assert "1 waiting to be retried" in result.stderr
    assert f"no answer within 0.5 s from {hook.url}" in result.stderr
    waiting = run("outbox", project).stdout
    assert hook.url in waiting and "waiting" in waiting
    assert json.loads(run("vintages", project, "--format", "json").stdout)[-1]["id"] == 2


def test_ingest_announces_the_revision_of_a_published_pack(project: Path) -> None:
    store = AppStore.open(AppStore.default_url(project, None))
    approver = store.add_user("approver", "a long enough passphrase", Role.APPROVER)
    store.publish(
        "A",
        "2018-06",
        scorecard_json="{}",
        pack_html="<p>pack</p>",
        data_version="v1",
        commentary={},
        changes={},
        user=approver,
        vintage=1,
    )
    store.close()
    write_rows(project, second_rows())
    out = run("ingest", project, "--format", "json").stdout
    revised = [a for a in json.loads(out)["announcements"] if a["kind"] == "published_revised"]
    assert [a["text"] for a in revised] == [
        "Robbery in the published Jun-18 pack: 840 → 1,140",
        "Cases in the published Jun-18 pack: 95 → 99",
    ]


def test_the_dashboard_s_reload_sends_the_vintage_it_made(project: Path) -> None:
    with http_receiver() as hook:
        configure(project, webhook_yaml(hook.url))
        store = AppStore.open(AppStore.default_url(project, None))
        store.add_user("admin", "a long enough passphrase", Role.ADMIN)
        service = ScorecardService.open(project)
        try:
            client = TestClient(create_app(service, store), base_url="http://127.0.0.1")
            signed = client.post(
                "/api/session",
                json={"username": "admin", "password": "a long enough passphrase"},
            )
            assert signed.status_code == 200, signed.text
            write_rows(project, second_rows())
            csrf = signed.json()["csrf_token"]
            done = client.post("/api/admin/reload", headers={"X-CSRF-Token": csrf})
            assert done.status_code == 200, done.text
        finally:
            service.close()
            store.close()
    (call,) = hook.received
    sent = json.loads(call.body)
    assert sent["vintage"] == 2
    assert [a["text"] for a in sent["announcements"]] == SECOND_TEXTS
