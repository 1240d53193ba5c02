"""The league table as one self-contained HTML page (inline style, the charts as inline SVG
drawn by vl-convert, nothing fetched): the ski-slope bar chart and, for a rate, the funnel
plot beside it, then the table, the averages, and the funnel plot's figures as a table."""

from __future__ import annotations

from html import escape

from kpiboard.leaguetable import Funnel, FunnelPoint, League
from kpiboard.render.league.bars import league_label, league_svg
from kpiboard.render.league.funnel import funnel_label, funnel_svg
from kpiboard.render.league.words import averages, subtitle, who
from kpiboard.render.registry import RenderOptions


def render_league_html(league: League, options: RenderOptions) -> bytes:
    del options  # the page has no layout options
    return league_page(league).encode()


def _funnel_table(league: League, funnel: Funnel) -> str:
    e = escape
    rows = []
    for p in sorted(funnel.points, key=lambda p: p.population):
        cls = ' class="home"' if p.highlight else ' class="peer"' if p.in_group else ""
        rows.append(
            f'<tr{cls}><th scope="row">{e(p.org.name)}</th><td class="n">{e(p.population_text)}</td>'
            f'<td class="n">{e(p.count_text)}</td><td class="n">{e(p.text)}</td>'
            f'<td class="n">{e(p.limits_95_text)}</td><td class="n">{e(p.limits_998_text)}</td>'
            f"<td>{e(p.position_text)}</td><td>{e(_who_point(p))}</td></tr>"
        )
    return (
        _scroll("Funnel plot figures (table)")
        + f"<table>\n<caption>Funnel plot figures: {e(league.measure.title)}, {e(league.period)}"
        f" (centre {e(funnel.centre_text)})</caption>\n"
        '<thead><tr><th scope="col">Organisation</th><th scope="col">Population</th>'
        '<th scope="col">Count</th><th scope="col">Rate</th><th scope="col">95% limits</th>'
        '<th scope="col">99.8% limits</th><th scope="col">Position</th>'
        '<th scope="col">Note</th></tr></thead>\n<tbody>\n'
        + "\n".join(rows)
        + f"\n</tbody>\n</table>\n</div>\n<p>{e(funnel.method)}.</p>\n"
    )


def _who_point(p: FunnelPoint) -> str:
    return "this organisation" if p.highlight else "peer" if p.in_group else ""


# A chart or table wider than the screen (at 200% zoom, on a phone) scrolls inside its own
# labelled region, which takes the keyboard focus so it can be scrolled without a mouse; the
# page itself never scrolls sideways.
_STYLE = """
body{font-family:'DejaVu Sans',Verdana,Arial,sans-serif;color:#1a1a1a;margin:0}
main{margin:1.5rem;max-width:60rem}
table{border-collapse:collapse;margin:0}caption{text-align:left;font-weight:bold;padding:.3rem 0}
th,td{padding:.2rem .6rem;border-bottom:1px solid #ddd}td.n{text-align:right}
tr.home td{font-weight:bold;background:#ffebee}tr.peer td{background:#fff3e0}
figure{margin:1rem 0;min-width:0;max-width:100%}.charts{display:flex;flex-wrap:wrap;gap:1rem;align-items:flex-start}
figcaption{font-size:.9rem;color:#444}
.scroll{overflow-x:auto;position:relative;max-width:100%}div.scroll{margin:1rem 0}figure .scroll{margin:0}
.scroll:focus-visible{outline:3px solid #1a1a1a;outline-offset:3px;box-shadow:0 0 0 3px #ffbf47}
@media (max-width:40rem){main{margin:1rem .5rem}}
@media print{.scroll{overflow:visible}figure svg{max-width:100%;height:auto}}
"""


def _scroll(label: str) -> str:
    """The opening of a scroll region: focusable (so a keyboard can scroll it) and named."""
    return f'<div class="scroll" role="region" tabindex="0" aria-label="{escape(label)}">'


def _funnel_html(league: League) -> str:
    """The funnel plot and its figures, for a rate; nothing otherwise."""
    funnel = league.funnel
    if funnel is None or not funnel.points:
        return ""
    label = funnel_label(league, funnel)
    return (
        f'<figure class="funnel">{_scroll("Funnel plot")}{funnel_svg(league, funnel)}</div>'
        f"<figcaption>{escape(label)}</figcaption></figure>\n"
    )


def league_page(league: League, *, lang: str = "en", head: str = "", top: str = "") -> str:
    """The page; the PDF adds its language, ``head`` (its print stylesheet and metadata) and
    ``top`` (markup at the start of the body: its running header's words)."""
    e = escape
    label = league_label(league)
    rows = []
    for r in league.rows:
        cls = ' class="home"' if r.highlight else ' class="peer"' if r.in_group else ""
        rows.append(
            f'<tr{cls}><td class="n">{r.rank}</td><th scope="row">{e(r.org.name)}</th>'
            f'<td class="n">{e(r.text)}</td><td>{e(who(r))}</td></tr>'
        )
    notes = "".join(f"<li>{e(line)}</li>" for line in averages(league))
    return (
        f'<!DOCTYPE html>\n<html lang="{e(lang)}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{e(league.title)}</title>\n<style>{_STYLE}</style>\n{head}</head>\n<body>\n<main>\n"
        f"{top}<h1>{e(league.title)}</h1>\n<p>{e(subtitle(league))}</p>\n"
        f'<div class="charts"><figure>{_scroll("Bar chart")}{league_svg(league)}</div>'
        f"<figcaption>{e(label)}</figcaption></figure>\n"
        + _funnel_html(league)
        + "</div>\n"
        + _scroll("League table")
        + f"<table>\n<caption>{e(league.title)}, {e(league.period)}</caption>\n"
        '<thead><tr><th scope="col">Rank</th><th scope="col">Organisation</th>'
        '<th scope="col">Value</th><th scope="col">Note</th></tr></thead>\n<tbody>\n'
        + "\n".join(rows)
        + f"\n</tbody>\n</table>\n</div>\n<ul>{notes}</ul>\n"
        + (_funnel_table(league, league.funnel) if league.funnel and league.funnel.points else "")
        + "</main>\n</body>\n</html>\n"
    )
