"""The role × route authorisation matrix: every route of the app, as every kind of visitor,
answers as :data:`kpiboard.web.permissions.PERMISSIONS` declares.

Visitors: anonymous (anonymous reading off, and on), and one signed-in account per role. Each
request is real (the reference example, a real application database) and well formed: real
path parameters, the body the route expects, and the session's CSRF token, so that the
permission, not a missing token or a bad body, decides. Allowed: an answer below 400 that is
not a redirect to sign in. Denied: 401 (or, for a page read, a redirect to the sign-in page)
when not signed in, 403 when signed in with too low a role.

Reading routes share one database (with the month's pack published, so that the packs' pages
exist); every state-changing request gets a database of its own, so the answers do not depend
on the order the cases run in.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Mount

from kpiboard.catalogue.schema import Dashboard
from kpiboard.web.db import AppStore, Figures, Role
from kpiboard.web.permissions import PERMISSIONS, PUBLIC_MOUNTS, Access, undeclared
from kpiboard.web.service import ScorecardService
from security.secutil import (
    EXAMPLE,
    MONTH,
    ORG,
    PASSWORD,
    StoreFactory,
    client_for,
    open_store,
    sign_in,
)

PARAMS = {"org": ORG, "month": MONTH, "measure": "robbery", "fmt": "csv"}
# a published pack keeps its PDF (rendered at publication); the scorecard downloads as CSV too
# the reference example's 4b is entered on the dashboard (by role:editor) from Sep-09
ENTERED = {"measure": "networks_disrupted", "month": "2009-09"}
ROUTE_PARAMS = {
    ("GET", "/packs/{org}/{month}/pack.{fmt}"): {"fmt": "pdf"},
    ("GET", "/entries/{org}/{month}/{measure}"): ENTERED,
    ("POST", "/entries/{org}/{month}/{measure}"): ENTERED,
    **{
        (method, f"/api/entries/{{org}}/{{month}}{rest}"): ENTERED
        for method, rest in (
            ("GET", ""),
            ("GET", "/{measure}"),
            ("POST", "/{measure}"),
            ("POST", "/{measure}/submit"),
            ("POST", "/{measure}/approve"),
            ("POST", "/{measure}/return"),
            ("GET", "/template.{fmt}"),
            ("POST", "/upload"),
        )
    },
    ("GET", "/entries/{org}/{month}/upload"): ENTERED,
    ("POST", "/entries/{org}/{month}/upload"): ENTERED,
}
ENTRY_STEP = "/api/entries/{org}/{month}/{measure}"
# a filled template of the month: 4b's figure, a new one
UPLOAD = (
    b"org,measure,month,row,title,unit,kind,numerator,denominator,value,sample_size,provisional,"
    b"note,reason,base\nmetropolitan,networks_disrupted,2009-09,4b,networks,,count,,,31,,no,,,0\n"
)
APPROVE = ("POST", f"{ENTRY_STEP}/approve")
# steps taken by the editor before the request, so that the step asked for follows: a draft
# before submitting, a submitted figure before approving or returning
SEEDED = {("POST", f"{ENTRY_STEP}/submit"): 1, APPROVE: 2, ("POST", f"{ENTRY_STEP}/return"): 2}
# what each state-changing route is sent besides the CSRF token
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/scorecard/{org}/{month}/kpi/{measure}/commentary"): {"data": {"text": "Rising."}},
    ("POST", "/api/commentary/{org}/{month}/{measure}"): {"json": {"text": "Rising."}},
    ("POST", "/scorecard/{org}/{month}/executive-summary"): {"data": {"text": "Steady."}},
    ("POST", "/api/executive-summary/{org}/{month}"): {"json": {"text": "Steady."}},
    ("POST", "/entries/{org}/{month}/{measure}"): {"data": {"step": "save", "value": "31"}},
    ("POST", ENTRY_STEP): {"json": {"value": 31, "base": 0}},
    ("POST", f"{ENTRY_STEP}/submit"): {"json": {"base": 1}},
    APPROVE: {"json": {"base": 2}},
    ("POST", f"{ENTRY_STEP}/return"): {"json": {"base": 2, "reason": "which month?"}},
    ("POST", "/api/entries/{org}/{month}/upload"): {
        "files": {"file": ("sep.csv", UPLOAD, "text/csv")},
        "params": {"preview": "1"},
    },
    ("POST", "/entries/{org}/{month}/upload"): {"files": {"file": ("sep.csv", UPLOAD, "text/csv")}},
    ("POST", "/login"): {"data": {"username": "viewer", "password": PASSWORD, "next": "/"}},
    ("POST", "/api/session"): {"json": {"username": "viewer", "password": PASSWORD}},
    ("POST", "/account"): {"data": {"email": "someone@force.police.uk", "measure": "robbery"}},
    ("PUT", "/api/account"): {"json": {"email": "someone@force.police.uk", "packs": True}},
    # the month's red rows have no commentary: the approver states why they publish anyway
    ("POST", "/packs/{org}/{month}"): {"data": {"reason": "The commentary follows."}},
    ("POST", "/api/packs/{org}/{month}"): {"json": {"reason": "The commentary follows."}},
}


@dataclass(frozen=True)
class Visitor:
    name: str
    role: Role | None
    anonymous_read: bool = False


VISITORS = [
    Visitor("anonymous", None),
    Visitor("anonymous-read-on", None, anonymous_read=True),
    *(Visitor(role.value, role) for role in Role),
]


def app_routes(client: TestClient) -> list[tuple[str, str]]:
    """Every (method, path) the app routes; HEAD goes with GET; mounts must be declared."""
    found: list[tuple[str, str]] = []
    for route in iter_route_contexts(client.app.routes):  # type: ignore[attr-defined]
        if isinstance(route.original_route, Mount):
            assert route.path in PUBLIC_MOUNTS, f"mount {route.path} is not in PUBLIC_MOUNTS"
            continue
        assert route.path and route.methods, f"a route of an unknown kind: {route!r}"
        methods = set(route.methods)
        if "GET" in methods:
            methods.discard("HEAD")
        found += [(method, route.path) for method in sorted(methods)]
    return found


def test_every_route_has_a_permission_decision(client_off: TestClient) -> None:
    routes = app_routes(client_off)
    missing = undeclared(routes)
    assert not missing, (
        f"routes without a permission decision: {missing}; "
        "add each to PERMISSIONS in src/kpiboard/web/permissions.py"
    )
    stale = sorted(set(PERMISSIONS) - set(routes))
    assert not stale, f"PERMISSIONS declares routes the app does not have: {stale}"


@pytest.fixture(scope="module")
def shared_store(
    secure_service: ScorecardService, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AppStore]:
    """The reading routes' database: the accounts, and the month's pack published."""
    store = open_store(tmp_path_factory.mktemp("shared"))
    approver = client_for(secure_service, store)
    token = sign_in(approver, "approver")
    published = approver.post(
        f"/api/packs/{ORG}/{MONTH}",
        headers={"x-csrf-token": token},
        json={"reason": "The board meets today; the commentary follows."},
    )
    assert published.status_code == 201, published.text
    yield store
    store.close()


@pytest.fixture
def client_off(secure_service: ScorecardService, shared_store: AppStore) -> TestClient:
    return client_for(secure_service, shared_store)


def send(client: TestClient, route: tuple[str, str], csrf: str) -> Any:
    method, template = route
    try:
        path = template.format(**(PARAMS | ROUTE_PARAMS.get(route, {})))
    except KeyError as exc:
        raise AssertionError(f"give PARAMS a value for {exc} to test {template}") from None
    body = dict(BODIES.get(route, {}))
    if method == "GET":
        return client.get(path)
    if template == "/login":
        csrf = _login_token(client)
    if template.startswith("/api/"):
        return client.request(method, path, headers={"x-csrf-token": csrf}, **body)
    form = {**body.get("data", {}), "csrf_token": csrf}
    return client.request(method, path, data=form, files=body.get("files"))


def _login_token(client: TestClient) -> str:
    client.get("/login")  # sets the sign-in form's double-submit cookie
    token: str = client.cookies["kpiboard_login_csrf"]
    return token


def _redirects_to_sign_in(got: Any) -> bool:
    return got.status_code == 303 and got.headers["location"].startswith("/login?next=")


# Routes whose answer depends on settings this app does not have: single sign-on is off, so
# its routes are a 404 for everyone (tests/web/test_web_oidc.py runs them against a real
# provider). Anything else must answer below 400 when allowed.
UNCONFIGURED: dict[tuple[str, str], int] = {
    ("GET", "/login/oidc"): 404,
    ("GET", "/login/oidc/callback"): 404,
}


def seed(store: AppStore, steps: int) -> None:
    """The reference example's 4b for Sep-09 taken ``steps`` steps by the editor."""
    editor = store.user("editor")
    assert editor is not None
    key = (ORG, ENTERED["measure"], ENTERED["month"])
    if steps >= 1:
        store.save_entry(*key, Figures(value=31), editor, base=0, enterers=["role:editor"])
    if steps >= 2:
        store.submit_entry(*key, editor, base=1, enterers=["role:editor"])


@pytest.fixture(scope="module")
def approving_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScorecardService]:
    """The reference example in a copy of its own, for the approvals: an approval loads the
    figure into the warehouse, and the other cases read the example as it is."""
    dest = tmp_path_factory.mktemp("approving") / "met"
    shutil.copytree(EXAMPLE, dest, ignore=shutil.ignore_patterns(".kpiboard"))
    svc = ScorecardService.open(dest)
    yield svc
    svc.close()


CASES = [
    pytest.param(route, visitor, id=f"{route[0]} {route[1]} as {visitor.name}")
    for route in sorted(PERMISSIONS)
    for visitor in VISITORS
]


@pytest.mark.parametrize(("route", "visitor"), CASES)
def test_route_answers_as_declared(
    route: tuple[str, str],
    visitor: Visitor,
    secure_service: ScorecardService,
    shared_store: AppStore,
    new_store: StoreFactory,
    approving_service: ScorecardService,
) -> None:
    store = shared_store if route[0] == "GET" else new_store()
    seed(store, SEEDED.get(route, 0))
    service = approving_service if route == APPROVE else secure_service
    client = client_for(service, store, Dashboard(anonymous_read=visitor.anonymous_read))
    csrf = sign_in(client, visitor.role.value) if visitor.role is not None else ""
    got = send(client, route, csrf)
    access = PERMISSIONS[route]
    said = f"{route[0]} {route[1]} as {visitor.name} ({access} needed): {got.status_code}"
    if access.allows(visitor.role, anonymous_read=visitor.anonymous_read):
        if route in UNCONFIGURED:  # allowed to all, and says it is not set up here
            assert got.status_code == UNCONFIGURED[route], f"{said} {got.text}"
            return
        assert got.status_code < 400 and not _redirects_to_sign_in(got), f"{said} {got.text}"
    elif visitor.role is None:
        assert got.status_code == 401 or (route[0] == "GET" and _redirects_to_sign_in(got)), said
    else:
        assert got.status_code == 403, said
        assert (
            got.headers.get("set-cookie") is None
            or "kpiboard_session=" not in (got.headers["set-cookie"])
        ), said


def test_the_matrix_covers_every_kind_of_access() -> None:
    # a new Access value would need visitors that tell it apart
    assert set(PERMISSIONS.values()) == set(Access)
