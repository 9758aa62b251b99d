"""What a note accepts: the checks a :class:`~partita.symbolic.score.Note` runs when it is made.

A reader makes thousands of notes (4,620 in the 8-part benchmark score), so each test takes the
common case's cheap path first: a Fraction that needs no conversion, a Fraction's sign from its
numerator, articulations already a frozenset of known ones, no loop over fields that are absent.
The checks, their order and their messages are the model's own (``tests/test_score.py``).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from partita.errors import ScoreError
from partita.symbolic.pitch import normalise_spelling, pitch_from_spelling
from partita.symbolic.timeline import MAX_DENOMINATOR, as_ql

__all__ = ["ARTICULATIONS", "TIE_OR_SLUR_STATES", "check_note"]

#: Articulations a note can carry; they map one to one onto MusicXML's and music21's.
#: ``pizzicato`` is a playing technique rather than an articulation, but it belongs to the note as
#: they do (MusicXML's ``<note pizzicato="yes">``, music21's ``Pizzicato`` articulation).
ARTICULATIONS = frozenset({"staccato", "staccatissimo", "tenuto", "accent", "marcato", "fermata", "pizzicato"})

TIE_OR_SLUR_STATES = frozenset({"start", "continue", "stop"})


def check_note(note: Any) -> None:
    """Check a :class:`~partita.symbolic.score.Note` as it is made, converting its fields in place
    (quarter-lengths to Fractions, a whole float pitch to an int, articulations to a frozenset,
    the expression numbers to floats); raise :class:`~partita.errors.ScoreError` naming its onset."""
    set_ = object.__setattr__
    onset = note.onset
    if type(onset) is not Fraction or onset.denominator > MAX_DENOMINATOR:
        onset = as_ql(onset, what="onset")
        set_(note, "onset", onset)
    duration = note.duration
    if type(duration) is not Fraction or duration.denominator > MAX_DENOMINATOR:
        duration = as_ql(duration, what="duration")
        set_(note, "duration", duration)
    if onset.numerator < 0:  # a Fraction's sign is its numerator's
        raise ScoreError(f"note onset {onset} is negative", onset=onset)
    if duration.numerator <= 0:
        raise ScoreError(f"note duration {duration} is not positive", onset=onset)
    if type(note.pitch) is not int:
        if isinstance(note.pitch, bool) or not isinstance(note.pitch, int):
            try:
                pitch = int(note.pitch)
            except (TypeError, ValueError):
                raise ScoreError(f"pitch {note.pitch!r} is not a MIDI number", onset=onset) from None
            if pitch != note.pitch:
                raise ScoreError(f"pitch {note.pitch!r} is not a whole MIDI number", onset=onset)
            set_(note, "pitch", pitch)
    if not 0 <= note.pitch <= 127:
        raise ScoreError(f"pitch {note.pitch} is outside MIDI's 0-127", onset=onset)
    if note.spelling is not None:
        spelling = normalise_spelling(note.spelling)
        if pitch_from_spelling(spelling) != note.pitch:
            raise ScoreError(
                f"spelling {note.spelling!r} does not sound pitch {note.pitch}", onset=onset
            )
        set_(note, "spelling", spelling)
    velocity = note.velocity
    if velocity is not None and not (type(velocity) is int and 1 <= velocity <= 127):
        if not (isinstance(velocity, int) and 1 <= velocity <= 127):
            raise ScoreError(f"velocity {velocity!r} is outside 1-127", onset=onset)
    arts = note.articulations
    if type(arts) is not frozenset or not arts <= ARTICULATIONS:
        arts = frozenset(arts)
        unknown = arts - ARTICULATIONS
        if unknown:
            raise ScoreError(
                f"unknown articulation {sorted(unknown)[0]!r}; known: {', '.join(sorted(ARTICULATIONS))}",
                onset=onset,
            )
        set_(note, "articulations", arts)
    if note.tie is not None or note.slur is not None:
        for name in ("tie", "slur"):
            value = getattr(note, name)
            if value is not None and value not in TIE_OR_SLUR_STATES:
                raise ScoreError(f"{name} {value!r} is not start, continue or stop", onset=onset)
    if type(note.voice) is not int or note.voice < 1:
        if not isinstance(note.voice, int) or note.voice < 1:
            raise ScoreError(f"voice {note.voice!r} must be a whole number from 1", onset=onset)
    if note.vibrato_depth_cents is None and note.vibrato_rate_hz is None and note.brightness is None:
        return
    for name, low, high in (
        ("vibrato_depth_cents", 0.0, 200.0),
        ("vibrato_rate_hz", 0.0, 20.0),
        ("brightness", 0.0, 1.0),
    ):
        value = getattr(note, name)
        if value is not None:
            value = float(value)
            if not (math.isfinite(value) and low <= value <= high):
                raise ScoreError(f"{name} {value} is outside {low:g}-{high:g}", onset=onset)
            set_(note, name, value)
