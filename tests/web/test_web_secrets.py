"""The dashboard never shows its warehouse URL's password (docs/SECURITY.md, "Secrets in
warehouse URLs"): not on its pages, its API's answers, its error pages nor its logs (what
`kpiboard serve` says when it cannot open the warehouse: tests/test_warehouse_secrets.py). A
real PostgreSQL warehouse (tests/conftest.py), reached with a password in the URL's user part
and as libpq's ``?password=``."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from appdb_helpers import create_pg_database, drop_pg_database
from fastapi.testclient import TestClient
from webutil import EXAMPLE, MONTH, ORG, sign_in

from kpiboard.catalogue.schema import Dashboard
from kpiboard.web.app import create_app
from kpiboard.web.db import AppStore
from kpiboard.web.db.errors import DatabaseUnavailable
from kpiboard.web.service import ScorecardService

PASSWORD = "pw-5e02b8-not-shown"  # the test server trusts local connections: any password works


@pytest.fixture
def warehouse(postgres_url: str) -> Iterator[tuple[str, str]]:
    """A database of its own: (its name, its URL with a password in both places)."""
    name, url = create_pg_database(postgres_url)
    scheme, rest = url.split("://", 1)
    user, host = rest.split("@", 1)
    yield name, f"{scheme}://{user}:{PASSWORD}@{host}?password={PASSWORD}"
    drop_pg_database(postgres_url, name)


def test_the_dashboard_shows_no_password_of_its_warehouse(
    tmp_path: Path,
    warehouse: tuple[str, str],
    app_store: AppStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    _, url = warehouse
    project = tmp_path / "met"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(".kpiboard"))
    service = ScorecardService.open(project, url)  # ingests the example into it
    try:
        client = TestClient(
            create_app(service, app_store, Dashboard()),
            base_url="http://127.0.0.1",
            follow_redirects=False,
        )
        csrf = sign_in(client, "admin")
        pages = [
            client.get(path)
            for path in (
                "/",
                f"/scorecard/{ORG}/{MONTH}",
                f"/scorecard/{ORG}/{MONTH}/kpi/robbery",
                f"/api/scorecards/{ORG}/{MONTH}",
                "/api/announcements",
                "/api/announcements?vintage=99",  # an error naming the vintages
                "/audit",
            )
        ]
        assert [p.status_code for p in pages] == [303, 200, 200, 200, 200, 404, 200]
        pages.append(client.post("/admin/reload", data={"csrf_token": csrf}))
        assert pages[-1].status_code == 200, pages[-1].text

    finally:
        service.close()
    for page in pages:
        assert PASSWORD not in page.text, page.text
    assert PASSWORD not in caplog.text


def test_the_application_databases_url_shows_no_password(postgres_url: str) -> None:
    # the same rule for the dashboard's own database (`dashboard: database:`): a server that
    # refuses the connection is named without the password in either place
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again when the socket is
    url = f"postgresql://kpi:{PASSWORD}@127.0.0.1:{port}/app?password={PASSWORD}&sslmode=disable"
    with pytest.raises(DatabaseUnavailable) as caught:
        AppStore.open(url)
    said = f"{caught.value.message} {caught.value.hint}"
    assert PASSWORD not in said
    assert f"127.0.0.1:{port}" in said and "password=***" in said, said
