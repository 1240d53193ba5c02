"""Sending the reminders about entered figures that are due (:mod:`.reminders` finds them):
each person gets one e-mail per round with the reminders new for them, each webhook that asks
for the kind one call, and every reminder's key is recorded with its delivery in one
transaction, so it is sent once however often this runs (the background sender of
``kpiboard serve`` each round; ``kpiboard outbox PROJECT --send`` from cron).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from html import escape

from kpiboard.announcements import AnnouncementKind
from kpiboard.catalogue import Catalogue
from kpiboard.catalogue.delivery import Announcements, Email
from kpiboard.catalogue.placeholders import timeless
from kpiboard.web.db import AppStore, Channel, Delivery, EntryState, NewDelivery, Person
from kpiboard.web.db import ReminderKey as Key
from kpiboard.web.notify.mail import ACCOUNT_PATH, Mail, one_line
from kpiboard.web.notify.reminders import Reminder, find_reminders

K = AnnouncementKind
HEADINGS = {
    K.ENTRY_DUE: "Due soon",
    K.ENTRY_OVERDUE: "Overdue",
    K.ENTRY_RETURNED: "Returned to you",
}
Batch = tuple[list[Key], NewDelivery]


def _key(r: Reminder, recipient: str) -> Key:
    return Key(r.org, r.measure, r.month, r.kind.value, recipient, r.step)


def webhook_recipient(url: str) -> str:
    return f"webhook {url}"


def reminder_mail(settings: Email, title: str, who: Person, found: Sequence[Reminder]) -> Mail:
    """One person's reminders, in plain text and HTML, each linking to its entry form. What
    people wrote (a return's reason, names) is escaped in the HTML: it can never be markup."""
    name = who.user.display_name
    base = settings.dashboard_url
    lines = [f"Hello {name},", "", "Figures you enter or approve on the dashboard:", ""]
    items = []
    for r in found:
        url = base + r.path
        lines += [f"- {HEADINGS[r.kind]}: {r.text}", f"  {url}"]
        why = ""
        if r.reason:
            lines.append(f"  Reason: {one_line(r.reason, 2000)}")
            why = f"<br>Reason: {escape(r.reason)}"
        items.append(
            f'<li>{escape(HEADINGS[r.kind])}: <a href="{escape(url)}">{escape(r.text)}</a>'
            f"{why}</li>"
        )
    account = base + ACCOUNT_PATH
    n = len(found)
    subject = (
        f"{title}: {HEADINGS[found[0].kind].lower()}: {found[0].title}, {found[0].month}"
        if n == 1
        else f"{title}: {n} entered figures to act on"
    )
    return Mail(
        to_name=one_line(name, 100),
        subject=one_line(subject),
        text="\n".join(lines) + f"\n\nChoose which reminders you receive: {account}\n",
        html=(
            f"<p>Hello {escape(name)},</p>"
            f"<p>Figures you enter or approve on the dashboard:</p><ul>{''.join(items)}</ul>"
            f'<p>Choose which reminders you receive: <a href="{escape(account)}">'
            f"{escape(account)}</a></p>"
        ),
    )


def plan(
    settings: Announcements,
    title: str,
    found: Sequence[Reminder],
    people: Sequence[Person],
    sent: set[Key],
) -> list[Batch]:
    """The deliveries the reminders not yet sent make, each with the keys it records: one
    call per webhook asking for their kinds, one e-mail per person with an address who did not
    opt out of the kind."""
    out: list[Batch] = []
    base = settings.email.dashboard_url if settings.email is not None else ""
    for hook in settings.webhooks:
        who = webhook_recipient(hook.url)
        mine = [r for r in found if r.kind in hook.kinds and _key(r, who) not in sent]
        if mine:
            body = {"project": title, "reminders": [r.to_dict(base) for r in mine]}
            out.append(
                (
                    [_key(r, who) for r in mine],
                    NewDelivery(
                        channel=Channel.WEBHOOK,
                        target=hook.url,
                        what=f"reminders: {len(mine)}",
                        payload=json.dumps(body, ensure_ascii=False, separators=(",", ":")),
                        max_attempts=hook.attempts,
                        timeout_seconds=hook.timeout_seconds,
                    ),
                )
            )
    email = settings.email
    if email is None:
        return out
    for person in people:
        name = person.user.username
        if person.email is None:
            continue
        mine = [
            r
            for r in found
            if name in r.to and r.kind.value not in person.optouts and _key(r, name) not in sent
        ]
        if mine:
            out.append(
                (
                    [_key(r, name) for r in mine],
                    NewDelivery(
                        channel=Channel.EMAIL,
                        target=person.email,
                        what=f"reminders: {len(mine)} for {name}",
                        payload=reminder_mail(email, title, person, mine).to_json(),
                        max_attempts=email.attempts,
                        timeout_seconds=email.timeout_seconds,
                    ),
                )
            )
    return out


def reminders_now(
    catalogue: Catalogue, store: AppStore, now: datetime, people: Sequence[Person] | None = None
) -> list[Reminder]:
    """The reminders due at ``now``, sent or not (``people``: the store's active accounts,
    read here unless given)."""

    def authors(org: str, measure: str, month: str) -> set[str]:
        steps = store.entry_history(org, measure, month)
        return {s.author.lower() for s in steps if s.state is EntryState.DRAFT}

    if not any(m.entry is not None for m in catalogue.measures.values()):
        return []
    everyone = store.people() if people is None else people
    approved = {(s.org, s.measure, s.month) for s in store.approved_entries()}
    return find_reminders(catalogue, everyone, store.latest_entries(), now, authors, approved)


def remind(catalogue: Catalogue, store: AppStore, now: datetime | None = None) -> list[Delivery]:
    """Put the reminders due at ``now`` (the store's clock unless given) that were not sent
    yet in the outbox, recording each one's key; the deliveries made (the sender sends them)."""
    settings = catalogue.project.announcements
    if not settings.configured:
        return []
    if not any(m.entry is not None for m in catalogue.measures.values()):
        return []
    people = store.people()
    found = reminders_now(catalogue, store, now or store.now(), people)
    if not found:
        return []
    sent = store.reminders_sent({r.month for r in found})
    batches = plan(settings, timeless(catalogue.project.title), found, people, sent)
    return store.enqueue_reminders(batches)
