"""The publish gate: what a month's pack will hold, and what is missing from it.

A pack is not published while a required comment is missing (a KPI the dashboard flags
"commentary required": red, or SPC special-cause concern, :func:`kpiboard.web.views.commentary_flag`)
or an entered figure for the month is not approved (none at all, or a draft, submitted or
returned step newer than the approved one), unless the approver states a reason, which the pack
and the audit log keep. The confirmation page and the refusal list the same things.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kpiboard.errors import KpiboardError
from kpiboard.periods import parse_month
from kpiboard.render.viewmodel import Line, StatusLabel, sections, status_label
from kpiboard.scorecard import Scorecard
from kpiboard.web.db import AppStore, EntryState, Revision
from kpiboard.web.views import STATUS_ORDER, commentary_flag

MAX_REASON_CHARS = 2000


@dataclass(frozen=True)
class MissingComment:
    measure: str
    label: str  # the KPI's reference and title
    reasons: tuple[str, ...]  # why it is required

    def to_dict(self) -> dict[str, Any]:
        return {"measure": self.measure, "label": self.label, "reasons": list(self.reasons)}


@dataclass(frozen=True)
class Unapproved:
    measure: str
    label: str
    state: str  # "not entered", "draft", "submitted" or "returned"

    def to_dict(self) -> dict[str, Any]:
        return {"measure": self.measure, "label": self.label, "state": self.state}


@dataclass(frozen=True)
class Gate:
    """A month's pack before publication: its rows by status, and what stands in its way."""

    org: str
    month: str
    by_status: tuple[tuple[StatusLabel, tuple[Line, ...]], ...]
    missing: tuple[MissingComment, ...]
    unapproved: tuple[Unapproved, ...]

    @property
    def open(self) -> bool:
        return not self.missing and not self.unapproved

    def to_dict(self) -> dict[str, Any]:
        return {
            "missing_commentary": [m.to_dict() for m in self.missing],
            "unapproved_figures": [u.to_dict() for u in self.unapproved],
        }

    def sentence(self) -> str:
        parts = []
        if self.missing:
            n = len(self.missing)
            parts.append(f"{n} required comment{'s' if n != 1 else ''} not written")
        if self.unapproved:
            n = len(self.unapproved)
            parts.append(f"{n} entered figure{'s' if n != 1 else ''} not approved")
        return " and ".join(parts)


class PublishGated(KpiboardError):
    """Refused: the month's pack is not complete and no reason was stated; ``gate`` lists
    what is missing."""

    def __init__(self, gate: Gate) -> None:
        super().__init__(
            f"the pack for {gate.org} {gate.month} is not complete: {gate.sentence()}",
            hint="write the missing commentary and approve the entered figures, "
            "or state a reason for publishing without them",
        )
        self.gate = gate


def _label(line: Line) -> str:
    return f"{line.ref} {line.row.title}" if line.ref else line.row.title


def gate_of(
    store: AppStore,
    card: Scorecard,
    org: str,
    month: str,
    commentary: dict[str, Revision],
    entered: list[str],
) -> Gate:
    """The gate of ``card``: ``commentary`` is the month's latest revisions, ``entered`` the
    measures entered on the dashboard for the month."""
    lines = [line for section in sections(card) for line in section.lines]
    by_status = tuple(
        (status_label(s), tuple(line for line in lines if line.row.status is s))
        for s in STATUS_ORDER
    )
    missing = []
    for line in lines:
        flag = commentary_flag(line.row)
        text = commentary.get(line.row.measure)
        if flag.required and (text is None or not text.text.strip()):
            missing.append(MissingComment(line.row.measure, _label(line), flag.reasons))
    labels = {line.row.measure: _label(line) for line in lines}
    unapproved = []
    for measure in entered:
        steps = store.entry_history(org, measure, month)
        if not steps or steps[0].state is not EntryState.APPROVED:
            state = steps[0].state.value if steps else "not entered"
            unapproved.append(Unapproved(measure, labels.get(measure, measure), state))
    return Gate(org, month, by_status, tuple(missing), tuple(unapproved))


def entered_measures(measures: dict[str, Any], month: str) -> list[str]:
    """The measures entered on the dashboard for ``month`` (their ``entry: since`` reached)."""
    at = parse_month(month)
    return [m.id for m in measures.values() if m.entry is not None and m.entry.entered(at)]


def clean_reason(reason: str | None) -> str | None:
    """The reason as recorded (stripped), None when blank; too long is refused."""
    if reason is None or not reason.strip():
        return None
    if len(reason) > MAX_REASON_CHARS:
        raise KpiboardError(
            f"the reason is {len(reason):,} characters; at most {MAX_REASON_CHARS:,}",
            hint="shorten it",
        )
    return reason.strip()
