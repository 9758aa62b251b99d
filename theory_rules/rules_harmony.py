"""Harmony rule: non-chord tones on strong beats, when the score has chord symbols."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from partita.theory_rules.core import Rule, RuleSkipped, Violation, register
from partita.theory_rules.lines import ScoreView, where
from partita.theory_rules.rules_rhythm import position_in_bar

__all__ = ["NonChordTone", "chord_pitch_classes", "is_strong"]


@functools.lru_cache(maxsize=512)
def chord_pitch_classes(figure: str) -> frozenset[int] | None:
    """Pitch classes of a chord symbol (``"Am7"`` -> {9, 0, 4, 7}), read by music21's
    ``harmony.ChordSymbol``; ``None`` when music21 cannot read the figure.

    >>> sorted(chord_pitch_classes("G7"))
    [2, 5, 7, 11]
    """
    from music21 import harmony  # heavy: only when a score has chord symbols

    try:
        cs = harmony.ChordSymbol(figure)
        pcs = frozenset(p.pitchClass for p in cs.pitches)
    except Exception:  # music21 raises assorted errors on figures it cannot read
        return None
    return pcs or None


def is_strong(score, onset: Fraction, *, which: str = "downbeat-and-middle", view=None) -> bool:
    """Whether ``onset`` is a strong beat: the bar's downbeat, and (``"downbeat-and-middle"``)
    the middle of a bar of 4 or 12 beats (beat 3 of 4/4, the second dotted half of 12/8).

    >>> from partita.symbolic.score import Score
    >>> [is_strong(Score(), Fraction(b)) for b in range(4)]
    [True, False, True, False]
    """
    if view is not None:
        _, into, length, _ = view.position(onset)
    else:
        _, into, length = position_in_bar(score, onset)
    if into == 0:
        return True
    if which == "downbeat-and-middle":
        ts = score.time_signature_at(onset)
        return ts.numerator in (4, 12) and into == length / 2
    return False


@dataclass(frozen=True, slots=True)
class ChordToneParams:
    """``strong_beats``: which beats are strong (see :func:`is_strong`)."""

    strong_beats: Literal["downbeat", "downbeat-and-middle"] = "downbeat-and-middle"

    def __post_init__(self) -> None:
        if self.strong_beats not in ("downbeat", "downbeat-and-middle"):
            raise ValueError("strong_beats must be downbeat or downbeat-and-middle")


@register
class NonChordTone(Rule):
    """A note struck on a strong beat whose pitch class is not in the chord symbol in force.

    Chord symbols music21 cannot read are treated as no chord (nothing is reported under them).
    """

    id = "non-chord-tone"
    description = "a note on a strong beat that is not in the chord symbol in force"
    category = "harmony"
    default_severity = "warning"
    Params = ChordToneParams

    def _check(self, view: ScoreView) -> list[Violation]:
        score = view.score
        chords = score.chords
        if not chords:
            raise RuleSkipped("the score has no chord symbols")
        import bisect

        starts = [c.onset for c in chords]
        out = []
        for part in score.parts:
            for n in part.notes:
                i = bisect.bisect_right(starts, n.onset) - 1
                if i < 0 or not is_strong(score, n.onset, which=self.params.strong_beats, view=view):
                    continue
                pcs = chord_pitch_classes(chords[i].figure)
                if pcs is None or n.pitch % 12 in pcs:
                    continue
                text = f"{n.name} is not in the chord {chords[i].figure} on a strong beat, {where(view, n.onset)}"
                out.append(self.violation(view, parts=(part,), onset=n.onset, notes=(n,), text=text))
        return out
