"""Fixtures of the security suite: the reference example served by the real app, with fresh
SQLite application databases holding one account per role."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from kpiboard.web.db import AppStore
from kpiboard.web.service import ScorecardService
from security.secutil import EXAMPLE, StoreFactory, open_store


@pytest.fixture(scope="session")
def secure_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScorecardService]:
    """The reference example, opened once for the suite (its own copy: reloads are safe)."""
    dest = tmp_path_factory.mktemp("security") / "met"
    shutil.copytree(EXAMPLE, dest, ignore=shutil.ignore_patterns(".kpiboard"))
    svc = ScorecardService.open(dest)
    yield svc
    svc.close()


@pytest.fixture
def new_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StoreFactory]:
    """Opens fresh application databases, closed at the end of the test."""
    opened: list[AppStore] = []

    def make() -> AppStore:
        opened.append(open_store(tmp_path_factory.mktemp("appdb")))
        return opened[-1]

    yield make
    for store in opened:
        store.close()
