"""The vector core of SPC: the XmR limits of every row of a matrix, the Making Data Count
rules judged on every point at once, and the variation and assurance codes they give. Each
row is one rebase group (or one series of a batch), padded with NaN."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from kpiboard.engine.spc_rules import (
    RULE_SIDE,
    Codes,
    part_of,
    part_of_two_in_three,
    seven_point_one_side_mean,
    seven_point_trend,
    special_cause_rule,
    trend_direction,
)
from kpiboard.engine.spc_types import (
    ASSURANCES,
    MR_SCREEN,
    NO_ASSURANCE,
    POINT_TYPES,
    TWO_SIGMA,
    VARIATIONS,
    XMR_LIMIT,
    Floats,
)
from kpiboard.vocabulary import RUN_POINTS, Assurance, PointType, Variation

_PT = {t: i for i, t in enumerate(POINT_TYPES)}
_VAR = {v: i for i, v in enumerate(VARIATIONS)}
_ASSURE = {a: i for i, a in enumerate(ASSURANCES)}


class Limits(NamedTuple):
    """Per row of a matrix: the centre line, the process limits and the two-sigma band."""

    mean: Floats
    lpl: Floats
    upl: Floats
    nlpl: Floats
    nupl: Floats


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


def judge(y: Floats, lim: Limits, direction_sign: npt.NDArray[np.int8]) -> tuple[Codes, Codes]:
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


def variation_codes(last_type: Codes, direction_sign: npt.NDArray[np.int8]) -> Codes:
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


def assurance_codes(
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
