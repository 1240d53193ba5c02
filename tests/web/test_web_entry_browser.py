"""The owners' and approvers' whole path in a real browser (Debian's Chromium through
Playwright) against `kpiboard serve` of a copy of the demo project, whose 4b (networks
disrupted) is entered on the dashboard from Sep-09: the editor enters a figure outside the
process limits, is asked for a note, saves and submits; the approver sees it waiting and
approves it, and the scorecard for Sep-09 shows it; a figure returned with a reason shows the
reason to the editor. Screenshots go to test-artifacts/entry/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from appdb_helpers import PASSWORD
from browserutil import CHROMIUM, CHROMIUM_ARGS
from live import project_copy, serving
from webutil import ORG, ROOT

from kpiboard.web.db import AppStore, Role

ARTIFACTS = ROOT / "test-artifacts" / "entry"
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"{CHROMIUM} is missing: `make test` installs Debian's chromium (apt-get install chromium)",
)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    """The served demo project (with an editor and an approver) and one Chromium."""
    from playwright.sync_api import sync_playwright

    project: Path = project_copy(tmp_path_factory.mktemp("entry"))
    store = AppStore.open(AppStore.default_url(project, None))
    try:
        store.add_user("editor", PASSWORD, Role.EDITOR, "Edith Editor")
        store.add_user("approver", PASSWORD, Role.APPROVER, "Abe Approver")
    finally:
        store.close()
    with serving(project) as url, sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield url, chromium
        finally:
            chromium.close()


def signed_in(browser: tuple[str, Any], username: str) -> Any:
    """A page of a fresh browser context, signed in as ``username``."""
    from playwright.sync_api import expect

    url, chromium = browser
    page = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(url + "/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Signed in as")).to_be_visible()
    return page


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def focused_id(page: Any) -> str:
    return str(page.evaluate("document.activeElement ? document.activeElement.id : ''"))


def enter_and_submit(page: Any, month_label: str, value: str, note: str = "") -> None:
    """From "Your figures": open 4b for the month, save ``value`` (with ``note``), submit."""
    from playwright.sync_api import expect

    page.get_by_role("link", name="Your figures", exact=True).click()
    page.get_by_role(
        "link", name=f"4b The number of criminal networks disrupted, {month_label}"
    ).click()
    page.get_by_label("Value").fill(value)
    if note:
        page.get_by_label("Note").fill(note)
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("status")).to_contain_text("Saved as a draft")
    page.get_by_role("button", name="Submit for approval").click()
    expect(page.get_by_role("status")).to_contain_text("Submitted for approval")


def test_the_owner_enters_and_submits_and_the_approver_approves(
    browser: tuple[str, Any],
) -> None:
    from playwright.sync_api import expect

    url = browser[0]
    editor = signed_in(browser, "editor")
    editor.get_by_role("link", name="Your figures", exact=True).click()
    expect(editor.get_by_role("heading", level=1)).to_have_text("Your figures")
    shot(editor, "your-figures-editor")
    editor.get_by_role("link", name="4b The number of criminal networks disrupted, Sep-09").click()
    expect(editor.get_by_text("18.7 to 43.1 (mean 30.9)")).to_be_visible()  # the process limits
    editor.get_by_label("Value").fill("60")
    editor.get_by_role("button", name="Save draft").click()
    # outside the limits: refused, the problem beside the field, a note asked for
    problems = editor.get_by_role("alert")
    expect(problems).to_contain_text("is outside the process limits")
    expect(editor.get_by_label("Value")).to_have_attribute("aria-invalid", "true")
    expect(editor.get_by_label("Value")).to_have_value("60")
    shot(editor, "entry-surprise")
    editor.get_by_label("Note (say why: it confirms the surprising figure)").fill(
        "Two operations closed in September"
    )
    editor.get_by_role("button", name="Save draft").focus()  # saved by keyboard
    editor.keyboard.press("Enter")
    expect(editor.get_by_role("status")).to_contain_text("Saved as a draft")
    # keyboard focus lands on the status message, as after saving commentary
    editor.wait_for_function("document.activeElement && document.activeElement.id === 'entry-done'")
    shot(editor, "entry-saved")
    editor.get_by_role("button", name="Submit for approval").click()
    expect(editor.get_by_role("status")).to_contain_text("Submitted for approval")
    assert focused_id(editor) == "entry-done"
    expect(editor.get_by_role("button", name="Approve")).to_have_count(0)  # never their own

    approver = signed_in(browser, "approver")
    approver.get_by_role("link", name="Your figures", exact=True).click()
    waiting = approver.get_by_role("table", name="Waiting for your approval: 1 figure")
    expect(waiting).to_contain_text("editor")
    waiting.get_by_role("link", name="4b The number of criminal networks disrupted, Sep-09").click()
    history = approver.get_by_role("table", name="Every step, newest first")
    expect(history).to_contain_text("Two operations closed in September")
    shot(approver, "entry-approver")
    approver.get_by_role("button", name="Approve").click()
    expect(approver.get_by_role("status")).to_contain_text("Approved: the scorecard shows it")
    # the scorecard for Sep-09 now exists and its 4b has the figure for the month
    approver.goto(f"{url}/scorecard/{ORG}/2009-09/kpi/networks_disrupted")
    expect(approver.get_by_role("heading", level=1)).to_contain_text("networks disrupted")
    approver.locator("summary", has_text="monthly values").click()
    sep = approver.get_by_role("row", name="Sep-09")
    expect(sep.get_by_role("cell").first).to_have_text("60")
    editor.context.close()
    approver.context.close()


def test_a_figure_returned_with_a_reason_shows_the_reason_to_its_owner(
    browser: tuple[str, Any],
) -> None:
    from playwright.sync_api import expect

    editor = signed_in(browser, "editor")
    enter_and_submit(editor, "Oct-09", "30")
    approver = signed_in(browser, "approver")
    approver.get_by_role("link", name="Your figures", exact=True).click()
    approver.get_by_role(
        "link", name="4b The number of criminal networks disrupted, Oct-09"
    ).click()
    approver.get_by_label("Reason for returning it").fill("Please recount <b>with</b> the ops log")
    approver.get_by_role("button", name="Return with reason").click()
    expect(approver.get_by_role("status")).to_contain_text("Returned to its owner")

    editor.get_by_role("link", name="Your figures", exact=True).click()
    row = editor.get_by_role("row", name="Oct-09")
    expect(row).to_contain_text("Returned by approver: Please recount <b>with</b> the ops log")
    row.get_by_role("link").click()
    expect(editor.locator("#returned-reason")).to_have_text(
        "Returned by approver: Please recount <b>with</b> the ops log"
    )
    expect(editor.get_by_role("button", name="Save draft")).to_be_visible()  # editable again
    shot(editor, "entry-returned")
    editor.context.close()
    approver.context.close()
