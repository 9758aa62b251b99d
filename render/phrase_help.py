"""Phrases of a part made by a process that has no part left to render: the end of a render on
forked processes (:mod:`partita.render.part_processes`).

Whole parts go to processes, so a render ends when its last part does: in the 8-part benchmark
score one of two processes sat idle for 0.1-0.2 s at the end, and with more cores than parts the
longest part alone sets the time. Here a process whose queue is empty helps a part that another
is still rendering: it makes the part's phrases itself (the performer and the decoders are the
same in every process) from the last run of :data:`RUN` phrases backwards, while the part's own
process goes forwards; they meet in the middle. The part's process still adds every phrase to
its audio in the phrases' order, so the stems are the same bits however the runs were shared.

The processes share a :class:`Board`, a folder (on ``/dev/shm`` where there is room) made before
they fork, named with the render's pid (a later render removes the board of one that was killed
outright, an hour on), with a sub-folder per part being rendered:

- ``runs``: the number of runs, written by the part's process once it has its phrases;
- ``R.claim``: run R is taken, by whoever made the file first (``O_EXCL``): the part's process
  before it makes run R, a helper before it makes it for it. The file holds the taker's pid;
- ``R.run``: the run's audio from a helper (``R.err`` where making it raised or warned: the
  part's process then makes it, and raises or warns, itself);
- ``done``: the part's process has all its runs.

A helper that has taken a run always gives it (audio or ``.err``); the part's process waits only
for runs that a helper took, and makes a run itself where that helper's process is gone.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from partita._fileio import atomic_path, atomic_write_bytes

__all__ = ["RUN", "Board"]

#: Phrases in a run, the unit the processes share (a few ms of work: a claim costs some 10 us).
RUN = 8
#: Runs a part must have left, of those nobody has taken, for a helper to take it up (it performs
#: the part first, a few hundredths of a second, on a core that would be idle).
MIN_RUNS_LEFT = 2
_POLL_S = 0.0005
_PREFIX = "partita-phrases-"


class Board:
    """The folder where the processes of one render share the runs of the parts in progress."""

    def __init__(self, root: Path):
        self.root = root

    @classmethod
    def create(cls) -> Board:
        """A new, empty board (make it before forking; :meth:`close` it after)."""
        shm = Path("/dev/shm")  # memory, where there is room (a container's may be 64 MB)
        try:
            roomy = shm.is_dir() and os.access(shm, os.W_OK) and _free_bytes(shm) >= 1 << 30
        except OSError:  # pragma: no cover
            roomy = False
        where = Path(shm if roomy else tempfile.gettempdir())
        _remove_stale(where)
        return cls(Path(tempfile.mkdtemp(prefix=f"{_PREFIX}{os.getpid()}-", dir=where)))

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    # -- the part's own process ----------------------------------------------------------------

    def own(self, slot: int, n_phrases: int, make: Callable[[int], np.ndarray]) -> Iterator[np.ndarray]:
        """The audio of the part's phrases 0 .. n_phrases - 1 in order, for the part's own
        process: each run made by ``make(i)`` (phrase i's audio) unless a helper took it first,
        then read from the helper. Announces the part when first advanced; ``done`` after."""
        folder = self.root / str(slot)
        try:
            folder.mkdir()
        except OSError:  # rendered once already (by a process that then failed), or no board: alone
            yield from (make(i) for i in range(n_phrases))
            return
        yield from self._own_in(folder, n_phrases, make)

    def _own_in(self, folder: Path, n_phrases: int, make: Callable[[int], np.ndarray]) -> Iterator[np.ndarray]:
        n_runs = -(-n_phrases // RUN)
        try:
            atomic_write_bytes(folder / "runs", f"{n_runs} {os.getpid()}".encode())
        except OSError:  # (the board gone, a full disk) nobody helps
            pass
        for r in range(n_runs):
            lo, hi = r * RUN, min(n_phrases, (r + 1) * RUN)
            try:
                mine = _claim(folder / f"{r}.claim")
            except OSError:  # the board gone: the rest is this process's
                mine = True
            if not mine:
                audio = self._given(folder, r)
                if audio is not None:
                    yield from audio
                    continue
            for i in range(lo, hi):
                yield make(i)
        try:
            (folder / "done").touch()
        except OSError:
            pass

    def _given(self, folder: Path, r: int) -> list[np.ndarray] | None:
        """A helper's audio of run r once it is there; None where the helper could not make it
        (``.err``) or its process is gone (the caller makes the run)."""
        run, err, claim = folder / f"{r}.run", folder / f"{r}.err", folder / f"{r}.claim"
        start = checked = time.monotonic()
        while True:
            if run.exists():
                return _take_run(run)
            if err.exists():
                return None
            if time.monotonic() - checked > 0.05:  # is the helper still there?
                checked = time.monotonic()
                pid = _pid_in(claim)
                if (pid is None and checked - start > 1.0) or (pid is not None and not _alive(pid)):
                    return _take_run(run) if run.exists() else None  # (no pid: its claim failed)
            time.sleep(_POLL_S)

    # -- a helper --------------------------------------------------------------------------------

    def help(self, parts: Sequence[Any], phrases_of: Callable[[Any], tuple[list[Any], list[Any]]],
             make: Callable[[Any, Any], np.ndarray]) -> int:  # fmt: skip
        """Make runs of the parts in progress, from their ends, until none has
        :data:`MIN_RUNS_LEFT` runs nobody has taken; the number of runs given.
        ``phrases_of(part)``: the part's phrases and their decoders; ``make(decoder, phrase)``:
        one phrase's audio."""
        given = 0
        tried: set[int] = set()
        while True:
            slot = self._most_left(tried)
            if slot is None:
                return given
            tried.add(slot)
            folder = self.root / str(slot)
            owner = _runs_of(folder)[1]
            try:
                with warnings.catch_warnings(record=True) as said:
                    warnings.simplefilter("always")
                    curves, decs = phrases_of(parts[slot])
            except Exception:  # the part's own process meets it too, and says so
                continue
            if said:  # the performer warned: the part's own process says so, once
                continue
            for r in reversed(range(-(-len(curves) // RUN))):
                if (folder / "done").exists():
                    break
                if not _claim(folder / f"{r}.claim"):
                    if _pid_in(folder / f"{r}.claim") == owner:
                        break  # the part's process is here: the rest is its
                    continue  # another helper's
                given += self._give(folder, r, curves, decs, make)

    def _give(self, folder: Path, r: int, curves: list[Any], decs: list[Any],
              make: Callable[[Any, Any], np.ndarray]) -> int:  # fmt: skip
        """Make run r and leave it on the board (or ``.err``): 1 if given."""
        try:
            with warnings.catch_warnings(record=True) as said:
                warnings.simplefilter("always")
                audio = [np.ascontiguousarray(make(decs[i], curves[i]), np.float32) for i in _run(r, len(curves))]
            if said:
                raise RuntimeError("a warning: the part's own process makes the run, and warns")
            _write_run(folder / f"{r}.run", audio)
            return 1
        except Exception:
            try:
                os.close(os.open(folder / f"{r}.err", os.O_WRONLY | os.O_CREAT, 0o600))
            except OSError:  # (a full disk) the part's process finds no pid and makes the run
                (folder / f"{r}.claim").unlink(missing_ok=True)
            return 0

    def _most_left(self, tried: set[int]) -> int | None:
        """The part in progress with the most runs nobody has taken (at least MIN_RUNS_LEFT)."""
        best, best_left = None, MIN_RUNS_LEFT - 1
        for entry in os.scandir(self.root):
            if not entry.name.isdigit() or int(entry.name) in tried:
                continue
            folder = Path(entry.path)
            try:
                n_runs = _runs_of(folder)[0]
                names = os.listdir(folder)
            except (OSError, ValueError):
                continue
            if "done" in names:
                continue
            left = n_runs - sum(name.endswith(".claim") for name in names)
            if left > best_left:
                best, best_left = int(entry.name), left
        return best


def _remove_stale(where: Path) -> None:
    """Remove the boards of renders whose process is gone: a render killed outright (SIGKILL)
    cannot remove its own, and on ``/dev/shm`` it would hold memory until the machine restarts."""
    try:
        entries = list(os.scandir(where))
    except OSError:  # pragma: no cover
        return
    for entry in entries:
        if not entry.name.startswith(_PREFIX):
            continue
        pid = entry.name[len(_PREFIX) :].split("-", 1)[0]
        try:  # an hour untouched as well: a render elsewhere (another pid namespace) may share the folder
            old = time.time() - entry.stat().st_mtime > 3600
        except OSError:
            continue
        if pid.isdigit() and old and not _alive(int(pid)):
            shutil.rmtree(entry.path, ignore_errors=True)


def _free_bytes(path: Path) -> int:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def _runs_of(folder: Path) -> tuple[int, int]:
    """A part's number of runs and its own process's pid (``runs``)."""
    n_runs, pid = (folder / "runs").read_bytes().split()
    return int(n_runs), int(pid)


def _run(r: int, n: int) -> range:
    return range(r * RUN, min(n, (r + 1) * RUN))


def _claim(path: Path) -> bool:
    """Take what ``path`` stands for: True for the one process that makes the file."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    try:
        os.write(fd, str(os.getpid()).encode())
    except OSError:  # (a full disk) taken all the same; a pid-less claim is waited on for 1 s at most
        pass
    finally:
        os.close(fd)
    return True


def _pid_in(path: Path) -> int | None:
    try:
        text = path.read_bytes()
    except OSError:
        return None
    return int(text) if text.isdigit() else None  # empty while its taker writes it


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - another user's process has the pid now
        return False
    return True


def _write_run(path: Path, audio: list[np.ndarray]) -> None:
    sizes = np.array([a.size for a in audio], np.int64)
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        fh.write(np.int64(sizes.size).tobytes())
        fh.write(sizes.tobytes())
        for a in audio:
            fh.write(memoryview(a))


def _take_run(path: Path) -> list[np.ndarray]:
    """A run's audio, read and removed from the board."""
    data = path.read_bytes()
    path.unlink()
    n = int(np.frombuffer(data, np.int64, 1)[0])
    sizes = np.frombuffer(data, np.int64, n, 8)
    out, pos = [], 8 * (n + 1)
    for size in sizes:
        out.append(np.frombuffer(data, np.float32, int(size), pos).copy())
        pos += 4 * int(size)
    return out
