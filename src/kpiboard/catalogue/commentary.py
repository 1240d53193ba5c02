"""Who writes a KPI's commentary, and by when (a measure's ``commentary:``; docs/CATALOGUE.md
"Commentary owners"). A comment is required for an exception row (the dashboard's "commentary
required": red, or SPC special-cause concern); it is due ``due`` working days after the month
ends, and overdue after."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kpiboard.catalogue.entry import ENTER_ROLES

_WHO = r"^(role:[a-z]+|[A-Za-z0-9._-]{1,64})$"


class Commentary(BaseModel):
    """A KPI's commentary owners (usernames, or ``role:<name>`` for every user with that role
    or a higher one) and its due date in working days after the month ends."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    owner: list[str] = Field(
        default_factory=lambda: ["role:editor"],
        min_length=1,
        description='usernames, or "role:editor" for every user with that role',
    )
    due: int = Field(12, ge=1, le=60, description="working days after the month ends")

    @field_validator("owner")
    @classmethod
    def _who(cls, v: list[str]) -> list[str]:
        for who in v:
            if not re.fullmatch(_WHO, who):
                raise ValueError(
                    f"{who!r} is neither a username (letters, digits, . _ -) nor role:<name>"
                )
            if who.startswith("role:") and who[5:] not in ENTER_ROLES:
                raise ValueError(
                    f"{who!r}: a commentary owner is a user or one of "
                    + ", ".join(f"role:{r}" for r in ENTER_ROLES)
                )
        if len(set(v)) != len(v):
            raise ValueError("owner: a name is listed twice")
        return v


# a measure without ``commentary:``: editors write it, due on the 12th working day
DEFAULT = Commentary()
