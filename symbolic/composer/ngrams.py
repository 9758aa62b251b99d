"""Hashed n-grams of melodic lines and harmonic rhythm, and the compact index that holds them.

A melodic *window* is ``window_notes`` consecutive notes of one part's top line, read as
pitch intervals (transposition-invariant) and inter-onset intervals (rhythm-aware); a
harmonic window is ``window_chords`` consecutive chords read as root motion, qualities and
durations (also transposition-invariant). Each window is hashed to 32 bits. The index keeps,
sorted by hash, the piece, part and bar of every window found in at most
``common_max_pieces`` pieces; windows found in more pieces are *commonplaces* and kept only
as a set of hashes. Thresholds are data: ``originality.toml``.

>>> import numpy as np
>>> t = np.array([1, 2, 3, 4, 5, 6], dtype=np.uint64)
>>> window_hashes(t, 3).shape
(4,)
"""

from __future__ import annotations

import io
import json
import os
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np

from partita._fileio import atomic_write_bytes
from partita.errors import FormatError

__all__ = ["INDEX_FORMAT", "IndexBuilder", "NgramIndex", "harmonic_tokens", "melodic_tokens", "thresholds",
           "window_hashes"]

#: Version of the index file layout; another version is refused by name.
INDEX_FORMAT = 1
_MULT = np.uint64(0x9E3779B97F4A7C15)


@lru_cache(maxsize=1)
def thresholds() -> dict[str, Any]:
    """``originality.toml`` as a dict (``melody`` and ``harmony`` tables)."""
    text = resources.files("partita.symbolic.composer").joinpath("originality.toml").read_text("utf-8")
    return tomllib.loads(text)


def melodic_tokens(pitch: np.ndarray, onset_ql: np.ndarray, *, steps_per_quarter: int | None = None) -> np.ndarray:
    """uint64 [n - 1]: one token per note after the first: its interval from the note before
    (semitones, clipped to +-36) and the inter-onset interval before it (steps of
    1/``steps_per_quarter`` quarter note, clipped to 4095)."""
    spq = steps_per_quarter or thresholds()["melody"]["ioi_steps_per_quarter"]
    if len(pitch) < 2:
        return np.zeros(0, dtype=np.uint64)
    iv = np.clip(np.diff(pitch.astype(np.int64)), -36, 36) + 36
    ioi = np.clip(np.rint(np.diff(onset_ql) * spq).astype(np.int64), 0, 4095)
    return (iv * 4096 + ioi + 1).astype(np.uint64)


def harmonic_tokens(root: np.ndarray, quality: np.ndarray, duration_ql: np.ndarray) -> np.ndarray:
    """uint64 [n - 1]: per chord change, the root motion (semitones mod 12), both qualities and
    the earlier chord's duration (quarter notes, clipped to 63)."""
    if len(root) < 2:
        return np.zeros(0, dtype=np.uint64)
    motion = (root[1:].astype(np.int64) - root[:-1].astype(np.int64)) % 12
    dur = np.clip(np.rint(duration_ql[:-1]).astype(np.int64), 0, 63)
    q0, q1 = quality[:-1].astype(np.int64), quality[1:].astype(np.int64)
    return (((motion * 8 + q0) * 8 + q1) * 64 + dur + 1).astype(np.uint64)


def window_hashes(tokens: np.ndarray, width: int) -> np.ndarray:
    """uint32 [len(tokens) - width + 1]: a 32-bit hash of each run of ``width`` tokens
    (polynomial in the tokens, then a splitmix64 finaliser); empty when too short."""
    m = len(tokens) - width + 1
    if m <= 0:
        return np.zeros(0, dtype=np.uint32)
    h = np.zeros(m, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(width):
            h = h * _MULT + tokens[j : j + m]
        h ^= h >> np.uint64(30)
        h *= np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(27)
        h *= np.uint64(0x94D049BB133111EB)
        h ^= h >> np.uint64(31)
    return (h >> np.uint64(32)).astype(np.uint32)


@dataclass(frozen=True, slots=True)
class Table:
    """Windows of one kind: ``hash`` uint32 [n] sorted, ``piece`` uint16 [n], ``part`` uint8
    [n] (0 for harmony), ``bar`` uint16 [n] (the bar of the window's first note), and
    ``common`` uint32 [m] sorted: the commonplace hashes."""

    hash: np.ndarray
    piece: np.ndarray
    part: np.ndarray
    bar: np.ndarray
    common: np.ndarray

    def lookup(self, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Index ranges ``[lo, hi)`` of each query hash."""
        return np.searchsorted(self.hash, hashes, "left"), np.searchsorted(self.hash, hashes, "right")

    def is_common(self, hashes: np.ndarray) -> np.ndarray:
        i = np.searchsorted(self.common, hashes)
        i = np.minimum(i, max(len(self.common) - 1, 0))
        return self.common[i] == hashes if len(self.common) else np.zeros(len(hashes), dtype=bool)

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in (self.hash, self.piece, self.part, self.bar, self.common))


@dataclass(frozen=True)
class NgramIndex:
    """The index of a set of pieces: ``pieces`` their ids, ``part_names`` per piece its part
    names (as indexed), ``melody`` and ``harmony`` tables, and ``info`` (what it covers, how
    it was built, the thresholds it was built with)."""

    pieces: tuple[str, ...]
    part_names: tuple[tuple[str, ...], ...]
    melody: Table
    harmony: Table
    info: Mapping[str, Any] = field(default_factory=dict)

    @property
    def nbytes(self) -> int:
        """Bytes of the arrays in memory (without the piece names)."""
        return self.melody.nbytes + self.harmony.nbytes

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write a compressed ``.npz`` (atomically)."""
        arrays: dict[str, Any] = {"format": np.array(INDEX_FORMAT),
                                  "info": np.array(json.dumps(dict(self.info), sort_keys=True)),
                                  "pieces": np.array(self.pieces, dtype=str),
                                  "part_names": np.array(["\x1f".join(p) for p in self.part_names], dtype=str)}  # fmt: skip
        for kind in ("melody", "harmony"):
            t = getattr(self, kind)
            for name in ("hash", "piece", "part", "bar", "common"):
                arrays[f"{kind}_{name}"] = getattr(t, name)
        buf = io.BytesIO()
        np.savez_compressed(buf, **arrays)
        atomic_write_bytes(path, buf.getvalue())

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> NgramIndex:
        """Read an index written by :meth:`save`.

        Raises
        ------
        FormatError
            Not an index, or an index of another format version (named).
        """
        try:
            with np.load(path, allow_pickle=False) as z:
                fmt = int(z["format"])
                if fmt != INDEX_FORMAT:
                    raise FormatError(f"n-gram index format {fmt}; this partita reads format {INDEX_FORMAT}", file=str(path))
                tables = {kind: Table(*(z[f"{kind}_{n}"] for n in ("hash", "piece", "part", "bar", "common")))
                          for kind in ("melody", "harmony")}  # fmt: skip
                return cls(tuple(z["pieces"].tolist()), tuple(tuple(s.split("\x1f")) if s else () for s in z["part_names"].tolist()),
                           tables["melody"], tables["harmony"], json.loads(str(z["info"])))  # fmt: skip
        except FormatError:
            raise
        except (OSError, KeyError, ValueError) as exc:
            raise FormatError(f"not a partita n-gram index: {exc}", file=str(path)) from None


class IndexBuilder:
    """Collects the windows of pieces one at a time; :meth:`finish` makes the index.

    >>> from partita.symbolic.score import Note, Part, Score
    >>> b = IndexBuilder()
    >>> b.add("tune", Score(parts=(Part("p", "Flute", "flute", tuple(Note(i, 1, 60 + i % 5) for i in range(16))),)))
    >>> len(b.finish().pieces)
    1
    """

    def __init__(self, *, common_hashes: tuple[np.ndarray, np.ndarray] | None = None, info: Mapping[str, Any] | None = None) -> None:
        th = thresholds()
        self._mw = th["melody"]["window_notes"] - 1
        self._hw = th["harmony"]["window_chords"] - 1
        self._rows: dict[str, list[tuple[np.ndarray, ...]]] = {"melody": [], "harmony": []}
        self._pieces: list[str] = []
        self._parts: list[tuple[str, ...]] = []
        self._extra_common = common_hashes
        self._info = dict(info or {})

    def add(self, piece: str, score: Any) -> None:
        """Add one piece's windows (pieces past 65,535 or bars past 65,535 are not indexable)."""
        from partita.symbolic.composer.stylefeatures import chord_events, melodic_lines

        pid = len(self._pieces)
        if pid >= 65535:
            raise ValueError("an index holds at most 65,535 pieces")
        lines = melodic_lines(score)
        self._pieces.append(piece)
        self._parts.append(tuple(ln.name or ln.part for ln in lines))
        for k, ln in enumerate(lines[:255]):
            h = window_hashes(melodic_tokens(ln.pitch, ln.onset_ql), self._mw)
            if len(h):
                self._rows["melody"].append((h, np.full(len(h), pid, np.uint16), np.full(len(h), k, np.uint8),
                                             np.clip(ln.bar[: len(h)], 0, 65535).astype(np.uint16)))  # fmt: skip
        ev = chord_events(score)
        h = window_hashes(harmonic_tokens(ev.root, ev.quality, ev.duration_ql), self._hw)
        if len(h):
            self._rows["harmony"].append((h, np.full(len(h), pid, np.uint16), np.zeros(len(h), np.uint8),
                                          np.clip(ev.bar[: len(h)], 0, 65535).astype(np.uint16)))  # fmt: skip

    def _table(self, kind: str, max_pieces: int, extra: np.ndarray | None) -> Table:
        rows = self._rows[kind]
        if not rows:
            z = np.zeros(0, np.uint32)
            return Table(z, np.zeros(0, np.uint16), np.zeros(0, np.uint8), np.zeros(0, np.uint16),
                         np.unique(extra) if extra is not None else z)  # fmt: skip
        h, piece, part, bar = (np.concatenate(c) for c in zip(*rows))
        # in how many pieces each hash occurs
        pairs = np.unique((h.astype(np.uint64) << np.uint64(16)) | piece.astype(np.uint64))
        uh, df = np.unique((pairs >> np.uint64(16)).astype(np.uint32), return_counts=True)
        common = uh[df > max_pieces]
        if extra is not None:
            common = np.union1d(common, extra).astype(np.uint32)
        keep = ~np.isin(h, common)
        order = np.argsort(h[keep], kind="stable")
        return Table(h[keep][order], piece[keep][order], part[keep][order], bar[keep][order], common.astype(np.uint32))

    def finish(self) -> NgramIndex:
        """The index of every piece added."""
        th = thresholds()
        extra = self._extra_common or (None, None)
        info = {**self._info, "n_pieces": len(self._pieces), "thresholds": th}
        return NgramIndex(tuple(self._pieces), tuple(self._parts),
                          self._table("melody", th["melody"]["common_max_pieces"], extra[0]),
                          self._table("harmony", th["harmony"]["common_max_pieces"], extra[1]), info)  # fmt: skip


def build_corpus_index(data_dir: str | os.PathLike[str], out: str | os.PathLike[str], *,
                       collections_: Iterable[str] | None = None, progress: bool = True,
                       info: Mapping[str, Any] | None = None, training_only: bool = False) -> NgramIndex:
    """Index every piece of a parsed corpus cache (``corpus.parse_corpus``) and save it.

    Pieces that do not make a Score are counted in ``info["skipped"]``. With
    ``training_only``, a piece the composer's tokenizer refuses or finds without notes (the
    rule of ``corpus.build_tokens``, so the pieces of the data card are kept, held-out ones
    included) is left out and listed in ``info["not_in_training"]``.
    """
    from partita.errors import PartitaError
    from partita.symbolic.composer.corpus import cached_scores, tokenize_piece
    from partita.symbolic.score import Score

    vocab = None
    if training_only:
        from partita.symbolic.composer.controls import ComposerVocab

        vocab = ComposerVocab.default()

    items: Iterable[Any] = cached_scores(data_dir, collections_=collections_)
    if progress:
        from tqdm import tqdm

        items = tqdm(items, desc="index", unit="piece")
    b = IndexBuilder(info=info)
    counts: dict[str, int] = {}
    skipped = 0
    untrained: list[str] = []
    for coll, piece, d in items:
        if vocab is not None:
            try:
                ids, _, _ = tokenize_piece(d, vocab)
            except PartitaError as exc:
                untrained.append(f"{piece}: {exc}")
                continue
            if not any(vocab.token_type(i) == "Pitch" for i in ids):
                untrained.append(f"{piece}: no notes")
                continue
        try:
            b.add(piece, Score.from_dict(d))
        except Exception:  # noqa: BLE001 - a cached piece that no longer validates is left out, counted
            skipped += 1
            continue
        counts[coll] = counts.get(coll, 0) + 1
    b._info.update({"collections": counts, "skipped": skipped})
    if vocab is not None:
        b._info["not_in_training"] = untrained
    idx = b.finish()
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    idx.save(out)
    return idx
