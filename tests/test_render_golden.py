"""Snapshot tests: each format of the fixture against a reviewed file in tests/golden/.

A change to a renderer shows up as a small, readable diff of the golden file. After an
intended change, regenerate and review the diff:

    KPIBOARD_UPDATE_GOLDEN=1 .venv/bin/pytest -q tests/test_render_golden.py
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest
from fixtures.scorecard_fixture import sample_scorecard

from kpiboard.render import render

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("KPIBOARD_UPDATE_GOLDEN") == "1"

# (golden file, format, width): the table at a wide and a stacked (80-column) width.
CASES = [
    ("scorecard.table-120.txt", "table", 120),
    ("scorecard.table-80.txt", "table", 80),
    ("scorecard.json", "json", None),
    ("scorecard.csv", "csv", None),
    ("scorecard.md", "md", None),
    ("scorecard.html", "html", None),
]


@pytest.mark.parametrize(("name", "fmt", "width"), CASES, ids=[c[0] for c in CASES])
def test_matches_golden_file(name: str, fmt: str, width: int | None) -> None:
    actual = render(sample_scorecard(), fmt, width=width)
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(actual)
        return
    if not path.exists():
        pytest.fail(f"{path} is missing; create it with KPIBOARD_UPDATE_GOLDEN=1")
    expected = path.read_bytes()
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.decode("utf-8").splitlines(keepends=True),
                actual.decode("utf-8").splitlines(keepends=True),
                fromfile=f"golden/{name}",
                tofile="rendered",
            )
        )
        pytest.fail(
            f"{fmt} output differs from golden/{name} (if intended, rerun with "
            f"KPIBOARD_UPDATE_GOLDEN=1 and review the diff):\n{diff}"
        )


def test_rendering_is_deterministic() -> None:
    for _, fmt, width in CASES:
        assert render(sample_scorecard(), fmt, width=width) == render(
            sample_scorecard(), fmt, width=width
        )
