"""Pitch in the Score model: spelled pitch names and MIDI numbers, and key signatures.

Pitches are *sounding* MIDI numbers; a spelling (``"Db4"``, scientific octave) is optional and
must agree with the number.

>>> pitch_from_spelling("Bb3"), spell_pitch(61, fifths=-3), KeySignature(0, -3, "minor").tonic
(58, 'Db4', 'C')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from types import MappingProxyType

from partita.errors import ScoreError
from partita.symbolic.timeline import as_ql

__all__ = ["MODES", "KeySignature", "normalise_spelling", "pitch_from_spelling", "spell_pitch", "transpose_fifths"]

MODES = frozenset(
    {"major", "minor", "dorian", "phrygian", "lydian", "mixolydian", "aeolian", "locrian", "ionian"}
)
_STEP_PC = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_SPELLING_RE = re.compile(r"^([A-Ga-g])(#{1,2}|b{1,2}|x|♯|♭|𝄪|𝄫)?(-?\d+)$")
_ALTER = {None: 0, "#": 1, "##": 2, "x": 2, "♯": 1, "𝄪": 2, "b": -1, "bb": -2, "♭": -1, "𝄫": -2}  # fmt: skip
_SHARP_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
_FLAT_NAMES = ("C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B")


def pitch_from_spelling(spelling: str) -> int:
    """MIDI number of a spelled pitch, scientific octave (``C4`` = 60).

    Accepts ``#``/``b``, doubled, and the Unicode signs. A ``-`` belongs to the octave
    (``C-1`` is MIDI 0), not to the accidental as in music21's names.

    >>> pitch_from_spelling("Bb3"), pitch_from_spelling("B#3"), pitch_from_spelling("C-1")
    (58, 60, 0)
    """
    m = _SPELLING_RE.match(spelling.strip())
    if not m:
        raise ScoreError(f"pitch spelling {spelling!r} is not like 'C#4' or 'Bb3'")
    step, acc, octave = m.group(1).upper(), m.group(2), int(m.group(3))
    return 12 * (octave + 1) + _STEP_PC[step] + _ALTER[acc]


def spell_pitch(pitch: int, *, fifths: int = 0) -> str:
    """Default spelling of a MIDI pitch: sharps in sharp keys and C, flats in flat keys.

    >>> spell_pitch(61), spell_pitch(61, fifths=-3)
    ('C#4', 'Db4')
    """
    names = _FLAT_NAMES if fifths < 0 else _SHARP_NAMES
    return f"{names[pitch % 12]}{pitch // 12 - 1}"


def normalise_spelling(spelling: str) -> str:
    """``'c♭4'`` -> ``'Cb4'``: one canonical way to write a spelling."""
    m = _SPELLING_RE.match(spelling.strip())
    if not m:
        raise ScoreError(f"pitch spelling {spelling!r} is not like 'C#4' or 'Bb3'")
    alter = _ALTER[m.group(2)]
    acc = {0: "", 1: "#", 2: "##", -1: "b", -2: "bb"}[alter]
    return f"{m.group(1).upper()}{acc}{int(m.group(3))}"


def transpose_fifths(fifths: int, semitones: int) -> int:
    """Key signature after transposition, choosing the spelling with fewer accidentals."""
    f = (fifths + 7 * semitones) % 12
    return f - 12 if f > 6 else f


@dataclass(frozen=True, slots=True)
class KeySignature:
    """A key from ``onset`` on: ``fifths`` sharps (negative: flats) and a mode."""

    onset: Fraction
    fifths: int
    mode: str = "major"

    #: How many fifths above the major tonic each mode's tonic sits (A minor: 3 above C).
    _MODE_FIFTHS = MappingProxyType({"major": 0, "ionian": 0, "minor": 3, "aeolian": 3, "dorian": 2,
                                     "phrygian": 4, "lydian": -1, "mixolydian": 1, "locrian": 5})  # fmt: skip

    def __post_init__(self) -> None:
        object.__setattr__(self, "onset", as_ql(self.onset, what="key signature onset"))
        if not (isinstance(self.fifths, int) and -7 <= self.fifths <= 7):
            raise ScoreError(f"key signature of {self.fifths!r} fifths is outside -7..7", onset=self.onset)
        if self.mode not in MODES:
            raise ScoreError(f"unknown mode {self.mode!r}; known: {', '.join(sorted(MODES))}", onset=self.onset)

    @property
    def tonic(self) -> str:
        """Tonic pitch class name, e.g. ``'A'`` for 0 fifths minor."""
        line = self.fifths + 1 + self._MODE_FIFTHS[self.mode]  # on the line of fifths, F = 0
        step = "FCGDAEB"[line % 7]
        sharps = line // 7
        return step + ("#" * sharps if sharps > 0 else "b" * -sharps)

    @property
    def tonic_pc(self) -> int:
        """Tonic pitch class 0-11."""
        return pitch_from_spelling(self.tonic + "4") % 12

    @property
    def scale_pcs(self) -> frozenset[int]:
        """The seven pitch classes of the key signature."""
        return frozenset((7 * k) % 12 for k in range(self.fifths - 1, self.fifths + 6))

    def __str__(self) -> str:
        return f"{self.tonic} {self.mode}"
