"""Range and playability rules: what an instrument can (comfortably) play.

Ranges are the catalog's *sounding* MIDI ranges (:func:`partita.instruments.get`), inclusive,
compared with the score's sounding pitches.
"""

from __future__ import annotations

from dataclasses import dataclass

from partita.symbolic.pitch import spell_pitch
from partita.theory_rules.core import Rule, Violation, register
from partita.theory_rules.lines import ScoreView, where

__all__ = ["RangePlayable", "RangeComfortable", "MonophonicChords"]


def _instrument(part):
    from partita import instruments

    return instruments.get(part.instrument)


def _span(lo: int, hi: int) -> str:
    return f"{spell_pitch(lo)}–{spell_pitch(hi)}"


@dataclass(frozen=True, slots=True)
class RangeParams:
    """``margin_semitones``: widen the instrument's range by this much at both ends."""

    margin_semitones: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.margin_semitones <= 24:
            raise ValueError("margin_semitones must be 0-24")


def _out_of_range(rule: Rule, view: ScoreView, attr: str, what: str, *, inside: str | None = None) -> list[Violation]:
    out = []
    m = rule.params.margin_semitones
    for part in view.score.parts:
        inst = _instrument(part)
        lo, hi = getattr(inst, attr)
        lo, hi = lo - m, hi + m
        if inside is not None:
            ilo, ihi = getattr(inst, inside)
        for n in part.notes:
            if lo <= n.pitch <= hi:
                continue
            if inside is not None and not (ilo <= n.pitch <= ihi):
                continue  # the stricter rule (playable range) reports it
            side = "below" if n.pitch < lo else "above"
            text = (
                f"{n.name} is {side} the {what} range of {inst.name} ({_span(lo, hi)}), "
                f"{where(view, n.onset)}"
            )
            out.append(rule.violation(view, parts=(part,), onset=n.onset, notes=(n,), text=text))
    return out


@register
class RangePlayable(Rule):
    """A note outside its instrument's playable (sounding) range."""

    id = "range-playable"
    description = "a note outside its instrument's playable range"
    category = "range"
    default_severity = "error"
    Params = RangeParams

    def _check(self, view: ScoreView) -> list[Violation]:
        return _out_of_range(self, view, "sounding_range", "playable")


@register
class RangeComfortable(Rule):
    """A note inside the playable range but outside the comfortable one (notes outside the
    playable range are left to ``range-playable``)."""

    id = "range-comfortable"
    description = "a note outside its instrument's comfortable range (but playable)"
    category = "range"
    default_severity = "warning"
    Params = RangeParams

    def _check(self, view: ScoreView) -> list[Violation]:
        return _out_of_range(self, view, "comfortable_range", "comfortable", inside="sounding_range")


@register
class MonophonicChords(Rule):
    """Two notes sounding at once in a part whose instrument plays one note at a time
    (a chord, or a second voice starting under a held note). Reported once per onset where
    it happens."""

    id = "monophonic-chords"
    description = "more than one note at once on a monophonic instrument"
    category = "range"
    default_severity = "error"

    def _check(self, view: ScoreView) -> list[Violation]:
        out = []
        for part in view.score.parts:
            inst = _instrument(part)
            if not inst.monophonic:
                continue
            notes = part.notes
            i = 0
            sounding: list = []
            while i < len(notes):
                t = notes[i].onset
                starting = []
                while i < len(notes) and notes[i].onset == t:
                    starting.append(notes[i])
                    i += 1
                sounding = [n for n in sounding if n.end > t]
                if len(starting) + len(sounding) > 1:
                    involved = tuple(sorted(sounding + starting, key=lambda n: (n.onset, n.pitch)))
                    names = ", ".join(n.name for n in involved)
                    text = (
                        f"{len(involved)} notes at once ({names}) on {inst.name}, which plays one "
                        f"at a time, {where(view, t)}"
                    )
                    out.append(self.violation(view, parts=(part,), onset=t, notes=involved, text=text))
                sounding.extend(starting)
        return out
