"""A KPI's definition as the KPI page shows it (kpiboard.web.definition): built once from the
catalogue, in the YAML's words, with the source files and the owner last."""

from __future__ import annotations

from webutil import ROOT

from kpiboard.catalogue import load_catalogue
from kpiboard.web.definition import NO_OWNER, NO_SOURCES, definitions


def test_a_count_from_records_and_its_rate_in_the_yamls_words() -> None:
    found = definitions(load_catalogue(ROOT / "examples" / "england-wales-2017-18"))
    got = found["violence_with_injury"]
    assert got.items(["records:prc"]) == [
        ("Measure id", "violence_with_injury"),
        ("Row", "2"),
        ("Kind", "count"),
        (
            "What is counted",
            "records of source 'prc' where offence_subgroup in Violence with injury",
        ),
        ("Better when", "lower is better"),
        ("Window", "quarter"),
        ("Compared with", "year start"),
        ("Source", "records:prc"),
        ("Owner", NO_OWNER),
    ]
    assert got.items([])[-2:] == [("Source", NO_SOURCES), ("Owner", NO_OWNER)]
    # its rate reads the count through a formula (formula: violence_with_injury)
    rate = found["violence_with_injury_rate"].items(["formula"])
    for item in [
        ("Row", "2r"),
        ("Kind", "per population"),
        ("Rate", "per 1,000 of the population"),
        ("Unit", "per 1,000"),
        ("Ranked among", "England & Wales"),  # the group by its name, not its id
    ]:
        assert item in rate
