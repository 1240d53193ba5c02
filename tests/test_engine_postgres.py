"""The engine runs where the data live: the 2009/10 scorecard computed in a real PostgreSQL
server equals the one computed in the embedded DuckDB file, figure for figure."""

from __future__ import annotations

import shutil
from pathlib import Path

from same_json import assert_same

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
    assert_same(on_postgres, on_duckdb)


DERIVED_MEASURES = """measures:
- {id: solved, title: Solved, kind: count, parent: all_crime}
- {id: other, title: Other, kind: count, parent: all_crime}
- {id: all_crime, title: All crime, kind: composite}
- {id: officers, title: Officers, kind: count}
- {id: satisfied, title: Satisfied, kind: proportion}
- {id: pop, title: Population, kind: snapshot, hidden: true}
- {id: share, title: Share solved, kind: proportion, unit: "%", decimals: 1,
   formula: solved / all_crime, ranks: {groups: [all]}}
- {id: per_officer, title: Crimes per officer, kind: mean, decimals: 2,
   formula: all_crime / officers, window: quarter}
- {id: gap, title: Gap, kind: count, formula: 2 * solved - other, window: fytd}
- {id: gap_year, title: Gap (rate), kind: per_population, per: 1000, population: pop,
   formula: gap + 0.5 * other, ranks: {groups: [all]}}
- {id: pooled, title: Pooled, kind: proportion, formula: satisfied + satisfied}
"""


def _derived_project(root: Path, url: str | None) -> Path:
    root.mkdir()
    (root / "measures").mkdir()
    config = (
        "title: t\norganisation: A\n"
        "organisations: [{id: A, name: Force A}, {id: B, name: Force B}]\n"
        "peer_groups: [{id: all, name: All forces, members: all}]\n"
        "data: [data.csv]\n"
    )
    (root / "kpiboard.yaml").write_text(config + (f"warehouse: {url}\n" if url else ""))
    (root / "measures" / "m.yaml").write_text(DERIVED_MEASURES)
    lines = ["org,measure,period_end,months,numerator,denominator,value,sample_size,provisional"]
    for o, org in enumerate(("A", "B")):
        lines.append(f"{org},pop,2017-04,1,,,{150000 + o * 9000},,")
        for i in range(18):  # Apr-17 .. Sep-18
            y, mth = 2017 + (3 + i) // 12, (3 + i) % 12 + 1
            month = f"{y}-{mth:02d}"
            lines += [
                f"{org},solved,{month},1,{(7 * i + 3 * o) % 11},,,,",
                f"{org},other,{month},1,{20 + (5 * i + o) % 13},,,,{'yes' if i == 17 else ''}",
                f"{org},officers,{month},1,{40 + o},,,,",
                f"{org},satisfied,{month},1,,,{60 + i % 7}.5,{100 + i},",
            ]
    (root / "data.csv").write_text("\n".join(lines) + "\n")
    return root


def test_derived_measures_on_postgres_equal_duckdb(postgres_url: str, tmp_path: Path) -> None:
    """Formulas computed in PostgreSQL (plain Ibis: composites, derived of derived, pooled
    proportions, rates, ranks) give the scorecard DuckDB gives."""
    with Warehouse.from_url(postgres_url) as wh:  # start from empty tables
        wh.backend.raw_sql(
            "DROP TABLE IF EXISTS kpiboard_observations, kpiboard_loads, kpiboard_records, "
            "kpiboard_vintages"
        ).close()
    cards = []
    for name, url in (("duck", None), ("pg", postgres_url)):
        cat = load_catalogue(_derived_project(tmp_path / name, url))
        ingest_project(cat)
        with Warehouse.open(cat) as wh:
            card = assemble_scorecard(cat, wh.reads(cat), parse_month("2018-09")).to_dict()
        cards.append(card)
    rows = {r["measure"]: r for r in cards[0]["rows"]}  # type: ignore[union-attr]
    for mid in ("share", "per_officer", "gap", "gap_year", "pooled"):
        assert rows[mid]["latest"] is not None, mid
    assert_same(cards[1], cards[0])
