"""When a KPI's commentary for a month is due, and who writes it (the measure's
``commentary:``, docs/CATALOGUE.md "Commentary owners"): what the scorecard page shows beside a
required comment not yet written."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from kpiboard.catalogue.commentary import DEFAULT
from kpiboard.catalogue.schema import Measure
from kpiboard.periods import parse_month
from kpiboard.workdays import due_after_month


@dataclass(frozen=True)
class Due:
    """The day a KPI's commentary for a month is due (``commentary: due`` working days after
    the month ends), and its owners."""

    date: dt.date
    owners: tuple[str, ...]

    def overdue(self, today: dt.date) -> bool:
        return today > self.date


def commentary_due(measure: Measure | None, month: str) -> Due:
    c = (measure.commentary if measure is not None else None) or DEFAULT
    return Due(due_after_month(parse_month(month), c.due), tuple(c.owner))
