"""Arrangement statistics: does each role play in its idiom? Computed the same way on partita's
scores, on the composer's scores without the arranger, and on MMA's MIDI (benchmarks).

An :class:`Arrangement` is the notes of each role as ``(onset, duration, pitch)`` in
quarter-lengths, with the bar length, the chord of every bar and the section of every bar.

- ``bass_on_root``: of the bars where the bass plays, the share whose downbeat bass note (the
  lowest bass note sounding on beat 1, else the first struck in the bar) is the chord's root;
- ``comp_three_plus``: of the accompaniment onsets (per part), the share that sound at least
  three pitches;
- ``drum_beat_one``: of the bars, the share with a drum hit on beat 1;
- ``kick_bass``: Jaccard agreement of kick onsets and bass onsets (|K and B| / |K or B|);
- ``rhythm_similarity``: mean Jaccard similarity of the onset grids (sixteenths) of
  consecutive bars of the same section, over the bass, accompaniment and drum parts;
- ``chorus_similarity``: for each return of the chorus, the share of (onset in section, pitch)
  events of the melody shared with the first chorus (2|A and B| / (|A| + |B|)); and whether at
  least one return differs from it.

>>> a = Arrangement(bar_ql=4.0, chords=("C", "G"), sections=("verse", "verse"),
...                 bass=[(0, 2, 36), (4, 2, 43)], comp=[[(0, 1, 60), (0, 1, 64), (0, 1, 67)]])
>>> a.bass_on_root(), a.comp_three_plus()
(1.0, 1.0)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

__all__ = ["Arrangement", "from_score", "from_midi", "summary"]

Notes = list[tuple[float, float, int]]
_KICKS = (35, 36)


@dataclass
class Arrangement:
    """The notes of each role of one piece (see the module docstring)."""

    bar_ql: float
    chords: Sequence[str]
    sections: Sequence[str]
    bass: Notes = field(default_factory=list)
    comp: list[Notes] = field(default_factory=list)
    drums: Notes = field(default_factory=list)
    melody: Notes = field(default_factory=list)

    @property
    def n_bars(self) -> int:
        return len(self.chords)

    def _bar(self, onset: float) -> int:
        return int(onset // self.bar_ql + 1e-9)

    def bass_on_root(self) -> float | None:
        from partita.symbolic.arranger.voicing import chord_tones

        hits = total = 0
        for k, figure in enumerate(self.chords):
            a, b = k * self.bar_ql, (k + 1) * self.bar_ql
            sounding = [n for n in self.bass if n[0] <= a + 1e-9 < n[0] + n[1]]
            struck = sorted(n for n in self.bass if a - 1e-9 <= n[0] < b - 1e-9)
            pick = min(sounding, key=lambda n: n[2]) if sounding else (struck[0] if struck else None)
            if pick is None:
                continue
            total += 1
            hits += pick[2] % 12 == chord_tones(figure)[0]
        return hits / total if total else None

    def comp_three_plus(self) -> float | None:
        n = big = 0
        for part in self.comp:
            by_onset: dict[float, set[int]] = {}
            for o, _, p in part:
                by_onset.setdefault(round(o * 8) / 8, set()).add(p)  # a strum spreads its onsets
            n += len(by_onset)
            big += sum(1 for ps in by_onset.values() if len(ps) >= 3)
        return big / n if n else None

    def drum_beat_one(self) -> float | None:
        if not self.drums:
            return None
        on = {self._bar(o) for o, _, _ in self.drums if abs(o / self.bar_ql - round(o / self.bar_ql)) < 1e-6}
        return sum(1 for k in range(self.n_bars) if k in on) / self.n_bars

    def kick_bass(self) -> float | None:
        kicks = {round(o, 3) for o, _, p in self.drums if p in _KICKS}
        bass = {round(o, 3) for o, _, _ in self.bass}
        if not kicks or not bass:
            return None
        return len(kicks & bass) / len(kicks | bass)

    def rhythm_similarity(self) -> float | None:
        sims = []
        for notes in [self.bass, self.drums, *self.comp]:
            grid: dict[int, set[int]] = {}
            for o, _, _ in notes:
                k = self._bar(o)
                grid.setdefault(k, set()).add(round((o - k * self.bar_ql) * 4))
            for k in range(1, self.n_bars):
                if self.sections[k] != self.sections[k - 1] or k == 0:
                    continue
                a, b = grid.get(k - 1, set()), grid.get(k, set())
                if a or b:
                    sims.append(len(a & b) / len(a | b))
        return sum(sims) / len(sims) if sims else None

    def chorus_similarity(self) -> tuple[float | None, bool]:
        """(mean similarity of the chorus returns to the first chorus, some return varied)."""
        runs: list[tuple[int, int]] = []
        k = 0
        while k < self.n_bars:
            j = k
            while j < self.n_bars and self.sections[j] == self.sections[k]:
                j += 1
            if self.sections[k] == "chorus":
                runs.append((k, j))
            k = j
        if len(runs) < 2 or not self.melody:
            return None, False

        def events(run: tuple[int, int]) -> set[tuple[float, int]]:
            a, b = run[0] * self.bar_ql, run[1] * self.bar_ql
            return {(round(o - a, 3), p) for o, _, p in self.melody if a - 1e-9 <= o < b - 1e-9}

        first = events(runs[0])
        sims = []
        for run in runs[1:]:
            other = events(run)
            n = min(run[1] - run[0], runs[0][1] - runs[0][0]) * self.bar_ql
            f = {e for e in first if e[0] < n}
            o = {e for e in other if e[0] < n}
            sims.append(2 * len(f & o) / (len(f) + len(o)) if f or o else 1.0)
        return sum(sims) / len(sims), any(s < 1.0 for s in sims)


def from_score(score: Any, plan: Any) -> Arrangement:
    """The :class:`Arrangement` of a partita score written for ``plan`` (roles from the plan;
    accompaniment parts are the comping parts; a piece with no accompaniment part counts its
    inner parts)."""
    roles = {p.id: p.role for p in plan.instrumentation}

    def notes(part: Any) -> Notes:
        return [(float(n.onset), float(n.duration), n.pitch) for n in part.notes]

    a = Arrangement(bar_ql=float(plan.bar_ql), chords=plan.bar_chords(),
                    sections=tuple(s.name for s in plan.sections for _ in range(s.bars)))  # fmt: skip
    comp_roles = ("accompaniment",) if "accompaniment" in roles.values() else ("inner",)
    for part in score.parts:
        role = roles.get(part.id)
        if role == "bass":
            a.bass += notes(part)
        elif role in comp_roles:
            a.comp.append(notes(part))
        elif role == "percussion":
            a.drums += notes(part)
        elif role == "melody" and not a.melody:
            a.melody = notes(part)
    return a


def from_midi(path: str, *, bpm: float, bar_ql: float, chords: Sequence[str], sections: Sequence[str]) -> Arrangement:
    """The :class:`Arrangement` of an MMA MIDI file: tracks named ``Bass``/``Walk`` are the bass,
    ``Chord``/``Arpeggio``/``Plectrum``/``Pad`` the accompaniment, drum-channel tracks the drums."""
    import pretty_midi

    m = pretty_midi.PrettyMIDI(path)
    q = 60.0 / bpm
    a = Arrangement(bar_ql=bar_ql, chords=tuple(chords), sections=tuple(sections))
    for inst in m.instruments:
        ns = [(round(n.start / q, 3), round((n.end - n.start) / q, 3), n.pitch) for n in inst.notes]
        name = inst.name.lower()
        if inst.is_drum:
            a.drums += ns
        elif name.startswith(("bass", "walk")):
            a.bass += ns
        elif name.startswith(("chord", "arpeggio", "plectrum", "pad", "scale")):
            a.comp.append(ns)
    return a


def summary(a: Arrangement) -> dict[str, float | bool | None]:
    """Every statistic of ``a`` by name."""
    sim, varied = a.chorus_similarity()
    return {"bass_on_root": a.bass_on_root(), "comp_three_plus": a.comp_three_plus(),
            "drum_beat_one": a.drum_beat_one(), "kick_bass": a.kick_bass(),
            "rhythm_similarity": a.rhythm_similarity(), "chorus_similarity": sim, "chorus_varied": varied}  # fmt: skip
