"""``/docs``: the API reference works under the dashboard's own Content-Security-Policy (no
script or style from another host) and shows the project's title as text, never as markup."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from appdb_helpers import FAST_HASHER
from fastapi.testclient import TestClient
from webutil import EXAMPLE

from kpiboard.web.app import create_app
from kpiboard.web.db import AppStore
from kpiboard.web.service import ScorecardService


def test_the_reference_lists_every_operation_of_the_openapi(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    spec = client.get("/openapi.json").json()
    listed = [(m.upper(), p) for p, methods in spec["paths"].items() for m in methods]
    assert len(listed) >= 14
    for method, path in listed:
        assert f"<code>{method} {path}</code>" in page.text, (method, path)
    assert "<td><code>text</code></td><td>body</td><td>string</td><td>yes</td>" in page.text
    assert '<a href="/openapi.json">' in page.text


def test_the_reference_loads_nothing_from_another_host(client: TestClient) -> None:
    page = client.get("/docs")
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page.text), "an external asset"
    # no inline script either: the policy would refuse it
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page.text)


def test_the_title_is_text_not_markup(tmp_path: Path) -> None:
    project = tmp_path / "met"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(".kpiboard"))
    yaml = project / "kpiboard.yaml"
    text = yaml.read_text(encoding="utf-8")
    title = re.search(r"^title: .*$", text, re.M)
    assert title
    hostile = "</title><script>alert(1)</script>"
    yaml.write_text(text.replace(title.group(0), f'title: "{hostile}"'), encoding="utf-8")
    service = ScorecardService.open(project)
    store = AppStore.open(f"sqlite:///{tmp_path / 'app.sqlite3'}", password_hasher=FAST_HASHER)
    try:
        client = TestClient(create_app(service, store), base_url="http://127.0.0.1")
        page = client.get("/docs")
        assert page.status_code == 200
        assert hostile not in page.text
        assert "&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    finally:
        store.close()
        service.close()
