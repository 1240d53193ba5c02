"""Measures counted from record sources: police.uk files through the real warehouse, the
counts equal to a plain count of the CSV rows, and a bad file changing nothing."""

from __future__ import annotations

import csv
import shutil
from collections import Counter
from pathlib import Path

import pytest
import yaml

from kpiboard.catalogue import load_catalogue
from kpiboard.engine import build_scorecard
from kpiboard.errors import ValidationFailed
from kpiboard.periods import parse_month
from kpiboard.warehouse import Warehouse, ingest_project

FIXTURES = Path(__file__).resolve().parent / "data" / "police-uk"
TYPES = ["Burglary", "Vehicle crime", "Anti-social behaviour"]


def make_project(root: Path) -> Path:
    (root / "data" / "police-uk").mkdir(parents=True)
    for f in FIXTURES.glob("*.csv"):
        shutil.copy(f, root / "data" / "police-uk" / f.name)
    (root / "measures").mkdir()
    (root / "kpiboard.yaml").write_text(yaml.safe_dump({
        "title": "West Yorkshire from police.uk", "organisation": "West Yorkshire Police",
        "builtin_organisations": "england-wales", "data": [],
        "sources": [{"id": "street", "type": "police_uk_street",
                     "files": ["data/police-uk/*.csv"], "set_aside": ["British Transport Police"]}],
    }))
    (root / "measures" / "crime.yaml").write_text(yaml.safe_dump({"measures": [
        {"id": t.lower().replace(" ", "_").replace("-", "_"), "title": t, "kind": "count",
         "window": "month", "polarity": "lower_is_better",
         "records": {"source": "street", "where": {"crime_type": [t]}}}
        for t in TYPES
    ]}))
    return root


def plain_counts(month: str) -> Counter[str]:
    path = FIXTURES / f"{month}-west-yorkshire-street.csv"
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return Counter(row["Crime type"] for row in csv.DictReader(fh))


def test_counts_from_records_equal_a_plain_count_of_the_rows(tmp_path: Path) -> None:
    cat = load_catalogue(make_project(tmp_path / "p"))
    summary = ingest_project(cat)
    assert summary.rows == 0  # no tidy observations: everything comes from records
    with Warehouse.open(cat) as wh:
        card = build_scorecard(cat, wh.scorecard_observations(cat), parse_month("2017-07"))
    by_title = {r.title: r for r in card.rows}
    july17, july16 = plain_counts("2017-07"), plain_counts("2016-07")
    for t in TYPES:
        row = by_title[t]
        assert row.latest is not None and row.latest.value == july17[t], t
        assert row.comparator is not None and row.comparator.value == july16[t], t
        assert row.comparator.period == "Jul-16"


def test_a_bad_record_file_changes_nothing(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p")
    cat = load_catalogue(root)
    ingest_project(cat)
    with Warehouse.open(cat) as wh:
        before = wh.records().count().to_pyarrow().as_py()
    bad = root / "data" / "police-uk" / "2017-07-west-yorkshire-street.csv"
    bad.write_text(bad.read_text().replace("Crime ID,", "Crime Id,", 1))
    with pytest.raises(ValidationFailed):
        ingest_project(load_catalogue(root))
    with Warehouse.open(cat) as wh:
        assert wh.records().count().to_pyarrow().as_py() == before


@pytest.mark.parametrize(
    ("records", "kind", "message", "hint"),
    [
        ({"source": "stret", "where": {}}, "count", "records: unknown source 'stret'", "did you mean 'street'?"),
        ({"source": "street", "where": {"crime_typ": ["Burglary"]}}, "count",
         "records: cannot filter on 'crime_typ'", "did you mean 'crime_type'?"),
        ({"source": "street"}, "proportion", "a proportion measure cannot be counted from records", "kind count"),
    ],
)
def test_record_measures_are_checked(tmp_path: Path, records: dict, kind: str, message: str, hint: str) -> None:
    from obs import project

    with pytest.raises(ValidationFailed) as exc:
        project(tmp_path, [{"id": "m", "title": "M", "kind": kind, "records": records}],
                sources=[{"id": "street", "type": "police_uk_street", "files": ["data/*.csv"]}])
    found = [f for f in exc.value.findings if f.subject == "m"]
    assert found and found[0].message == message and hint in (found[0].hint or "")
    assert found[0].line is not None


def test_a_zipped_source_is_not_stale_after_its_ingest(tmp_path: Path) -> None:
    import zipfile

    from kpiboard.warehouse.ingest_run import source_files

    root = make_project(tmp_path / "p")
    police = root / "data" / "police-uk"
    archive = police / "street.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for f in sorted(police.glob("*.csv")):
            z.write(f, f"{f.name[:7]}/{f.name}")
            f.unlink()
    config = root / "kpiboard.yaml"
    config.write_text(config.read_text().replace("data/police-uk/*.csv", "data/police-uk/*.zip"))
    cat = load_catalogue(root)
    ingest_project(cat)
    with Warehouse.open(cat) as wh:
        assert not wh.is_stale(source_files(cat))  # the members' hashes match what was loaded
    with zipfile.ZipFile(archive) as z:  # one member's content changes
        members = {name: z.read(name) for name in z.namelist()}
    name = next(n for n in members if n.startswith("2017-07"))
    members[name] = members[name].replace(b"Burglary", b"Robbery", 1)
    with zipfile.ZipFile(archive, "w") as z:
        for member, data in members.items():
            z.writestr(member, data)
    with Warehouse.open(cat) as wh:
        assert wh.is_stale(source_files(cat))
