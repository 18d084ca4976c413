"""Work on untrusted bytes in worker processes, so that a crash, an abort or a hang of one item is
that item's failure and never the run's.

Each worker takes one item at a time (with the next one queued so it never waits), tells the
parent when it starts an item, and sends the result back through a pipe. The parent watches
every worker: one that dies while working on an item (a segfault, a Rust abort, an allocation
refused under the memory cap) is replaced, and the item is tried once more in a fresh worker
before it is reported as crashed; one that works on an item longer than the time limit is
killed and the item reported as too slow. Workers ignore Ctrl-C (the parent decides), write
nothing to the terminal, cap their address space, and die with the parent (Linux: a parent-death
signal; everywhere: the pipe closing).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.context import ForkContext, ForkServerContext, SpawnContext
from multiprocessing.process import BaseProcess
from typing import Any, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")
C = TypeVar("C")

_KILL_GRACE = 0.5  # seconds a terminated worker gets before it is killed


@dataclass(frozen=True)
class Limits:
    """What one item may cost a worker."""

    seconds: float = 10.0
    memory_mb: int = 2048


@dataclass(frozen=True)
class Failed:
    """An item whose worker crashed or ran out of time; `seconds` is how long it ran."""

    reason: str  # "crashed" | "too-slow"
    seconds: float
    detail: str = ""


@dataclass
class _Slot(Generic[T]):
    process: BaseProcess
    conn: Connection
    queue: deque[int]  # item indexes sent to this worker, oldest (the running one) first
    started: float | None = None  # when the worker said it began the oldest item


def _default_method() -> str:
    # fork starts a worker in milliseconds; where it is not available (Windows) or not safe
    # (macOS system libraries), spawn, which imports the package in each worker (~0.3 s).
    return "fork" if sys.platform.startswith("linux") else "spawn"


def _context(method: str) -> ForkContext | SpawnContext | ForkServerContext:
    if method == "fork":
        return multiprocessing.get_context("fork")
    if method == "forkserver":
        return multiprocessing.get_context("forkserver")
    return multiprocessing.get_context("spawn")


def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass


def _cap_memory(memory_mb: int) -> None:
    """Cap the address space: above it an allocation fails in this worker instead of the machine."""
    try:
        import resource
    except ImportError:  # Windows: no cap; the time limit still holds
        return
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            current = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        current = 0
    limit = current + memory_mb * 1024 * 1024
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _quiet() -> None:
    """A worker writes nothing where the officer looks, and holds no terminal or pipe open."""
    import faulthandler

    faulthandler.disable()  # it keeps its own copy of the terminal's descriptor
    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        os.close(devnull)


def _worker(conn: Connection, fn: Callable[[C, T], R], context: C, memory_mb: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent()
    _quiet()
    _cap_memory(memory_mb)
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return  # the parent has gone
        if message is None:
            return
        index, item = message
        try:
            conn.send(("start", index, None))
            try:
                result: Any = fn(context, item)
                kind = "done"
            except MemoryError:
                result, kind = "MemoryError", "failed"
            except Exception as exc:  # the function promises not to raise; if it does, the item failed
                result, kind = type(exc).__name__, "failed"
            conn.send((kind, index, result))
        except (BrokenPipeError, EOFError, OSError):
            return


class Pool(Generic[C, T, R]):
    """Worker processes running `fn(context, item)` on items, each isolated and limited."""

    def __init__(self, fn: Callable[[C, T], R], context: C, workers: int = 0, limits: Limits = Limits(),
                 method: str | None = None) -> None:
        self.fn, self.context, self.limits = fn, context, limits
        self.workers = max(1, workers or os.cpu_count() or 1)
        self._mp = _context(method or _default_method())
        self._slots: list[_Slot[T]] = []

    def _start(self) -> _Slot[T]:
        parent, child = self._mp.Pipe(duplex=True)
        process = self._mp.Process(target=_worker, args=(child, self.fn, self.context, self.limits.memory_mb),
                                   daemon=True, name="baocao-worker")
        process.start()
        child.close()
        slot: _Slot[T] = _Slot(process, parent, deque())
        self._slots.append(slot)
        return slot

    def _stop(self, slot: _Slot[T], kill: bool) -> None:
        if slot in self._slots:
            self._slots.remove(slot)
        with contextlib.suppress(OSError):
            if not kill:
                slot.conn.send(None)
        slot.conn.close()
        if kill and slot.process.is_alive():
            slot.process.terminate()
            slot.process.join(_KILL_GRACE)
            if slot.process.is_alive():
                slot.process.kill()
        slot.process.join(_KILL_GRACE if kill else 5)
        if slot.process.is_alive():
            slot.process.kill()
            slot.process.join(_KILL_GRACE)

    def close(self) -> None:
        """Stop every worker (killing any still busy)."""
        for slot in list(self._slots):
            self._stop(slot, kill=bool(slot.queue))

    def __enter__(self) -> Pool[C, T, R]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def map(self, items: Iterable[T]) -> Iterator[tuple[T, R | Failed]]:
        """(item, result or Failed) for every item, in the order given; at most two items per worker in flight."""
        source = iter(items)
        pending: dict[int, T] = {}  # index -> item, sent or waiting to be sent
        again: deque[int] = deque()  # innocent items to send again: their worker died on another item
        solo: deque[int] = deque()  # items that crashed a worker once: each runs alone in a fresh worker
        tried: set[int] = set()
        done: dict[int, R | Failed] = {}
        next_index = 0
        next_out = 0
        exhausted = False

        def take() -> int | None:
            nonlocal next_index, exhausted
            if again:
                return again.popleft()
            if exhausted:
                return None
            try:
                item = next(source)
            except StopIteration:
                exhausted = True
                return None
            pending[next_index] = item
            next_index += 1
            return next_index - 1

        def send(slot: _Slot[T], index: int) -> None:
            slot.queue.append(index)
            with contextlib.suppress(BrokenPipeError, OSError):  # a dead worker is seen by its sentinel
                slot.conn.send((index, pending[index]))

        def feed(slot: _Slot[T], fresh: bool = False) -> None:
            if fresh and solo:
                send(slot, solo.popleft())
                return
            if slot.queue and slot.queue[0] in tried:
                return
            while len(slot.queue) < 2:
                index = take()
                if index is None:
                    return
                send(slot, index)

        def left() -> bool:
            return bool(again or solo or not exhausted)

        def lost(slot: _Slot[T], reason: str) -> None:
            """The worker is gone: its running item failed or is retried; the queued one is sent again."""
            running = slot.queue.popleft() if slot.queue else None
            elapsed = time.monotonic() - slot.started if slot.started is not None else 0.0
            for index in reversed(slot.queue):
                again.appendleft(index)
            slot.queue.clear()
            if running is not None:
                if reason == "crashed" and running not in tried:
                    tried.add(running)
                    solo.append(running)
                else:
                    limit = f"{self.limits.seconds:g}" if reason == "too-slow" else ""
                    done[running] = Failed(reason, elapsed, limit)

        try:
            for _ in range(self.workers):
                if not left():
                    break
                feed(self._start())
            while self._slots:
                now = time.monotonic()
                deadlines = [s.started + self.limits.seconds - now for s in self._slots if s.started is not None]
                ready = wait([s.conn for s in self._slots] + [s.process.sentinel for s in self._slots],
                             timeout=max(0.0, min(deadlines)) if deadlines else None)
                for slot in list(self._slots):
                    if slot.conn in ready:
                        try:
                            while slot.conn.poll():
                                kind, index, value = slot.conn.recv()
                                if kind == "start":
                                    slot.started = time.monotonic()
                                else:
                                    slot.queue.popleft()
                                    slot.started = None
                                    done[index] = value if kind == "done" else Failed("crashed", 0.0, str(value))
                        except (EOFError, OSError):
                            pass
                    dead = not slot.process.is_alive() or slot.process.sentinel in ready
                    late = slot.started is not None and time.monotonic() - slot.started > self.limits.seconds
                    if dead or late:
                        lost(slot, "too-slow" if late and not dead else "crashed")
                        self._stop(slot, kill=True)
                        if left():
                            feed(self._start(), fresh=True)
                    else:
                        feed(slot)
                        if not slot.queue and solo:
                            self._stop(slot, kill=False)  # only retries are left: they need fresh workers
                            feed(self._start(), fresh=True)
                        elif not slot.queue and not left():
                            self._stop(slot, kill=False)
                while next_out in done:
                    yield pending.pop(next_out), done.pop(next_out)
                    next_out += 1
                if not self._slots and left():
                    feed(self._start(), fresh=True)
        finally:
            self.close()


class Helper(Generic[C, T, R]):
    """One worker kept for a few calls of `fn(context, item)`, made one at a time (e.g. drawing a chart).

    The first call can be made early to warm the worker up while the parent works; a call that
    crashes the worker or exceeds the time limit gives Failed, and the next call starts a fresh one.
    """

    def __init__(self, fn: Callable[[C, T], R], context: C, limits: Limits = Limits(),
                 method: str | None = None) -> None:
        self._pool: Pool[C, T, R] = Pool(fn, context, 1, limits, method)
        self._slot: _Slot[T] | None = None
        self._next = 0

    def send(self, item: T) -> int:
        """Start `fn` on `item` in the helper; returns a ticket for `result`."""
        if self._slot is None or not self._slot.process.is_alive():
            if self._slot is not None:
                self._pool._stop(self._slot, kill=True)
            self._slot = self._pool._start()
        ticket = self._next
        self._next += 1
        self._slot.queue.append(ticket)
        with contextlib.suppress(BrokenPipeError, OSError):
            self._slot.conn.send((ticket, item))
        return ticket

    def result(self, ticket: int) -> R | Failed:
        """The result of the call `ticket` (earlier calls' results are dropped), or Failed."""
        slot = self._slot
        limit = self._pool.limits.seconds
        begun: float | None = None
        while slot is not None:
            timeout = None if begun is None else max(0.0, begun + limit - time.monotonic())
            ready = wait([slot.conn, slot.process.sentinel], timeout=timeout)
            if slot.conn in ready:
                try:
                    kind, index, value = slot.conn.recv()
                except (EOFError, OSError):
                    kind, index, value = "gone", ticket, None
                if kind == "start":
                    begun = time.monotonic() if index == ticket else None
                    continue
                if kind == "gone":
                    break
                slot.queue.popleft()
                if index == ticket:
                    return value if kind == "done" else Failed("crashed", 0.0, str(value))
                continue
            reason = "too-slow" if slot.process.is_alive() else "crashed"
            self._pool._stop(slot, kill=True)
            self._slot = None
            return Failed(reason, time.monotonic() - (begun or time.monotonic()), "")
        if slot is not None:
            self._pool._stop(slot, kill=True)
            self._slot = None
        return Failed("crashed", 0.0, "")

    def close(self) -> None:
        """Stop the helper."""
        self._pool.close()
        self._slot = None
