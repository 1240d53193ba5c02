"""``--format md``: GitHub-flavoured Markdown, one table per section, the key at the end.

GFM table cells are single lines, so line breaks inside a cell are ``<br>`` (GFM allows
that inline HTML). Text is escaped so a "|" in a title cannot split a cell and a "*" cannot
turn into emphasis.

>>> escape_cell("a | b")
'a \\\\| b'
"""

from __future__ import annotations

import re

from kpiboard.render.registry import RenderOptions
from kpiboard.render.viewmodel import (
    CHILD_MARKER,
    PROVISIONAL_LABEL,
    Line,
    StatusLabel,
    key_entries,
    key_text,
    sections,
)
from kpiboard.scorecard import Scorecard

# Coloured circles for a quick scan; the letter and word carry the meaning.
STATUS_ICONS: dict[str, str] = {"green": "🟢", "amber": "🟠", "red": "🔴", "none": ""}
BR = "<br>"

_SPECIAL = re.compile(r"([\\|*_`])")
# "<" only matters where it could open an HTML tag; "< 3,320" stays readable as typed.
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")


def escape_cell(text: str) -> str:
    """Escape ``text`` for one GFM table cell (pipes, emphasis, code, tags, newlines)."""
    text = _SPECIAL.sub(r"\\\1", text)
    text = _TAG_START.sub("&lt;", text)
    return text.replace("\r\n", "\n").replace("\n", BR)


def status_cell(label: StatusLabel) -> str:
    """``"🟢 G Green"``; ``"–"`` when there is no status."""
    icon = STATUS_ICONS.get(label.key, "")
    return f"{icon} {label.text}" if icon else label.text


def render_markdown(scorecard: Scorecard, options: RenderOptions) -> bytes:
    """The scorecard as a Markdown document (UTF-8, ends with a newline)."""
    del options  # Markdown viewers do their own wrapping
    out: list[str] = [f"# {escape_cell(scorecard.title)}", ""]
    out.append(
        f"**{escape_cell(scorecard.organisation.name)}** · as of {scorecard.as_of_text} · "
        f"financial year {scorecard.financial_year}"
    )
    if scorecard.subtitle:
        out += ["", f"*{escape_cell(scorecard.subtitle)}*"]
    header = (
        "Ref",
        "Key performance indicator",
        f"Target {scorecard.financial_year}",
        "Status",
        "Latest data",
        "Comments",
    )
    for section in sections(scorecard):
        out += ["", f"## {escape_cell(section.name)}", ""]
        out.append(_row(header))
        out.append(_row(("---",) * len(header)))
        out.extend(_row(_cells(line)) for line in section.lines)
    entries = key_entries(scorecard)
    if entries or scorecard.notes:
        out.append("")
    if entries:
        key = "; ".join(
            f"{STATUS_ICONS.get(label.key, '')} {escape_cell(key_text(label, meaning))}".strip()
            for label, meaning in entries
        )
        out.append(f"**Performance assessment key:** {key}")
    for note in scorecard.notes:
        out += ["", escape_cell(note)]
    return ("\n".join(out) + "\n").encode("utf-8")


def _row(cells: tuple[str, ...]) -> str:
    return "| " + " | ".join(cells) + " |"


def _cells(line: Line) -> tuple[str, ...]:
    row = line.row
    title = escape_cell(row.title)
    if line.is_child:
        # Markdown collapses leading spaces; non-breaking ones keep the indent visible.
        title = "&nbsp;&nbsp;" * (line.depth - 1) + f"{CHILD_MARKER} {title}"
    else:
        title = f"**{title}**"
    if row.reference:
        title += f" [{escape_cell(row.reference)}]"
    if line.label and row.target is not None:
        title += f" *({line.label})*"
    if row.description:
        title += f"{BR}{escape_cell(row.description)}"
    if row.derived is not None:
        title += f"{BR}Derived: {escape_cell(row.derived.text)}"
    latest = escape_cell(line.latest)
    if line.provisional:
        latest += f" ({PROVISIONAL_LABEL})"
    if line.latest_period:
        latest += f"{BR}{escape_cell(line.latest_period)}"
    if line.stale:
        latest += f"{BR}**({escape_cell(line.stale)})**"
    if line.revised:
        latest += f"{BR}**({escape_cell(line.revised)})**"
    return (
        f"**{escape_cell(line.ref)}**" if line.ref else "",
        title,
        escape_cell(line.target),
        status_cell(line.status),
        latest,
        BR.join(_comments(line)),
    )


def _comments(line: Line) -> list[str]:
    """Reason first (why this status), the SPC verdict, then facts (ranks among them) and
    milestones."""
    items: list[str] = []
    if line.row.status_reason:
        items.append(f"*{escape_cell(line.row.status_reason)}*")
    items.extend(escape_cell(note) for note in line.spc_notes)
    items.extend(f"• {escape_cell(fact)}" for fact in line.row.facts)
    items.extend(f"Milestone: {escape_cell(m)}" for m in line.milestones)
    return items
