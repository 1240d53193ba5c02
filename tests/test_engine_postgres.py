"""The engine runs where the data live: the 2009/10 scorecard computed in a real PostgreSQL
server equals the one computed in the embedded DuckDB file, figure for figure."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kpiboard.assemble import assemble_scorecard
from kpiboard.catalogue import load_catalogue
from kpiboard.periods import parse_month
from kpiboard.warehouse import Warehouse, ingest_project

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "met-cpa-2009-10"


def _scorecard(root: Path) -> dict[str, object]:
    cat = load_catalogue(root)
    ingest_project(cat)
    with Warehouse.open(cat) as wh:
        return assemble_scorecard(cat, wh.observations(), parse_month("2009-08")).to_dict()


def test_example_scorecard_on_postgres_equals_duckdb(postgres_url: str, tmp_path: Path) -> None:
    with Warehouse.from_url(postgres_url) as wh:  # start from empty tables
        wh.backend.raw_sql("DROP TABLE IF EXISTS kpiboard_observations, kpiboard_loads").close()
    duck = tmp_path / "duck"
    pg = tmp_path / "pg"
    for root in (duck, pg):
        shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".kpiboard"))
    config = pg / "kpiboard.yaml"
    config.write_text(config.read_text() + f"warehouse: {postgres_url}\n")

    on_duckdb = _scorecard(duck)
    on_postgres = _scorecard(pg)
    assert _same(on_postgres, on_duckdb)


def _same(a: object, b: object, path: str = "") -> bool:
    """Equal, floats to 1e-9 relative (the two databases may sum in a different order)."""
    if isinstance(a, float) and isinstance(b, float):
        assert a == pytest.approx(b, rel=1e-9), path
    elif isinstance(a, dict) and isinstance(b, dict):
        assert a.keys() == b.keys(), path
        for k in a:
            _same(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{path}[{i}]")
    else:
        assert a == b, path
    return True
