"""The style critic of best-of-N decoding: how far a phrase's statistics sit from its style's.

A phrase is ``phrase_bars`` bars of composer tokens (:data:`PHRASE_BARS` by default; the
reference statistics are kept for each of :data:`PHRASE_LENGTHS`). Its statistics (:func:`phrase_stats`)
are read from the tokens themselves, the same way for a composed phrase and for a phrase of the
reference corpus:

* ``stepwise``: share of the top line's moves of 1-2 semitones (the top line: the melody part's
  highest note at each onset; repeated notes are not moves);
* ``leap``: share of its moves of 5 semitones (a fourth) or more;
* ``intervals``: histogram of its moves over :data:`INTERVAL_BINS`;
* ``pc_entropy``: pitch-class entropy (bits) of every note of the phrase's written parts;
* ``notes_per_bar``: notes per bar per written part.

The style's reference statistics (mean and spread of each over the phrases of its corpus) are
data, ``critic_stats.json`` beside ``decoding.toml``, made by ``scripts/critic_stats.py`` from the
training split of the music21 corpus collections it names. :func:`distance` is the mean of the
five terms in units of the reference's own spread (each capped at :data:`CAP`), 0 for a phrase
that sits at the style's mean.

>>> from partita.symbolic.composer.controls import ComposerVocab
>>> v = ComposerVocab.default()
>>> bar = [v.bar, v.id("TimeSig_4/4"), v.id("Position_0"), v.id("Program_0"), v.id("Pitch_60"),
...        v.id("Position_8"), v.id("Program_0"), v.id("Pitch_62"), v.id("Position_12"), v.id("Program_0"), v.id("Pitch_67")]
>>> s = phrase_stats([bar], melody_slot=0)
>>> s["stepwise"], s["leap"], s["notes_per_bar"]
(0.5, 0.5, 3.0)
"""

from __future__ import annotations

import functools
import json
from typing import Any, Mapping, Sequence

import numpy as np

__all__ = ["CAP", "INTERVAL_BINS", "PHRASE_BARS", "PHRASE_LENGTHS", "StyleStats", "distance", "phrase_stats", "style_stats"]

#: Bars per phrase by default: the unit best-of-N chooses among (a chorale phrase, half a strain
#: of a reel); the reference statistics exist for every length of :data:`PHRASE_LENGTHS`.
PHRASE_BARS = 4
PHRASE_LENGTHS = (2, 4)
#: Lower edges (semitones) of the interval histogram's bins: 1, 2, 3, 4, 5, 6-7, 8-11, 12+.
INTERVAL_BINS = (1, 2, 3, 4, 5, 6, 8, 12)
#: Most a single term adds to the distance (in reference spreads): one odd statistic does not
#: outweigh the rest.
CAP = 3.0
SCALARS = ("stepwise", "leap", "pc_entropy", "notes_per_bar")


def phrase_stats(bars: Sequence[Sequence[int]], melody_slot: int, vocab: Any = None) -> dict[str, Any]:
    """The statistics of a phrase given as composer token bars (each from its ``Bar`` on);
    ``melody_slot``: the slot (``Program`` value) of the top line. NaN where a statistic is
    undefined (fewer than two moves; no note)."""
    from partita.symbolic.composer.controls import ComposerVocab

    v = vocab or ComposerVocab.default()
    types, values = _tables(v)
    top: dict[tuple[int, int], int] = {}  # (bar, position) -> highest melody pitch
    pcs = np.zeros(12)
    slots: set[int] = set()
    n_notes = 0
    for b, bar in enumerate(bars):
        pos = slot = -1
        for i in bar:
            t = types[i]
            if t == 1:  # Position
                pos = values[i]
            elif t == 2:  # Program
                slot = values[i]
                slots.add(slot)
            elif t == 3:  # Pitch
                n_notes += 1
                pcs[values[i] % 12] += 1
                if slot == melody_slot:
                    top[(b, pos)] = max(top.get((b, pos), -1), values[i])
    line = np.array([top[k] for k in sorted(top)], dtype=np.int64)
    iv = np.abs(np.diff(line))
    moves = iv[iv > 0]
    out: dict[str, Any] = {"n_moves": len(moves)}
    if len(moves) >= 2:
        out["stepwise"] = float(np.mean(moves <= 2))
        out["leap"] = float(np.mean(moves >= 5))
        hist = np.histogram(moves, bins=[*INTERVAL_BINS, 10**6])[0].astype(np.float64)
        out["intervals"] = (hist / hist.sum()).tolist()
    else:
        out["stepwise"] = out["leap"] = float("nan")
        out["intervals"] = None
    if n_notes:
        p = pcs[pcs > 0] / n_notes
        out["pc_entropy"] = float(-(p * np.log2(p)).sum())
        out["notes_per_bar"] = n_notes / max(1, len(bars)) / max(1, len(slots))
    else:
        out["pc_entropy"] = out["notes_per_bar"] = float("nan")
    return out


@functools.lru_cache(maxsize=2)
def _tables(v: Any) -> tuple[np.ndarray, np.ndarray]:
    """Per id: 1 Position, 2 Program, 3 Pitch, 0 other; and the token's value (int or -1)."""
    kinds = {"Position": 1, "Program": 2, "Pitch": 3}
    types = np.zeros(v.vocab_size, dtype=np.int8)
    values = np.full(v.vocab_size, -1, dtype=np.int64)
    for name, k in kinds.items():
        for i in v.type_ids[name]:
            types[int(i)] = k
            values[int(i)] = int(v.base.token_value(int(i)))
    return types, values


class StyleStats:
    """A style's reference statistics: ``mean`` and ``sd`` of each scalar, the mean interval
    histogram and the mean total-variation distance of a reference phrase's histogram to it."""

    def __init__(self, name: str, data: Mapping[str, Any]) -> None:
        self.name = name
        self.mean = {k: float(data["mean"][k]) for k in SCALARS}
        self.sd = {k: max(float(data["sd"][k]), 1e-6) for k in SCALARS}
        self.intervals = np.asarray(data["intervals"], dtype=np.float64)
        self.intervals_tv = max(float(data["intervals_tv"]), 1e-6)
        self.genres = tuple(data.get("genres", ()))


def distance(stats: Mapping[str, Any], ref: StyleStats) -> float:
    """Mean of the five terms (scalars as ``|x - mean| / sd``, the interval histogram as its
    total-variation distance over the reference's mean one), each capped at :data:`CAP`; an
    undefined statistic counts :data:`CAP`."""
    terms = []
    for k in SCALARS:
        x = stats.get(k)
        terms.append(CAP if x is None or np.isnan(x) else min(CAP, abs(x - ref.mean[k]) / ref.sd[k]))
    h = stats.get("intervals")
    tv = CAP if h is None else min(CAP, 0.5 * float(np.abs(np.asarray(h) - ref.intervals).sum()) / ref.intervals_tv)
    terms.append(tv)
    return float(np.mean(terms))


@functools.lru_cache(maxsize=1)
def _all() -> dict[str, Any]:
    from importlib.resources import files

    return json.loads(files("partita.symbolic.composer").joinpath("critic_stats.json").read_text(encoding="utf-8"))


def style_stats(genre: str, phrase_bars: int = PHRASE_BARS) -> StyleStats | None:
    """The reference statistics, over phrases of ``phrase_bars`` bars (one of
    :data:`PHRASE_LENGTHS`), of the style a plan ``genre`` belongs to (``critic_stats.json``), or
    None for a genre no reference collection covers."""
    from partita.errors import ConfigError

    if phrase_bars not in PHRASE_LENGTHS:
        raise ConfigError(f"phrase_bars {phrase_bars!r}: the critic has reference statistics for {PHRASE_LENGTHS}")
    for name, data in _all()["styles"].items():
        if genre in data.get("genres", ()):
            return StyleStats(name, {**data, **data["phrases"][str(phrase_bars)]})
    return None
