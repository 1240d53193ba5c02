"""The special-cause rules of an XmR chart as tiny vector functions (Making Data Count, as
NHSRplotthedots 0.2.2 implements them; see docs/SPC.md).

Every function works along the last axis, so the same code judges one series (1-D) or a
matrix of equal-length series (2-D, one series or rebase group per row). Windows never reach
past either end of a row: the ends are padded with zeros, which can never complete a window.

>>> seven_point_trend([1, 2, 3, 4, 5, 6, 7]).tolist()
[0, 0, 0, 0, 0, 0, 1]
>>> part_of(seven_point_trend([1, 2, 3, 4, 5, 6, 7, 7]), TREND_POINTS).tolist()
[True, True, True, True, True, True, True, False]
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from kpiboard.vocabulary import (
    RUN_POINTS,
    TREND_POINTS,
    TWO_OF_THREE_CLOSE,
    TWO_OF_THREE_WINDOW,
    Rule,
)

Bools = npt.NDArray[np.bool_]
Signs = npt.NDArray[np.int8]  # -1, 0, +1
Codes = npt.NDArray[np.int8]  # an index into RULES


#: The order of the integer rule codes the vector functions return.
RULES: tuple[Rule, ...] = tuple(Rule)
#: +1 where a rule says "high" (above, increasing), -1 "low", 0 common cause; by code.
RULE_SIDE: Signs = np.array([r.side for r in RULES], dtype=np.int8)
_RULE_OBJECTS = np.array(RULES, dtype=object)


def rules_of(codes: npt.ArrayLike) -> tuple[Rule, ...]:
    """Rule codes (as returned by :func:`special_cause_rule`) to Rules."""
    return tuple(_RULE_OBJECTS[np.asarray(codes, dtype=np.intp)])


def _window_sums(x: npt.ArrayLike, length: int, *, ahead: bool) -> npt.NDArray[np.int64]:
    """Sum of ``x`` over the ``length`` points ending at (``ahead=False``) or starting at
    (``ahead=True``) each point, zero-padded past either end of the last axis."""
    a = np.asarray(x, dtype=np.int64)
    n = a.shape[-1]
    pad = np.zeros((*a.shape[:-1], length), dtype=np.int64)
    zero = np.zeros((*a.shape[:-1], 1), dtype=np.int64)
    c = np.cumsum(np.concatenate([zero, pad, a, pad], axis=-1), axis=-1)  # c[i] = sum(padded[:i])
    first = length if ahead else 1  # padded index of the window's first point, for point 0
    sums: npt.NDArray[np.int64] = (
        c[..., first + length : first + length + n] - c[..., first : first + n]
    )
    return sums


def seven_point_one_side_mean(relative_to_mean: npt.ArrayLike) -> Bools:
    """True at the last point of every run of ``RUN_POINTS`` points strictly on one side of
    the mean (``relative_to_mean`` is the sign of y - mean; 0 on the mean breaks a run)."""
    ends: Bools = np.abs(_window_sums(relative_to_mean, RUN_POINTS, ahead=False)) == RUN_POINTS
    return ends


def seven_point_trend(y: npt.ArrayLike) -> Signs:
    """+1 at the last point of every ``TREND_POINTS`` strictly rising points, -1 falling,
    else 0. A tie (or a missing value) breaks a trend."""
    a = np.asarray(y, dtype=np.float64)
    out = np.zeros(a.shape, dtype=np.int8)
    if a.shape[-1] < TREND_POINTS:
        return out
    d = np.diff(a, axis=-1)
    steps = TREND_POINTS - 1
    up = _window_sums(d > 0, steps, ahead=False) == steps
    down = _window_sums(d < 0, steps, ahead=False) == steps
    out[..., 1:] = up.astype(np.int8) - down.astype(np.int8)
    return out


def part_of(ends: npt.ArrayLike, length: int) -> Bools:
    """True for every point of every window of ``length`` points that ends at a non-zero
    entry of ``ends`` (a point is marked if itself or one of the next ``length - 1`` is)."""
    marked: Bools = _window_sums(np.asarray(ends) != 0, length, ahead=True) > 0
    return marked


def two_in_three(close_to_limits: npt.ArrayLike, relative_to_mean: npt.ArrayLike) -> Bools:
    """True for every point of a window of ``TWO_OF_THREE_WINDOW`` consecutive points, all
    strictly on one side of the mean, of which at least ``TWO_OF_THREE_CLOSE`` are close to
    the limits (beyond two sigma, inside three)."""
    n = TWO_OF_THREE_WINDOW
    close = _window_sums(close_to_limits, n, ahead=False) >= TWO_OF_THREE_CLOSE
    same_side = np.abs(_window_sums(relative_to_mean, n, ahead=False)) == n
    return part_of(close & same_side, n)


def part_of_two_in_three(close_to_limits: npt.ArrayLike, relative_to_mean: npt.ArrayLike) -> Bools:
    """The points that the 2-of-3 rule colours: in a qualifying window and close themselves."""
    marked: Bools = two_in_three(close_to_limits, relative_to_mean) & (
        np.asarray(close_to_limits) != 0
    )
    return marked


def trend_direction(trend_ends: npt.ArrayLike) -> Signs:
    """For each point of a trend, +1 (increasing) or -1 (decreasing), else 0, from the output
    of :func:`seven_point_trend`. A point shared by two opposite trends (a peak or a trough)
    takes the direction of the later one, as NHSRplotthedots does; a point that belongs to
    one trend only always takes that trend's direction (upstream looks at the next point,
    which may start another trend: see docs/SPC.md, deviations)."""
    ends = np.asarray(trend_ends, dtype=np.int8)
    rising = part_of(ends > 0, TREND_POINTS)
    falling = part_of(ends < 0, TREND_POINTS)
    later = np.zeros(ends.shape, dtype=np.int8)  # the trend starting here ends TREND_POINTS - 1 on
    later[..., : -(TREND_POINTS - 1)] = ends[..., TREND_POINTS - 1 :]
    only = rising.astype(np.int8) - falling.astype(np.int8)
    return np.where(rising & falling, later, only).astype(np.int8)


def special_cause_rule(
    relative_to_mean: npt.ArrayLike,
    outside_limits: npt.ArrayLike,
    trend: npt.ArrayLike,
    part_of_two_of_three: npt.ArrayLike,
    part_of_run: npt.ArrayLike,
) -> Codes:
    """One rule code per point (see ``RULES``) by precedence: outside limits > trend >
    2 of 3 > run > common cause. ``trend`` is the output of :func:`trend_direction`; the side
    of the other rules is that of the mean (a point outside the limits is "above" only when
    it is above the mean, as upstream)."""
    rel = np.asarray(relative_to_mean)
    above = rel > 0
    outside = np.asarray(outside_limits) != 0
    t = np.asarray(trend)
    two = np.asarray(part_of_two_of_three) != 0
    run = np.asarray(part_of_run) != 0
    code = RULES.index
    conditions = [outside & (rel == 1), outside, t > 0, t < 0, two & above, two, run & above, run]
    choices = [
        code(Rule.OUTSIDE_LIMITS_ABOVE),
        code(Rule.OUTSIDE_LIMITS_BELOW),
        code(Rule.TREND_INCREASING),
        code(Rule.TREND_DECREASING),
        code(Rule.TWO_OF_THREE_ABOVE),
        code(Rule.TWO_OF_THREE_BELOW),
        code(Rule.RUN_ABOVE),
        code(Rule.RUN_BELOW),
    ]
    return np.select(conditions, choices, default=code(Rule.COMMON_CAUSE)).astype(np.int8)
