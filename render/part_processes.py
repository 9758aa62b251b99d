"""Whole parts rendered by forked processes, each part by one process from its notes to its
staged stem: the default jobs of a render on Linux.

Threads share the kernels' work without copies, but not the Python around it: the performer,
each phrase's glue and the sums hold the GIL, and in a scheduler trace of the 8-part benchmark
score with two threads a fifth of the two cores sat idle while the threads waited on it. Two
``--jobs 1`` renders of that score side by side took 1.16 times one alone, so parts split over
processes can come within that of half a render (``benchmarks/results/render_stems.md``, "the
machine's ceiling").

:func:`run` forks ``n - 1`` children once the render knows what it must do, before it starts any
thread. The parts wait in a pipe, the longest first (:func:`work_of`), and every process -- this
one too -- takes the next one when it is free and renders it by ``one(part)``, exactly as a
render on one thread does, so the stems do not depend on the number of processes. A child sends
back what ``one`` returned (the staged files and the phrase index: small) as a line of JSON, so
``one``'s result must be JSON's (lists, dicts, strings, numbers, None). A part whose
render raised or warned in a child is rendered again here, which then raises or warns as a render
on one thread does; so is every part of a child that ended early.
"""

from __future__ import annotations

import gc
import os
import json
import signal
import struct
import sys
import threading
import warnings
from typing import Any, Callable, Iterator, Sequence

from partita.symbolic.score import Part

__all__ = ["fork", "run", "usable", "work_of"]

_ITEM = struct.Struct("<H")


def usable(n_parts: int, workers: int) -> bool:
    """Whether parts may go to forked processes: several workers and parts, Linux, and no
    thread in this process but this one (forking while another thread may hold a lock is
    unsafe)."""
    return (workers > 1 and n_parts > 1 and sys.platform.startswith("linux") and hasattr(os, "fork")
            and threading.active_count() == 1 and n_parts < 1 << 16)  # fmt: skip


def work_of(part: Part) -> float:
    """A part's rough cost to render, for the order the processes take the parts in: its notes
    (each a phrase or a string model's note, about 0.4 ms) and its sounding quarter notes (about
    0.5 ms each at 120 bpm; every part of a score shares its tempo). Only the order depends on
    it, never the audio."""
    return 0.4 * len(part.notes) + 0.5 * sum(float(n.duration) for n in part.notes)


def run(parts: Sequence[Part], workers: int, one: Callable[[Part], Any],
        helper: Callable[[], Any] | None = None) -> Iterator[tuple[Part, Any]]:  # fmt: skip
    """``(part, one(part))`` for every part, in the order they are done, ``one`` called in this
    process or in one of ``workers - 1`` forked children (its result sent back as JSON).
    ``helper()``: what a process does once no part is left to take, while others still render
    theirs (:mod:`partita.render.phrase_help`); whatever it raises is dropped."""
    order = sorted(range(len(parts)), key=lambda i: -work_of(parts[i]))
    task_r, task_w = os.pipe()
    os.write(task_w, b"".join(_ITEM.pack(i) for i in order))  # a few bytes: the pipe holds them all
    os.close(task_w)
    children: dict[int, int] = {}  # result pipe's read end -> pid
    readers: list[_Reader] = []
    try:
        for _ in range(min(workers, len(parts)) - 1):
            res_r, res_w = os.pipe()

            def child(res_r: int = res_r, res_w: int = res_w) -> None:  # pragma: no cover - in the child
                for fd in (res_r, *children):
                    os.close(fd)
                gc.disable()  # a short life; a collection would touch (and so copy) the parent's objects
                _child(parts, task_r, res_w, one)
                _help(helper)

            pid = fork(child)
            os.close(res_w)
            children[res_r] = pid
        done: set[int] = set()  # the parts whose results have been given
        readers += [_Reader(fd) for fd in children]  # threads: a child never waits on a full pipe
        while (i := _take(task_r)) is not None:
            yield parts[i], one(parts[i])
            done.add(i)
            for reader in readers:  # what the children have done meanwhile
                yield from _done(reader.messages(), parts, done)
        if readers:
            _help(helper)
        for reader in readers:
            reader.join()
            yield from _done(reader.messages(), parts, done)
        for i in order:  # a part a child could not render (or took and never sent: it died)
            if i not in done:
                yield parts[i], one(parts[i])
    finally:
        os.close(task_r)
        for pid in children.values():
            try:
                os.kill(pid, signal.SIGKILL)  # done already, or the render is being abandoned
            except ProcessLookupError:  # pragma: no cover
                pass
            os.waitpid(pid, 0)
        for reader in readers:
            reader.join()  # at the end of its pipe: the child is gone
        for fd in children:
            os.close(fd)


def fork(job: Callable[[], None]) -> int:
    """The pid of a forked child that runs ``job`` and exits: 0 if it returned, 1 if it raised.
    The child leaves Ctrl-C to its parent (which ends it) and ends if its parent dies (killed,
    say, where it cannot reap it). Call it only where :func:`usable` says a process may fork."""
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child (coverage does not follow a fork)
        code = 1
        try:
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            _end_with_parent(parent)
            job()
            code = 0
        finally:
            os._exit(code)
    return pid


def _end_with_parent(parent: int) -> None:  # pragma: no cover - in the child
    """Have the kernel end this child if its parent (``parent``, its pid taken before the fork)
    dies."""
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # it died before the call
        os._exit(1)


def _help(helper: Callable[[], Any] | None) -> None:
    if helper is not None:
        try:
            helper()
        except Exception:  # pragma: no cover - the parts' own processes make what it did not
            pass


def _take(task_r: int) -> int | None:
    data = os.read(task_r, _ITEM.size)
    return _ITEM.unpack(data)[0] if len(data) == _ITEM.size else None


def _child(parts: Sequence[Part], task_r: int, res_w: int, one: Callable[[Part], Any]) -> None:  # pragma: no cover - in the child
    """Take parts until none is left; send ``[index, result]`` for each, a line of JSON, or
    ``[index, null]`` where its render raised or warned (the parent renders it again, and so
    raises or warns)."""
    with os.fdopen(res_w, "wb") as out:
        while (i := _take(task_r)) is not None:
            result = None
            with warnings.catch_warnings(record=True) as said:
                warnings.simplefilter("always")
                try:
                    result = one(parts[i])
                except Exception:
                    result = None
            if said:
                result = None
            try:
                line = json.dumps([i, result])
            except (TypeError, ValueError):  # not JSON's: the parent renders it
                line = json.dumps([i, None])
            out.write(line.encode() + b"\n")
            out.flush()


class _Reader(threading.Thread):
    """Reads a child's result pipe to its end as the bytes come (a child whose result is larger
    than the pipe would otherwise wait for this process to finish its own part)."""

    def __init__(self, fd: int):
        super().__init__(name="partita-part-results", daemon=True)
        self.fd = fd
        self._data = bytearray()
        self._lock = threading.Lock()
        self.start()

    def run(self) -> None:
        while chunk := os.read(self.fd, 1 << 16):
            with self._lock:
                self._data += chunk

    def messages(self) -> list[Any]:
        """The whole messages (lines) read so far and not given before."""
        with self._lock:
            end = self._data.rfind(b"\n") + 1
            lines, self._data = bytes(self._data[:end]), self._data[end:]
        return [json.loads(line) for line in lines.splitlines()]


def _done(messages: list[Any], parts: Sequence[Part], done: set[int]) -> Iterator[tuple[Part, Any]]:
    for i, result in messages:
        if result is not None:  # None: it raised or warned there, and is rendered here
            done.add(i)
            yield parts[i], result
