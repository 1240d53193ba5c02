"""What can go wrong in the application database, each with a message and a hint."""

from __future__ import annotations

from datetime import datetime

from kpiboard.errors import KpiboardError

MAX_COMMENTARY_CHARS = 20_000
MIN_PASSWORD_CHARS = 12
MAX_PASSWORD_CHARS = (
    1024  # argon2 would hash more, but nobody types it; bounds the work per attempt
)


class DatabaseUnavailable(KpiboardError):
    """The application database URL cannot be opened (or is at a revision we do not know)."""


class UserExists(KpiboardError):
    def __init__(self, username: str, existing: str | None = None) -> None:
        same = "" if existing in (None, username) else f" as {existing!r} (usernames ignore case)"
        super().__init__(
            f"user {username!r} already exists{same}",
            hint="choose another username, or change this user with `kpiboard users set-role`",
        )
        self.username = username


class UsernamesDifferOnlyInCase(DatabaseUnavailable):
    """The database holds usernames that are one account now that case is ignored; the
    upgrade (migration 0002) stops, changing nothing, until all but one of each are renamed."""

    def __init__(self, groups: list[list[str]]) -> None:
        names = "; ".join(" and ".join(repr(n) for n in group) for group in groups)
        super().__init__(
            f"the application database has usernames that differ only in case, which are now one "
            f"account: {names}",
            hint="rename all but one of each with `kpiboard users rename PROJECT OLD NEW` (it works "
            "before the upgrade), then open the dashboard again",
        )
        self.groups = groups


class UnknownUser(KpiboardError):
    def __init__(self, username: str) -> None:
        super().__init__(
            f"no user {username!r}", hint="`kpiboard users list PROJECT` shows who there is"
        )
        self.username = username


class BadUsername(KpiboardError):
    def __init__(self, username: str) -> None:
        super().__init__(
            f"{username!r} is not a valid username",
            hint="use 1 to 64 letters, digits, dots, underscores or hyphens",
        )
        self.username = username


class BadPassword(KpiboardError):
    """The password breaks the policy; the message never contains the password."""

    def __init__(self, reason: str) -> None:
        super().__init__(
            f"password refused: {reason}",
            hint=f"use at least {MIN_PASSWORD_CHARS} characters, not the username; "
            "a few unrelated words make a good one",
        )


class LoginFailed(KpiboardError):
    """The same for an unknown user, a wrong password and a deactivated account, so the
    answer does not tell which usernames exist."""

    def __init__(self) -> None:
        super().__init__(
            "sign-in failed: wrong username or password",
            hint="check both and try again; an administrator can reset a password",
        )


class LoginThrottled(KpiboardError):
    def __init__(self, retry_after_seconds: int) -> None:
        minutes = max(1, -(-retry_after_seconds // 60))
        super().__init__(
            "too many failed sign-in attempts", hint=f"try again in {minutes} minute(s)"
        )
        self.retry_after_seconds = retry_after_seconds


class PermissionDenied(KpiboardError):
    def __init__(self, username: str, action: str, needed: str) -> None:
        super().__init__(
            f"{username} may not {action}",
            hint=f"this needs the {needed} role or above; ask an administrator",
        )
        self.username = username


class LastAdmin(KpiboardError):
    """Refused: the change would leave no active administrator (nobody could then manage
    users from the dashboard)."""

    def __init__(self, username: str, action: str) -> None:
        super().__init__(
            f"{username!r} is the last active admin; {action} would leave nobody to manage users",
            hint="make another user an admin first (`kpiboard users set-role PROJECT USERNAME "
            "admin`), then try again",
        )
        self.username = username


class CommentaryTooLong(KpiboardError):
    def __init__(self, size: int) -> None:
        super().__init__(
            f"commentary is {size:,} characters; the limit is {MAX_COMMENTARY_CHARS:,}",
            hint="shorten it, or link to a longer paper",
        )
        self.size = size


class AlreadyPublished(KpiboardError):
    """A pack for this organisation and month exists; the first publication is kept."""

    def __init__(self, org: str, month: str, published_by: str, published_at: datetime) -> None:
        super().__init__(
            f"the {org} pack for {month} was already published by {published_by} "
            f"on {published_at:%Y-%m-%d at %H:%M} UTC",
            hint="a published pack is never replaced; record corrections in next month's commentary",
        )
        self.org, self.month = org, month
        self.published_by, self.published_at = published_by, published_at


MAX_ENTRY_NOTE_CHARS = 2_000


class NotAnOwner(PermissionDenied):
    """Refused: the measure's ``entry:`` does not name this person (or a role they hold) for
    the step: entering, or approving."""

    def __init__(self, username: str, action: str, measure: str, allowed: list[str]) -> None:
        KpiboardError.__init__(
            self,
            f"{username} may not {action} for {measure}",
            hint=f"its entry: names {', '.join(allowed)}; ask whoever owns the measure's YAML",
        )
        self.username = username


class FourEyes(PermissionDenied):
    """Refused: an approver approving a figure they entered or changed themselves."""

    def __init__(self, username: str, measure: str) -> None:
        KpiboardError.__init__(
            self,
            f"{username} entered or changed this {measure} figure, so may not approve it",
            hint="another approver must approve it (four eyes)",
        )
        self.username = username


class EntryConflict(KpiboardError):
    """Refused: the entry changed since the person read it (someone else saved, submitted,
    approved or returned it meanwhile). ``current`` is the step it is at now."""

    def __init__(self, current: object, based_on: int) -> None:
        number = getattr(current, "number", 0)
        who = getattr(current, "author", None)
        super().__init__(
            f"this figure changed since you opened it (step {based_on}; it is now at step "
            f"{number}" + (f", by {who})" if who else ")"),
            hint="read the current figure, then make your change again",
        )
        self.current = current


class EntryRefused(KpiboardError):
    """Refused: the step does not follow from the entry's state (approving a draft, editing
    a figure waiting for approval), or the figures are not numbers."""
