"""Edits of a whole score: transposing it and cutting out a span of bars. Each returns a new
:class:`~partita.symbolic.score.Score`; the one it was given is unchanged.

>>> from partita.symbolic.score import Note, Part, Score
>>> s = Score(parts=(Part("fl", "Flute", "flute", (Note(0, 4, 72), Note(4, 4, 74))),))
>>> [n.pitch for n in transpose(s, 2).parts[0].notes], [n.pitch for n in slice_bars(s, 2, 2).parts[0].notes]
([74, 76], [74])
"""

from __future__ import annotations

import bisect
import dataclasses
from fractions import Fraction
from typing import Iterable

from partita.errors import ScoreError
from partita.symbolic.pitch import KeySignature, transpose_fifths
from partita.symbolic.score import Score
from partita.symbolic.timeline import TempoMap

__all__ = ["slice_bars", "transpose"]


def transpose(score: Score, semitones: int, *, parts: Iterable[str] | None = None) -> Score:
    """``score`` with its notes moved by ``semitones`` (only those of ``parts``, ids or names, when
    given); key signatures move too when every part does.

    Spelled notes are respelled for the new key (sharps in sharp keys, flats in flat keys).
    """
    chosen = None if parts is None else {score.part(k).id for k in parts}
    keys = score.key_signatures
    if chosen is None:
        keys = tuple(dataclasses.replace(k, fifths=transpose_fifths(k.fifths, semitones)) for k in keys)
    new = []
    for p in score.parts:
        if chosen is not None and p.id not in chosen:
            new.append(p)
            continue
        notes = []
        for n in p.notes:
            ks = _key_at(keys, n.onset)
            try:
                notes.append(n.transposed(semitones, fifths=ks.fifths if ks else 0))
            except ScoreError as e:
                raise e.located(part=p.name, bar_of=lambda o: score.bar_of(o).bar) from None
        graces = tuple(dataclasses.replace(g, pitch=g.pitch + semitones, spelling=None) for g in p.graces
                       if 0 <= g.pitch + semitones <= 127)  # fmt: skip
        ornaments = tuple(o if o.pitch is None else dataclasses.replace(o, pitch=min(max(o.pitch + semitones, 0), 127))
                          for o in p.ornaments)  # fmt: skip
        cross = tuple(dataclasses.replace(c, pitch=c.pitch + semitones) for c in p.cross_staff)
        new.append(dataclasses.replace(p.with_notes(notes), graces=graces, ornaments=ornaments, cross_staff=cross))
    return dataclasses.replace(score, parts=tuple(new), key_signatures=keys)


def slice_bars(score: Score, first: int, last: int) -> Score:
    """Bars ``first`` to ``last`` (inclusive) of ``score`` as a score of their own, starting at 0.

    Notes that start inside the span are kept, cut at its end; the meter, key, tempo and
    dynamic in force at the first bar are carried to its start.
    """
    start, stop = score.bar_start(first), score.bar_start(last + 1)
    if stop <= start:
        raise ScoreError(f"bars {first}-{last} are an empty span")

    def shift(marks, make):
        inside = [make(m, m.onset - start) for m in marks if start <= m.onset < stop]
        before = [m for m in marks if m.onset < start]
        if before and not any(m.onset == start for m in marks):
            inside.insert(0, make(before[-1], Fraction(0)))
        return tuple(inside)

    def moved(m, onset):
        return dataclasses.replace(m, onset=onset)

    parts = []
    for p in score.parts:
        notes = []
        for n in p.notes:
            if start <= n.onset < stop:
                end = min(n.end, stop)
                tie = n.tie if n.end <= stop else ("start" if n.tie in (None, "start") else "continue")
                notes.append(dataclasses.replace(n, onset=n.onset - start, duration=end - n.onset, tie=tie))
        hairpins = tuple(
            dataclasses.replace(h, onset=max(h.onset, start) - start, end=min(h.end, stop) - start)
            for h in p.hairpins if h.end > start and h.onset < stop
        )  # fmt: skip
        graces = tuple(moved(g, g.onset - start) for g in p.graces if start <= g.onset < stop)
        ornaments = tuple(
            dataclasses.replace(o, onset=o.onset - start, end=None if o.end is None else min(o.end, stop) - start)
            for o in p.ornaments if start <= o.onset < stop
        )  # fmt: skip
        verses = tuple(moved(v, v.onset - start) for v in p.verses if start <= v.onset < stop)
        lines = tuple(
            dataclasses.replace(o, onset=max(o.onset, start) - start, end=min(o.end, stop) - start)
            for o in p.octave_lines if o.end > start and o.onset < stop
        )  # fmt: skip
        clefs = tuple(moved(c, c.onset - start) for c in p.clefs if start <= c.onset < stop)
        cross = tuple(moved(c, c.onset - start) for c in p.cross_staff if start <= c.onset < stop)
        parts.append(dataclasses.replace(p, notes=tuple(notes), dynamics=shift(p.dynamics, moved), hairpins=hairpins,
                                         graces=graces, ornaments=ornaments, verses=verses,
                                         octave_lines=lines, clefs=clefs, cross_staff=cross))  # fmt: skip
    tempo = TempoMap(shift(score.tempo_map.marks, moved))
    return dataclasses.replace(
        score,
        parts=tuple(parts),
        tempo_map=tempo,
        time_signatures=shift(score.time_signatures, moved) or (score.time_signature_at(start),),
        key_signatures=shift(score.key_signatures, moved),
        sections=tuple(moved(s, s.onset - start) for s in score.sections if start <= s.onset < stop),
        chords=shift(score.chords, moved),
        pickup=Fraction(0),
        form=(),  # a span of bars has no repeat structure of its own
        playing=tuple(moved(m, m.onset - start) for m in score.playing if start <= m.onset < stop),
        length=Fraction(0),
    )


def _key_at(keys: tuple[KeySignature, ...], onset: Fraction) -> KeySignature | None:
    i = bisect.bisect_right([k.onset for k in keys], onset) - 1
    return keys[i] if i >= 0 else None
