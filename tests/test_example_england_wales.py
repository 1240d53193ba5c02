"""examples/england-wales-2017-18: each KPI's count, rate per 1,000 and rank of 43 equal an
independent computation from the raw Home Office rows and the census table with pandas."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from kpiboard.cli import app

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "england-wales-2017-18"
NOT_FORCES = {"Action Fraud", "CIFAS", "UK Finance", "Financial Fraud Action UK", "British Transport Police"}
KPIS = {  # title -> (column, values); None: every offence
    "Total recorded crime (excluding fraud)": None,
    "Violence with injury": ("Offence_Subgroup", ["Violence with injury"]),
    "Residential (domestic) burglary": ("Offence_Subgroup", ["Domestic burglary"]),
    "Robbery": ("Offence_Group", ["Robbery"]),
    "Vehicle offences": ("Offence_Subgroup", ["Theft from a vehicle", "Theft of a motor vehicle",
                                              "Vehicle interference"]),
    "Possession of weapons": ("Offence_Group", ["Possession of weapons offences"]),
}
# the census file names forces as ONS does; the table as the Home Office does
CENSUS_NAME = {"Metropolitan Police": "Metropolitan", "London, City of": "City of London",
               "Avon and Somerset": "Avon & Somerset", "Devon and Cornwall": "Devon & Cornwall"}


@pytest.fixture(scope="module")
def raw() -> tuple[pd.DataFrame, pd.Series]:
    prc = pd.read_csv(EXAMPLE / "data" / "home-office-prc-pfa-2017-18.zip")
    prc = prc[~prc["Force_Name"].isin(NOT_FORCES)]
    census = pd.read_csv(EXAMPLE / "data" / "census-2011-ethnic-group-by-police-force-area.csv")
    population = census.set_index(census.columns[0])[census.columns[1]]
    return prc, population


def report_for(tmp_path_factory: pytest.TempPathFactory, org: str) -> dict[str, Any]:
    root = tmp_path_factory.getbasetemp() / "ew"
    if not root.exists():
        shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".kpiboard"))
    result = CliRunner().invoke(app, ["report", str(root), "--as-of", "2018-03", "--org", org,
                                      "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def quarter_counts(prc: pd.DataFrame, quarter: int, kpi: tuple[str, list[str]] | None) -> pd.Series:
    rows = prc[prc["Financial_Quarter"] == quarter]
    if kpi is not None:
        rows = rows[rows[kpi[0]].isin(kpi[1])]
    return rows.groupby("Force_Name")["Number_of_Offences"].sum()


@pytest.mark.parametrize("force", ["West Yorkshire", "Metropolitan Police", "London, City of", "Dyfed-Powys"])
def test_counts_rates_and_ranks_equal_a_pandas_computation(
    tmp_path_factory: pytest.TempPathFactory, raw: tuple[pd.DataFrame, pd.Series], force: str
) -> None:
    prc, population = raw
    report = report_for(tmp_path_factory, force)
    rows = {}
    for r in report["rows"]:
        rows[r["title"]] = r
        for c in r["children"]:
            rows[c["title"]] = c
    pop = population[CENSUS_NAME.get(force, force)]
    for title, kpi in KPIS.items():
        q4, q1 = quarter_counts(prc, 4, kpi), quarter_counts(prc, 1, kpi)
        count = rows[title]
        assert count["latest"]["value"] == q4[force] and count["latest"]["period"] == "Q4 2017/18", title
        assert count["comparator"]["value"] == q1[force] and count["comparator"]["period"] == "Q1 2017/18"
        rate = rows[f"{title} per 1,000 residents"]
        assert rate["latest"]["value"] == pytest.approx(q4[force] / pop * 1000), title
        # rank of 43, lower is better, ties sharing the better rank
        rates = {f: q4[f] / population[CENSUS_NAME.get(f, f)] * 1000 for f in q4.index}
        expected = 1 + sum(v < rates[force] - 1e-12 for v in rates.values())
        (ew,) = rate["ranks"]
        assert (ew["rank"], ew["of"]) == (expected, 43), title


def test_serious_acquisitive_crime_is_the_sum_of_its_parts(
    tmp_path_factory: pytest.TempPathFactory, raw: tuple[pd.DataFrame, pd.Series]
) -> None:
    report = report_for(tmp_path_factory, "West Yorkshire")
    sac = next(r for r in report["rows"] if r["title"].startswith("Serious acquisitive"))
    assert sac["latest"]["value"] == sum(c["latest"]["value"] for c in sac["children"])
    assert len(sac["children"]) == 3
