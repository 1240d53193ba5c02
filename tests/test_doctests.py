"""The examples in the package's docstrings run and print what they say (STYLE.md: docstrings
on the public API with a runnable example), so that they cannot quietly go stale."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
# examples that need a project on disk are marked +SKIP where they stand; left out: Alembic's
# migration scripts (they run only inside Alembic) and __main__ (importing it runs the CLI)
MODULES = sorted(
    ".".join(p.relative_to(SRC).with_suffix("").parts).removesuffix(".__init__")
    for p in (SRC / "kpiboard").rglob("*.py")
    if "migrations" not in p.parts and p.name != "__main__.py"
)


def test_the_modules_are_found() -> None:
    assert "kpiboard.periods" in MODULES and "kpiboard.engine.stats" in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.failed == 0, (
        f"{result.failed} docstring example(s) in {name} failed (run pytest --doctest-modules on it)"
    )
