"""A month's entered figures in bulk over the API (docs/WEB.md, "Entered figures"): the template
to fill in (XLSX or CSV, the measures the person may enter), and its upload — previewed row by
row with each row's problems and what would be saved, or saved as drafts in one transaction
only when no row has a problem (all or nothing). The upload is multipart (``file``); like every
write under /api it needs the ``X-CSRF-Token`` header.

The page (``web/pages/entry_upload.py``) uses :func:`template_for`, :func:`check_upload` and
:func:`save_upload` too, so both answer the same.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response

from kpiboard.catalogue.schema import Measure
from kpiboard.errors import KpiboardError
from kpiboard.periods import format_month, parse_month
from kpiboard.web.api import ERROR_SHAPE
from kpiboard.web.bulk import (
    BulkError,
    RowCheck,
    TemplateRow,
    check_rows,
    read_upload,
    template_rows,
    write_csv,
    write_xlsx,
)
from kpiboard.web.context import ApiWriter, Context, Ctx, Reader, client_ip
from kpiboard.web.db import EntryConflict, EntryRevision, EntryState, Figures, Role, User
from kpiboard.web.db.entries import Draft
from kpiboard.web.entering import EntryView, compared_with, entry_month, month_entries
from kpiboard.web.entries_api import step_json
from kpiboard.web.security import Forbidden, Viewer

# a month that is not one (400), not signed in (401), nothing to enter or no CSRF token (403),
# an unknown organisation (404), a request the framework cannot read (422)
ERRORS: dict[int | str, dict[str, Any]] = dict.fromkeys((400, 401, 403, 404, 422), ERROR_SHAPE)
router = APIRouter(prefix="/api/entries", tags=["entered figures"], responses=ERRORS)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _may_take(v: EntryView, today: dt.date) -> str | None:
    """Why the person cannot enter this figure now; None when they can."""
    m = v.measure
    assert m.entry is not None
    if not v.may_enter:
        return f"you may not enter figures for {m.id} (its entry: names {', '.join(m.entry.enter)})"
    try:
        entry_month(m.entry, v.month, today)
    except KpiboardError as exc:
        return exc.message
    if v.current is not None and v.current.state is EntryState.SUBMITTED:
        return (
            f"{m.id} for {v.month} is submitted: it waits for an approver to approve or return it"
        )
    return None


@dataclass(frozen=True)
class Month:
    """A month's entered measures as one person may take them."""

    org: str
    month: str
    views: list[EntryView]
    today: dt.date

    def enterable(self) -> dict[str, Measure]:
        return {v.measure.id: v.measure for v in self.views if v.may_enter}

    def refused(self, m: Measure) -> str | None:
        return next((_may_take(v, self.today) for v in self.views if v.measure.id == m.id), None)

    def current(self, m: Measure) -> tuple[int, Figures] | None:
        """The figure's latest step and its figures, if entered."""
        v = next((v for v in self.views if v.measure.id == m.id), None)
        return None if v is None or v.current is None else (v.current.number, v.current.figures)


def _month(ctx: Context, viewer: Viewer, org: str, month: str) -> tuple[User, Month]:
    user = viewer.require(Role.VIEWER, "enter figures")
    o = ctx.service.org(org).id
    text = format_month(parse_month(month.strip()))  # 2009-9 is 2009-09, as the rows say
    views = month_entries(ctx, viewer, o, text)
    return user, Month(o, text, views, dt.datetime.now(dt.UTC).date())


def template_for(ctx: Context, viewer: Viewer, org: str, month: str) -> list[TemplateRow]:
    """The template's rows: the measures due that the person may enter now, with their current
    step (a draft or returned figure pre-filled); refused when there are none."""
    user, mo = _month(ctx, viewer, org, month)
    due = [
        (v.measure, v.current.number if v.current else 0, v.current.figures if v.current else None)
        for v in mo.views
        if _may_take(v, mo.today) is None
    ]
    if not due:
        raise Forbidden(
            f"{user.username} has no figures to enter for {mo.org} in {mo.month}",
            hint="a measure's entry: says who enters it; figures submitted wait for an approver",
        )
    return template_rows(mo.org, mo.month, due)


def require_enterer(ctx: Context, viewer: Viewer, org: str, month: str) -> Month:
    """The month, for someone who may enter one of its figures; Forbidden for anyone else
    (no measure's entry: names them), as the template is."""
    user, mo = _month(ctx, viewer, org, month)
    if not any(v.may_enter for v in mo.views):
        raise Forbidden(
            f"{user.username} may enter no figures for {mo.org} in {mo.month}",
            hint="a measure's entry: says who enters it; ask whoever owns the measure's YAML",
        )
    return mo


def check_upload(
    ctx: Context, viewer: Viewer, org: str, month: str, data: bytes
) -> tuple[Month, list[RowCheck]]:
    """Each row of the upload with its problems (BulkError when it is not a template)."""
    mo = require_enterer(ctx, viewer, org, month)
    rows = read_upload(data)
    if not rows:
        raise BulkError("the upload has no rows", hint="fill in the template and upload it")
    checks = check_rows(
        rows,
        mo.org,
        mo.month,
        mo.enterable(),
        mo.refused,
        lambda m: compared_with(ctx, mo.org, mo.month, m),
        mo.current,
    )
    return mo, checks


def save_upload(
    ctx: Context, viewer: Viewer, mo: Month, checks: list[RowCheck], ip: str | None
) -> list[EntryRevision]:
    """Every row saved as a draft in one transaction, when no row has a problem (the caller
    checks); EntryConflict or NotAnOwner save nothing."""
    user = viewer.require(Role.VIEWER, "enter figures")
    by_id = mo.enterable()
    drafts = []
    for c in checks:
        if not c.saves:
            continue
        assert c.figures is not None and c.base is not None
        entry = by_id[c.measure].entry
        assert entry is not None
        drafts.append(Draft(c.measure, c.figures, c.base, entry.enter, c.reason))
    if not drafts:
        raise BulkError(
            "every row is blank or unchanged: nothing to save", hint="type the figures in"
        )
    return ctx.store.save_entries(mo.org, mo.month, drafts, user, ip=ip)


def row_json(c: RowCheck) -> dict[str, Any]:
    f = c.figures
    return {
        "where": c.where,
        "measure": c.measure,
        "saves": c.saves,
        "skip": c.skip or None,
        "base": c.base,
        "figures": None
        if f is None or c.skip
        else {
            "numerator": f.numerator,
            "denominator": f.denominator,
            "value": f.value,
            "sample_size": f.sample_size,
            "provisional": f.provisional,
            "note": f.note,
        },
        "reason": c.reason,
        "problems": [
            {"field": p.field, "message": p.message, "confirm": p.confirm} for p in c.problems
        ],
    }


def _error(status: int, code: str, exc: KpiboardError, **more: Any) -> JSONResponse:
    error = {"status": status, "code": code, "message": exc.message, "hint": exc.hint, **more}
    return JSONResponse({"error": error}, status_code=status)


@router.get(
    "/{org}/{month}/template.{fmt}",
    summary="A month's template to fill in: the figures you may enter, as XLSX or CSV",
    response_class=Response,
    responses={200: {"content": {XLSX: {}, "text/csv": {}}}},
)
def template(
    org: str, month: str, fmt: Literal["xlsx", "csv"], ctx: Ctx, viewer: Reader
) -> Response:
    rows = template_for(ctx, viewer, org, month)
    name = f"kpiboard-{rows[0].org}-{rows[0].month}-figures.{fmt}"
    body, media = (write_xlsx(rows), XLSX) if fmt == "xlsx" else (write_csv(rows), "text/csv")
    return Response(
        body,
        media_type=media,
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


@router.post(
    "/{org}/{month}/upload",
    status_code=201,
    summary="Upload a filled template: ?preview=1 shows each row's problems; else saves all or nothing",
    responses={
        200: {"description": "the preview: each row, its problems, what would be saved"},
        409: {**ERROR_SHAPE, "description": "a figure moved on since the template: nothing saved"},
        422: {
            **ERROR_SHAPE,
            "description": "not a template, or a row has a problem: nothing saved",
        },
    },
    response_model=None,
)
def upload(
    request: Request,
    org: str,
    month: str,
    ctx: Ctx,
    viewer: ApiWriter,
    file: Annotated[UploadFile, File(description="the template, filled in (XLSX or CSV)")],
    preview: Annotated[bool, Query(description="only check: save nothing")] = False,
) -> dict[str, Any] | JSONResponse:
    data = file.file.read()
    try:
        mo, checks = check_upload(ctx, viewer, org, month, data)
    except BulkError as exc:
        return _error(422, "invalid_upload", exc)
    rows = [row_json(c) for c in checks]
    ok = all(not c.problems for c in checks)
    answer: dict[str, Any] = {"org": mo.org, "month": mo.month, "ok": ok, "rows": rows}
    if preview:
        return JSONResponse({**answer, "saved": []}, status_code=200)
    if not ok:
        bad = sum(1 for c in checks if c.problems)
        refusal = BulkError(
            f"{bad} row{'s' if bad != 1 else ''} of the upload ha{'ve' if bad != 1 else 's'} "
            "problems: nothing was saved",
            hint="correct them and upload again",
        )
        return _error(422, "invalid_upload", refusal, rows=rows)
    try:
        saved = save_upload(ctx, viewer, mo, checks, client_ip(request))
    except BulkError as exc:
        return _error(422, "invalid_upload", exc, rows=rows)
    except EntryConflict as exc:
        current = exc.current
        shown = step_json(current) if isinstance(current, EntryRevision) else None
        return _error(409, "entry_conflict", exc, current=shown)
    return {**answer, "saved": [step_json(s) for s in saved]}
