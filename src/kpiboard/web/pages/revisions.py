"""Saving a new revision of a text kept like commentary (a KPI's commentary, the month's
executive summary) from a form: saved, or refused with the status, the text to put back in the
form and the problem to show above it."""

from __future__ import annotations

from dataclasses import dataclass

from kpiboard.web.actions import save_commentary
from kpiboard.web.context import Context
from kpiboard.web.db import MAX_COMMENTARY_CHARS, CommentaryTooLong, User
from kpiboard.web.errors import CommentaryFrozen
from kpiboard.web.security import UnusableText, check_text


@dataclass(frozen=True)
class Refused:
    status: int
    draft: str  # what the form shows again
    problem: str


def save_or_refuse(
    ctx: Context, user: User, org: str, month: str, key: str, text: str, ip: str | None
) -> Refused | None:
    """Save ``text`` as the next revision under ``key``; None when saved."""
    try:
        save_commentary(ctx, user, org, month, key, check_text("text", text), ip)
    except UnusableText as exc:
        # the NULs shown where they were
        return Refused(422, text.replace("\x00", "\ufffd"), f"{exc.message} ({exc.hint})")
    except CommentaryFrozen as exc:
        return Refused(409, text, exc.message)
    except CommentaryTooLong as exc:
        problem = f"{exc.message} ({exc.hint})" if exc.hint else exc.message
        return Refused(413, text[: MAX_COMMENTARY_CHARS + 1000], problem)
    return None
