"""What every catalogue rule returns: findings on a measure or on kpiboard.yaml, each at the
line of the key it is about, with a "did you mean" hint where a name is close to a known one."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator

from kpiboard.catalogue.model import Catalogue
from kpiboard.catalogue.yamlfile import Loc
from kpiboard.errors import Finding

#: A rule: the findings of one cross-check over a whole catalogue.
Rule = Callable[[Catalogue], Iterator[Finding]]


def at_measure(
    cat: Catalogue, mid: str, level: str, message: str, hint: str | None = None, at: Loc = ()
) -> Finding:
    """A finding on measure ``mid``, at the line of key ``at`` inside it (or of the measure)."""
    src = cat.sources.get(mid)
    return Finding(
        level, message, src.file if src else None, src.line_at(at) if src else None, mid, hint
    )


def at_project(
    cat: Catalogue, level: str, message: str, hint: str | None = None, at: Loc = ()
) -> Finding:
    """A finding on kpiboard.yaml, at the line of ``at``."""
    return Finding(level, message, "kpiboard.yaml", cat.project_line(at), None, hint)


def did_you_mean(name: str, known: list[str], otherwise: str | None = None) -> str | None:
    near = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return f"did you mean {near[0]!r}?" if near else otherwise
