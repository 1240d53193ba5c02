"""The viewer's CSRF token and name go only where the templates put them: never into text an
editor wrote, however it is spelt (the cached pages are shared by every viewer of a role)."""

from __future__ import annotations

import re
from html import escape

import pytest
from fastapi.testclient import TestClient
from webutil import MONTH, ORG, AppFactory, csrf_of, sign_in

from kpiboard.render.commentary import commentary_html
from kpiboard.web.db import AppStore
from kpiboard.web.templating import CSRF_MARK, NAME_MARK

KPI = f"/scorecard/{ORG}/{MONTH}/kpi/robbery"
SAVE = KPI + "/commentary"
VARIANTS = [
    "`__kpiboard_csrf_placeholder__`",  # a code span: shown literally
    "__kpiboard_csrf_placeholder__",  # bare (Markdown may make it bold)
    "[link](https://example.org/?t=__kpiboard_csrf_placeholder__)",  # inside an attribute
    "`__kpiboard_name_placeholder__`",  # the viewer's name
    "`&#95;_kpiboard_csrf_placeholder__` `__KPIBOARD_CSRF_PLACEHOLDER__`",
]


def _another(client: TestClient) -> TestClient:
    """A second browser on the same app."""
    return TestClient(client.app, base_url="http://127.0.0.1", follow_redirects=False)


@pytest.mark.parametrize("text", VARIANTS)
def test_commentary_naming_a_placeholder_shows_as_written_and_never_a_token(
    make_client: AppFactory, app_store: AppStore, text: str
) -> None:
    editor = make_client()
    csrf = sign_in(editor, "editor")
    written = f"Rising. {text} Done."
    assert editor.post(SAVE, data={"text": written, "csrf_token": csrf}).status_code == 303
    for who in ("approver", "editor", "viewer"):
        reader = _another(editor)  # the same app: its page cache is shared
        token = sign_in(reader, who)
        for path in (KPI, KPI, f"/scorecard/{ORG}/{MONTH}"):  # the second from the cache
            html = reader.get(path).text
            fields = len(re.findall(r'name="csrf_token" value="([^"]*)"', html))
            assert csrf_of(html) == token
            assert html.count(token) == fields, (who, path)  # only in the hidden fields
            assert html.count("Signed in as <strong>") == 1
            assert CSRF_MARK not in html and NAME_MARK not in html  # every mark filled in
        # the commentary, and (for editors) the draft in the form, keep the marks as written
        html = reader.get(KPI).text
        section = html[html.index('id="commentary"') :]
        assert commentary_html(written) in section
        if who != "viewer":
            assert f">{escape(written, quote=False)}</textarea>" in section


def test_anonymous_readers_see_the_placeholder_as_written(
    make_client: AppFactory, app_store: AppStore
) -> None:
    editor = make_client()
    csrf = sign_in(editor, "editor")
    written = "`__kpiboard_csrf_placeholder__`"
    assert editor.post(SAVE, data={"text": written, "csrf_token": csrf}).status_code == 303
    anonymous = make_client(anonymous_read=True)
    html = anonymous.get(KPI).text
    assert "<code>__kpiboard_csrf_placeholder__</code>" in html
    assert 'name="csrf_token"' not in html


def test_a_page_cached_for_one_editor_shows_the_next_their_own_token(
    make_client: AppFactory, app_store: AppStore
) -> None:
    first = make_client()
    second = _another(first)
    one, two = sign_in(first, "editor"), sign_in(second, "editor")
    assert one != two
    assert csrf_of(first.get(KPI).text) == one
    html = second.get(KPI).text
    assert csrf_of(html) == two and one not in html
