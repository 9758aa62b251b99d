"""Writing files so that an interrupted run never leaves half a file behind.

Every output partita writes goes to a temporary file in the destination folder and is renamed
over the destination only once it is complete (a rename within one filesystem is atomic).

Large audio files (stems, the master) are written by :class:`StreamWriter`, which bypasses the
page cache where the filesystem allows it (``O_DIRECT``): the disk's controller reads the bytes
from an aligned staging buffer, instead of the kernel copying every byte into fresh page-cache
pages. A render writes hundreds of MB of float stems that nothing reads at once; on the machines
measured the buffered copy cost more CPU than the whole noise synthesis (docs/render.md).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import mmap
import os
import tempfile
import threading
from pathlib import Path
from typing import Iterator

from partita.errors import OutputError

__all__ = ["StreamWriter", "atomic_path", "atomic_write_bytes", "atomic_write_text", "sha256_file"]


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it onto ``path``.

    The temporary name keeps ``path``'s suffix, so tools that choose a format by extension
    (music21, MuseScore, soundfile) still do. On an exception the temporary file is removed
    and ``path`` is left as it was.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_path(d / "out.txt") as tmp:
    ...     _ = tmp.write_text("done")
    >>> (d / "out.txt").read_text()
    'done'
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    except OSError as exc:
        raise OutputError(f"cannot write here: {exc.strerror or exc}", file=str(path)) from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        # mkstemp makes the file private (0600); give it the mode a plain open() would
        try:
            os.chmod(tmp, _default_mode(path))
            os.replace(tmp, path)
        except OSError as exc:
            raise OutputError(f"cannot write here: {exc.strerror or exc}", file=str(path)) from None
    finally:
        if tmp.exists():
            tmp.unlink()


def _default_mode(path: Path) -> int:
    """The mode of the file being replaced, else 0666 less the process umask."""
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of a file's bytes, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


_BLOCK = 4096  # O_DIRECT's alignment: offsets, lengths and the buffer's address (a page)
_STAGE = 8 << 20
_DIRECT_MIN = 4 << 20  # smaller files go through the page cache: nothing to gain
_HASH_BESIDE = 1 << 20  # a write at least this long is hashed by a thread of its own, beside the write
_stages = threading.local()  # a staging buffer per thread, used again (its pages stay mapped)


class StreamWriter:
    """Write a file of ``size`` bytes sequentially, hashing it (sha256) on the way.

    Where the platform and filesystem allow it and the file is large, the file is opened with
    ``O_DIRECT``: bytes are gathered into a page-aligned staging buffer and written in whole
    blocks from there, and the last partial block is written after ``O_DIRECT`` is switched off.
    Anywhere else (macOS, a filesystem that refuses the flag or the alignment), and everywhere
    when the environment sets ``PARTITA_PAGE_CACHE=1`` (a slow disk, where waiting for it costs
    more than the copy), it writes through the page cache as :func:`open` would. The file's
    bytes are the same either way.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.bin"
    >>> with StreamWriter(p, size=5) as w:
    ...     w.write(b"hello")
    >>> p.read_bytes(), w.sha256[:8]
    (b'hello', '2cf24dba')
    """

    def __init__(self, path: str | os.PathLike[str], *, size: int) -> None:
        self.path = Path(path)
        self._hash = hashlib.sha256()
        self._fill = 0
        self._fd = -1
        self._staged = False  # gathered into aligned blocks (O_DIRECT was granted at open)
        self._cache_skipped = False  # O_DIRECT on, now
        self._skipped = 0  # bytes written past the cache
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)
        if size >= _DIRECT_MIN and hasattr(os, "O_DIRECT") and os.environ.get("PARTITA_PAGE_CACHE") != "1":
            try:
                self._fd = os.open(self.path, flags | os.O_DIRECT, 0o666)
                self._staged = self._cache_skipped = True
            except OSError:
                self._fd = -1
        if self._fd < 0:
            self._fd = os.open(self.path, flags, 0o666)
        if self._staged:
            stage = getattr(_stages, "free", None)  # this thread's, unless a writer holds it
            _stages.free = None
            self._stage = stage if stage is not None else mmap.mmap(-1, _STAGE)  # page-aligned
            self._view = memoryview(self._stage)

    @property
    def direct(self) -> bool:
        """Whether any of the file went past the page cache."""
        return self._skipped > 0

    def write(self, data: bytes | memoryview) -> None:
        """Append ``data`` (any bytes-like object, not copied when written through the cache).

        A large ``data`` is hashed by a second thread while this one writes it (hashlib leaves
        the GIL while it hashes): a 41 MB stem took 50 ms to write, half of it sha256."""
        m = memoryview(data).cast("B")
        if len(m) < _HASH_BESIDE:
            self._hash.update(m)
            self._put(m)
            return
        hasher = threading.Thread(target=self._hash.update, args=(m,), name="partita-sha256")
        hasher.start()
        try:
            self._put(m)
        finally:
            hasher.join()

    def _put(self, m: memoryview) -> None:
        if not self._staged:
            _write_all(self._fd, m)
            return
        pos = 0
        while pos < len(m):
            k = min(_STAGE - self._fill, len(m) - pos)
            self._view[self._fill : self._fill + k] = m[pos : pos + k]
            self._fill += k
            pos += k
            if self._fill == _STAGE:
                self._flush(_STAGE)

    def _flush(self, n: int) -> None:
        m = self._view[:n]
        while len(m):
            try:
                k = os.write(self._fd, m)
                self._skipped += k if self._cache_skipped else 0
            except OSError as exc:
                if exc.errno != errno.EINVAL or not self._cache_skipped:
                    raise
                self._through_cache()  # this filesystem refuses the alignment: write as open() does
                continue
            m = m[k:]
        self._fill -= n
        if self._fill:
            self._view[: self._fill] = self._view[n : n + self._fill]

    def _through_cache(self) -> None:
        import fcntl

        fcntl.fcntl(self._fd, fcntl.F_SETFL, fcntl.fcntl(self._fd, fcntl.F_GETFL) & ~os.O_DIRECT)
        self._cache_skipped = False

    @property
    def sha256(self) -> str:
        """Hex sha256 of everything written so far."""
        return self._hash.hexdigest()

    def close(self) -> None:
        """Write what is staged and close the file."""
        if self._fd < 0:
            return
        try:
            if self._staged:
                whole = self._fill // _BLOCK * _BLOCK
                if whole:
                    self._flush(whole)
                if self._fill:  # the tail, shorter than a block, through the page cache
                    if self._cache_skipped:
                        self._through_cache()
                    self._flush(self._fill)
        finally:
            os.close(self._fd)
            self._fd = -1
            if self._staged:
                self._view.release()
                _stages.free = self._stage

    def __enter__(self) -> "StreamWriter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _write_all(fd: int, m: memoryview) -> None:
    while len(m):
        n = os.write(fd, m)
        m = m[n:]
