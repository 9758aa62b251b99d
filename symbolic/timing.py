"""Tempo words and swing played: ``Score.playing`` turned into tempo marks and note times.

- **ritardando / accelerando**: from the mark, the tempo moves beat by beat (one tempo mark per
  quarter) towards ``ritardando_factor`` / ``accelerando_factor`` of the tempo in force, over at
  most ``ramp_quarters``, and holds there until the next tempo mark, tempo word or "a tempo";
- **a tempo**: back to the last metronome tempo before the ritardando or accelerando;
- **tempo-text** (a tempo word without a metronome mark, "Allegro"): that word's tempo;
- **swing**: from the mark to the next "straight" (or the end), of each pair of ``unit`` notes
  on the beat grid the first takes ``ratio`` of the pair: a note starting or ending on the
  off-beat moves there; notes off the grid stay.

The numbers are data (``timing.toml``, with their sources). MuseScore 3 itself plays none of the
words (only metronome marks and its own swing setting), so a score with them plays longer or
shorter in partita than in MuseScore; ``performed(score, words=False)`` plays as MuseScore does.

>>> from partita.symbolic.form import PlayMark
>>> from partita.symbolic.score import Note, Part, Score
>>> part = Part("sx", "Sax", "alto_sax", notes=(Note(0, 0.5, 65), Note(0.5, 0.5, 67)))
>>> swung = apply_playing(Score(parts=(part,), playing=(PlayMark(0, "swing"),)))
>>> [str(n.onset) for n in swung.parts[0].notes]
['0', '2/3']
"""

from __future__ import annotations

import dataclasses
import functools
import tomllib
from fractions import Fraction
from importlib import resources
from typing import Any, Mapping

from partita.symbolic.score import Score
from partita.symbolic.timeline import TempoMap, TempoMark, as_ql

__all__ = ["apply_playing", "timing_table", "tempo_word_bpm", "swing_ratio_of"]


@functools.lru_cache(maxsize=1)
def timing_table() -> Mapping[str, Any]:
    """The numbers of ``timing.toml``."""
    with resources.files("partita.symbolic").joinpath("timing.toml").open("rb") as fh:
        return tomllib.load(fh)


def tempo_word_bpm(text: str) -> float | None:
    """Quarter notes per minute of a tempo word ("Allegro", "Andante con moto"), or None."""
    words = timing_table()["tempo_words"]
    low = " ".join(text.lower().replace(".", " ").split())
    for word in sorted(words, key=len, reverse=True):  # "allegro moderato" before "allegro"
        if low == word or low.startswith(word + " "):
            return float(words[word])
    return None


def swing_ratio_of(text: str) -> float | None:
    """The swing ratio a text asks for ("Swing": 2:1, "Fast swing": 3:2, "Swing 60%"), or None."""
    low = " ".join(text.lower().split())
    if "%" in low and "swing" in low:
        try:
            value = float(low.split("%")[0].split()[-1]) / 100
            return value if 0.5 <= value <= 0.8 else None
        except ValueError:
            return None
    return timing_table()["swing"].get(low)


def apply_playing(score: Score, *, words: bool = True) -> Score:
    """``score`` with its tempo words (when ``words``) and swing played; ``playing`` emptied."""
    if not score.playing:
        return score
    out = dataclasses.replace(score, playing=())
    if words:
        out = dataclasses.replace(out, tempo_map=_tempo_curves(score))
    swings = [m for m in score.playing if m.kind in ("swing", "straight")]
    if swings:
        out = _swung(out, swings)
    return out


def _tempo_curves(score: Score) -> TempoMap:
    table = timing_table()
    ramp = as_ql(table["ramp_quarters"])
    written = {m.onset: m for m in score.tempo_map.marks}
    events = sorted([(m.onset, 0, m) for m in score.tempo_map.marks] + [(p.onset, 1, p) for p in score.playing
                     if p.kind in ("ritardando", "accelerando", "a-tempo", "tempo-text")], key=lambda e: (e[0], e[1]))  # fmt: skip
    marks: dict[Fraction, TempoMark] = dict(written)
    base = score.tempo_map.marks[0].bpm  # the last metronome tempo ("a tempo" returns to it)
    for k, (onset, is_word, mark) in enumerate(events):
        if not is_word:
            base = mark.bpm
            continue
        current = _bpm_at(marks, onset)
        if mark.kind == "a-tempo":
            marks[onset] = TempoMark(onset, base, mark.text)
        elif mark.kind == "tempo-text":
            bpm = tempo_word_bpm(mark.text or "")
            if bpm is not None and onset not in written:
                marks[onset] = TempoMark(onset, bpm, mark.text)
                base = bpm
        else:
            factor = table["ritardando_factor"] if mark.kind == "ritardando" else table["accelerando_factor"]
            stop = next((e[0] for e in events[k + 1 :] if e[0] > onset), score.end)
            span = min(stop - onset, ramp)
            steps = max(int(span), 1)
            for i in range(steps):
                at = onset + i * span / steps
                bpm = current * (1 + (factor - 1) * (i + 1) / steps)
                marks[at] = TempoMark(at, round(bpm, 6), mark.text if i == 0 else None)
    return TempoMap(tuple(marks[k] for k in sorted(marks)))


def _bpm_at(marks: Mapping[Fraction, TempoMark], onset: Fraction) -> float:
    before = [k for k in marks if k <= onset]
    return marks[max(before)].bpm if before else 120.0


def _swung(score: Score, swings: list) -> Score:
    regions = []
    for i, m in enumerate(swings):
        if m.kind == "swing":
            end = swings[i + 1].onset if i + 1 < len(swings) else None
            regions.append((m.onset, end, m.unit, m.ratio))

    def warp(t: Fraction) -> Fraction:
        for start, end, unit, ratio in regions:
            if t >= start and (end is None or t < end):
                into = t - start
                if into % unit == 0 and (into // unit) % 2 == 1:
                    pair = start + (into // (2 * unit)) * 2 * unit
                    return pair + as_ql(2 * unit * Fraction(ratio).limit_denominator(1000))
        return t

    parts = []
    for p in score.parts:
        notes = []
        for n in p.notes:
            onset, end = warp(n.onset), warp(n.end)
            notes.append(dataclasses.replace(n, onset=onset, duration=end - onset) if end > onset else n)
        parts.append(dataclasses.replace(p, notes=tuple(notes)))
    return dataclasses.replace(score, parts=tuple(parts))
