"""The owners' flow over the JSON API (docs/WEB.md, "Entered figures"): a month's entered
measures, one figure's steps, and the steps themselves — save a draft, submit, approve, return
— with the same rules and roles as the dashboard. Writes need the session's CSRF token in the
``X-CSRF-Token`` header, like every write under /api; each step names the step it follows
(``base``: 0 for a new figure), so two people editing one figure never overwrite each other
(409 with the current step)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from kpiboard.errors import KpiboardError
from kpiboard.web.api import ERROR_SHAPE, RESPONSES
from kpiboard.web.context import ApiWriter, Ctx, Reader, client_ip
from kpiboard.web.db import EntryConflict, EntryRevision, Figures
from kpiboard.web.entering import (
    EntryProblems,
    EntryView,
    approve_entry,
    entered_measure,
    entry_month,
    month_entries,
    return_entry,
    save_entry,
    submit_entry,
    view,
)

STEP: dict[int | str, dict[str, Any]] = {
    409: {"description": "the figure moved on since `base`, or the step does not follow"}
}
# every call may answer 400 (a month not to be entered), 401, 403 and 404, in the one error shape
ANSWERS: dict[int | str, dict[str, Any]] = {**RESPONSES, 400: ERROR_SHAPE}
router = APIRouter(prefix="/api/entries", tags=["entered figures"], responses=ANSWERS)


class FiguresIn(BaseModel):
    """A figure as its measure's kind needs it (docs/ENTRY.md)."""

    numerator: float | None = None
    denominator: float | None = None
    value: float | None = None
    sample_size: float | None = None
    provisional: bool = False
    note: str | None = Field(None, max_length=2000, description="why, for a surprising figure")
    base: int = Field(ge=0, description="the step this one follows: 0 for a new figure")
    reason: str | None = Field(None, max_length=2000, description="why a published month changes")


class StepIn(BaseModel):
    base: int = Field(ge=0, description="the step this one follows")


class ReturnIn(StepIn):
    reason: str = Field(min_length=1, max_length=2000)


def step_json(s: EntryRevision) -> dict[str, Any]:
    f = s.figures
    return {
        "id": s.id,
        "org": s.org,
        "measure": s.measure,
        "month": s.month,
        "step": s.number,
        "state": s.state.value,
        "figures": {
            "numerator": f.numerator,
            "denominator": f.denominator,
            "value": f.value,
            "sample_size": f.sample_size,
            "provisional": f.provisional,
            "note": f.note,
        },
        "author": s.author,
        "at": s.created_at.isoformat(),
        "reason": s.reason,
    }


def view_json(v: EntryView, today: dt.date) -> dict[str, Any]:
    m = v.measure
    return {
        "measure": m.id,
        "row": m.row,
        "title": m.title,
        "kind": m.kind.value,
        "unit": m.unit,
        "month": v.month,
        "due": v.due.isoformat(),
        "overdue": v.overdue(today),
        "state": v.state,
        "current": None if v.current is None else step_json(v.current),
        "approved": None if v.approved is None else step_json(v.approved),
        "may_enter": v.may_enter,
        "may_approve": v.may_approve,
    }


@router.get("/{org}/{month}", summary="A month's entered figures, as you may see them")
def month_json(org: str, month: str, ctx: Ctx, viewer: Reader) -> dict[str, Any]:
    """Each entered measure: its due date, state and figures (a draft, submitted or returned
    figure only for those who may enter or approve it; the approved one for every reader)."""
    o = ctx.service.org(org).id
    today = dt.datetime.now(dt.UTC).date()
    views = month_entries(ctx, viewer, o, month)
    return {"org": o, "month": month, "entries": [view_json(v, today) for v in views]}


@router.get("/{org}/{month}/{measure}", summary="One figure: where it is, and every step")
def figure_json(org: str, month: str, measure: str, ctx: Ctx, viewer: Reader) -> dict[str, Any]:
    m, entry = entered_measure(ctx, measure)
    o, month = ctx.service.org(org).id, entry_month(entry, month)
    v = view(ctx, viewer, o, month, m)
    steps = ctx.store.entry_history(o, m.id, month) if v.may_enter or v.may_approve else []
    today = dt.datetime.now(dt.UTC).date()
    return {**view_json(v, today), "steps": [step_json(s) for s in steps]}


def _refused(status: int, code: str, exc: KpiboardError, **more: Any) -> JSONResponse:
    error = {"status": status, "code": code, "message": exc.message, "hint": exc.hint, **more}
    return JSONResponse({"error": error}, status_code=status)


def _step(take: Callable[[], EntryRevision]) -> dict[str, Any] | JSONResponse:
    """A step's answer: the step, or the refusal with what the person needs to act on it (the
    problems by field; the figure as it is now)."""
    try:
        return step_json(take())
    except EntryProblems as exc:
        problems = [
            {"field": p.field, "message": p.message, "confirm": p.confirm} for p in exc.problems
        ]
        return _refused(422, "invalid_figures", exc, problems=problems)
    except EntryConflict as exc:
        current = exc.current
        shown = step_json(current) if isinstance(current, EntryRevision) else None
        return _refused(409, "entry_conflict", exc, current=shown)


@router.post(
    "/{org}/{month}/{measure}",
    status_code=201,
    summary="Save a draft (those the measure's entry: names; X-CSRF-Token header)",
    responses={**STEP, 422: {"description": "the figures' problems, by field"}},
    response_model=None,
)
def save(
    request: Request,
    org: str,
    month: str,
    measure: str,
    body: FiguresIn,
    ctx: Ctx,
    viewer: ApiWriter,
) -> dict[str, Any] | JSONResponse:
    figures = Figures(
        body.numerator, body.denominator, body.value, body.sample_size, body.provisional, body.note
    )
    return _step(
        lambda: save_entry(
            ctx,
            viewer,
            org,
            month,
            measure,
            figures,
            base=body.base,
            reason=body.reason,
            ip=client_ip(request),
        )
    )


@router.post(
    "/{org}/{month}/{measure}/submit",
    status_code=201,
    summary="Submit the draft for approval",
    responses=STEP,
    response_model=None,
)
def submit(
    request: Request, org: str, month: str, measure: str, body: StepIn, ctx: Ctx, viewer: ApiWriter
) -> dict[str, Any] | JSONResponse:
    ip = client_ip(request)
    return _step(lambda: submit_entry(ctx, viewer, org, month, measure, base=body.base, ip=ip))


@router.post(
    "/{org}/{month}/{measure}/approve",
    status_code=201,
    summary="Approve the submitted figure (never your own): the scorecard shows it in a new vintage",
    responses=STEP,
    response_model=None,
)
def approve(
    request: Request, org: str, month: str, measure: str, body: StepIn, ctx: Ctx, viewer: ApiWriter
) -> dict[str, Any] | JSONResponse:
    ip = client_ip(request)
    done = _step(lambda: approve_entry(ctx, viewer, org, month, measure, base=body.base, ip=ip))
    if isinstance(done, dict):
        done["vintage"] = ctx.service.vintage  # the vintage the scorecard now shows it in
    return done


@router.post(
    "/{org}/{month}/{measure}/return",
    status_code=201,
    summary="Return the submitted figure with a reason",
    responses=STEP,
    response_model=None,
)
def send_back(
    request: Request,
    org: str,
    month: str,
    measure: str,
    body: ReturnIn,
    ctx: Ctx,
    viewer: ApiWriter,
) -> dict[str, Any] | JSONResponse:
    ip = client_ip(request)
    return _step(
        lambda: return_entry(
            ctx, viewer, org, month, measure, base=body.base, reason=body.reason, ip=ip
        )
    )
