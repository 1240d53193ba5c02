"""A real OpenID Connect provider for the single sign-on tests: panva's oidc-provider (Node.js,
tests/oidc/provider.mjs), installed from tests/oidc/package-lock.json with `npm ci` when missing,
started on 127.0.0.1 on a free port, and a browser's way through its sign-in and consent pages."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

PROVIDER_DIR = Path(__file__).resolve().parents[1] / "oidc"
CLIENT_ID = "kpiboard"
SECRET = "client-secret-for-tests-only"
SECRET_ENV = "KPIBOARD_TEST_OIDC_SECRET"
OTHER_CLIENT = "another-app"
OTHER_SECRET = "another-secret-for-tests-only"
OTHER_REDIRECT = "http://127.0.0.1:9/another-app/callback"  # never followed
CALLBACK = "http://127.0.0.1/login/oidc/callback"  # the TestClient's base URL + the route
FORM_ACTION = re.compile(r'<form[^>]*action="([^"]+)"')

GROUPS = {
    "viewer": ["kpi-readers"],
    "editor": ["kpi-editors"],
    "approver": ["kpi-approvers"],
    "admin": ["kpi-admins"],
}
ACCOUNTS: dict[str, dict[str, Any]] = {
    "vera": {"name": "Vera Viewer", "groups": ["kpi-readers", "canteen"]},
    "ed": {"name": "Ed Editor", "groups": ["kpi-editors"]},
    "april": {"name": "April Approver", "groups": ["kpi-approvers"]},
    # in several mapped groups: the highest role wins
    "ada": {"name": "Ada Admin", "groups": ["kpi-readers", "kpi-admins", "kpi-editors"]},
    "nobody": {"name": "No Body", "groups": ["canteen"]},
    "nogroups": {"name": "No Groups"},
    # the local account "admin" exists: the provider must not sign anyone in as it
    "admin": {"name": "Impostor", "groups": ["kpi-admins"]},
    "mail": {"name": "Mail Name", "groups": ["kpi-readers"], "preferred_username": "m@x.org"},
}


def _accounts() -> dict[str, dict[str, Any]]:
    return {login: {"preferred_username": login, **claims} for login, claims in ACCOUNTS.items()}


@dataclass
class Provider:
    issuer: str
    config: Path

    def set_groups(self, login: str, groups: list[str]) -> None:
        """Change someone's groups at the provider (read again at their next sign-in)."""
        data = json.loads(self.config.read_text())
        data["accounts"][login]["groups"] = groups
        self.config.write_text(json.dumps(data))


def _installed() -> None:
    if (PROVIDER_DIR / "node_modules" / "oidc-provider" / "package.json").is_file():
        return
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed: the single sign-on tests need Node.js 20 and npm")
    done = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund"],
        cwd=PROVIDER_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"`npm ci` in {PROVIDER_DIR} failed:\n{done.stderr}")


@contextmanager
def running_provider(workdir: Path, callback: str = CALLBACK) -> Iterator[Provider]:
    """The provider, serving until the block ends; kpiboard's client comes back to
    ``callback``."""
    node = shutil.which("node")
    if node is None:
        pytest.skip(
            "node is not installed: the single sign-on tests run a real OpenID Connect "
            "provider (tests/oidc) on Node.js 20"
        )
    _installed()
    config = workdir / "oidc-provider.json"
    clients = [
        {
            "client_id": CLIENT_ID,
            "client_secret": SECRET,
            "redirect_uris": [callback],
            "grant_types": ["authorization_code"],
            "response_types": ["code"],
        },
        {
            "client_id": OTHER_CLIENT,
            "client_secret": OTHER_SECRET,
            "redirect_uris": [OTHER_REDIRECT],
            "grant_types": ["authorization_code"],
            "response_types": ["code"],
        },
    ]
    config.write_text(json.dumps({"clients": clients, "accounts": _accounts()}))
    process = subprocess.Popen(
        [node, str(PROVIDER_DIR / "provider.mjs"), str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None and process.stderr is not None
        line = process.stdout.readline()  # printed once it listens; empty if it died
        if not line:
            process.wait()
            pytest.fail(f"the OpenID Connect provider did not start:\n{process.stderr.read()}")
        yield Provider(json.loads(line)["issuer"], config)
    finally:
        process.terminate()
        process.wait()


def through_provider(issuer: str, authorize_url: str, login: str) -> str:
    """A browser at the provider: from its authorization URL, through its sign-in and consent
    pages, to the redirect back to the client (returned, not followed)."""
    assert authorize_url.startswith(issuer + "/"), authorize_url
    with httpx.Client(follow_redirects=False, timeout=30) as browser:
        url = authorize_url
        for _ in range(12):
            page = browser.get(url)
            if page.is_redirect:
                url = urljoin(url, page.headers["location"])
                if not url.startswith(issuer + "/"):
                    return url  # back to the client
                continue
            assert page.status_code == 200, page.text
            action = urljoin(url, FORM_ACTION.findall(page.text)[-1])
            if 'name="login"' in page.text:
                posted = browser.post(action, data={"prompt": "login", "login": login})
            else:  # consent
                posted = browser.post(action, data={"prompt": "consent"})
            assert posted.is_redirect, posted.text
            url = urljoin(action, posted.headers["location"])
            if not url.startswith(issuer + "/"):
                return url
    raise AssertionError(f"the provider never sent the browser back (last at {url})")


def local_part(url: str) -> str:
    """The path and query of a URL on the dashboard, for the TestClient."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path
