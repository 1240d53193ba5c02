"""Uncertainty behind a row: a 95% interval for a survey level, and whether the change against
the comparator (or a gap between two groups) is more than chance, with the test named.

* proportions: two independent proportions (survey respondents, or the recorded cases a rate
  is taken over), z-test with unpooled standard error and the survey's design factor;
* differences of two survey proportions: the gap itself tested the same way;
* counts of events and rates per population: the exact conditional Poisson test, with the
  population as exposure for rates.

Money, means, snapshots and ratios get no test: their noise is not a counting process.
"""

from __future__ import annotations

import math

from kpiboard.catalogue import Catalogue
from kpiboard.catalogue.schema import Measure
from kpiboard.engine.evaluate import Value
from kpiboard.engine.stats import (
    Test,
    format_p_value,
    poisson_rate_test,
    two_proportion_test,
    wilson_interval,
)
from kpiboard.formatting import CURRENCY_SYMBOLS, with_unit
from kpiboard.precision import compare
from kpiboard.scorecard import Interval, Significance
from kpiboard.vocabulary import MeasureKind

WILSON = "Wilson 95% interval"


def interval(m: Measure, latest: Value) -> Interval | None:
    """Wilson 95% interval of a survey proportion's latest figure."""
    if m.kind is not MeasureKind.PROPORTION or not m.survey or not latest.sample_size:
        return None
    low, high = wilson_interval(latest.value, latest.sample_size, deft=m.deft or 1.0)
    decimals = max(m.decimals, 1)
    method = WILSON + (f", design factor {m.deft}" if m.deft else "")
    return Interval(
        low, high, f"{with_unit(low, '%', decimals)} to {with_unit(high, '%', decimals)}", method
    )


def significance(
    cat: Catalogue, m: Measure, latest: Value, comp: Value | None, comp_label: str
) -> Significance | None:
    """The test that fits the measure, or None."""
    if m.kind is MeasureKind.DIFFERENCE and len(latest.parts) == 2:
        return _gap(cat, m, latest)
    if comp is None:
        return None
    test = _change_test(m, latest, comp)
    if test is None:
        return None
    # the two figures by the precision rule: never "the change from 77% to 77%"
    compared = compare(comp.value, latest.value, m.unit, m.decimals)
    then, now = compared.first_text, compared.second_text
    if compared.level:
        what = f"the figure, unchanged from {then} ({comp_label}),"
    else:
        word = "rise" if compared.change > 0 else "fall"
        what = f"the {word} from {then} ({comp_label}) to {now}"
    return _significance(f"change against {comp_label}", test, what)


def _change_test(m: Measure, latest: Value, comp: Value) -> Test | None:
    if m.kind is MeasureKind.PROPORTION:
        if latest.sample_size and comp.sample_size:
            return two_proportion_test(
                latest.value, latest.sample_size, comp.value, comp.sample_size, deft=m.deft or 1.0
            )
        return None
    if m.kind in (MeasureKind.COUNT, MeasureKind.COMPOSITE) and _events(
        m, latest.value, comp.value
    ):
        # the same window a year apart: equal exposure
        return poisson_rate_test(round(latest.value), 1.0, round(comp.value), 1.0)
    if m.kind is MeasureKind.PER_POPULATION:
        counts, pops = (latest.numerator, comp.numerator), (latest.denominator, comp.denominator)
        if None in counts or None in pops or not _events(m, *(c or 0.0 for c in counts)):
            return None
        months = latest.window.length
        return poisson_rate_test(
            round(counts[0] or 0),
            (pops[0] or 0) * months,
            round(counts[1] or 0),
            (pops[1] or 0) * months,
        )
    return None


def _events(m: Measure, *values: float) -> bool:
    """Whole, non-negative numbers of something counted (not money, not percentages)."""
    if m.unit[:1] in CURRENCY_SYMBOLS or m.unit in ("%", "pts"):
        return False
    return all(v >= 0 and math.isfinite(v) and float(v).is_integer() for v in values)


def _gap(cat: Catalogue, m: Measure, latest: Value) -> Significance | None:
    first, second = (cat.measures[i] for i in (m.of or []))
    a, b = latest.parts
    if not (first.survey and second.survey and a.sample_size and b.sample_size):
        return None
    deft = max(first.deft or 1.0, second.deft or 1.0)
    test = two_proportion_test(a.value, a.sample_size, b.value, b.sample_size, deft=deft)
    gap = with_unit(abs(latest.value), "pts", max(m.decimals, 1))
    return _significance(
        "gap between the two groups", test, f"the {gap} gap between the two groups"
    )


def _significance(tested: str, test: Test, what: str) -> Significance:
    def finite(x: float) -> float | None:
        return x if math.isfinite(x) else None

    return Significance(
        tested=tested,
        verdict=test.verdict,
        significant=test.significant,
        method=test.method,
        p_value=test.p_value,
        p_text=format_p_value(test.p_value),
        estimate=test.estimate,
        ci_low=finite(test.ci_low),
        ci_high=finite(test.ci_high),
        text=test.sentence(what),
    )
