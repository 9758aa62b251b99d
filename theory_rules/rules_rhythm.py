"""Rhythm rules: bar fill, the onset grid, overlapping notes.

The Score model keeps rests implicit, so a bar can only be *mis*-filled by a note that runs
over its bar line (an overfull bar: notation writes it as two tied notes, split at the bar
line; MIDI files and miditok's REMI can hold such notes, the composer's masks never write
them). Overlapping notes within one voice are rejected by the Score model itself
(:class:`~partita.errors.ScoreError`); what can still overlap is the same pitch struck again
in another voice of the part while the first is held, which no player or MIDI channel can do.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from partita.theory_rules.core import Rule, Violation, register
from partita.theory_rules.lines import ScoreView, where

__all__ = ["BarFill", "OffGrid", "SamePitchOverlap", "position_in_bar"]


def position_in_bar(score, onset: Fraction) -> tuple[int, Fraction, Fraction]:
    """(bar number, quarter-lengths from the bar's start, bar length) of ``onset``.

    A pickup bar counts from where a full bar would start, as :meth:`Score.bar_of` does.

    >>> from partita.symbolic.score import Score
    >>> from partita.symbolic.timeline import TimeSignature
    >>> position_in_bar(Score(time_signatures=(TimeSignature(0, 3, 4),)), Fraction(7, 2))
    (2, Fraction(1, 2), Fraction(3, 1))
    """
    pos = score.bar_of(onset)
    ts = score.time_signature_at(onset)
    return pos.bar, (pos.beat - 1) * ts.beat_length, ts.bar_length


@register
class BarFill(Rule):
    """A note running over its bar line: the bar is overfull. Write it as notes split at the
    bar line and tied (which is how MusicXML files arrive)."""

    id = "bar-fill"
    description = "a note that runs over its bar line (overfull bar; split it and tie)"
    category = "rhythm"
    default_severity = "warning"

    def _check(self, view: ScoreView) -> list[Violation]:
        score = view.score
        out = []
        for part in score.parts:
            for n in part.notes:
                pos, _, _, bar_end = view.position(n.onset)
                bar = pos.bar
                if n.onset + n.duration > bar_end:
                    over = n.onset + n.duration - bar_end
                    text = (
                        f"{n.name} at {where(view, n.onset)} runs {over} quarter{'' if over == 1 else 's'} "
                        f"into bar {bar + 1}; split it at the bar line and tie"
                    )
                    out.append(self.violation(view, parts=(part,), onset=n.onset, notes=(n,), text=text))
        return out


@dataclass(frozen=True, slots=True)
class GridParams:
    """``grids``: an onset is on the grid when its distance from the bar line is a whole
    multiple of one of these quarter-lengths (default: sixteenths and eighth-note triplets)."""

    grids: tuple[Fraction, ...] = (Fraction(1, 4), Fraction(1, 3))

    def __post_init__(self) -> None:
        grids = tuple(Fraction(g) for g in self.grids)
        if not grids or any(g <= 0 for g in grids):
            raise ValueError("grids must be positive quarter-lengths")
        object.__setattr__(self, "grids", grids)


@register
class OffGrid(Rule):
    """A note whose onset does not fall on the allowed grid (relative to its bar line)."""

    id = "off-grid"
    description = "a note starting off the allowed rhythmic grid"
    category = "rhythm"
    default_severity = "warning"
    Params = GridParams

    def _check(self, view: ScoreView) -> list[Violation]:
        score = view.score
        grids = self.params.grids
        out = []
        for part in score.parts:
            last = None
            for n in part.notes:
                if n.onset == last:
                    continue  # one report per onset (a chord)
                into = view.position(n.onset)[1]
                if any((into / g).denominator == 1 for g in grids):
                    continue
                last = n.onset
                names = ", ".join(str(g) for g in grids)
                text = f"{n.name} starts off the grid ({names} quarters), {where(view, n.onset)}"
                out.append(self.violation(view, parts=(part,), onset=n.onset, notes=(n,), text=text))
        return out


@register
class SamePitchOverlap(Rule):
    """The same pitch starting again in a part (in another voice) while it is still held.

    Two voices sharing a note that starts at the same time (a unison written in two voices) is
    fine and not reported."""

    id = "same-pitch-overlap"
    description = "a pitch struck again in the same part while it is still sounding"
    category = "rhythm"
    default_severity = "warning"

    def _check(self, view: ScoreView) -> list[Violation]:
        score = view.score
        out = []
        for part in score.parts:
            held: dict[int, object] = {}
            for n in part.notes:
                prev = held.get(n.pitch)
                if prev is not None and prev.onset < n.onset < prev.end:
                    text = (
                        f"{n.name} starts again at {where(view, n.onset)} while the {prev.name} from "
                        f"{where(view, prev.onset)} still sounds"
                    )
                    out.append(self.violation(view, parts=(part,), onset=n.onset, notes=(prev, n), text=text))
                if prev is None or n.end > prev.end:
                    held[n.pitch] = n
        return out
