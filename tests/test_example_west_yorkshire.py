"""examples/west-yorkshire-police-uk: the report's counts equal a plain count of the police.uk
rows in the vendored zip, and every change carries its significance."""

from __future__ import annotations

import csv
import io
import json
import shutil
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from kpiboard.cli import app

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "west-yorkshire-police-uk"


def plain_counts() -> dict[str, Counter[str]]:
    """Crime type counts per month, with nothing but the csv module."""
    out: dict[str, Counter[str]] = {}
    with zipfile.ZipFile(next((EXAMPLE / "data").glob("*.zip"))) as z:
        for name in z.namelist():
            with z.open(name) as raw:
                rows = list(csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")))
            out[rows[0]["Month"]] = Counter(r["Crime type"] for r in rows)
    return out


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("wy") / "west-yorkshire-police-uk"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".kpiboard"))
    result = CliRunner().invoke(
        app, ["report", str(root), "--as-of", "2017-07", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_counts_equal_the_rows_of_the_files(report: dict[str, Any]) -> None:
    counts = plain_counts()
    assert set(counts) == {"2016-07", "2017-07"}
    rows = {r["title"]: r for r in report["rows"]}
    assert set(rows) == set(counts["2017-07"])  # one row per published crime type
    assert sum(counts["2017-07"].values()) == 28_537 and sum(counts["2016-07"].values()) == 27_176
    for crime_type, row in rows.items():
        assert row["latest"]["value"] == counts["2017-07"][crime_type], crime_type
        assert row["latest"]["period"] == "Jul-17"
        assert row["comparator"]["value"] == counts["2016-07"][crime_type], crime_type
        assert row["comparator"]["period"] == "Jul-16"


def test_every_change_is_tested(report: dict[str, Any]) -> None:
    assert report["organisation"] == {"id": "E23000010", "name": "West Yorkshire Police"}
    for row in report["rows"]:
        sig = row["significance"]
        assert sig is not None and "exact Poisson" in sig["method"], row["title"]
        assert sig["verdict"] in ("statistically significant", "within normal variation")
        assert row["status"] is None and row["tracking"]
    violence = next(r for r in report["rows"] if r["title"] == "Violence and sexual offences")
    assert violence["significance"]["significant"]  # 6,000 -> 7,503
