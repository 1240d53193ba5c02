"""One report's JSON against another's, figure for figure: the same keys and values, floats to
1e-9 relative (two databases may sum in a different order). Used where the same project runs
on DuckDB, PostgreSQL and Spark, and by the benchmarks that compare backends (no pytest here,
so they can import it)."""

from __future__ import annotations

import math


def assert_same(a: object, b: object, path: str = "") -> bool:
    """Assert ``a`` equals ``b`` as above, naming the path of the first difference."""
    if isinstance(a, float) and isinstance(b, float):
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12), (path, a, b)  # as approx
    elif isinstance(a, dict) and isinstance(b, dict):
        assert a.keys() == b.keys(), path
        for k in a:
            assert_same(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{path}[{i}]")
    else:
        assert a == b, path
    return True
