"""A KPI's definition as the KPI page shows it (kpiboard.web.definition): built once from the
catalogue, in the YAML's words, with the source files and the owner last."""

from __future__ import annotations

import shutil
from html import unescape
from pathlib import Path

from fastapi.testclient import TestClient
from webutil import EXAMPLE, MONTH, ORG, ROOT

from kpiboard.catalogue import load_catalogue
from kpiboard.catalogue.schema import Dashboard
from kpiboard.web.app import create_app
from kpiboard.web.db import AppStore
from kpiboard.web.definition import NO_OWNER, NO_SOURCES, definitions
from kpiboard.web.service import ScorecardService


def test_a_count_from_records_in_the_yamls_words() -> None:
    found = definitions(load_catalogue(ROOT / "examples" / "england-wales-2017-18"))
    got = found["violence_with_injury"]
    assert got.items(["data/prc.zip"]) == [
        ("Measure id", "violence_with_injury"),
        ("Row", "2"),
        ("Kind", "count"),
        (
            "What is counted",
            "records of source 'prc' where offence subgroup in Violence with injury",
        ),
        ("Better when", "lower is better"),
        ("Window", "quarter"),
        ("Compared with", "year start"),
        ("Source", "counted from the Home Office police recorded crime records (data/prc.zip)"),
        ("Owner", NO_OWNER),
    ]
    assert got.items([])[-2:] == [
        ("Source", f"counted from the Home Office police recorded crime records; {NO_SOURCES}"),
        ("Owner", NO_OWNER),
    ]
    rate = found["violence_with_injury_rate"].items([])
    assert ("Rate", "per 1,000 of the population") in rate
    assert ("Ranked among", "England & Wales") in rate  # the group by its name, not its id


# a derived measure added to a copy of the example: its formula for a person and as written
SHARE = """\
measures:
  - id: msv_share
    row: 3z
    section: Safety
    title: Most serious violence as a share of MSV and AWI
    unit: "%"
    kind: proportion
    polarity: lower_is_better
    formula: msv / msv_awi
"""
SHARE_TEXT = (
    "Most serious violence rate [3a] ÷ "
    "Most serious violence (MSV) and assault with injury (AWI) × 100"
)


def test_a_derived_measure_is_defined_by_its_formula_on_the_kpi_page(
    tmp_path: Path, app_store: AppStore
) -> None:
    root = tmp_path / "met"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".kpiboard"))
    (root / "measures" / "4-derived.yaml").write_text(SHARE, encoding="utf-8")
    service = ScorecardService.open(root)
    try:
        got = definitions(service.catalogue)["msv_share"].items([])
        at = got.index(("Kind", "proportion"))
        assert got[at + 1 : at + 3] == [
            ("Derived", SHARE_TEXT),
            ("Formula", "msv / msv_awi"),
        ]
        assert all(
            label not in ("Derived", "Formula")
            for label, _ in definitions(service.catalogue)["msv"].items([])
        )
        app = create_app(service, app_store, Dashboard(anonymous_read=True))
        client = TestClient(app, base_url="http://127.0.0.1", follow_redirects=False)
        page = client.get(f"/scorecard/{ORG}/{MONTH}/kpi/msv_share")
        assert page.status_code == 200, page.text
        html = unescape(page.text)
        assert f"<dt>Derived</dt><dd>{SHARE_TEXT}</dd>" in html
        assert "<dt>Formula</dt><dd>msv / msv_awi</dd>" in html
        api = client.get(f"/api/scorecards/{ORG}/{MONTH}/kpis/msv_share").json()
        assert api["definition"]["Derived"] == SHARE_TEXT
    finally:
        service.close()


def test_every_example_says_where_each_measures_figures_come_from() -> None:
    """A measure made from others says how, naming them as a person finds them (rows, titles),
    never "no data loaded" because its data belong to its parts."""
    met = definitions(load_catalogue(ROOT / "examples" / "met-cpa-2009-10"))
    assert met["serious_acquisitive"].origin == (
        "sum of its parts Residential burglary, Robbery, Motor vehicle crime"
    )
    assert met["satisfaction_gap"].origin == (
        "User satisfaction with overall service, white victims minus User satisfaction with "
        "overall service, black and minority ethnic victims"
    )
    ratio = met["recruits_minority"]
    assert ratio.origin == (
        "the ratio of Police officer recruits from minority ethnic groups to People from "
        "minority ethnic groups in the economically active population"
    )
    assert dict(ratio.items(["data/corporate.csv"]))["Source"] == (
        f"{ratio.origin} (data/corporate.csv)"
    )
    assert "recruits_minority_share" not in dict(ratio.items([]))["Computed from"]
    assert met["msv"].origin is None  # read as loaded: the files alone
    assert dict(met["msv"].items(["data/crime.csv"]))["Source"] == "data/crime.csv"
    assert dict(met["counter_terrorism"].items([]))["Source"] == NO_SOURCES
    assert dict(met["networks_disrupted"].items(["data/operations.csv"]))["Source"] == (
        "entered on the dashboard from 2009-09; earlier months from the data files "
        "(data/operations.csv)"
    )
    ew = definitions(load_catalogue(ROOT / "examples" / "england-wales-2017-18"))
    assert ew["serious_acquisitive"].origin == "sum of its parts 3, 4, 5"
    wy = definitions(load_catalogue(ROOT / "examples" / "west-yorkshire-police-uk"))
    assert {d.origin for d in wy.values()} == {
        "counted from the police.uk street-level crime records"
    }
