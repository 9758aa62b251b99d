"""WAV files as partita writes and reads them: one writer, one RIFF metadata reader.

:func:`wav_bytes` and :func:`write_wav` make byte-for-byte deterministic WAV files (32-bit float
or 24-bit PCM; libsndfile would stamp float files with the time of writing). A ``LIST/INFO``
chunk (:func:`riff_info_chunk`) carries a short provenance record after the audio, so the
samples' offset does not depend on it; :func:`add_info_chunk` replaces partita's chunk in an
existing file and :func:`read_info_chunk` reads it back. Stems (:mod:`partita.render.stems`) and
the master (:mod:`partita.mixing`) both write through here.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Mapping

import numpy as np

from partita._fileio import StreamWriter
from partita.errors import ConfigError, FormatError

__all__ = ["SUBTYPES", "add_info_chunk", "read_info_chunk", "riff_chunks", "riff_info_chunk", "wav_bytes", "write_wav"]

#: WAV sample formats partita writes, and libsndfile's name of each.
SUBTYPES = {"float": "FLOAT", "pcm24": "PCM_24"}


def riff_info_chunk(fields: Mapping[str, str]) -> bytes:
    """A RIFF ``LIST/INFO`` chunk of ``fields`` (four-letter INFO ids to text).

    >>> riff_info_chunk({"ISFT": "partita"})[:12]
    b'LIST\\x14\\x00\\x00\\x00INFO'
    """
    body = b"INFO"
    for key, value in fields.items():
        k = key.encode("ascii")
        if len(k) != 4:
            raise ConfigError(f"INFO field id {key!r} must be four ASCII characters")
        v = value.encode("utf-8") + b"\x00"
        body += k + struct.pack("<I", len(v)) + v + (b"\x00" if len(v) & 1 else b"")
    return b"LIST" + struct.pack("<I", len(body)) + body


def _wav_parts(
    audio: np.ndarray, *, sample_rate: int, subtype: str, info: bytes = b"", n_samples: int | None = None
) -> tuple[bytes, memoryview, int, bytes]:
    """(header, sample data, bytes of silence after it, padding plus trailing chunks) of a WAV
    file; the data is a view when it can be. ``n_samples``: the file's length, the audio followed
    by silence (default: the audio's). ``info`` (a :func:`riff_info_chunk`) goes after the
    audio, so the samples' offset does not depend on it."""
    x = np.asarray(audio, dtype=np.float32)
    n_ch, n_audio = x.shape
    n = n_audio if n_samples is None else int(n_samples)
    if n < n_audio:
        raise ValueError(f"a file of {n} samples cannot hold {n_audio}")
    if subtype == "float":
        frames = np.ascontiguousarray(x.T).astype("<f4", copy=False)
        fmt = struct.pack("<HHIIHH", 3, n_ch, sample_rate, sample_rate * n_ch * 4, n_ch * 4, 32)
        extra = b"fact" + struct.pack("<II", 4, n)
        fmt_chunk = b"fmt " + struct.pack("<I", len(fmt) + 2) + fmt + b"\x00\x00"
        data = memoryview(frames).cast("B") if frames.size else memoryview(b"")
    elif subtype == "pcm24":
        q = np.ascontiguousarray(np.clip(np.round(x.T.astype(np.float64) * 8388608.0), -8388608, 8388607).astype("<i4"))
        data = memoryview(np.ascontiguousarray(q.view(np.uint8).reshape(-1, 4)[:, :3]).tobytes())
        fmt = struct.pack("<HHIIHH", 1, n_ch, sample_rate, sample_rate * n_ch * 3, n_ch * 3, 24)
        extra = b""
        fmt_chunk = b"fmt " + struct.pack("<I", len(fmt)) + fmt
    else:
        raise ConfigError(f"subtype {subtype!r} is not one of {', '.join(SUBTYPES)}")
    silence = (n - n_audio) * n_ch * (4 if subtype == "float" else 3)
    n_bytes = data.nbytes + silence
    pad = (b"\x00" if n_bytes % 2 else b"") + info
    size = 4 + len(fmt_chunk) + len(extra) + 8 + n_bytes + len(pad)
    header = b"RIFF" + struct.pack("<I", size) + b"WAVE" + fmt_chunk + extra + b"data" + struct.pack("<I", n_bytes)
    return header, data, silence, pad


def wav_bytes(audio: np.ndarray, *, sample_rate: int, subtype: str = "float") -> bytes:
    """A WAV file of float32 (n_channels, n_samples) audio, byte for byte deterministic.

    ``"float"``: 32-bit IEEE float (format 3, with the ``fact`` chunk); ``"pcm24"``: 24-bit
    PCM. libsndfile stamps float files with the time of writing (its PEAK chunk), which would
    make two renders of the same score differ; this writer does not.

    >>> len(wav_bytes(np.zeros((1, 10), np.float32), sample_rate=48000))
    98
    """
    header, data, _, pad = _wav_parts(audio, sample_rate=sample_rate, subtype=subtype)
    return header + data.tobytes() + pad


_ZEROS = bytes(1 << 20)


def write_wav(path: Path, audio: np.ndarray, *, sample_rate: int, subtype: str, info: bytes = b"",
              n_samples: int | None = None) -> str:  # fmt: skip
    """Write :func:`wav_bytes` of ``audio`` (plus an ``info`` chunk) to ``path`` without building
    it in memory; its sha256. ``n_samples``: the file's length, the audio followed by silence
    (default: the audio's), written without a padded copy of the audio."""
    header, data, silence, pad = _wav_parts(audio, sample_rate=sample_rate, subtype=subtype, info=info,
                                            n_samples=n_samples)  # fmt: skip
    size = len(header) + data.nbytes + silence + len(pad)
    with StreamWriter(path, size=size) as fh:  # large files skip the page cache where they can
        for chunk in (header, data):
            fh.write(chunk)
        while silence > 0:
            zeros = memoryview(_ZEROS)[: min(silence, len(_ZEROS))]
            fh.write(zeros)
            silence -= len(zeros)
        fh.write(pad)
    return fh.sha256


def riff_chunks(data: bytes) -> list[tuple[bytes, int, int]]:
    """Top-level chunks of a RIFF/WAVE file: (id, offset of the chunk header, payload size).

    >>> [c[0] for c in riff_chunks(wav_bytes(np.zeros((1, 4), np.float32), sample_rate=8000))]
    [b'fmt ', b'fact', b'data']
    """
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise FormatError("not a RIFF/WAVE file")
    out = []
    pos = 12
    end = min(len(data), 8 + struct.unpack("<I", data[4:8])[0])
    while pos + 8 <= end:
        cid = data[pos : pos + 4]
        size = struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        if pos + 8 + size > len(data):
            raise FormatError(f"chunk {cid!r} runs past the end of the file")
        out.append((cid, pos, size))
        pos += 8 + size + (size & 1)
    return out


def _is_partita_info(data: bytes, offset: int, size: int) -> bool:
    payload = data[offset + 8 : offset + 8 + size]
    return payload[:4] == b"INFO" and b"ISFT" in payload and b"partita" in payload


def add_info_chunk(data: bytes, fields: Mapping[str, str]) -> bytes:
    """``data`` (a WAV file) with a ``LIST/INFO`` chunk of ``fields`` at its end, replacing any
    such chunk partita wrote before; the audio chunks are kept byte for byte.

    ``fields`` maps four-letter INFO ids to text: ``ISFT`` (software), ``ICMT`` (comment) ...

    >>> w = add_info_chunk(wav_bytes(np.zeros((1, 4), np.float32), sample_rate=8000),
    ...                    {"ISFT": "partita 0.1.0", "ICMT": "score sha256 ab12"})
    >>> read_info_chunk(w)["ICMT"]
    'score sha256 ab12'
    >>> add_info_chunk(w, {"ISFT": "partita 0.1.0", "ICMT": "score sha256 ab12"}) == w
    True
    """
    body = b"".join(
        data[off : off + 8 + size + (size & 1)]
        for cid, off, size in riff_chunks(data)
        if not (cid == b"LIST" and _is_partita_info(data, off, size))
    )
    payload = riff_info_chunk(fields)[8:]
    chunk = b"LIST" + struct.pack("<I", len(payload)) + payload
    riff = b"WAVE" + body + chunk
    return b"RIFF" + struct.pack("<I", len(riff)) + riff


def read_info_chunk(data: bytes) -> dict[str, str]:
    """The fields of partita's ``LIST/INFO`` chunk in a WAV file (empty if it has none)."""
    for cid, off, size in riff_chunks(data):
        if cid == b"LIST" and _is_partita_info(data, off, size):
            payload = data[off + 12 : off + 8 + size]
            out, pos = {}, 0
            while pos + 8 <= len(payload):
                k = payload[pos : pos + 4].decode("ascii", "replace")
                n = struct.unpack("<I", payload[pos + 4 : pos + 8])[0]
                out[k] = payload[pos + 8 : pos + 8 + n].rstrip(b"\x00").decode("utf-8", "replace")
                pos += 8 + n + (n & 1)
            return out
    return {}
