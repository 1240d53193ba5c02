"""Who may build what, and when: the dashboard's bounds on building pages that are not cached.

Building a scorecard or a league table takes a worker thread for a few hundred milliseconds
(most of it Python: compiling the warehouse queries and the engine), and engine calls share one
warehouse connection. Two things keep that fair:

- :class:`Flights` builds each key once: a second request for a page being built waits for that
  build instead of queueing to build it again.
- :class:`BuildQuota` bounds how many uncached builds one reader has in flight (building, or
  waiting for the warehouse or for the same page's build) and how much building time they take.
  Every such request holds one of the server's worker threads (anyio's 40), so without a bound
  one reader asking for many distinct pages at once would hold them all; and every build takes
  interpreter time from the threads serving everyone else's cached pages. Beyond either bound
  the request is refused at once (:class:`TooManyBuilds`, a 429 with Retry-After) rather than
  queued, so a refused request holds nothing.

Who is asking is :data:`build_owner`, set per request by the reader's dependency
(:mod:`kpiboard.web.context`): a signed-in user, or an anonymous reader's client address. With
no owner (the command line, tests, internal calls) no bound applies.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Hashable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TypeVar

from kpiboard.errors import KpiboardError

T = TypeVar("T")

# At most this many uncached builds in flight per reader; with one warehouse connection only one
# builds at a time anyway, so more would only hold more worker threads while they wait.
BUILDS_PER_READER = 3
RETRY_AFTER_SECONDS = 2
# Building time per reader: a burst of this many seconds (a page takes 0.2-0.5 s to build on an
# idle machine), then this many seconds of building per second.
BUILD_BURST_SECONDS = 8.0
BUILD_SECONDS_PER_SECOND = 0.25
MAX_ACCOUNTS = 4096  # readers remembered before the idle ones are forgotten

build_owner: ContextVar[str | None] = ContextVar("kpiboard_build_owner", default=None)


class TooManyBuilds(KpiboardError):
    """A reader has as many pages being built as the dashboard allows, or has used their share
    of the server's building time for now."""

    def __init__(self, message: str, retry_after_seconds: int) -> None:
        super().__init__(
            message,
            hint=f"try again in {retry_after_seconds} seconds; pages already built load at once",
        )
        self.retry_after_seconds = retry_after_seconds


@dataclass
class _Account:
    held: int  # builds in flight
    budget: float  # seconds of building left; refills at the quota's rate up to its burst
    stamp: float  # when budget was last brought up to date


class Slot:
    """One build in flight; :meth:`charge` books the time its build took to its owner."""

    def __init__(self, quota: BuildQuota | None, owner: str) -> None:
        self._quota = quota
        self._owner = owner

    def charge(self, seconds: float) -> None:
        if self._quota is not None:
            self._quota._charge(self._owner, seconds)


class BuildQuota:
    """Per owner: at most ``limit`` builds in flight, and building time at a sustained ``rate``
    (seconds of building per second) after a ``burst``. Thread-safe.

    The time budget is what keeps everyone else's pages quick: a build is mostly Python, so
    while one runs it takes about half the interpreter's time from the threads serving cached
    pages (measured: docs/BENCHMARKS.md). Someone opening pages one after another never meets
    it (a page takes well under a second to build; the burst is several pages); someone asking
    for every page there is is held to a small share of the server."""

    def __init__(
        self,
        limit: int = BUILDS_PER_READER,
        rate: float = BUILD_SECONDS_PER_SECOND,
        burst: float = BUILD_BURST_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit, self.rate, self.burst = limit, rate, burst
        self.clock = clock
        self._accounts: dict[str, _Account] = {}
        self._lock = threading.Lock()

    @contextmanager
    def slot(self, owner: str | None) -> Iterator[Slot]:
        """Hold one of ``owner``'s slots for the block, or raise :class:`TooManyBuilds`. The
        slot is given back however the block ends."""
        if owner is None:
            yield Slot(None, "")
            return
        with self._lock:
            account = self._admit(owner)
            account.held += 1
        try:
            yield Slot(self, owner)
        finally:
            with self._lock:
                account.held -= 1

    def _admit(self, owner: str) -> _Account:
        now = self.clock()
        if len(self._accounts) >= MAX_ACCOUNTS:
            self._forget_idle(now)
        account = self._accounts.setdefault(owner, _Account(0, self.burst, now))
        account.budget = min(self.burst, account.budget + (now - account.stamp) * self.rate)
        account.stamp = now
        if account.held >= self.limit:
            raise TooManyBuilds(
                f"you already have {self.limit} pages being built; this one was not started",
                RETRY_AFTER_SECONDS,
            )
        if account.budget <= 0:
            wait = max(1, math.ceil(-account.budget / self.rate))
            raise TooManyBuilds(
                "you have asked for many pages that were not ready, faster than the server "
                "builds them for one reader; this one was not started",
                wait,
            )
        return account

    def _forget_idle(self, now: float) -> None:
        """Drop owners with nothing in flight and a full budget: they are as if new."""
        for owner, a in list(self._accounts.items()):
            if not a.held and a.budget + (now - a.stamp) * self.rate >= self.burst:
                del self._accounts[owner]

    def _charge(self, owner: str, seconds: float) -> None:
        with self._lock:
            account = self._accounts.get(owner)
            if account is not None:
                account.budget -= seconds

    def held(self, owner: str) -> int:
        """How many slots ``owner`` holds now."""
        with self._lock:
            account = self._accounts.get(owner)
            return account.held if account else 0


class Flights:
    """Builds in progress by key: the first caller builds, callers meanwhile wait for its result
    (or its exception). Thread-safe; holds no lock while building."""

    def __init__(self) -> None:
        self._flights: dict[Hashable, Future[object]] = {}
        self._waiters: dict[Hashable, int] = {}
        self._lock = threading.Lock()
        self._joined = threading.Condition(self._lock)

    def run(self, key: Hashable, build: Callable[[], T]) -> T:
        with self._lock:
            flight = self._flights.get(key)
            leader = flight is None
            if flight is None:
                flight = self._flights[key] = Future()
            else:
                self._waiters[key] = self._waiters.get(key, 0) + 1
                self._joined.notify_all()
        if not leader:
            try:
                return flight.result()  # type: ignore[return-value]
            finally:
                with self._lock:
                    self._waiters[key] -= 1
                    if not self._waiters[key]:
                        del self._waiters[key]
        try:
            value = build()
        except BaseException as exc:
            flight.set_exception(exc)
            raise
        else:
            flight.set_result(value)
            return value
        finally:
            with self._lock:
                del self._flights[key]

    def wait_for_waiters(self, key: Hashable, count: int, timeout: float) -> bool:
        """Block until ``count`` callers wait for ``key``'s build (True), or ``timeout`` seconds
        pass (False): lets a test (or a diagnosis) see requests queued behind a build."""
        with self._joined:
            return self._joined.wait_for(lambda: self._waiters.get(key, 0) >= count, timeout)
