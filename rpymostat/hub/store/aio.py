"""The Store seen from the reactor: every call returns a Deferred and the blocking work
happens elsewhere — in a thread pool when the hub runs, inline in synchronous tests."""

from __future__ import annotations

from typing import Any, Callable

from twisted.internet.defer import Deferred, maybeDeferred
from twisted.internet.threads import deferToThreadPool

from rpymostat.hub.store.store import Store

Runner = Callable[..., Deferred]


def inline_runner(function: Callable, *args: Any, **kwargs: Any) -> Deferred:
    return maybeDeferred(function, *args, **kwargs)


def thread_runner(reactor, pool) -> Runner:
    def run(function: Callable, *args: Any, **kwargs: Any) -> Deferred:
        return deferToThreadPool(reactor, pool, function, *args, **kwargs)

    return run


class AsyncCalls:
    """Each public method of an object, returning a Deferred of its result."""

    def __init__(self, target: Any, run: Runner = inline_runner):
        self.target = target
        self.run = run

    def __getattr__(self, name: str) -> Callable[..., Deferred]:
        method = getattr(self.target, name)
        if name.startswith("_") or not callable(method):
            raise AttributeError(name)
        return lambda *args, **kwargs: self.run(method, *args, **kwargs)


class AsyncStore(AsyncCalls):
    """The :class:`Store`'s methods as Deferreds, and its history store's as ``history``."""

    def __init__(self, store: Store, run: Runner = inline_runner):
        super().__init__(store, run)
        self.store = store
        self.history = AsyncCalls(store.history, run)


class ReadingWriter:
    """Group commit for readings: requests that arrive while a write is under way
    are written together in the next transaction, so a busy hub commits once for many
    requests, and each request still answers only after its readings are durable."""

    def __init__(self, store: AsyncStore):
        self._store = store
        self._pending: list[tuple[tuple[str, list[dict], float], Deferred]] = []
        self._busy = False

    def submit(self, node_id: str, rows: list[dict], now: float) -> Deferred:
        done: Deferred = Deferred()
        self._pending.append(((node_id, rows, now), done))
        if not self._busy:
            self._flush()
        return done

    def _flush(self) -> None:
        batch, self._pending = self._pending, []
        self._busy = True

        def written(counts):
            for (_, done), count in zip(batch, counts):
                done.callback(count)

        def failed(failure):
            for _, done in batch:
                done.errback(failure)

        def next_batch(_):
            self._busy = False
            if self._pending:
                self._flush()

        d = self._store.add_reading_batches([item for item, _ in batch])
        d.addCallbacks(written, failed)
        d.addBoth(next_batch)
