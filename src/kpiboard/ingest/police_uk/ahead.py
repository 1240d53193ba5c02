"""Reading ahead: :class:`Ahead` runs an iterator in a worker thread and hands its items over
through a bounded queue, so that the next files of a read are parsed and checked (by pyarrow,
mostly without the GIL) while the one before is being consumed. The queue holds at most
``size`` items, so a file read ahead never sits in memory whole.

>>> pool = ThreadPoolExecutor(2); stop = threading.Event()  # doctest: +SKIP
>>> list(Ahead(pool, lambda: iter([1, 2, 3]), stop))  # doctest: +SKIP
[1, 2, 3]
"""

from __future__ import annotations

import contextlib
import os
import queue
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Generic, TypeVar

T = TypeVar("T")
_WAIT = 0.05  # seconds between looks at ``stop`` while the queue is full

#: How much lower (in nice steps) the reading threads run than the thread that started them.
#: A load's critical path is the warehouse's insert, one thread; at equal priority the
#: scheduler gives it a third of the cores' time while two readers are busy, the readers
#: then wait for it, and the cores idle in turn. Below it, the readers use what the insert
#: leaves: 10M police.uk rows loaded in 10.7 s instead of 12.4-12.7 (docs/BENCHMARKS.md).
READER_NICENESS = 10


def lower_priority(steps: int = READER_NICENESS) -> None:
    """Lower the calling thread's scheduling priority by ``steps`` (Linux, where a thread's
    priority is its own; elsewhere nothing changes, as a thread id there may name a process).
    A thread can always lower its own priority; threads it starts inherit it (pyarrow's own
    pool, when a reading thread is the first to use it: its parse work is reading work too)."""
    if not sys.platform.startswith("linux"):
        return
    tid = threading.get_native_id()
    with contextlib.suppress(OSError):  # a sandbox forbidding it: reading is only slower
        os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + steps)


class _End:
    """The iterator ended, or raised ``error``."""

    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error


class Ahead(Generic[T]):
    """``items()`` iterated in a pool's thread; iterate this (once, in one thread) for its items
    in order, or its exception. Setting ``stop`` makes the thread give up (and close the
    iterator) at its next item, so that an abandoned read ends."""

    def __init__(
        self,
        pool: ThreadPoolExecutor,
        items: Callable[[], Iterator[T]],
        stop: threading.Event,
        size: int = 16,
    ) -> None:
        self._queue: queue.Queue[T | _End] = queue.Queue(size)
        self._stop = stop
        pool.submit(self._run, items)

    def _run(self, items: Callable[[], Iterator[T]]) -> None:
        try:
            iterator = items()
            try:
                for item in iterator:
                    if not self._put(item):
                        return
            finally:
                close = getattr(iterator, "close", None)
                if close is not None:
                    close()
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, which raises it
            self._put(_End(exc))
            return
        self._put(_End())

    def _put(self, item: T | _End) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=_WAIT)
                return True
            except queue.Full:
                continue
        return False

    def __iter__(self) -> Iterator[T]:
        while True:
            item = self._queue.get()
            if isinstance(item, _End):
                if item.error is not None:
                    raise item.error
                return
            yield item


class ReadAhead(Generic[T]):
    """Which of a read's files are being read ahead: when file ``number`` is taken, the files
    up to ``workers`` beyond it are started, and more while those started and not yet taken
    add up to less than ``ahead_bytes``.

    ``files`` gives each file's size and the iterator reading it (started in ``pool``)."""

    def __init__(
        self,
        pool: ThreadPoolExecutor,
        files: list[tuple[int, Callable[[], Iterator[T]]]],
        stop: threading.Event,
        workers: int,
        ahead_bytes: int,
    ) -> None:
        self._pool, self._files, self._stop = pool, files, stop
        self._workers, self._ahead_bytes = workers, ahead_bytes
        self._ahead: dict[int, Ahead[T]] = {}
        self._started = 0  # files given to the threads
        self._started_bytes = 0  # their bytes, less those of the files taken

    def take(self, number: int) -> Ahead[T]:
        """File ``number``'s items (to iterate once), the files after it started meanwhile."""
        while self._started < len(self._files) and (
            self._started < number + self._workers or self._started_bytes < self._ahead_bytes
        ):
            size, items = self._files[self._started]
            self._ahead[self._started] = Ahead(self._pool, items, self._stop)
            self._started_bytes += size
            self._started += 1
        return self._ahead.pop(number)

    def taken(self, number: int) -> None:
        """File ``number`` is read: its bytes no longer count as read ahead."""
        self._started_bytes -= self._files[number][0]
