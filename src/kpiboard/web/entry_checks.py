"""The checks on a figure as its owner enters it (docs/ENTRY.md, "The checks on entry"): what
its measure's kind needs, in range; and what needs confirming with a note — a figure outside
the process limits of the measure's series, or changed from last month by more than the
measure's ``confirm_change`` — or a reason — a month already in a published pack.

Pure: the caller gives the measure, the figures, last month's figure and the SPC limits it read
from the Scorecard, and gets every problem at once, each naming its field, so a form can show
them beside the fields and an upload beside its rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from kpiboard.catalogue.schema import Measure
from kpiboard.formatting import number, with_unit
from kpiboard.vocabulary import MeasureKind
from kpiboard.web.db.entities import Figures


@dataclass(frozen=True)
class Problem:
    """What is wrong with a field. ``confirm``: not an error but a surprise, accepted when the
    entry carries a note saying why (or, for a published month, a reason)."""

    field: str
    message: str
    confirm: bool = False


@dataclass(frozen=True)
class Context:
    """What the checks compare a figure with: last month's figure, the process limits of the
    series (both in the measure's unit: percentages for proportions), and whether the month
    is in a published pack."""

    last: float | None = None
    limits: tuple[float, float] | None = None
    published: bool = False


def figure_of(measure: Measure, f: Figures) -> float | None:
    """The month's figure in the measure's unit, as the engine would show it for one month:
    a proportion as a percentage, a mean's numerator over its denominator."""
    if measure.kind is MeasureKind.PROPORTION:
        if f.numerator is not None and f.denominator:
            return 100.0 * f.numerator / f.denominator
        return f.value
    if measure.kind is MeasureKind.MEAN and f.numerator is not None and f.denominator:
        return f.numerator / f.denominator
    return f.numerator if f.numerator is not None else f.value


# larger than any figure a board reads (a trillion): a typo or a test of the form, never data
ABSURD = 1e12


def _in_range(f: Figures) -> list[Problem]:
    """What no figure may be, whatever its kind."""
    out: list[Problem] = []
    for name in ("numerator", "denominator", "value", "sample_size"):
        got = getattr(f, name)
        if got is not None and not abs(got) <= ABSURD:  # NaN and infinity included
            out.append(Problem(name, f"{name} is beyond any figure kept (more than 10^12)"))
            return out
        if got is not None and got < 0:
            out.append(Problem(name, f"{name} cannot be negative ({number(got, 2)})"))
    if f.denominator is not None and f.denominator <= 0:
        out.append(Problem("denominator", "a denominator must be more than 0"))
    if f.sample_size is not None and f.sample_size <= 0:
        out.append(Problem("sample_size", "a sample size must be more than 0"))
    return out


def _proportion(f: Figures) -> list[Problem]:
    if f.numerator is None and f.denominator is None:
        if f.value is None:
            return [Problem("value", "give a numerator and denominator, or a percentage")]
        if f.value > 100:
            return [Problem("value", "a percentage cannot be more than 100")]
        return []
    if f.numerator is None or f.denominator is None:
        missing = "numerator" if f.numerator is None else "denominator"
        return [Problem(missing, f"a proportion needs both a numerator and a {missing}")]
    if 0 < f.denominator < f.numerator:
        return [Problem("numerator", "the numerator cannot be more than the denominator")]
    return []


def _needed(measure: Measure, f: Figures) -> list[Problem]:
    """The fields the kind needs, each in range."""
    out = _in_range(f)
    if measure.kind is MeasureKind.PROPORTION:
        out += _proportion(f)
    elif measure.kind is MeasureKind.MEAN:
        if f.numerator is not None and f.denominator is None:
            out.append(Problem("denominator", "a mean needs the denominator it is over"))
        elif f.numerator is None and f.value is None:
            out.append(Problem("value", "give the value, or a numerator and denominator"))
    elif f.numerator is None and f.value is None:
        out.append(Problem("value", "give the figure"))
    return out


def _surprises(measure: Measure, f: Figures, ctx: Context) -> list[Problem]:
    figure = figure_of(measure, f)
    if figure is None:
        return []
    out: list[Problem] = []
    places = measure.decimals + 1

    def shown(x: float) -> str:
        return with_unit(x, measure.unit, places)

    if ctx.limits is not None:
        low, high = ctx.limits
        if not low <= figure <= high:
            out.append(
                Problem(
                    "value",
                    f"{shown(figure)} is outside the process limits ({shown(low)} to "
                    f"{shown(high)}): confirm it with a note saying why",
                    confirm=True,
                )
            )
    limit = measure.entry.confirm_change if measure.entry is not None else None
    if limit is not None and ctx.last:
        change = 100.0 * (figure - ctx.last) / abs(ctx.last)
        if abs(change) > limit:
            out.append(
                Problem(
                    "value",
                    f"{shown(figure)} is {number(abs(change), 1)}% "
                    f"{'up' if change > 0 else 'down'} on last month's {shown(ctx.last)} (more than "
                    f"{number(limit, 1)}%): confirm it with a note saying why",
                    confirm=True,
                )
            )
    return out


def check_entry(
    measure: Measure, f: Figures, ctx: Context, *, reason: str | None = None
) -> list[Problem]:
    """Every problem with entering ``f`` for ``measure``: errors (``confirm`` False) refuse
    the entry; surprises (``confirm`` True) are accepted when the figures carry a note. A
    month already in a published pack needs a ``reason`` for its revision."""
    out = _needed(measure, f)
    figure = figure_of(measure, f)
    if not out and figure is not None and not abs(figure) <= ABSURD:  # 1 over 1e-300
        out.append(Problem("denominator", "the figure this makes is beyond any figure kept"))
    if out:
        return out  # surprises about a figure that is not one say nothing
    noted = bool(f.note and f.note.strip())
    out = [p for p in _surprises(measure, f, ctx) if not noted]
    if ctx.published and not (reason and reason.strip()):
        out.append(
            Problem(
                "reason",
                "this month is in a published pack: say why the figure is revised (the pack "
                "will be marked 'revised since published')",
            )
        )
    return out
