"""Who may use each route: the dashboard's permission decisions, declared in one place.

Every route of the app (pages, the JSON API, the OpenAPI documents) has an entry in
:data:`PERMISSIONS`, keyed by method and path template, naming the least access it needs. The
handlers enforce it (``Reader``, ``FormWriter`` + ``Viewer.require``, the actions); this table
is what they are checked against: ``tests/security/`` sends every route a request as every
kind of visitor and compares the answer with the table, and fails naming any route the table
does not decide, so a new route cannot ship without a decision.

>>> PERMISSIONS[("POST", "/api/packs/{org}/{month}")]
<Access.APPROVER: 'approver'>
>>> Access.READER.allows(None, anonymous_read=True), Access.EDITOR.allows(Role.VIEWER)
(True, False)
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from kpiboard.web.db import Role


class Access(StrEnum):
    """The least access a route needs."""

    PUBLIC = "public"  # anyone: signing in, the API's documentation
    READER = "reader"  # signed in, or anyone when `dashboard: anonymous_read` is on
    VIEWER = "viewer"  # signed in (any role): signing out
    EDITOR = "editor"
    APPROVER = "approver"
    ADMIN = "admin"

    @property
    def role(self) -> Role | None:
        """The least role, for the accesses that need one."""
        if self in (Access.PUBLIC, Access.READER):
            return None
        return Role(self.value)

    def allows(self, role: Role | None, *, anonymous_read: bool = False) -> bool:
        """Whether a visitor with ``role`` (None: not signed in) may use the route."""
        if self is Access.PUBLIC:
            return True
        if self is Access.READER:
            return role is not None or anonymous_read
        need = self.role
        return role is not None and need is not None and role.at_least(need)


Route = tuple[str, str]  # (method, path template as the router declares it)

PERMISSIONS: dict[Route, Access] = {
    # the pages
    ("GET", "/"): Access.READER,
    ("GET", "/favicon.ico"): Access.PUBLIC,
    ("GET", "/scorecard"): Access.READER,
    ("GET", "/scorecard/{org}/{month}"): Access.READER,
    ("GET", "/summary/{org}/{month}"): Access.READER,
    ("GET", "/scorecard/{org}/{month}/kpi/{measure}"): Access.READER,
    ("POST", "/scorecard/{org}/{month}/kpi/{measure}/commentary"): Access.EDITOR,
    ("GET", "/scorecard/{org}/{month}/executive-summary"): Access.READER,
    ("POST", "/scorecard/{org}/{month}/executive-summary"): Access.EDITOR,
    ("GET", "/scorecard/{org}/{month}/scorecard.{fmt}"): Access.READER,  # downloads
    ("GET", "/announcements"): Access.READER,
    ("GET", "/packs"): Access.READER,
    ("GET", "/packs/{org}/{month}"): Access.READER,
    ("GET", "/packs/{org}/{month}/pack.html"): Access.READER,
    ("GET", "/packs/{org}/{month}/pack.{fmt}"): Access.READER,  # its files kept at publication
    ("GET", "/packs/{org}/{month}/publish"): Access.APPROVER,  # what it will hold; confirm
    ("POST", "/packs/{org}/{month}"): Access.APPROVER,
    ("GET", "/login"): Access.PUBLIC,
    ("POST", "/login"): Access.PUBLIC,
    ("GET", "/login/oidc"): Access.PUBLIC,  # single sign-on: off (404) unless configured
    ("GET", "/login/oidc/callback"): Access.PUBLIC,
    ("POST", "/logout"): Access.VIEWER,
    ("GET", "/audit"): Access.ADMIN,
    ("POST", "/admin/reload"): Access.ADMIN,
    # figures entered by their owners: the measure's entry: names who (role:editor in the
    # reference example); Your figures lists, for anyone signed in, what is theirs
    ("GET", "/entries"): Access.VIEWER,
    ("GET", "/entries/{org}/{month}/{measure}"): Access.EDITOR,
    ("POST", "/entries/{org}/{month}/{measure}"): Access.EDITOR,
    ("GET", "/entries/{org}/{month}/upload"): Access.EDITOR,
    ("POST", "/entries/{org}/{month}/upload"): Access.EDITOR,
    ("GET", "/account"): Access.VIEWER,  # one's own e-mail address and subscriptions
    ("POST", "/account"): Access.VIEWER,
    # the JSON API
    ("GET", "/api/organisations"): Access.READER,
    ("GET", "/api/months"): Access.READER,
    ("GET", "/api/announcements"): Access.READER,
    ("GET", "/api/scorecards/{org}/{month}"): Access.READER,
    ("GET", "/api/scorecards/{org}/{month}/summary"): Access.READER,
    ("GET", "/api/scorecards/{org}/{month}/kpis/{measure}"): Access.READER,
    ("GET", "/api/commentary/{org}/{month}/{measure}"): Access.READER,
    ("POST", "/api/commentary/{org}/{month}/{measure}"): Access.EDITOR,
    ("GET", "/api/executive-summary/{org}/{month}"): Access.READER,
    ("POST", "/api/executive-summary/{org}/{month}"): Access.EDITOR,
    ("GET", "/api/packs"): Access.READER,
    ("GET", "/api/packs/{org}/{month}"): Access.READER,
    ("POST", "/api/packs/{org}/{month}"): Access.APPROVER,
    ("POST", "/api/session"): Access.PUBLIC,
    ("DELETE", "/api/session"): Access.VIEWER,
    ("POST", "/api/admin/reload"): Access.ADMIN,
    ("GET", "/api/audit"): Access.ADMIN,
    ("GET", "/api/account"): Access.VIEWER,
    ("PUT", "/api/account"): Access.VIEWER,
    # entered figures: readers see states (drafts only those the measure names); the steps
    # are taken by whom the measure's entry: names (role:editor enters and role:approver
    # approves the reference example's 4b)
    ("GET", "/api/entries/{org}/{month}"): Access.READER,
    ("GET", "/api/entries/{org}/{month}/{measure}"): Access.READER,
    ("POST", "/api/entries/{org}/{month}/{measure}"): Access.EDITOR,
    ("POST", "/api/entries/{org}/{month}/{measure}/submit"): Access.EDITOR,
    ("POST", "/api/entries/{org}/{month}/{measure}/approve"): Access.APPROVER,
    ("POST", "/api/entries/{org}/{month}/{measure}/return"): Access.APPROVER,
    # a month's template and its upload: for those who may enter something that month
    ("GET", "/api/entries/{org}/{month}/template.{fmt}"): Access.EDITOR,
    ("POST", "/api/entries/{org}/{month}/upload"): Access.EDITOR,
    # the API's documentation: it describes the calls, and holds no data
    ("GET", "/openapi.json"): Access.PUBLIC,
    ("GET", "/docs"): Access.PUBLIC,
}

# Mounted applications, which are not routes: the stylesheet and the vendored htmx.
PUBLIC_MOUNTS = frozenset({"/static"})


def undeclared(routes: Iterable[Route]) -> list[Route]:
    """The routes :data:`PERMISSIONS` does not decide, in the order given."""
    return [route for route in routes if route not in PERMISSIONS]
