"""Precision that never contradicts: the one rule for writing two figures a sentence compares.

A figure is written to its measure's display precision (``decimals``). When two figures a
sentence compares ("up from A", "from A to B", "A against a target of B") would print
identically there, or their difference would print as nothing ("+0 pts"), both are written
with as many more decimals as it takes to tell them apart, up to the data's own precision
(at most :data:`MAX_EXTRA_DECIMALS` more; whole counts never gain decimals). The change is
worked out from the unrounded figures and written to the same precision, so its sign agrees
with the words. Figures still equal at the data's precision are *level*: the sentence says
so in words rather than "up" or "down".

>>> c = compare(76.6, 77.4, "%", 0, change_unit="pts")
>>> c.first_text, c.second_text, c.change_text, c.direction.value
('76.6%', '77.4%', '+0.8 pts', 'up')
>>> compare(76.4, 77.6, "%", 0, change_unit="pts").change_text
'+1 pts'
>>> compare(1234, 1234, "", 0).direction.value
'level'
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from kpiboard.formatting import percent_change, round_half_up, signed, with_unit
from kpiboard.vocabulary import ChangeDirection

MAX_EXTRA_DECIMALS = 3  # the most decimals a compared figure gains beyond its measure's


def data_decimals(value: float, limit: int) -> int:
    """The decimals ``value`` carries, up to ``limit``: 1234 -> 0, 76.6 -> 1, 2/3 -> limit
    (a quotient that does not terminate carries as many as it is allowed)."""
    if not math.isfinite(value):
        return 0
    for d in range(limit + 1):
        if abs(round_half_up(value, d) - value) <= 1e-9 * max(1.0, abs(value)):
            return d
    return limit


def decimals_to_differ(
    first: float, second: float, decimals: int, extra: int = MAX_EXTRA_DECIMALS
) -> int | None:
    """The fewest decimals, from ``decimals``, at which ``first`` and ``second`` print
    differently and their difference does not round to zero; None when they are equal at
    the data's own precision (at most ``decimals + extra``).

    >>> decimals_to_differ(76.6, 77.4, 0), decimals_to_differ(76.4, 77.6, 0)
    (1, 0)
    >>> decimals_to_differ(76.49, 76.51, 0), decimals_to_differ(5.0, 5.0, 1)
    (2, None)
    """
    limit = decimals + extra
    cap = max(decimals, data_decimals(first, limit), data_decimals(second, limit))
    for d in range(decimals, cap + 1):
        a, b = round_half_up(first, d), round_half_up(second, d)
        if a != b and round_half_up(second - first, d) != 0:
            return d
    return None


def change_decimals(change: float, decimals: int, extra: int = MAX_EXTRA_DECIMALS) -> int:
    """The fewest decimals, from ``decimals``, at which a nonzero change does not print as
    zero (``+0.0%`` beside "up" would contradict it).

    >>> change_decimals(0.04, 1), change_decimals(2.6, 1), change_decimals(0.0, 1)
    (2, 1, 1)
    """
    limit = decimals + extra
    for d in range(decimals, limit + 1):
        if round_half_up(change, d) != 0:
            return d
    return decimals


def percent_change_text(percent: float, decimals: int) -> str:
    """A % change that never prints as ``+0.0%`` unless it is nothing.

    >>> percent_change_text(0.04, 1), percent_change_text(-2.61, 1)
    ('+0.04%', '-2.6%')
    """
    return percent_change(percent, change_decimals(percent, decimals))


@dataclass(frozen=True)
class Comparison:
    """Two figures as a sentence compares them: ``first`` (then, or the figure) and
    ``second`` (now, or the target), both written to ``decimals``, and the change
    ``second - first`` from the unrounded figures, written to the same ``decimals``.
    ``level``: equal at the data's own precision (say so in words)."""

    first: float
    second: float
    decimals: int
    first_text: str
    second_text: str
    change: float
    change_text: str
    level: bool

    @property
    def direction(self) -> ChangeDirection:
        """Up, down or level, as the change is written (never "up" with ``+0 pts``)."""
        if self.level:
            return ChangeDirection.LEVEL
        return ChangeDirection.of(round_half_up(self.change, self.decimals))

    @property
    def extended(self) -> bool:
        """Whether the figures needed more decimals than the measure shows."""
        return self.decimals != self.base_decimals

    base_decimals: int = 0


def compare(
    first: float,
    second: float,
    unit: str,
    decimals: int,
    *,
    change_unit: str | None = None,
    as_change: bool = False,
) -> Comparison:
    """``first`` and ``second`` written so that they differ whenever they do, with the change
    between them (in ``change_unit``, default ``unit``: ``"pts"`` for percentages).
    ``as_change``: the figures are themselves % changes (``-2.4%`` against ``-5%``).

    >>> c = compare(1234, 1234.4, "", 0)
    >>> c.first_text, c.second_text, c.change_text
    ('1,234.0', '1,234.4', '+0.4')
    >>> c = compare(77.2, 76.5, "%", 0, change_unit="pts")
    >>> c.first_text, c.second_text, c.change_text, c.direction.value
    ('77.2%', '76.5%', '-0.7 pts', 'down')
    >>> c = compare(77.0, 77.0, "%", 0, change_unit="pts")
    >>> c.first_text, c.change_text, c.level
    ('77%', '0 pts', True)
    """
    found = decimals_to_differ(first, second, decimals)
    places = decimals if found is None else found
    write: Callable[[float], str] = (
        (lambda x: percent_change(x, places))
        if as_change
        else (lambda x: with_unit(x, unit, places))
    )
    change = second - first
    return Comparison(
        first=first,
        second=second,
        decimals=places,
        first_text=write(first),
        second_text=write(second),
        change=change,
        change_text=signed(0.0 if found is None else change, change_unit or unit, places),
        level=found is None,
        base_decimals=decimals,
    )


def common_decimals(
    first: float, first_decimals: int, second: float, second_decimals: int
) -> int | None:
    """None when ``first`` and ``second``, each written to its own decimals, still compare
    the way they truly do; else the decimals to write both with so that they do (None again
    when they are equal at the data's precision and print alike).

    >>> common_decimals(4321, 0, 4400, 0), common_decimals(0.55, 0, 0.57, 1)
    (None, 2)
    >>> common_decimals(4399.6, 0, 4400, 0)
    1
    """

    def sign(x: float) -> int:
        return (x > 0) - (x < 0)

    shown = round_half_up(second, second_decimals) - round_half_up(first, first_decimals)
    if sign(shown) == sign(second - first) and shown != 0:
        return None
    return decimals_to_differ(first, second, max(first_decimals, second_decimals))


@dataclass(frozen=True)
class AgainstTarget:
    """A figure beside its target: the figure's text, the decimals to write the target with
    (its author's own: the target is exact as written), and the gap between them in
    ``gap_unit`` at the figures' precision. ``level``: equal at the data's precision."""

    figure_text: str
    goal_decimals: int
    gap: float
    gap_text: str
    decimals: int
    level: bool


def against_target(
    figure: float,
    goal: float,
    unit: str,
    decimals: int,
    goal_decimals: int,
    *,
    gap_unit: str,
    as_change: bool = False,
) -> AgainstTarget:
    """``figure`` against the target ``goal`` (written by its author with ``goal_decimals``).
    The figure is written to the finer of the two precisions, more where it would print as
    the target does; the target keeps its author's decimals.

    >>> t = against_target(76.6, 77, "%", 0, 0, gap_unit="pts")
    >>> t.figure_text, t.goal_decimals, t.gap_text
    ('76.6%', 0, '0.4 pts')
    >>> t = against_target(77.2, 79, "%", 0, 0, gap_unit="pts")
    >>> t.figure_text, t.goal_decimals, t.gap_text
    ('77%', 0, '2 pts')
    >>> t = against_target(79.4, 79.5, "%", 0, 1, gap_unit="pts")
    >>> t.figure_text, t.goal_decimals, t.gap_text
    ('79.4%', 1, '0.1 pts')
    """
    base = max(decimals, goal_decimals)
    c = compare(figure, goal, unit, base, as_change=as_change)
    extended = c.decimals > base
    places = c.decimals if extended or goal_decimals > decimals else decimals
    gap = abs(goal - figure)
    return AgainstTarget(
        figure_text=percent_change(figure, places)
        if as_change
        else with_unit(figure, unit, places),
        goal_decimals=goal_decimals,  # exact as its author wrote it: it differs already
        gap=gap,
        gap_text=with_unit(0.0 if c.level else gap, gap_unit, c.decimals),
        decimals=c.decimals,
        level=c.level,
    )
