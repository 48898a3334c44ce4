"""The write-queue exit: writes no store would take wait here, and a drainer stores them in order.

While the queue holds anything, new writes join it too, so none overtakes an older one;
once it is drained, writes go straight to the store again.
"""

from __future__ import annotations

import logging
import random
import threading
from collections import deque
from collections.abc import Callable

from .protocol.order_record import Order

log = logging.getLogger(__name__)


class QueueFull(Exception):
    """The queue holds its maximum: the write is refused."""


class WriteQueue:
    """A FIFO of orders, bounded unless `max_len` is None; thread-safe. Only the drainer
    removes from it."""

    def __init__(self, max_len: int | None = 10_000) -> None:
        if max_len is not None and max_len < 1:
            raise ValueError("max_len must be >= 1")
        self.max_len = max_len
        self.queued_total = 0
        self.drained_total = 0
        self._items: deque[Order] = deque()
        self._cond = threading.Condition()

    def put(self, order: Order) -> None:
        with self._cond:
            if self.max_len is not None and len(self._items) >= self.max_len:
                raise QueueFull(f"write queue full ({self.max_len} writes waiting)")
            self._items.append(order)
            self.queued_total += 1
            self._cond.notify()

    def peek(self, n: int) -> list[Order]:
        with self._cond:
            return [self._items[i] for i in range(min(n, len(self._items)))]

    def drop(self, n: int) -> int:
        """Remove the first `n` (they were stored); returns how many are left."""
        with self._cond:
            for _ in range(min(n, len(self._items))):
                self._items.popleft()
            self.drained_total += n
            return len(self._items)

    def wait(self, timeout: float, stop: threading.Event | None = None) -> bool:
        """Block until something is queued, `stop` is set (and `wake` called) or `timeout`
        passes; True if non-empty."""
        with self._cond:
            self._cond.wait_for(lambda: bool(self._items) or (stop is not None and stop.is_set()), timeout)
            return bool(self._items)

    def wake(self) -> None:
        """Wake every `wait` (to stop a drainer)."""
        with self._cond:
            self._cond.notify_all()

    def __len__(self) -> int:
        return len(self._items)


class Drainer:
    """A background thread that hands the queue, in order and in batches, to `store_batch`.

    `store_batch` raises when the batch could not be stored; the drainer waits
    `retry_interval` (with `backoff`: doubled after each failure in a row, up to 8 times
    as long, with full jitter) and tries the same batch again, until `stop()`.
    """

    def __init__(
        self,
        queue: WriteQueue,
        store_batch: Callable[[list[Order]], object],
        *,
        batch: int = 100,
        retry_interval: float = 0.1,
    ) -> None:
        self.queue = queue
        self.store_batch = store_batch
        self.batch = batch
        self.retry_interval = retry_interval
        self.backoff = False
        self._rng = random.Random()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="write-queue-drainer", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        self.queue.wake()
        if self._thread is not None:
            self._thread.join(timeout)

    def drain_once(self) -> bool:
        """Try to store the next batch; True if it was stored (or nothing was queued)."""
        batch = self.queue.peek(self.batch)
        if not batch:
            return True
        self.store_batch(batch)
        left = self.queue.drop(len(batch))
        if left == 0:
            log.info("write queue drained: %d queued writes stored", self.queue.drained_total)
        return True

    def _pause(self, failures: int) -> float:
        if not self.backoff:
            return self.retry_interval
        return self._rng.uniform(0.0, self.retry_interval * min(8, 2 ** (failures - 1)))

    def _run(self) -> None:
        failing = False
        failures = 0
        while not self._stop.is_set():
            if not self.queue.wait(0.5, self._stop):
                continue
            try:
                self.drain_once()
            except Exception as e:  # any failure: keep the batch, try again later
                if not failing:
                    log.info("write queue: cannot store yet (%d waiting): %s", len(self.queue), e)
                failing = True
                failures += 1
                self._stop.wait(self._pause(failures))
            else:
                failures = 0
                if failing and len(self.queue):
                    log.info("write queue: storing again (%d waiting)", len(self.queue))
                failing = False
