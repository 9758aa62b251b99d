"""Grace notes and ornaments: what a part's notes carry beyond pitch and rhythm.

They live beside the notes (``Part.graces``, ``Part.ornaments``), not in them, so that the
rules, the tokens and the voice checks see the written rhythm unchanged; the performer
(:mod:`partita.symbolic.playback`) turns them into sound.

>>> GraceNote(onset=2, pitch=74)
GraceNote(onset=Fraction(2, 1), pitch=74, spelling=None, voice=1, slash=True, value=Fraction(1, 2), order=0)
>>> Ornament("trill", onset=0, accidental=1).kind
'trill'
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from partita.errors import ScoreError
from partita.symbolic.timeline import as_ql

__all__ = ["GraceNote", "Ornament", "ORNAMENT_KINDS", "SPAN_KINDS"]

#: Ornaments on one note (or chord): ``trill``, ``mordent`` (lower), ``inverted-mordent``
#: (upper), ``turn``, ``inverted-turn``, ``tremolo`` (single-note, ``strokes`` beams),
#: ``tremolo-two`` (alternating with ``pitch``), ``arpeggio`` (``direction`` up/down),
#: ``breath`` and ``caesura`` (a pause after the note); spans: ``glissando`` and
#: ``portamento`` (to the next note, ``pitch``), ``pedal`` (sustain from onset to ``end``).
NOTE_KINDS = frozenset({"trill", "mordent", "inverted-mordent", "turn", "inverted-turn", "tremolo",
                        "tremolo-two", "arpeggio", "breath", "caesura"})  # fmt: skip
SPAN_KINDS = frozenset({"glissando", "portamento", "pedal"})
ORNAMENT_KINDS = NOTE_KINDS | SPAN_KINDS


@dataclass(frozen=True, slots=True)
class GraceNote:
    """A grace note before the principal note at ``onset`` in ``voice``.

    ``slash``: an acciaccatura, played just before the beat; otherwise an appoggiatura, played on
    the beat, taking its share (its written ``value``, in quarter-lengths) of the principal note.
    ``order`` counts the grace notes before one principal note from 0; notes of a grace chord
    share it. ``pitch`` is sounding MIDI pitch, ``spelling`` as in :class:`~partita.symbolic.score.Note`
    (checked against the pitch by the Part that holds it).
    """

    onset: Fraction
    pitch: int
    spelling: str | None = None
    voice: int = 1
    slash: bool = True
    value: Fraction = Fraction(1, 2)
    order: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "onset", as_ql(self.onset, what="grace note onset"))
        object.__setattr__(self, "value", as_ql(self.value, what="grace note value"))
        if self.onset < 0 or self.value <= 0:
            raise ScoreError("a grace note needs a non-negative onset and a positive value", onset=self.onset)
        if not isinstance(self.pitch, int) or not 0 <= self.pitch <= 127:
            raise ScoreError(f"grace note pitch {self.pitch!r} is outside MIDI's 0-127", onset=self.onset)
        if not isinstance(self.voice, int) or self.voice < 1 or not isinstance(self.order, int) or self.order < 0:
            raise ScoreError("grace note voice from 1 and order from 0", onset=self.onset)


@dataclass(frozen=True, slots=True)
class Ornament:
    """An ornament on the note(s) of ``voice`` starting at ``onset`` (see :data:`ORNAMENT_KINDS`).

    ``accidental``: the alteration of a trill's, mordent's or turn's auxiliary note (-2..2;
    ``None``: as the key signature has it). ``strokes``: a tremolo's beams (3: thirty-seconds).
    ``pitch``: a two-note tremolo's second note, a glissando's target. ``end``: where a pedal is
    released (quarter-lengths). ``direction``: an arpeggio's, ``"up"`` or ``"down"``.
    """

    kind: str
    onset: Fraction
    voice: int = 1
    accidental: int | None = None
    strokes: int = 0
    pitch: int | None = None
    end: Fraction | None = None
    direction: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "onset", as_ql(self.onset, what="ornament onset"))
        if self.kind not in ORNAMENT_KINDS:
            raise ScoreError(f"unknown ornament {self.kind!r}; known: {', '.join(sorted(ORNAMENT_KINDS))}")
        if self.onset < 0:
            raise ScoreError(f"{self.kind} at a negative onset", onset=self.onset)
        if self.end is not None:
            object.__setattr__(self, "end", as_ql(self.end, what=f"{self.kind} end"))
            if self.end <= self.onset:
                raise ScoreError(f"{self.kind} ends before it starts", onset=self.onset)
        if self.accidental is not None and self.accidental not in (-2, -1, 0, 1, 2):
            raise ScoreError(f"{self.kind} accidental {self.accidental!r} is outside -2..2", onset=self.onset)
        if not isinstance(self.strokes, int) or not 0 <= self.strokes <= 5:
            raise ScoreError(f"tremolo strokes {self.strokes!r} outside 0-5", onset=self.onset)
        if self.pitch is not None and not (isinstance(self.pitch, int) and 0 <= self.pitch <= 127):
            raise ScoreError(f"{self.kind} pitch {self.pitch!r} is outside MIDI's 0-127", onset=self.onset)
        if self.direction not in (None, "up", "down"):
            raise ScoreError(f"arpeggio direction {self.direction!r} is not up or down", onset=self.onset)
