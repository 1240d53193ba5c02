"""Accounts whose owner signs in through the organisation's identity provider (single sign-on,
kpiboard.web.oidc): recorded at their first sign-in, their name and role brought up to date at
every one after, with no local password.

The provider is trusted for who someone is and which groups they are in; the dashboard still
decides whether they may come in: a deactivated account stays deactivated, and a provider user
whose username belongs to a local account is refused (otherwise whoever controls the provider's
usernames could sign in as the local ``admin``).
"""

from __future__ import annotations

from sqlalchemy.orm import Session as DbSession

from kpiboard.errors import KpiboardError
from kpiboard.web.db._base import StoreBase
from kpiboard.web.db.entities import Role, User
from kpiboard.web.db.models import IP_MAX, UserRow
from kpiboard.web.db.rules import DISPLAY_NAME_MAX, USERNAME
from kpiboard.web.db.snapshot import EXTERNAL, is_external, user_of


class ExternalSignInRefused(KpiboardError):
    """The provider vouched for someone the dashboard will not let in."""


class ExternalAccounts(StoreBase):
    """Sign-in through an identity provider (part of AppStore)."""

    def sign_in_external(
        self, username: str, display_name: str, role: Role, ip: str | None, *, via: str
    ) -> User:
        """The user the provider vouched for, created or updated (display name, and the role
        from their groups now, so a removed group demotes them), audited as ``sign_in`` with
        ``via``. Raises ExternalSignInRefused (audited as ``sign_in_failed``) for an unusable
        username, a local account of that name, or a deactivated account."""
        role = Role(role)
        name = display_name.strip()[:DISPLAY_NAME_MAX] or username
        ip = None if ip is None else ip[:IP_MAX]
        if not USERNAME.fullmatch(username):
            raise self._refused(
                username,
                ip,
                via,
                "bad_username",
                f"the identity provider's username {username!r} cannot be a kpiboard username",
                "kpiboard usernames are 1 to 64 letters, digits, dots, underscores or hyphens; "
                "an administrator can choose another claim with dashboard: oidc: username_claim",
            )
        with self._write() as s:
            row = self._find(s, username)
            if row is None:
                row = self._insert_user(s, username, name, role, EXTERNAL, None, via=via)
            problem = self._problem(row)
            if problem is None:
                self._update(s, row, name, role, via)
                self._audit(s, "sign_in", row.username, {"via": via}, ip)
                return user_of(row)
        reason, message, hint = problem
        raise self._refused(username, ip, via, reason, message, hint)

    def _update(self, s: DbSession, row: UserRow, name: str, role: Role, via: str) -> None:
        """The provider's name and groups are the truth at each sign-in."""
        row.display_name = name
        if row.role != role.value:
            self._audit(
                s,
                "role_changed",
                None,
                {"username": row.username, "from": row.role, "to": role.value, "via": via},
                None,
            )
            row.role = role.value

    @staticmethod
    def _problem(row: UserRow) -> tuple[str, str, str] | None:
        """Why this account may not sign in through the provider: (reason, message, hint)."""
        if not is_external(row):
            return (
                "local_account",
                f"{row.username!r} is a local kpiboard account, so it cannot sign in through "
                "the identity provider",
                "sign in with its password, or ask an administrator to rename the local "
                "account (kpiboard users rename)",
            )
        if not row.active:
            return (
                "deactivated",
                f"the account {row.username!r} has been deactivated on this dashboard",
                "ask an administrator if you should have access",
            )
        return None

    def _refused(
        self, username: str, ip: str | None, via: str, reason: str, message: str, hint: str
    ) -> ExternalSignInRefused:
        """The refusal, audited in a transaction of its own."""
        refusal = ExternalSignInRefused(message, hint=hint)
        self._refuse(refusal, "sign_in_failed", username, {"reason": reason, "via": via}, ip)
        return refusal
