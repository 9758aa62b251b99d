"""One checkpoint format for every trained model: the composer and the instrument decoders.

A checkpoint is a safetensors file (arrays only, nothing is unpickled) whose ``__metadata__``
holds one JSON header under the key ``"partita"``::

    {"format": "partita-checkpoint", "format_version": 1, "kind": "composer",
     "config": {...},                      # the model's shape, as its config's to_dict()
     "data": {"card": "composer-small.md", ...},   # the training data, and its data card
     "training": {...},                    # steps, losses, command, resume state
     "package_version": "0.1.0",
     "tensors_sha256": "...",              # sha256 over the arrays' names, dtypes, shapes, bytes
     ...}                                  # kind-specific fields: "vocabulary", "calibration"

:func:`write_checkpoint` writes one atomically; :func:`read_checkpoint` reads and checks one
and raises :class:`~partita.errors.CheckpointError`, naming the file, for a missing or corrupt
file, a sha256 other than the pinned one, another format or version, or another kind of model.
Files of the two older formats (``partita-composer`` v1, ``partita-neural-decoder`` v2) are
refused with the command that converts them (:data:`CONVERT_COMMAND`).

This module is on the ground floor (numpy only, no torch): the composer converts its tensors to
arrays and back, the decoders run on the arrays as they are.

>>> import numpy as np, tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "m.safetensors")
>>> _ = write_checkpoint(path, {"w": np.ones((2, 3), np.float32)}, kind="composer", config={"n": 2})
>>> ck = read_checkpoint(path, kind="composer")
>>> ck.arrays["w"].shape, ck.config, ck.header["format_version"]
((2, 3), {'n': 2}, 1)
>>> read_checkpoint(path, kind="instrument-decoder")
Traceback (most recent call last):
...
partita.errors.CheckpointError: ...m.safetensors: wrong kind: a checkpoint of kind 'composer', not 'instrument-decoder'
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from partita._fileio import atomic_write_bytes
from partita.errors import CheckpointError

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "KINDS",
    "CONVERT_COMMAND",
    "Checkpoint",
    "checkpoint_bytes",
    "write_checkpoint",
    "read_checkpoint",
    "read_header",
    "read_safetensors",
    "write_safetensors",
    "tensors_sha256",
]

FORMAT = "partita-checkpoint"
FORMAT_VERSION = 1
#: The kinds of model a checkpoint holds.
KINDS = ("composer", "instrument-decoder")
#: Formats this partita once wrote; refused with :data:`CONVERT_COMMAND`.
OLD_FORMATS = {"partita-composer": "composer", "partita-neural-decoder": "instrument-decoder"}
#: The command that rewrites an older file in this format.
CONVERT_COMMAND = "partita upgrade-checkpoint OLD.safetensors NEW.safetensors"

_DTYPES = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32,
           "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_}  # fmt: skip
_CODES = {np.dtype(v): k for k, v in _DTYPES.items()}


# ---------------------------------------------------------------------------------------------
# safetensors without torch


def write_safetensors(tensors: Mapping[str, np.ndarray], *, metadata: Mapping[str, str]) -> bytes:
    """Serialise arrays to safetensors bytes, names sorted (the layout safetensors itself reads).

    >>> blob = write_safetensors({"w": np.ones((2, 3), np.float32)}, metadata={"a": "b"})
    >>> read_safetensors(blob)[0]["w"].shape, read_safetensors(blob)[1]
    ((2, 3), {'a': 'b'})
    """
    header: dict[str, Any] = {"__metadata__": dict(metadata)}
    offset = 0
    chunks = []
    for name in sorted(tensors):
        arr = np.ascontiguousarray(tensors[name])
        if arr.dtype not in _CODES:
            raise CheckpointError(f"tensor {name!r} has unsupported dtype {arr.dtype}")
        data = arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": _CODES[arr.dtype], "shape": list(arr.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        chunks.append(data)
    head = json.dumps(header, separators=(",", ":"), sort_keys=True).encode()
    head += b" " * (-len(head) % 8)
    return struct.pack("<Q", len(head)) + head + b"".join(chunks)


def read_safetensors(blob: bytes, *, name: str = "<bytes>") -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Parse safetensors bytes into (arrays, metadata); :class:`CheckpointError` names ``name``."""
    try:
        (n,) = struct.unpack("<Q", blob[:8])
        if n > len(blob) - 8:
            raise ValueError("the header runs past the end of the file")
        header = json.loads(blob[8 : 8 + n])
        base = 8 + n
        meta = header.pop("__metadata__", {}) or {}
        out = {}
        for key, info in header.items():
            lo, hi = info["data_offsets"]
            dtype = np.dtype(_DTYPES[info["dtype"]]).newbyteorder("<")
            if base + hi > len(blob) or hi < lo:
                raise ValueError(f"tensor {key} runs past the end of the file")
            arr = np.frombuffer(blob, dtype=dtype, count=(hi - lo) // dtype.itemsize, offset=base + lo)
            out[key] = arr.reshape(info["shape"]).astype(dtype.newbyteorder("="))
    except (struct.error, ValueError, KeyError, TypeError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"corrupt file: not readable as safetensors ({exc})", file=name) from None
    return out, meta


def tensors_sha256(tensors: Mapping[str, np.ndarray]) -> str:
    """sha256 over the arrays' names, dtypes, shapes and little-endian bytes, in name order."""
    h = hashlib.sha256()
    for name in sorted(tensors):
        arr = np.ascontiguousarray(tensors[name])
        h.update(name.encode() + b"\0" + str(arr.dtype).encode() + str(arr.shape).encode())
        h.update(arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes())
    return h.hexdigest()


# ---------------------------------------------------------------------------------------------
# The format


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A checkpoint read and checked: its header, arrays (as saved) and the file's sha256."""

    path: str
    header: Mapping[str, Any]
    arrays: Mapping[str, np.ndarray]
    sha256: str

    @property
    def kind(self) -> str:
        """``"composer"`` or ``"instrument-decoder"``."""
        return str(self.header["kind"])

    @property
    def config(self) -> Mapping[str, Any]:
        """The model's config as saved."""
        return self.header["config"]

    @property
    def data(self) -> Mapping[str, Any]:
        """The training data: its description and data card (``{}`` when not recorded)."""
        return self.header.get("data") or {}

    @property
    def training(self) -> Mapping[str, Any]:
        """The training record: steps, losses, command, resume state."""
        return self.header.get("training") or {}


def checkpoint_bytes(arrays: Mapping[str, np.ndarray], *, kind: str, config: Mapping[str, Any],
                     data: Mapping[str, Any] | None = None, training: Mapping[str, Any] | None = None,
                     fields: Mapping[str, Any] | None = None) -> bytes:  # fmt: skip
    """A complete checkpoint file's bytes: ``arrays`` plus the JSON header.

    Parameters
    ----------
    arrays
        Name -> numpy array (floats, ints, uint8, bool).
    kind
        One of :data:`KINDS`.
    config
        The model's config (JSON-friendly).
    data
        The training data: a description, its licence and ``"card"`` (the data card's file name).
    training
        The training record.
    fields
        Kind-specific header fields (the composer's ``vocabulary``, a decoder's ``calibration``).
    """
    from partita._version import __version__

    if kind not in KINDS:
        raise CheckpointError(f"checkpoint kind {kind!r} is not one of {', '.join(KINDS)}")
    header = dict(fields or {})
    clash = set(header) & {"format", "format_version", "kind", "config", "data", "training", "package_version", "tensors_sha256"}
    if clash:
        raise CheckpointError(f"kind-specific fields may not replace {', '.join(sorted(clash))}")
    header.update(format=FORMAT, format_version=FORMAT_VERSION, kind=kind, config=dict(config),
                  data=dict(data or {}), training=dict(training or {}), package_version=__version__,
                  tensors_sha256=tensors_sha256(arrays))  # fmt: skip
    return write_safetensors(arrays, metadata={"partita": json.dumps(header, sort_keys=True)})


def write_checkpoint(path: str | os.PathLike[str], arrays: Mapping[str, np.ndarray], *, kind: str,
                     config: Mapping[str, Any], data: Mapping[str, Any] | None = None,
                     training: Mapping[str, Any] | None = None, fields: Mapping[str, Any] | None = None) -> str:  # fmt: skip
    """Write a checkpoint atomically (arguments as :func:`checkpoint_bytes`); returns the file's sha256."""
    blob = checkpoint_bytes(arrays, kind=kind, config=config, data=data, training=training, fields=fields)
    atomic_write_bytes(path, blob)
    return hashlib.sha256(blob).hexdigest()


def _check_header(meta: Mapping[str, str], name: str, kind: str | None) -> dict[str, Any]:
    try:
        header = json.loads(meta["partita"])
        if not isinstance(header, dict):
            raise ValueError
    except (KeyError, ValueError):
        raise CheckpointError("no partita header: not a partita checkpoint", file=name) from None
    fmt, version = header.get("format"), header.get("format_version")
    if fmt in OLD_FORMATS:
        raise CheckpointError(f"an older checkpoint (format {fmt!r} version {version}); this partita reads "
                              f"{FORMAT!r} version {FORMAT_VERSION}: convert it with `{CONVERT_COMMAND}`", file=name)  # fmt: skip
    if fmt != FORMAT:
        raise CheckpointError(f"format {fmt!r} is not {FORMAT!r}", file=name)
    if version != FORMAT_VERSION:
        raise CheckpointError(f"format version {version!r}; this partita reads version {FORMAT_VERSION}", file=name)
    if kind is not None and header.get("kind") != kind:
        raise CheckpointError(f"wrong kind: a checkpoint of kind {header.get('kind')!r}, not {kind!r}", file=name)
    if not isinstance(header.get("config"), dict):
        raise CheckpointError("the header has no config", file=name)
    return header


def read_checkpoint(path: str | os.PathLike[str], *, kind: str | None, sha256: str | None = None) -> Checkpoint:
    """Read and check a checkpoint.

    Parameters
    ----------
    path
        A local ``.safetensors`` file.
    kind
        The kind of model expected (one of :data:`KINDS`); None accepts any.
    sha256
        The pinned hex sha256 of the file's bytes, when known (shipped weights).

    Returns
    -------
    Checkpoint

    Raises
    ------
    CheckpointError
        Naming ``path``: a missing or unreadable file, a sha256 other than the pinned one, an
        older format (with the conversion command), another format, version or kind, or arrays
        whose bytes do not match the header's ``tensors_sha256`` (a corrupt file).
    """
    name = str(path)
    try:
        blob = Path(path).read_bytes()
    except OSError as exc:
        raise CheckpointError(f"cannot read the checkpoint ({exc.strerror})", file=name) from None
    digest = hashlib.sha256(blob).hexdigest()
    if sha256 is not None and digest != sha256:
        raise CheckpointError(f"sha256 {digest[:16]}... is not the pinned {sha256[:16]}...: refusing this file", file=name)
    arrays, meta = read_safetensors(blob, name=name)
    header = _check_header(meta, name, kind)
    if tensors_sha256(arrays) != header.get("tensors_sha256"):
        raise CheckpointError("corrupt file: the arrays do not match the header's tensors_sha256", file=name)
    return Checkpoint(path=name, header=header, arrays=arrays, sha256=digest)


def read_header(path: str | os.PathLike[str], *, kind: str | None = None) -> dict[str, Any]:
    """The checked JSON header of a checkpoint, without checking its arrays."""
    name = str(path)
    try:
        with open(path, "rb") as f:
            (n,) = struct.unpack("<Q", f.read(8))
            head = f.read(min(n, 100_000_000))
    except OSError as exc:
        raise CheckpointError(f"cannot read the checkpoint ({exc.strerror})", file=name) from None
    except struct.error:
        raise CheckpointError("corrupt file: not readable as safetensors", file=name) from None
    try:
        meta = json.loads(head).get("__metadata__") or {}
    except (ValueError, UnicodeDecodeError, AttributeError):
        raise CheckpointError("corrupt file: not readable as safetensors", file=name) from None
    return _check_header(meta, name, kind)
