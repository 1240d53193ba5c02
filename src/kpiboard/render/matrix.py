"""The Making Data Count summary matrix: which KPIs sit in which of the nine cells of SPC
variation (special cause improvement, common cause, special cause concern) × assurance against
the target (consistently passing, hit and miss, consistently failing). KPIs whose SPC says
something the nine cells cannot hold — special cause on a measure with no better direction, or
no target to assure against — are listed beside the matrix, and KPIs without SPC are counted.

A layout of what the engine wrote (each row's ``spc.variation`` and ``spc.assurance``): it
computes nothing.

>>> m = mdc_matrix(sections(card))  # doctest: +SKIP
>>> [len(c.lines) for c in m.cells[1]]  # common cause: pass, hit and miss, fail  # doctest: +SKIP
[0, 9, 1]
"""

from __future__ import annotations

from dataclasses import dataclass

from kpiboard.render.viewmodel import Line, SectionView
from kpiboard.vocabulary import Assurance, Variation

# the matrix's rows (variation) and columns (assurance), in Making Data Count's order
VARIATIONS: tuple[tuple[str, str, frozenset[Variation]], ...] = (
    (
        "improvement",
        "Special cause improvement",
        frozenset({Variation.IMPROVEMENT_HIGH, Variation.IMPROVEMENT_LOW}),
    ),
    ("common_cause", "Common cause", frozenset({Variation.COMMON_CAUSE})),
    (
        "concern",
        "Special cause concern",
        frozenset({Variation.CONCERN_HIGH, Variation.CONCERN_LOW}),
    ),
)
ASSURANCES: tuple[tuple[Assurance, str], ...] = (
    (Assurance.CONSISTENT_PASS, "Consistently passing the target"),
    (Assurance.INCONSISTENT, "Hit and miss"),
    (Assurance.CONSISTENT_FAIL, "Consistently failing the target"),
)


@dataclass(frozen=True)
class Cell:
    variation: str  # a key of VARIATIONS
    assurance: Assurance
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class Matrix:
    cells: tuple[tuple[Cell, ...], ...]  # by variation (VARIATIONS' order), then assurance
    no_target: tuple[Line, ...]  # SPC without an assurance (no target, or too few points)
    neutral: tuple[Line, ...]  # special cause on a measure with no better direction
    without_spc: int  # rows with no SPC at all

    @property
    def placed(self) -> int:
        return sum(len(c.lines) for row in self.cells for c in row)

    def rows(self) -> list[tuple[str, tuple[Cell, ...]]]:
        """(the variation in words, its three cells), in the matrix's order."""
        return [(words, cells) for (_, words, _), cells in zip(VARIATIONS, self.cells, strict=True)]


def name(line: Line) -> str:
    """How the matrix names a row: its reference and title; a breakdown with its KPI's
    reference ("4a: Robbery")."""
    if line.ref:
        return f"{line.ref} {line.row.title}"
    return f"{line.parent.id}: {line.row.title}" if line.parent is not None else line.row.title


def mdc_matrix(views: list[SectionView]) -> Matrix:
    """The matrix of the scorecard's rows (children included), in the scorecard's order."""
    lines = [line for section in views for line in section.lines]
    cells = tuple(
        tuple(
            Cell(
                key,
                assurance,
                tuple(
                    line
                    for line in lines
                    if line.row.spc is not None
                    and line.row.spc.variation in variations
                    and line.row.spc.assurance == assurance
                ),
            )
            for assurance, _ in ASSURANCES
        )
        for key, _, variations in VARIATIONS
    )
    placed_variations = frozenset().union(*(v for _, _, v in VARIATIONS))
    with_spc = [line for line in lines if line.row.spc is not None]
    return Matrix(
        cells=cells,
        no_target=tuple(
            line
            for line in with_spc
            if line.row.spc is not None
            and line.row.spc.assurance is None
            and line.row.spc.variation in placed_variations
        ),
        neutral=tuple(
            line
            for line in with_spc
            if line.row.spc is not None and line.row.spc.variation not in placed_variations
        ),
        without_spc=len(lines) - len(with_spc),
    )
