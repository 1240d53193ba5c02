"""Statistical process control's constants, and the integer codes of its categories (a point's
type, a series' variation and assurance, defined in :mod:`kpiboard.vocabulary`) in the vector
code of :mod:`kpiboard.engine.spc` (which re-exports all of it)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from kpiboard.vocabulary import Assurance, PointType, Variation

XMR_LIMIT = 2.66  # process limits: mean ± 2.66 × average moving range (not 3 / 1.128)
MR_SCREEN = 3.267  # a moving range at or above 3.267 × the average is screened out, once
TWO_SIGMA = 2 * XMR_LIMIT / 3  # the "close to the limits" band of the 2-of-3 rule
SHORT_GROUP = 13  # a rebase group of fewer points has trial limits (n <= 12)
MIN_FIX_AFTER = 12  # limits may be fixed after this many points at the earliest

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.intp]
Record = dict[str, str | float | int | bool | None]


# Integer codes used inside the vector code: the position in these tuples.
POINT_TYPES: tuple[PointType, ...] = tuple(PointType)
VARIATIONS: tuple[Variation, ...] = tuple(Variation)
ASSURANCES: tuple[Assurance, ...] = tuple(Assurance)
NO_ASSURANCE = -1
