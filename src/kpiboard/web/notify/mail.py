"""E-mails: what an announcement e-mail and a pack e-mail say (plain text and HTML), and
sending one over SMTP as kpiboard.yaml's `announcements: email:` says.

What goes into headers is made safe here: the subject and names lose every control character
(no CR or LF can start another header), addresses are plain ones checked when stored, and the
message is built with the standard library's strict SMTP policy, which refuses any header value
that still holds a line break.
"""

from __future__ import annotations

import json
import os
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from html import escape

from kpiboard.announcements import Announcement
from kpiboard.catalogue.delivery import Email, SmtpSecurity
from kpiboard.web.db import Publication, Subscriber
from kpiboard.web.notify.failure import DeliveryFailed
from kpiboard.web.urls import kpi_path

SUBJECT_MAX = 200
ACCOUNT_PATH = "/account"


def one_line(text: str, longest: int = SUBJECT_MAX) -> str:
    """Text safe for a header: control characters (CR, LF, tabs…) become spaces.

    >>> one_line("Burglary\\r\\nBcc: someone@evil.example")
    'Burglary Bcc: someone@evil.example'
    """
    cleaned = "".join(" " if ord(c) < 32 or ord(c) == 127 else c for c in text)
    return " ".join(cleaned.split())[:longest]


@dataclass(frozen=True)
class Mail:
    """An e-mail before its envelope: stored as the outbox's payload (JSON)."""

    to_name: str
    subject: str
    text: str
    html: str

    def to_json(self) -> str:
        return json.dumps(self.__dict__, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, payload: str) -> Mail:
        data = json.loads(payload)
        return cls(data["to_name"], data["subject"], data["text"], data["html"])


def _footer(base: str) -> tuple[str, str]:
    url = base + ACCOUNT_PATH
    return (
        f"\nChoose what you receive: {url}\n",
        f'<p>Choose what you receive: <a href="{escape(url)}">{escape(url)}</a></p>',
    )


def announcement_mail(
    settings: Email, title: str, vintage: int, who: Subscriber, found: Sequence[Announcement]
) -> Mail:
    """One subscriber's e-mail: only the announcements of their measures and sections, each
    linking to its KPI page."""
    lines = [f"Hello {who.display_name},", "", f"The data load of vintage {vintage} brought:", ""]
    items = []
    for a in found:
        url = settings.dashboard_url + kpi_path(a.organisation, a.month, a.measure)
        lines += [f"- {a.text} ({a.organisation_name})", f"  {url}"]
        items.append(
            f'<li><a href="{escape(url)}">{escape(a.text)}</a> ({escape(a.organisation_name)})</li>'
        )
    text_end, html_end = _footer(settings.dashboard_url)
    count = f"{len(found)} change{'s' if len(found) != 1 else ''}"
    return Mail(
        to_name=one_line(who.display_name, 100),
        subject=one_line(f"{title}: {count} in vintage {vintage}"),
        text="\n".join(lines) + "\n" + text_end,
        html=(
            f"<p>Hello {escape(who.display_name)},</p>"
            f"<p>The data load of vintage {vintage} brought:</p><ul>{''.join(items)}</ul>"
            + html_end
        ),
    )


def pack_mail(
    settings: Email, title: str, org_name: str, who: Subscriber, pack: Publication
) -> Mail:
    """A published pack, linked rather than attached: the dashboard serves it byte for byte
    under a policy that runs no script, behind the sign-in; an HTML attachment would be opened
    from the mail client without either, and is what many mail gateways strip."""
    url = f"{settings.dashboard_url}/packs/{pack.org}/{pack.month}/pack.html"
    record = f"{settings.dashboard_url}/packs/{pack.org}/{pack.month}"
    text_end, html_end = _footer(settings.dashboard_url)
    text = (
        f"Hello {who.display_name},\n\n"
        f"The {org_name} pack for {pack.month} was published by {pack.published_by}.\n"
        f"Read it: {url}\nIts record (who signed it off, from which data): {record}\n"
        f"Content hash: {pack.content_hash}\n" + text_end
    )
    html = (
        f"<p>Hello {escape(who.display_name)},</p>"
        f"<p>The {escape(org_name)} pack for {escape(pack.month)} was published by "
        f"{escape(pack.published_by)}.</p>"
        f'<p><a href="{escape(url)}">Read the pack</a> · '
        f'<a href="{escape(record)}">its record</a></p>'
        f"<p>Content hash: <code>{escape(pack.content_hash)}</code></p>" + html_end
    )
    return Mail(
        to_name=one_line(who.display_name, 100),
        subject=one_line(f"{title}: {org_name} pack for {pack.month} published"),
        text=text,
        html=html,
    )


def message(settings: Email, to: str, mail: Mail, delivery_id: str) -> EmailMessage:
    """The e-mail as sent. Any header value holding a line break is refused (strict policy)."""
    msg = EmailMessage(policy=SMTP)
    from_local, _, from_domain = settings.from_address.partition("@")
    to_local, _, to_domain = to.partition("@")
    msg["From"] = Address(one_line(settings.from_name, 100), from_local, from_domain)
    msg["To"] = Address(one_line(mail.to_name, 100), to_local, to_domain)
    msg["Subject"] = one_line(mail.subject)
    msg["Message-ID"] = f"<{delivery_id}@{from_domain}>"  # a resend is the same message
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(mail.text)
    msg.add_alternative(mail.html, subtype="html")
    return msg


def send(settings: Email, msg: EmailMessage, timeout: float) -> None:
    """Hand one message to the SMTP server; DeliveryFailed saying why."""
    password = None
    if settings.password_env is not None:
        password = os.environ.get(settings.password_env)
        if not password:
            raise DeliveryFailed(
                f"the environment variable {settings.password_env} (the SMTP password) is not set"
            )
    try:
        with _connect(settings, timeout) as smtp:
            if settings.username is not None and password is not None:
                smtp.login(settings.username, password)
            smtp.send_message(msg)
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryFailed(f"SMTP {settings.host}:{settings.port}: {exc}") from None


def _connect(settings: Email, timeout: float) -> smtplib.SMTP:
    if settings.security is SmtpSecurity.TLS:
        context = ssl.create_default_context()
        return smtplib.SMTP_SSL(settings.host, settings.port, timeout=timeout, context=context)
    smtp = smtplib.SMTP(settings.host, settings.port, timeout=timeout)
    if settings.security is SmtpSecurity.STARTTLS:
        try:
            smtp.starttls(context=ssl.create_default_context())
        except (smtplib.SMTPException, OSError):
            smtp.close()
            raise
    return smtp
