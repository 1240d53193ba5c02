"""Signing in (a double-submit CSRF token guards the form before any session exists) and out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kpiboard.web.actions import end_session, set_session_cookie, start_session
from kpiboard.web.context import Context, Ctx, FormWriter, client_ip
from kpiboard.web.db import LoginFailed, LoginThrottled
from kpiboard.web.errors import error_status
from kpiboard.web.security import (
    CSRF_FIELD,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    UnusableText,
    Viewer,
    check_login_csrf,
    check_text,
    login_csrf,
    safe_next,
    set_cookie,
)
from kpiboard.web.templating import render_page

router = APIRouter(include_in_schema=False)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, ctx: Ctx, next: str = "/") -> Response:
    token = login_csrf(request)
    response = render_page(
        ctx,
        request,
        "login.html",
        login_token=token,
        next=safe_next(next),
        problem=None,
        username="",
        oidc=ctx.settings.oidc,
        org=None,
        month=None,
    )
    set_cookie(response, request, LOGIN_CSRF_COOKIE, token, max_age=3600, https=ctx.settings.https)
    return response


@router.post("/login")
def login(
    request: Request,
    ctx: Ctx,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    # checked here, not as a dependency: an over-long field is a 400 before the token is read
    check_login_csrf(request, csrf_token)
    token = login_csrf(request)
    try:
        check_text("username", username)
        check_text("password", password)
        user = ctx.store.authenticate(username, password, client_ip(request))
    except (LoginFailed, LoginThrottled, UnusableText) as exc:
        return _refused(ctx, request, exc, token, username.replace("\x00", "\ufffd"), next)
    session_token, _session = start_session(ctx, request, user)
    done = RedirectResponse(safe_next(next), status_code=303)
    set_session_cookie(ctx, request, done, session_token)
    done.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return done


def _refused(
    ctx: Context,
    request: Request,
    exc: LoginFailed | LoginThrottled | UnusableText,
    token: str,
    username: str,
    next: str,
) -> Response:
    """The sign-in form again, saying why (and when to try again, once throttled)."""
    status, _ = error_status(exc)
    response = render_page(
        ctx,
        request,
        "login.html",
        status=status,
        viewer=Viewer(None, None),
        login_token=token,
        next=safe_next(next),
        problem=exc.message,
        hint=exc.hint,
        username=username,
        oidc=ctx.settings.oidc,
        org=None,
        month=None,
    )
    if isinstance(exc, LoginThrottled):
        response.headers["Retry-After"] = str(exc.retry_after_seconds)
    return response


@router.post("/logout")
def logout(request: Request, ctx: Ctx, viewer: FormWriter) -> Response:
    end_session(ctx, request)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
