"""A KPI's definition as the KPI page shows it (kpiboard.web.definition): built once from the
catalogue, in the YAML's words, with the source files and the owner last."""

from __future__ import annotations

from webutil import ROOT

from kpiboard.catalogue import load_catalogue
from kpiboard.web.definition import NO_OWNER, NO_SOURCES, definitions


def test_a_rate_counted_from_records_in_the_yamls_words() -> None:
    found = definitions(load_catalogue(ROOT / "examples" / "england-wales-2017-18"))
    got = found["violence_with_injury_rate"]
    assert got.items(["data/prc.zip"]) == [
        ("Measure id", "violence_with_injury_rate"),
        ("Row", "2r"),
        ("Kind", "per population"),
        (
            "What is counted",
            "records of source 'prc' where offence subgroup in Violence with injury",
        ),
        ("Rate", "per 1,000 of the population"),
        ("Unit", "per 1,000"),
        ("Better when", "lower is better"),
        ("Window", "quarter"),
        ("Compared with", "year start"),
        ("Ranked among", "England & Wales"),  # the group by its name, not its id
        ("Source", "counted from the Home Office police recorded crime records (data/prc.zip)"),
        ("Owner", NO_OWNER),
    ]
    assert got.items([])[-2:] == [
        ("Source", f"counted from the Home Office police recorded crime records; {NO_SOURCES}"),
        ("Owner", NO_OWNER),
    ]


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
    ew = definitions(load_catalogue(ROOT / "examples" / "england-wales-2017-18"))
    assert ew["serious_acquisitive"].origin == "sum of its parts 3, 4, 5"
    wy = definitions(load_catalogue(ROOT / "examples" / "west-yorkshire-police-uk"))
    assert {d.origin for d in wy.values()} == {
        "counted from the police.uk street-level crime records"
    }
