"""The dashboard's KPI rows say when a figure is stale, as every other output does."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from stale_project import AS_OF, write_project

from kpiboard.catalogue.schema import Dashboard
from kpiboard.web.app import create_app
from kpiboard.web.db import AppStore
from kpiboard.web.service import ScorecardService


@pytest.fixture
def service(tmp_path: Path) -> Iterator[ScorecardService]:
    svc = ScorecardService.open(write_project(tmp_path / "p"))
    yield svc
    svc.close()


def test_the_kpi_row_says_stale_with_the_last_period(
    service: ScorecardService, app_store: AppStore
) -> None:
    client = TestClient(
        create_app(service, app_store, Dashboard(anonymous_read=True)),
        base_url="http://127.0.0.1",
        follow_redirects=False,
    )
    page = client.get(f"/scorecard/A/{AS_OF}")
    assert page.status_code == 200, page.text
    marks = re.findall(r'<span class="reason stale">([^<]*)</span>', page.text)
    assert marks == ["stale: last figure Mar-10", "stale: last figure Sep-09"]
