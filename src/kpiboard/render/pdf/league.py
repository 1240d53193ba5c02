"""One measure's league table as a PDF (``report --org all --measure ID --format pdf``): the
HTML page's charts and tables (:func:`kpiboard.render.league.page.league_page`) with the
PDF's print stylesheet: 43 forces flow over pages with the table's header on each, no row
split, the running header and footer of the board pack."""

from __future__ import annotations

from html import escape

from kpiboard.leaguetable import League
from kpiboard.render.html import environment
from kpiboard.render.league.page import league_page
from kpiboard.render.pdf.write import html_to_pdf, month_start, page_setup, w3c_date
from kpiboard.render.registry import RenderOptions


def league_html(league: League, options: RenderOptions) -> str:
    """The league PDF's HTML (before WeasyPrint)."""
    setup = page_setup(options)
    env = environment()
    css = env.get_template("pdf-print.css").render(page_size=setup.css)
    css += env.get_template("pdf-league.css").render()
    created = w3c_date(month_start(league.as_of))
    e = escape
    org = league.organisation.name if league.organisation else league.group.name
    head = (
        f'<meta name="author" content="{e(org)}">\n'
        f'<meta name="dcterms.created" content="{created}">\n'
        f'<meta name="dcterms.modified" content="{created}">\n'
        f"<style>\n{css}</style>\n"
    )
    marking = (
        f'<p class="marking run-marking">{e(options.marking)}</p>\n' if options.marking else ""
    )
    top = (
        marking + f'<p class="running"><span class="run-org">{e(org)}</span> · '
        f'<span class="run-title">{e(league.measure.title)}</span> · '
        f'<span class="run-period">{e(league.period)}</span></p>\n'
    )
    return league_page(league, lang="en-GB", head=head, top=top)


def render_league_pdf(league: League, options: RenderOptions) -> bytes:
    """The league table as PDF/UA-1, dated the first of its as-of month."""
    return html_to_pdf(league_html(league, options))
