"""What the dashboard remembers between requests from the application database, so that
reading a cached page costs no database round trip.

- A month's commentary state and a KPI's revisions are remembered until this process changes
  them (a commentary save or a publication calls :meth:`Context.forget`): only the dashboard
  writes them, and revisions and packs never change once written.
- A session is remembered for :data:`SESSION_MEMORY_SECONDS` at most, and only for reading:
  every state-changing request looks its session up afresh, and signing out forgets it at
  once. A session ended or a user deactivated from another process (``kpiboard users
  deactivate``) stops reading pages within that many seconds; it can never write again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
D = TypeVar("D")

SESSION_MEMORY_SECONDS = 5.0


class Memo(Generic[K, V]):
    """Values by key, each loaded once and kept until forgotten or (with ``seconds``) until
    it is that old. Thread-safe; a value is loaded outside the lock. When ``size`` keys are
    held, everything is forgotten (a simple bound: the hot keys come straight back)."""

    def __init__(
        self, size: int, seconds: float | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._size = size
        self._seconds = seconds
        self._clock = clock
        self._values: dict[K, tuple[float, V]] = {}
        self._generation = 0  # how many times something was forgotten
        self._lock = threading.Lock()

    def get(
        self, key: K, load: Callable[[], V], *, keep: Callable[[V], bool] = lambda _v: True
    ) -> V:
        """The remembered value, or ``load()`` (remembered when ``keep`` says so, and only if
        nothing was forgotten while it loaded: a value read just before a write and returned
        just after it must not outlive the write)."""
        now = self._clock()
        with self._lock:
            hit = self._values.get(key)
            generation = self._generation
        if hit is not None and (self._seconds is None or now - hit[0] < self._seconds):
            return hit[1]
        value = load()
        if keep(value):
            with self._lock:
                if self._generation == generation:
                    if len(self._values) >= self._size:
                        self._values.clear()
                    self._values[key] = (now, value)
        return value

    def peek(self, key: K, default: D) -> V | D:
        """The remembered value if it is still fresh, else ``default``; never loads."""
        now = self._clock()
        with self._lock:
            hit = self._values.get(key)
        if hit is not None and (self._seconds is None or now - hit[0] < self._seconds):
            return hit[1]
        return default

    def forget(self, key: K) -> None:
        with self._lock:
            self._generation += 1
            self._values.pop(key, None)

    def forget_where(self, matches: Callable[[K], bool]) -> None:
        with self._lock:
            self._generation += 1
            for key in [k for k in self._values if matches(k)]:
                del self._values[key]

    def clear(self) -> None:
        with self._lock:
            self._generation += 1
            self._values.clear()
