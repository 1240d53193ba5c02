"""The request-size guard over a real socket: uvicorn decodes a chunked body itself, so the
413 for a body sent without Content-Length is checked through `kpiboard serve`, not only in
process."""

from __future__ import annotations

from pathlib import Path

import httpx
from appdb_helpers import PASSWORD
from live import project_copy, serving
from webutil import MONTH, ORG, chunks

from kpiboard.web.security import MAX_BODY_BYTES


def test_an_oversized_chunked_body_is_a_413_over_a_real_socket(tmp_path: Path) -> None:
    project = project_copy(tmp_path)
    with serving(project) as url, httpx.Client(base_url=url, timeout=60) as client:
        signed = client.post("/api/session", json={"username": "admin", "password": PASSWORD})
        assert signed.status_code == 200, signed.text
        csrf = signed.json()["csrf_token"]
        got = client.post(
            f"/api/commentary/{ORG}/{MONTH}/robbery",
            content=chunks(2 * MAX_BODY_BYTES),
            headers={"Content-Type": "application/json", "X-CSRF-Token": csrf},
        )
        assert "content-length" not in got.request.headers
        assert got.status_code == 413, got.text
        assert got.json()["error"]["code"] == "too_large"
        # the server is still serving, and nothing was saved
        saved = client.get(f"/api/commentary/{ORG}/{MONTH}/robbery")
        assert saved.status_code == 200 and saved.json()["revisions"] == []
