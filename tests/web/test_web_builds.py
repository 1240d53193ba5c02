"""Building uncached pages (kpiboard.web.builds): one build per page however many ask, a bound on
one reader's builds in flight (a 429 with Retry-After beyond it), and cached pages served while
a build is under way. Builds that block are held by events, never by sleeping."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from webutil import EXAMPLE, MONTH, ORG, REASON, AppFactory, sign_in

from kpiboard.web.app import create_app
from kpiboard.web.builds import (
    RETRY_AFTER_SECONDS,
    BuildQuota,
    Flights,
    TooManyBuilds,
    build_owner,
)
from kpiboard.web.db import AppStore
from kpiboard.web.service import ScorecardService

WAIT = 30.0  # seconds: a safety net so a broken build cannot hang the suite, never a measure


class Ticks:
    """A clock that moves only when the test says."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ticks() -> Ticks:
    return Ticks()


@pytest.fixture
def quota(service: ScorecardService, ticks: Ticks, monkeypatch: pytest.MonkeyPatch) -> BuildQuota:
    """The service's quota for this test: the real bounds, on a clock the test moves."""
    fresh = BuildQuota(clock=ticks)
    monkeypatch.setattr(service, "quota", fresh)
    return fresh


class Gate:
    """A build that says when it has started and blocks until released."""

    def __init__(self, value: object = "built") -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        self.calls = 0
        self.value = value

    def __call__(self) -> object:
        self.calls += 1
        self.started.set()
        assert self.release.wait(WAIT), "the test never released the build"
        return self.value


@contextmanager
def pool(workers: int) -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(workers) as executor:
        yield executor


def in_context(owner: str | None, fn: Callable[[], object]) -> Callable[[], object]:
    """``fn`` run as a request of ``owner`` would run it."""

    def run() -> object:
        build_owner.set(owner)
        return fn()

    return run


# --- Flights and BuildQuota on their own ----------------------------------------------------


def test_the_same_key_is_built_once_and_every_caller_gets_the_result() -> None:
    flights, gate = Flights(), Gate()
    late = Gate("never built")
    with pool(5) as ex:
        leader = ex.submit(flights.run, "k", gate)
        assert gate.started.wait(WAIT)
        followers = [ex.submit(flights.run, "k", late) for _ in range(4)]
        assert flights.wait_for_waiters("k", 4, WAIT)
        gate.release.set()
        assert leader.result(WAIT) == "built"
        assert [f.result(WAIT) for f in followers] == ["built"] * 4
    assert (gate.calls, late.calls) == (1, 0)


def test_waiters_get_the_builders_exception_and_the_next_call_builds_afresh() -> None:
    flights, started, release = Flights(), threading.Event(), threading.Event()

    def failing() -> object:
        started.set()
        assert release.wait(WAIT)
        raise ValueError("the warehouse went away")

    with pool(2) as ex:
        leader = ex.submit(flights.run, "k", failing)
        assert started.wait(WAIT)
        follower = ex.submit(flights.run, "k", lambda: "never")
        assert flights.wait_for_waiters("k", 1, WAIT)
        release.set()
        for f in (leader, follower):
            with pytest.raises(ValueError, match="went away"):
                f.result(WAIT)
    assert flights.run("k", lambda: "again") == "again"


def test_different_keys_do_not_wait_for_each_other() -> None:
    flights, gate = Flights(), Gate()
    with pool(2) as ex:
        blocked = ex.submit(flights.run, "a", gate)
        assert gate.started.wait(WAIT)
        assert ex.submit(flights.run, "b", lambda: "b built").result(WAIT) == "b built"
        assert not blocked.done()
        gate.release.set()
        assert blocked.result(WAIT) == "built"


def test_the_quota_refuses_beyond_its_limit_and_gives_slots_back_on_success_and_error() -> None:
    quota = BuildQuota(limit=2)
    with ExitStack() as held:
        held.enter_context(quota.slot("user:1"))
        held.enter_context(quota.slot("user:1"))
        with pytest.raises(TooManyBuilds) as refused, quota.slot("user:1"):
            pass
        assert refused.value.retry_after_seconds == RETRY_AFTER_SECONDS
        assert "2 pages being built" in refused.value.message
        assert refused.value.hint and "try again" in refused.value.hint
        with quota.slot("user:2"):  # someone else is not held up
            assert quota.held("user:2") == 1
    assert quota.held("user:1") == 0
    with pytest.raises(RuntimeError), quota.slot("user:1"):
        raise RuntimeError("the build failed")
    assert quota.held("user:1") == 0
    with quota.slot(None), quota.slot(None), quota.slot(None):  # no owner: no bound
        pass


def test_building_time_beyond_the_burst_is_refused_until_the_budget_refills(ticks: Ticks) -> None:
    quota = BuildQuota(rate=0.5, burst=2.0, clock=ticks)
    with quota.slot("user:1") as slot:
        slot.charge(3.0)  # a burst's worth and one second more: 1 s in debt
    with pytest.raises(TooManyBuilds) as refused, quota.slot("user:1"):
        pass
    assert refused.value.retry_after_seconds == 2  # 1 s of debt at 0.5 s per second
    assert "faster than the server builds them" in refused.value.message
    with quota.slot("user:2"):  # another reader's budget is their own
        pass
    ticks.now += 2.5
    with quota.slot("user:1") as slot:  # refilled to 0.25 s: may start one
        slot.charge(0.1)
    ticks.now += 1000
    with quota.slot("user:1") as slot:  # refills up to the burst, no further
        slot.charge(2.0)
    with pytest.raises(TooManyBuilds), quota.slot("user:1"):
        pass


# --- the service: engine builds ---------------------------------------------------------------


def test_service_builds_a_missing_key_once_while_others_wait_for_it(
    service: ScorecardService, quota: BuildQuota
) -> None:
    key = ("test-once", object())
    gate, late = Gate(), Gate("never built")
    with pool(4) as ex:
        leader = ex.submit(in_context("user:a", lambda: service._cached(key, gate)))
        assert gate.started.wait(WAIT)
        followers: list[Future[object]] = [
            ex.submit(in_context(f"user:{i}", lambda: service._cached(key, late))) for i in range(3)
        ]
        assert service._flights.wait_for_waiters(key, 3, WAIT)
        gate.release.set()
        assert {leader.result(WAIT), *(f.result(WAIT) for f in followers)} == {"built"}
    assert (gate.calls, late.calls) == (1, 0)
    assert service._cached(key, late) == "built"  # now cached
    assert all(service.quota.held(o) == 0 for o in ("user:a", "user:0", "user:1", "user:2"))


def test_a_failed_build_gives_its_slot_back_and_is_charged(
    service: ScorecardService, ticks: Ticks, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "quota", BuildQuota(rate=0.001, burst=8.0, clock=ticks))

    def failing() -> object:
        ticks.now += 2.5  # the build took 2.5 s before it failed
        raise RuntimeError("the warehouse went away")

    build_owner.set("user:failing")
    try:
        for _ in range(service.quota.limit + 1):  # more failures than slots: none is kept
            with pytest.raises(RuntimeError):
                service._cached(("test-fails", object()), failing)
        assert service.quota.held("user:failing") == 0
        with pytest.raises(TooManyBuilds, match="faster than"):  # 10 s of an 8 s burst
            service._cached(("test-fails", object()), failing)
    finally:
        build_owner.set(None)


# --- the dashboard: pages -------------------------------------------------------------------


def _user_id(store: AppStore, name: str) -> int:
    user = store.user(name)
    assert user is not None
    return user.id


def test_a_reader_over_the_bound_gets_a_429_with_retry_after_and_cached_pages_still_load(
    make_client: AppFactory, app_store: AppStore, service: ScorecardService, quota: BuildQuota
) -> None:
    client = make_client()
    sign_in(client, "viewer")  # also builds and caches the scorecard page of ORG, MONTH
    owner = f"user:{_user_id(app_store, 'viewer')}"
    uncached = f"/scorecard/{ORG}/2008-11"
    with ExitStack() as busy:
        for _ in range(service.quota.limit):  # the viewer's other builds, in flight
            busy.enter_context(service.quota.slot(owner))
        page = client.get(uncached)
        assert page.status_code == 429
        assert page.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
        assert "pages being built" in page.text and "try again" in page.text
        api = client.get(f"/api/scorecards/{ORG}/2008-10")
        assert api.status_code == 429
        assert api.json()["error"]["code"] == "too_many_builds"
        assert api.headers["retry-after"]
        assert client.get(f"/scorecard/{ORG}/{MONTH}").status_code == 200  # cached: no build
    assert client.get(uncached).status_code == 200  # slots given back: built now
    assert service.quota.held(owner) == 0


def test_a_page_whose_build_fails_gives_the_slot_back(
    make_client: AppFactory, app_store: AppStore, service: ScorecardService, quota: BuildQuota
) -> None:
    client = make_client()
    sign_in(client, "viewer")
    owner = f"user:{_user_id(app_store, 'viewer')}"
    for _ in range(service.quota.limit + 1):
        # a month of the data but before this organisation's: the build raises NotFound
        got = client.get("/api/scorecards/avon-and-somerset/1994-12")
        assert got.status_code == 404
        assert "the data start in 2001-04" in got.json()["error"]["message"]
    assert service.quota.held(owner) == 0


def test_anonymous_readers_are_bounded_by_their_address(
    make_client: AppFactory, service: ScorecardService, quota: BuildQuota
) -> None:
    client = make_client(anonymous_read=True)
    owner = "address:testclient"  # the address TestClient gives its requests
    with ExitStack() as busy:
        for _ in range(service.quota.limit):
            busy.enter_context(service.quota.slot(owner))
        assert client.get(f"/scorecard/{ORG}/2008-09").status_code == 429
        with service.quota.slot("address:192.0.2.1"):  # another address's builds do not count
            pass
    assert client.get(f"/scorecard/{ORG}/2008-09").status_code == 200


def test_a_cached_page_is_served_while_a_build_holds_the_warehouse(
    make_client: AppFactory, service: ScorecardService
) -> None:
    client = make_client()
    sign_in(client, "viewer")  # the scorecard page of ORG, MONTH is cached now
    assert client.get(f"/scorecard/{ORG}/{MONTH}/kpi/robbery").status_code == 200
    gate = Gate()
    with pool(2) as ex:
        blocked = ex.submit(service._cached, ("test-blocks", object()), gate)
        assert gate.started.wait(WAIT)  # the build runs, holding the warehouse connection
        assert client.get(f"/scorecard/{ORG}/{MONTH}").status_code == 200
        assert client.get(f"/scorecard/{ORG}/{MONTH}/kpi/robbery").status_code == 200
        assert not blocked.done()
        gate.release.set()
        assert blocked.result(WAIT) == "built"


def test_a_reader_who_used_their_building_time_gets_a_429_until_it_refills(
    make_client: AppFactory, app_store: AppStore, quota: BuildQuota, ticks: Ticks
) -> None:
    client = make_client()
    sign_in(client, "viewer")
    owner = f"user:{_user_id(app_store, 'viewer')}"
    with quota.slot(owner) as slot:
        slot.charge(quota.burst + quota.rate * 10)  # ten seconds' worth beyond the burst
    page = client.get(f"/scorecard/{ORG}/2008-07")
    assert page.status_code == 429
    assert page.headers["retry-after"] == "10"
    assert "try again in 10 seconds" in page.text
    assert client.get(f"/scorecard/{ORG}/{MONTH}").status_code == 200  # cached: no build
    ticks.now += 11
    assert client.get(f"/scorecard/{ORG}/2008-07").status_code == 200


def test_a_write_is_not_refused_for_the_builds_it_needs(
    app_store: AppStore, ticks: Ticks, tmp_path: Path
) -> None:
    """An approver whose reading has used every build slot still publishes an uncached month
    (publishing builds its scorecard): writes are rare, signed in and CSRF-checked."""
    project = tmp_path / "met"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(".kpiboard"))
    service = ScorecardService.open(project)  # its own, so that nothing is cached yet
    try:
        service.quota = BuildQuota(clock=ticks)
        client = TestClient(
            create_app(service, app_store), base_url="http://127.0.0.1", follow_redirects=False
        )
        csrf = sign_in(client, "approver")
        owner = f"user:{_user_id(app_store, 'approver')}"
        month = "2008-07"
        with ExitStack() as busy:
            for _ in range(service.quota.limit):
                busy.enter_context(service.quota.slot(owner))
            assert client.get(f"/scorecard/{ORG}/{month}").status_code == 429  # reading
            published = client.post(
                f"/api/packs/{ORG}/{month}", headers={"X-CSRF-Token": csrf}, json={"reason": REASON}
            )
            assert published.status_code == 201, published.text
            assert service.quota.held(owner) == service.quota.limit
    finally:
        service.close()
