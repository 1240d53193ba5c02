"""One series of dates and values through SPC, without a project (``kpiboard spc``): the
:class:`~kpiboard.scorecard.SpcSeries` every output of the command is rendered from.

>>> s = spc_series([5, 6, 5, 7, 6, 5, 6, 7, 5, 6, 14], [f"2020-{m:02d}" for m in range(1, 12)],
...                "series", direction="increase")
>>> s.spc.variation.value, s.spc.points[-1].label, s.spc.mean_text
('improvement_high', 'Nov-20', '6.5')
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from kpiboard.engine.spc import Direction
from kpiboard.engine.spc import spc as run_spc
from kpiboard.engine.spc_row import spc_from_result
from kpiboard.formatting import decimals_of
from kpiboard.periods import parse_month, short_month
from kpiboard.scorecard import SpcSeries

SPC_MAX_DECIMALS = 4  # the chart writes values with the input's decimals, at most this many


def spc_series(
    values: npt.ArrayLike,
    dates: Sequence[str],
    name: str,
    *,
    direction: Direction | str = Direction.INCREASE,
    target: float | None = None,
    rebase_indices: Sequence[int] = (),
    fix_after: int | None = None,
    screen_outliers: bool = True,
) -> SpcSeries:
    """The series (``dates`` as given, ``YYYY-MM`` or ``YYYY-MM-DD``, one per value) through
    :func:`kpiboard.engine.spc.spc` with these options, its values written with their own
    decimals (at most :data:`SPC_MAX_DECIMALS`), ``name`` what its chart calls it."""
    result = run_spc(
        values,
        direction=direction,
        target=target,
        rebase_indices=rebase_indices,
        fix_after=fix_after,
        screen_outliers=screen_outliers,
    )
    numbers = np.asarray(values, dtype=np.float64)
    decimals = min(SPC_MAX_DECIMALS, max(decimals_of(float(v)) for v in numbers))
    block = spc_from_result(result, dates, board_labels(dates), decimals=decimals)
    return SpcSeries(name, block, tuple(bool(t) for t in result.trial_limits))


def board_labels(periods: Sequence[str]) -> list[str]:
    """The periods as the board reads them: months (``2020-01``, or dates that are all the
    first of their month, as the chart's axis reads them) as ``Jan-20``; other dates as given."""
    if all(len(p) == len("YYYY-MM") or p.endswith("-01") for p in periods):
        return [short_month(parse_month(p[:7])) for p in periods]
    return list(periods)
