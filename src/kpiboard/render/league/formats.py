"""The league table as text: ``table`` (a plain terminal table, 100 columns), ``json`` (the
League's JSON contract), ``csv`` (one line per member) and ``md``."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from kpiboard.leaguetable import League
from kpiboard.render.csvout import EXCEL_LINE_END, for_excel
from kpiboard.render.league.words import averages, subtitle, who
from kpiboard.render.registry import RenderOptions

TABLE_WIDTH = 100


def render_league_table(league: League, options: RenderOptions) -> bytes:
    del options  # a fixed width: the league table is read in a file or a pipe
    return _table(league).encode()


def render_league_json(league: League, options: RenderOptions) -> bytes:
    del options  # JSON has no layout options
    return (json.dumps(league_dict(league), indent=2, ensure_ascii=False) + "\n").encode()


def render_league_csv(league: League, options: RenderOptions) -> bytes:
    del options  # CSV has no layout options
    return _csv(league).encode()


def render_league_csv_excel(league: League, options: RenderOptions) -> bytes:
    """``--format csv-excel``: the ``csv`` columns as Excel opens them (UTF-8 with a
    byte-order mark, CRLF line ends; see :func:`kpiboard.render.csvout.for_excel`)."""
    del options
    return for_excel(_csv(league, EXCEL_LINE_END))


def render_league_markdown(league: League, options: RenderOptions) -> bytes:
    del options  # Markdown has no layout options
    return _markdown(league).encode()


def league_dict(league: League) -> dict[str, Any]:
    """The JSON contract: title, measure, period, group, rows (rank, org, value, text,
    highlight...), pooled, mean_of_rates, and the rest of the League's fields."""
    return league.to_dict()


def _table(league: League) -> str:
    console = Console(
        file=io.StringIO(), width=TABLE_WIDTH, no_color=True, color_system=None, highlight=False
    )
    table = Table(title=Text(league.title), caption=Text(subtitle(league)), box=box.SIMPLE)
    for name, justify in (
        ("Rank", "right"),
        ("Organisation", "left"),
        ("Value", "right"),
        ("Note", "left"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for r in league.rows:
        table.add_row(
            Text(str(r.rank)),
            Text(r.org.name),
            Text(r.text),
            Text(who(r)),
            style="bold" if r.highlight else None,
        )
    console.print(table)
    for line in averages(league):
        console.print(Text(line))
    return console.file.getvalue()  # type: ignore[attr-defined, no-any-return]


def _csv(league: League, line_end: str = "\n") -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=line_end)
    writer.writerow(
        [
            "rank",
            "org_id",
            "org_name",
            "value",
            "text",
            "highlight",
            "in_group",
            "measure",
            "period",
            "group",
        ]
    )
    for r in league.rows:
        writer.writerow(
            [
                r.rank,
                r.org.id,
                r.org.name,
                repr(r.value),
                r.text,
                str(r.highlight).lower(),
                str(r.in_group).lower(),
                league.measure.id,
                league.period,
                league.group.id,
            ]
        )
    return buffer.getvalue()


def _md_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|")


def _markdown(league: League) -> str:
    lines = [
        f"# {_md_cell(league.title)}",
        "",
        _md_cell(subtitle(league)),
        "",
        "| Rank | Organisation | Value | |",
        "|---:|---|---:|---|",
    ]
    for r in league.rows:
        name = f"**{_md_cell(r.org.name)}**" if r.highlight else _md_cell(r.org.name)
        lines.append(f"| {r.rank} | {name} | {_md_cell(r.text)} | {who(r)} |")
    lines.append("")
    lines += [f"- {_md_cell(line)}" for line in averages(league)]
    return "\n".join(lines) + "\n"
