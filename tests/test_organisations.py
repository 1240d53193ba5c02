"""Organisations: the built-in 43 forces, how a project extends them, the spellings of the public
files, name normalisation, hints for unknown names, clashes and peer groups by alias."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from obs import monthly, obs

from kpiboard.assemble import assemble_scorecard
from kpiboard.catalogue import Catalogue, load_catalogue
from kpiboard.catalogue.orgs import (
    OrgIndex,
    builtin_forces,
    builtin_organisations,
    normalise_org_name,
)
from kpiboard.errors import Finding, KpiboardError, ValidationFailed
from kpiboard.ingest import read_observations
from kpiboard.periods import parse_month

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
VENDORED = ROOT / "src" / "kpiboard" / "catalogue" / "data" / "forces.csv"
NEEDS_SHARED = pytest.mark.skipif(
    not SHARED.is_dir(), reason=f"the shared data folder {SHARED} is absent"
)

# Home Office PRC rows that are not territorial forces: set aside by importers, never resolved.
NON_TERRITORIAL = [
    "Action Fraud",
    "CIFAS",
    "UK Finance",
    "Financial Fraud Action UK",
    "British Transport Police",
]

MEASURE = {"id": "burglary", "title": "Burglary", "kind": "count", "polarity": "lower_is_better"}


def builtin_index() -> OrgIndex:
    return OrgIndex(builtin_organisations("england-wales"))


def write(root: Path, **settings: Any) -> Path:
    cfg: dict[str, Any] = {
        "title": "Board",
        "organisation": "MPS",
        "builtin_organisations": "england-wales",
    }
    cfg.update(settings)
    cfg = {k: v for k, v in cfg.items() if v is not None}
    (root / "measures").mkdir(parents=True, exist_ok=True)
    (root / "kpiboard.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    (root / "measures" / "m.yaml").write_text(
        yaml.safe_dump({"measures": [MEASURE]}, sort_keys=False)
    )
    return root


def load(root: Path, **settings: Any) -> Catalogue:
    return load_catalogue(write(root, **settings))


def findings(root: Path, **settings: Any) -> list[Finding]:
    with pytest.raises(ValidationFailed) as info:
        load(root, **settings)
    return info.value.findings


# --- the built-in table ------------------------------------------------------------------------


def test_the_builtin_table_is_the_43_territorial_forces() -> None:
    forces = builtin_forces()
    assert len(forces) == 43 and len({f.id for f in forces}) == 43
    assert [f.country for f in forces].count("England") == 39
    assert [f.id for f in forces if f.country == "Wales"] == [
        "W15000001",
        "W15000002",
        "W15000003",
        "W15000004",
    ]
    assert all(re.fullmatch(r"E230000(0[1-9]|[1-3][0-9])|W1500000[1-4]", f.id) for f in forces)
    met = forces[0]
    assert (
        met.id,
        met.name,
        met.force_name,
        met.police_uk_id,
        met.prc_name,
        met.census_2011_name,
    ) == (
        "E23000001",
        "Metropolitan Police",
        "Metropolitan Police Service",
        "metropolitan",
        "Metropolitan Police",
        "Metropolitan",
    )
    assert met.msf_2008_09_peers == ("E23000005", "E23000014", "E23000010")
    assert all(f.msf_2008_09_peers == () for f in forces[1:])


def test_every_builtin_spelling_names_its_own_force_and_no_other() -> None:
    index = builtin_index()
    claimed: dict[str, str] = {}
    for force in builtin_forces():
        for spelling in (force.id, force.name, *force.aliases):
            key = normalise_org_name(spelling)
            assert claimed.setdefault(key, force.id) == force.id, (
                f"{spelling!r}: {claimed[key]} and {force.id}"
            )
            assert index[spelling] == force.id


def test_the_builtin_project_has_no_findings(tmp_path: Path) -> None:
    cat = load(tmp_path)
    assert cat.findings == []
    assert len(cat.project.organisations) == 43
    assert cat.resolve_org("MPS") == cat.resolve_org("metropolitan") == "E23000001"
    assert cat.org_name("E23000034") == "London, City of"
    assert cat.declared_organisations == []


@NEEDS_SHARED
def test_the_vendored_table_is_the_shared_one_plus_census_names_and_aliases() -> None:
    with (SHARED / "forces.csv").open(encoding="utf-8-sig", newline="") as f:
        shared = list(csv.DictReader(f))
    with VENDORED.open(encoding="utf-8", newline="") as f:
        vendored = list(csv.DictReader(f))
    assert [{k: r[k] for k in shared[0]} for r in vendored] == shared


# --- every spelling in the public files --------------------------------------------------------

# Small copies of the names in ../shared/data, so these run without it. (file: names)
SAMPLES: dict[str, list[tuple[str, str]]] = {
    "census 2011 (PFA16NM)": [
        ("Avon & Somerset", "E23000036"),
        ("City of London", "E23000034"),
        ("Devon & Cornwall", "E23000035"),
        ("Metropolitan", "E23000001"),
        ("Dyfed-Powys", "W15000004"),
    ],
    "Home Office PRC (Force_Name)": [
        ("Avon and Somerset", "E23000036"),
        ("London, City of", "E23000034"),
        ("Devon and Cornwall", "E23000035"),
        ("Metropolitan Police", "E23000001"),
        ("Greater Manchester", "E23000005"),
    ],
    "data.police.uk (Reported by, Falls within)": [
        ("West Yorkshire Police", "E23000010"),
        ("Metropolitan Police Service", "E23000001"),
        ("City of London Police", "E23000034"),
        ("Devon & Cornwall Police", "E23000035"),
        ("Avon and Somerset Constabulary", "E23000036"),
    ],
    "data.police.uk force ids": [
        ("metropolitan", "E23000001"),
        ("city-of-london", "E23000034"),
        ("devon-and-cornwall", "E23000035"),
        ("dyfed-powys", "W15000004"),
    ],
    "LSOA lookup (Police_force)": [
        ("Metropolitan Police", "E23000001"),
        ("City of London", "E23000034"),
        ("Devon and Cornwall", "E23000035"),
    ],
}


@pytest.mark.parametrize(
    "name,org_id",
    [p for pairs in SAMPLES.values() for p in pairs],
    ids=[f"{src}: {n}" for src, pairs in SAMPLES.items() for n, _ in pairs],
)
def test_sample_spellings_from_the_public_files_resolve(name: str, org_id: str) -> None:
    assert builtin_index().get(name) == org_id


def _column(path: Path, column: str) -> set[str]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return {row[column] for row in csv.DictReader(f) if row[column].strip()}


def _census_names() -> set[str]:
    with (SHARED / "census-2011-ethnic-group-by-police-force-area.csv").open(
        encoding="utf-8-sig"
    ) as f:
        return {row[0] for row in list(csv.reader(f))[1:]}


@NEEDS_SHARED
@pytest.mark.parametrize("source", ["census", "prc", "police-uk", "lsoa", "forces"])
def test_every_force_name_in_the_shared_files_resolves(source: str) -> None:
    index = builtin_index()
    if source == "census":
        names, expect = _census_names(), 43
    elif source == "prc":
        names = _column(SHARED / "home-office-prc-pfa-2017-18.csv", "Force_Name")
        assert set(NON_TERRITORIAL) <= names
        for body in NON_TERRITORIAL:
            assert body not in index, body
        names, expect = names - set(NON_TERRITORIAL), 43
    elif source == "police-uk":
        names = set()
        for path in sorted((SHARED / "police-uk").glob("*.csv")):
            names |= _column(path, "Reported by") | _column(path, "Falls within")
        expect = len({index.get(n) for n in names})
        assert names == {"West Yorkshire Police"}
    elif source == "lsoa":
        names, expect = (
            _column(SHARED / "lsoa-to-police-force.csv", "Police_force"),
            39,
        )  # England only, incomplete
    else:
        names = set()
        for col in (
            "ons_pfa_code",
            "ons_pfa_name",
            "force_name",
            "data_police_uk_id",
            "prc_force_name",
        ):
            names |= _column(SHARED / "forces.csv", col)
        expect = 43
    unknown = sorted(n for n in names if n not in index)
    assert unknown == []
    assert len({index[n] for n in names}) == expect


@NEEDS_SHARED
def test_shared_names_agree_force_by_force() -> None:
    """The census, PRC and forces.csv spellings of one force all land on its ONS code."""
    index = builtin_index()
    with (SHARED / "forces.csv").open(encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            for col in ("ons_pfa_name", "force_name", "data_police_uk_id", "prc_force_name"):
                assert index[row[col]] == row["ons_pfa_code"], (col, row[col])


# --- normalisation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spelling,org_id",
    [
        ("Avon & Somerset", "E23000036"),
        ("Avon and Somerset", "E23000036"),
        ("avon-and-somerset", "E23000036"),
        ("AVON AND SOMERSET CONSTABULARY", "E23000036"),
        ("Avon & Somerset Constabulary", "E23000036"),
        ("London, City of", "E23000034"),
        ("City of London", "E23000034"),
        ("london , city of", "E23000034"),
        ("city-of-london", "E23000034"),
        ("CoLP", "E23000034"),
        ("Devon & Cornwall", "E23000035"),
        ("Devon and Cornwall Police", "E23000035"),
        ("Metropolitan", "E23000001"),
        ("Metropolitan Police", "E23000001"),
        ("Metropolitan Police Service", "E23000001"),
        ("MPS", "E23000001"),
        ("mps", "E23000001"),
        ("the Met".removeprefix("the "), "E23000001"),
        ("e23000001", "E23000001"),
        ("GMP", "E23000005"),
        ("Greater  Manchester", "E23000005"),
        ("WMP", "E23000014"),
        ("WYP", "E23000010"),
        ("West Yorkshire Police", "E23000010"),
        ("west_yorkshire", "E23000010"),
        ("  West Yorkshire.  ", "E23000010"),
        ("Dyfed Powys", "W15000004"),
        ("DYFED-POWYS POLICE", "W15000004"),
        ("Hampshire and Isle of Wight Constabulary", "E23000030"),
        ("W15000001", "W15000001"),
    ],
)
def test_spellings_resolve(spelling: str, org_id: str) -> None:
    assert builtin_index().get(spelling) == org_id


@pytest.mark.parametrize(
    "text,normal",
    [
        ("Avon & Somerset", "avon and somerset"),
        ("London, City of", "city of london"),
        ("Bristol, City of", "city of bristol"),
        ("Smith, John", "smith john"),  # only the ONS ", X of" form is turned round
        ("King’s Lynn", "kings lynn"),
        ("Ynys Môn", "ynys mon"),
        ("  Dyfed--Powys\t", "dyfed powys"),
        ("W.Y.P.", "wyp"),
        ("M.P.S", "mps"),
        ("St. Helens", "st helens"),
        ("", ""),
    ],
)
def test_normalise_org_name(text: str, normal: str) -> None:
    assert normalise_org_name(text) == normal
    assert normalise_org_name(normal) == normal  # idempotent


def test_the_index_looks_up_by_any_spelling() -> None:
    index = builtin_index()
    assert "Avon & Somerset" in index and "avon-and-somerset" in index and 5 not in index
    assert index.get("Nowhere") is None and index.get("Nowhere", "x") == "x"
    with pytest.raises(KeyError):
        index["Nowhere"]


def test_an_existing_project_matches_names_the_same_way(tmp_path: Path) -> None:
    cat = load(
        tmp_path,
        builtin_organisations=None,
        organisation="GM",
        organisations=[
            {"id": "GM", "name": "Greater Manchester Police", "aliases": ["Greater Manchester"]}
        ],
    )
    assert len(cat.project.organisations) == 1
    assert (
        cat.resolve_org("greater-manchester")
        == cat.resolve_org("GREATER MANCHESTER POLICE")
        == "GM"
    )
    assert cat.org_index().get("greater manchester police") == "GM"


# --- unknown names -----------------------------------------------------------------------------


def test_an_unknown_name_lists_the_nearest_forces_once_each(tmp_path: Path) -> None:
    cat = load(tmp_path)
    with pytest.raises(KpiboardError) as info:
        cat.resolve_org("Wset Yorkshire")
    assert info.value.message == "unknown organisation 'Wset Yorkshire'"
    hint = info.value.hint or ""
    assert hint.startswith("did you mean 'West Yorkshire' (E23000010)")
    ids = re.findall(r"\((E\d+|W\d+)\)", hint)
    assert len(ids) == len(set(ids)) <= 3


def test_an_unknown_name_with_nothing_near_lists_known_forces(tmp_path: Path) -> None:
    with pytest.raises(KpiboardError) as info:
        load(tmp_path).resolve_org("Zzzz")
    assert (info.value.hint or "").startswith(
        "known: 'Metropolitan Police' (E23000001), 'Cumbria' (E23000002)"
    )
    assert (info.value.hint or "").endswith("and 33 more")


def test_hints_are_deterministic(tmp_path: Path) -> None:
    cat = load(tmp_path)
    hints = set()
    for _ in range(3):
        with pytest.raises(KpiboardError) as info:
            cat.resolve_org("Yorkshire")
        hints.add(info.value.hint)
    assert len(hints) == 1
    assert "E23000010" in next(iter(hints)) and "E23000011" in next(iter(hints))


def test_non_territorial_bodies_are_unknown(tmp_path: Path) -> None:
    cat = load(tmp_path)
    for body in NON_TERRITORIAL:
        with pytest.raises(KpiboardError):
            cat.resolve_org(body)


# --- extending the built-ins -------------------------------------------------------------------


def test_a_project_extends_a_builtin_force_and_adds_its_own(tmp_path: Path) -> None:
    cat = load(
        tmp_path,
        organisation="The Met",
        organisations=[
            {
                "id": "E23000001",
                "name": "Metropolitan Police Service",
                "aliases": ["The Met", "MetPol"],
            },
            {"id": "E23000034", "aliases": ["Square Mile"]},
            {"id": "BTP", "name": "British Transport Police", "aliases": ["British Transport"]},
        ],
    )
    assert cat.findings == []
    orgs = cat.project.organisations
    assert (
        len(orgs) == 44 and orgs[0].id == "E23000001" and orgs[-1].id == "BTP"
    )  # built-ins first, in order
    # the project's name wins; the built-in name stays an alias; aliases are added to the built-in ones
    assert cat.org_name("E23000001") == "Metropolitan Police Service"
    for name in ("Metropolitan Police", "Metropolitan", "MPS", "The Met", "metpol"):
        assert cat.resolve_org(name) == "E23000001", name
    # an extension without a name keeps the built-in one
    assert cat.org_name("E23000034") == "London, City of"
    assert cat.resolve_org("square mile") == cat.resolve_org("City of London") == "E23000034"
    assert (
        cat.resolve_org("British Transport") == "BTP"
        and cat.org_name("BTP") == "British Transport Police"
    )


def test_builtin_organisations_alone_or_organisations_alone(tmp_path: Path) -> None:
    [f] = findings(tmp_path / "none", builtin_organisations=None)
    assert (f.line, f.message) == (
        1,
        "give organisations (a list), or builtin_organisations: england-wales",
    )
    [f] = findings(tmp_path / "bad", builtin_organisations="scotland")
    assert f.line == 3 and f.message.startswith(
        "builtin_organisations: Input should be 'england-wales'"
    )


# (organisations, expected findings as (level, line, message, text in the hint))
# kpiboard.yaml lines: 1 title, 2 organisation, 3 builtin_organisations, 4 organisations, 5 its first item
CLASHES: list[tuple[str, list[dict[str, Any]], list[tuple[str, int, str, str]]]] = [
    (
        "a new organisation reusing a built-in id spelling",
        [{"id": "metropolitan", "name": "The Met"}],
        [
            (
                "error",
                5,
                "'metropolitan' names both 'E23000001' and 'metropolitan'",
                "use id: E23000001",
            )
        ],
    ),
    (
        "a new organisation reusing a built-in name",
        [{"id": "X1", "name": "Avon & Somerset"}],
        [("error", 6, "'Avon & Somerset' names both 'E23000036' and 'X1'", "use id: E23000036")],
    ),
    (
        "an extension taking another force's alias",
        [{"id": "E23000001", "aliases": ["GMP"]}],
        [
            (
                "error",
                7,
                "'GMP' names both 'E23000005' and 'E23000001'",
                "an alias must belong to one organisation",
            )
        ],
    ),
    (
        "an alias that only differs by punctuation",
        [
            {"id": "A", "name": "Alpha Force", "aliases": ["A&B"]},
            {"id": "B", "name": "Beta", "aliases": ["a and b"]},
        ],
        [
            (
                "error",
                12,
                "'a and b' names both 'A' and 'B'",
                "an alias must belong to one organisation",
            )
        ],
    ),
    (
        "a new organisation with no name",
        [{"id": "BTP"}],
        [("error", 5, "organisation 'BTP' has no name", "give it a name")],
    ),
    (
        "a new organisation with no name and a built-in spelling",
        [{"id": "GMP"}],
        [("error", 5, "'GMP' names both 'E23000005' and 'GMP'", "use id: E23000005")],
    ),
    (
        "one built-in extended twice",
        [{"id": "E23000001", "aliases": ["X"]}, {"id": "E23000001"}],
        [("error", 8, "duplicate organisation id 'E23000001'", "its own id")],
    ),
]


@pytest.mark.parametrize("orgs,expected", [c[1:] for c in CLASHES], ids=[c[0] for c in CLASHES])
def test_clashes_are_errors_at_their_line(
    tmp_path: Path, orgs: list[dict[str, Any]], expected: list[tuple[str, int, str, str]]
) -> None:
    found = findings(tmp_path, organisations=orgs)
    assert [(f.level, f.line, f.message) for f in found] == [e[:3] for e in expected]
    for f, e in zip(found, expected, strict=True):
        assert f.file == "kpiboard.yaml" and e[3] in (f.hint or ""), f.hint


def test_an_unknown_home_organisation_names_the_nearest(tmp_path: Path) -> None:
    [f] = findings(tmp_path, organisation="West Yorkshre")
    assert (f.line, f.message) == (2, "home organisation 'West Yorkshre' is not in organisations")
    assert f.hint is not None and f.hint.startswith("did you mean 'West Yorkshire' (E23000010)")
    assert f.hint.endswith("Otherwise add it to organisations")


# --- peer groups -------------------------------------------------------------------------------

MSF = {
    "id": "msf",
    "name": "MPS most similar forces",
    "members": ["MPS", "Greater Manchester Police", "west-midlands", "W.Y.P.", "E23000010"],
}


def test_peer_group_members_by_any_spelling_become_ids(tmp_path: Path) -> None:
    msf = {**MSF, "members": MSF["members"][:-1]}
    cat = load(
        tmp_path, peer_groups=[{"id": "ew", "name": "England & Wales", "members": "all"}, msf]
    )
    assert cat.findings == []
    assert cat.project.peer_groups[0].members == "all"
    assert cat.project.peer_groups[1].members == [
        "E23000001",
        "E23000005",
        "E23000014",
        "E23000010",
    ]
    met = builtin_forces()[0]
    assert list(met.msf_2008_09_peers) == cat.project.peer_groups[1].members[1:]


def test_peer_group_problems(tmp_path: Path) -> None:
    groups = [{**MSF, "members": [*MSF["members"], "Merseysde"]}]
    found = load_catalogue(write(tmp_path, peer_groups=groups), raise_on_error=False).findings
    assert [(f.level, f.message) for f in found] == [
        ("warning", "peer group 'msf' names 'E23000010' twice"),
        ("error", "peer group 'msf': unknown organisation 'Merseysde'"),
    ]
    assert found[0].hint == "members 4 and 5 are the same organisation"
    assert (found[1].hint or "").startswith("did you mean 'Merseyside' (E23000004)")


def test_ranks_in_a_peer_group_named_by_alias(tmp_path: Path) -> None:
    measure = {**MEASURE, "ranks": {"groups": ["msf"]}}
    root = write(
        tmp_path,
        peer_groups=[{"id": "msf", "name": "MSF", "members": ["MPS", "GMP", "WMP", "WYP"]}],
    )
    (root / "measures" / "m.yaml").write_text(
        yaml.safe_dump({"measures": [measure]}, sort_keys=False)
    )
    cat = load_catalogue(root)
    counts = {"E23000001": 30, "E23000005": 10, "E23000014": 20, "E23000010": 40, "E23000002": 1}
    rows = [r for org, n in counts.items() for r in monthly(org, "burglary", "2008-09", [n] * 12)]
    card = assemble_scorecard(cat, obs(rows), parse_month("2009-08"))
    [row] = [r for r in card.all_rows() if r.measure == "burglary"]
    [rank] = row.ranks
    assert (rank.rank, rank.of) == (
        3,
        4,
    )  # lower is better: GMP 10, WMP 20, MPS 30, WYP 40; Cumbria not a peer


def test_data_files_may_use_any_spelling(tmp_path: Path) -> None:
    root = write(tmp_path)
    (root / "data").mkdir()
    (root / "data" / "crime.csv").write_text(
        "org,measure,period_end,numerator\n"
        "Avon & Somerset,burglary,2017-07,5\n"
        "West Yorkshire Police,burglary,2017-07,6\n"
        "London, City of,burglary,2017-07,7\n".replace("London, City of", '"London, City of"')
    )
    result = read_observations(load_catalogue(root))
    assert [r["org"] for r in result.table.to_pylist()] == ["E23000036", "E23000010", "E23000034"]
