"""The vocabulary of statistical process control: its constants, the categories a point, a
series' variation and its assurance fall into, and their integer codes in the vector code of
:mod:`kpiboard.engine.spc` (which re-exports all of it)."""

from __future__ import annotations

from enum import StrEnum

import numpy as np
import numpy.typing as npt

XMR_LIMIT = 2.66  # process limits: mean ± 2.66 × average moving range (not 3 / 1.128)
MR_SCREEN = 3.267  # a moving range at or above 3.267 × the average is screened out, once
TWO_SIGMA = 2 * XMR_LIMIT / 3  # the "close to the limits" band of the 2-of-3 rule
SHORT_GROUP = 13  # a rebase group of fewer points has trial limits (n <= 12)
MIN_FIX_AFTER = 12  # limits may be fixed after this many points at the earliest

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.intp]
Record = dict[str, str | float | int | bool | None]


class Direction(StrEnum):
    """Which way is better. ``sign`` is +1, -1 or 0."""

    INCREASE = "increase"
    DECREASE = "decrease"
    NEUTRAL = "neutral"

    @property
    def sign(self) -> int:
        return {"increase": 1, "decrease": -1, "neutral": 0}[self.value]


class PointType(StrEnum):
    COMMON_CAUSE = "common_cause"
    SPECIAL_CAUSE_IMPROVEMENT = "special_cause_improvement"
    SPECIAL_CAUSE_CONCERN = "special_cause_concern"
    SPECIAL_CAUSE_NEUTRAL_HIGH = "special_cause_neutral_high"
    SPECIAL_CAUSE_NEUTRAL_LOW = "special_cause_neutral_low"


class Variation(StrEnum):
    """The variation icon: the last point's type, with the side it is on."""

    COMMON_CAUSE = "common_cause"
    IMPROVEMENT_HIGH = "improvement_high"
    IMPROVEMENT_LOW = "improvement_low"
    CONCERN_HIGH = "concern_high"
    CONCERN_LOW = "concern_low"
    NEUTRAL_HIGH = "neutral_high"
    NEUTRAL_LOW = "neutral_low"


class Assurance(StrEnum):
    """The assurance icon: where the target lies against the last point's limits."""

    CONSISTENT_PASS = "consistent_pass"
    CONSISTENT_FAIL = "consistent_fail"
    INCONSISTENT = "inconsistent"


# Integer codes used inside the vector code: the position in these tuples.
POINT_TYPES: tuple[PointType, ...] = tuple(PointType)
VARIATIONS: tuple[Variation, ...] = tuple(Variation)
ASSURANCES: tuple[Assurance, ...] = tuple(Assurance)
NO_ASSURANCE = -1
