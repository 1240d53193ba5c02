"""What to put in the outbox: after a vintage, one webhook call per configured webhook with the
announcements of its kinds, and one e-mail per subscriber with their measures' and sections'
announcements; after a publication, the pack's e-mail to its readers at the configured time."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from kpiboard.announcements import Announcement
from kpiboard.catalogue.delivery import Announcements, PackRecipients, Packs, PackWhen
from kpiboard.web.db import Channel, NewDelivery, Publication, Subscriber
from kpiboard.web.notify.mail import announcement_mail, pack_mail
from kpiboard.workdays import nth_working_day_after


def webhook_body(project: str, vintage: int, found: Sequence[Announcement]) -> str:
    """The JSON a webhook receives, exactly as signed: {project, vintage, announcements}."""
    data = {"project": project, "vintage": vintage, "announcements": [a.to_dict() for a in found]}
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def for_subscriber(who: Subscriber, found: Sequence[Announcement]) -> list[Announcement]:
    return [a for a in found if a.measure in who.measures or (a.section or "") in who.sections]


def announcement_deliveries(
    settings: Announcements,
    title: str,
    vintage: int,
    found: Sequence[Announcement],
    subscribers: Sequence[Subscriber],
) -> list[NewDelivery]:
    """Every delivery a vintage's announcements make; none for a webhook or person with
    nothing of theirs in them."""
    out: list[NewDelivery] = []
    for hook in settings.webhooks:
        mine = [a for a in found if a.kind in hook.kinds]
        if mine:
            n = len(mine)
            out.append(
                NewDelivery(
                    channel=Channel.WEBHOOK,
                    target=hook.url,
                    what=f"vintage {vintage}: {n} announcement{'s' if n != 1 else ''}",
                    payload=webhook_body(title, vintage, mine),
                    max_attempts=hook.attempts,
                    timeout_seconds=hook.timeout_seconds,
                )
            )
    email = settings.email
    if email is None:
        return out
    for who in subscribers:
        mine = for_subscriber(who, found)
        if mine:
            mail = announcement_mail(email, title, vintage, who, mine)
            out.append(
                NewDelivery(
                    channel=Channel.EMAIL,
                    target=who.email,
                    what=f"vintage {vintage}: {len(mine)} for {who.username}",
                    payload=mail.to_json(),
                    max_attempts=email.attempts,
                    timeout_seconds=email.timeout_seconds,
                )
            )
    return out


def next_working_day_at(published: datetime, packs: Packs) -> datetime:
    """When a pack published at ``published`` is sent: ``at`` (in ``timezone``) on the next
    working day (Monday to Friday, not a bank holiday of England and Wales) after the day it was
    published there.

    >>> p = Packs(at="09:00", timezone="Europe/London")
    >>> next_working_day_at(datetime(2026, 12, 4, 16, 30, tzinfo=UTC), p).isoformat()  # a Friday
    '2026-12-07T09:00:00+00:00'
    >>> # Christmas Eve 2026: Christmas (Fri) and Boxing Day's substitute (Mon 28th) are skipped
    >>> next_working_day_at(datetime(2026, 12, 24, 12, 0, tzinfo=UTC), p).isoformat()
    '2026-12-29T09:00:00+00:00'
    """
    zone = ZoneInfo(packs.timezone)
    day: date = nth_working_day_after(published.astimezone(zone).date(), 1)
    return datetime.combine(day, time.fromisoformat(packs.at), tzinfo=zone).astimezone(UTC)


def pack_deliveries(
    settings: Announcements,
    title: str,
    org_name: str,
    pack: Publication,
    subscribers: Sequence[Subscriber],
) -> list[NewDelivery]:
    """The pack's e-mails, held until its scheduled time."""
    packs, email = settings.packs, settings.email
    if packs is None or email is None:
        return []
    when = None
    if packs.when is PackWhen.NEXT_WORKING_DAY:
        when = next_working_day_at(pack.published_at, packs)
    readers = [w for w in subscribers if packs.to is PackRecipients.READERS or w.packs]
    return [
        NewDelivery(
            channel=Channel.EMAIL,
            target=who.email,
            what=f"pack {pack.org} {pack.month} for {who.username}",
            payload=pack_mail(email, title, org_name, who, pack).to_json(),
            max_attempts=email.attempts,
            timeout_seconds=email.timeout_seconds,
            not_before=when,
        )
        for who in readers
    ]
