"""Movement explained: the monthly average against the target's, a run-rate forecast, the
month that dropped out of a rolling total, and the range over the last twelve months.

Each function returns the structured figure (with its words) or None where it does not apply.
"""

from __future__ import annotations

from dataclasses import dataclass

from kpiboard.catalogue.schema import Measure
from kpiboard.engine.evaluate import Evaluator, Value
from kpiboard.formatting import decimals_of, with_unit
from kpiboard.periods import fy_label, fy_start, short_month, span_label
from kpiboard.precision import common_decimals, compare
from kpiboard.scorecard import DropOff, Forecast, MonthlyAverage, MonthRange
from kpiboard.vocabulary import WindowKind

MONTHS_IN_YEAR = 12
AVERAGE_EXTRA_DECIMALS = 1  # a monthly average carries one more decimal than the measure


def _fmt(m: Measure, x: float, extra: int = 0) -> str:
    return with_unit(x, m.unit, m.decimals + extra)


@dataclass(frozen=True)
class Profile:
    """How a year's target spreads over its months: ``shares[k]`` of it falls in the year's
    k-th month (flat: 1/12 each)."""

    shares: tuple[float, ...]
    words: str

    def elapsed(self, months: int) -> float:
        return sum(self.shares[:months])


FLAT = Profile(tuple([1 / MONTHS_IN_YEAR] * MONTHS_IN_YEAR), "flat profile (annual target / 12)")


def profile(ev: Evaluator, m: Measure, org: str, latest: Value) -> Profile:
    """The measure's profile. Seasonal: each month's average share of the year's total over the
    last ``profile_years`` complete financial years with every month present; flat when
    there are none (the words say so)."""
    if m.profile == "flat":
        return FLAT
    first = fy_start(latest.window.last, ev.fy)
    years: list[list[float]] = []
    labels: list[str] = []
    for back in range(1, m.profile_years + 1):
        start = first - MONTHS_IN_YEAR * back
        amounts = [ev.monthly_amount(m.id, org, start + k) for k in range(MONTHS_IN_YEAR)]
        got = [a for a in amounts if a is not None]
        if len(got) < MONTHS_IN_YEAR or sum(got) <= 0:
            continue
        total = sum(got)
        years.append([a / total for a in got])
        labels.append(fy_label(start, ev.fy))
    if not years:
        return Profile(
            FLAT.shares, "flat profile: no complete earlier year to take a seasonal one from"
        )
    shares = tuple(sum(col) / len(years) for col in zip(*years, strict=True))
    span = labels[-1] if len(labels) == 1 else f"{labels[-1]} to {labels[0]}"
    return Profile(shares, f"seasonal profile (average monthly shares, {span})")


def monthly_average(
    ev: Evaluator, m: Measure, org: str, latest: Value, annual_target: float | None
) -> MonthlyAverage | None:
    """Average a month so far this financial year, against the target's monthly average over
    the same months: annual target x (the profile's share of the months elapsed) / months."""
    window = ev.window(WindowKind.FYTD, latest.window.last)
    fytd = ev.evaluate(m.id, org, window) if window else None
    if fytd is None:
        return None
    months = fytd.window.length
    avg = fytd.value / months
    extra = AVERAGE_EXTRA_DECIMALS
    prof = profile(ev, m, org, latest)
    target = annual_target * prof.elapsed(months) / months if annual_target is not None else None
    places = m.decimals + extra
    if target is not None:  # the two averages compared, by the precision rule
        places = common_decimals(avg, places, target, places) or places
    return MonthlyAverage(
        value=avg,
        text=with_unit(avg, m.unit, places),
        months=months,
        period=span_label(fytd.window.first, fytd.window.last),
        target=target,
        target_text=with_unit(target, m.unit, places) if target is not None else None,
        profile=prof.words,
    )


def forecast(
    ev: Evaluator, m: Measure, org: str, latest: Value, annual_target: float | None
) -> Forecast | None:
    """Run-rate outturn: the year to date, plus the rest of the year at the pace the year to
    date has kept against the profile (flat: the remaining months at the monthly average)."""
    avg = monthly_average(ev, m, org, latest, annual_target)
    if avg is None:
        return None
    prof = profile(ev, m, org, latest)
    so_far = avg.value * avg.months
    elapsed = prof.elapsed(avg.months)
    if elapsed <= 0:
        return None
    value = so_far / elapsed
    remaining = MONTHS_IN_YEAR - avg.months
    fy = fy_label(latest.window.last, ev.fy)
    method = (
        f"year to date ({avg.period}) plus {remaining} months at its monthly average"
        if prof is FLAT
        else f"year to date ({avg.period}) / its share of the year under the {prof.words}"
    )
    places, goal_places = m.decimals, m.decimals
    if annual_target is not None:  # the forecast against its target, by the precision rule
        goal_places = decimals_of(annual_target)
        if common := common_decimals(value, places, annual_target, goal_places):
            places = goal_places = common
    return Forecast(
        value=value,
        text=with_unit(value, m.unit, places),
        financial_year=fy,
        method=method,
        target=annual_target,
        target_text=with_unit(annual_target, m.unit, goal_places)
        if annual_target is not None
        else None,
    )


def drop_off(ev: Evaluator, m: Measure, org: str, latest: Value) -> DropOff | None:
    """For a rolling 12-month total: last month's total, the month that left it and the month
    that joined it (new total = previous - dropped + added)."""
    if latest.window.kind is not WindowKind.ROLLING_12:
        return None
    end = latest.window.last
    prev_window = ev.window(WindowKind.ROLLING_12, end - 1)
    prev = ev.evaluate(m.id, org, prev_window) if prev_window else None
    dropped = ev.monthly_amount(m.id, org, end - 12)
    added = ev.monthly_amount(m.id, org, end)
    if prev is None or dropped is None or added is None:
        return None
    compared = compare(dropped, added, m.unit, m.decimals)  # by the precision rule
    return DropOff(
        previous_total=prev.value,
        previous_total_text=_fmt(m, prev.value),
        dropped_period=short_month(end - 12),
        dropped_value=dropped,
        dropped_text=compared.first_text,
        added_period=short_month(end),
        added_value=added,
        added_text=compared.second_text,
    )


def month_range(ev: Evaluator, m: Measure, org: str, latest: Value) -> MonthRange | None:
    """Lowest and highest single month in the twelve months to the latest figure."""
    end = latest.window.last
    months = [(mm, ev.monthly_amount(m.id, org, mm)) for mm in range(end - 11, end + 1)]
    got = [(mm, v) for mm, v in months if v is not None]
    if len(got) < MONTHS_IN_YEAR:
        return None
    low = min(got, key=lambda x: (x[1], x[0]))
    high = max(got, key=lambda x: (x[1], -x[0]))
    return MonthRange(
        low=low[1],
        low_text=_fmt(m, low[1]),
        low_period=short_month(low[0]),
        high=high[1],
        high_text=_fmt(m, high[1]),
        high_period=short_month(high[0]),
        months=MONTHS_IN_YEAR,
    )


def sentences(
    m: Measure,
    avg: MonthlyAverage | None,
    fc: Forecast | None,
    drop: DropOff | None,
    rng: MonthRange | None,
    wanted: set[str],
) -> list[str]:
    out: list[str] = []
    if drop and "drop_off" in wanted:
        compared = compare(drop.dropped_value, drop.added_value, m.unit, m.decimals)
        change = compared.change
        moved = (
            "no change"
            if compared.level
            else f"{'down' if change < 0 else 'up'} "
            f"{with_unit(abs(change), m.unit, compared.decimals)}"
        )
        out.append(
            f"{drop.dropped_period} ({drop.dropped_text}) dropped out of the rolling 12-month total "
            f"and {drop.added_period} ({drop.added_text}) came in: {moved} "
            f"on last month's {drop.previous_total_text}"
        )
    if avg and "monthly_average" in wanted:
        text = f"An average of {avg.text} a month in {avg.period}"
        if avg.target_text:
            text += f" against a target monthly average of {avg.target_text}"
            if avg.profile != FLAT.words:
                text += f" ({avg.profile})"
        out.append(text)
    if rng and "range" in wanted:
        out.append(
            f"In the last 12 months the monthly range is {rng.low_text} ({rng.low_period}) "
            f"to {rng.high_text} ({rng.high_period})"
        )
    if fc and "forecast" in wanted:
        text = f"Run-rate forecast for {fc.financial_year}: {fc.text}"
        if fc.target_text:
            text += f" against the {fc.target_text} target"
        out.append(text)
    return out
