"""The dashboard's "since the last load" (docs/WEB.md): the latest vintage's announcements on
a page of their own, in a panel on the scorecard page, and from GET /api/announcements, on a
project loaded twice (tests/announce_project.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from announce_project import SECOND_TEXTS, second_rows, write_project, write_rows
from fastapi.testclient import TestClient

from kpiboard.catalogue import load_catalogue
from kpiboard.catalogue.schema import Dashboard
from kpiboard.warehouse import ingest_project
from kpiboard.web.app import create_app
from kpiboard.web.builds import BuildQuota
from kpiboard.web.db import AppStore
from kpiboard.web.service import ScorecardService


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScorecardService]:
    root = write_project(tmp_path_factory.mktemp("news") / "p")
    ingest_project(load_catalogue(root))
    write_rows(root, second_rows())
    ingest_project(load_catalogue(root))
    svc = ScorecardService.open(root)
    yield svc
    svc.close()


@pytest.fixture
def client(service: ScorecardService, app_store: AppStore) -> TestClient:
    app = create_app(service, app_store, Dashboard(anonymous_read=True))
    return TestClient(app, base_url="http://127.0.0.1", follow_redirects=False)


def texts(html: str, where: str) -> list[str]:
    """The announcements' link texts inside the element whose markup starts with ``where``."""
    part = html[html.index(where) :]
    part = part[: part.index("</ul>")]
    return [t.replace("&gt;", ">") for t in re.findall(r'<a href="[^"]*">([^<]*)</a>', part)]


def test_the_api_gives_the_latest_vintages_announcements(client: TestClient) -> None:
    got = client.get("/api/announcements")
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["vintage"] == 2
    assert [a["text"] for a in body["announcements"]] == SECOND_TEXTS
    first = body["announcements"][0]
    assert (first["kind"], first["organisation"], first["measure"]) == (
        "status_changed",
        "A",
        "burglary",
    )
    assert first["url"] == "/scorecard/A/2018-07/kpi/burglary"
    assert client.get(first["url"]).status_code == 200
    assert client.get("/api/announcements", params={"vintage": 1}).json() == {
        "vintage": 1,
        "announcements": [],
    }


def test_a_vintage_that_does_not_exist_is_a_404_listing_them(client: TestClient) -> None:
    got = client.get("/api/announcements", params={"vintage": 9})
    assert got.status_code == 404
    error = got.json()["error"]
    assert "no vintage 9 (vintages: 1, 2)" in error["message"]
    assert "kpiboard vintages" in error["hint"]


def test_the_api_call_is_in_the_openapi(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    call = spec["paths"]["/api/announcements"]["get"]
    assert [p["name"] for p in call["parameters"]] == ["vintage"]


def test_the_scorecard_page_has_the_panel_with_links_to_the_kpis(client: TestClient) -> None:
    page = client.get("/scorecard/A/2018-07")
    assert page.status_code == 200, page.text
    assert 'Since the last load <span class="small">vintage 2</span>' in page.text
    panel = page.text[page.text.index('<section class="notice news-panel') :]
    assert texts(panel, '<ul class="news">') == SECOND_TEXTS
    assert '<a href="/scorecard/A/2018-07/kpi/vehicle">Vehicle crime: stale' in panel
    # another organisation's scorecard: nothing was announced for it
    assert "news-panel" not in client.get("/scorecard/B/2018-07").text


def test_the_page_lists_them_and_is_in_the_navigation(client: TestClient) -> None:
    page = client.get("/announcements")
    assert page.status_code == 200, page.text
    assert '<a href="/announcements" aria-current="page">Since the last load</a>' in page.text
    assert "What vintage 2 of the data brought" in page.text
    assert "<h2>Alpha</h2>" in page.text  # by organisation: only the home one without pins
    assert texts(page.text, '<ul class="news">') == SECOND_TEXTS
    assert '<a href="/announcements?vintage=1">What vintage 1 brought</a>' in page.text
    earlier = client.get("/announcements", params={"vintage": 1})
    assert "Nothing to announce" in earlier.text
    assert client.get("/announcements", params={"vintage": 7}).status_code == 404
    assert '<a href="/announcements">Since the last load</a>' in client.get("/packs").text


def test_a_reload_that_makes_a_vintage_shows_what_it_brought(
    tmp_path: Path, app_store: AppStore
) -> None:
    root = write_project(tmp_path / "p")
    svc = ScorecardService.open(root)  # ingests: vintage 1
    try:
        client = TestClient(
            create_app(svc, app_store, Dashboard(anonymous_read=True)),
            base_url="http://127.0.0.1",
        )
        assert client.get("/api/announcements").json() == {"vintage": 1, "announcements": []}
        write_rows(root, second_rows())
        assert svc.reload() is not None
        got = client.get("/api/announcements").json()
        assert got["vintage"] == 2
        assert [a["text"] for a in got["announcements"]] == SECOND_TEXTS
    finally:
        svc.close()


def test_the_scorecard_is_shown_without_the_panel_when_it_cannot_be_built(
    tmp_path: Path, app_store: AppStore
) -> None:
    """The panel is an aside: a reader out of building time still gets the scorecard (built
    already), and the panel once the announcements can be built."""
    root = write_project(tmp_path / "p")
    ingest_project(load_catalogue(root))
    write_rows(root, second_rows())
    svc = ScorecardService.open(root)  # ingests: vintage 2
    try:
        svc.shown("A", "2018-07", None)  # built outside any request: no reader's budget
        svc.quota = BuildQuota(burst=0)  # every reader's building time spent
        client = TestClient(
            create_app(svc, app_store, Dashboard(anonymous_read=True)),
            base_url="http://127.0.0.1",
        )
        page = client.get("/scorecard/A/2018-07")
        assert page.status_code == 200, page.text
        assert "news-panel" not in page.text and "Burglary" in page.text
        assert client.get("/announcements").status_code == 429
        svc.quota = BuildQuota(burst=float("inf"))
        assert "news-panel" in client.get("/scorecard/A/2018-07").text
    finally:
        svc.close()
