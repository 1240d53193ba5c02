"""The whole flow in a real browser: Playwright drives Debian's Chromium (/usr/bin/chromium,
installed by `make test`; never a downloaded browser) against `kpiboard serve` started on
127.0.0.1. Screenshots are saved in test-artifacts/browser/ for people to look at."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from browserutil import CHROMIUM, CHROMIUM_ARGS
from webutil import EXAMPLE, ROOT

from kpiboard.web.db import AppStore, Role

ARTIFACTS = ROOT / "test-artifacts" / "browser"
ACCOUNTS = {
    "analyst": ("analyst password 1", Role.EDITOR),
    "approver": ("approver password 1", Role.APPROVER),
}
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"{CHROMIUM} is missing: `make test` installs Debian's chromium (apt-get install chromium)",
)


# Every visible form control has a label, every image (SVG or <img>) a text alternative, and the
# page says its language: what a screen reader needs before anything else.
UNLABELLED = """() => {
  const bad = [];
  if (!document.documentElement.lang) bad.push('html without lang');
  for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
    const labelled = (el.labels && el.labels.length) || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
    if (!labelled) bad.push(el.outerHTML.slice(0, 80));
  }
  for (const el of document.querySelectorAll('svg[role=img], img')) {
    if (!(el.getAttribute('aria-label') || el.getAttribute('alt') || el.querySelector('title'))) bad.push(el.outerHTML.slice(0, 80));
  }
  return bad;
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    project = tmp_path_factory.mktemp("browser") / "met"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(".kpiboard"))
    store = AppStore.open(AppStore.default_url(project, None))
    for name, (password, role) in ACCOUNTS.items():
        store.add_user(name, password, role)
    store.close()
    port = _free_port()
    log = (tmp_path_factory.getbasetemp() / "serve.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "kpiboard", "serve", str(project), "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(url + "/login", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("kpiboard serve did not start: " + Path(log.name).read_text())
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def test_the_whole_flow(server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))

        def shot(name: str) -> None:
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
            unlabelled = page.evaluate(UNLABELLED)
            assert unlabelled == [], (
                f"{name}: controls or images without a text alternative: {unlabelled}"
            )

        def sign_in(name: str) -> None:
            page.goto(server + "/")
            expect(page).to_have_url(f"{server}/login?next=/")
            page.get_by_label("Username").fill(name)
            page.get_by_label("Password").fill(ACCOUNTS[name][0])
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_text("Signed in as")).to_be_visible()

        # 1. sign in as the analyst and open the scorecard
        page.goto(server + "/")
        shot("01-sign-in")
        sign_in("analyst")
        expect(page).to_have_url(f"{server}/scorecard/metropolitan/2009-08")  # the latest month
        page.get_by_label("Month", exact=True).select_option("2009-07")
        page.get_by_role("button", name="Show").click()
        expect(page).to_have_url(f"{server}/scorecard/metropolitan/2009-07")
        page.get_by_label("Month", exact=True).select_option("2009-08")
        page.get_by_role("button", name="Show").click()
        expect(page).to_have_url(f"{server}/scorecard/metropolitan/2009-08")
        expect(page.locator("caption").first).to_be_visible()
        shot("02-scorecard")

        # keyboard: the first Tab reaches the skip link, which moves focus to the content
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Skip to content"
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main"

        # 2. drill into a KPI and write commentary (htmx swaps the section in place)
        page.get_by_role("link", name="Robbery", exact=True).first.click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Robbery")
        shot("03-kpi")
        page.get_by_label("Write a new revision").fill(
            "Robbery is **down** on last year.\n\n<script>alert(1)</script>"
        )
        page.get_by_role("button", name="Save revision").click()
        expect(page.locator("#commentary .revision.current")).to_contain_text(
            "Revision 1 by analyst"
        )
        expect(page.locator("#commentary strong")).to_have_text("down")
        shot("04-commentary")
        page.get_by_role("button", name="Sign out").click()

        # 3. the approver publishes the month's pack from the summary page
        sign_in("approver")
        page.goto(server + "/summary/metropolitan/2009-08")
        shot("05-summary")
        page.get_by_role("link", name="Review and publish the pack for Aug-09").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Publish the pack")
        # the red rows' commentary is not written: one click no longer publishes
        expect(page.get_by_role("heading", name="Required commentary not written")).to_be_visible()
        page.get_by_role("button", name="Publish the pack for Aug-09").click()
        expect(page).to_have_url(f"{server}/packs/metropolitan/2009-08/publish")
        page.get_by_label("Reason for publishing without them").fill(
            "The board meets today; 2b and 6b follow."
        )
        shot("05b-publish")
        page.get_by_role("button", name="Publish the pack for Aug-09").click()
        expect(page).to_have_url(f"{server}/packs/metropolitan/2009-08")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Published pack")
        shot("06-pack")

        # 4. open the frozen pack
        page.get_by_role("link", name="Open the frozen pack").click()
        expect(page.get_by_text("Robbery is down on last year.")).to_be_visible()
        expect(page.get_by_text("Published pack for Aug-09")).to_be_visible()
        shot("07-frozen-pack")
        browser.close()
    assert problems == []
