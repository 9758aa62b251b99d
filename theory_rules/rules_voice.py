"""Voice-leading rules: motion between parts, and the shape of each melodic line.

Lines, voice order and the sonority timeline are defined in :mod:`partita.theory_rules.lines`.
A violation is placed where the faulty motion *starts* (the first of the two sonorities of a
parallel, the note a leap leaves); the message names both ends.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Iterator, Literal

from partita.symbolic.pitch import spell_pitch
from partita.theory_rules.core import Rule, RuleSkipped, Violation, register
from partita.theory_rules.lines import Line, ScoreView, where

__all__ = [
    "ParallelFifths",
    "ParallelOctaves",
    "ParallelUnisons",
    "HiddenFifths",
    "HiddenOctaves",
    "VoiceCrossing",
    "VoiceOverlap",
    "Spacing",
    "LeadingTone",
    "LeapTooLarge",
    "AugmentedInterval",
    "LeapRecovery",
    "interval_name",
]


def _sign(x: int) -> int:
    return (x > 0) - (x < 0)


def _motions(view: ScoreView, a: Line, b: Line) -> Iterator[tuple[Fraction, Fraction, tuple, tuple]]:
    """Consecutive sonorities of two lines where both sound at both points:
    ``(t1, t2, (a1, b1), (a2, b2))``."""
    prev = None
    for t, na, nb in view.pair(a, b):
        if na is None or nb is None:
            prev = None
            continue
        if prev is not None:
            yield prev[0], t, (prev[1], prev[2]), (na, nb)
        prev = (t, na, nb)


def _span(view: ScoreView, t1: Fraction, t2: Fraction) -> str:
    return f"{view.bar_of(t1)} → {view.bar_of(t2)}"


def _in_score_order(view: ScoreView, *lines: Line) -> tuple:
    return tuple(sorted(lines, key=lambda line: view.order[id(line)]))


class _BetweenLines(Rule):
    """Shared plumbing of rules between two lines."""

    def _report(self, view: ScoreView, a: Line, b: Line, onset: Fraction, notes, text: str) -> Violation:
        x, y = _in_score_order(view, a, b)
        parts = (x.part,) if x.part is y.part else (x.part, y.part)
        notes = tuple(sorted(dict.fromkeys(notes), key=lambda n: (n.onset, -n.pitch)))
        return self.violation(view, parts=parts, onset=onset, notes=notes, text=text, who=f"{x.label} and {y.label}")


@dataclass(frozen=True, slots=True)
class ParallelParams:
    """``contrary``: also count the same perfect interval reached by contrary motion
    (consecutive fifths or octaves, e.g. a fifth to a twelfth)."""

    contrary: bool = True


class _Parallel(_BetweenLines):
    Params = ParallelParams
    default_severity = "error"
    category = "voice-leading"
    _what = ""

    @staticmethod
    def _kind(interval: int) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def _both(self, i1: int, i2: int) -> bool:
        return self._kind(i1) and self._kind(i2)

    def _check(self, view: ScoreView) -> list[Violation]:
        out = []
        for a, b in view.pairs_to_check(self.id):
            for t1, t2, (a1, b1), (a2, b2) in _motions(view, a, b):
                da, db = a2.pitch - a1.pitch, b2.pitch - b1.pitch
                if da == 0 or db == 0:
                    continue
                if _sign(da) != _sign(db) and not self.params.contrary:
                    continue
                i1, i2 = abs(a1.pitch - b1.pitch), abs(a2.pitch - b2.pitch)
                if self._both(i1, i2):
                    how = "parallel" if _sign(da) == _sign(db) else "consecutive (contrary motion)"
                    text = f"{how} {self._what}, {_span(view, t1, t2)}"
                    out.append(self._report(view, a, b, t1, (a1, b1, a2, b2), text))
        return out


@register
class ParallelFifths(_Parallel):
    """Two lines a perfect fifth (or compound fifth) apart both move to another one."""

    id = "parallel-fifths"
    description = "two parts moving in perfect fifths"
    _what = "fifths"

    @staticmethod
    def _kind(interval: int) -> bool:
        return interval % 12 == 7


@register
class ParallelOctaves(_Parallel):
    """Two lines an octave (or compound octave) apart both move to another octave (unisons
    are ``parallel-unisons``; motion between a unison and an octave is neither, as in
    music21's ``VoiceLeadingQuartet``)."""

    id = "parallel-octaves"
    description = "two parts moving in octaves"
    _what = "octaves"

    @staticmethod
    def _kind(interval: int) -> bool:
        return interval % 12 == 0

    def _both(self, i1: int, i2: int) -> bool:
        return i1 % 12 == 0 and i2 % 12 == 0 and i1 > 0 and i2 > 0


@register
class ParallelUnisons(_Parallel):
    """Two lines in unison both move to another unison."""

    id = "parallel-unisons"
    description = "two parts moving in unison"
    _what = "unisons"

    @staticmethod
    def _kind(interval: int) -> bool:
        return interval == 0


@dataclass(frozen=True, slots=True)
class HiddenParams:
    """``allow_upper_step``: no fault when the upper voice moves by step (1-2 semitones), the
    usual textbook licence."""

    allow_upper_step: bool = True


class _Hidden(_BetweenLines):
    Params = HiddenParams
    default_severity = "warning"
    category = "voice-leading"
    _what = ""

    @staticmethod
    def _kind(interval: int) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def _check(self, view: ScoreView) -> list[Violation]:
        outer = view.outer
        if outer is None:
            return []
        top, bottom = outer
        out = []
        for t1, t2, (u1, l1), (u2, l2) in _motions(view, top, bottom):
            du, dl = u2.pitch - u1.pitch, l2.pitch - l1.pitch
            if du == 0 or dl == 0 or _sign(du) != _sign(dl):
                continue
            i1, i2 = abs(u1.pitch - l1.pitch), abs(u2.pitch - l2.pitch)
            if not self._kind(i2) or self._parallel(i1, i2):
                continue  # not arriving on it, or a true parallel (reported elsewhere)
            if self.params.allow_upper_step and abs(du) <= 2:
                continue
            text = f"hidden {self._what} between the outer voices, {_span(view, t1, t2)}"
            out.append(self._report(view, top, bottom, t1, (u1, l1, u2, l2), text))
        return out


@register
class HiddenFifths(_Hidden):
    """The outer voices move in the same direction into a perfect fifth, the upper one by leap."""

    id = "hidden-fifths"
    description = "outer voices reaching a fifth by similar motion, the upper voice leaping"
    _what = "fifths"

    @staticmethod
    def _kind(interval: int) -> bool:
        return interval % 12 == 7

    @staticmethod
    def _parallel(i1: int, i2: int) -> bool:
        return i1 % 12 == 7


@register
class HiddenOctaves(_Hidden):
    """The outer voices move in the same direction into an octave or unison, the upper one by
    leap (octave to octave or unison to unison is a parallel, not hidden; as music21 counts)."""

    id = "hidden-octaves"
    description = "outer voices reaching an octave by similar motion, the upper voice leaping"
    _what = "octaves"

    @staticmethod
    def _kind(interval: int) -> bool:
        return interval % 12 == 0

    @staticmethod
    def _parallel(i1: int, i2: int) -> bool:
        return i1 % 12 == 0 and (i1 == 0) == (i2 == 0)


@register
class VoiceCrossing(_BetweenLines):
    """A lower voice sounds above its upper neighbour (voices in pitch order). One report per
    stretch of crossing, where it starts."""

    id = "voice-crossing"
    description = "a voice sounding above the voice above it"
    category = "voice-leading"
    default_severity = "warning"

    def _check(self, view: ScoreView) -> list[Violation]:
        out = []
        for upper, lower in view.adjacent():
            crossed = False
            for t, u, low in view.pair(upper, lower):
                now = u is not None and low is not None and low.pitch > u.pitch
                if now and not crossed:
                    text = (
                        f"{lower.label} ({low.name}) crosses above {upper.label} ({u.name}), "
                        f"{where(view, t)}"
                    )
                    out.append(self._report(view, upper, lower, t, (u, low), text))
                crossed = now
        return out


@register
class VoiceOverlap(_BetweenLines):
    """A voice moves past where its neighbour just was: the lower voice above the upper
    voice's previous note, or the upper voice below the lower voice's previous note (when the
    two do not simply cross, which ``voice-crossing`` reports)."""

    id = "voice-overlap"
    description = "a voice moving past the previous note of the neighbouring voice"
    category = "voice-leading"
    default_severity = "warning"

    def _check(self, view: ScoreView) -> list[Violation]:
        out = []
        for upper, lower in view.adjacent():
            for t1, t2, (u1, l1), (u2, l2) in _motions(view, upper, lower):
                if l2.pitch > u2.pitch:
                    continue  # crossing
                if l2.onset == t2 and l2 is not l1 and u2 is not u1 and l2.pitch > u1.pitch:
                    who = f"{lower.label} ({l2.name}) rises above the {u1.name} {upper.label} just left"
                elif u2.onset == t2 and u2 is not u1 and l2 is not l1 and u2.pitch < l1.pitch:
                    who = f"{upper.label} ({u2.name}) falls below the {l1.name} {lower.label} just left"
                else:
                    continue
                text = f"overlap: {who}, {_span(view, t1, t2)}"
                out.append(self._report(view, upper, lower, t1, (u1, l1, u2, l2), text))
        return out


@dataclass(frozen=True, slots=True)
class SpacingParams:
    """``max_semitones``: the widest allowed distance between adjacent upper voices."""

    max_semitones: int = 12

    def __post_init__(self) -> None:
        if self.max_semitones < 1:
            raise ValueError("max_semitones must be at least 1")


@register
class Spacing(_BetweenLines):
    """Adjacent upper voices (every neighbouring pair in pitch order except the lowest pair)
    further apart than an octave. One report per stretch, where it starts."""

    id = "spacing"
    description = "more than an octave between adjacent upper voices"
    category = "voice-leading"
    default_severity = "warning"
    Params = SpacingParams

    def _check(self, view: ScoreView) -> list[Violation]:
        out = []
        limit = self.params.max_semitones
        for upper, lower in view.adjacent()[:-1]:
            wide = False
            for t, u, low in view.pair(upper, lower):
                now = u is not None and low is not None and u.pitch - low.pitch > limit
                if now and not wide:
                    text = (
                        f"{u.pitch - low.pitch} semitones between {upper.label} ({u.name}) and "
                        f"{lower.label} ({low.name}), more than {limit}, {where(view, t)}"
                    )
                    out.append(self._report(view, upper, lower, t, (u, low), text))
                wide = now
        return out


# ---------------------------------------------------------------------------------------------
# melodic rules, one line at a time


def _melodic_pairs(line: Line, *, across_rests: bool) -> Iterator[tuple]:
    notes = line.notes
    for n0, n1 in zip(notes, notes[1:]):
        if across_rests or n0.end == n1.onset:
            yield n0, n1


_LETTERS = "CDEFGAB"
_MAJOR_SEMITONES = (0, 2, 4, 5, 7, 9, 11)


_SPELLING = re.compile(r"^([A-G])(?:#{1,2}|b{1,2})?(-?\d+)$")


def _spelled(note, key) -> tuple[int, int]:
    """(diatonic steps from C0, pitch) of a note: its spelling, else a default one."""
    name = note.spelling or spell_pitch(note.pitch, fifths=key.fifths if key else 0)
    m = _SPELLING.match(name)
    return _LETTERS.index(m.group(1)) + 7 * int(m.group(2)), note.pitch


def interval_name(a, b, *, key=None) -> str:
    """Quality and number of the melodic interval from note ``a`` to note ``b``: ``"A2"``,
    ``"m3"``, ``"P5"``, ``"d7"`` (music21's short names). Spellings are used when the notes
    have them, else a default spelling for ``key``'s signature.

    >>> from partita.symbolic.score import Note
    >>> interval_name(Note(0, 1, 65, spelling="F4"), Note(1, 1, 68, spelling="G#4"))
    'A2'
    """
    sa, pa = _spelled(a, key)
    sb, pb = _spelled(b, key)
    d, s = sb - sa, pb - pa
    if d < 0:  # a descending unison keeps its sign, as music21 names it (C -> Cb is d1)
        d, s = -d, -s
    expected = _MAJOR_SEMITONES[d % 7] + 12 * (d // 7)
    diff = s - expected
    if diff > 0:  # augmented, doubly, triply ... (Fb -> B# is AAA4)
        quality = "A" * diff
    elif d % 7 in (0, 3, 4):  # perfect class
        quality = "P" if diff == 0 else "d" * -diff
    else:  # major/minor class: one semitone under major is minor, then diminished
        quality = {0: "M", -1: "m"}.get(diff, "d" * (-diff - 1))
    return f"{quality}{d + 1}"


@dataclass(frozen=True, slots=True)
class LeapParams:
    """``max_semitones``: the largest allowed melodic leap. ``across_rests``: also judge two
    notes separated by a rest as one melodic step."""

    max_semitones: int = 12
    across_rests: bool = False


@register
class LeapTooLarge(Rule):
    """A melodic leap wider than an octave within one line."""

    id = "leap-too-large"
    description = "a melodic leap larger than an octave"
    category = "voice-leading"
    default_severity = "warning"
    Params = LeapParams

    def _check(self, view: ScoreView) -> list[Violation]:
        out = []
        for line in view.lines:
            for n0, n1 in _melodic_pairs(line, across_rests=self.params.across_rests):
                d = n1.pitch - n0.pitch
                if abs(d) > self.params.max_semitones:
                    text = (
                        f"leap of {abs(d)} semitones {'up' if d > 0 else 'down'} "
                        f"({n0.name} → {n1.name}), {_span(view, n0.onset, n1.onset)}"
                    )
                    out.append(self.violation(view, parts=(line.part,), onset=n0.onset, notes=(n0, n1), text=text, who=line.label))
        return out


@dataclass(frozen=True, slots=True)
class AugmentedParams:
    """``across_rests``: judge notes separated by a rest too. ``include_unison``: count the
    augmented unison (a chromatic semitone, C → C♯)."""

    across_rests: bool = False
    include_unison: bool = True


@register
class AugmentedInterval(Rule):
    """A melodic augmented interval (A2, A4, ...), judged from the notes' spellings (or a
    default spelling in the key signature when a note has none)."""

    id = "augmented-interval"
    description = "an augmented melodic interval, such as an augmented second or fourth"
    category = "voice-leading"
    default_severity = "warning"
    Params = AugmentedParams

    def _check(self, view: ScoreView) -> list[Violation]:
        out = []
        for line in view.lines:
            for n0, n1 in _melodic_pairs(line, across_rests=self.params.across_rests):
                if n0.pitch == n1.pitch:
                    continue
                name = interval_name(n0, n1, key=view.key_at(n0.onset))
                if name == "d1":
                    name = "A1"  # the chromatic semitone downwards (C -> Cb)
                if not name.startswith("A") or (name == "A1" and not self.params.include_unison):
                    continue
                text = (
                    f"augmented interval {name} ({n0.name} → {n1.name}), "
                    f"{_span(view, n0.onset, n1.onset)}"
                )
                out.append(self.violation(view, parts=(line.part,), onset=n0.onset, notes=(n0, n1), text=text, who=line.label))
        return out


@dataclass(frozen=True, slots=True)
class RecoveryParams:
    """``min_leap_semitones``: leaps at least this wide must be followed by a step (1-2
    semitones) the other way. ``across_rests``: judge notes separated by a rest too."""

    min_leap_semitones: int = 6
    across_rests: bool = False


@register
class LeapRecovery(Rule):
    """A large leap not followed by a step in the opposite direction."""

    id = "leap-recovery"
    description = "a large leap (a tritone or more) not followed by a step the other way"
    category = "voice-leading"
    default_severity = "warning"
    Params = RecoveryParams

    def _check(self, view: ScoreView) -> list[Violation]:
        out = []
        p = self.params
        for line in view.lines:
            pairs = list(_melodic_pairs(line, across_rests=p.across_rests))
            for (n0, n1), (m1, n2) in zip(pairs, pairs[1:]):
                if m1 is not n1:
                    continue  # a rest after the leap: nothing follows it
                leap = n1.pitch - n0.pitch
                if abs(leap) < p.min_leap_semitones:
                    continue
                nxt = n2.pitch - n1.pitch
                if 1 <= abs(nxt) <= 2 and _sign(nxt) == -_sign(leap):
                    continue
                text = (
                    f"leap {n0.name} → {n1.name} is followed by {n2.name}, not a step "
                    f"back, {_span(view, n0.onset, n2.onset)}"
                )
                out.append(self.violation(view, parts=(line.part,), onset=n0.onset, notes=(n0, n1, n2), text=text, who=line.label))
        return out


@dataclass(frozen=True, slots=True)
class LeadingToneParams:
    """``voices``: ``"outer"`` checks the top and bottom lines (inner voices may leave the
    leading tone for the fifth at a cadence), ``"all"`` every line. ``only_into_tonic_bass``:
    judge only leading tones followed by a sonority whose lowest line sounds the tonic
    (a V–I motion), where resolution is expected."""

    voices: Literal["outer", "all"] = "outer"
    only_into_tonic_bass: bool = True


_LT_MODES = frozenset({"major", "ionian", "minor", "aeolian"})


@register
class LeadingTone(Rule):
    """The leading tone (a semitone under the tonic, in major and minor keys) moving anywhere
    but up a semitone to the tonic. Repeated leading tones are followed to the next pitch."""

    id = "leading-tone"
    description = "an unresolved leading tone (not followed by the tonic a semitone up)"
    category = "voice-leading"
    default_severity = "warning"
    Params = LeadingToneParams

    def _check(self, view: ScoreView) -> list[Violation]:
        if not view.score.key_signatures:
            raise RuleSkipped("the score has no key signature")
        p = self.params
        if p.voices == "outer":
            lines = list(dict.fromkeys(view.outer or view.lines))
        else:
            lines = list(view.lines)
        bottom = view.by_pitch[-1] if view.by_pitch else None
        out = []
        for line in lines:
            notes = line.notes
            for i, n in enumerate(notes):
                key = view.key_at(n.onset)
                if key is None or key.mode not in _LT_MODES:
                    continue
                lt = (key.tonic_pc - 1) % 12
                if n.pitch % 12 != lt or (i > 0 and notes[i - 1].pitch == n.pitch):
                    continue
                j = i + 1
                while j < len(notes) and notes[j].pitch == n.pitch:
                    j += 1
                if j == len(notes):
                    continue
                nxt = notes[j]
                if nxt.pitch == n.pitch + 1:
                    continue
                if p.only_into_tonic_bass:
                    b = bottom.note_at(nxt.onset) if bottom is not None else None
                    if b is None or b.pitch % 12 != key.tonic_pc:
                        continue
                text = (
                    f"leading tone {n.name} goes to {nxt.name}, not to the tonic, "
                    f"{_span(view, n.onset, nxt.onset)}"
                )
                out.append(self.violation(view, parts=(line.part,), onset=n.onset, notes=(n, nxt), text=text, who=line.label))
        return out
