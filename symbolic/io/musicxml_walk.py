"""Walking a music21 part for the MusicXML reader (:mod:`partita.symbolic.io.musicxml_read`):
its elements once, in ``recurse()`` order with their offsets, and the score-wide marks among
them (meters and the pickup, keys, tempo marks, rehearsal marks, chord symbols)."""

from __future__ import annotations

import functools
from fractions import Fraction
from typing import Any

from partita.errors import FormatError, ScoreError
from partita.symbolic.io.musicxml_fields import score_figure
from partita.symbolic.io.musicxml_techniques import is_technique_words, pizzicato_at, pizzicato_changes
from partita.symbolic.pitch import MODES, KeySignature
from partita.symbolic.score import ChordSymbol, Section
from partita.symbolic.timeline import TempoMark, TimeSignature, as_ql

__all__ = ["collect_marks", "children", "of_class", "ql", "read_pizzicato", "snap", "walk"]


#: :func:`as_ql` remembered: a score's offsets and lengths are a few values read again and again
#: (typed: an int, a float and a Fraction of one value give the same answer, a bool does not)
ql = functools.lru_cache(maxsize=4096, typed=True)(as_ql)


def children(container: Any, cls: type) -> list[tuple[Any, Any]]:
    """(element, offset) of the elements of class ``cls`` directly in ``container``, in its
    order: what ``container.getElementsByClass(cls)`` gives, without music21's iterator
    (a quarter of the time of reading the bench score's notes went to it)."""
    offset = container.elementOffset
    return [(e, offset(e)) for e in container.elements if isinstance(e, cls)]


def walk(p21: Any) -> list[tuple[Any, Fraction, Any]]:
    """(element, offset in ``p21``, the measure of ``p21`` that holds it or None) of every element
    under ``p21``, in the order of ``p21.recurse()`` (each element, then what it holds): one walk
    a part instead of one ``recurse()`` per kind of mark and per measure."""
    out: list[tuple[Any, Fraction, Any]] = []

    def visit(container: Any, base: Fraction, top: Any) -> None:
        offset = container.elementOffset
        for e in container.elements:
            off = base + ql(offset(e))
            out.append((e, off, top))
            if e.isStream:
                visit(e, off, e if top is None else top)

    visit(p21, Fraction(0), None)
    return out


def of_class(walked: list[tuple[Any, Fraction, Any]], cls: type) -> list[tuple[Any, Fraction]]:
    return [(e, off) for e, off, _ in walked if isinstance(e, cls)]


def snap(onset: Fraction) -> Fraction:
    """Undo music21's truncation of direction offsets to whole divisions.

    music21 writes a direction's ``<offset>`` as ``int(float difference * divisions)``, which can
    land one division (1/10080 quarter) short. A mark within one division of a
    fraction with a denominator up to 64 is put back on it.
    """
    tolerance = Fraction(1, 10080)
    for den in range(1, 65):
        candidate = Fraction(round(onset * den), den)
        if abs(candidate - onset) <= tolerance:
            return candidate
    return onset


def collect_marks(p21, measures, walked, marks, first_part, i21):
    from music21 import expressions, harmony, key, meter, stream, tempo

    if first_part:
        # meters, and the pickup: a first measure shorter than its meter
        for m in measures:
            # a part without measures (music21 makes none for some ABC tunes) holds its meters itself
            m_offset = ql(p21.elementOffset(m)) if m is not p21 else Fraction(0)
            for ts, ts_off in children(m, meter.TimeSignature):
                onset = m_offset + ql(ts_off)
                if ts.denominator not in (1, 2, 4, 8, 16, 32, 64) or not 1 <= ts.numerator <= 64:
                    raise FormatError(f"time signature {ts.ratioString} is not one partita holds",
                                  bar=m.number if m is not p21 else None)
                new = TimeSignature(onset, int(ts.numerator), int(ts.denominator))
                last = marks.time_signatures[-1] if marks.time_signatures else None
                if last is not None and last.onset == new.onset:
                    marks.time_signatures[-1] = new
                else:
                    marks.time_signatures.append(new)
        if marks.time_signatures and marks.time_signatures[0].onset != 0:
            marks.time_signatures[0] = TimeSignature(0, marks.time_signatures[0].numerator,
                                                     marks.time_signatures[0].denominator)  # fmt: skip
        if not marks.time_signatures:
            marks.time_signatures.append(TimeSignature(0, 4, 4))
        real = [m for m in measures if m is not p21]
        bar_length = marks.time_signatures[0].bar_length
        if len(real) >= 2:
            second = ql(p21.elementOffset(real[1]))
            if 0 < second < bar_length:
                marks.pickup = second
        elif len(real) == 1 and real[0].paddingLeft:
            pad = as_ql(real[0].paddingLeft)
            if 0 < pad < bar_length:
                marks.pickup = bar_length - pad
    # keys: from the first part without a transposing instrument (else the first part)
    transposing = i21 is not None and i21.transposition is not None and i21.transposition.semitones != 0
    if not marks.keys or (marks.keys_from_transposing and not transposing):
        found = []
        for ks, onset in of_class(walked, key.KeySignature):
            fifths = int(ks.sharps)
            while fifths > 7:
                fifths -= 12
            while fifths < -7:
                fifths += 12
            mode = getattr(ks, "mode", None) if isinstance(ks, key.Key) else None
            mode = mode if mode in MODES else "major"
            new = KeySignature(onset, fifths, mode)
            if found and found[-1].onset == onset:
                found[-1] = new
            else:
                found.append(new)
        if found or not marks.keys:
            marks.keys = found
            marks.keys_from_transposing = transposing
    # tempo marks (with a <words> text at the same onset as their text), sections, chords
    texts: dict[Fraction, str] = {}
    for te, off in of_class(walked, expressions.TextExpression):
        if te.content and not is_technique_words(str(te.content)):  # pizz. / arco are no tempo's words
            texts.setdefault(snap(off), str(te.content).strip())
    here: set[Fraction] = set()
    for mm, off in of_class(walked, tempo.MetronomeMark):
        onset = snap(off)
        if onset in marks.tempi and onset not in here:
            continue  # an earlier part gave one
        # two marks at one place in a part: the last is played, as MuseScore 3 plays it
        if onset in here and not mm.text and marks.tempi[onset].text:
            text_kept = marks.tempi[onset].text
        else:
            text_kept = None
        bpm = mm.getQuarterBPM()
        if bpm is None:
            continue
        bpm = round(float(bpm), 6)  # music21 scales by the referent in binary floating point
        text = mm.text if mm.text and not mm.textImplicit else (text_kept or texts.get(onset))
        try:
            marks.tempi[onset] = TempoMark(onset, float(bpm), text or None)
            here.add(onset)
        except ScoreError:
            continue
    for rm, off in of_class(walked, expressions.RehearsalMark):
        onset = snap(off)
        if rm.content and onset not in marks.sections:
            marks.sections[onset] = Section(onset, str(rm.content))
    for cs, off in of_class(walked, harmony.ChordSymbol):
        onset = snap(off)
        figure = cs.figure
        if figure and onset not in marks.chords:
            marks.chords[onset] = ChordSymbol(onset, score_figure(str(figure)))


def read_pizzicato(walked: list[tuple[Any, Fraction, Any]]) -> Any:
    """For a music21 part walked by :func:`walk`: None when
    some note carries the pizzicato attribute (then each note says for itself), else a function
    onset -> pizzicato by the part's words."""
    from music21 import articulations, expressions, note

    for el, _ in of_class(walked, note.GeneralNote):
        if any(isinstance(a, articulations.Pizzicato) for a in el.articulations):
            return None
    words = [(snap(off), str(te.content)) for te, off in of_class(walked, expressions.TextExpression) if te.content]
    changes = pizzicato_changes(words)
    return (lambda onset: pizzicato_at(changes, onset)) if changes else None
