"""A KPI's definition as the KPI page shows it (kpiboard.web.definition): built once from the
catalogue, in the YAML's words, with the source files and the owner last."""

from __future__ import annotations

from webutil import ROOT

from kpiboard.catalogue import load_catalogue
from kpiboard.web.definition import NO_OWNER, NO_SOURCES, definitions


def test_a_rate_counted_from_records_in_the_yamls_words() -> None:
    found = definitions(load_catalogue(ROOT / "examples" / "england-wales-2017-18"))
    got = found["violence_with_injury_rate"]
    assert got.items(["records:prc"]) == [
        ("Measure id", "violence_with_injury_rate"),
        ("Row", "2r"),
        ("Kind", "per population"),
        (
            "What is counted",
            "records of source 'prc' where offence_subgroup in Violence with injury",
        ),
        ("Rate", "per 1,000 of the population"),
        ("Unit", "per 1,000"),
        ("Better when", "lower is better"),
        ("Window", "quarter"),
        ("Compared with", "year start"),
        ("Ranked among", "England & Wales"),  # the group by its name, not its id
        ("Source", "records:prc"),
        ("Owner", NO_OWNER),
    ]
    assert got.items([])[-2:] == [("Source", NO_SOURCES), ("Owner", NO_OWNER)]
