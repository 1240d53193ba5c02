"""One error hierarchy. The CLI maps KpiboardError to exit code 1 and prints message + hint."""

from __future__ import annotations

from dataclasses import dataclass


class KpiboardError(Exception):
    """A user-facing error: something in the user's input or request is wrong.

    ``where`` is ``file:line`` (or just ``file``) when known, ``field`` the column or key.
    """

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        where: str | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.where = where
        self.field = field

    def __str__(self) -> str:
        parts = []
        if self.where:
            parts.append(f"{self.where}:")
        if self.field:
            parts.append(f"{self.field}:")
        parts.append(self.message)
        text = " ".join(parts)
        if self.hint:
            text += f" ({self.hint})"
        return text


class ValidationFailed(KpiboardError):
    """Raised when a project has error-level findings; carries them all."""

    def __init__(self, findings: list[Finding]) -> None:
        errors = [f for f in findings if f.level == "error"]
        super().__init__(
            f"{len(errors)} error(s) in the project",
            hint="run `kpiboard validate` to see them all",
        )
        self.findings = findings


class UsageError(KpiboardError):
    """A command-line usage mistake (exit code 2)."""


@dataclass(frozen=True)
class Finding:
    """One validation finding: ``LEVEL file:line measure: message (hint)``."""

    level: str  # "error" | "warning"
    message: str
    file: str | None = None
    line: int | None = None
    subject: str | None = None  # measure / organisation id
    hint: str | None = None

    def render(self) -> str:
        where = self.file or "<project>"
        if self.line is not None:
            where += f":{self.line}"
        text = f"{self.level.upper()} {where}"
        if self.subject:
            text += f" {self.subject}"
        text += f": {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text
