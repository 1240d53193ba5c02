"""HTTP's own rules the dashboard keeps: a 405 says which methods the address accepts."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from secutil import MONTH, ORG, StoreFactory, client_for

from kpiboard.web.service import ScorecardService


@pytest.fixture
def client(secure_service: ScorecardService, new_store: StoreFactory) -> TestClient:
    return client_for(secure_service, new_store())


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        # two routes share each of these paths: the header names both methods
        ("PUT", f"/api/packs/{ORG}/{MONTH}", "GET, POST"),
        ("DELETE", f"/packs/{ORG}/{MONTH}", "GET, POST"),
        ("PUT", "/api/session", "DELETE, POST"),
        ("PATCH", f"/api/commentary/{ORG}/{MONTH}/robbery", "GET, POST"),
        ("POST", f"/scorecard/{ORG}/{MONTH}", "GET"),
        ("GET", "/admin/reload", "POST"),
        ("POST", "/openapi.json", "GET, HEAD"),
    ],
)
def test_a_405_names_the_methods_the_address_accepts(
    client: TestClient, method: str, path: str, allow: str
) -> None:
    got = client.request(method, path)
    assert got.status_code == 405
    assert got.headers["allow"] == allow
    if path.startswith("/api/"):
        error = got.json()["error"]
        assert error["status"] == 405 and error["hint"] == f"it accepts {allow}"
    else:
        assert f"it accepts {allow}" in got.text
