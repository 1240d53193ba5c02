"""Forwarded headers (X-Forwarded-For, X-Forwarded-Proto) are believed only from the reverse
proxies named in kpiboard.yaml (`dashboard.trusted_proxies`), never by default: a real
`kpiboard serve` on 127.0.0.1, signed in through with forged headers, records the address
the connection really came from."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from appdb_helpers import PASSWORD
from live import audit, project_copy, serving

from kpiboard.catalogue.load import load_catalogue
from kpiboard.errors import KpiboardError

FORGED = "203.0.113.9"  # a documentation address: no such client exists


@pytest.fixture
def no_proxies(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    project = project_copy(tmp_path)
    with serving(project) as url:
        yield project, url


@pytest.fixture
def behind_a_proxy(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    project = project_copy(tmp_path, "dashboard:\n  trusted_proxies: [127.0.0.1]\n")
    with serving(project) as url:
        yield project, url


def _signed_in_from(project: Path) -> list[str | None]:
    return [e.ip for e in audit(project) if e.event in {"sign_in", "sign_in_failed"}]


def _sign_in(url: str, password: str, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(
        url + "/api/session", json={"username": "admin", "password": password}, headers=headers
    )


def test_forged_forwarded_headers_are_not_believed_by_default(
    no_proxies: tuple[Path, str],
) -> None:
    project, url = no_proxies
    forged = {"X-Forwarded-For": FORGED, "X-Forwarded-Proto": "https"}
    assert _sign_in(url, "wrong", forged).status_code == 401
    signed = _sign_in(url, PASSWORD, forged)
    assert signed.status_code == 200
    assert _signed_in_from(project) == ["127.0.0.1", "127.0.0.1"]
    # the connection is plain http: a forged "https" does not make the cookie Secure-only
    assert "secure" not in signed.headers["set-cookie"].lower()


def test_a_forged_address_does_not_escape_the_per_address_throttle(
    no_proxies: tuple[Path, str],
) -> None:
    _, url = no_proxies
    statuses = [
        httpx.post(
            url + "/api/session",
            json={"username": f"nobody{n}", "password": "wrong"},
            headers={"X-Forwarded-For": f"198.51.100.{n}"},
        ).status_code
        for n in range(25)
    ]
    assert statuses[:20] == [401] * 20 and set(statuses[20:]) == {429}, statuses


def test_a_named_proxy_is_believed(behind_a_proxy: tuple[Path, str]) -> None:
    project, url = behind_a_proxy
    signed = _sign_in(url, PASSWORD, {"X-Forwarded-For": FORGED, "X-Forwarded-Proto": "https"})
    assert signed.status_code == 200
    assert _signed_in_from(project) == [FORGED]
    assert "secure" in signed.headers["set-cookie"].lower()  # the proxy said https


def test_a_proxy_named_by_host_name_is_a_finding(tmp_path: Path) -> None:
    project = project_copy(tmp_path, "dashboard:\n  trusted_proxies: [proxy.local]\n")
    with pytest.raises(KpiboardError) as caught:
        load_catalogue(project)
    text = str(caught.value) + "".join(str(f) for f in getattr(caught.value, "findings", []))
    assert "'proxy.local' is not an IP address or network" in text, text
    assert "kpiboard.yaml" in text
