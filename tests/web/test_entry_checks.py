"""The checks on a figure as it is entered: what each kind needs, in range, and the surprises
that need a confirming note (outside the process limits, a large change) or a reason (a
published month)."""

from __future__ import annotations

import pytest

from kpiboard.catalogue.schema import Measure
from kpiboard.web.db.entities import Figures
from kpiboard.web.entry_checks import Context, check_entry, figure_of


def _measure(kind: str, **extra: object) -> Measure:
    return Measure.model_validate(
        {"id": "m", "title": "M", "kind": kind, "entry": {"enter": ["role:editor"]}, **extra}
    )


COUNT = _measure("count", unit="£m", decimals=1, entry={"enter": ["x"], "confirm_change": 25})
PROPORTION = _measure("proportion", unit="%")


@pytest.mark.parametrize(
    ("measure", "figures", "field", "words"),
    [
        (COUNT, Figures(), "value", "give the figure"),
        (COUNT, Figures(value=-3), "value", "cannot be negative"),
        (COUNT, Figures(value=1.7e308), "value", "beyond any figure kept"),
        (PROPORTION, Figures(numerator=1, denominator=-1e300), "denominator", "beyond any figure"),
        (_measure("mean"), Figures(numerator=1e12, denominator=1e-300), "denominator", "beyond any"),
        (PROPORTION, Figures(numerator=5), "denominator", "needs both a numerator and a denominator"),
        (PROPORTION, Figures(numerator=5, denominator=0), "denominator", "more than 0"),
        (PROPORTION, Figures(numerator=5, denominator=-2), "denominator", "cannot be negative"),
        (PROPORTION, Figures(numerator=12, denominator=10), "numerator", "more than the denominator"),
        (PROPORTION, Figures(value=120), "value", "more than 100"),
        (PROPORTION, Figures(value=50, sample_size=0), "sample_size", "more than 0"),
        (_measure("mean"), Figures(numerator=3), "denominator", "needs the denominator"),
    ],
)  # fmt: skip
def test_what_the_kind_needs_is_checked(
    measure: Measure, figures: Figures, field: str, words: str
) -> None:
    problems = check_entry(measure, figures, Context())
    assert any(p.field == field and words in p.message and not p.confirm for p in problems), (
        problems
    )


def test_a_figure_in_range_and_within_limits_passes() -> None:
    assert (
        check_entry(PROPORTION, Figures(numerator=45, denominator=100), Context(limits=(40, 50)))
        == []
    )
    assert check_entry(COUNT, Figures(value=4.2), Context(last=4.0, limits=(3, 5))) == []


def test_a_figure_outside_the_process_limits_needs_a_confirming_note() -> None:
    ctx = Context(limits=(40.0, 50.0))
    [problem] = check_entry(PROPORTION, Figures(numerator=57, denominator=100), ctx)
    assert problem.confirm and problem.message.startswith(
        "57.0% is outside the process limits (40.0% to 50.0%)"
    )
    noted = Figures(numerator=57, denominator=100, note="new recording rules from April")
    assert check_entry(PROPORTION, noted, ctx) == []
    assert check_entry(PROPORTION, Figures(numerator=57, denominator=100, note="  "), ctx)


def test_a_change_beyond_confirm_change_needs_a_note() -> None:
    [problem] = check_entry(COUNT, Figures(value=6.0), Context(last=4.0))  # +50% > 25%
    assert (
        problem.confirm
        and "£6.00m is 50.0% up on last month's £4.00m (more than 25.0%)" in problem.message
    )
    assert check_entry(COUNT, Figures(value=4.9), Context(last=4.0)) == []  # +22.5%
    assert check_entry(COUNT, Figures(value=2.0, note="refund"), Context(last=4.0)) == []


def test_a_published_month_needs_a_reason_and_an_error_hides_surprises() -> None:
    [problem] = check_entry(COUNT, Figures(value=4.0), Context(published=True))
    assert problem.field == "reason" and "published pack" in problem.message
    assert (
        check_entry(COUNT, Figures(value=4.0), Context(published=True), reason="late invoice") == []
    )
    # a figure that is not one is refused for that alone
    problems = check_entry(COUNT, Figures(value=-1.0), Context(last=4.0, limits=(3, 5)))
    assert [p.confirm for p in problems] == [False]


def test_the_figure_compared_is_the_one_the_engine_shows() -> None:
    assert figure_of(PROPORTION, Figures(numerator=1, denominator=4)) == 25.0
    assert figure_of(PROPORTION, Figures(value=33.3, sample_size=900)) == 33.3
    assert figure_of(_measure("mean"), Figures(numerator=10, denominator=4)) == 2.5
    assert figure_of(COUNT, Figures(numerator=7)) == 7
