"""Statistical process control: XmR charts with the Making Data Count rules ("plot the dots").

The method is NHSRplotthedots 0.2.2's (``../shared/docs/SPC-METHOD.md``); kpiboard's few
deliberate differences are listed in docs/SPC.md. Everything here is pure numpy over arrays:
one series is cut into its rebase groups, the groups are laid out as the rows of a matrix
(padded with NaN), and the same vector code judges every row at once. Many equal-length
series go through the same code as one matrix (:func:`spc_batch`).

>>> r = spc([5, 6, 5, 7, 6, 5, 6, 7, 5, 6, 14], direction="increase", target=4)
>>> round(float(r.mean[0]), 2), round(float(r.lpl[0]), 2), round(float(r.upl[0]), 2)
(6.55, 3.29, 9.8)
>>> r.rule[-1].label, r.variation.value, r.assurance.value
('Above UCL', 'improvement_high', 'inconsistent')
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Real
from typing import Any, NamedTuple, TypeVar

import numpy as np
import numpy.typing as npt

from kpiboard.engine.spc_rules import (
    RULE_SIDE,
    RULES,
    Codes,
    part_of,
    part_of_two_in_three,
    rules_of,
    seven_point_one_side_mean,
    seven_point_trend,
    special_cause_rule,
    trend_direction,
)
from kpiboard.engine.spc_types import (
    ASSURANCES,
    MIN_FIX_AFTER,
    MR_SCREEN,
    NO_ASSURANCE,
    POINT_TYPES,
    SHORT_GROUP,
    TWO_SIGMA,
    VARIATIONS,
    XMR_LIMIT,
    Floats,
    Ints,
    Record,
)
from kpiboard.errors import KpiboardError
from kpiboard.vocabulary import (
    RUN_POINTS,
    TREND_POINTS,
    TWO_OF_THREE_CLOSE,
    TWO_OF_THREE_WINDOW,
    Assurance,
    Direction,
    PointType,
    Rule,
    Variation,
)

__all__ = [
    "ASSURANCES",
    "MIN_FIX_AFTER",
    "MR_SCREEN",
    "NO_ASSURANCE",
    "POINT_TYPES",
    "RULES",
    "RUN_POINTS",
    "SHORT_GROUP",
    "TREND_POINTS",
    "TWO_OF_THREE_CLOSE",
    "TWO_OF_THREE_WINDOW",
    "TWO_SIGMA",
    "VARIATIONS",
    "XMR_LIMIT",
    "Assurance",
    "Direction",
    "PointType",
    "Rule",
    "SpcBatch",
    "SpcResult",
    "Variation",
    "assurance",
    "check_options",
    "spc",
    "spc_batch",
    "spc_many",
    "xmr_limits",
]

_A = TypeVar("_A", bound=np.ndarray[Any, Any])
_DIRECTION_OF_SIGN = {d.sign: d for d in Direction}
_PT = {t: i for i, t in enumerate(POINT_TYPES)}
_VAR = {v: i for i, v in enumerate(VARIATIONS)}
_ASSURE = {a: i for i, a in enumerate(ASSURANCES)}
_PT_OBJECTS = np.array(POINT_TYPES, dtype=object)
_RULE_OBJECTS = np.array(RULES, dtype=object)


@dataclass(frozen=True, eq=False)
class SpcResult:
    """One series through SPC. Arrays have one entry per point (NaN where a limit is
    undefined: a one-point group); the arrays are read-only."""

    values: Floats
    mean: Floats
    lpl: Floats  # lower process limit
    upl: Floats  # upper process limit
    nlpl: Floats  # "two sigma" bands of the 2-of-3 rule
    nupl: Floats
    point_type: tuple[PointType, ...]
    rule: tuple[Rule, ...]
    rebase_group: Ints  # 0 for the first group, +1 at each rebase
    trial_limits: npt.NDArray[np.bool_]  # the point's group has fewer than SHORT_GROUP points
    variation: Variation
    assurance: Assurance | None
    direction: Direction
    target: float | None

    @property
    def n(self) -> int:
        return int(self.values.shape[0])

    @property
    def last_rule(self) -> Rule:
        return self.rule[-1]

    @property
    def last_point_type(self) -> PointType:
        return self.point_type[-1]

    def records(self, dates: Sequence[str]) -> list[Record]:
        """One flat record per point (NaN limits as None), for JSON and CSV output."""
        if len(dates) != self.n:
            raise ValueError(f"{len(dates)} dates for {self.n} points")

        def num(x: np.float64) -> float | None:
            return float(x) if math.isfinite(x) else None

        return [
            {
                "date": dates[i],
                "value": float(self.values[i]),
                "mean": num(self.mean[i]),
                "lpl": num(self.lpl[i]),
                "upl": num(self.upl[i]),
                "point_type": self.point_type[i].value,
                "rule": self.rule[i].value,
                "rebase_group": int(self.rebase_group[i]),
                "trial_limits": bool(self.trial_limits[i]),
            }
            for i in range(self.n)
        ]


class Limits(NamedTuple):
    """Per row of a matrix: the centre line, the process limits and the two-sigma band."""

    mean: Floats
    lpl: Floats
    upl: Floats
    nlpl: Floats
    nupl: Floats


# --- validation -----------------------------------------------------------------------------


def _direction(direction: Direction | str) -> Direction:
    try:
        return Direction(direction)
    except ValueError:
        raise KpiboardError(
            f"unknown direction {direction!r}",
            field="direction",
            hint="use one of " + ", ".join(d.value for d in Direction),
        ) from None


def check_options(
    direction: Direction | str, target: float | None, fix_after: int | None
) -> Direction:
    """Check the options that do not depend on the data; return the direction."""
    d = _direction(direction)
    if target is not None:
        if (
            isinstance(target, bool)
            or not isinstance(target, Real)
            or not math.isfinite(float(target))
        ):
            raise KpiboardError(
                f"the target {target!r} is not a finite number",
                field="target",
                hint="give the target as a plain number, or no target",
            )
        if d is Direction.NEUTRAL:
            raise KpiboardError(
                "a target was given for a neutral measure",
                field="target",
                hint="assurance needs a direction: say whether an increase or a "
                "decrease is better, or drop the target",
            )
    if fix_after is not None and (
        isinstance(fix_after, bool) or not isinstance(fix_after, int) or fix_after < MIN_FIX_AFTER
    ):
        raise KpiboardError(
            f"limits can be fixed after {MIN_FIX_AFTER} points at the earliest, not {fix_after!r}",
            field="fix_after",
            hint=f"give at least {MIN_FIX_AFTER} baseline points, or leave it out "
            "to use every point",
        )
    return d


def _positions(bad: npt.NDArray[np.bool_]) -> str:
    where = np.flatnonzero(bad)
    shown = ", ".join(str(int(i)) for i in where[:5])
    return shown + (f" and {len(where) - 5} more" if len(where) > 5 else "")


_NEVER_INTERPOLATE = (
    "kpiboard never interpolates: give every period its value; if a period "
    "genuinely has none, leave it out and start new limits after the gap "
    "(a rebase)"
)


def _values(values: npt.ArrayLike) -> Floats:
    # a list keeps its items as they are (np.asarray would turn [1, "x"] into two strings)
    raw = values if isinstance(values, np.ndarray) else np.asarray(values, dtype=object)
    if (
        raw.dtype.kind == "O"
        and raw.size
        and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in raw.flat)
    ):
        raw = raw.astype(np.float64)
    if raw.ndim != 1:
        raise KpiboardError(
            f"an SPC series is one list of numbers, not a {raw.ndim}-d array",
            field="values",
            hint="pass one series; use spc_batch for many",
        )
    if raw.dtype.kind not in "iuf":
        for i, x in enumerate(raw.tolist()):
            if x is None:
                continue  # reported as missing below
            if isinstance(x, bool) or not isinstance(x, Real):
                raise KpiboardError(
                    f"the value at position {i} ({x!r}) is not a number",
                    field="values",
                    hint="values must be plain numbers",
                )
    y = np.array(raw.tolist() if raw.dtype.kind == "O" else raw, dtype=np.float64)
    if y.size == 0:
        raise KpiboardError(
            "the series has no points", field="values", hint="an SPC chart needs at least one value"
        )
    if np.isnan(y).any():
        raise KpiboardError(
            f"missing value (NaN) at position {_positions(np.isnan(y))} (from 0)",
            field="values",
            hint=_NEVER_INTERPOLATE,
        )
    if np.isinf(y).any():
        raise KpiboardError(
            f"infinite value at position {_positions(np.isinf(y))} (from 0)",
            field="values",
            hint="values must be finite numbers",
        )
    return y


def _group_starts(rebase_indices: Sequence[int], n: int) -> Ints:
    starts = {0}
    for i in rebase_indices:
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not 0 <= i < n:
            raise KpiboardError(
                f"rebase index {i!r} is not a position in the series (0 to {n - 1})",
                field="rebase_indices",
                hint="give the 0-based position of the first point of each new group",
            )
        starts.add(int(i))
    return np.array(sorted(starts), dtype=np.intp)


# --- the vector core ------------------------------------------------------------------------


def _row_mean(x: Floats, keep: npt.NDArray[np.bool_]) -> Floats:
    count = keep.sum(axis=-1)
    total = np.where(keep, x, 0.0).sum(axis=-1)
    out = np.full(count.shape, np.nan)
    np.divide(total, count, out=out, where=count > 0)
    return out


def xmr_limits(y: Floats, fix_after: int | None = None, screen_outliers: bool = True) -> Limits:
    """Mean and limits of each row of ``y`` (NaN pads the rows' ends).

    The baseline is the first ``fix_after`` points of the row (all of them if None). Moving
    ranges are screened once: those at or above ``MR_SCREEN`` × their average are dropped and
    the average recomputed; the mean is never screened. A row whose moving ranges are all 0 is
    not screened (upstream would screen out all of them and return NaN limits)."""
    base = y if fix_after is None else y[..., :fix_after]
    valid = ~np.isnan(base)
    mean = _row_mean(base, valid)
    mr = np.abs(np.diff(base, axis=-1))
    has_mr = ~np.isnan(mr)
    amr = _row_mean(mr, has_mr)
    if screen_outliers:
        cut = MR_SCREEN * amr[..., None]
        amr = _row_mean(mr, has_mr & ((mr < cut) | (cut == 0)))
    return Limits(
        mean,
        mean - XMR_LIMIT * amr,
        mean + XMR_LIMIT * amr,
        mean - TWO_SIGMA * amr,
        mean + TWO_SIGMA * amr,
    )


def point_type_codes(side: npt.ArrayLike, direction_sign: npt.ArrayLike) -> Codes:
    """Point type codes (index into POINT_TYPES) from a rule's side and the direction."""
    s = np.asarray(side)
    d = np.asarray(direction_sign)
    good = s * d
    conditions = [s == 0, (d == 0) & (s > 0), d == 0, good > 0]
    choices = [
        _PT[PointType.COMMON_CAUSE],
        _PT[PointType.SPECIAL_CAUSE_NEUTRAL_HIGH],
        _PT[PointType.SPECIAL_CAUSE_NEUTRAL_LOW],
        _PT[PointType.SPECIAL_CAUSE_IMPROVEMENT],
    ]
    return np.select(conditions, choices, _PT[PointType.SPECIAL_CAUSE_CONCERN]).astype(np.int8)


def _judge(y: Floats, lim: Limits, direction_sign: npt.NDArray[np.int8]) -> tuple[Codes, Codes]:
    """Rule and point type codes for every point of every row."""
    col = (slice(None), None)
    outside = (y > lim.upl[col]) | (y < lim.lpl[col])
    rel = np.nan_to_num(np.sign(y - lim.mean[col]), nan=0.0).astype(np.int8)
    close = ~outside & ((y < lim.nlpl[col]) | (y > lim.nupl[col]))
    run = part_of(seven_point_one_side_mean(rel), RUN_POINTS)
    trend = trend_direction(seven_point_trend(y))
    two = part_of_two_in_three(close, rel)
    rule = special_cause_rule(rel, outside, trend, two, run)
    return rule, point_type_codes(RULE_SIDE[rule], direction_sign[col])


def _variation_codes(last_type: Codes, direction_sign: npt.NDArray[np.int8]) -> Codes:
    up = direction_sign > 0
    conditions = [
        last_type == _PT[PointType.SPECIAL_CAUSE_IMPROVEMENT],
        last_type == _PT[PointType.SPECIAL_CAUSE_CONCERN],
        last_type == _PT[PointType.SPECIAL_CAUSE_NEUTRAL_HIGH],
        last_type == _PT[PointType.SPECIAL_CAUSE_NEUTRAL_LOW],
    ]
    choices = [
        np.where(up, _VAR[Variation.IMPROVEMENT_HIGH], _VAR[Variation.IMPROVEMENT_LOW]),
        np.where(up, _VAR[Variation.CONCERN_LOW], _VAR[Variation.CONCERN_HIGH]),
        np.full(up.shape, _VAR[Variation.NEUTRAL_HIGH]),
        np.full(up.shape, _VAR[Variation.NEUTRAL_LOW]),
    ]
    return np.select(conditions, choices, _VAR[Variation.COMMON_CAUSE]).astype(np.int8)


def _assurance_codes(
    target: Floats, direction_sign: npt.NDArray[np.int8], lpl: Floats, upl: Floats
) -> Codes:
    up = direction_sign > 0
    undefined = np.isnan(target) | (direction_sign == 0) | np.isnan(lpl) | np.isnan(upl)
    passes, fails = _ASSURE[Assurance.CONSISTENT_PASS], _ASSURE[Assurance.CONSISTENT_FAIL]
    conditions = [undefined, target > upl, target < lpl]
    choices = [
        np.full(up.shape, NO_ASSURANCE),
        np.where(up, fails, passes),
        np.where(up, passes, fails),
    ]
    return np.select(conditions, choices, _ASSURE[Assurance.INCONSISTENT]).astype(np.int8)


def assurance(
    target: float | None, direction: Direction | str, lpl: npt.ArrayLike, upl: npt.ArrayLike
) -> Assurance | None:
    """The assurance icon judged at the **last** point's limits (so the last rebase group's,
    or the fixed ones). None without a target, for a neutral measure, or where the limits are
    undefined. Strict comparisons: a target equal to a limit is ``inconsistent``."""
    d = _direction(direction)
    lo, hi = np.asarray(lpl, dtype=np.float64), np.asarray(upl, dtype=np.float64)
    t = np.array([np.nan if target is None else float(target)])
    code = int(_assurance_codes(t, np.array([d.sign], dtype=np.int8), lo[-1:], hi[-1:])[0])
    return None if code == NO_ASSURANCE else ASSURANCES[code]


# --- one series -----------------------------------------------------------------------------


def _frozen(a: _A) -> _A:
    a.setflags(write=False)
    return a


def spc(
    values: npt.ArrayLike,
    *,
    direction: Direction | str = Direction.INCREASE,
    target: float | None = None,
    rebase_indices: Sequence[int] = (),
    fix_after: int | None = None,
    screen_outliers: bool = True,
) -> SpcResult:
    """An XmR chart of one series with the Making Data Count rules.

    ``rebase_indices`` are 0-based positions that start a new group with its own limits (0 has
    no effect). ``fix_after`` freezes each group's limits after that many points (at least
    ``MIN_FIX_AFTER``). Raises KpiboardError for missing or infinite values (nothing is ever
    interpolated), bad options, and a target on a neutral measure.

    >>> r = spc([1, 2, 3, 4, 5, 6, 7], direction="decrease")
    >>> r.rule[3].label, r.point_type[3].value, bool(r.trial_limits[3])
    ('7 Point Trend (Increasing)', 'special_cause_concern', True)
    """
    d = check_options(direction, target, fix_after)
    y = _values(values)
    n = y.shape[0]
    starts = _group_starts(rebase_indices, n)
    sizes = np.diff(np.append(starts, n))
    cols = np.arange(int(sizes.max()))
    inside = cols < sizes[:, None]
    grid = np.where(inside, y[np.minimum(starts[:, None] + cols, n - 1)], np.nan)
    lim = xmr_limits(grid, fix_after, screen_outliers)
    signs = np.full(len(starts), d.sign, dtype=np.int8)
    rule, ptype = _judge(grid, lim, signs)
    group = np.repeat(np.arange(len(starts)), sizes)
    point_types = ptype[inside]
    lpl, upl = lim.lpl[group], lim.upl[group]
    t = np.array([np.nan if target is None else float(target)])
    variation = VARIATIONS[int(_variation_codes(point_types[-1:], signs[-1:])[0])]
    assured = int(_assurance_codes(t, signs[-1:], lpl[-1:], upl[-1:])[0])
    return SpcResult(
        values=_frozen(y),
        mean=_frozen(lim.mean[group]),
        lpl=_frozen(lpl),
        upl=_frozen(upl),
        nlpl=_frozen(lim.nlpl[group]),
        nupl=_frozen(lim.nupl[group]),
        point_type=tuple(_PT_OBJECTS[point_types]),
        rule=rules_of(rule[inside]),
        rebase_group=_frozen(group),
        trial_limits=_frozen((sizes < SHORT_GROUP)[group]),
        variation=variation,
        assurance=None if assured == NO_ASSURANCE else ASSURANCES[assured],
        direction=d,
        target=None if target is None else float(target),
    )


# --- many series at once --------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class SpcBatch:
    """Many equal-length series (the rows of ``values``) through SPC in one pass, without
    rebasing. Per-row statistics are 1-D; per-point codes index POINT_TYPES and RULES;
    ``assurance_code`` is -1 (NO_ASSURANCE) where there is none."""

    values: Floats
    limits: Limits
    rule_code: Codes
    point_type_code: Codes
    variation_code: Codes
    assurance_code: Codes
    direction_sign: npt.NDArray[np.int8]
    target: Floats  # NaN: no target

    def __len__(self) -> int:
        return int(self.values.shape[0])

    @property
    def trial_limits(self) -> bool:
        return bool(self.values.shape[1] < SHORT_GROUP)

    def result(self, i: int) -> SpcResult:
        return self._result(
            i, tuple(_PT_OBJECTS[self.point_type_code[i]]), tuple(_RULE_OBJECTS[self.rule_code[i]])
        )

    def results(self) -> list[SpcResult]:
        types = _PT_OBJECTS[self.point_type_code]
        rules = _RULE_OBJECTS[self.rule_code]
        return [self._result(i, tuple(types[i]), tuple(rules[i])) for i in range(len(self))]

    def _result(self, i: int, types: tuple[PointType, ...], rules: tuple[Rule, ...]) -> SpcResult:
        n = self.values.shape[1]
        lim = self.limits

        def row(stat: Floats) -> Floats:
            return _frozen(np.full(n, stat[i]))

        a = int(self.assurance_code[i])
        t = float(self.target[i])
        return SpcResult(
            values=self.values[i],
            mean=row(lim.mean),
            lpl=row(lim.lpl),
            upl=row(lim.upl),
            nlpl=row(lim.nlpl),
            nupl=row(lim.nupl),
            point_type=types,
            rule=rules,
            rebase_group=_frozen(np.zeros(n, dtype=np.intp)),
            trial_limits=_frozen(np.full(n, self.trial_limits)),
            variation=VARIATIONS[int(self.variation_code[i])],
            assurance=None if a == NO_ASSURANCE else ASSURANCES[a],
            direction=_DIRECTION_OF_SIGN[int(self.direction_sign[i])],
            target=None if math.isnan(t) else t,
        )


def spc_batch(
    matrix: npt.ArrayLike,
    directions: Direction | str | Sequence[Direction | str],
    *,
    targets: float | Sequence[float | None] | Floats | None = None,
    fix_after: int | None = None,
    screen_outliers: bool = True,
) -> SpcBatch:
    """SPC for every row of ``matrix`` (series × points, no missing values) in one vector pass.

    ``directions`` and ``targets`` are one for all rows or one per row (a NaN or None target:
    none). Gives the same answers as :func:`spc` row by row (tested), much faster.

    >>> b = spc_batch([[1, 2, 3, 4, 5, 6, 7], [7, 6, 5, 4, 3, 2, 1]], "increase")
    >>> [VARIATIONS[c].value for c in b.variation_code]
    ['improvement_high', 'concern_low']
    """
    raw = np.asarray(matrix)
    if raw.ndim != 2 or raw.shape[1] == 0:
        raise KpiboardError(
            f"expected a matrix of series × points, got shape {raw.shape}",
            field="matrix",
            hint="one row per series, all of the same length",
        )
    if raw.dtype.kind not in "iuf":
        raise KpiboardError(
            "the matrix holds something other than numbers",
            field="matrix",
            hint="values must be plain numbers",
        )
    y = np.ascontiguousarray(raw, dtype=np.float64)
    m = y.shape[0]
    bad = ~np.isfinite(y)
    if bad.any():
        r, c = (int(v[0]) for v in np.nonzero(bad))
        raise KpiboardError(
            f"series {r} has a missing or infinite value at position {c}",
            field="matrix",
            hint=_NEVER_INTERPOLATE,
        )
    dirs = [directions] * m if isinstance(directions, str) else list(directions)
    if len(dirs) != m:
        raise KpiboardError(
            f"{len(dirs)} directions for {m} series",
            field="directions",
            hint="give one direction, or one per series",
        )
    if targets is None:
        goal = np.full(m, np.nan)
    elif isinstance(targets, (int, float, np.integer, np.floating)):
        goal = np.full(m, float(targets))
    else:
        goal = np.array([np.nan if t is None else t for t in targets], dtype=np.float64)
    if goal.shape != (m,):
        raise KpiboardError(
            f"{goal.shape[0]} targets for {m} series",
            field="targets",
            hint="give one target, or one per series (NaN or None for none)",
        )
    check_options(Direction.INCREASE, None, fix_after)
    sign_of = {dv: _direction(dv).sign for dv in set(dirs)}
    signs = np.array([sign_of[dv] for dv in dirs], dtype=np.int8)
    if np.isinf(goal).any():
        raise KpiboardError(
            f"series {_positions(np.isinf(goal))}: the target is infinite",
            field="targets",
            hint="give each target as a plain number, or none",
        )
    neutral = (signs == 0) & ~np.isnan(goal)
    if neutral.any():
        raise KpiboardError(
            f"series {_positions(neutral)}: a target was given for a neutral measure",
            field="targets",
            hint="assurance needs a direction: drop the target or say which way is better",
        )
    lim = xmr_limits(y, fix_after, screen_outliers)
    rule, ptype = _judge(y, lim, signs)
    return SpcBatch(
        values=_frozen(y),
        limits=lim,
        rule_code=rule,
        point_type_code=ptype,
        variation_code=_variation_codes(ptype[:, -1], signs),
        assurance_code=_assurance_codes(goal, signs, lim.lpl, lim.upl),
        direction_sign=signs,
        target=goal,
    )


def spc_many(
    matrix: npt.ArrayLike,
    directions: Direction | str | Sequence[Direction | str],
    *,
    targets: float | Sequence[float | None] | Floats | None = None,
    fix_after: int | None = None,
    screen_outliers: bool = True,
) -> list[SpcResult]:
    """:func:`spc_batch`, as one SpcResult per row."""
    return spc_batch(
        matrix, directions, targets=targets, fix_after=fix_after, screen_outliers=screen_outliers
    ).results()
