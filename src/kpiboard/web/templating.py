"""Pages rendered from the Jinja templates, once per role and state where they can be.

A cacheable page (one whose ``cache_key`` names everything it shows besides who is looking) is
rendered with marks where the viewer's name and CSRF token go, and those are filled in per
request; the snapshot (vintage and data version) is part of every key, so a page of an old
vintage is never served as the new one's. The marks are drawn at
random when the process starts and never reach a browser (every one is filled in before a page
leaves), so no text a user writes can contain one: commentary that spells out a mark of its own
shows as written, never as the reader's token or name.
"""

from __future__ import annotations

import dataclasses
import secrets
from html import escape
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from kpiboard import __version__
from kpiboard.periods import parse_month, short_month
from kpiboard.render.icons import assurance_icon, variation_icon
from kpiboard.render.viewmodel import assurance_words, status_label, variation_words
from kpiboard.web.context import Context, viewer_of
from kpiboard.web.db import Role
from kpiboard.web.entry_nav import shows_entries
from kpiboard.web.security import Viewer
from kpiboard.web.snapshot import Snapshot
from kpiboard.web.urls import download_formats
from kpiboard.workdays import due_in_words

_UNGUESSABLE = secrets.token_hex(16)
CSRF_MARK = f"kpiboard-csrf-{_UNGUESSABLE}"
NAME_MARK = f"kpiboard-name-{_UNGUESSABLE}"


def data_from(snapshot: Snapshot) -> str:
    """What a page was built from, for its footer: "data: vintage 3, loaded 6 Dec 2026 05:40"."""
    if snapshot.vintage is None:
        return "data: nothing ingested yet"
    loaded = f", loaded {snapshot.loaded:%-d %b %Y %H:%M} UTC" if snapshot.loaded else ""
    return f"data: vintage {snapshot.vintage}{loaded}"


def environment() -> Environment:
    """The templates (kpiboard/web/templates), autoescaped, with the helpers they call."""
    env = Environment(
        loader=PackageLoader("kpiboard.web", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        variation_icon=lambda key, label=None: Markup(variation_icon(key, label)),
        assurance_icon=lambda key, label=None: Markup(assurance_icon(key, label)),
        variation_words=variation_words,
        assurance_words=assurance_words,
        status_label=status_label,
        short_month=lambda m: short_month(parse_month(m)),
        due_words=due_in_words,
        quote=lambda s: quote(str(s), safe=""),
        version=__version__,
        Role=Role,
        download_formats=download_formats,
    )
    return env


def render_page(
    ctx: Context,
    request: Request,
    template: str,
    *,
    status: int = 200,
    viewer: Viewer | None = None,
    cache_key: tuple[object, ...] | None = None,
    **values: Any,
) -> HTMLResponse:
    """Render a page. With ``cache_key`` (everything the page shows besides who is looking:
    the data version is implied, commentary and publication state must be in the key), the
    page is rendered once per role with placeholders for the viewer's name and CSRF token,
    which are filled in per request."""
    viewer = viewer if viewer is not None else viewer_of(ctx, request)
    if cache_key is None:
        return HTMLResponse(
            _render(ctx, request.url.path, template, viewer, values), status_code=status
        )
    role = viewer.user.role.value if viewer.user is not None else None
    stand_in = _stand_in(viewer)
    body = ctx.pages.get(
        (template, request.url.path, role, *ctx.service.snapshot.key, *cache_key),
        lambda: _render(ctx, request.url.path, template, stand_in, values),
    )
    if viewer.user is not None and viewer.session is not None:
        body = body.replace(CSRF_MARK, escape(viewer.session.csrf_token)).replace(
            NAME_MARK, escape(viewer.user.display_name)
        )
    return HTMLResponse(body, status_code=status)


def _stand_in(viewer: Viewer) -> Viewer:
    """The viewer with placeholders where the page would show their name and CSRF token."""
    if viewer.user is None or viewer.session is None:
        return viewer
    user = dataclasses.replace(viewer.user, display_name=NAME_MARK)
    return Viewer(user, dataclasses.replace(viewer.session, user=user, csrf_token=CSRF_MARK))


def _render(ctx: Context, path: str, template: str, viewer: Viewer, values: dict[str, Any]) -> str:
    return ctx.env.get_template(template).render(
        request_path=path,
        viewer=viewer,
        title=ctx.service.title,
        orgs=ctx.service.organisations(),
        months=ctx.service.months(),
        data_from=data_from(ctx.service.snapshot),
        shows_entries=shows_entries(
            ctx.service.catalogue, viewer.user.role if viewer.user is not None else None
        ),
        **values,
    )
