"""Write small scores as text: the examples of the docs and the rule tests use it.

Each part is a string of space-separated events, one after the other from the start (or the
pickup): ``"C5"`` (a quarter note), ``"C5:2"`` (two quarters), ``"C5:1/2"``, ``"r"`` or ``"r:2"``
(rests), ``"C4+E4+G4:2"`` (a chord), ``"C5~"`` (tied to the next note). Spellings are kept on
the notes.

>>> s = sketch({"Soprano": "E5 D5 C5:2", "Bass": "C3 G2 C3:2"}, key="C major")
>>> [(p.name, p.instrument, len(p.notes)) for p in s.parts]
[('Soprano', 'soprano', 3), ('Bass', 'bass', 3)]
>>> s.key_signatures[0].mode
'major'
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Mapping

from partita.errors import ScoreError
from partita.symbolic.pitch import KeySignature, pitch_from_spelling
from partita.symbolic.score import ChordSymbol, Note, Part, Score
from partita.symbolic.timeline import TimeSignature

__all__ = ["sketch", "parse_key"]

_KEY_RE = re.compile(r"^\s*([A-Ga-g])([#b]?)\s+(\w+)\s*$")
_MAJOR_FIFTHS = {"C": 0, "G": 1, "D": 2, "A": 3, "E": 4, "B": 5, "F#": 6, "C#": 7, "F": -1, "Bb": -2,
                 "Eb": -3, "Ab": -4, "Db": -5, "Gb": -6, "Cb": -7}  # fmt: skip
_MODE_SHIFT = {"major": 0, "ionian": 0, "minor": 3, "aeolian": 3, "dorian": 2, "phrygian": 4,
               "lydian": -1, "mixolydian": 1, "locrian": 5}  # fmt: skip


def parse_key(text: str, *, onset: Fraction | int = 0) -> KeySignature:
    """``"A minor"`` -> ``KeySignature(fifths=0, mode="minor")``.

    >>> parse_key("E minor").fifths, parse_key("Bb major").fifths
    (1, -2)
    """
    m = _KEY_RE.match(text)
    if not m or m.group(3).lower() not in _MODE_SHIFT:
        raise ScoreError(f"key {text!r} is not like 'A minor' or 'Eb major'")
    mode = m.group(3).lower()
    tonic = m.group(1).upper() + m.group(2)
    # fifths of the tonic as a major key, minus the mode's offset
    line = {"F": -1, "C": 0, "G": 1, "D": 2, "A": 3, "E": 4, "B": 5}[tonic[0]] + 7 * (
        tonic.count("#") - tonic.count("b")
    )
    fifths = line - _MODE_SHIFT[mode]
    if not -7 <= fifths <= 7:
        raise ScoreError(f"key {text!r} needs more than 7 sharps or flats")
    return KeySignature(onset, fifths, mode)


def _instrument_for(name: str) -> str:
    from partita import instruments

    try:
        return instruments.lookup(name).id
    except Exception:
        return "piano"


def sketch(
    parts: Mapping[str, str],
    *,
    key: str | None = None,
    meter: str = "4/4",
    pickup: Fraction | int | str = 0,
    instruments: Mapping[str, str] | None = None,
    chords: Mapping[Fraction | int | str, str] | None = None,
    title: str = "sketch",
) -> Score:
    """A Score from one event string per part (see the module docstring).

    Parameters
    ----------
    parts
        Part name -> events. The part id is the name in lower case with spaces as ``_``.
    key
        ``"D minor"``; ``None`` for no key signature.
    meter
        ``"3/4"``.
    pickup
        Length of the pickup bar in quarter-lengths.
    instruments
        Part name -> instrument id; by default looked up from the name (``"Violin I"`` ->
        violin), else piano.
    chords
        Onset (quarter-lengths) -> chord figure, e.g. ``{0: "C", 2: "G7"}``.
    """
    num, den = meter.split("/")
    out = []
    for name, events in parts.items():
        inst = (instruments or {}).get(name) or _instrument_for(name)
        t = Fraction(0)
        notes = []
        for ev in events.split():
            tie_on = ev.endswith("~")
            ev = ev.rstrip("~")
            body, _, dur = ev.partition(":")
            d = Fraction(dur) if dur else Fraction(1)
            if body.lower() != "r":
                for spelling in body.split("+"):
                    notes.append(
                        Note(t, d, pitch_from_spelling(spelling), spelling=spelling, tie="start" if tie_on else None)
                    )
            t += d
        # close ties: a note after a tie start is its stop
        fixed = []
        for i, n in enumerate(notes):
            prev_tied = any(p.tie in ("start", "continue") and p.end == n.onset and p.pitch == n.pitch for p in notes[:i])
            if prev_tied:
                n = Note(n.onset, n.duration, n.pitch, spelling=n.spelling, tie="continue" if n.tie == "start" else "stop")
            fixed.append(n)
        out.append(Part(name.lower().replace(" ", "_"), name, inst, tuple(fixed)))
    return Score(
        title=title,
        parts=tuple(out),
        time_signatures=(TimeSignature(0, int(num), int(den)),),
        key_signatures=(parse_key(key),) if key else (),
        pickup=Fraction(pickup),
        chords=tuple(ChordSymbol(Fraction(o), f) for o, f in (chords or {}).items()),
    )
