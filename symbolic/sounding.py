"""Notes as they sound: a part's tied chains merged into single sounding notes with their
velocities resolved (what MIDI and REMI tokens hold), and sounding notes dealt back into
non-overlapping voices (what a MIDI file or a token sequence gives back).

>>> from partita.symbolic.score import Note, Part
>>> p = Part("a", "Flute", "flute", (Note(0, 1, 72, tie="start"), Note(1, 2, 72, tie="stop")))
>>> [(s.onset, s.duration) for s in merged_ties(p)]
[(Fraction(0, 1), Fraction(3, 1))]
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable, Iterable, Sequence

from partita.symbolic.score import Note, Part

__all__ = ["Sounding", "assign_voices", "merged_ties"]


@dataclass(frozen=True, slots=True)
class Sounding:
    """One sounding note: ties merged, velocity resolved; ``articulations`` are those of the
    chain's first note."""

    onset: Fraction
    duration: Fraction
    pitch: int
    velocity: int
    articulations: frozenset[str] = frozenset()


def merged_ties(part: Part) -> list[Sounding]:
    """The notes of ``part`` as they sound: tied chains joined, velocities resolved.

    A note with ``tie`` ``"continue"`` or ``"stop"`` extends the chain of the same pitch and
    voice that ends exactly at its onset; the chain keeps its first note's velocity.

    >>> from partita.symbolic.score import Note, Part
    >>> p = Part("a", "Flute", "flute", (Note(0, 1, 72, tie="start"), Note(1, 2, 72, tie="stop")))
    >>> [(n.onset, n.duration) for n in merged_ties(p)]
    [(Fraction(0, 1), Fraction(3, 1))]
    """
    out: list[list[Any]] = []  # [onset, end, pitch, velocity, articulations]
    open_: dict[tuple[int, int], int] = {}
    for note in part.notes:
        key = (note.voice, note.pitch)
        i = open_.pop(key, None)
        if i is not None and note.tie in ("continue", "stop") and out[i][1] == note.onset:
            out[i][1] = note.end
        else:
            i = len(out)
            out.append([note.onset, note.end, note.pitch, part.velocity_of(note), note.articulations])
        if note.tie in ("start", "continue"):
            open_[key] = i
    return [Sounding(o, e - o, p, v, a) for o, e, p, v, a in out]


def assign_voices(raw: Iterable[Sequence[Any]], ql: Callable[[Any], Fraction]) -> tuple[Note, ...]:
    """Notes dealt greedily into voices 1, 2, ... so that no voice overlaps itself.

    ``raw`` holds ``(start, end, pitch, velocity)`` items, or ``(start, end, pitch, velocity,
    articulations)``; ``ql`` turns a start or end into a quarter-length Fraction (ticks /
    resolution) and must be increasing: the notes are ordered and compared by the raw values
    (MIDI ticks are ints, much faster to sort than Fractions), each value converted once. Notes
    that start and end together share a voice as a chord; a note goes to the lowest voice free
    at its onset.

    >>> [n.voice for n in assign_voices([(0, 2, 60, 80), (1, 2, 64, 80), (0, 2, 67, 80)], Fraction)]
    [1, 1, 2]
    """
    plain: frozenset[str] = frozenset()
    notes = sorted(((r[0], r[1], r[2], r[3], r[4] if len(r) > 4 else plain) for r in raw),
                   key=lambda n: (n[0], n[1], n[2]))  # fmt: skip
    qls: dict[Any, Fraction] = {}
    voices: list[tuple[Any, Any, set[int]]] = []  # (onset, end, pitches) of last chord, raw
    out = []
    for onset, end, pitch, velocity, arts in notes:
        if end <= onset:
            continue
        for i, (v_on, v_end, pitches) in enumerate(voices):
            if v_on == onset and v_end == end and pitch not in pitches:
                pitches.add(pitch)
                break
            if v_end <= onset:
                voices[i] = (onset, end, {pitch})
                break
        else:
            voices.append((onset, end, {pitch}))
            i = len(voices) - 1
        on_q = qls.get(onset)
        if on_q is None:
            on_q = qls[onset] = ql(onset)
        end_q = qls.get(end)
        if end_q is None:
            end_q = qls[end] = ql(end)
        out.append(Note(on_q, end_q - on_q, pitch, velocity=velocity, articulations=arts, voice=i + 1))
    return tuple(out)
