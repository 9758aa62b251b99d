"""What the style profile, the originality check and the evaluation read from a score: melodic lines and the
chords under them, as arrays.

* :func:`melodic_lines`: per pitched part, its top line (:func:`top_line`: the highest note at each onset) as
  pitch, onset and bar arrays.
* :func:`chord_events`: the harmony of all pitched parts, one chord per quarter note
  (:func:`~partita.symbolic.composer.controls.analyse_chord` over duration-weighted pitch
  classes), consecutive equal chords merged: the harmonic rhythm.
* :func:`is_drum_part`: percussion parts have no pitch line; they count for rhythm only.

>>> from partita.symbolic.score import Note, Part, Score
>>> s = Score(parts=(Part("p", "Piano", "piano", (Note(0, 1, 60), Note(0, 1, 64), Note(1, 1, 62))),))
>>> melodic_lines(s)[0].pitch.tolist()
[64, 62]
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

__all__ = ["ChordEvents", "Line", "chord_events", "is_drum_part", "melodic_lines", "note_bars", "top_line"]


def is_drum_part(part: Any) -> bool:
    """A percussion part (:func:`partita.instruments.is_percussion` of its instrument)."""
    from partita.instruments import is_percussion

    return is_percussion(part.instrument)


@dataclass(frozen=True, slots=True)
class Line:
    """One part's top line. ``pitch``: int16 [n], MIDI; ``onset_ql``: float64 [n], quarter
    notes from the start; ``bar``: int32 [n], the bar of each note as a musician counts it."""

    part: str
    name: str
    pitch: np.ndarray
    onset_ql: np.ndarray
    bar: np.ndarray

    def __len__(self) -> int:
        return len(self.pitch)


def note_bars(score: Any, onsets: list[Fraction]) -> np.ndarray:
    """int32 [n]: the bar of each onset (``Score.bar_of``), computed once per distinct onset."""
    cache: dict[Fraction, int] = {}
    out = np.empty(len(onsets), dtype=np.int32)
    for i, o in enumerate(onsets):
        b = cache.get(o)
        if b is None:
            b = cache[o] = score.bar_of(o).bar
        out[i] = b
    return out


def top_line(part: Any) -> tuple[list[Fraction], np.ndarray]:
    """A part's line: the onsets of its new notes, ascending, and the highest pitch struck at
    each (int16 [n]; a tied continuation is not a new note of the line)."""
    top: dict[Fraction, int] = {}
    for n in part.notes:
        if n.tie in ("stop", "continue"):
            continue
        if n.pitch > top.get(n.onset, -1):
            top[n.onset] = n.pitch
    onsets = sorted(top)
    return onsets, np.array([top[o] for o in onsets], dtype=np.int16)


def melodic_lines(score: Any) -> list[Line]:
    """The top line (:func:`top_line`) of every pitched part that has notes, in part order."""
    out = []
    for p in score.parts:
        if is_drum_part(p) or not p.notes:
            continue
        onsets, pitch = top_line(p)
        out.append(Line(p.id, p.name, pitch, np.array([float(o) for o in onsets], dtype=np.float64),
                        note_bars(score, onsets)))  # fmt: skip
    return out


@dataclass(frozen=True, slots=True)
class ChordEvents:
    """The harmonic rhythm: ``root``: int8 [n] pitch class; ``quality``: int8 [n], an index of
    :data:`~partita.symbolic.composer.chords.QUALITIES`; ``onset_ql`` and ``duration_ql``:
    float64 [n]; ``bar``: int32 [n]. Quarter notes with nothing sounding are left out."""

    root: np.ndarray
    quality: np.ndarray
    onset_ql: np.ndarray
    duration_ql: np.ndarray
    bar: np.ndarray

    def __len__(self) -> int:
        return len(self.root)


def chord_events(score: Any) -> ChordEvents:
    """One chord per quarter note from the duration-weighted pitch classes of every pitched
    part (the lowest sounding note favours its root), equal neighbours merged."""
    from partita.symbolic.composer.controls import analyse_chord
    from partita.symbolic.composer.chords import QUALITIES

    qualities = list(QUALITIES)
    notes = [n for p in score.parts if not is_drum_part(p) for n in p.notes]
    empty = ChordEvents(*(np.zeros(0, dtype=t) for t in (np.int8, np.int8, np.float64, np.float64, np.int32)))
    if not notes:
        return empty
    n_q = int(np.ceil(float(max(n.end for n in notes))))
    w = np.zeros((n_q, 12))
    bass = np.full(n_q, 999, dtype=np.int32)
    for n in notes:
        a, z = float(n.onset), float(n.end)
        for q in range(int(a), min(int(np.ceil(z)), n_q)):
            ov = min(z, q + 1) - max(a, q)
            if ov > 0:
                w[q, n.pitch % 12] += ov
                bass[q] = min(bass[q], n.pitch)
    roots, quals, ons, durs = [], [], [], []
    for q in range(n_q):
        c = analyse_chord(w[q], None if bass[q] == 999 else int(bass[q]) % 12)
        if c is None:
            continue
        r, qual = c[0], qualities.index(c[1])
        if roots and roots[-1] == r and quals[-1] == qual and ons[-1] + durs[-1] == q:
            durs[-1] += 1.0
            continue
        roots.append(r)
        quals.append(qual)
        ons.append(float(q))
        durs.append(1.0)
    if not roots:
        return empty
    bars = note_bars(score, [Fraction(int(o)) for o in ons])
    return ChordEvents(np.array(roots, dtype=np.int8), np.array(quals, dtype=np.int8), np.array(ons),
                       np.array(durs), bars)  # fmt: skip
