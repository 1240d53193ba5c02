"""Row masks: boolean arrays over a batch's rows, saying which rows a check or a step applies to
(where a mask may be None, it means every row)."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc


def first(mask: pa.Array) -> int:
    """The index of the first true value of a boolean array (nulls as false), -1 if none."""
    return int(pc.index(pc.fill_null(mask, False), True).as_py())


def true_rows(mask: pa.Array, limit: int) -> list[int]:
    """The indices of the first ``limit`` true values (nulls as false)."""
    rows: list[int] = pc.indices_nonzero(pc.fill_null(mask, False))[:limit].to_pylist()
    return rows


def both(a: pa.Array | None, b: pa.Array | None) -> pa.Array | None:
    """``a`` and ``b``, either of which may be None (every row)."""
    if a is None:
        return b
    return a if b is None else pc.and_(a, b)
