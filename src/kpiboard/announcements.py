"""What a new vintage brought that people should hear about: a hand-off object between the
code that finds it (comparing the scorecards of two vintages) and the code that tells people
(``ingest``'s output, the dashboard's "since the last load", webhooks and e-mail).

>>> a = Announcement(
...     kind=AnnouncementKind.STATUS_CHANGED, vintage=3, organisation="WYP",
...     organisation_name="West Yorkshire Police", month="2018-07", measure="burglary",
...     section="Crime", title="Burglary", text="Burglary: Amber → Red (Jul-18)",
...     before="Amber", after="Red")
>>> a.to_dict()["kind"]
'status_changed'
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class AnnouncementKind(StrEnum):
    """The changes that matter after a load (issue 13 item 6), and the reminders about entered
    figures (issue 16 item 5), which a webhook's ``kinds`` and a person's choices filter alike."""

    STATUS_CHANGED = "status_changed"  # a KPI's Red/Amber/Green status changed
    NEW_SIGNAL = "new_signal"  # a special-cause signal that the previous vintage did not show
    ASSURANCE_CHANGED = "assurance_changed"  # SPC assurance against the target changed
    PUBLISHED_REVISED = "published_revised"  # a figure of a published pack was revised
    GONE_STALE = "gone_stale"  # no data past the measure's expected latency
    # reminders to the owners of entered figures (issue 16 item 5; kpiboard.web.notify.reminders)
    ENTRY_DUE = "entry_due"  # a figure is due soon (the measure's entry: remind_before)
    ENTRY_OVERDUE = "entry_overdue"  # its due date passed without an approved figure
    ENTRY_RETURNED = "entry_returned"  # an approver returned it, with a reason


#: The reminders about entered figures: a webhook gets them only when its ``kinds`` list them
#: (they came after webhooks did, with another payload, ``{"reminders": [...]}``).
REMINDER_KINDS: tuple[AnnouncementKind, ...] = (
    AnnouncementKind.ENTRY_DUE,
    AnnouncementKind.ENTRY_OVERDUE,
    AnnouncementKind.ENTRY_RETURNED,
)
#: What a load announces: a webhook with no ``kinds`` gets these.
LOAD_KINDS: tuple[AnnouncementKind, ...] = tuple(
    k for k in AnnouncementKind if k not in REMINDER_KINDS
)


@dataclass(frozen=True)
class Announcement:
    """One change that matters, in words and in fields a machine can route on."""

    kind: AnnouncementKind
    vintage: int  # the vintage that brought it
    organisation: str  # organisation id
    organisation_name: str
    month: str  # YYYY-MM: the month of the scorecard it is about
    measure: str  # measure id
    section: str | None  # the KPI's section title, None when it has none
    title: str  # the KPI's title
    text: str  # one sentence for people: "Burglary: Amber → Red (Jul-18)"
    before: str | None = None  # the old value as shown (a status, a figure, an icon's words)
    after: str | None = None  # the new one

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["kind"] = self.kind.value
        return out
