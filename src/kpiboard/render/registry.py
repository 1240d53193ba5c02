"""The renderer registry: (document, format) -> ``(document object, options) -> bytes``.

Every output kpiboard writes is one of a few documents, each a frozen object from
:mod:`kpiboard.scorecard`: the scorecard (:data:`SCORECARD`), one measure's league table
(:data:`LEAGUE`), one series through SPC (:data:`SPC_SERIES`) and a published pack
(:data:`PACK`). Each document keeps its own formats; every renderer, built-in or not, is
registered and looked up the same way, and an unknown format is the same error for all of
them (``unknown format 'x'``, the hint listing that document's formats).

A new format is one registration, the same seam the built-ins use
(:mod:`kpiboard.render` registers them all at import):

    SCORECARD.register("pdf", render_pdf)      # or register("pdf", render_pdf)
    LEAGUE.register("xlsx", render_league_xlsx)
    PACK.register("docx", render_pack_docx)

after which ``render(scorecard, "pdf")`` (``SCORECARD.render(scorecard, "pdf")``) and
``kpiboard report --format pdf`` work, and the format is listed in help text and errors.
The module-level :func:`register`, :func:`unregister`, :func:`render`, :data:`RENDERERS` and
:data:`FORMATS` are the scorecard's.

>>> from kpiboard.render.registry import RENDERERS, register, unregister
>>> def plain(scorecard, options):
...     return scorecard.title.encode()
>>> register("title-only", plain)
>>> RENDERERS["title-only"] is plain
True
>>> unregister("title-only")
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from kpiboard.boardpack import PublishedPack
from kpiboard.errors import KpiboardError
from kpiboard.executive import ExecutiveSummary
from kpiboard.leaguetable import League
from kpiboard.scorecard import Scorecard, SpcSeries

T = TypeVar("T")


@dataclass(frozen=True)
class RenderOptions:
    """Layout options a renderer may use; each renderer ignores what does not apply to it.

    ``width`` is the text width in columns (``None``: the renderer's default);
    ``color`` asks for ANSI colour in terminal output.
    ``commentary`` maps a measure id to its commentary (Markdown, rendered inert by
    :mod:`kpiboard.render.commentary`); ``stamp`` lines go under the title (e.g. who published
    a pack, when, from which data version); ``changes`` lists what changed since the previous
    published pack; ``summary`` is a pack's executive summary drafted from the figures, and
    ``summary_text`` the same as an editor rewrote it (Markdown; shown instead of the draft's
    sentences, the draft kept beside it). The HTML renderer shows them all.
    ``paper`` (``a4``, ``a3``), ``orientation`` (``landscape``, ``portrait``) and
    ``marking`` (a protective marking such as ``OFFICIAL``, from the project's
    ``protective_marking``) are the PDF's page setup.
    """

    width: int | None = None
    color: bool = False
    commentary: Mapping[str, str] = field(default_factory=dict)
    stamp: tuple[str, ...] = ()
    changes: tuple[str, ...] | None = None  # None: not a pack; () a first pack or no change
    summary: ExecutiveSummary | None = None
    summary_text: str | None = None
    paper: str = "a4"
    orientation: str = "landscape"
    marking: str | None = None


Renderer = Callable[[Scorecard, RenderOptions], bytes]

# Format names appear on the command line (--format NAME) and in file suffixes.
_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")


class Document(Generic[T]):
    """One kind of document and the formats it can be rendered in.

    ``qualifier`` follows ``unknown format 'x'`` in the error where the format alone would not
    say which list it was looked up in: ``report --format`` takes a league table's formats as
    well as the scorecard's, so the league's error names it.
    """

    def __init__(self, name: str, qualifier: str = "") -> None:
        self.name = name
        self.qualifier = qualifier
        self.renderers: dict[str, Callable[[T, RenderOptions], bytes]] = {}
        # Kept in registration order (built-ins first) so help text and errors list them
        # stably.
        self.formats: list[str] = []

    def __repr__(self) -> str:
        return f"Document({self.name!r}, formats={self.formats!r})"

    def register(
        self,
        fmt: str,
        renderer: Callable[[T, RenderOptions], bytes],
        *,
        replace: bool = False,
    ) -> None:
        """Make ``renderer`` this document's format ``fmt``.

        Registering a name twice is an error unless ``replace=True`` (an extension
        deliberately overriding a built-in), so two plugins cannot silently shadow each other.
        """
        if not _NAME.match(fmt):
            raise KpiboardError(
                f"invalid renderer name {fmt!r}",
                hint="use lower-case letters, digits, '-' or '_', starting with a letter",
            )
        if fmt in self.renderers and not replace:
            raise KpiboardError(
                f"a renderer named {fmt!r} is already registered",
                hint="pass replace=True to override it on purpose",
            )
        self.renderers[fmt] = renderer
        if fmt not in self.formats:
            self.formats.append(fmt)

    def unregister(self, fmt: str) -> None:
        """Remove a format (tests and extensions that clean up after themselves)."""
        self.renderers.pop(fmt, None)
        if fmt in self.formats:
            self.formats.remove(fmt)

    def check(self, fmt: str) -> None:
        """Raise :class:`KpiboardError` naming this document's formats unless ``fmt`` is one
        (callers check before the work of building the document)."""
        self.renderer(fmt)

    def renderer(self, fmt: str) -> Callable[[T, RenderOptions], bytes]:
        """The renderer of format ``fmt``; :class:`KpiboardError` when there is none."""
        renderer = self.renderers.get(fmt)
        if renderer is None:
            raise KpiboardError(
                f"unknown format {fmt!r}{self.qualifier}",
                hint=f"choose one of: {', '.join(self.formats)}",
                field="format",
            )
        return renderer

    def render(self, document: T, fmt: str, options: RenderOptions | None = None) -> bytes:
        """``document`` in format ``fmt``, laid out with ``options`` (defaults when None)."""
        return self.renderer(fmt)(document, options if options is not None else RenderOptions())


SCORECARD: Document[Scorecard] = Document("scorecard")
LEAGUE: Document[League] = Document("league", " for a league table")
SPC_SERIES: Document[SpcSeries] = Document("spc")
PACK: Document[PublishedPack] = Document("pack", " for a board pack")

# What a format is served as (downloads from the dashboard); anything else is plain bytes.
MEDIA_TYPES = {
    "table": "text/plain; charset=utf-8",
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "csv-excel": "text/csv; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "svg": "image/svg+xml",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def media_type(fmt: str) -> str:
    """The media type a file of format ``fmt`` is served as."""
    return MEDIA_TYPES.get(fmt, "application/octet-stream")


# Every document by name, to list each (document, format) pair.
DOCUMENTS: dict[str, Document[Any]] = {d.name: d for d in (SCORECARD, LEAGUE, SPC_SERIES, PACK)}

# The scorecard's, by their names before there were other documents.
RENDERERS = SCORECARD.renderers
FORMATS = SCORECARD.formats


def register(name: str, renderer: Renderer, *, replace: bool = False) -> None:
    """Make ``renderer`` available as ``--format name`` for the scorecard."""
    SCORECARD.register(name, renderer, replace=replace)


def unregister(name: str) -> None:
    """Remove a scorecard format."""
    SCORECARD.unregister(name)


def render(
    scorecard: Scorecard,
    fmt: str,
    options: RenderOptions | None = None,
    *,
    width: int | None = None,
    color: bool = False,
) -> bytes:
    """Render ``scorecard`` in format ``fmt`` (``table``, ``json``, ``csv``, ``md``, ``html``...),
    with ``options`` when given (else ``width`` and ``color``).

    Raises :class:`KpiboardError` naming the valid formats when ``fmt`` is unknown.
    """
    renderer = SCORECARD.renderer(fmt)
    if width is not None and width < 1:
        raise KpiboardError(
            f"width must be a positive number of columns, not {width}", field="width"
        )
    return renderer(
        scorecard, options if options is not None else RenderOptions(width=width, color=color)
    )
