"""What an SPC series and its options must be before any limit is computed: one list of
finite numbers (kpiboard never interpolates), rebase positions inside the series, a known
direction, a finite target only where there is a direction, a baseline long enough to fix."""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Real

import numpy as np
import numpy.typing as npt

from kpiboard.engine.spc_types import MIN_FIX_AFTER, Floats, Ints
from kpiboard.errors import KpiboardError
from kpiboard.vocabulary import Direction


def direction_of(direction: Direction | str) -> Direction:
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
    d = direction_of(direction)
    if target is not None and (
        isinstance(target, bool) or not isinstance(target, Real) or not math.isfinite(float(target))
    ):
        raise KpiboardError(
            f"the target {target!r} is not a finite number",
            field="target",
            hint="give the target as a plain number, or no target",
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


def positions(bad: npt.NDArray[np.bool_]) -> str:
    where = np.flatnonzero(bad)
    shown = ", ".join(str(int(i)) for i in where[:5])
    return shown + (f" and {len(where) - 5} more" if len(where) > 5 else "")


NEVER_INTERPOLATE = (
    "kpiboard never interpolates: give every period its value; if a period "
    "genuinely has none, leave it out and start new limits after the gap "
    "(a rebase)"
)


def series_values(values: npt.ArrayLike) -> Floats:
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
            f"missing value (NaN) at position {positions(np.isnan(y))} (from 0)",
            field="values",
            hint=NEVER_INTERPOLATE,
        )
    if np.isinf(y).any():
        raise KpiboardError(
            f"infinite value at position {positions(np.isinf(y))} (from 0)",
            field="values",
            hint="values must be finite numbers",
        )
    return y


def group_starts(rebase_indices: Sequence[int], n: int) -> Ints:
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
