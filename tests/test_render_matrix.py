"""The Making Data Count matrix (variation × assurance) of the reference scorecard: every row
with SPC in exactly one place, the place its icons say."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kpiboard.cli.report import scorecard_of
from kpiboard.render.matrix import ASSURANCES, VARIATIONS, mdc_matrix
from kpiboard.render.viewmodel import sections
from kpiboard.scorecard import Scorecard

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "met-cpa-2009-10"


@pytest.fixture(scope="module")
def card(tmp_path_factory: pytest.TempPathFactory) -> Scorecard:
    root = tmp_path_factory.mktemp("matrix") / "met"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".kpiboard"))
    return scorecard_of(root, "2009-08", None)


def test_each_row_in_its_cell(card: Scorecard) -> None:
    m = mdc_matrix(sections(card))
    where: dict[str, tuple[str, str | None]] = {}
    for row_cells in m.cells:
        for cell in row_cells:
            for line in cell.lines:
                assert line.row.measure not in where
                where[line.row.measure] = (cell.variation, cell.assurance.value)
    for line in m.no_target:
        where[line.row.measure] = ("no_target", None)
    for line in m.neutral:
        where[line.row.measure] = ("neutral", None)
    # classified independently from the icons the engine wrote
    group = {"improvement": "improvement", "concern": "concern", "common": "common_cause"}
    expected: dict[str, tuple[str, str | None]] = {}
    for row in card.all_rows():
        if row.spc is None:
            continue
        v = row.spc.variation.value
        kind = next((g for k, g in group.items() if v.startswith(k)), "neutral")
        if kind == "neutral":
            expected[row.measure] = ("neutral", None)
        elif row.spc.assurance is None:
            expected[row.measure] = ("no_target", None)
        else:
            expected[row.measure] = (kind, row.spc.assurance.value)
    assert where == expected
    assert m.without_spc == sum(1 for r in card.all_rows() if r.spc is None)
    # known answers, read off the reference scorecard's Aug-09 icons
    assert where["user_satisfaction"] == ("common_cause", "consistent_fail")
    assert where["knife_crime"] == ("improvement", "inconsistent")
    assert m.placed + len(m.no_target) + len(m.neutral) + m.without_spc == len(card.all_rows())


def test_the_nine_cells_in_making_data_counts_order() -> None:
    assert [k for k, _, _ in VARIATIONS] == ["improvement", "common_cause", "concern"]
    assert [a.value for a, _ in ASSURANCES] == [
        "consistent_pass",
        "inconsistent",
        "consistent_fail",
    ]
