"""The league table of one measure (``report --org all --measure ID``): the engine's League,
its formats, and the england-wales example's 43 forces against the per-force reports and an
independent pandas computation."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from obs import obs, project
from typer.testing import CliRunner

from kpiboard.assemble import assemble_league
from kpiboard.cli import app
from kpiboard.errors import KpiboardError
from kpiboard.leaguetable import League
from kpiboard.periods import parse_month
from kpiboard.render.league import render_league

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "england-wales-2017-18"
NOT_FORCES = {
    "Action Fraud",
    "CIFAS",
    "UK Finance",
    "Financial Fraud Action UK",
    "British Transport Police",
}
CENSUS_NAME = {
    "Metropolitan Police": "Metropolitan",
    "London, City of": "City of London",
    "Avon and Somerset": "Avon & Somerset",
    "Devon and Cornwall": "Devon & Cornwall",
}
COUNT = {
    "id": "c",
    "title": "Crimes",
    "kind": "count",
    "window": "month",
    "polarity": "lower_is_better",
    "ranks": {},
}


# --- a tiny project ---------------------------------------------------------------------------


def tiny(
    tmp_path: Path, values: dict[str, float], polarity: str = "lower_is_better", **kwargs: Any
) -> League:
    cat = project(
        tmp_path,
        [{**COUNT, "polarity": polarity}],
        peer_groups=[
            {"id": "all", "name": "All forces", "members": "all"},
            {"id": "msf", "name": "Similar forces", "members": ["A", "B"]},
        ],
    )
    rows = [
        {"org": o, "measure": "c", "period_end": "2009-08", "numerator": v}
        for o, v in values.items()
    ]
    return assemble_league(cat, obs(rows), parse_month("2009-08"), "c", **kwargs)


def test_ties_share_the_better_rank_and_rows_run_best_first(tmp_path: Path) -> None:
    league = tiny(tmp_path, {"A": 5.0, "B": 9.0, "C": 5.0}, highlight="A")
    assert [(r.org.id, r.rank, r.rank_text) for r in league.rows] == [
        ("A", 1, "=1st/3"),  # a shared rank says so
        ("C", 1, "=1st/3"),
        ("B", 3, "3rd/3"),
    ]
    assert league.group.id == "all" and league.group.of == 3  # the first group it ranks in
    assert [r.org.id for r in league.rows if r.highlight] == ["A"]
    assert [r.org.id for r in league.rows if r.in_group] == ["B"]  # A's similar forces
    assert league.pooled is None  # counts, not rates: no pooled rate
    assert league.mean_of_rates == pytest.approx(19 / 3)
    assert league.period == "Aug-09"


def test_higher_is_better_reverses_the_order(tmp_path: Path) -> None:
    league = tiny(tmp_path, {"A": 5.0, "B": 9.0, "C": 7.0}, polarity="higher_is_better")
    assert [(r.org.id, r.rank) for r in league.rows] == [("B", 1), ("C", 2), ("A", 3)]
    assert not any(r.highlight or r.in_group for r in league.rows)  # nothing highlighted


def test_a_named_group_and_unknown_names(tmp_path: Path) -> None:
    league = tiny(tmp_path, {"A": 5.0, "B": 9.0, "C": 1.0}, group_id="msf", highlight="A")
    assert [r.org.id for r in league.rows] == ["A", "B"]
    assert not any(r.in_group for r in league.rows)  # the league's own group is not "peers"
    with pytest.raises(KpiboardError, match="unknown peer group 'mfs'") as exc:
        tiny(tmp_path, {"A": 5.0, "B": 9.0}, group_id="mfs")
    assert "msf" in (exc.value.hint or "")
    with pytest.raises(KpiboardError, match="unknown measure 'cc'"):
        cat = project(tmp_path, [COUNT])
        assemble_league(cat, obs([]), parse_month("2009-08"), "cc")


def test_formats_lay_out_the_same_rows(tmp_path: Path) -> None:
    league = tiny(tmp_path, {"A": 5.0, "B": 9.0, "C": 7.0}, highlight="A")
    doc = json.loads(render_league(league, "json"))
    assert {"title", "measure", "period", "group", "rows", "pooled", "mean_of_rates"} <= set(doc)
    assert doc["rows"][0] == {
        "rank": 1,
        "rank_text": "1st/3",
        "org": {"id": "A", "name": "Force A"},
        "value": 5.0,
        "text": "5.0",
        "highlight": True,
        "in_group": False,
    }
    rows = list(csv.DictReader(io.StringIO(render_league(league, "csv").decode())))
    assert [r["org_id"] for r in rows] == ["A", "C", "B"] and rows[0]["highlight"] == "true"
    md = render_league(league, "md").decode()
    assert "| 1 | **Force A** | 5.0 | this organisation |" in md
    assert "Force C" in render_league(league, "table").decode()
    with pytest.raises(KpiboardError):
        render_league(league, "docx")


# --- the england-wales example ----------------------------------------------------------------


@pytest.fixture(scope="module")
def ew(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("league") / "ew"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".kpiboard"))
    return root


def invoke(ew: Path, *args: str) -> Any:
    return CliRunner().invoke(app, ["report", str(ew), "--as-of", "2018-03", *args])


@pytest.fixture(scope="module")
def league_json(ew: Path) -> dict[str, Any]:
    result = invoke(ew, "--org", "all", "--measure", "total_crime_rate", "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_example_league_has_43_forces_ranked_by_rate(league_json: dict[str, Any]) -> None:
    rows = league_json["rows"]
    assert len(rows) == 43 and league_json["group"]["of"] == 43
    assert (
        league_json["period"] == "Q4 2017/18" and league_json["measure"]["id"] == "total_crime_rate"
    )
    values = [r["value"] for r in rows]
    assert values == sorted(values)  # lower is better: best first
    for r in rows:  # 1 + the number of strictly lower rates
        assert r["rank"] == 1 + sum(v < r["value"] - 1e-9 for v in values)
    assert [r["org"]["name"] for r in rows if r["highlight"]] == ["West Yorkshire"]
    assert league_json["pooled"] is not None and league_json["mean_of_rates"] is not None


def test_example_league_equals_pandas_and_the_force_reports(
    ew: Path, league_json: dict[str, Any]
) -> None:
    prc = pd.read_csv(EXAMPLE / "data" / "home-office-prc-pfa-2017-18.zip")
    prc = prc[~prc["Force_Name"].isin(NOT_FORCES)]
    census = pd.read_csv(EXAMPLE / "data" / "census-2011-ethnic-group-by-police-force-area.csv")
    population = census.set_index(census.columns[0])[census.columns[1]]
    q4 = prc[prc["Financial_Quarter"] == 4].groupby("Force_Name")["Number_of_Offences"].sum()
    rates = {f: q4[f] / population[CENSUS_NAME.get(f, f)] * 1000 for f in q4.index}
    # the built-in names spell some forces differently from the Home Office: compare values
    assert [r["value"] for r in league_json["rows"]] == pytest.approx(sorted(rates.values()))
    pops = [population[CENSUS_NAME.get(f, f)] for f in q4.index]
    assert league_json["pooled"] == pytest.approx(q4.sum() / sum(pops) * 1000)
    assert league_json["mean_of_rates"] == pytest.approx(sum(rates.values()) / len(rates))
    by_id = {r["org"]["id"]: r for r in league_json["rows"]}
    for force in ("Dyfed-Powys", "Metropolitan Police"):
        result = invoke(ew, "--org", force, "--format", "json")
        assert result.exit_code == 0, result.output
        report = json.loads(result.stdout)
        ours = by_id[report["organisation"]["id"]]
        row = next(r for r in report["rows"] if r["measure"] == "total_crime_rate")
        (rank,) = row["ranks"]
        assert (rank["rank"], rank["of"]) == (ours["rank"], 43)
        assert row["latest"]["value"] == pytest.approx(ours["value"])
        assert rank["group_value"] == pytest.approx(league_json["pooled"])


def test_example_league_html_is_self_contained_with_an_accessible_chart(ew: Path) -> None:
    result = invoke(ew, "--org", "all", "--measure", "total_crime_rate", "--format", "html")
    assert result.exit_code == 0, result.output
    html = result.stdout
    svg = re.search(r"<svg\b[^>]*>", html)
    assert svg is not None and 'role="img"' in svg.group(0) and "aria-label=" in svg.group(0)
    assert "<title>Bar chart of Total recorded crime" in html
    assert "West Yorkshire" in html and "pooled" in html
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html)
    assert "<script" not in html and "<link" not in html


@pytest.mark.parametrize(
    "args, code, words",
    [
        (["--org", "all"], 2, "--org all needs --measure"),
        (["--measure", "total_crime_rate"], 2, "--measure and --group go with --org all"),
        (["--funnel-limits", "poisson"], 2, "--funnel-limits goes with --org all"),
        (["--org", "all", "--measure", "total_crime_rate", "--format", "svg"], 2, "unknown format"),
        (["--org", "all", "--measure", "total_crime_rat"], 1, "did you mean 'total_crime_rate'"),
    ],
)
def test_cli_usage_errors(ew: Path, args: list[str], code: int, words: str) -> None:
    result = invoke(ew, *args)
    assert result.exit_code == code, result.output
    assert words in result.output
