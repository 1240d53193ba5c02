"""``--format xlsx`` for a league table (``--org all --measure ID``): the members best first
with their ranks and values as numbers, the funnel plot's figures for a rate, and notes."""

from __future__ import annotations

from kpiboard.leaguetable import League
from kpiboard.render.league.words import averages, subtitle, who
from kpiboard.render.registry import RenderOptions
from kpiboard.render.xlsx.numbers import number_format
from kpiboard.render.xlsx.workbook import INTEGER, Column, workbook

HEADER_ROW = 3
LEAGUE_COLUMNS = (
    Column("Rank", 6),
    Column("Rank as written", 10),
    Column("Organisation", 30),
    Column("Organisation id", 16),
    Column("Value", 14),
    Column("Value as written", 14),
    Column("Note", 16),
    Column("This organisation", 10),
    Column("In a peer group", 10),
)
FUNNEL_COLUMNS = (
    Column("Organisation", 30),
    Column("Organisation id", 16),
    Column("Population", 14),
    Column("Count", 12),
    Column("Rate", 10),
    Column("Lower 95% limit", 10),
    Column("Upper 95% limit", 10),
    Column("Lower 99.8% limit", 10),
    Column("Upper 99.8% limit", 10),
    Column("Position", 26),
)


def render_league_xlsx(league: League, options: RenderOptions) -> bytes:
    """The league table as an Excel workbook (the same bytes for the same league table)."""
    del options  # a workbook has no layout options
    nf = number_format(league.measure.unit, league.measure.decimals)
    with workbook(league.as_of, league.title, subtitle(league)) as (book, out):
        ws = book.sheet("League")
        book.title(ws, 0, league.title)
        book.text(ws, 1, 0, subtitle(league))
        book.header(ws, HEADER_ROW, LEAGUE_COLUMNS, HEADER_ROW + len(league.rows))
        r = HEADER_ROW
        for row in league.rows:
            r += 1
            props = {"bold": True} if row.highlight else {}
            book.value(ws, r, 0, row.rank, INTEGER, **props)
            book.text(ws, r, 1, row.rank_text, **props)
            book.text(ws, r, 2, row.org.name, **props)
            book.text(ws, r, 3, row.org.id, **props)
            book.value(ws, r, 4, row.value, nf, **props)
            book.text(ws, r, 5, row.text, **props)
            book.text(ws, r, 6, who(row), **props)
            ws.write_boolean(r, 7, row.highlight)
            ws.write_boolean(r, 8, row.in_group)
        r += 1
        for line in averages(league):
            r += 1
            book.text(ws, r, 0, line, italic=True)
        if league.funnel is not None:
            funnel = league.funnel
            fs = book.sheet("Funnel")
            book.title(fs, 0, f"Funnel plot: rates per {funnel.per_text}")
            book.text(fs, 1, 0, f"Centre line {funnel.centre_text}; {funnel.method}")
            book.header(fs, HEADER_ROW, FUNNEL_COLUMNS, HEADER_ROW + len(funnel.points))
            rate = number_format("", 2)
            r = HEADER_ROW
            for p in funnel.points:
                r += 1
                fs.write_string(r, 0, p.org.name)
                fs.write_string(r, 1, p.org.id)
                book.value(fs, r, 2, p.population, INTEGER)
                book.value(fs, r, 3, p.count, INTEGER)
                book.value(fs, r, 4, p.value, rate)
                book.value(fs, r, 5, p.limits.lower_95, rate)
                book.value(fs, r, 6, p.limits.upper_95, rate)
                book.value(fs, r, 7, p.limits.lower_998, rate)
                book.value(fs, r, 8, p.limits.upper_998, rate)
                fs.write_string(r, 9, p.position_text)
        notes = book.sheet("Notes")
        notes.set_column(0, 0, 22)
        notes.set_column(1, 1, 90)
        facts = [
            ("Measure", f"{league.measure.title} ({league.measure.id})"),
            ("Period", f"{league.period} (to {league.period_end})"),
            ("What was ranked", league.measure.basis),
            ("Group", f"{league.group.name} ({league.group.of} members ranked)"),
            ("As at", league.as_of),
            ("Ranks", "1 is best by the measure's polarity; ties share the better rank"),
        ]
        if league.missing:
            facts.append(("No figure", ", ".join(o.name for o in league.missing)))
        for i, (name, text) in enumerate(facts):
            notes.write_string(i, 0, name, book.fmt(bold=True))
            notes.write_string(i, 1, text)
    return out.getvalue()
