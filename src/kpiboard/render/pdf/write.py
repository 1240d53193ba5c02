"""HTML to PDF with WeasyPrint: the page setup, and the same bytes for the same input.

WeasyPrint is imported here, inside :func:`html_to_pdf`, never at import time: every
command imports the renderers, and only ``--format pdf`` needs it (it takes about a second
to import).

Reproducible: the PDF's dates are the ``created`` passed in (derived from the document:
the as-of month, or when a pack was published; never "now"), its file identifier is a hash
of the HTML, and nothing is fetched (an ``http:`` or ``file:`` URL in the page is refused).
Accessible: PDF/UA-1 (tagged, with the document's title and language in the catalogue).
"""

from __future__ import annotations

import hashlib
import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from kpiboard.errors import KpiboardError
from kpiboard.render.registry import RenderOptions

PAPERS = ("a4", "a3")
ORIENTATIONS = ("landscape", "portrait")
PDF_VARIANT = "pdf/ua-1"
# WeasyPrint's messages that matter to whoever renders: a resource it could not load, an
# image without a text alternative. Its notes on CSS it ignores (the report's screen rules)
# are not the reader's business.
_REPORTED = ("Failed to load", "no required alt", "Error")


class PdfWarning(UserWarning):
    """Something the PDF had to do without (a chart drawn as its text alternative only); the
    command says it on stderr and the PDF is still written."""


@dataclass(frozen=True)
class PageSetup:
    paper: str
    orientation: str

    @property
    def css(self) -> str:
        """``"A4 landscape"``: the CSS ``@page`` size."""
        return f"{self.paper.upper()} {self.orientation}"


def page_setup(options: RenderOptions) -> PageSetup:
    """The paper and orientation asked for, checked (a CLI option or an extension's value)."""
    if options.paper not in PAPERS:
        raise KpiboardError(
            f"unknown paper size {options.paper!r}",
            hint=f"choose one of: {', '.join(PAPERS)}",
            field="paper",
        )
    if options.orientation not in ORIENTATIONS:
        raise KpiboardError(
            f"unknown orientation {options.orientation!r}",
            hint=f"choose one of: {', '.join(ORIENTATIONS)}",
            field="orientation",
        )
    return PageSetup(options.paper, options.orientation)


def w3c_date(when: datetime) -> str:
    """``"2009-08-01T00:00:00Z"``: a PDF date as WeasyPrint reads it from ``dcterms.created``."""
    if when.tzinfo is not None:
        when = when.astimezone(UTC).replace(tzinfo=None)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def month_start(month: str) -> datetime:
    """The first moment of a ``YYYY-MM`` month, in UTC: a document's fixed date."""
    year, number = month.split("-")[:2]
    return datetime(int(year), int(number), 1, tzinfo=UTC)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def _quiet_weasyprint() -> Iterator[_Collect]:
    """WeasyPrint's log, collected instead of printed (it would otherwise list every screen
    CSS rule it ignores on stderr)."""
    logger = logging.getLogger("weasyprint")
    handler = _Collect()
    old_level, old_propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING)
    logger.propagate = False
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
        logger.propagate = old_propagate


def html_to_pdf(html: str) -> bytes:
    """``html`` (a whole document with its ``<title>``, ``lang`` and ``dcterms.created``) as
    PDF/UA-1 bytes; the same HTML always gives the same bytes."""
    try:
        from weasyprint import HTML  # lazy: see the module docstring
        from weasyprint.urls import URLFetcher
    except ImportError:  # pragma: no cover (a dependency; absent only in a broken install)
        raise KpiboardError(
            "PDF output needs WeasyPrint", hint="pip install 'weasyprint>=70,<71'"
        ) from None
    identifier = hashlib.sha256(html.encode("utf-8")).hexdigest()[:32].encode("ascii")
    with _quiet_weasyprint() as log:
        document = HTML(
            string=html,
            base_url=None,
            url_fetcher=URLFetcher(allowed_protocols=("data",)),
        )
        data = document.write_pdf(pdf_variant=PDF_VARIANT, pdf_identifier=identifier)
    for message in log.messages:
        if any(word in message for word in _REPORTED):
            warnings.warn(PdfWarning(f"PDF: {message}"), stacklevel=2)
    if not isinstance(data, bytes):  # pragma: no cover (write_pdf without a target)
        raise TypeError("WeasyPrint returned no bytes")
    return data
