"""People's e-mail addresses and what they subscribe to: a measure's or a section's
announcements, and published packs (part of AppStore)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import delete, select

from kpiboard.errors import KpiboardError
from kpiboard.web.db._base import StoreBase
from kpiboard.web.db.entities import Role, Subscriber, User
from kpiboard.web.db.models import EMAIL_MAX, SubscriptionRow, UserRow

# A plain ASCII address (RFC 5321's dot-atom local part and a dotted domain): no display name,
# space, comma, angle bracket, control character or line break, so it can never carry another
# header or recipient into an e-mail. (Internationalised addresses would need SMTPUTF8.)
EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
KEY_MAX = 200
MEASURE, SECTION, PACKS = "measure", "section", "packs"


class BadEmail(KpiboardError):
    def __init__(self, address: str) -> None:
        super().__init__(
            f"{address[:80]!r} is not an e-mail address kpiboard can send to",
            hint="give a plain address such as name@force.police.uk (no name, no spaces)",
        )


def check_email(address: str) -> str:
    """The address, stripped; BadEmail unless it is one plain address."""
    address = address.strip()
    if len(address) > EMAIL_MAX or not EMAIL.fullmatch(address):
        raise BadEmail(address)
    return address


class Subscriptions(StoreBase):
    """E-mail addresses and subscriptions (part of AppStore)."""

    def set_email(self, username: str, email: str | None, *, actor: str | None = None) -> None:
        """Set (or with None or "", remove) a user's address. Admins may set anyone's, people
        their own; ``actor=None`` is the command line. Audited ``email_changed``."""
        address = check_email(email) if email else None
        detail: dict[str, object] = {"action": "set_email", "username": username}
        with self._admin_write(actor, "set e-mail addresses", detail, target=username) as s:
            row = self._row(s, username)
            row.email = address
            self._audit(s, "email_changed", actor, {"username": row.username}, None)

    def email(self, user: User) -> str | None:
        with self._read() as s:
            return s.scalar(select(UserRow.email).where(UserRow.id == user.id))

    def subscription(self, user: User) -> tuple[frozenset[str], frozenset[str], bool]:
        """The user's measures, sections, and whether they want packs."""
        with self._read() as s:
            rows = s.execute(
                select(SubscriptionRow.topic, SubscriptionRow.key).where(
                    SubscriptionRow.user_id == user.id
                )
            ).all()
        measures = frozenset(k for t, k in rows if t == MEASURE)
        sections = frozenset(k for t, k in rows if t == SECTION)
        return measures, sections, any(t == PACKS for t, _ in rows)

    def subscribe(
        self,
        user: User,
        measures: Iterable[str],
        sections: Iterable[str],
        packs: bool,
        ip: str | None = None,
    ) -> None:
        """Replace what the user subscribes to (their own choice: any active user)."""
        wanted = {(MEASURE, m[:KEY_MAX]) for m in measures if m}
        wanted |= {(SECTION, x[:KEY_MAX]) for x in sections if x}
        if packs:
            wanted.add((PACKS, ""))
        with self._write() as s:
            self._require(s, user, Role.VIEWER, "choose subscriptions")
            s.execute(delete(SubscriptionRow).where(SubscriptionRow.user_id == user.id))
            s.add_all(SubscriptionRow(user_id=user.id, topic=t, key=k) for t, k in sorted(wanted))
            detail = {
                "measures": sorted(k for t, k in wanted if t == MEASURE),
                "sections": sorted(k for t, k in wanted if t == SECTION),
                "packs": packs,
            }
            self._audit(s, "subscriptions_changed", user.username, detail, ip)

    def subscribers(self) -> list[Subscriber]:
        """Every active user with an e-mail address, with their subscriptions, by username."""
        with self._read() as s:
            users = s.execute(
                select(UserRow.id, UserRow.username, UserRow.display_name, UserRow.email)
                .where(UserRow.active.is_(True), UserRow.email.is_not(None))
                .order_by(UserRow.username)
            ).all()
            rows = s.execute(
                select(SubscriptionRow.user_id, SubscriptionRow.topic, SubscriptionRow.key)
            ).all()
        topics: dict[int, list[tuple[str, str]]] = {}
        for uid, topic, key in rows:
            topics.setdefault(uid, []).append((topic, key))
        return [
            Subscriber(
                username=name,
                display_name=display,
                email=str(email),
                measures=frozenset(k for t, k in topics.get(uid, []) if t == MEASURE),
                sections=frozenset(k for t, k in topics.get(uid, []) if t == SECTION),
                packs=any(t == PACKS for t, _ in topics.get(uid, [])),
            )
            for uid, name, display, email in users
        ]
