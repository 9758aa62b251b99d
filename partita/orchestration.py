"""Re-orchestrate a score for an ensemble: which part goes to which instrument, the octave
moves that make it fit, and every note that moved.

:func:`orchestrate_score` is the pure step (a score in, an :class:`Orchestration` out);
:func:`partita.classroom.orchestrate` writes the files and the report around it.

>>> from partita.theory_rules import sketch
>>> s = sketch({"Soprano": "E5 D5 C5:2", "Bass": "C3 G2 C3:2"})
>>> o = orchestrate_score(s, "flute, oboe, bassoon", fit=True)
>>> o.assignment, o.unused
({'soprano': 'oboe', 'bass': 'bassoon'}, ('flute',))
"""

from __future__ import annotations

import dataclasses
import statistics
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Mapping

from partita.errors import ConfigError, InstrumentError

if TYPE_CHECKING:  # pragma: no cover
    from partita.instruments import Instrument
    from partita.instruments.ensembles import Ensemble
    from partita.symbolic.score import Part, Score

__all__ = ["Change", "Orchestration", "parse_assign", "assign_parts", "orchestrate_score", "MIN_COVERAGE"]

#: A part "has nowhere to go" when, at the best octave, its instrument plays less than this
#: share of its notes (the rest would each need their own octave move).
MIN_COVERAGE = 0.75
_SHIFTS = (0, 12, -12, 24, -24, 36, -36)


@dataclass(frozen=True, slots=True)
class Change:
    """One note that sounds at another pitch in the new version.

    ``index`` is the note's index in the new part's ``notes``; ``reason`` is ``"part
    transposed"`` (the whole part moved by octaves for its instrument) or ``"into range"`` (this
    note moved alone, into the instrument's range).
    """

    part: str
    part_name: str
    index: int
    bar: int
    beat: Fraction
    onset: Fraction
    from_pitch: int
    to_pitch: int
    reason: str

    def to_dict(self) -> dict[str, Any]:
        from partita.symbolic.pitch import spell_pitch

        num = lambda x: int(x) if x.denominator == 1 else float(x)  # noqa: E731
        return {"part": self.part, "part_name": self.part_name, "bar": self.bar, "beat": num(self.beat),
                "onset": num(self.onset), "from": spell_pitch(self.from_pitch), "to": spell_pitch(self.to_pitch),
                "from_midi": self.from_pitch, "to_midi": self.to_pitch, "reason": self.reason}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Orchestration:
    """What :func:`orchestrate_score` did.

    Parameters
    ----------
    score
        The new score (sounding pitch).
    ensemble
        The ensemble's name.
    assignment
        Part id -> instrument id.
    shifts
        Part id -> semitones the whole part moved (0 without ``fit``).
    changes
        Every note that sounds at another pitch, in part and time order.
    unused
        Instruments of the ensemble that got no part.
    old_names
        Part id -> the part's name before.
    """

    score: Score
    ensemble: str
    assignment: dict[str, str]
    shifts: dict[str, int]
    changes: tuple[Change, ...]
    unused: tuple[str, ...]
    old_names: dict[str, str] = dataclasses.field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly: what ``changes.json`` holds."""
        names = {p.id: p.name for p in self.score.parts}
        return {
            "ensemble": self.ensemble,
            "assignment": [{"part": pid, "was": self.old_names.get(pid, pid), "name": names[pid], "instrument": inst, "shift_semitones": self.shifts.get(pid, 0)}
                           for pid, inst in self.assignment.items()],
            "unused_instruments": list(self.unused),
            "n_changes": len(self.changes),
            "changes": [c.to_dict() for c in self.changes],
        }  # fmt: skip


def _find_part(score: Score, key: str) -> Part:
    k = key.strip().lower()
    for p in score.parts:
        if p.id.lower() == k or p.name.lower() == k:
            return p
    names = [p.name for p in score.parts]
    listing = ", ".join(p.name if names.count(p.name) == 1 else f"{p.name} (id {p.id})" for p in score.parts)
    raise ConfigError(f"--assign names part {key.strip()!r}, which the score does not have; its parts: {listing}")


def parse_assign(text: str | Mapping[str, str] | None, score: Score) -> dict[str, str]:
    """``"Soprano=flute, Bass=bassoon"`` (or a mapping) -> {part id: instrument id}.

    Raises :class:`ConfigError` listing the score's parts when a part does not exist, and
    :class:`InstrumentError` when an instrument does not.
    """
    from partita import instruments

    if not text:
        return {}
    items = text.items() if isinstance(text, Mapping) else [kv.partition("=")[::2] for kv in text.split(",") if kv.strip()]
    out: dict[str, str] = {}
    for key, value in items:
        if not str(key).strip() or not str(value).strip():
            raise ConfigError(f"--assign {text!r}: each item must be PART=INSTRUMENT")
        out[_find_part(score, str(key)).id] = instruments.lookup(str(value).strip()).id
    return out


def _fit(pitches: list[int], inst: Instrument, shifts: tuple[int, ...]) -> tuple[float, float, int]:
    """How a line fits an instrument at its best octave shift: (share of notes playable, cost,
    shift in semitones).

    The cost counts notes outside the playable range twice and notes outside the comfortable
    range once; moving the whole line costs 0.6 per note and octave, so a part moves only when
    that brings more than a fifth of its notes into the playable range (or more than 60% into
    the comfortable one). Ties go to the instrument
    whose comfortable range is centred nearest the line's middle.
    """
    lo, hi = inst.sounding_range
    clo, chi = inst.comfortable_range
    n = max(len(pitches), 1)
    centre = (clo + chi) / 2
    middle = statistics.median(pitches) if pitches else centre
    best: tuple[float, int, int] | None = None
    for k in shifts:
        out_play = sum(not lo <= p + k <= hi for p in pitches)
        out_comfy = sum(not clo <= p + k <= chi for p in pitches)
        cost = 2 * out_play + out_comfy + 0.6 * n * abs(k) / 12 + abs(middle + k - centre) / 1000
        if best is None or cost < best[0]:
            best = (cost, k, out_play)
    assert best is not None
    cost, k, out_play = best
    return 1.0 - out_play / n, cost, k


def _coverage(pitches: list[int], inst: Instrument) -> float:
    """The largest share of the notes the instrument can play, over whole-octave shifts."""
    lo, hi = inst.sounding_range
    n = max(len(pitches), 1)
    return max(sum(lo <= p + k <= hi for p in pitches) for k in _SHIFTS) / n


def _median(part: Part) -> float:
    return statistics.median(n.pitch for n in part.notes) if part.notes else 60.0


def _span(part: Part) -> str:
    from partita.symbolic.pitch import spell_pitch

    if not part.notes:
        return "no notes"
    ps = [n.pitch for n in part.notes]
    return f"{spell_pitch(min(ps))}-{spell_pitch(max(ps))}, {len(ps)} notes"


def assign_parts(
    score: Score, ensemble: Ensemble, *, assign: Mapping[str, str] | None = None, fit: bool = True,
    min_coverage: float = MIN_COVERAGE, suggest: bool = True,
) -> tuple[dict[str, str], tuple[str, ...]]:
    """Give each part an instrument of the ensemble, keeping the order high to low.

    Parts are ordered by median pitch, instruments by the ensemble's order; the assignment
    that keeps both orders and leaves the fewest notes outside the instruments' ranges (at the
    best octave when ``fit``, as written otherwise) wins. ``assign`` fixes some parts first.

    Returns
    -------
    (assignment, unused)
        Part id -> instrument id in score order; the instruments left over.

    Raises
    ------
    InstrumentError
        More pitched parts than instruments, or a part with nowhere to go (its instrument plays
        less than ``min_coverage`` of its notes at any one octave); the message names the part and
        suggests the nearest fit (the presets that fit, unless ``suggest`` is False).
    """
    from partita import instruments

    fixed = dict(assign or {})
    pool = list(ensemble.instruments)
    for inst in fixed.values():
        if inst in pool:
            pool.remove(inst)
    pitched = [p for p in score.parts if not instruments.get(p.instrument).percussion]  # drums keep their kit
    free = sorted((p for p in pitched if p.id not in fixed and p.notes), key=_median, reverse=True)
    if len(free) > len(pool):
        left = ", ".join(p.name for p in free[len(pool):])
        raise InstrumentError(
            f"{ensemble.name} has {len(ensemble.instruments)} instruments for {len(score.parts)} parts; "
            f"{len(free) - len(pool)} part(s) have nowhere to go ({left})" + (f"; {_suggest_presets(score, fit)}" if suggest else ""))
    shifts = _SHIFTS if fit else (0,)
    cat = [instruments.get(i) for i in pool]
    pitches = [[n.pitch for n in p.notes] for p in free]
    cost = [[_fit(ps, inst, shifts)[1] for inst in cat] for ps in pitches]
    # order-preserving assignment of len(free) parts to len(pool) instruments, least total cost
    inf = float("inf")
    n, m = len(free), len(pool)
    best = [[inf] * (m + 1) for _ in range(n + 1)]
    take = [[False] * (m + 1) for _ in range(n + 1)]
    for j in range(m + 1):
        best[0][j] = 0
    for i in range(1, n + 1):
        for j in range(i, m + 1):
            skip, use = best[i][j - 1], best[i - 1][j - 1] + cost[i - 1][j - 1]
            best[i][j], take[i][j] = (use, True) if use <= skip else (skip, False)
    chosen: dict[str, str] = {}
    i, j = n, m
    while i > 0:
        if take[i][j]:
            chosen[free[i - 1].id] = pool[j - 1]
            i -= 1
        j -= 1
    for part, ps in zip(free, pitches):
        inst = instruments.get(chosen[part.id])
        coverage = _coverage(ps, inst)
        if coverage < min_coverage:
            raise InstrumentError(
                f"has nowhere to go in {ensemble.name} ({_span(part)}): its best place, {inst.name}, plays "
                f"{coverage:.0%} of its notes even an octave away; {_suggest_instrument(ps, ensemble)}"
                + (f"; {_suggest_presets(score, fit)}" if suggest else ""), part=part.name)
    out = {p.id: fixed.get(p.id) or chosen.get(p.id) for p in score.parts if p.id in fixed or p.id in chosen}
    used = list(ensemble.instruments)
    for inst in out.values():
        if inst in used:
            used.remove(inst)
    return out, tuple(used)


def _suggest_instrument(pitches: list[int], ensemble: Ensemble) -> str:
    from partita import instruments

    families = {instruments.get(i).family for i in ensemble.instruments}
    scored = []
    for inst in instruments.all_instruments():
        if inst.percussion or inst.family in ("percussion", "voice"):
            continue
        coverage = _fit(pitches, inst, (0,))[0]
        scored.append((coverage, inst.family in families, -abs(sum(inst.comfortable_range) / 2 - statistics.median(pitches)), inst))
    coverage, _, _, inst = max(scored, key=lambda t: t[:3])
    return f"nearest fit: {inst.id} (plays {coverage:.0%} of its notes as written)"


def _suggest_presets(score: Score, fit: bool) -> str:
    from partita.instruments.ensembles import presets

    good = []
    for ens in presets():
        try:
            assign_parts(score, ens, fit=fit, suggest=False)
        except InstrumentError:
            continue
        good.append(ens.name.lower())
    return ("presets that fit this score: " + ", ".join(good)) if good else "no preset fits this score"


def orchestrate_score(
    score: Score,
    ensemble: str | Ensemble,
    *,
    assign: str | Mapping[str, str] | None = None,
    fit: bool = False,
    target: str = "comfortable",
    min_coverage: float = MIN_COVERAGE,
) -> Orchestration:
    """Give the parts of ``score`` to the instruments of ``ensemble``.

    Parameters
    ----------
    score
        The score; never modified.
    ensemble
        A preset name (``"wind quintet"``), instruments separated by commas, or an
        :class:`~partita.instruments.ensembles.Ensemble`.
    assign
        ``"Soprano=flute,Bass=bassoon"`` or a mapping: parts given to these instruments first.
    fit
        Move each part by the octaves that suit its instrument, then each note still outside
        the instrument's ``target`` range by octaves (:func:`partita.theory_rules.reorchestrate`).
        Without it the pitches stay as they are and range problems are only reported.
    target
        ``"comfortable"`` or ``"playable"``: the range ``fit`` moves notes into.
    min_coverage
        See :func:`assign_parts`.

    Returns
    -------
    Orchestration
    """
    from partita.instruments.ensembles import Ensemble, ensemble as find_ensemble
    from partita.theory_rules import transpose_for

    ens = ensemble if isinstance(ensemble, Ensemble) else find_ensemble(ensemble)
    fixed = parse_assign(assign, score)
    assignment, unused = assign_parts(score, ens, assign=fixed, fit=fit, min_coverage=min_coverage)
    if fit:
        from partita import instruments

        new, shifts, moves = score, {}, []
        for pid, inst_id in assignment.items():
            k = _fit([n.pitch for n in score.part(pid).notes], instruments.get(inst_id), _SHIFTS)[2]
            result = transpose_for(new, pid, inst_id, semitones=k, fit=True, target=target)  # type: ignore[arg-type]
            new, shifts[pid] = result.score, k
            moves.extend(result.moved)
    else:
        from partita import instruments

        new, shifts, moves = score, {pid: 0 for pid in assignment}, ()
        for pid, inst_id in assignment.items():
            inst = instruments.get(inst_id)
            new = new.replace_part(pid, dataclasses.replace(new.part(pid), instrument=inst.id, name=inst.name))
    names = _unique_names(new, assignment)
    for pid, name in names.items():
        new = new.replace_part(pid, dataclasses.replace(new.part(pid), name=name))
    old_names = {p.id: p.name for p in score.parts}
    return Orchestration(new, ens.name, assignment, shifts, _changes(score, new, shifts, moves), unused, old_names)


def _unique_names(score: Score, assignment: Mapping[str, str]) -> dict[str, str]:
    """"Trumpet 1", "Trumpet 2" where two parts now have the same name."""
    counts: dict[str, int] = {}
    for p in score.parts:
        counts[p.name] = counts.get(p.name, 0) + 1
    seen: dict[str, int] = {}
    out = {}
    for p in score.parts:
        if counts[p.name] > 1 and p.id in assignment:
            seen[p.name] = seen.get(p.name, 0) + 1
            out[p.id] = f"{p.name} {seen[p.name]}"
    return out


def _changes(old: Score, new: Score, shifts: Mapping[str, int], moves: Any) -> tuple[Change, ...]:
    """Every note whose sounding pitch differs: the part's shift, then any single-note move."""
    by_place = {(m.part, m.bar, m.beat, m.from_pitch): m.to_pitch for m in moves}
    out: list[Change] = []
    for part in old.parts:
        shift = shifts.get(part.id, 0)
        new_part = new.part(part.id)
        free = {}
        for i, n in enumerate(new_part.notes):
            free.setdefault((n.onset, n.pitch), []).append(i)
        for n in part.notes:
            pos = old.bar_of(n.onset)
            shifted = n.pitch + shift
            to = by_place.get((part.id, pos.bar, pos.beat, shifted), shifted)
            if to == n.pitch:
                continue
            slot = free.get((n.onset, to))
            if not slot:  # cannot happen: the fix helpers move notes one to one
                raise RuntimeError(f"moved note of {part.name} at bar {pos.bar} not found in the new score")
            reason = "into range" if to != shifted else "part transposed"
            out.append(Change(part.id, new_part.name, slot.pop(0), pos.bar, pos.beat, n.onset, n.pitch, to, reason))
    return tuple(out)
