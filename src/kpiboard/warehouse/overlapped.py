"""Writing record chunks in a worker thread while the reader reads the next ones."""

from __future__ import annotations

import collections
import contextlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import pyarrow as pa

# Chunks that may wait for the warehouse while the next is gathered: with one, the reading
# thread stopped at every chunk until the one before was in (half of a 10M-row load, measured).
RECORD_CHUNKS_AHEAD = 2


class Overlapped:
    """Runs ``insert(chunk)`` in one worker thread, one chunk after another, so that DuckDB writes
    (without the GIL) while the reader parses and checks the next chunks. Up to ``depth``
    chunks may wait: calling it first waits for the oldest chunk beyond that (raising its error,
    if any); :meth:`wait` waits for every chunk. The connection is only used by the worker
    thread while chunks are pending."""

    def __init__(self, insert: Callable[[pa.Table], None], depth: int | None = None) -> None:
        self._insert = insert
        self._depth = RECORD_CHUNKS_AHEAD if depth is None else depth
        self._pool: ThreadPoolExecutor | None = None
        self._futures: collections.deque[Future[None]] = collections.deque()

    def __call__(self, chunk: pa.Table) -> None:
        while len(self._futures) >= self._depth:
            self._futures.popleft().result()
        if self._pool is None:
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="kpiboard-load")
        self._futures.append(self._pool.submit(self._insert, chunk))

    def wait(self) -> None:
        """Wait for every chunk; the first error (in chunk order) is raised once all are done."""
        error: BaseException | None = None
        while self._futures:
            try:
                self._futures.popleft().result()
            except BaseException as exc:  # noqa: BLE001 - kept, raised once all are done
                error = error or exc
        if error is not None:
            raise error

    def close(self) -> None:
        # raised already by the load, or rolled back
        with contextlib.suppress(BaseException):
            self.wait()
        if self._pool is not None:
            self._pool.shutdown()
