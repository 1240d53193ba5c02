"""The police.uk street-level layout: the header's twelve columns, the ones a record keeps, the
crime types data.police.uk publishes, and the check of a file's first line against the header."""

from __future__ import annotations

import csv
import difflib

SOURCE_TYPE = "police_uk_street"
#: The street-level header, in order.
COLUMNS: tuple[str, ...] = (
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Crime type",
    "Last outcome category",
    "Context",
)
#: The columns a record keeps (the others are parsed but never converted).
READ_COLUMNS: tuple[str, ...] = (
    "Crime ID",
    "Month",
    "Falls within",
    "LSOA code",
    "Crime type",
    "Last outcome category",
)
#: The crime types data.police.uk publishes (others are read, with a warning).
CRIME_TYPES = frozenset(
    {
        "Anti-social behaviour",
        "Bicycle theft",
        "Burglary",
        "Criminal damage and arson",
        "Drugs",
        "Other crime",
        "Other theft",
        "Possession of weapons",
        "Public order",
        "Robbery",
        "Shoplifting",
        "Theft from the person",
        "Vehicle crime",
        "Violence and sexual offences",
    }
)
ASB = "Anti-social behaviour"  # the one crime type published without a Crime ID
HEADER_LINE = 1
HEADER_TEXT = ",".join(COLUMNS)


def header_problem(header: str) -> tuple[str, str] | None:
    """What is wrong with a file's first line, as ``(message, hint)``: None if it is the
    street-level header. The message says which columns are missing, unexpected (with the
    nearest right name) or moved; the hint recognises police.uk's other files."""
    found = [c.strip() for c in next(csv.reader([header]))]
    if found == list(COLUMNS):
        return None
    expected = ", ".join(COLUMNS)
    missing = [c for c in COLUMNS if c not in found]
    extra = [c for c in found if c not in COLUMNS]
    details = []
    if not missing and not extra:
        # (not strict: a column given twice makes ``found`` the longer)
        moved = next(c for c, e in zip(found, COLUMNS, strict=False) if c != e)
        details.append(
            f"the same columns in another order ({moved!r} is column "
            f"{found.index(moved) + 1}, not {COLUMNS.index(moved) + 1})"
        )
    for name in extra:
        near = difflib.get_close_matches(name, missing or COLUMNS, n=1, cutoff=0.6)
        details.append(f"unexpected {name!r}" + (f" (did you mean {near[0]!r}?)" if near else ""))
    if missing:
        details.append("missing " + ", ".join(repr(c) for c in missing))
    hint = f"the first line of a police.uk street file is exactly: {HEADER_TEXT}"
    if "Outcome type" in found:
        hint = (
            "this looks like a police.uk outcomes file; only street files (*-street.csv) are read"
        )
    elif "Type" in found and "Part of a policing operation" in found:
        hint = "this looks like a police.uk stop-and-search file; only street files are read"
    return (
        f"wrong header: expected the {len(COLUMNS)} police.uk street columns in this "
        f"order: {expected}; found {len(found)}: {', '.join(found)} ({'; '.join(details)})",
        hint,
    )
