"""Fix helpers for educators: move notes into range by octaves; give a part to a new
instrument; report what still does not fit.

>>> from partita.theory_rules import sketch
>>> s = sketch({"Flute": "C5 G3 D6 C5"})           # G3 is below a flute's range
>>> fixed = fit_to_range(s)
>>> [n.name for n in fixed.score.part("flute").notes]
['C5', 'G4', 'D6', 'C5']
>>> [str(m) for m in fixed.moved]
['Flute, bar 1 beat 2: G3 → G4']
>>> fixed.remaining
()
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Iterable, Literal

from partita.errors import ConfigError
from partita.symbolic.edits import transpose
from partita.symbolic.pitch import spell_pitch

if TYPE_CHECKING:  # pragma: no cover
    from partita.symbolic.score import Part, Score
    from partita.theory_rules.core import Violation

__all__ = ["Move", "FixResult", "fit_to_range", "transpose_for", "reorchestrate"]

Target = Literal["comfortable", "playable"]


@dataclass(frozen=True, slots=True)
class Move:
    """One note moved by a fix: where, and from which pitch to which (sounding MIDI)."""

    part: str
    part_name: str
    bar: int
    beat: Fraction
    from_pitch: int
    to_pitch: int

    def __str__(self) -> str:
        beat = self.beat.numerator if self.beat.denominator == 1 else f"{float(self.beat):g}"
        return f"{self.part_name}, bar {self.bar} beat {beat}: {spell_pitch(self.from_pitch)} → {spell_pitch(self.to_pitch)}"


@dataclass(frozen=True, slots=True)
class FixResult:
    """A fixed score, the notes that moved, and the range and playability problems left
    (violations of ``range-playable``, ``range-comfortable`` when the target was the
    comfortable range, and ``monophonic-chords``) in the fixed score's parts that were fixed."""

    score: Score
    moved: tuple[Move, ...]
    remaining: tuple[Violation, ...]
    shift_semitones: dict[str, int] = dataclasses.field(default_factory=dict)


def _range_of(part: Part, target: Target) -> tuple[int, int]:
    from partita import instruments

    inst = instruments.get(part.instrument)
    return inst.comfortable_range if target == "comfortable" else inst.sounding_range


def _nearest_octave(pitch: int, lo: int, hi: int) -> int | None:
    """The pitch an octave multiple away from ``pitch`` inside [lo, hi] nearest to it, or None."""
    best = None
    for k in range(-10, 11):
        p = pitch + 12 * k
        if lo <= p <= hi and 0 <= p <= 127 and (best is None or abs(p - pitch) < abs(best - pitch)):
            best = p
    return best


def _remaining(score: Score, part_ids: Iterable[str], target: Target) -> tuple[Violation, ...]:
    from partita.theory_rules.engine import check

    ids = set(part_ids)
    disable = ["same-pitch-overlap"] + (["range-comfortable"] if target == "playable" else [])
    report = check(score, profile="orchestration", disable=disable)
    return tuple(v for v in report.violations if set(v.parts) & ids)


def _check_target(target: str) -> None:
    if target not in ("comfortable", "playable"):
        raise ConfigError(f"target {target!r} is not comfortable or playable")


def fit_to_range(score: Score, *, parts: Iterable[str] | None = None, target: Target = "comfortable") -> FixResult:
    """Move every note outside its instrument's range by whole octaves to the nearest pitch
    inside it.

    Parameters
    ----------
    score
        The score; never modified.
    parts
        Ids or names of the parts to fix (default: all).
    target
        ``"comfortable"`` (default) or ``"playable"``: the range notes are moved into.

    Returns
    -------
    FixResult
        The new score; ``moved`` lists each moved note; ``remaining`` the range problems left
        (a note whose octaves all miss the range, or one that would land on a note already in
        its chord stays where it was).
    """
    _check_target(target)
    chosen = [p.id for p in score.parts] if parts is None else [score.part(k).id for k in parts]
    moves: list[Move] = []
    for pid in chosen:
        part = score.part(pid)
        lo, hi = _range_of(part, target)
        taken = {(n.onset, n.voice, n.pitch) for n in part.notes}
        notes = []
        for n in part.notes:
            if lo <= n.pitch <= hi:
                notes.append(n)
                continue
            to = _nearest_octave(n.pitch, lo, hi)
            if to is None or (n.onset, n.voice, to) in taken:
                notes.append(n)
                continue
            taken.discard((n.onset, n.voice, n.pitch))
            taken.add((n.onset, n.voice, to))
            key = score.key_signature_at(n.onset)
            notes.append(n.transposed(to - n.pitch, fifths=key.fifths if key else 0))
            pos = score.bar_of(n.onset)
            moves.append(Move(part.id, part.name, pos.bar, pos.beat, n.pitch, to))
        score = score.replace_part(pid, part.with_notes(notes))
    return FixResult(score, tuple(moves), _remaining(score, chosen, target))


def _best_shift(pitches: list[int], comfortable: tuple[int, int], playable: tuple[int, int]) -> int:
    """The octave shift (semitones) that puts the most notes in the comfortable range, then
    the most in the playable range, then the smallest move."""

    def score(k: int) -> tuple[int, int, int]:
        shifted = [p + 12 * k for p in pitches]
        comfy = sum(comfortable[0] <= p <= comfortable[1] for p in shifted)
        play = sum(playable[0] <= p <= playable[1] for p in shifted)
        return (comfy, play, -abs(k))

    valid = [k for k in range(-5, 6) if all(0 <= p + 12 * k <= 127 for p in pitches)]
    return 12 * max(valid, key=score) if valid else 0


def transpose_for(
    score: Score,
    part: str,
    instrument: str,
    *,
    semitones: int | None = None,
    name: str | None = None,
    target: Target = "comfortable",
    fit: bool = False,
) -> FixResult:
    """Give a part to another instrument, transposed by the octaves that suit it best.

    Parameters
    ----------
    score
        The score; never modified.
    part
        Id or name of the part.
    instrument
        The new instrument: a catalog id or a name (``"Clarinet in B♭"``).
    semitones
        Transpose by exactly this much instead of choosing the best octave shift (the shift
        putting most notes in the comfortable range, then in the playable range, then the
        smallest).
    name
        The part's new name (default: the instrument's name).
    target
        The range ``remaining`` is judged against (and ``fit`` moves into).
    fit
        Also move the notes still out of range by octaves (:func:`fit_to_range`).

    Returns
    -------
    FixResult
        ``shift_semitones`` holds the transposition used; ``remaining`` what still does not
        fit the new instrument (range and polyphony on a monophonic instrument).

    >>> from partita.theory_rules import sketch
    >>> s = sketch({"Bass": "C3 G2 C3:2"})
    >>> r = transpose_for(s, "bass", "flute")
    >>> r.shift_semitones, [n.name for n in r.score.parts[0].notes], r.score.parts[0].name
    ({'bass': 24}, ['C5', 'G4', 'C5'], 'Flute')
    """
    from partita import instruments

    _check_target(target)
    try:
        inst = instruments.get(instrument)
    except Exception:
        inst = instruments.lookup(instrument)
    old = score.part(part)
    if semitones is None:
        semitones = _best_shift([n.pitch for n in old.notes], inst.comfortable_range, inst.sounding_range)
    moved_score = transpose(score, semitones, parts=[old.id]) if semitones else score
    new = dataclasses.replace(moved_score.part(old.id), instrument=inst.id, name=name or inst.name)
    out = moved_score.replace_part(old.id, new)
    moves: tuple[Move, ...] = ()
    if fit:
        fixed = fit_to_range(out, parts=[old.id], target=target)
        out, moves = fixed.score, fixed.moved
    return FixResult(out, moves, _remaining(out, [old.id], target), {old.id: semitones})


def reorchestrate(
    score: Score, instruments: dict[str, str], *, fit: bool = True, target: Target = "comfortable"
) -> FixResult:
    """Give several parts to new instruments at once (:func:`transpose_for` on each).

    ``instruments`` maps part id or name to an instrument id or name.

    >>> from partita.theory_rules import sketch
    >>> s = sketch({"Soprano": "E5 D5 C5:2", "Bass": "C3 G2 C3:2"})
    >>> r = reorchestrate(s, {"Soprano": "oboe", "Bass": "bassoon"})
    >>> [(p.name, p.instrument) for p in r.score.parts], r.remaining
    ([('Oboe', 'oboe'), ('Bassoon', 'bassoon')], ())
    """
    moves: list[Move] = []
    shifts: dict[str, int] = {}
    ids = []
    for key, inst in instruments.items():
        pid = score.part(key).id
        ids.append(pid)
        r = transpose_for(score, pid, inst, fit=fit, target=target)
        score = r.score
        moves.extend(r.moved)
        shifts.update(r.shift_semitones)
    return FixResult(score, tuple(moves), _remaining(score, ids, target), shifts)
