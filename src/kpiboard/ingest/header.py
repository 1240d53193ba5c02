"""Checking a CSV header: known columns in any order, the required ones present, typos
answered with the nearest column name."""

from __future__ import annotations

import difflib

from kpiboard.errors import Finding
from kpiboard.ingest.schema import CSV_COLUMNS, REQUIRED_COLUMNS

HEADER_LINE = 1


def _normalise(name: str) -> str:
    # "Period End" and "period-end" are plainly the same column; say nothing about them
    return name.strip().lower().replace(" ", "_").replace("-", "_")


def check_header(cells: list[str], display: str) -> tuple[dict[str, int], list[Finding]]:
    """Map each known column to its position. Findings for unknown, repeated and missing
    columns; columns with a blank name (spreadsheet leftovers) are ignored with a warning."""
    positions: dict[str, int] = {}
    findings: list[Finding] = []
    unknown: dict[str, str] = {}  # the column it probably meant -> what was written

    def error(message: str, hint: str) -> None:
        findings.append(Finding("error", message, display, HEADER_LINE, None, hint))

    for index, raw in enumerate(cells):
        name = _normalise(raw)
        if not name:
            findings.append(
                Finding(
                    "warning",
                    f"column {index + 1} has no name; it is ignored",
                    display,
                    HEADER_LINE,
                    None,
                    "delete the empty column, or give it one of the known names",
                )
            )
        elif name in positions:
            error(f"column {raw.strip()!r} appears twice", "keep one column of each name")
        elif name in CSV_COLUMNS:
            positions[name] = index
        else:
            near = difflib.get_close_matches(name, CSV_COLUMNS, n=1, cutoff=0.6)
            if near:
                unknown.setdefault(near[0], raw.strip())
                error(
                    f"unknown column {raw.strip()!r} (did you mean {near[0]!r}?)",
                    f"rename the column to {near[0]!r}",
                )
            else:
                error(
                    f"unknown column {raw.strip()!r}",
                    "the columns are " + ", ".join(CSV_COLUMNS) + "; remove or rename it",
                )
    for name in REQUIRED_COLUMNS:
        if name not in positions and name not in unknown:  # a typo of it was reported above
            error(
                f"missing required column {name!r}",
                "the header needs at least " + ", ".join(REQUIRED_COLUMNS),
            )
    return positions, findings
