"""Melodic lines and the sonority timeline that voice-leading rules read.

Decisions (documented in docs/theory_rules.md):

* **A line is one voice of one part.** A part written in one voice (a chorale part, a violin)
  is one line; a part with several voices (a piano staff with ``voice=1`` and ``voice=2``)
  gives one line per voice, labelled ``"Piano (voice 2)"``.
* **A chord within a line counts as its top note** for melodic and voice-leading rules (the
  line a listener follows); range and key rules still look at every note.
* **Voice order is pitch order.** Lines are ranked by the mean pitch of their notes, highest
  first; "adjacent voices" are neighbours in that ranking and the **outer voices** are its
  first and last line. For a chorale in S-A-T-B score order this is the score order; for a
  score that lists the bass first it still finds the right outer voices.
* **The sonority timeline of two lines** has one point at every onset where either line
  starts a note; at each point it holds the note each line is sounding (or ``None`` for a
  rest). Motion between parts is judged between consecutive points of that timeline.

>>> from partita.symbolic.score import Note, Part, Score
>>> s = Score(parts=(Part("s", "Soprano", "soprano", (Note(0, 2, 72), Note(2, 2, 74))),
...                  Part("b", "Bass", "bass", (Note(0, 4, 48),))))
>>> view = ScoreView(s)
>>> [line.label for line in view.by_pitch]
['Soprano', 'Bass']
>>> [(float(t), a.pitch, b.pitch) for t, a, b in view.pair(view.lines[0], view.lines[1])]
[(0.0, 72, 48), (2.0, 74, 48)]
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Iterator

if TYPE_CHECKING:  # pragma: no cover
    from partita.symbolic.pitch import KeySignature
    from partita.symbolic.score import Note, Part, Score
    from partita.symbolic.timeline import BarPosition

__all__ = ["Line", "ScoreView"]


@dataclass(frozen=True, slots=True, eq=False)
class Line:
    """One melodic line: a voice of a part, one note per onset (the top note of a chord).

    ``notes`` are in time order and never overlap (the Score model forbids overlaps within a
    voice); ``onsets[i] == notes[i].onset``.
    """

    part: Part
    voice: int
    label: str
    notes: tuple[Note, ...]
    onsets: tuple[Fraction, ...] = field(repr=False)
    mean_pitch: float
    ends: tuple[Fraction, ...] = field(repr=False, default=())

    @property
    def id(self) -> str:
        """The part's id."""
        return self.part.id

    @property
    def name(self) -> str:
        """The part's name."""
        return self.part.name

    def note_at(self, onset: Fraction) -> Note | None:
        """The note sounding at ``onset`` (started at or before it, not yet ended), or None."""
        i = bisect.bisect_right(self.onsets, onset) - 1
        if i < 0:
            return None
        return self.notes[i] if onset < self.ends[i] else None


def _lines_of(part: Part) -> list[Line]:
    voices = part.voices
    out = []
    for v in voices:
        top: dict[Fraction, Note] = {}
        for n in part.notes:
            if n.voice == v and (n.onset not in top or n.pitch > top[n.onset].pitch):
                top[n.onset] = n
        notes = tuple(top[o] for o in sorted(top))
        label = part.name if len(voices) == 1 else f"{part.name} (voice {v})"
        mean = sum(n.pitch for n in notes) / len(notes)
        out.append(Line(part, v, label, notes, tuple(n.onset for n in notes), mean, tuple(n.end for n in notes)))
    return out


class ScoreView:
    """The analysis of a score that rules share: its lines, their pitch order, keys.

    Build one per score and pass it to every rule (the engine does). It holds what is linear
    in the score (lines, their order, bar positions per onset) and nothing per pair of lines:
    a pair's timeline is computed when a rule asks for it and not kept, so memory stays linear
    in parts x bars however many parts there are (a cache of every pair grew past 9 GB on a
    10,000-track file).
    """

    #: Up to this many lines, rules between any two lines (parallel fifths, octaves, unisons)
    #: check every pair; above it, each line against its :attr:`NEIGHBOURS` nearest lines in
    #: pitch order, so that time stays linear too (the report says so in a notice).
    ALL_PAIRS_MAX_LINES = 16
    NEIGHBOURS = 8

    def __init__(self, score: Score) -> None:
        self.score = score
        self.lines: tuple[Line, ...] = tuple(line for p in score.parts for line in _lines_of(p))
        order = {id(line): i for i, line in enumerate(self.lines)}
        #: Lines from highest to lowest mean pitch (ties: score order).
        self.by_pitch: tuple[Line, ...] = tuple(
            sorted(self.lines, key=lambda line: (-line.mean_pitch, order[id(line)]))
        )
        #: score order of each line, by ``id(line)``
        self.order: dict[int, int] = order
        #: sentences for the report's notices (a rule that checked fewer pairs than all)
        self.notices: dict[str, str] = {}
        self._key_onsets = [k.onset for k in score.key_signatures]
        # the grid every onset and end of the score lies on: 1 / lcm of their denominators
        dens = {t.denominator for line in self.lines for t in (*line.onsets, *line.ends)}
        self._tick = Fraction(1, math.lcm(*dens)) if dens else Fraction(1)
        self._line_ticks: dict[int, tuple[list[int], list[int]]] = {}
        self._positions: dict[Fraction, tuple] = {}

    def bar_of(self, onset: Fraction) -> BarPosition:
        """:meth:`Score.bar_of`, cached per onset."""
        return self.position(onset)[0]

    def position(self, onset: Fraction) -> tuple[BarPosition, Fraction, Fraction, Fraction]:
        """(bar position, quarter-lengths from the bar line, bar length, bar end) of
        ``onset``; a pickup bar counts from where a full bar would start, as
        :meth:`Score.bar_of` does. Cached per onset."""
        got = self._positions.get(onset)
        if got is None:
            score = self.score
            pos = score.bar_of(onset)
            ts = score.time_signature_at(onset)
            into = (pos.beat - 1) * ts.beat_length
            bar_end = onset - into + ts.bar_length
            got = self._positions[onset] = (pos, into, ts.bar_length, bar_end)
        return got

    @property
    def outer(self) -> tuple[Line, Line] | None:
        """(top line, bottom line) by mean pitch, or None with fewer than two lines."""
        if len(self.by_pitch) < 2:
            return None
        return self.by_pitch[0], self.by_pitch[-1]

    def adjacent(self) -> list[tuple[Line, Line]]:
        """Neighbouring lines in pitch order, (upper, lower)."""
        return list(zip(self.by_pitch, self.by_pitch[1:]))

    def key_at(self, onset: Fraction) -> KeySignature | None:
        """The key in force at ``onset``."""
        i = bisect.bisect_right(self._key_onsets, onset) - 1
        return self.score.key_signatures[i] if i >= 0 else None

    def pairs_to_check(self, rule_id: str) -> Iterator[tuple[Line, Line]]:
        """The pairs of lines a rule between any two lines checks, in score order: all of
        them up to :attr:`ALL_PAIRS_MAX_LINES` lines, else each line with its
        :attr:`NEIGHBOURS` nearest in pitch order (and a notice under ``rule_id``)."""
        lines = self.lines
        if len(lines) <= self.ALL_PAIRS_MAX_LINES:
            for i, a in enumerate(lines):
                for b in lines[i + 1 :]:
                    yield a, b
            return
        self.notices[rule_id] = (
            f"{len(lines)} lines: checked between each line and its {self.NEIGHBOURS} nearest "
            f"in pitch, not between all pairs (above {self.ALL_PAIRS_MAX_LINES} lines)"
        )
        ranked = self.by_pitch
        for i, a in enumerate(ranked):
            for b in ranked[i + 1 : i + 1 + self.NEIGHBOURS]:
                yield (a, b) if self.order[id(a)] < self.order[id(b)] else (b, a)

    def _ticks(self, line: Line) -> tuple[list[int], list[int]]:
        """A line's onsets and ends as whole multiples of :attr:`_tick` (integer compares are
        many times faster than Fraction compares); kept per line, so linear in the score."""
        got = self._line_ticks.get(id(line))
        if got is None:
            tick = self._tick
            got = self._line_ticks[id(line)] = (
                [int(t / tick) for t in line.onsets],
                [int(t / tick) for t in line.ends],
            )
        return got

    def pair(self, a: Line, b: Line) -> list[tuple[Fraction, Note | None, Note | None]]:
        """The sonority timeline of two lines: ``(onset, note of a, note of b)`` at every onset
        where either starts a note; a line resting there gives ``None``. Not cached."""
        out = []
        ia = ib = 0
        (on_a, ends_a), (on_b, ends_b) = self._ticks(a), self._ticks(b)
        na_, nb_ = len(on_a), len(on_b)
        cur_a: Note | None = None
        cur_b: Note | None = None
        end_a = end_b = 0
        while ia < na_ or ib < nb_:
            ta = on_a[ia] if ia < na_ else None
            tb = on_b[ib] if ib < nb_ else None
            if tb is None or (ta is not None and ta <= tb):
                t, onset = ta, a.onsets[ia]
            else:
                t, onset = tb, b.onsets[ib]
            if ta == t:
                cur_a = a.notes[ia]
                end_a = ends_a[ia]
                ia += 1
            if tb == t:
                cur_b = b.notes[ib]
                end_b = ends_b[ib]
                ib += 1
            sa = cur_a if cur_a is not None and t < end_a else None
            sb = cur_b if cur_b is not None and t < end_b else None
            out.append((onset, sa, sb))
        return out


def where(view: ScoreView | Score, onset: Fraction) -> str:
    """``"bar 12 beat 3"`` for an onset (of a ScoreView, cached, or a Score)."""
    return str(view.bar_of(onset))
