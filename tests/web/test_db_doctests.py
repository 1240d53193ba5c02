"""The runnable examples in the application database's docstrings run."""

from __future__ import annotations

import doctest
from types import ModuleType

import pytest

from kpiboard.web.db import entities, store, throttle


@pytest.mark.parametrize("module", [entities, store, throttle], ids=lambda m: m.__name__)
def test_docstring_examples(module: ModuleType) -> None:
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
