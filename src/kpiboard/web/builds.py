"""Who may build what, and when: the dashboard's bounds on building pages that are not cached.

Building a scorecard or a league table takes a worker thread for a few hundred milliseconds
(most of it Python: compiling the warehouse queries and the engine), and engine calls share one
warehouse connection. Two things keep that fair:

- :class:`Flights` builds each key once: a second request for a page being built waits for that
  build instead of queueing to build it again.
- :class:`BuildQuota` bounds how many uncached builds one reader has in flight (building, or
  waiting for the warehouse or for the same page's build). Every such request holds one of the
  server's worker threads (anyio's 40), so without a bound one reader asking for many distinct
  pages at once would hold them all, and everyone else's cached pages would wait for a thread.
  Beyond the bound the request is refused at once (:class:`TooManyBuilds`, a 429 with
  Retry-After) rather than queued, so a refused request holds nothing.

Who is asking is :data:`build_owner`, set per request by the reader's dependency
(:mod:`kpiboard.web.context`): a signed-in user, or an anonymous reader's client address. With
no owner (the command line, tests, internal calls) no bound applies.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

from kpiboard.errors import KpiboardError

T = TypeVar("T")

# At most this many uncached builds in flight per reader; with one warehouse connection only one
# builds at a time anyway, so more would only hold more worker threads while they wait.
BUILDS_PER_READER = 3
RETRY_AFTER_SECONDS = 2

build_owner: ContextVar[str | None] = ContextVar("kpiboard_build_owner", default=None)


class TooManyBuilds(KpiboardError):
    """A reader already has as many pages being built as the dashboard allows."""

    def __init__(self, limit: int, retry_after_seconds: int) -> None:
        super().__init__(
            f"you already have {limit} pages being built; this one was not started",
            hint=f"wait for those pages to load, then try again in {retry_after_seconds} "
            "seconds (pages already built load at once)",
        )
        self.retry_after_seconds = retry_after_seconds


class BuildQuota:
    """At most ``limit`` builds in flight per owner; thread-safe."""

    def __init__(
        self, limit: int = BUILDS_PER_READER, retry_after_seconds: int = RETRY_AFTER_SECONDS
    ) -> None:
        self.limit = limit
        self.retry_after_seconds = retry_after_seconds
        self._held: dict[str, int] = {}
        self._lock = threading.Lock()

    @contextmanager
    def slot(self, owner: str | None) -> Iterator[None]:
        """Hold one of ``owner``'s slots for the block, or raise :class:`TooManyBuilds`. The
        slot is given back however the block ends."""
        if owner is None:
            yield
            return
        with self._lock:
            held = self._held.get(owner, 0)
            if held >= self.limit:
                raise TooManyBuilds(self.limit, self.retry_after_seconds)
            self._held[owner] = held + 1
        try:
            yield
        finally:
            with self._lock:
                left = self._held[owner] - 1
                if left:
                    self._held[owner] = left
                else:
                    del self._held[owner]  # forget idle owners: the map stays small

    def held(self, owner: str) -> int:
        """How many slots ``owner`` holds now."""
        with self._lock:
            return self._held.get(owner, 0)


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
