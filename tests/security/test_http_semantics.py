"""HTTP's own rules the dashboard keeps: a 405 says which methods the address accepts."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from kpiboard.web.service import ScorecardService
from security.secutil import MONTH, ORG, StoreFactory, client_for


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


def test_a_body_that_is_not_json_is_refused_in_the_dashboards_words(client: TestClient) -> None:
    got = client.post(
        "/api/session", content=b"\xff{", headers={"content-type": "application/json"}
    )
    assert got.status_code == 400
    error = got.json()["error"]
    assert error["code"] == "bad_request"
    assert "not valid JSON" in error["message"] and "/docs" in error["hint"]


@pytest.mark.parametrize(
    ("method", "path", "statuses"),
    [
        ("post", "/api/session", {"400", "413", "422", "429"}),
        ("post", "/api/commentary/{org}/{month}/{measure}", {"400", "409", "413", "422"}),
        ("post", "/api/packs/{org}/{month}", {"409"}),
    ],
)
def test_the_schema_documents_what_writes_answer(
    client: TestClient, method: str, path: str, statuses: set[str]
) -> None:
    responses = client.get("/openapi.json").json()["paths"][path][method]["responses"]
    assert statuses <= set(responses), sorted(responses)
