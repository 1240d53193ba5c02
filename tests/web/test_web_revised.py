"""The dashboard marks figures revised since the month's published pack (the vintage the pack
pinned) or, before publication, since first reported; the pack's page and API say its vintage
and what was revised since. A real service on a copy of the Met example (real DuckDB file,
reloaded through the dashboard as an admin would), a real application database."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from webutil import EXAMPLE, MONTH, ORG, REASON, sign_in

from kpiboard.catalogue.schema import Dashboard
from kpiboard.web.app import create_app
from kpiboard.web.db import AppStore
from kpiboard.web.service import ScorecardService

MARK = re.compile(r'<span class="reason revised">([^<]*)</span>')
KPI = f"/scorecard/{ORG}/{MONTH}/kpi/msv"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return Path(
        shutil.copytree(EXAMPLE, tmp_path / "met", ignore=shutil.ignore_patterns(".kpiboard"))
    )


@pytest.fixture
def service(project: Path) -> Iterator[ScorecardService]:
    svc = ScorecardService.open(project)  # vintage 1
    yield svc
    svc.close()


@pytest.fixture
def client(service: ScorecardService, app_store: AppStore) -> TestClient:
    app = create_app(service, app_store, Dashboard(anonymous_read=True))
    return TestClient(app, base_url="http://127.0.0.1", follow_redirects=False)


def load(client: TestClient, project: Path, old: str, new: str) -> None:
    """Change the data file and reload the data through the dashboard, as an admin does: a
    new vintage."""
    path = project / "data" / "crime.csv"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    csrf = sign_in(client, "admin")
    got = client.post("/api/admin/reload", headers={"X-CSRF-Token": csrf})
    assert got.status_code == 200, got.text
    client.cookies.clear()


def revise_august(client: TestClient, project: Path) -> None:
    load(client, project, "metropolitan,msv,2009-08,1,1453,", "metropolitan,msv,2009-08,1,1777,")


def add_september(client: TestClient, project: Path) -> None:
    """A month after the pack's, and nothing else: a vintage that revises nothing of it."""
    aug = "metropolitan,msv,2009-08,1,1453,,,,,\n"
    load(client, project, aug, aug + "metropolitan,msv,2009-09,1,1500,,,,,\n")


def publish(client: TestClient) -> None:
    csrf = sign_in(client, "approver")
    got = client.post(f"/packs/{ORG}/{MONTH}", data={"csrf_token": csrf, "reason": REASON})
    assert got.status_code == 303, got.text
    client.cookies.clear()


def marks(client: TestClient, path: str) -> list[str]:
    page = client.get(path)
    assert page.status_code == 200, page.text
    return MARK.findall(page.text)


def msv_json(client: TestClient) -> dict[str, object]:
    card = client.get(f"/api/scorecards/{ORG}/{MONTH}").json()
    [row] = [r for r in card["rows"] if r["measure"] == "msv"]
    return row  # type: ignore[no-any-return]


def test_a_pack_published_at_1_shows_the_revision_made_at_3(
    client: TestClient, project: Path
) -> None:
    publish(client)
    pack = client.get(f"/api/packs/{ORG}/{MONTH}").json()
    assert (pack["vintage"], pack["vintage_now"], pack["revised_since_published"]) == (1, 1, [])
    assert marks(client, f"/scorecard/{ORG}/{MONTH}") == []
    add_september(client, project)  # vintage 2
    assert marks(client, f"/scorecard/{ORG}/{MONTH}") == []
    revise_august(client, project)  # vintage 3
    text = "revised since published: +0.5% → +4.9% (vintage 3)"
    assert marks(client, f"/scorecard/{ORG}/{MONTH}") == [text]
    assert marks(client, KPI) == [text]
    revised = msv_json(client)["revised"]
    assert isinstance(revised, dict)
    assert (revised["since"], revised["since_vintage"], revised["vintage"]) == ("published", 1, 3)
    assert revised["text"] == text
    pack = client.get(f"/api/packs/{ORG}/{MONTH}").json()
    assert (pack["vintage"], pack["vintage_now"]) == (1, 3)
    assert pack["revised_since_published"] == [
        {"row": "3a Most serious violence rate", "text": text}
    ]
    assert client.get("/api/packs").json()["packs"][0]["vintage"] == 1
    page = client.get(f"/packs/{ORG}/{MONTH}").text
    assert "vintage 1 (the dashboard now shows vintage 3)" in page
    assert f"<li>3a Most serious violence rate: {text}</li>" in page


def test_before_publication_the_baseline_is_the_first_report_and_the_pack_pins_what_it_showed(
    client: TestClient, project: Path
) -> None:
    revise_august(client, project)  # vintage 2
    text = "revised since first reported: +0.5% → +4.9% (vintage 2)"
    assert marks(client, f"/scorecard/{ORG}/{MONTH}") == [text]
    assert marks(client, KPI) == [text]
    publish(client)  # the board is given +4.9%, at vintage 2
    pack = client.get(f"/api/packs/{ORG}/{MONTH}").json()
    assert pack["vintage"] == 2
    [frozen] = [r for r in pack["scorecard"]["rows"] if r["measure"] == "msv"]
    assert frozen["revised"]["text"] == text  # as the approver saw it
    # published at vintage 2: nothing is revised since, on every page
    assert marks(client, f"/scorecard/{ORG}/{MONTH}") == []
    assert marks(client, KPI) == []
    assert msv_json(client)["revised"] is None
    assert "vintage 2</dd>" in client.get(f"/packs/{ORG}/{MONTH}").text
