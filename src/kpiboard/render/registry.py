"""The renderer registry: format name -> ``(scorecard, options) -> bytes``.

Built-in formats register themselves through :func:`register`, the same seam an extension
uses, so nothing about ``table`` or ``html`` is special to the caller.

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

from kpiboard.errors import KpiboardError
from kpiboard.scorecard import Scorecard


@dataclass(frozen=True)
class RenderOptions:
    """Layout options a renderer may use; each renderer ignores what does not apply to it.

    ``width`` is the text width in columns (``None``: the renderer's default);
    ``color`` asks for ANSI colour in terminal output.
    ``commentary`` maps a measure id to its commentary (Markdown, rendered inert by
    :mod:`kpiboard.render.commentary`); ``stamp`` lines go under the title (e.g. who published
    a pack, when, from which data version); ``changes`` lists what changed since the previous
    published pack. The HTML renderer shows all three.
    """

    width: int | None = None
    color: bool = False
    commentary: Mapping[str, str] = field(default_factory=dict)
    stamp: tuple[str, ...] = ()
    changes: tuple[str, ...] | None = None  # None: not a pack; () a first pack or no change


Renderer = Callable[[Scorecard, RenderOptions], bytes]

RENDERERS: dict[str, Renderer] = {}
# Kept in registration order (built-ins first) so help text and errors list them stably.
FORMATS: list[str] = []

# Format names appear on the command line (--format NAME) and in file suffixes.
_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")


def register(name: str, renderer: Renderer, *, replace: bool = False) -> None:
    """Make ``renderer`` available as ``--format name``.

    Registering a name twice is an error unless ``replace=True`` (an extension deliberately
    overriding a built-in), so two plugins cannot silently shadow each other.
    """
    if not _NAME.match(name):
        raise KpiboardError(
            f"invalid renderer name {name!r}",
            hint="use lower-case letters, digits, '-' or '_', starting with a letter",
        )
    if name in RENDERERS and not replace:
        raise KpiboardError(
            f"a renderer named {name!r} is already registered",
            hint="pass replace=True to override it on purpose",
        )
    RENDERERS[name] = renderer
    if name not in FORMATS:
        FORMATS.append(name)


def unregister(name: str) -> None:
    """Remove a renderer (tests and extensions that clean up after themselves)."""
    RENDERERS.pop(name, None)
    if name in FORMATS:
        FORMATS.remove(name)


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
    renderer = RENDERERS.get(fmt)
    if renderer is None:
        raise KpiboardError(
            f"unknown format {fmt!r}",
            hint=f"choose one of: {', '.join(FORMATS)}",
            field="format",
        )
    if width is not None and width < 1:
        raise KpiboardError(
            f"width must be a positive number of columns, not {width}", field="width"
        )
    return renderer(
        scorecard, options if options is not None else RenderOptions(width=width, color=color)
    )
