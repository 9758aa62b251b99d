"""How a part is drawn, beside what it plays: octave lines, clef changes and cross-staff notes.

Notes are kept at sounding pitch; these marks only say how a score prints them, so that a
score read from MusicXML and written again looks as it did (MuseScore 3 shows the same lines,
clefs and staves). Playback ignores them: an 8va line's notes already sound an octave up.

- :class:`OctaveLine`: an 8va/8vb/15ma/15mb/22ma line over ``onset``-``end`` on one staff;
  ``shift`` is the octaves the notes sound above where they are drawn (``+1`` for 8va,
  ``-1`` for 8vb, ``+2`` for 15ma).
- :class:`ClefChange`: a clef set inside a part (not its first clef), at ``onset`` on ``staff``,
  as MusicXML writes it: ``sign`` (G, F, C, percussion, TAB), ``line``, ``octave`` (the
  ``clef-octave-change``: -1 for a tenor's treble clef with an 8 below).
- :class:`CrossStaff`: a note drawn on another staff of its grand staff than its voice's own
  (voice 5, which lives on the lower staff, drawn on the upper one).

Onsets are quarter-lengths from the start of the score, as every mark of the Score; staves are
numbered from 1 (the upper staff of a grand staff).

>>> OctaveLine(4, 8, 1).name
'8va'
>>> ClefChange(6, "F", 4).name
'bass'
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from partita.errors import ScoreError
from partita.symbolic.timeline import as_ql

__all__ = ["OctaveLine", "ClefChange", "CrossStaff", "OCTAVE_SIZES"]

#: MusicXML's ``size`` of an ``<octave-shift>`` by the octaves it shifts (8 = one octave).
OCTAVE_SIZES = {1: 8, 2: 15, 3: 22}

_CLEF_NAMES = {("G", 2, 0): "treble", ("F", 4, 0): "bass", ("C", 3, 0): "alto", ("C", 4, 0): "tenor",
               ("G", 2, -1): "treble8vb", ("G", 2, 1): "treble8va", ("F", 4, -1): "bass8vb",
               ("C", 1, 0): "soprano", ("C", 2, 0): "mezzo-soprano", ("C", 5, 0): "baritone-c",
               ("F", 3, 0): "baritone-f", ("F", 5, 0): "subbass", ("G", 1, 0): "french-violin",
               ("percussion", 0, 0): "percussion", ("TAB", 0, 0): "tab"}  # fmt: skip
_SIGNS = frozenset({"G", "F", "C", "percussion", "TAB", "none"})


def _staff(value: int, what: str, onset: Fraction) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 16:
        raise ScoreError(f"{what} on staff {value!r}: staves are numbered 1-16", onset=onset)
    return value


@dataclass(frozen=True, slots=True)
class OctaveLine:
    """An octave line (8va, 8vb, 15ma, 15mb, 22ma, 22mb) from ``onset`` to ``end`` on ``staff``."""

    onset: Fraction
    end: Fraction
    shift: int
    staff: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "onset", as_ql(self.onset, what="octave line onset"))
        object.__setattr__(self, "end", as_ql(self.end, what="octave line end"))
        if self.onset < 0 or self.end < self.onset:
            raise ScoreError(f"an octave line from {self.onset} to {self.end}", onset=self.onset)
        if self.shift not in (-3, -2, -1, 1, 2, 3):
            raise ScoreError(f"an octave line shifts 1-3 octaves up or down, not {self.shift!r}", onset=self.onset)
        _staff(self.staff, "octave line", self.onset)

    @property
    def name(self) -> str:
        """``8va``, ``8vb``, ``15ma``, ``15mb``, ``22ma`` or ``22mb``."""
        size = OCTAVE_SIZES[abs(self.shift)]
        if size == 8:
            return "8va" if self.shift > 0 else "8vb"
        return f"{size}m{'a' if self.shift > 0 else 'b'}"


@dataclass(frozen=True, slots=True)
class ClefChange:
    """A clef set at ``onset`` on ``staff`` of a part, after its first clef."""

    onset: Fraction
    sign: str
    line: int = 0
    octave: int = 0
    staff: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "onset", as_ql(self.onset, what="clef onset"))
        if self.onset < 0:
            raise ScoreError("a clef at a negative onset", onset=self.onset)
        if self.sign not in _SIGNS:
            raise ScoreError(f"unknown clef sign {self.sign!r}; known: {', '.join(sorted(_SIGNS))}", onset=self.onset)
        if not isinstance(self.line, int) or not 0 <= self.line <= 5:
            raise ScoreError(f"a clef on line {self.line!r}: lines are 1-5 (0: none)", onset=self.onset)
        if not isinstance(self.octave, int) or not -2 <= self.octave <= 2:
            raise ScoreError(f"a clef octave change of {self.octave!r} is outside -2..2", onset=self.onset)
        _staff(self.staff, "clef", self.onset)

    @property
    def name(self) -> str:
        """A readable name (``treble``, ``bass``, ``tenor``, ``treble8vb``...), else sign+line."""
        return _CLEF_NAMES.get((self.sign, self.line, self.octave), f"{self.sign}{self.line or ''}")


@dataclass(frozen=True, slots=True)
class CrossStaff:
    """The note at ``onset`` of ``voice`` sounding ``pitch`` is drawn on ``staff``."""

    onset: Fraction
    voice: int
    pitch: int
    staff: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "onset", as_ql(self.onset, what="cross-staff note onset"))
        _staff(self.staff, "cross-staff note", self.onset)
