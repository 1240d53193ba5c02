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
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from kpiboard.engine.spc_inputs import (
    NEVER_INTERPOLATE,
    check_options,
    direction_of,
    group_starts,
    positions,
    series_values,
)
from kpiboard.engine.spc_limits import (
    Limits,
    assurance_codes,
    judge,
    variation_codes,
    xmr_limits,
)
from kpiboard.engine.spc_rules import (
    RULES,
    Codes,
    rules_of,
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
    "short_groups",
    "spc",
    "spc_batch",
    "spc_many",
    "xmr_limits",
]

_A = TypeVar("_A", bound=np.ndarray[Any, Any])
_DIRECTION_OF_SIGN = {d.sign: d for d in Direction}
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


def assurance(
    target: float | None, direction: Direction | str, lpl: npt.ArrayLike, upl: npt.ArrayLike
) -> Assurance | None:
    """The assurance icon judged at the **last** point's limits (so the last rebase group's,
    or the fixed ones). None without a target, for a neutral measure, or where the limits are
    undefined. Strict comparisons: a target equal to a limit is ``inconsistent``."""
    d = direction_of(direction)
    lo, hi = np.asarray(lpl, dtype=np.float64), np.asarray(upl, dtype=np.float64)
    t = np.array([np.nan if target is None else float(target)])
    code = int(assurance_codes(t, np.array([d.sign], dtype=np.int8), lo[-1:], hi[-1:])[0])
    return None if code == NO_ASSURANCE else ASSURANCES[code]


# --- one series -----------------------------------------------------------------------------


def _frozen(a: _A) -> _A:
    a.setflags(write=False)
    return a


def short_groups(group: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """Point by point, whether its rebase group (``group``: 0 for the first limits, 1 after the
    first rebase, ...) has fewer than ``SHORT_GROUP`` points, so that its limits are trial limits.

    >>> short_groups([0] * 14 + [1] * 3).tolist()[-5:]
    [False, False, True, True, True]
    """
    g = np.asarray(group, dtype=np.intp)
    return np.asarray((np.bincount(g) < SHORT_GROUP)[g], dtype=np.bool_)


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
    interpolated) and bad options. A target on a neutral measure is drawn, never assured.

    >>> r = spc([1, 2, 3, 4, 5, 6, 7], direction="decrease")
    >>> r.rule[3].label, r.point_type[3].value, bool(r.trial_limits[3])
    ('7 Point Trend (Increasing)', 'special_cause_concern', True)
    """
    d = check_options(direction, target, fix_after)
    y = series_values(values)
    n = y.shape[0]
    starts = group_starts(rebase_indices, n)
    sizes = np.diff(np.append(starts, n))
    cols = np.arange(int(sizes.max()))
    inside = cols < sizes[:, None]
    grid = np.where(inside, y[np.minimum(starts[:, None] + cols, n - 1)], np.nan)
    lim = xmr_limits(grid, fix_after, screen_outliers)
    signs = np.full(len(starts), d.sign, dtype=np.int8)
    rule, ptype = judge(grid, lim, signs)
    group = np.repeat(np.arange(len(starts)), sizes)
    point_types = ptype[inside]
    lpl, upl = lim.lpl[group], lim.upl[group]
    t = np.array([np.nan if target is None else float(target)])
    variation = VARIATIONS[int(variation_codes(point_types[-1:], signs[-1:])[0])]
    assured = int(assurance_codes(t, signs[-1:], lpl[-1:], upl[-1:])[0])
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
        trial_limits=_frozen(short_groups(group)),
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
            hint=NEVER_INTERPOLATE,
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
    sign_of = {dv: direction_of(dv).sign for dv in set(dirs)}
    signs = np.array([sign_of[dv] for dv in dirs], dtype=np.int8)
    if np.isinf(goal).any():
        raise KpiboardError(
            f"series {positions(np.isinf(goal))}: the target is infinite",
            field="targets",
            hint="give each target as a plain number, or none",
        )
    lim = xmr_limits(y, fix_after, screen_outliers)
    rule, ptype = judge(y, lim, signs)
    return SpcBatch(
        values=_frozen(y),
        limits=lim,
        rule_code=rule,
        point_type_code=ptype,
        variation_code=variation_codes(ptype[:, -1], signs),
        assurance_code=assurance_codes(goal, signs, lim.lpl, lim.upl),
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
