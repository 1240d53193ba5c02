"""The dashboard's addresses: a KPI's permalink, and a month as a URL writes it."""

from __future__ import annotations

from urllib.parse import quote

from kpiboard.errors import KpiboardError
from kpiboard.periods import format_month, parse_month
from kpiboard.render import SCORECARD
from kpiboard.web.service import NotFound


def kpi_path(org: str, month: str, measure: str) -> str:
    return f"/scorecard/{quote(org, safe='')}/{month}/kpi/{quote(measure, safe='')}"


def month_text(text: str) -> str:
    """A month from a URL as YYYY-MM, whether or not the data cover it (packs may be of months
    the data no longer cover); NotFound when it is not a month."""
    try:
        m = parse_month(text)
    except KpiboardError as exc:
        raise NotFound(
            f"{text!r} is not a month: {exc.message}", hint="months are written YYYY-MM"
        ) from None
    return format_month(m)


def summary_path(org: str, month: str) -> str:
    """The month's executive summary: its draft from the figures and its edited text."""
    return f"/scorecard/{quote(org, safe='')}/{month}/executive-summary"


# how the download links name the formats
FORMAT_NAMES = {
    "html": "HTML",
    "pdf": "PDF",
    "xlsx": "Excel workbook",
    "csv": "CSV",
    "csv-excel": "CSV for Excel",
    "json": "JSON",
    "md": "Markdown",
}


def download_formats() -> list[tuple[str, str]]:
    """The scorecard's formats the dashboard offers for download (all but the terminal table),
    with the names the links give them."""
    return [(f, FORMAT_NAMES.get(f, f.upper())) for f in SCORECARD.formats if f != "table"]
