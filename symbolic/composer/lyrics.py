"""Composing for lyrics: a vocal melody that carries every word, then the ensemble under it.

:func:`vocal_melody` sets a text (lines of words) to a melody for a voice part of a plan:

* **Syllables** come from :func:`partita.symbolic.underlay.text_syllables` (CMU dictionary
  stress marks; espeak-ng or rules for words it lacks). Every syllable gets a note, in order;
  the last syllable of a line may get a two-note melisma (slurred).
* **Rhythm.** Each line of text is one phrase of 1, 2, 4 or 8 bars (the fewest that hold its
  syllables at no more than 1.5 per beat), on an eighth-note grid, ending with at least a
  quarter rest to breathe. Syllable positions are chosen by dynamic programming: a stressed
  syllable (stress 1) off a strong position costs, an unstressed one on a strong position costs,
  eighth notes cost a little and long notes inside a line more; a short stressed syllable
  or a long unstressed one costs.
* **Pitch.** Scale tones of the plan's key inside the voice's comfortable range (the catalog's);
  chord tones of the bar's chord on strong positions; an arch per phrase (rising to 60 % of the
  line, then falling); steps preferred to leaps; the last line ends on the tonic. Choices among
  near-equal tones are drawn from the seed.

:func:`with_voice` makes sure the plan has a voice part carrying the melody (adding one when the
prompt planned none). :func:`compose_for_lyrics` writes the melody and composes the rest of the
ensemble under it (:func:`partita.symbolic.composer.sample.compose` with the melody as guide).
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from typing import Any

import numpy as np

from partita.errors import ConfigError

__all__ = ["with_voice", "vocal_melody", "compose_for_lyrics", "melody_strength"]

_MALE = ("male", "man", "men", "tenor", "baritone", "bass singer", "boy")
_FEMALE = ("female", "woman", "women", "girl", "soprano", "alto")


def with_voice(plan: Any, *, instrument: str | None = None) -> Any:
    """``plan`` with a voice part in the melody role.

    A voice part already planned (catalog family ``voice``) takes the melody role; otherwise a
    part ``vox`` ("Voice") is added on top -- a tenor when the prompt speaks of a male voice, a
    mezzo-soprano otherwise, or ``instrument`` -- and the former melody part becomes an inner
    part.

    >>> from partita.symbolic.composer.planner import plan
    >>> p = with_voice(plan("a calm song", duration_s=20))
    >>> [x.instrument for x in p.instrumentation if x.role == "melody"]
    ['mezzo_soprano']
    """
    from partita.instruments import catalog
    from partita.symbolic.composer.planner import PlanPart

    parts = list(plan.instrumentation)
    voices = [i for i, p in enumerate(parts) if catalog.get(p.instrument).family == "voice"]
    if instrument is not None:
        catalog.get(instrument)  # an unknown instrument stops here, named
    if voices and instrument is None:
        lead = voices[0]
        parts = [dataclasses.replace(p, role="melody") if i == lead
                 else (dataclasses.replace(p, role="inner") if p.role == "melody" else p)
                 for i, p in enumerate(parts)]  # fmt: skip
        return dataclasses.replace(plan, instrumentation=tuple(parts))
    words = plan.prompt.lower()
    male = any(w in words.split() for w in _MALE) and not any(w in words for w in ("female", "woman", "women"))
    inst = instrument or ("tenor" if male else "mezzo_soprano")
    parts = [dataclasses.replace(p, role="inner") if p.role == "melody" else p for p in parts]
    pid = "vox"
    while any(p.id == pid for p in parts):
        pid += "_"
    vox = PlanPart(id=pid, name="Voice", instrument=inst, role="melody")
    return dataclasses.replace(plan, instrumentation=(vox, *parts))


def melody_strength(slot: int, *, slots_per_bar: int, meter: tuple[int, int]) -> int:
    """Metrical strength 0-3 of an eighth-note slot in a bar: 3 the downbeat, 2 the middle of a
    bar of an even number of beats (or beat 4 of 6/8), 1 other beats, 0 off-beats.

    >>> [melody_strength(s, slots_per_bar=8, meter=(4, 4)) for s in range(8)]
    [3, 0, 1, 0, 2, 0, 1, 0]
    """
    s = slot % slots_per_bar
    if s == 0:
        return 3
    num, den = meter
    compound = den == 8 and num % 3 == 0
    beat_slots = 3 if compound else max(1, 8 // den)
    beats = slots_per_bar // beat_slots
    if beats % 2 == 0 and s == slots_per_bar // 2:
        return 2
    return 1 if s % beat_slots == 0 else 0


def _rhythm(stresses: list[int], n_slots: int, strength: list[int]) -> list[tuple[int, int]]:
    """(start slot, length in slots) per syllable inside a phrase of ``n_slots``, the last one
    held to two slots before the end (the breath)."""
    n = len(stresses)
    end = n_slots - 2
    inf = float("inf")

    def place(i: int, s: int) -> float:
        st = strength[s]
        if stresses[i] == 1:
            return 2.0 * (3 - st)
        if stresses[i] == 2:
            return 0.6 * abs(2 - st)
        return 1.0 * st if i > 0 else 0.5 * st

    def length(d: int, last: bool, stress: int) -> float:
        if last:
            return 0.0 if d >= 2 else 1.5
        c = {1: 0.4, 2: 0.0, 3: 0.5, 4: 0.3}.get(d, 0.6 + 0.3 * d)
        if stress == 1 and d == 1:
            c += 0.8  # a stressed syllable wants time
        if stress == 0 and d >= 3:
            c += 0.8  # an unstressed one does not
        return c

    # cost[i][s]: best cost with syllable i at slot s
    cost = np.full((n, end), inf)
    back = np.zeros((n, end), dtype=int)
    for s in range(min(end, 4)):  # a phrase starts in its first two beats
        cost[0, s] = place(0, s) + 0.3 * s
    for i in range(1, n):
        for s in range(i, end):
            best, arg = inf, -1
            for r in range(max(0, s - 8), s):
                c = cost[i - 1, r]
                if c < inf:
                    c += length(s - r, False, stresses[i - 1])
                    if c < best:
                        best, arg = c, r
            if arg >= 0:
                cost[i, s] = best + place(i, s)
                back[i, s] = arg
    final = [cost[n - 1, s] + length(end - s, True, stresses[-1]) for s in range(end)]
    s = int(np.argmin(final))
    if not np.isfinite(final[s]):
        raise ConfigError(f"a line of {n} syllables does not fit {n_slots} eighth notes")
    starts = [s]
    for i in range(n - 1, 0, -1):
        s = int(back[i, s])
        starts.append(s)
    starts.reverse()
    return [(a, (starts[k + 1] if k + 1 < n else end) - a) for k, a in enumerate(starts)]


def vocal_melody(plan: Any, text: str, *, part_id: str | None = None, seed: int = 0) -> tuple[Any, dict[str, Any]]:
    """A one-part Score: ``text`` set to a melody for the plan's voice part, with the plan's
    key, meter, tempo and (cycled) chords.

    Parameters
    ----------
    plan
        A plan with a voice part (see :func:`with_voice`).
    text
        The lyrics: lines of words; each line becomes a phrase.
    part_id
        The voice part (default: the plan's melody part).
    seed
        Draws among near-equal pitches and melismas.

    Returns
    -------
    (Score, info) where info has ``syllables``, ``lines``, ``bars`` and ``spelled`` (words
    not in the dictionary -> how they were spelled).

    Examples
    --------
    >>> from partita.symbolic.composer.planner import plan
    >>> p = with_voice(plan("a pop ballad", duration_s=20))
    >>> s, info = vocal_melody(p, "Hold the light\\nand sing it home")
    >>> [n.lyric for n in s.parts[0].notes if n.lyric], info["bars"] >= 2
    (['hold', 'the', 'light', 'and', 'sing', 'it', 'home'], True)
    """
    from partita.instruments import catalog
    from partita.symbolic.composer.chordmask import chord_pcs
    from partita.symbolic.pitch import KeySignature
    from partita.symbolic.score import ChordSymbol, Note, Part, Score
    from partita.symbolic.timeline import TempoMap, TempoMark, TimeSignature  # fmt: skip
    from partita.symbolic.underlay import text_syllables

    sylls = text_syllables(text)
    if not sylls:
        raise ConfigError("the lyrics hold no words")
    pp = next((p for p in plan.instrumentation if p.id == part_id), None) if part_id else next(
        (p for p in plan.instrumentation if p.role == "melody"), plan.instrumentation[0])
    if pp is None:
        raise ConfigError(f"the plan has no part {part_id!r}")
    inst = catalog.get(pp.instrument)
    lo, hi = inst.comfortable_range
    rng = np.random.default_rng(seed)
    num, den = plan.meter
    bar_ql = plan.bar_ql
    slots_per_bar = int(bar_ql * 2)
    beats_per_bar = float(bar_ql) * den / 4
    key_pcs = _scale(plan.tonic_pc, plan.mode)
    pool = [p for p in range(lo, hi + 1) if p % 12 in key_pcs]
    chords = plan.bar_chords() or ("C",)
    lines: list[list[Any]] = []
    for s in sylls:
        while len(lines) <= s.line:
            lines.append([])
        lines[s.line].append(s)
    lines = [ln for ln in lines if ln]
    notes: list[Any] = []
    bar = 0
    prev = None
    centre = (lo + hi) / 2
    for li, line in enumerate(lines):
        n = len(line)
        n_bars = next((b for b in (1, 2, 4, 8, 16) if n <= b * beats_per_bar * 1.5 and n <= b * slots_per_bar - 2), None)
        if n_bars is None:
            raise ConfigError(f"line {li + 1} of the lyrics has {n} syllables: more than 16 bars can carry")
        strength = [melody_strength(s, slots_per_bar=slots_per_bar, meter=plan.meter) for s in range(n_bars * slots_per_bar)]
        rhythm = _rhythm([s.stress for s in line], n_bars * slots_per_bar, strength)
        last_line = li == len(lines) - 1
        for k, (syl, (slot, length)) in enumerate(zip(line, rhythm)):
            b = bar + slot // slots_per_bar
            chord = chord_pcs(chords[b % len(chords)])
            x = k / max(n - 1, 1)
            target = centre - 3 + 7 * (x / 0.6 if x < 0.6 else (1 - x) / 0.4)
            strong = strength[slot] >= 2 or k == n - 1
            best = []
            for p in pool:
                c = 0.25 * abs(p - target)
                if prev is not None:
                    leap = abs(p - prev)
                    c += 0.0 if leap <= 2 else (0.4 * (leap - 2) if leap <= 7 else 3.0 + leap)
                if strong and p % 12 not in chord:
                    c += 4.0
                if k == n - 1 and last_line and p % 12 != plan.tonic_pc:
                    c += 6.0
                best.append((c + 0.3 * rng.random(), p))
            pitch = min(best)[1]
            onset = Fraction(bar * slots_per_bar + slot, 2)
            dur = Fraction(length, 2)
            if k == n - 1 and length >= 4 and rng.random() < 0.5:
                # a two-note melisma on the line's last syllable: a step down to a scale tone
                lower = [p for p in pool if p < pitch]
                second = lower[-1] if lower else pitch
                half = Fraction(length // 2, 2)
                notes.append(Note(onset, half, pitch, lyric=syl.text, slur="start"))
                notes.append(Note(onset + half, dur - half, second, slur="stop"))
                prev = second
            else:
                notes.append(Note(onset, dur, pitch, lyric=syl.text))
                prev = pitch
        bar += n_bars
    n_bars_total = bar
    score = Score(
        title=(plan.prompt.strip()[:80] or "Song"),
        parts=(Part(pp.id, pp.name, pp.instrument, tuple(notes)),),
        tempo_map=TempoMap((TempoMark(0, plan.tempo_bpm),)),
        time_signatures=(TimeSignature(0, num, den),),
        key_signatures=(KeySignature(0, plan.key_signature().fifths, plan.mode),),
        chords=tuple(ChordSymbol(i * bar_ql, chords[i % len(chords)]) for i in range(n_bars_total)),
    )  # fmt: skip
    spelled = {s.word: s.source for s in sylls if s.source != "cmudict"}
    return score, {"syllables": len(sylls), "lines": len(lines), "bars": n_bars_total, "spelled": spelled}


def _scale(tonic_pc: int, mode: str) -> frozenset[int]:
    steps = (0, 2, 4, 5, 7, 9, 11) if mode == "major" else (0, 2, 3, 5, 7, 8, 10)
    return frozenset((tonic_pc + s) % 12 for s in steps)


def compose_for_lyrics(plan: Any, text: str, *, seed: int = 0, **compose_kwargs: Any) -> tuple[Any, Any, dict[str, Any]]:
    """Plan with a voice -> vocal melody for ``text`` -> the ensemble composed under it.

    Returns (plan used, Score, info of :func:`vocal_melody`). ``compose_kwargs`` go to
    :func:`partita.symbolic.composer.sample.compose` (weights, temperature, top_p, profile).
    """
    from partita.symbolic.composer.sample import compose

    plan = with_voice(plan)
    melody, info = vocal_melody(plan, text, seed=seed)
    score = compose(plan, seed=seed, guide=melody, **compose_kwargs)
    return plan, score, info
