"""Grace notes and ornaments played out into plain notes, the way MuseScore 3 plays them.

The patterns were measured on MuseScore 3's own MIDI export of scores made in it
(``tests/data/musescore/``): trills alternate with the upper note in thirty-seconds (1/8
quarter), mordents play main-auxiliary-main in thirty-seconds then hold, a turn plays
upper-main-lower in thirty-seconds then holds the main note, a single-note tremolo repeats
the note in notes of its strokes' value (3 strokes: thirty-seconds), an arpeggio starts
its notes one after another 1/8 quarter apart, and a glissando runs chromatically over the
first note's length. Appoggiaturas play on the beat and share half the principal note (MuseScore
3's rule, measured); acciaccaturas (slashed) take a quarter of their written value each and
are played just before the beat, taken from the note before them (on the beat at the start,
or when the note before is too short). A sustain pedal holds every note it covers to the pedal's
release (or the next attack of the same pitch). Breath marks and caesuras shorten the note
they follow by a quarter of it (at most half a beat), leaving a breath and no added time.

One departure from MuseScore 3: a trill on a timpani is a roll, as a timpanist reads it (a drum
tuned to one pitch has no upper note to trill to; MuseScore 3 plays the note above): single
strokes on the written pitch in thirty-seconds, the trill's own rhythm.

Played notes go into extra voices of the part (100 + voice for ornament and grace notes that
would overlap, 200 + n for arpeggiated and pedalled notes), so the Score's voice rules hold.

>>> from partita.symbolic.ornaments import Ornament
>>> from partita.symbolic.score import Note, Part, Score
>>> part = Part("fl", "Flute", "flute", notes=(Note(0, 1, 72),), ornaments=(Ornament("mordent", 0),))
>>> [(str(n.onset), n.pitch) for n in realize(Score(parts=(part,))).parts[0].notes]
[('0', 72), ('1/8', 71), ('1/4', 72)]
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from fractions import Fraction

from partita.errors import ScoreError
from partita.symbolic.ornaments import GraceNote, Ornament
from partita.symbolic.pitch import pitch_from_spelling
from partita.symbolic.report import Dropped
from partita.symbolic.score import Note, Part, Score

__all__ = ["realize"]

_STEP = Fraction(1, 8)  # a thirty-second note: MuseScore 3's trill and mordent note
_LETTERS = "CDEFGAB"


def realize(score: Score) -> Score:
    """``score`` with every part's grace notes and ornaments played out into notes (and the
    ``graces`` and ``ornaments`` emptied). Parts with neither come back unchanged."""
    parts, dropped = [], []
    for p in score.parts:
        if not p.graces and not p.ornaments:
            parts.append(p)
            continue
        fifths = {id(n): _fifths(score, n.onset) for n in p.notes}
        try:
            notes = _ornamented(p, fifths)
            notes = _with_graces(notes, p.graces)
            notes = _pedalled(notes, [o for o in p.ornaments if o.kind == "pedal" and o.end is not None])
            parts.append(dataclasses.replace(p, notes=tuple(notes), graces=(), ornaments=()))
        except ScoreError as exc:  # voices this cannot keep apart: play the part as written, and say so
            parts.append(dataclasses.replace(p, graces=(), ornaments=()))
            bar = score.bar_of(exc.onset).bar if exc.onset is not None else None
            dropped.append(Dropped("grace notes and ornaments not played", bar=bar, part=p.name))
    return dataclasses.replace(score, parts=tuple(parts), dropped=score.dropped + tuple(dropped))


def _fifths(score: Score, onset: Fraction) -> int:
    ks = score.key_signature_at(onset)
    return ks.fifths if ks else 0


def _auxiliary(note: Note, up: bool, accidental: int | None, fifths: int) -> int:
    """The diatonic neighbour above or below, in the key (or with the ornament's accidental)."""
    if note.spelling:
        letter, octave = note.spelling[0], int(note.spelling.lstrip("ABCDEFG#b"))
        i = _LETTERS.index(letter) + (1 if up else -1)
        octave += i // 7
        letter = _LETTERS[i % 7]
        if accidental is None:
            sharps, flats = "FCGDAEB"[: max(fifths, 0)], "BEADGCF"[: max(-fifths, 0)]
            accidental = 1 if letter in sharps else -1 if letter in flats else 0
        sign = {-2: "bb", -1: "b", 0: "", 1: "#", 2: "##"}[accidental]
        pitch = pitch_from_spelling(f"{letter}{sign}{octave}")
    else:
        scale = {(7 * k) % 12 for k in range(fifths - 1, fifths + 6)}
        step = 1 if up else -1
        pitch = note.pitch + step
        while pitch % 12 not in scale and abs(pitch - note.pitch) < 2:
            pitch += step
    return min(max(pitch, 0), 127)


def _pieces(note: Note, pitches: list[int], lengths: list[Fraction], voice: int) -> list[Note]:
    out, t = [], note.onset
    for k, (pitch, length) in enumerate(zip(pitches, lengths)):
        if length <= 0:
            continue
        keep = dict(articulations=note.articulations) if k == 0 else dict(articulations=frozenset())
        out.append(dataclasses.replace(note, onset=t, duration=length, pitch=pitch, spelling=None, tie=None,
                                       voice=voice, lyric=note.lyric if k == 0 else None, **keep))  # fmt: skip
        t += length
    return out


#: Instruments whose trill is a roll on the written pitch (tuned to one pitch per drum).
_ROLLED = frozenset({"timpani"})


def _pattern(note: Note, orn: Ornament, fifths: int, *, roll: bool = False) -> tuple[list[int], list[Fraction]] | None:
    d, p = note.duration, note.pitch
    if orn.kind == "trill":
        upper = p if roll else _auxiliary(note, True, orn.accidental, fifths)
        n = max(int(d / _STEP), 2)
        step = d / n
        return [p if k % 2 == 0 else upper for k in range(n)], [step] * n
    if orn.kind in ("mordent", "inverted-mordent"):
        aux = _auxiliary(note, orn.kind == "inverted-mordent", orn.accidental, fifths)
        step = min(_STEP, d / 3)
        return [p, aux, p], [step, step, d - 2 * step]
    if orn.kind in ("turn", "inverted-turn"):
        upper, lower = _auxiliary(note, True, None, fifths), _auxiliary(note, False, None, fifths)
        first, third = (upper, lower) if orn.kind == "turn" else (lower, upper)
        step = min(_STEP, d / 4)
        return [first, p, third, p], [step, step, step, d - 3 * step]
    if orn.kind in ("tremolo", "tremolo-two"):
        step = Fraction(1, 2 ** max(orn.strokes, 1))
        n = max(int(d / step), 1)
        other = orn.pitch if orn.kind == "tremolo-two" and orn.pitch is not None else p
        return [p if k % 2 == 0 else other for k in range(n)], [d / n] * n
    if orn.kind in ("glissando", "portamento") and orn.pitch is not None and orn.pitch != p:
        direction = 1 if orn.pitch > p else -1
        steps = list(range(p, orn.pitch, direction))
        return steps, [d / len(steps)] * len(steps)
    if orn.kind in ("breath", "caesura"):
        cut = min(d / 4, Fraction(1, 2))
        return [p], [d - cut]
    return None


def _ornamented(part: Part, fifths: dict[int, int]) -> list[Note]:
    by_key: dict[tuple[Fraction, int], list[Ornament]] = defaultdict(list)
    for o in part.ornaments:
        if o.kind != "pedal":
            by_key[(o.onset, o.voice)].append(o)
    out: list[Note] = []
    chords: dict[tuple[Fraction, int], list[Note]] = defaultdict(list)
    for n in part.notes:
        chords[(n.onset, n.voice)].append(n)
    arp_voice = 200
    for key, members in chords.items():
        orns = by_key.get(key, [])
        arpeggio = next((o for o in orns if o.kind == "arpeggio"), None)
        if arpeggio is not None and len(members) > 1:
            ordered = sorted(members, key=lambda n: n.pitch, reverse=arpeggio.direction == "down")
            gap = min(_STEP, members[0].duration / (2 * len(members)))
            for k, n in enumerate(ordered):
                arp_voice += 1
                out.append(dataclasses.replace(n, onset=n.onset + k * gap, duration=n.duration - k * gap, voice=arp_voice))
            continue
        melodic = [o for o in orns if o.kind != "arpeggio"]
        if not melodic:
            out.extend(members)
            continue
        top = max(members, key=lambda n: n.pitch)
        pattern = _pattern(top, melodic[0], fifths.get(id(top), 0), roll=part.instrument in _ROLLED)
        if pattern is None:
            out.extend(members)
            continue
        out.extend(m for m in members if m is not top)
        # the ornament's notes leave the chord: a voice of their own beside it
        out.extend(_pieces(top, pattern[0], pattern[1], top.voice if len(members) == 1 else 100 + top.voice))
    return out


def _with_graces(notes: list[Note], graces: tuple[GraceNote, ...]) -> list[Note]:
    if not graces:
        return notes
    groups: dict[tuple[Fraction, int], dict[int, list[GraceNote]]] = defaultdict(lambda: defaultdict(list))
    for g in graces:
        groups[(g.onset, g.voice)][g.order].append(g)
    by_voice: dict[int, list[Note]] = defaultdict(list)
    for n in notes:
        by_voice[n.voice].append(n)
    out = list(notes)
    for (onset, voice), orders in groups.items():
        seq = [orders[k] for k in sorted(orders)]
        principal = [n for n in out if n.onset == onset and n.voice == voice]
        slash = all(g.slash for grp in seq for g in grp)
        if principal and not slash:  # appoggiaturas: on the beat, half the principal note shared
            share = principal[0].duration / 2 / len(seq)
            out = [n for n in out if not (n.onset == onset and n.voice == voice)]
            t = onset
            for grp in seq:
                out += [Note(t, share, g.pitch, g.spelling, principal[0].velocity, voice=voice) for g in grp]
                t += share
            out += [dataclasses.replace(n, onset=t, duration=n.duration - (t - onset)) for n in principal]
            continue
        length = sum(grp[0].value / 4 for grp in seq)
        before = [n for n in out if n.voice == voice and n.end == onset]
        if before and all(n.duration > 2 * length for n in before) and onset >= length:
            out = [dataclasses.replace(n, duration=n.duration - length) if n in before else n for n in out]
            t = onset - length
        elif principal and all(n.duration > 2 * length for n in principal):
            out = [n for n in out if not (n.onset == onset and n.voice == voice)]
            out += [dataclasses.replace(n, onset=onset + length, duration=n.duration - length) for n in principal]
            t = onset
        elif onset >= length and not any(n.voice == voice and n.onset < onset < n.end + length for n in out):
            t = onset - length
        else:
            continue  # no room: the grace notes are not played
        for grp in seq:
            value = grp[0].value / 4
            out += [Note(t, value, g.pitch, g.spelling, voice=voice) for g in grp]
            t += value
    return out


def _pedalled(notes: list[Note], pedals: list[Ornament]) -> list[Note]:
    if not pedals:
        return notes
    out, voice = [], 300
    for n in notes:
        pedal = next((o for o in pedals if o.onset <= n.onset < o.end), None)
        if pedal is None or n.end >= pedal.end:
            out.append(n)
            continue
        nxt = min((m.onset for m in notes if m.pitch == n.pitch and n.onset < m.onset < pedal.end), default=pedal.end)
        if nxt > n.end:
            voice += 1
            n = dataclasses.replace(n, duration=nxt - n.onset, voice=voice, tie=None)
        out.append(n)
    return out
