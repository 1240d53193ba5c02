"""The owners' and approvers' pages (docs/ENTRY.md): "Your figures" (what the signed-in person
has to enter and to approve) and the entry form of one figure, whose buttons take the steps
through :mod:`kpiboard.web.entering` (save a draft, submit, approve, return with a reason).

Every post carries the session's CSRF token and the step it follows (``base``); a refusal
shows the form again with its problems by field, or the figure as someone else left it."""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kpiboard.vocabulary import MeasureKind
from kpiboard.web.context import Context, Ctx, FormWriter, Reader, client_ip
from kpiboard.web.db import EntryConflict, EntryRefused, EntryRevision, Figures, FourEyes, Role
from kpiboard.web.entering import (
    EntryProblems,
    approve_entry,
    entered_measure,
    entry_month,
    return_entry,
    save_entry,
    submit_entry,
    view,
)
from kpiboard.web.entry_checks import Problem
from kpiboard.web.entry_list import beside, yours
from kpiboard.web.security import Forbidden, Viewer
from kpiboard.web.templating import render_page
from kpiboard.workdays import working_days_late

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form(max_length=4000)]
DONE = {
    "saved": "Saved as a draft",
    "submitted": "Submitted for approval",
    "approved": "Approved: the scorecard shows it",
    "returned": "Returned to its owner with your reason",
}


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def form_path(org: str, month: str, measure: str) -> str:
    return f"/entries/{quote(org, safe='')}/{month}/{quote(measure, safe='')}"


@router.get("/entries", response_class=HTMLResponse)
def your_figures(request: Request, ctx: Ctx, viewer: Reader) -> Response:
    viewer.require(Role.VIEWER, "see the figures you enter or approve")
    today = _today()
    return render_page(
        ctx,
        request,
        "entries.html",
        viewer=viewer,
        groups=yours(ctx, viewer, today),
        today=today,
        org=None,
        month=None,
    )


def fields_of(kind: MeasureKind, survey: bool) -> list[tuple[str, str]]:
    """The figure's fields its kind needs, (name, label)."""
    if kind in (MeasureKind.PROPORTION, MeasureKind.MEAN):
        out = [("numerator", "Numerator"), ("denominator", "Denominator")]
    else:
        out = [("value", "Value")]
    if survey:
        out.append(("sample_size", "Sample size"))
    return out


def _number(text: str) -> float | None:
    return float(text) if text.strip() else None


def figures_from(
    form: dict[str, str], provisional: bool, note: str
) -> tuple[Figures, list[Problem]]:
    """The figures as typed; a field that is not a number is a problem naming it."""
    got: dict[str, float | None] = {}
    problems = []
    for name in ("numerator", "denominator", "value", "sample_size"):
        text = form.get(name, "").replace(",", "")
        try:
            got[name] = _number(text)
            if got[name] is not None and not math.isfinite(got[name] or 0.0):
                raise ValueError
        except ValueError:
            got[name] = None
            problems.append(Problem(name, f"{form[name]!r} is not a number"))
    figures = Figures(
        got["numerator"],
        got["denominator"],
        got["value"],
        got["sample_size"],
        provisional,
        note.strip() or None,
    )
    return figures, problems


def _shown(x: float | None) -> str:
    """A figure as the form's field holds it: 1234.5, never 1,234.50 or 1.2345e3."""
    if x is None:
        return ""
    return f"{x:.6f}".rstrip("0").rstrip(".")


def figure_text(x: float | None) -> str:
    """A figure as the history shows it: 1,234.5; a dash for none."""
    if x is None:
        return "–"
    return f"{x:,.6f}".rstrip("0").rstrip(".")


def entry_response(
    ctx: Context,
    request: Request,
    viewer: Viewer,
    org: str,
    month: str,
    measure: str,
    *,
    status: int = 200,
    done: str | None = None,
    typed: dict[str, str] | None = None,
    problems: list[Problem] | None = None,
    refusal: str | None = None,
    conflict: EntryRevision | None = None,
) -> HTMLResponse:
    """The form, as opened; or sent back with what was typed and its problems."""
    viewer.require(Role.VIEWER, "enter figures")
    m, entry = entered_measure(ctx, measure)
    o = ctx.service.org(org)
    month = entry_month(entry, month, _today())
    v = view(ctx, viewer, o.id, month, m)
    if not (v.may_enter or v.may_approve):
        raise Forbidden(
            f"you may neither enter nor approve figures for {m.id}",
            hint="its entry: in the YAML names who may (docs/ENTRY.md)",
        )
    steps = ctx.store.entry_history(o.id, m.id, month)
    current = v.current
    f = current.figures if current is not None else Figures()
    values = {
        "numerator": _shown(f.numerator),
        "denominator": _shown(f.denominator),
        "value": _shown(f.value),
        "sample_size": _shown(f.sample_size),
        "note": f.note or "",
        "reason": "",
        "return_reason": "",
        "provisional": "on" if f.provisional else "",
    }
    values.update(typed or {})
    by_field: dict[str, list[Problem]] = {}
    for p in problems or []:
        by_field.setdefault(p.field, []).append(p)
    definition = ctx.service.definition(m.id)
    today = _today()
    return render_page(
        ctx,
        request,
        "entry.html",
        status=status,
        viewer=viewer,
        org=None,
        month=None,
        entry_org=o,
        entry_month=month,
        m=m,
        v=v,
        steps=steps,
        base=current.number if current is not None else 0,
        editable=v.may_enter and v.state != "submitted",  # an approved one may be revised
        may_submit=v.may_enter and v.state == "draft",
        may_decide=v.may_approve and v.state == "submitted",
        published=ctx.store.publication(o.id, month) is not None,
        fields=fields_of(m.kind, m.survey),
        values=values,
        problems=problems or [],
        by_field=by_field,
        confirm=any(p.confirm for p in problems or []),
        refusal=refusal,
        conflict=conflict,
        done=DONE.get(done or ""),
        late=working_days_late(v.due, today),
        beside=beside(ctx, o.id, month, m),
        definition=definition.items(ctx.service.sources(m.id, o.id)) if definition else [],
        action=form_path(o.id, month, m.id),
        figure_text=figure_text,
    )


@router.get("/entries/{org}/{month}/{measure}", response_class=HTMLResponse)
def entry_form(
    request: Request,
    org: str,
    month: str,
    measure: str,
    ctx: Ctx,
    viewer: Reader,
    done: str = "",
) -> Response:
    return entry_response(ctx, request, viewer, org, month, measure, done=done)


def take_step(
    ctx: Context,
    viewer: Viewer,
    where: tuple[str, str, str],
    step: str,
    base: int,
    typed: dict[str, str],
    ip: str | None,
) -> str:
    """Take the step the button named; what was done ("saved", ...) for the page to say."""
    org, month, measure = where
    if step == "save":
        figures, problems = figures_from(typed, bool(typed["provisional"]), typed["note"])
        if problems:
            raise EntryProblems(problems)
        reason = typed["reason"].strip() or None
        save_entry(ctx, viewer, org, month, measure, figures, base=base, reason=reason, ip=ip)
        return "saved"
    if step == "submit":
        submit_entry(ctx, viewer, org, month, measure, base=base, ip=ip)
        return "submitted"
    if step == "approve":
        approve_entry(ctx, viewer, org, month, measure, base=base, ip=ip)
        return "approved"
    if step == "return":
        why = typed["return_reason"].strip()
        if not why:
            raise EntryProblems(
                [Problem("return_reason", "say why you return it: its owner reads this")]
            )
        return_entry(ctx, viewer, org, month, measure, base=base, reason=why, ip=ip)
        return "returned"
    raise EntryRefused(f"{step!r} is not a step", hint="save, submit, approve or return")


@router.post("/entries/{org}/{month}/{measure}")
def entry_step(
    request: Request,
    org: str,
    month: str,
    measure: str,
    ctx: Ctx,
    viewer: FormWriter,
    step: Annotated[str, Form()] = "save",
    base: Annotated[int, Form(ge=0)] = 0,
    numerator: Text = "",
    denominator: Text = "",
    value: Text = "",
    sample_size: Text = "",
    provisional: Annotated[str, Form()] = "",
    note: Text = "",
    reason: Text = "",
    return_reason: Text = "",
) -> Response:
    typed = {
        "numerator": numerator,
        "denominator": denominator,
        "value": value,
        "sample_size": sample_size,
        "note": note,
        "reason": reason,
        "return_reason": return_reason,
        "provisional": provisional,
    }
    again: dict[str, Any] = {"typed": typed}
    try:
        done = take_step(ctx, viewer, (org, month, measure), step, base, typed, client_ip(request))
    except EntryProblems as exc:
        return entry_response(
            ctx, request, viewer, org, month, measure, status=422, problems=exc.problems, **again
        )
    except EntryConflict as exc:
        current = exc.current if isinstance(exc.current, EntryRevision) else None
        return entry_response(
            ctx,
            request,
            viewer,
            org,
            month,
            measure,
            status=409,
            refusal=exc.message,
            conflict=current,
            **again,
        )
    except (EntryRefused, FourEyes) as exc:
        status = 403 if isinstance(exc, FourEyes) else 409
        words = f"{exc.message} ({exc.hint})" if exc.hint else exc.message
        return entry_response(
            ctx, request, viewer, org, month, measure, status=status, refusal=words, **again
        )
    o = ctx.service.org(org).id
    return RedirectResponse(form_path(o, month, measure) + f"?done={done}", status_code=303)
