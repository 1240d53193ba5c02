"""examples/england-wales-2017-18: each KPI's count, rate per 1,000 and rank of 43 equal an
independent computation from the raw Home Office rows and the census table with pandas."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from kpiboard.cli import app

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "england-wales-2017-18"
NOT_FORCES = {
    "Action Fraud",
    "CIFAS",
    "UK Finance",
    "Financial Fraud Action UK",
    "British Transport Police",
}
KPIS = {  # title -> (column, values); None: every offence
    "Total recorded crime (excluding fraud)": None,
    "Violence with injury": ("Offence_Subgroup", ["Violence with injury"]),
    "Residential (domestic) burglary": ("Offence_Subgroup", ["Domestic burglary"]),
    "Robbery": ("Offence_Group", ["Robbery"]),
    "Vehicle offences": (
        "Offence_Subgroup",
        ["Theft from a vehicle", "Theft of a motor vehicle", "Vehicle interference"],
    ),
    "Possession of weapons": ("Offence_Group", ["Possession of weapons offences"]),
}
# the census file names forces as ONS does; the table as the Home Office does
CENSUS_NAME = {
    "Metropolitan Police": "Metropolitan",
    "London, City of": "City of London",
    "Avon and Somerset": "Avon & Somerset",
    "Devon and Cornwall": "Devon & Cornwall",
}


@pytest.fixture(scope="module")
def raw() -> tuple[pd.DataFrame, pd.Series]:
    prc = pd.read_csv(EXAMPLE / "data" / "home-office-prc-pfa-2017-18.zip")
    prc = prc[~prc["Force_Name"].isin(NOT_FORCES)]
    census = pd.read_csv(EXAMPLE / "data" / "census-2011-ethnic-group-by-police-force-area.csv")
    population = census.set_index(census.columns[0])[census.columns[1]]
    return prc, population


_REPORTS: dict[str, dict[str, Any]] = {}  # org -> its report, built once for the module


def report_for(tmp_path_factory: pytest.TempPathFactory, org: str) -> dict[str, Any]:
    if org in _REPORTS:
        return _REPORTS[org]
    root = tmp_path_factory.getbasetemp() / "ew"
    if not root.exists():
        shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".kpiboard"))
    result = CliRunner().invoke(
        app, ["report", str(root), "--as-of", "2018-03", "--org", org, "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    _REPORTS[org] = json.loads(result.stdout)
    return _REPORTS[org]


def quarter_counts(prc: pd.DataFrame, quarter: int, kpi: tuple[str, list[str]] | None) -> pd.Series:
    rows = prc[prc["Financial_Quarter"] == quarter]
    if kpi is not None:
        rows = rows[rows[kpi[0]].isin(kpi[1])]
    return rows.groupby("Force_Name")["Number_of_Offences"].sum()


@pytest.mark.parametrize(
    "force", ["West Yorkshire", "Metropolitan Police", "London, City of", "Dyfed-Powys"]
)
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
        assert (
            count["latest"]["value"] == q4[force] and count["latest"]["period"] == "Q4 2017/18"
        ), title
        assert (
            count["comparator"]["value"] == q1[force]
            and count["comparator"]["period"] == "Q1 2017/18"
        )
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


def year_totals_by_sql(
    prc: pd.DataFrame, kpi: tuple[str, list[str]] | None
) -> dict[str, tuple[float, int]]:
    """Force -> (2017/18 total, quarters present), by one DuckDB SQL query over the raw rows,
    independent of kpiboard's reader, warehouse and engine."""
    con = duckdb.connect()
    con.register("prc", prc)
    where = ""
    params: list[object] = []
    if kpi is not None:
        where = f'WHERE "{kpi[0]}" IN (SELECT unnest(?))'
        params.append(kpi[1])
    rows = con.execute(
        f"SELECT Force_Name, sum(Number_of_Offences), count(DISTINCT Financial_Quarter) "
        f"FROM prc {where} GROUP BY Force_Name",
        params,
    ).fetchall()
    return {force: (float(total), int(quarters)) for force, total, quarters in rows}


@pytest.mark.parametrize(
    "force", ["West Yorkshire", "Metropolitan Police", "London, City of", "Dyfed-Powys"]
)
def test_year_totals_rates_ranks_and_verdicts_equal_a_sql_sum_of_the_raw_rows(
    tmp_path_factory: pytest.TempPathFactory, raw: tuple[pd.DataFrame, pd.Series], force: str
) -> None:
    prc, population = raw
    assert set(prc["Financial_Year"]) == {"2017/18"}  # one year: the SQL sum is the year total
    report = report_for(tmp_path_factory, force)
    rows = {}
    for r in report["rows"]:
        rows[r["title"]] = r
        for c in r["children"]:
            rows[c["title"]] = c
    for title, kpi in KPIS.items():
        totals = year_totals_by_sql(prc, kpi)
        total, quarters = totals[force]
        assert quarters == 4
        year = rows[f"{title}, year"]
        assert year["latest"]["value"] == total and year["latest"]["period"] == "2017/18", title
        # the quarterly row's year to date at Q4 is the same total
        assert rows[title]["fytd"]["value"] == total, title
        pop = population[CENSUS_NAME.get(force, force)]
        rate = rows[f"{title} per 1,000 residents, year"]
        assert rate["latest"]["value"] == pytest.approx(total / pop * 1000), title
        rates = {f: t / population[CENSUS_NAME.get(f, f)] * 1000 for f, (t, _) in totals.items()}
        (ew,) = rate["ranks"]
        assert ew["period"] == "2017/18"
        assert (ew["rank"], ew["of"]) == (
            1 + sum(v < rates[force] - 1e-12 for v in rates.values()),
            43,
        )
        # the verdict compares the force with the other 42 forces' pooled year rate
        others = [f for f in totals if f != force]
        other_rate = (
            sum(totals[f][0] for f in others)
            / sum(population[CENSUS_NAME.get(f, f)] for f in others)
            * 1000
        )
        assert ew["peer_value"] == pytest.approx(other_rate), title
        assert ew["verdict"] in (
            "significantly higher",
            "significantly lower",
            "not significantly different",
        )
        assert (ew["verdict"] == "significantly higher") == (
            ew["p_value"] < 0.05 and rates[force] > other_rate
        )


def test_west_yorkshire_year_total_is_the_hand_sum_of_its_four_quarters(
    tmp_path_factory: pytest.TempPathFactory, raw: tuple[pd.DataFrame, pd.Series]
) -> None:
    prc, _ = raw
    report = report_for(tmp_path_factory, "West Yorkshire")
    total = next(
        r for r in report["rows"] if r["title"] == "Total recorded crime (excluding fraud), year"
    )
    by_quarter = [quarter_counts(prc, q, None)["West Yorkshire"] for q in (1, 2, 3, 4)]
    assert total["latest"]["value"] == sum(by_quarter)


SAC_PARTS = ("Residential (domestic) burglary", "Robbery", "Vehicle offences")
SAC = "Serious acquisitive crime (burglary, robbery, vehicle offences)"


def rank_of(rates: dict[str, float], force: str) -> int:
    """Lower is better; equal rates share the better rank."""
    return 1 + sum(v < rates[force] - 1e-12 for v in rates.values())


@pytest.mark.parametrize("force", ["West Yorkshire", "London, City of", "Dyfed-Powys"])
def test_serious_acquisitive_crime_per_1000_and_its_rank_equal_a_pandas_computation(
    tmp_path_factory: pytest.TempPathFactory, raw: tuple[pd.DataFrame, pd.Series], force: str
) -> None:
    """A rate of a composite (``formula: serious_acquisitive``): the quarter's and the year's
    burglary + robbery + vehicle offences per 1,000 residents, ranked among the 43 forces,
    with the verdict against the other 42 forces' pooled rate, from the raw rows."""
    prc, population = raw
    report = report_for(tmp_path_factory, force)
    rows = {r["title"]: r for r in report["rows"]}

    def pop(f: str) -> float:
        return float(population[CENSUS_NAME.get(f, f)])

    def sac(quarters: tuple[int, ...]) -> dict[str, float]:
        out: pd.Series = sum(  # type: ignore[assignment]
            quarter_counts(prc, q, KPIS[part]) for part in SAC_PARTS for q in quarters
        )
        return {f: float(v) for f, v in out.items()}

    for suffix, quarters, period in (
        ("", (4,), "Q4 2017/18"),
        (", year", (1, 2, 3, 4), "2017/18"),
    ):
        counts = sac(quarters)
        assert len(counts) == 43
        rates = {f: counts[f] / pop(f) * 1000 for f in counts}
        rate = rows[f"{SAC} per 1,000 residents{suffix}"]
        assert rate["latest"]["value"] == pytest.approx(rates[force]), suffix
        assert rate["latest"]["period"] == period
        (ew,) = rate["ranks"]
        assert (ew["rank"], ew["of"], ew["period"]) == (rank_of(rates, force), 43, period)
        others = [f for f in counts if f != force]
        other_rate = sum(counts[f] for f in others) / sum(pop(f) for f in others) * 1000
        assert ew["peer_value"] == pytest.approx(other_rate), suffix
        assert (ew["verdict"] == "significantly higher") == (
            ew["p_value"] < 0.05 and rates[force] > other_rate
        )
    # the quarter's rate reads the same counts as the composite's count row
    quarter = rows[f"{SAC} per 1,000 residents"]
    assert quarter["latest"]["value"] == pytest.approx(
        rows[SAC]["latest"]["value"] / pop(force) * 1000
    )
