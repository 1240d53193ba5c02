"""Signing in through the organisation's identity provider (OpenID Connect, kpiboard.web.oidc):
``/login/oidc`` sends the browser to the provider, ``/login/oidc/callback`` takes it back and
opens a kpiboard session exactly as the password form does (same cookie, own CSRF token)."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from kpiboard.errors import KpiboardError
from kpiboard.web.actions import set_session_cookie, start_session
from kpiboard.web.context import Context, Ctx, client_ip
from kpiboard.web.db.external import ExternalSignInRefused
from kpiboard.web.errors import error_page
from kpiboard.web.oidc import (
    PENDING_SECONDS,
    VIA,
    IdTokenInvalid,
    NotAllowed,
    Oidc,
    OidcClient,
    Pending,
    ProviderUnavailable,
    SignInExpired,
    client_secret,
    role_for,
)
from kpiboard.web.security import LOGIN_CSRF_COOKIE, safe_next

router = APIRouter(include_in_schema=False)

PENDING_COOKIE = "kpiboard_oidc"
PENDING_PATH = "/login/oidc"
CALLBACK = "/login/oidc/callback"
STATUS: list[tuple[type[KpiboardError], int]] = [
    (ProviderUnavailable, 503),
    (SignInExpired, 400),
    (IdTokenInvalid, 401),
    (NotAllowed, 403),
    (ExternalSignInRefused, 403),
]


def _settings(ctx: Context) -> Oidc:
    if ctx.settings.oidc is None:
        raise HTTPException(404)
    return ctx.settings.oidc


def _client(request: Request, settings: Oidc) -> OidcClient:
    """The app's client of the provider (made at first use, so that the dashboard starts
    while the provider is down, and a missing secret is reported on the sign-in page)."""
    client: OidcClient | None = getattr(request.app.state, "oidc_client", None)
    if client is None or client.settings is not settings:
        client = OidcClient(settings, client_secret(settings))
        request.app.state.oidc_client = client
    return client


def _redirect_uri(request: Request) -> str:
    return str(request.base_url.replace(query=None, fragment=None)).rstrip("/") + CALLBACK


def _failed(request: Request, exc: KpiboardError) -> Response:
    status = next((code for cls, code in STATUS if isinstance(exc, cls)), 400)
    response = error_page(request, status, exc.message, exc.hint)
    response.delete_cookie(PENDING_COOKIE, path=PENDING_PATH)
    return response


@router.get("/login/oidc")
async def oidc_start(request: Request, ctx: Ctx, next: str = "/") -> Response:
    settings = _settings(ctx)
    try:
        client = _client(request, settings)
        url, pending = await run_in_threadpool(
            client.begin, _redirect_uri(request), safe_next(next)
        )
    except KpiboardError as exc:
        return _failed(request, exc)
    response = RedirectResponse(url, status_code=303)
    # HttpOnly and SameSite=Lax as the session cookie (Lax: the provider's redirect back is a
    # top-level GET, so it comes back), and only sent to the callback
    response.set_cookie(
        PENDING_COOKIE,
        pending.cookie(),
        max_age=PENDING_SECONDS,
        path=PENDING_PATH,
        httponly=True,
        samesite="lax",
        secure=ctx.settings.https or request.url.scheme == "https",
    )
    return response


@router.get(CALLBACK)
async def oidc_callback(
    request: Request,
    ctx: Ctx,
    state: str = "",
    code: str = "",
    error: str = "",
    error_description: str = "",
) -> Response:
    settings = _settings(ctx)
    pending = Pending.from_cookie(request.cookies.get(PENDING_COOKIE))
    try:
        if error and pending is not None and hmac.compare_digest(state, pending.state):
            # shown only in answer to this browser's own request: a crafted link cannot put
            # its words on the dashboard's page
            raise NotAllowed(
                f"the identity provider did not sign you in ({error[:100]}"
                f"{': ' + error_description[:300] if error_description else ''})",
                hint="go back to the sign-in page and try again",
            )
        client = _client(request, settings)
        who = await run_in_threadpool(client.finish, _redirect_uri(request), pending, state, code)
        role = role_for(who.groups, settings.roles)
        if role is None:  # refused, and no account is made
            await run_in_threadpool(
                ctx.store.audit,
                "sign_in_failed",
                who.username,
                {"reason": "no_mapped_group", "via": VIA, "groups": list(who.groups)},
                client_ip(request),
            )
            raise NotAllowed(
                f"you signed in at the identity provider as {who.username}, but none of your "
                "groups gives access to this dashboard",
                hint="ask the dashboard's administrator to add you to one of the groups "
                "that can read it",
            )
        user = await run_in_threadpool(
            ctx.store.sign_in_external, who.username, who.name, role, client_ip(request), via=VIA
        )
        token, _session = await run_in_threadpool(start_session, ctx, request, user)
    except KpiboardError as exc:
        return _failed(request, exc)
    assert pending is not None  # finish() refused the sign-in otherwise
    done = RedirectResponse(safe_next(pending.next), status_code=303)
    set_session_cookie(ctx, request, done, token)
    done.delete_cookie(PENDING_COOKIE, path=PENDING_PATH)
    done.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return done
