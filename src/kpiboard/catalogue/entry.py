"""Who enters a measure's figures on the dashboard, who approves them, and when they are due
(a measure's ``entry:``; docs/ENTRY.md, docs/CATALOGUE.md "Entered figures")."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from kpiboard.errors import KpiboardError
from kpiboard.periods import parse_month


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# who may enter and approve figures: `role:<name>` for every user with that role (or a higher one)
ENTER_ROLES = ("editor", "approver", "admin")
APPROVE_ROLES = ("approver", "admin")
_WHO = r"^(role:[a-z]+|[A-Za-z0-9._-]{1,64})$"


class Entry(_Strict):
    """Figures entered on the dashboard by their owners and approved by another person
    (docs/ENTRY.md): who enters, who approves, and when a month's figure is due."""

    enter: list[str] = Field(
        min_length=1, description='usernames, or "role:editor" for every user with that role'
    )
    approve: list[str] = Field(
        default_factory=lambda: ["role:approver"],
        min_length=1,
        description="usernames or roles; never the person who entered the figure",
    )
    due: int = Field(10, ge=1, le=60, description="working days after the month ends")
    remind_before: int = Field(
        2,
        ge=0,
        le=20,
        description="working days before the due date that the entry_due reminder is sent "
        "(0: on the due date; never before the first working day after the month ends)",
    )
    confirm_change: float | None = Field(
        None, gt=0, description="% change from last month that needs a confirming note"
    )
    since: str | None = Field(
        None,
        description="the first month entered on the dashboard (YYYY-MM); earlier months may "
        "come from data files. Without it, every month is entered",
    )

    @field_validator("since")
    @classmethod
    def _month(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                parse_month(v)
            except KpiboardError as exc:
                raise ValueError(exc.message) from None
        return v

    @property
    def since_month(self) -> int | None:
        """``since`` as a month index; None: every month is entered."""
        return None if self.since is None else parse_month(self.since)

    def entered(self, month: int) -> bool:
        """Whether ``month``'s figure is entered on the dashboard (else read from data)."""
        first = self.since_month
        return first is None or month >= first

    @field_validator("enter", "approve")
    @classmethod
    def _who(cls, v: list[str], info: ValidationInfo) -> list[str]:
        roles = ENTER_ROLES if info.field_name == "enter" else APPROVE_ROLES
        for who in v:
            if not re.fullmatch(_WHO, who):
                raise ValueError(
                    f"{who!r} is neither a username (letters, digits, . _ -) nor role:<name>"
                )
            if who.startswith("role:") and who[5:] not in roles:
                raise ValueError(
                    f"{who!r}: who may {info.field_name} is a user or one of "
                    + ", ".join(f"role:{r}" for r in roles)
                )
        if len(set(v)) != len(v):
            raise ValueError(f"{info.field_name}: a name is listed twice")
        return v
