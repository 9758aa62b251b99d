"""partita._fileio.StreamWriter: large files written past the page cache (O_DIRECT) where the
filesystem allows it, through it elsewhere, with the same bytes and sha256 either way."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest

from partita import _fileio
from partita._fileio import StreamWriter
from partita.render.wavfile import wav_bytes, write_wav


def _supports_o_direct(folder: Path) -> bool:
    """Whether this folder's filesystem opens a file with O_DIRECT (asked of the system, not of
    the code under test)."""
    if not hasattr(os, "O_DIRECT"):
        return False
    probe = folder / ".probe"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_DIRECT, 0o600)
    except OSError:
        return False
    os.close(fd)
    probe.unlink()
    return True


def _pieces(n: int, seed: int) -> list[bytes]:
    """``n`` random bytes cut into pieces of uneven lengths (a header, odd sizes, a large one)."""
    data = np.random.default_rng(seed).integers(0, 256, n, dtype=np.uint8).tobytes()
    cuts = sorted({0, n, *(int(c) for c in np.random.default_rng(seed + 1).integers(0, n, 5))})
    return [data[a:b] for a, b in zip(cuts, cuts[1:])]


SIZES = [
    _fileio._DIRECT_MIN,  # whole blocks, smaller than the staging buffer
    _fileio._DIRECT_MIN + 1,  # one byte past a block: the tail through the cache
    _fileio._STAGE - 1,
    _fileio._STAGE,  # exactly one staging buffer
    2 * _fileio._STAGE + 4097,  # several buffers, then a tail
]


@pytest.mark.parametrize("size", SIZES)
def test_large_files_skip_the_page_cache_and_keep_their_bytes(tmp_path, size):
    pieces = _pieces(size, size % 1000)
    path = tmp_path / "big.bin"
    with StreamWriter(path, size=size) as w:
        for p in pieces:
            w.write(memoryview(p))
    whole = b"".join(pieces)
    assert path.read_bytes() == whole
    assert w.sha256 == hashlib.sha256(whole).hexdigest()
    assert w.direct == _supports_o_direct(tmp_path)  # past the cache wherever the filesystem allows it


def test_partita_page_cache_1_writes_through_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("PARTITA_PAGE_CACHE", "1")
    size = _fileio._STAGE + 3
    pieces = _pieces(size, 5)
    with StreamWriter(tmp_path / "c.bin", size=size) as w:
        for p in pieces:
            w.write(p)
    assert not w.direct
    assert (tmp_path / "c.bin").read_bytes() == b"".join(pieces)


def test_small_files_go_through_the_page_cache(tmp_path):
    with StreamWriter(tmp_path / "small.bin", size=1000) as w:
        w.write(b"x" * 1000)
    assert not w.direct
    assert (tmp_path / "small.bin").read_bytes() == b"x" * 1000


def test_two_writers_open_at_once_in_one_thread(tmp_path):
    # the second cannot use the thread's staging buffer while the first holds it
    size = _fileio._DIRECT_MIN + 100
    a, b = _pieces(size, 1), _pieces(size, 2)
    with StreamWriter(tmp_path / "a.bin", size=size) as wa, StreamWriter(tmp_path / "b.bin", size=size) as wb:
        for pa, pb in zip(a, b):
            wa.write(pa)
            wb.write(pb)
    assert (tmp_path / "a.bin").read_bytes() == b"".join(a)
    assert (tmp_path / "b.bin").read_bytes() == b"".join(b)


def test_a_stem_sized_wav_is_byte_for_byte_the_in_memory_one(tmp_path):
    audio = np.random.default_rng(3).standard_normal((1, 1_500_000)).astype(np.float32) * 0.1
    digest = write_wav(tmp_path / "stem.wav", audio, sample_rate=48000, subtype="float", n_samples=1_600_001)
    padded = np.zeros((1, 1_600_001), np.float32)
    padded[:, : audio.shape[1]] = audio
    expected = wav_bytes(padded, sample_rate=48000)
    assert (tmp_path / "stem.wav").read_bytes() == expected
    assert digest == hashlib.sha256(expected).hexdigest()


def test_a_filesystem_that_refuses_the_alignment_gets_an_ordinary_write(tmp_path, monkeypatch):
    # some filesystems open a file with O_DIRECT and then refuse its writes (EINVAL): stand in for
    # one by refusing every write made while the flag is on; the writer must go on through the cache
    import errno
    import fcntl

    if not _supports_o_direct(tmp_path):
        pytest.skip("this filesystem does not open files with O_DIRECT: the refusal cannot arise")
    real_write = os.write
    refused = []

    def refusing_write(fd, data):
        if fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_DIRECT:
            refused.append(len(data))
            raise OSError(errno.EINVAL, "Invalid argument")
        return real_write(fd, data)

    monkeypatch.setattr(_fileio.os, "write", refusing_write)
    size = 2 * _fileio._STAGE + 777
    pieces = _pieces(size, 11)
    with StreamWriter(tmp_path / "r.bin", size=size) as w:
        for p in pieces:
            w.write(p)
    assert refused == [_fileio._STAGE]  # the first block was refused, nothing after it tried the flag
    assert not w.direct
    assert (tmp_path / "r.bin").read_bytes() == b"".join(pieces)
    assert w.sha256 == hashlib.sha256(b"".join(pieces)).hexdigest()
