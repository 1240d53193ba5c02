"""Derived measures' catalogue rules: every finding on a ``formula:`` names the file, the line
of the key and says what is wrong and what to do (docs/CATALOGUE.md, "Derived measures")."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_catalogue import PROJECT, findings_of, write
from test_cli import run

from kpiboard.catalogue import load_catalogue

# the measures the formulas below read
PARTS = """\
measures:
  - id: crimes
    title: Total recorded crime
    kind: count
  - id: burglary
    title: Residential burglary
    kind: count
  - id: robbery
    title: Robbery
    kind: count
  - id: spend
    title: Spend
    kind: count
    unit: £m
  - id: officers
    title: Officers
    kind: snapshot
  - id: sat_a
    title: Satisfied (A)
    kind: proportion
    unit: "%"
    survey: true
  - id: sat_b
    title: Satisfied (B)
    kind: proportion
    unit: "%"
    survey: true
  - id: gap
    title: Gap
    kind: difference
    of: [sat_a, sat_b]
  - id: share
    title: Share
    kind: ratio
    of: [sat_a, sat_b]
  - id: future
    title: Not yet measured
    kind: count
    in_development: true
  - id: sac
    title: Serious acquisitive crime
    kind: composite
  - id: vehicle
    title: Vehicle crime
    kind: count
    parent: sac
  - id: burglary_rate
    title: Burglary rate
    kind: per_population
    unit: per 1,000
  - id: residents
    title: Residents
    kind: snapshot
    hidden: true
"""

PROJECT_POP = PROJECT + "population: residents\n"
M = "measures/m.yaml"


def derived(mid: str, kind: str, formula: str, extra: str = "") -> str:
    return (
        f"  - id: {mid}\n    title: {mid.title()}\n    kind: {kind}\n"
        f"    formula: {formula}\n{extra}"
    )


def line(text: str, key_line: str) -> int:
    """The 1-based line of the last line of ``text`` that is ``key_line`` (stripped)."""
    lines = [i for i, s in enumerate(text.splitlines(), 1) if s.strip() == key_line]
    return lines[-1]


# (id, the derived measures, the key line each finding is at, message, words in the hint)
CASES = [
    (
        "unknown-id",
        derived("x", "count", "burglary + robery"),
        [
            (
                "formula: burglary + robery",
                "x",
                "formula names unknown measure 'robery'",
                "did you mean 'robbery'?",
            )
        ],
    ),
    (
        "unknown-id-no-near-name",
        derived("x", "count", "burglary + zzz"),
        [
            (
                "formula: burglary + zzz",
                "x",
                "formula names unknown measure 'zzz'",
                "name an existing measure id",
            )
        ],
    ),
    (
        "hyphen-read-whole",
        derived("x", "count", "crimes-burglary"),
        [
            (
                "formula: crimes-burglary",
                "x",
                "formula names unknown measure 'crimes-burglary'",
                "to subtract, put spaces around -: 'crimes - burglary'",
            )
        ],
    ),
    (
        "self-cycle",
        derived("x", "count", "burglary + x"),
        [
            (
                "formula: burglary + x",
                "x",
                "formula reads itself: x -> x",
                "remove one step of the loop",
            )
        ],
    ),
    (
        "two-step-cycle-once",
        derived("x", "count", "y") + derived("y", "count", "x + robbery"),
        [("formula: y", "x", "formula reads itself: x -> y -> x", "remove one step")],
    ),
    (
        "cycle-through-a-composite",
        derived("x", "count", "sac") + derived("y", "count", "x", "    parent: sac\n"),
        [("formula: sac", "x", "formula reads itself: x -> sac -> y -> x", "remove one step")],
    ),
    (
        "mean-needs-a-division",
        derived("x", "mean", "crimes + robbery"),
        [
            (
                "formula: crimes + robbery",
                "x",
                "a mean derived measure is a quotient, but the formula does not divide",
                "write numerator / denominator, e.g. crimes / officers",
            )
        ],
    ),
    (
        "count-refuses-a-division",
        derived("x", "count", "burglary / crimes"),
        [
            (
                "formula: burglary / crimes",
                "x",
                "a count measure adds figures up, but the formula divides",
                "kind: proportion for a percentage, or kind: mean",
            )
        ],
    ),
    (
        "snapshot-refuses-a-division",
        derived("x", "snapshot", "burglary / crimes"),
        [
            (
                "formula: burglary / crimes",
                "x",
                "a snapshot measure adds figures up, but the formula divides",
                "kind: mean",
            )
        ],
    ),
    (
        "per-population-refuses-a-division",
        derived("x", "per_population", "burglary / crimes"),
        [
            (
                "formula: burglary / crimes",
                "x",
                "a per_population measure adds figures up, but the formula divides",
                "kind: mean",
            )
        ],
    ),
    (
        "pooled-proportion-needs-proportions",
        derived("x", "proportion", "sat_a + crimes", '    unit: "%"\n'),
        [
            (
                "formula: sat_a + crimes",
                "x",
                "a proportion without a division pools proportions, but 'crimes' is a count measure",
                "divide by a measure",
            )
        ],
    ),
    (
        "difference-part",
        derived("x", "proportion", "gap + sat_a", '    unit: "%"\n'),
        [
            (
                "formula: gap + sat_a",
                "x",
                "formula reads 'gap', a difference of two percentages, in points (difference): "
                "its figures do not add up over months",
                "read the measures it compares instead: sat_a, sat_b",
            )
        ],
    ),
    (
        "ratio-part",
        derived("x", "mean", "share / crimes"),
        [
            (
                "formula: share / crimes",
                "x",
                "formula reads 'share', a ratio of two percentages (ratio): its figures do not add "
                "up over months",
                "sat_a, sat_b",
            )
        ],
    ),
    (
        "in-development-part",
        derived("x", "count", "burglary + future"),
        [
            (
                "formula: burglary + future",
                "x",
                "formula reads 'future', which is in development (not yet measured)",
                "mark this measure in_development: true too",
            )
        ],
    ),
    (
        "mixed-units-in-a-sum",
        derived("x", "count", "spend + crimes"),
        [
            (
                "formula: spend + crimes",
                "x",
                "the formula adds 'spend' ('£m') and 'crimes' (no unit): figures added together "
                "must share a unit",
                "add like with like",
            )
        ],
    ),
    (
        "mixed-units-in-a-denominator",
        derived("x", "mean", "crimes / (officers + spend)"),
        [
            (
                "formula: crimes / (officers + spend)",
                "x",
                "the denominator adds 'officers' (no unit) and 'spend' ('£m'): figures added "
                "together must share a unit",
                "add like with like",
            )
        ],
    ),
    (
        "per-population-needs-counts",
        derived("x", "per_population", "burglary + officers"),
        [
            (
                "formula: burglary + officers",
                "x",
                "a per_population measure divides a count by the population, but 'officers' is a "
                "snapshot measure",
                "name count measures, composites of counts or rates",
            )
        ],
    ),
    (
        "survey-needs-respondents",
        derived(
            "x", "proportion", "(burglary + robbery) / crimes", '    unit: "%"\n    survey: true\n'
        ),
        [
            (
                "survey: true",
                "x",
                "survey: margins of error need the number of respondents, and this formula's "
                "denominator does not count them",
                "remove survey: true",
            )
        ],
    ),
    (
        "survey-with-scaled-parts",
        derived("x", "proportion", "sat_a + 2 * sat_b", '    unit: "%"\n    survey: true\n'),
        [
            (
                "survey: true",
                "x",
                "survey: margins of error need the number of respondents, and this formula's "
                "denominator does not count them",
                "each a survey measure",
            )
        ],
    ),
    (
        "proportion-times-100",
        derived("x", "proportion", "100 * (burglary + robbery) / crimes", '    unit: "%"\n'),
        [
            (
                "formula: 100 * (burglary + robbery) / crimes",
                "x",
                "a proportion is shown as a percentage of its quotient already: multiplying by "
                "100 as well makes it a hundred times too big",
                "drop the 100",
            )
        ],
    ),
    # the schema's own refusals, at the formula's line
    (
        "product-of-measures",
        derived("x", "count", "burglary * robbery"),
        [
            (
                "formula: burglary * robbery",
                "x",
                "formula: a product of two measures (burglary * robbery) has no meaning summed over "
                "a window; multiply a measure by a number only",
                None,
            )
        ],
    ),
    (
        "syntax",
        derived("x", "count", "(burglary + robbery"),
        [
            (
                "formula: (burglary + robbery",
                "x",
                "formula: a bracket is opened and never closed",
                None,
            )
        ],
    ),
    (
        "two-divisions",
        derived("x", "mean", "burglary / crimes / officers"),
        [
            (
                "formula: burglary / crimes / officers",
                "x",
                "formula: a formula divides by measures once, at the top: one sum of measures "
                "over another (a ratio of ratios has no meaning summed over a window)",
                None,
            )
        ],
    ),
    (
        "records-and-formula",
        derived("x", "count", "burglary", "    records: {source: crimes}\n"),
        [
            (
                "formula: burglary",
                "x",
                "a measure has a formula or records:, not both",
                "keep formula: to compute it from other measures, or records: to count it",
            )
        ],
    ),
    (
        "composite-with-a-formula",
        derived("x", "composite", "burglary"),
        [
            (
                "formula: burglary",
                "x",
                "a composite measure cannot have a formula",
                "a derived measure is one of count, per_population, snapshot, proportion, mean",
            )
        ],
    ),
]


@pytest.mark.parametrize("extra,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_formula_findings(
    tmp_path: Path, extra: str, expected: list[tuple[str, str, str, str | None]]
) -> None:
    text = PARTS + extra
    found = findings_of(write(tmp_path, text, PROJECT_POP))
    got = [(f.level, f.file, f.line, f.subject, f.message) for f in found]
    want = [("error", M, line(text, key), mid, msg) for key, mid, msg, _ in expected]
    assert got == want, "\n".join(f.render() for f in found)
    for f, (*_, hint) in zip(found, expected, strict=True):
        if hint is None:
            assert f.hint is None, f.render()
        else:
            assert f.hint is not None and hint in f.hint, f.render()


GOOD = [
    derived("x", "count", "burglary + robbery + vehicle"),
    derived("x", "count", "crimes - burglary"),
    derived("x", "count", "crimes-burglary") + "  - id: crimes-burglary\n    title: C\n"
    "    kind: count\n",
    derived("x", "proportion", "(burglary + robbery) / crimes", '    unit: "%"\n'),
    derived("x", "mean", "crimes / officers"),
    derived("x", "per_population", "sac + robbery", "    per: 1000\n"),
    derived("x", "proportion", "sat_a + sat_b", '    unit: "%"\n    survey: true\n'),
    derived("x", "snapshot", "officers"),
    derived("x", "per_population", "burglary_rate", "    window: fytd\n"),  # another window
    derived("x", "per_population", "burglary_rate + robbery", "    unit: per 1,000\n"),
    derived("x", "proportion", "sat_a", '    unit: "%"\n    window: quarter\n'),
    derived("x", "count", "y + robbery") + derived("y", "count", "burglary"),
    derived("x", "count", "future", "    in_development: true\n"),
]


@pytest.mark.parametrize("extra", GOOD)
def test_formulas_that_make_sense_load(tmp_path: Path, extra: str) -> None:
    cat = load_catalogue(write(tmp_path, PARTS + extra, PROJECT_POP))
    assert [f.render() for f in cat.findings] == []


def test_kpiboard_validate_prints_each_formula_finding_with_its_file_and_line(
    tmp_path: Path,
) -> None:
    text = PARTS + derived("x", "count", "crimes-burglary") + derived("y", "count", "a * b")
    root = write(tmp_path, text, PROJECT_POP)
    result = run("validate", root, code=1)
    x, y = line(text, "formula: crimes-burglary"), line(text, "formula: a * b")
    assert result.stderr.splitlines() == [
        f"ERROR measures/m.yaml:{y} y: formula: a product of two measures (a * b) has no meaning "
        "summed over a window; multiply a measure by a number only",
        "the data files were not checked: fix the definitions above first",
    ]
    root = write(tmp_path, PARTS + derived("x", "count", "crimes-burglary"), PROJECT_POP)
    result = run("validate", root, code=1)
    assert result.stderr.splitlines()[0] == (
        f"ERROR measures/m.yaml:{x} x: formula names unknown measure 'crimes-burglary' "
        "(to subtract, put spaces around -: 'crimes - burglary')"
    )
