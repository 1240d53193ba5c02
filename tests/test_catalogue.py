"""Catalogue validation: (bad YAML -> expected finding) tables. Every finding names its level,
file, line, measure, a message and (where there is one) a hint saying what to do."""

from __future__ import annotations

from pathlib import Path

import pytest

from kpiboard.catalogue import load_catalogue
from kpiboard.errors import Finding, KpiboardError, ValidationFailed

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "met-cpa-2009-10"

# line numbers below count from 1 at "title:"
PROJECT = """\
title: Test board
organisation: A
organisations:
  - id: A
    name: Force A
    aliases: [Alpha]
  - id: B
    name: Force B
peer_groups:
  - id: all
    name: All forces
"""

GOOD = """\
measures:
  - id: burglary
    title: Burglary
    kind: count
    polarity: lower_is_better
"""

M = "measures/m.yaml"
Y = "kpiboard.yaml"
# (level, file, line, subject, message, text in the hint or None for no hint)
Expected = tuple[str, str, int | None, str | None, str, str | None]


def write(
    root: Path,
    measures: str | None = GOOD,
    project: str | None = PROJECT,
    extra: dict[str, str] | None = None,
) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    if project is not None:
        (root / "kpiboard.yaml").write_text(project, encoding="utf-8")
    if measures is not None:
        (root / "measures").mkdir(exist_ok=True)
        (root / "measures" / "m.yaml").write_text(measures, encoding="utf-8")
    for rel, text in (extra or {}).items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def findings_of(root: Path) -> list[Finding]:
    with pytest.raises(ValidationFailed) as info:
        load_catalogue(root)
    return list(info.value.findings)


def check(found: list[Finding], expected: list[Expected]) -> None:
    got = [(f.level, f.file, f.line, f.subject, f.message) for f in found]
    assert got == [e[:5] for e in expected], "\n".join(f.render() for f in found)
    for f, e in zip(found, expected, strict=True):
        if e[5] is None:
            assert f.hint is None, f.render()
        else:
            assert f.hint is not None and e[5] in f.hint, f.render()


def measure(body: str, mid: str = "m", kind: str = "count") -> str:
    """One measure (lines 2-4) followed by ``body`` from line 5."""
    return f"measures:\n  - id: {mid}\n    title: T\n    kind: {kind}\n{body}"


SURVEY_PAIR = """\
  - id: p
    title: P
    kind: proportion
    survey: true
  - id: q
    title: Q
    kind: proportion
    survey: true
"""

# (measures/m.yaml, kpiboard.yaml or None for PROJECT, expected findings in order)
CASES: list[tuple[str, str, str | None, list[Expected]]] = [
    # --- YAML syntax -------------------------------------------------------------------------
    (
        "unclosed quote",
        'measures:\n  - id: burglary\n    title: "Burglary\n    kind: count\n',
        None,
        [
            (
                "error",
                M,
                3,
                None,
                "malformed YAML: found unexpected end of stream while scanning a quoted scalar",
                "never closed",
            )
        ],
    ),
    (
        "bad indentation",
        "measures:\n  - id: burglary\n    title: Burglary\n     kind: count\n",
        None,
        [
            (
                "error",
                M,
                4,
                None,
                "malformed YAML: mapping values are not allowed here",
                "indentation",
            )
        ],
    ),
    (
        "unhashable key",
        "measures:\n  - ? [a, b]\n    : 1\n",
        None,
        [("error", M, 2, None, "malformed YAML: found unhashable key", "indentation")],
    ),
    (
        "duplicate key",
        "measures:\n  - id: burglary\n    title: Burglary\n    kind: count\n    title: Again\n",
        None,
        [("error", M, 5, None, "duplicate key 'title' (first at line 3)", "keep one of them")],
    ),
    (
        "malformed kpiboard.yaml",
        GOOD,
        PROJECT.replace("name: Force B", "name: 'Force B"),
        [
            (
                "error",
                Y,
                8,
                None,
                "malformed YAML: found unexpected end of stream while scanning a quoted scalar",
                "never closed",
            )
        ],
    ),
    # --- the schema: unknown, missing and badly typed keys ------------------------------------
    (
        "unknown key in a measure",
        "measures:\n  - id: burglary\n    titel: Burglary\n    kind: count\n",
        None,
        [
            ("error", M, 2, "burglary", "missing required key 'title'", None),
            ("error", M, 3, "burglary", "unknown key 'titel'", "did you mean 'title'?"),
        ],
    ),
    (
        "unknown key in kpiboard.yaml",
        GOOD,
        PROJECT.replace("organisation: A", "organisaton: A"),
        [
            ("error", Y, 1, None, "missing required key 'organisation'", None),
            ("error", Y, 2, None, "unknown key 'organisaton'", "did you mean 'organisation'?"),
        ],
    ),
    (
        "unknown key in a target",
        measure("    targets:\n      - year: 2009/10\n        levle: 5\n"),
        None,
        [("error", M, 7, "m", "unknown key 'levle'", "did you mean 'level'?")],
    ),
    (
        "unknown key in a peer group",
        GOOD,
        PROJECT.replace("    name: All forces", "    nmae: All forces"),
        [
            ("error", Y, 10, None, "missing required key 'name'", None),
            ("error", Y, 11, None, "unknown key 'nmae'", "did you mean 'name'?"),
        ],
    ),
    (
        "missing title and kind",
        "measures:\n  - id: a\n    kind: count\n  - id: b\n    title: B\n",
        None,
        [
            ("error", M, 2, "a", "missing required key 'title'", None),
            ("error", M, 4, "b", "missing required key 'kind'", None),
        ],
    ),
    (
        "bad enum values",
        "measures:\n  - id: m\n    title: T\n    kind: counts\n    polarity: up\n",
        None,
        [
            (
                "error",
                M,
                4,
                "m",
                "kind: Input should be 'count', 'proportion', 'per_population', 'mean', "
                "'snapshot', 'difference', 'ratio' or 'composite'",
                "expected 'count', 'proportion'",
            ),
            (
                "error",
                M,
                5,
                "m",
                "polarity: Input should be 'higher_is_better' or 'lower_is_better'",
                "expected 'higher_is_better' or 'lower_is_better'",
            ),
        ],
    ),
    (
        "difference without of",
        measure("", "d", "difference"),
        None,
        [("error", M, 2, "d", "a difference measure needs of: [first, second]", None)],
    ),
    (
        "invalid financial year",
        measure(
            "    targets:\n      - {year: 2009/11, change: -5}\n"
            "      - {years: [2010/11, 2011/13], change: -5}\n"
        ),
        None,
        [
            (
                "error",
                M,
                6,
                "m",
                "targets.year: '2009/11' is not a financial year",
                "did you mean 2009/10?",
            ),
            (
                "error",
                M,
                7,
                "m",
                "targets.years: '2011/13' is not a financial year",
                "did you mean 2011/12?",
            ),
        ],
    ),
    (
        "invalid month",
        measure(
            "    milestones:\n      - {by: 2009-13, level: 4}\n"
            "    targets:\n      - year: 2009/10\n"
            "        baseline_reduction: {start: 1994-01, end: Dec-98, percent: 40}\n"
        ),
        None,
        [
            ("error", M, 6, "m", "milestones.by: '2009-13' has no month 13", "months run 01 to 12"),
            (
                "error",
                M,
                9,
                "m",
                "targets.baseline_reduction.end: 'Dec-98' is not a month",
                "YYYY-MM",
            ),
        ],
    ),
    (
        "tolerance with two ways",
        measure("    status_rule:\n      amber_within: {percent: 5, points: 2}\n"),
        None,
        [
            (
                "error",
                M,
                6,
                "m",
                "status_rule.amber_within: give exactly one of percent, points or "
                "margin_of_error: true",
                None,
            )
        ],
    ),
    (
        "project tolerance with two ways",
        GOOD,
        PROJECT + "status_rule:\n  amber_within: {points: 1, margin_of_error: true}\n",
        [
            (
                "error",
                Y,
                13,
                None,
                "status_rule.amber_within: give exactly one of percent, points or "
                "margin_of_error: true",
                None,
            )
        ],
    ),
    # --- cross-checks (rules.py): each points at the key at fault ------------------------------
    (
        "parent missing",
        GOOD + "    parent: serious_acquisitive\n",
        None,
        [
            (
                "error",
                M,
                6,
                "burglary",
                "parent 'serious_acquisitive' does not exist",
                "remove parent:",
            )
        ],
    ),
    (
        "parent loop",
        measure("    parent: n\n") + "  - id: n\n    title: N\n    kind: count\n    parent: m\n",
        None,
        [
            (
                "error",
                M,
                5,
                "m",
                "parent chain loops back on itself: m -> n -> m",
                "remove one of the parent:",
            ),
            (
                "error",
                M,
                9,
                "n",
                "parent chain loops back on itself: n -> m -> n",
                "remove one of the parent:",
            ),
        ],
    ),
    (
        "composite with no children",
        measure("", "sac", "composite"),
        None,
        [("error", M, 2, "sac", "a composite needs child measures", "parent: sac")],
    ),
    (
        "composite child is a proportion",
        measure("", "sac", "composite")
        + "  - id: share\n    title: S\n    kind: proportion\n    parent: sac\n",
        None,
        [
            (
                "error",
                M,
                8,
                "share",
                "composite 'sac' sums its children, but this is a proportion measure",
                "must be counts",
            )
        ],
    ),
    (
        "of: unknown and count operands",
        SURVEY_PAIR.replace("  - id: p", "measures:\n  - id: p")
        + "  - id: c\n    title: C\n    kind: count\n"
        + "  - id: gap\n    title: G\n    kind: difference\n    of: [p, qq]\n"
        + "  - id: ratio\n    title: R\n    kind: ratio\n    of:\n      - c\n      - q\n",
        None,
        [
            ("error", M, 16, "gap", "of: names unknown measure 'qq'", "did you mean 'q'?"),
            (
                "error",
                M,
                21,
                "ratio",
                "of: 'c' is a count measure; a ratio needs proportions",
                "use proportion measures",
            ),
        ],
    ),
    (
        "change target on a difference",
        SURVEY_PAIR.replace("  - id: p", "measures:\n  - id: p")
        + "  - id: gap\n    title: G\n    kind: difference\n    of: [p, q]\n"
        + "    targets:\n      - {year: 2009/10, change: -5}\n",
        None,
        [
            (
                "error",
                M,
                15,
                "gap",
                "a % change target does not fit a difference measure",
                "use level:",
            )
        ],
    ),
    (
        "baseline reduction on a proportion",
        measure(
            "    targets:\n      - year: 2009/10\n"
            "        baseline_reduction: {start: 1994-01, end: 1998-12, percent: 40}\n",
            kind="proportion",
        ),
        None,
        [
            (
                "error",
                M,
                7,
                "m",
                "a reduction on a baseline fits counts and rates, not a proportion measure",
                "use level: or change:",
            )
        ],
    ),
    (
        "proportion level of 120",
        measure("    targets:\n      - year: 2009/10\n        level: 120\n", kind="proportion"),
        None,
        [("error", M, 7, "m", "a percentage target of 120 is outside 0-100", "80 for 80%")],
    ),
    (
        "lower is better with >= and >",
        measure(
            '    polarity: lower_is_better\n    targets:\n      - {year: 2009/10, level: 5, op: ">="}\n'
            '      - year: 2010/11\n        level: 5\n        op: ">"\n'
        ),
        None,
        [
            (
                "error",
                M,
                7,
                "m",
                "a lower-is-better measure with a '>=' target",
                "flip the operator",
            ),
            (
                "error",
                M,
                10,
                "m",
                "a lower-is-better measure with a '>' target",
                "flip the operator",
            ),
        ],
    ),
    (
        "higher is better with <",
        measure('    targets:\n      - year: 2009/10\n        level: 5\n        op: "<"\n'),
        None,
        [("error", M, 8, "m", "a higher-is-better measure with a '<' target", "flip the operator")],
    ),
    (
        "change target with comparator none",
        measure(
            "    comparator: none\n    targets:\n      - year: 2009/10\n        change: -4.3\n"
        ),
        None,
        [("error", M, 8, "m", "a % change target needs a comparator", "remove comparator: none")],
    ),
    (
        "margin of error on a non-survey measure",
        measure(
            "    status_rule:\n      amber_within:\n        margin_of_error: true\n",
            kind="proportion",
        ),
        None,
        [
            (
                "error",
                M,
                7,
                "m",
                "a margin-of-error tolerance needs a survey proportion or a difference of two",
                "set survey: true",
            )
        ],
    ),
    (
        "two targets for one year",
        measure(
            "    targets:\n      - {year: 2009/10, change: -5}\n"
            "      - {years: [2008/09, 2009/10], change: -3}\n"
        ),
        None,
        [("error", M, 7, "m", "two targets for 2009/10", "the first is at line 6")],
    ),
    (
        "ranks: unknown group and measure",
        measure("    ranks:\n      groups: [all, msf]\n      measure: burglary_bcs\n"),
        None,
        [
            ("error", M, 6, "m", "ranks: unknown peer group 'msf'", "known: all"),
            ("error", M, 7, "m", "ranks: unknown measure 'burglary_bcs'", None),
        ],
    ),
    (
        "per_population without a population",
        measure("    ranks: {per_population: 1000}\n")
        + "  - id: rate\n    title: R\n    kind: per_population\n    per: 1000\n",
        None,
        [
            (
                "error",
                M,
                5,
                "m",
                "rates per population need a population measure",
                "set population:",
            ),
            (
                "error",
                M,
                8,
                "rate",
                "rates per population need a population measure",
                "set population:",
            ),
        ],
    ),
    (
        "population measure that does not exist",
        measure("    per: 1000\n    population: residents\n", kind="per_population"),
        None,
        [("error", M, 6, "m", "population measure 'residents' does not exist", "population:")],
    ),
    # --- kpiboard.yaml cross-checks --------------------------------------------------------------
    (
        "peer group member unknown",
        GOOD,
        PROJECT + "  - id: msf\n    name: MSF\n    members: [A, Forse B]\n",
        [
            (
                "error",
                Y,
                14,
                None,
                "peer group 'msf': unknown organisation 'Forse B'",
                "add it to organisations",
            )
        ],
    ),
    (
        "home organisation not among organisations",
        GOOD,
        PROJECT.replace("organisation: A", "organisation: C"),
        [
            (
                "error",
                Y,
                2,
                None,
                "home organisation 'C' is not in organisations",
                "add it to organisations",
            )
        ],
    ),
    (
        "alias used by two organisations",
        GOOD,
        PROJECT.replace("    name: Force B\n", "    name: Force B\n    aliases: [ALPHA]\n"),
        [
            (
                "error",
                Y,
                9,
                None,
                "'ALPHA' names both 'A' and 'B'",
                "an alias must belong to one organisation",
            )
        ],
    ),
    (
        "duplicate organisation id",
        GOOD,
        PROJECT.replace("  - id: B", "  - id: A"),
        [("error", Y, 7, None, "duplicate organisation id 'A'", "its own id")],
    ),
]


@pytest.mark.parametrize(
    "measures,project,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_yaml_gives_the_expected_findings(
    tmp_path: Path, measures: str, project: str | None, expected: list[Expected]
) -> None:
    check(findings_of(write(tmp_path, measures, project or PROJECT)), expected)


# "billion laughs": each line nine aliases of the one before; ~300 bytes, 9**9 values written out
BOMB = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi", strict=True)
)
ALIAS_HINT = "anchors and aliases are for sharing a value, not for building large structures"


def test_nested_aliases_are_refused_at_the_line_that_crosses_the_budget(tmp_path: Path) -> None:
    # lines 2-4 expand to 9 + 90 + 819 alias uses; line 5's first alias passes 1000
    check(
        findings_of(write(tmp_path, BOMB)),
        [("error", M, 5, None, "too many YAML aliases (more than 1000)", ALIAS_HINT)],
    )


def test_an_alias_inside_its_own_anchor_is_refused(tmp_path: Path) -> None:
    check(
        findings_of(write(tmp_path, "measures: &m\n  - *m\n")),
        [("error", M, 2, None, "alias *m inside its own anchor", ALIAS_HINT)],
    )


def test_a_shared_status_rule_still_loads(tmp_path: Path) -> None:
    shared = GOOD + (
        "    status_rule: &rule\n      amber_within: {percent: 5}\n"
        "  - id: robbery\n    title: Robbery\n    kind: count\n    polarity: lower_is_better\n"
        "    status_rule: *rule\n"
    )
    cat = load_catalogue(write(tmp_path, shared))
    rules = [cat.measures[m].status_rule for m in ("burglary", "robbery")]
    assert rules[0] == rules[1] and rules[0] is not None


def test_failure_is_a_validation_failed_carrying_every_finding(tmp_path: Path) -> None:
    root = write(
        tmp_path, GOOD + "    parent: nothere\n  - id: x\n    title: X\n    kind: composite\n"
    )
    with pytest.raises(ValidationFailed) as info:
        load_catalogue(root)
    assert isinstance(info.value, KpiboardError)
    assert info.value.message == "2 error(s) in the project"
    assert "kpiboard validate" in (info.value.hint or "")


def test_duplicate_measure_ids_across_files_name_both_places(tmp_path: Path) -> None:
    other = "measures:\n  - id: robbery\n    title: Robbery\n    kind: count\n" + GOOD.removeprefix(
        "measures:\n"
    )
    root = write(tmp_path, extra={"measures/n.yaml": other})
    check(
        findings_of(root),
        [
            (
                "error",
                "measures/n.yaml",
                5,
                "burglary",
                "duplicate measure id 'burglary'",
                "first defined at measures/m.yaml:2",
            )
        ],
    )


def test_every_file_is_checked_even_when_an_earlier_one_is_broken(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        "measures:\n  - id: a\n    title: 'A\n",
        PROJECT.replace("organisation: A", "organisation: 'A"),
        extra={"measures/n.yaml": "measures:\n  - id: b\n    kind: count\n"},
    )
    found = findings_of(root)
    assert [(f.file, f.line) for f in found] == [(Y, 2), (M, 3), ("measures/n.yaml", 2)]
    assert [f.message.split(":")[0] for f in found] == [
        "malformed YAML",
        "malformed YAML",
        "missing required key 'title'",
    ]


def test_all_findings_of_a_file_come_at_once_in_file_order(tmp_path: Path) -> None:
    # pydantic reports fields in declaration order (polarity before kind); we report by line
    root = write(
        tmp_path, "measures:\n  - id: a\n    kind: rate\n    polarity: up\n    colour: red\n"
    )
    check(
        findings_of(root),
        [
            ("error", M, 2, "a", "missing required key 'title'", None),
            (
                "error",
                M,
                3,
                "a",
                "kind: Input should be 'count', 'proportion', 'per_population', 'mean', "
                "'snapshot', 'difference', 'ratio' or 'composite'",
                "expected",
            ),
            (
                "error",
                M,
                4,
                "a",
                "polarity: Input should be 'higher_is_better' or 'lower_is_better'",
                "expected",
            ),
            (
                "error",
                M,
                5,
                "a",
                "unknown key 'colour'",
                "valid keys: commentary, comparator, decimals",
            ),
        ],
    )


def test_cross_check_findings_come_in_file_order(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        measure("    ranks: {groups: [nope]}\n    parent: ghost\n")
        + "  - id: sac\n    title: S\n    kind: composite\n",
        PROJECT.replace("organisation: A", "organisation: Z"),
    )
    found = findings_of(root)
    assert [(f.file, f.line, f.subject) for f in found] == [
        (Y, 2, None),
        (M, 5, "m"),
        (M, 6, "m"),
        (M, 7, "sac"),
    ]


def test_no_measures_folder(tmp_path: Path) -> None:
    check(
        findings_of(write(tmp_path, measures=None)),
        [("error", "measures/", None, None, "no measure definitions", "add measures/*.yaml files")],
    )


def test_no_kpiboard_yaml_is_a_clear_error(tmp_path: Path) -> None:
    root = write(tmp_path, project=None)
    with pytest.raises(KpiboardError) as info:
        load_catalogue(root)
    assert not isinstance(info.value, ValidationFailed)
    assert info.value.message == f"no kpiboard.yaml in {root}"
    assert "point kpiboard at a project folder" in (info.value.hint or "")


def test_raise_on_error_false_returns_the_catalogue_with_its_findings(tmp_path: Path) -> None:
    cat = load_catalogue(write(tmp_path, GOOD + "    parent: ghost\n"), raise_on_error=False)
    assert list(cat.measures) == ["burglary"]
    assert [(f.level, f.line, f.message) for f in cat.findings] == [
        ("error", 6, "parent 'ghost' does not exist")
    ]
    with pytest.raises(ValidationFailed):  # files that do not parse still raise
        load_catalogue(write(tmp_path, "measures: [\n"), raise_on_error=False)


def test_warnings_do_not_fail_the_load(tmp_path: Path) -> None:
    project = PROJECT + "sections: [Safety]\n"
    cat = load_catalogue(
        write(
            tmp_path,
            GOOD + "    section: Confidence\n    row: 1a\n"
            "  - id: robbery\n    title: R\n    kind: count\n    row: 1a\n",
            project,
        )
    )
    assert [f.render() for f in cat.findings] == [
        "WARNING measures/m.yaml:6 burglary: section 'Confidence' is not listed in kpiboard.yaml "
        "(add it to sections: to fix its place in the report)",
        "WARNING measures/m.yaml:11 robbery: row label '1a' is also used by 'burglary'",
    ]


def test_finding_render_format() -> None:
    f = Finding(
        "error", "parent 'sac' does not exist", "measures/m.yaml", 7, "burglary", "remove parent:"
    )
    assert (
        f.render()
        == "ERROR measures/m.yaml:7 burglary: parent 'sac' does not exist (remove parent:)"
    )
    assert (
        Finding("warning", "no data rows", "data/x.csv").render()
        == "WARNING data/x.csv: no data rows"
    )
    assert Finding("error", "oops").render() == "ERROR <project>: oops"


def test_a_real_finding_renders_on_one_line(tmp_path: Path) -> None:
    [f] = findings_of(write(tmp_path, GOOD + "    parent: serious_acquisitive\n"))
    assert f.render() == (
        "ERROR measures/m.yaml:6 burglary: parent 'serious_acquisitive' does not exist "
        "(name an existing measure id, or remove parent:)"
    )


def test_the_example_project_loads_with_no_findings() -> None:
    cat = load_catalogue(EXAMPLE)
    assert cat.findings == []
    assert len(cat.measures) > 20 and cat.project.organisation == "metropolitan"
    src = cat.sources["user_satisfaction"]
    assert (
        src.file == "measures/1-confidence.yaml"
        and src.line_at(("targets", 0, "level")) == (src.line or 0) + 14
    )


def test_a_misspelt_section_gets_a_did_you_mean(tmp_path: Path) -> None:
    listed = load_catalogue(
        write(tmp_path / "a", GOOD + "    section: Saftey\n", PROJECT + "sections: [Safety]\n")
    )
    assert [f.render() for f in listed.findings] == [
        "WARNING measures/m.yaml:6 burglary: section 'Saftey' is not listed in kpiboard.yaml "
        "(did you mean 'Safety'?)"
    ]
    two = "  - id: robbery\n    title: R\n    kind: count\n    section: Safety\n"
    three = "  - id: theft\n    title: T\n    kind: count\n    section: Safety\n"
    unlisted = load_catalogue(write(tmp_path / "b", GOOD + "    section: Saftey\n" + two + three))
    assert [f.render() for f in unlisted.findings] == [
        "WARNING measures/m.yaml:6 burglary: section 'Saftey' is used by this measure alone, so "
        "it makes a section of its own (did you mean 'Safety'? Or list the sections in "
        "kpiboard.yaml)"
    ]
    apart = load_catalogue(write(tmp_path / "c", GOOD + "    section: Confidence\n" + two + three))
    assert apart.findings == []  # a section of one measure, unlike any other: no warning


def test_libyaml_and_the_careful_parser_read_every_project_file_alike() -> None:
    """YAML is read once by libyaml; files with aliases or errors take the pure-Python path.
    Both must give the same values and lines for every YAML file the project ships."""
    from kpiboard.catalogue import yamlfile

    root = Path(__file__).resolve().parent.parent
    files = sorted((root / "examples").rglob("*.yaml")) + sorted((root / "tests").rglob("*.yaml"))
    assert len(files) >= 10
    for path in files:
        text = path.read_text(encoding="utf-8-sig")
        fast = yamlfile._fast(text)
        assert fast is not None, path
        node, data = yamlfile._careful(text, str(path))
        assert fast[1] == data, path
        fast_lines: dict[yamlfile.Loc, int] = {}
        careful_lines: dict[yamlfile.Loc, int] = {}
        if node is not None:
            yamlfile._walk(node, (), careful_lines)
            yamlfile._walk(fast[0], (), fast_lines)
        assert fast_lines == careful_lines, path


YAML_CORNERS = [
    "a: 2009-08\nb: 2009-08-01\nc: 1_000\nd: 0x1F\ne: yes\nf: ~\ng: .inf\nh: 1e3\n",
    "text: |\n  two\n  lines\nfolded: >\n  one\n  line\nq: 'it''s'\nd: \"\\u00e9\\t\"\n",
    "- {a: [1, 2, {b: c}], 'k: v': null}\n- [x, 'y, z']\n- ? complex\n  : key\n",
    "# comment only\n",
    "unicode: Ynys Môn — £45m\nempty:\nlist: []\nmap: {}\n",
    "--- \nexplicit: document\n...\n",
]


@pytest.mark.parametrize("text", YAML_CORNERS)
def test_libyaml_and_the_careful_parser_agree_on_corners(text: str) -> None:
    from kpiboard.catalogue import yamlfile

    fast = yamlfile._fast(text)
    assert fast is not None
    assert fast[1] == yamlfile._careful(text, "x.yaml")[1]


def test_a_file_with_aliases_takes_the_careful_path(tmp_path: Path) -> None:
    from kpiboard.catalogue import yamlfile

    text = "a: &x {b: 1}\nc: *x\n"
    assert yamlfile._fast(text) is None
    path = tmp_path / "a.yaml"
    path.write_text(text)
    read = yamlfile.load_yaml(path)
    assert read.data == {"a": {"b": 1}, "c": {"b": 1}}
    assert read.line_of(("c",)) == 2


@pytest.mark.parametrize(
    ("body", "kind", "line", "words"),
    [
        ("    entry: {enter: ['role:viewer']}\n", "count", 5, "'role:viewer': who may enter"),
        ("    entry:\n      enter: [jsmith]\n      approve: ['role:editor']\n", "count", 7,
         "'role:editor': who may approve"),
        ("    entry:\n      enter: [j smith]\n", "count", 6, "'j smith' is neither a username"),
        ("    entry:\n      enter: [jsmith]\n      due: 0\n", "count", 7, "greater than or equal to 1"),
        ("    entry: {enter: [jsmith]}\n    records: {source: s}\n", "count", 5,
         "entered or come from records:"),
        ("    entry: {enter: [jsmith]}\n", "composite", 5, "come from its parts"),
    ],
)  # fmt: skip
def test_entry_findings_name_the_line_and_what_is_wrong(
    tmp_path: Path, body: str, kind: str, line: int, words: str
) -> None:
    found = [
        f for f in findings_of(write(tmp_path, measure(body, kind=kind))) if words in f.message
    ]
    assert found, words
    assert (found[0].file, found[0].line) == (M, line), found[0].render()


def test_an_entered_measure_loads_with_its_defaults(tmp_path: Path) -> None:
    cat = load_catalogue(write(tmp_path, measure("    entry: {enter: [jsmith, 'role:editor']}\n")))
    entry = cat.measures["m"].entry
    assert entry is not None
    assert (entry.enter, entry.approve, entry.due) == (
        ["jsmith", "role:editor"],
        ["role:approver"],
        10,
    )


def test_unknown_placeholders_in_the_headings_are_errors_with_a_did_you_mean(
    tmp_path: Path,
) -> None:
    project = PROJECT.replace("title: Test board", "title: Test board {financial_yr}")
    found = findings_of(
        write(tmp_path, project=project + 'subtitle: "Rolling year to {mnth}, {month"\n')
    )
    assert [f.render() for f in found] == [
        "ERROR kpiboard.yaml:1: title: unknown placeholder {financial_yr} "
        "(did you mean 'financial_year'?)",
        "ERROR kpiboard.yaml:12: subtitle: expected '}' before end of string (placeholders are "
        "{month}, {month_name}, {month_last_year}, {month_name_last_year}, {quarter}, "
        "{rolling_year}, {year_to_date}, {financial_year}; write a literal brace as {{ or }})",
    ]
    fine = 'subtitle: "{month} ({rolling_year}), {{not a placeholder}}"\n'
    assert load_catalogue(write(tmp_path / "ok", project=PROJECT + fine)).findings == []
