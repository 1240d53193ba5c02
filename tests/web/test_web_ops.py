"""Running the dashboard: the whole commentary-and-publish flow on PostgreSQL as on SQLite,
reloading data while it serves, and `kpiboard demo` ending by serving with demo logins."""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from appdb_helpers import FAST_HASHER, create_pg_database, drop_pg_database
from fastapi.testclient import TestClient
from webutil import EXAMPLE, MONTH, ORG, PASSWORD, REASON, ROLES, sign_in

from kpiboard.catalogue.schema import Dashboard
from kpiboard.render import render
from kpiboard.web.app import create_app
from kpiboard.web.db import AppStore
from kpiboard.web.service import ScorecardService


@pytest.fixture
def pg_store(postgres_url: str) -> Iterator[AppStore]:
    name, url = create_pg_database(postgres_url)
    store = AppStore.open(url, password_hasher=FAST_HASHER)
    for user, role in ROLES.items():
        store.add_user(user, PASSWORD, role)
    yield store
    store.close()
    drop_pg_database(postgres_url, name)


def test_commentary_and_publishing_on_postgresql(
    service: ScorecardService, pg_store: AppStore
) -> None:
    client = TestClient(
        create_app(service, pg_store, Dashboard()),
        base_url="http://127.0.0.1",
        follow_redirects=False,
    )
    csrf = sign_in(client, "approver")
    for text in ("Draft", "Robbery *down*; O'Brien's \"team\"; DROP TABLE users;"):
        got = client.post(
            f"/scorecard/{ORG}/{MONTH}/kpi/robbery/commentary",
            data={"text": text, "csrf_token": csrf},
        )
        assert got.status_code == 303
    assert (
        client.post(
            f"/packs/{ORG}/{MONTH}", data={"csrf_token": csrf, "reason": REASON}
        ).status_code
        == 303
    )
    assert (
        client.post(
            f"/packs/{ORG}/{MONTH}", data={"csrf_token": csrf, "reason": REASON}
        ).status_code
        == 409
    )
    pack = client.get(f"/api/packs/{ORG}/{MONTH}").json()
    assert pack["scorecard"] == json.loads(render(service.scorecard(ORG, MONTH), "json"))
    assert pack["commentary"]["robbery"]["number"] == 2
    assert (
        pack["commentary"]["robbery"]["text"]
        == "Robbery *down*; O'Brien's \"team\"; DROP TABLE users;"
    )
    assert "<em>down</em>" in client.get(f"/packs/{ORG}/{MONTH}/pack.html").text
    events = [e.event for e in pg_store.audit_log(50)]
    assert (
        events.count("commentary_saved") == 2
        and "pack_published" in events
        and "pack_publish_refused" in events
    )


@pytest.fixture
def own_project(tmp_path: Path) -> Path:
    dest = tmp_path / "met"
    shutil.copytree(EXAMPLE, dest, ignore=shutil.ignore_patterns(".kpiboard"))
    return dest


@pytest.fixture
def serving(
    own_project: Path, app_store: AppStore
) -> Iterator[tuple[ScorecardService, TestClient, str]]:
    """The dashboard over a copy of the example: its service, a client signed in as admin and
    that session's CSRF token."""
    service = ScorecardService.open(own_project)
    try:
        client = TestClient(
            create_app(service, app_store, Dashboard()),
            base_url="http://127.0.0.1",
            follow_redirects=False,
        )
        yield service, client, sign_in(client, "admin")
    finally:
        service.close()


def _replace_value(path: Path, line_start: str, new: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines = [new + "\n" if ln.startswith(line_start) else ln for ln in lines]
    path.write_text("".join(lines), encoding="utf-8")


def test_an_admin_reloads_changed_data_while_serving(
    own_project: Path, app_store: AppStore, serving: tuple[ScorecardService, TestClient, str]
) -> None:
    service, client, csrf = serving
    url = f"/api/scorecards/{ORG}/{MONTH}/kpis/robbery"
    before_version = service.version.hash
    before = client.get(url).json()["row"]["level"]["value"]
    _replace_value(
        own_project / "data" / "crime.csv",
        "metropolitan,robbery,2009-08,",
        "metropolitan,robbery,2009-08,1,2822,,,,,",
    )
    got = client.post("/api/admin/reload", headers={"X-CSRF-Token": csrf})
    assert got.status_code == 200, got.text
    assert got.json()["data_version"] != before_version
    assert client.get(url).json()["row"]["level"]["value"] == before + 100  # 2,722 became 2,822
    assert "data_reloaded" in [e.event for e in app_store.audit_log(20)]

    # a broken file: a clear error, and the dashboard keeps the data it had
    version = service.version.hash
    _replace_value(
        own_project / "data" / "crime.csv",
        "metropolitan,robbery,2009-07,",
        "metropolitan,robbery,2009-07,1,lots,,,,,",
    )
    bad = client.post("/api/admin/reload", headers={"X-CSRF-Token": csrf})
    assert bad.status_code == 400 and bad.json()["error"]["message"]
    assert service.version.hash == version
    assert client.get(url).json()["row"]["level"]["value"] == before + 100

    editor = TestClient(client.app, base_url="http://127.0.0.1", follow_redirects=False)
    token = sign_in(editor, "editor")
    assert editor.post("/api/admin/reload", headers={"X-CSRF-Token": token}).status_code == 403


def test_a_reload_shows_the_ingests_warnings(
    own_project: Path, app_store: AppStore, serving: tuple[ScorecardService, TestClient, str]
) -> None:
    _, client, csrf = serving
    quiet = client.post("/api/admin/reload", headers={"X-CSRF-Token": csrf})
    assert quiet.status_code == 200 and quiet.json()["warnings"] == []
    header = (own_project / "data" / "crime.csv").read_text(encoding="utf-8").splitlines()[0]
    (own_project / "data" / "later.csv").write_text(
        header + "\n", encoding="utf-8"
    )  # a header, no rows
    got = client.post("/api/admin/reload", headers={"X-CSRF-Token": csrf})
    assert got.status_code == 200, got.text
    assert [(w["level"], w["file"], w["message"]) for w in got.json()["warnings"]] == [
        ("warning", "data/later.csv", "no data rows under the header")
    ]
    (own_project / "data" / "later2.csv").write_text(header + "\n", encoding="utf-8")
    page = client.post("/admin/reload", data={"csrf_token": csrf})
    assert page.status_code == 200
    assert (
        "Warnings (2)" in page.text
        and "data/later2.csv: no data rows under the header" in page.text
    )
    assert [e.detail["warnings"] for e in app_store.audit_log(20, "data_reloaded")][:3] == [2, 1, 0]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_demo_ends_by_serving_the_dashboard_with_demo_logins(tmp_path: Path) -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kpiboard",
            "demo",
            "--output",
            str(tmp_path / "demo.html"),
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("Dashboard: "):
                break
        out = "".join(lines)
        assert f"Dashboard: http://127.0.0.1:{port}/" in out, out
        assert "Critical Performance Areas" in out  # the terminal scorecard came first
        login = re.search(r"demo login: approver / (\S+)", out)
        assert login, out
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                signed = httpx.post(
                    url + "/api/session", json={"username": "approver", "password": login.group(1)}
                )
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert signed.status_code == 200 and signed.json()["role"] == "approver"
        assert (
            httpx.get(url + f"/scorecard/{ORG}/{MONTH}", cookies=signed.cookies).status_code == 200
        )
    finally:
        proc.terminate()
        proc.wait(timeout=30)
