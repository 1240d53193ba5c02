"""Sign-in attempts sent at once, in parallel: no burst gets more password checks than the
throttle allows (5 per username, 20 per client address), on SQLite and PostgreSQL, and
through the real dashboard."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from appdb_helpers import PASSWORD
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from live import audit, project_copy, serving
from webutil import csrf_of

from kpiboard.catalogue.schema import Dashboard
from kpiboard.web.app import create_app
from kpiboard.web.db import AppStore, LoginFailed, LoginThrottled, Role
from kpiboard.web.db.throttle import IP_LIMIT, USERNAME_LIMIT
from kpiboard.web.service import ScorecardService

WRONG = 14  # wrong passwords sent in the burst: well over the username limit


class SlowCountingHasher(PasswordHasher):
    """argon2 at its cheapest, but each verification takes ``delay`` seconds (as a real,
    expensive hash does) and is counted."""

    def __init__(self, delay: float = 0.4) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.delay = delay
        self.verified = 0
        self._lock = threading.Lock()

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        with self._lock:
            self.verified += 1
        time.sleep(self.delay)
        return super().verify(hash, password)

    def wait_for(self, count: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while self.verified < count:
            assert time.monotonic() < deadline, f"only {self.verified} verifications began"
            time.sleep(0.005)


def _burst(attempts: list[Callable[[], str]]) -> list[str]:
    """Run the attempts in threads released together; their outcomes."""
    start, outcomes = threading.Barrier(len(attempts)), []

    def run(attempt: Callable[[], str]) -> None:
        start.wait()
        outcomes.append(attempt())

    threads = [threading.Thread(target=run, args=(a,)) for a in attempts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes


def _store_attempt(store: AppStore, username: str, password: str, ip: str) -> Callable[[], str]:
    def attempt() -> str:
        try:
            store.authenticate(username, password, ip)
        except LoginFailed:
            return "failed"
        except LoginThrottled:
            return "throttled"
        return "signed in"

    return attempt


@pytest.fixture
def slow() -> SlowCountingHasher:
    return SlowCountingHasher()


@pytest.fixture
def slow_store(db_url: str, slow: SlowCountingHasher) -> Iterator[AppStore]:
    s = AppStore.open(db_url, password_hasher=slow)
    s.add_user("alice", PASSWORD, Role.EDITOR)
    yield s
    s.close()


def test_a_burst_of_wrong_passwords_gets_only_the_limit_of_checks(
    slow_store: AppStore, slow: SlowCountingHasher
) -> None:
    wrong = [_store_attempt(slow_store, "alice", f"wrong {i}", "10.0.0.1") for i in range(WRONG)]
    outcomes = _burst(wrong)
    assert slow.verified == USERNAME_LIMIT
    assert sorted(outcomes) == ["failed"] * USERNAME_LIMIT + ["throttled"] * (
        WRONG - USERNAME_LIMIT
    )
    # locked now, as after five sequential failures
    with pytest.raises(LoginThrottled):
        slow_store.authenticate("alice", PASSWORD, "10.0.0.2")


def test_the_right_password_while_a_burst_is_being_checked_is_refused(
    slow_store: AppStore, slow: SlowCountingHasher
) -> None:
    wrong = [_store_attempt(slow_store, "alice", f"wrong {i}", "10.0.0.1") for i in range(WRONG)]
    threads = [threading.Thread(target=_burst, args=(wrong,))]
    threads[0].start()
    slow.wait_for(USERNAME_LIMIT)  # five wrong guesses are being hashed, none recorded yet
    right = _store_attempt(slow_store, "alice", PASSWORD, "10.0.0.1")()
    threads[0].join(timeout=60)
    assert right == "throttled"
    assert slow.verified == USERNAME_LIMIT


def test_a_burst_from_one_address_gets_only_its_limit_of_checks(
    slow_store: AppStore, slow: SlowCountingHasher
) -> None:
    names = [f"user{i}" for i in range(IP_LIMIT + 5)]  # one guess each, all from one address
    outcomes = _burst([_store_attempt(slow_store, n, "guess", "10.9.9.9") for n in names])
    assert slow.verified == IP_LIMIT
    assert outcomes.count("throttled") == 5


@pytest.fixture
def slow_app_store(
    tmp_path_factory: pytest.TempPathFactory, slow: SlowCountingHasher
) -> Iterator[AppStore]:
    path = tmp_path_factory.mktemp("burst") / "app.sqlite3"
    s = AppStore.open(f"sqlite:///{path}", password_hasher=slow)
    s.add_user("editor", PASSWORD, Role.EDITOR)
    yield s
    s.close()


def test_the_dashboard_refuses_the_right_password_sent_with_a_burst_of_wrong_ones(
    service: ScorecardService, slow_app_store: AppStore, slow: SlowCountingHasher
) -> None:
    app = create_app(service, slow_app_store, Dashboard())

    def attempt(password: str) -> Callable[[], str]:
        def post() -> str:
            client = TestClient(app, base_url="http://127.0.0.1", follow_redirects=False)
            token = csrf_of(client.get("/login").text)
            got = client.post(
                "/login",
                data={"username": "editor", "password": password, "csrf_token": token},
            )
            return {303: "signed in", 401: "failed", 429: "throttled"}[got.status_code]

        return post

    burst = threading.Thread(target=_burst, args=([attempt(f"wrong {i}") for i in range(WRONG)],))
    burst.start()
    slow.wait_for(USERNAME_LIMIT)
    right = attempt(PASSWORD)()
    burst.join(timeout=60)
    assert right == "throttled"
    assert slow.verified == USERNAME_LIMIT
    events = [e.event for e in slow_app_store.audit_log(100) if e.username == "editor"]
    assert events.count("sign_in_failed") == USERNAME_LIMIT and "sign_in" not in events


def test_a_real_server_checks_only_the_limit_of_a_burst(tmp_path: Path) -> None:
    """The same burst over real sockets to `kpiboard serve` (its own argon2 hasher, uvicorn's
    thread pool): the requests are in flight together, yet only the limit is checked."""
    project = project_copy(tmp_path)
    with serving(project) as url:

        def attempt(password: str) -> Callable[[], str]:
            def post() -> str:
                got = httpx.post(
                    url + "/api/session",
                    json={"username": "admin", "password": password},
                    timeout=60,
                )
                return {200: "signed in", 401: "failed", 429: "throttled"}[got.status_code]

            return post

        outcomes = _burst([attempt(f"wrong {i}") for i in range(WRONG)])
        right = attempt(PASSWORD)()
    assert sorted(outcomes) == ["failed"] * USERNAME_LIMIT + ["throttled"] * (
        WRONG - USERNAME_LIMIT
    )
    assert right == "throttled"
    events = [e.event for e in audit(project) if e.username == "admin"]
    assert events.count("sign_in_failed") == USERNAME_LIMIT and "sign_in" not in events
