"""The engine is pure: no module of kpiboard.engine (nor kpiboard.enginedata, its data) loads
Ibis, DuckDB, PyArrow or the warehouse, even indirectly. Checked in a fresh interpreter,
since this test process has long imported them all."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import kpiboard

FORBIDDEN = ("ibis", "duckdb", "pyarrow", "kpiboard.warehouse", "kpiboard.ingest")
PACKAGE = Path(kpiboard.__file__).parent
PURE = [PACKAGE / "enginedata.py", *sorted((PACKAGE / "engine").rglob("*.py"))]

_PROBE = """
import importlib, json, pkgutil, sys
import kpiboard.engine, kpiboard.enginedata
for info in pkgutil.walk_packages(kpiboard.engine.__path__, "kpiboard.engine."):
    importlib.import_module(info.name)
print(json.dumps(sorted(sys.modules)))
"""


def _is_forbidden(name: str) -> bool:
    return any(name == f or name.startswith(f"{f}.") for f in FORBIDDEN)


def test_importing_every_engine_module_loads_no_query_library() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True
    ).stdout
    loaded = json.loads(out)
    assert "kpiboard.engine.build" in loaded
    assert [name for name in loaded if _is_forbidden(name)] == []


def test_no_engine_module_names_a_query_library() -> None:
    found = []
    for path in PURE:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            else:
                continue
            found += [f"{path.name}: {n}" for n in names if _is_forbidden(n)]
    assert found == []
