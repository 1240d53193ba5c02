"""``--format table``: the scorecard in the terminal, laid out like the reference paper.

Wide terminals get the paper's six columns (Ref, KPI, Target, Status, Latest data,
Comments). Below :data:`WIDE_MIN` columns a six-column table leaves each cell a few
characters wide, so each KPI is printed as a small block of labelled lines instead.
Either way text wraps; nothing is cut off and no width makes it crash.

Every string goes in as a :class:`rich.text.Text`, never as markup, because titles and
references contain square brackets ("[APACS PI 1.1]") that rich would read as tags.

>>> from kpiboard.render.table import render_table  # doctest: +SKIP
>>> print(render_table(scorecard, width=100, color=False))  # doctest: +SKIP
"""

from __future__ import annotations

from io import StringIO

from rich import box
from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

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

DEFAULT_WIDTH = 120  # for files and pipes, where there is no terminal to measure
WIDE_MIN = 120  # below this the prose columns get too thin to read; use stacked blocks
GRID_MIN = 30  # below this even label/value grids squeeze out their values; plain lines
INDENT = "  "

# Colour only reinforces the letter and word; NO_COLOR terminals lose nothing.
STATUS_STYLES: dict[str, str] = {
    "green": "bold green",
    "amber": "bold dark_orange",
    "red": "bold red",
    "none": "dim",
}


def render_table(scorecard: Scorecard, width: int | None = None, color: bool = False) -> str:
    """The scorecard as terminal text ``width`` columns wide, with ANSI colour if ``color``."""
    width = width or DEFAULT_WIDTH
    console = Console(
        file=StringIO(),
        width=width,
        force_terminal=color,
        color_system="truecolor" if color else None,
        no_color=not color,
        highlight=False,
        markup=False,
        emoji=False,
        legacy_windows=False,
        # Ignore COLUMNS, NO_COLOR, TERM... so output depends only on the arguments.
        _environ={},
    )
    print_table(scorecard, console)
    file = console.file
    assert isinstance(file, StringIO)
    # rich pads every line to the full width; trailing blanks only make diffs noisy.
    return "\n".join(line.rstrip(" ") for line in file.getvalue().split("\n"))


def print_table(scorecard: Scorecard, console: Console) -> None:
    """Print the scorecard to ``console`` (the CLI passes the real terminal's console)."""
    console.print(build_table(scorecard, console.width))


def render_table_bytes(scorecard: Scorecard, options: RenderOptions) -> bytes:
    """The registry's entry point: :func:`render_table` as UTF-8 bytes."""
    return render_table(scorecard, options.width, options.color).encode("utf-8")


def build_table(scorecard: Scorecard, width: int) -> RenderableType:
    """Title, the KPIs (wide table or stacked blocks by ``width``), then the key and notes."""
    if width >= WIDE_MIN:
        body = _wide(scorecard)
    elif width >= GRID_MIN:
        body = _stacked(scorecard)
    else:
        body = _plain(scorecard)
    return Group(_heading(scorecard), body, *_footer(scorecard))


def _heading(scorecard: Scorecard) -> RenderableType:
    title = Text(scorecard.title, style="bold")
    meta = Text(
        f"{scorecard.organisation.name} · as of {scorecard.as_of_text} · "
        f"financial year {scorecard.financial_year}"
    )
    parts: list[RenderableType] = [title, meta]
    if scorecard.subtitle:
        parts.append(Text(scorecard.subtitle, style="italic"))
    return Group(*parts, Text(""))


def _footer(scorecard: Scorecard) -> list[RenderableType]:
    out: list[RenderableType] = []
    entries = key_entries(scorecard)
    if entries:
        key = Text("Performance assessment key: ", style="bold")
        for i, (label, meaning) in enumerate(entries):
            if i:
                key.append("; ")
            key.append(key_text(label, meaning), style=STATUS_STYLES.get(label.key, ""))
        out.append(key)
    for note in scorecard.notes:
        out.append(Text(note, style="dim"))
    return out


def _status(label: StatusLabel) -> Text:
    return Text(label.text, style=STATUS_STYLES[label.key])


def _title(line: Line) -> Text:
    text = Text(INDENT * line.depth)
    if line.is_child:
        text.append(f"{CHILD_MARKER} ")
    text.append(line.title, style="" if line.is_child else "bold")
    if line.row.reference:
        text.append(f" [{line.row.reference}]", style="dim")
    if line.label and line.row.target is not None:
        # The Target cell already says "Tracking measure" when there is no target.
        text.append(f" ({line.label})", style="italic")
    if line.row.description:
        text.append(f"\n{INDENT * line.depth}{line.row.description}", style="dim")
    return text


def _latest(line: Line) -> Text:
    text = Text(line.latest)
    if line.provisional:
        text.append(f" ({PROVISIONAL_LABEL})", style="italic")
    if line.latest_period:
        text.append(f"\n{line.latest_period}", style="dim")
    if line.stale:
        text.append(f"\n({line.stale})", style="bold")
    if line.revised:
        text.append(f"\n({line.revised})", style="bold")
    return text


def _comments(line: Line, with_reason: bool) -> Text:
    """Reason first (why this status) with the SPC verdict, then the facts (ranks among
    them) and milestones."""
    parts: list[Text] = []
    if with_reason and line.row.status_reason:
        parts.append(Text(line.row.status_reason, style="italic"))
    if with_reason:
        parts.extend(Text(note) for note in line.spc_notes)
    parts.extend(Text(f"• {fact}") for fact in line.row.facts)
    parts.extend(Text(f"Milestone: {m}") for m in line.milestones)
    return Text("\n").join(parts)


def _wide(scorecard: Scorecard) -> RenderableType:
    table = Table(box=box.SQUARE, show_lines=True, expand=True, header_style="bold")
    # overflow="fold": a word longer than its column is broken, never cut off with "…".
    # Short columns get fixed widths (so "Target 2009/10" and "(provisional)" fit whole);
    # the two prose columns share what is left.
    table.add_column("Ref", no_wrap=True, min_width=3)
    table.add_column("Key performance indicator", ratio=4, overflow="fold")
    table.add_column(f"Target {scorecard.financial_year}", width=14, overflow="fold")
    # "A Amber" must never wrap between letter and word.
    table.add_column("Status", no_wrap=True, min_width=9)
    table.add_column("Latest data", width=15, overflow="fold")
    table.add_column("Comments", ratio=5, overflow="fold")
    for section in sections(scorecard):
        table.add_row("", Text(section.name, style="bold reverse"), "", "", "", "", style="bold")
        for line in section.lines:
            table.add_row(
                Text(line.ref, style="bold"),
                _title(line),
                Text(line.target),
                _status(line.status),
                _latest(line),
                _comments(line, with_reason=True),
            )
    return table


def _stacked(scorecard: Scorecard) -> RenderableType:
    blocks: list[RenderableType] = []
    target_label = f"Target {scorecard.financial_year}"
    for section in sections(scorecard):
        blocks.append(Rule(Text(section.name, style="bold"), align="left"))
        for line in section.lines:
            head = Table.grid(padding=(0, 1))
            head.add_column(no_wrap=True)
            head.add_column(overflow="fold")
            head.add_row(Text(line.ref or " ", style="bold"), _title(line))
            fields = Table.grid(padding=(0, 1))
            fields.add_column(style="dim", max_width=14, overflow="fold")
            fields.add_column(overflow="fold")
            fields.add_row(target_label, Text(line.target))
            status = _status(line.status)
            if line.row.status_reason:
                status.append(f"\n{line.row.status_reason}", style="italic")
            for note in line.spc_notes:
                status.append(f"\n{note}")
            fields.add_row("Status", status)
            fields.add_row("Latest data", _latest(line))
            comments = _comments(line, with_reason=False)
            if comments.plain:
                fields.add_row("Comments", comments)
            blocks.append(head)
            blocks.append(Padding(fields, (0, 0, 1, 2 + 2 * line.depth)))
    return Group(*blocks)


def _plain(scorecard: Scorecard) -> RenderableType:
    """One wrapped paragraph per field: the last resort for a very narrow terminal."""
    parts: list[RenderableType] = []
    target_label = f"Target {scorecard.financial_year}"
    for section in sections(scorecard):
        parts.append(Text(section.name.upper(), style="bold"))
        for line in section.lines:
            head = Text(f"{line.ref} " if line.ref else "", style="bold")
            head.append_text(_title(line))
            status = Text("Status: ").append_text(_status(line.status))
            parts += [head, Text(f"{target_label}: {line.target}"), status]
            if line.row.status_reason:
                parts.append(Text(line.row.status_reason, style="italic"))
            parts.extend(Text(note) for note in line.spc_notes)
            parts.append(Text("Latest data: ").append_text(_latest(line)))
            comments = _comments(line, with_reason=False)
            parts += [comments, Text("")] if comments.plain else [Text("")]
    return Group(*parts)
