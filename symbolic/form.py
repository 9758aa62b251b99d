"""The written form of a score: repeat bar lines, voltas, and the jumps and markers of
D.C./D.S. al Fine/al Coda, as a score prints them.

The Score keeps the form as written (notes once, bars once); :mod:`partita.symbolic.playback`
unrolls it into the order a performer plays, as MuseScore 3 plays it.

>>> FormMark(4, "repeat-end", times=2)
FormMark(onset=Fraction(4, 1), kind='repeat-end', times=2, end=None, numbers=())
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from partita.errors import ScoreError
from partita.symbolic.timeline import as_ql

__all__ = ["FormMark", "FORM_KINDS", "JUMPS", "MARKERS", "PlayMark", "PLAY_KINDS"]

#: Jumps, played at the end of the bar that holds them: D.C. goes to the start, D.S. to the
#: segno; "al Fine" stops at the Fine, "al Coda" goes from the To Coda to the coda.
JUMPS = frozenset({"dc", "dc-al-fine", "dc-al-coda", "ds", "ds-al-fine", "ds-al-coda"})
#: Markers: segno and coda at the start of their bar, fine and to-coda at its end.
MARKERS = frozenset({"segno", "coda", "fine", "to-coda"})
#: Every kind of :class:`FormMark`.
FORM_KINDS = frozenset({"repeat-start", "repeat-end", "volta"}) | JUMPS | MARKERS


@dataclass(frozen=True, slots=True)
class FormMark:
    """One element of the written form, at a bar line ``onset`` (quarter-lengths).

    - ``repeat-start``: a start-repeat bar line at the start of the bar at ``onset``;
    - ``repeat-end``: an end-repeat bar line at ``onset`` (the end of its bar); the section is
      played ``times`` times;
    - ``volta``: an ending bracket over the bars from ``onset`` to ``end``, played on the
      passes ``numbers`` (``(1, 2)`` for "1.-2.");
    - a jump (:data:`JUMPS`) at ``onset``, the end of the bar that holds it;
    - a marker (:data:`MARKERS`): ``segno``/``coda`` at the start of their bar, ``fine`` and
      ``to-coda`` at the end of theirs.
    """

    onset: Fraction
    kind: str
    times: int = 2
    end: Fraction | None = None
    numbers: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "onset", as_ql(self.onset, what="form mark onset"))
        if self.onset < 0:
            raise ScoreError(f"{self.kind} at a negative onset", onset=self.onset)
        if self.kind not in FORM_KINDS:
            raise ScoreError(f"unknown form mark {self.kind!r}; known: {', '.join(sorted(FORM_KINDS))}")
        if not isinstance(self.times, int) or not 1 <= self.times <= 64:
            raise ScoreError(f"a repeat played {self.times!r} times is outside 1-64", onset=self.onset)
        if self.end is not None:
            object.__setattr__(self, "end", as_ql(self.end, what="volta end"))
        if self.kind == "volta":
            if self.end is None or self.end <= self.onset:
                raise ScoreError("a volta needs an end after its start", onset=self.onset)
            numbers = tuple(sorted({int(n) for n in self.numbers}))
            if not numbers or numbers[0] < 1:
                raise ScoreError("a volta needs its pass numbers, from 1", onset=self.onset)
            object.__setattr__(self, "numbers", numbers)
        else:
            object.__setattr__(self, "numbers", tuple(self.numbers))


#: Playing instructions in words or ``<sound>``: ``ritardando``/``accelerando`` (the tempo bends
#: from here to the next tempo mark), ``a-tempo`` (back to the last metronome tempo),
#: ``tempo-text`` (a tempo word such as "Allegro" without a metronome mark), ``swing`` (uneven
#: pairs of ``unit`` notes, the first taking ``ratio`` of the pair) and ``straight`` (swing off).
PLAY_KINDS = frozenset({"ritardando", "accelerando", "a-tempo", "tempo-text", "swing", "straight"})


@dataclass(frozen=True, slots=True)
class PlayMark:
    """A score-wide playing instruction at ``onset`` (quarter-lengths); see :data:`PLAY_KINDS`.

    ``text``: the words as printed. ``ratio`` (swing): the first note's share of a pair, 0.5-0.8
    (2:1 swing is 2/3). ``unit`` (swing): the swung note value in quarter-lengths (1/2: eighths).
    """

    onset: Fraction
    kind: str
    text: str | None = None
    ratio: float | None = None
    unit: Fraction | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "onset", as_ql(self.onset, what="playing mark onset"))
        if self.onset < 0:
            raise ScoreError(f"{self.kind} at a negative onset", onset=self.onset)
        if self.kind not in PLAY_KINDS:
            raise ScoreError(f"unknown playing mark {self.kind!r}; known: {', '.join(sorted(PLAY_KINDS))}")
        if self.kind == "swing":
            ratio = float(self.ratio if self.ratio is not None else 2 / 3)
            if not 0.5 <= ratio <= 0.8:
                raise ScoreError(f"swing ratio {ratio:g} is outside 0.5-0.8", onset=self.onset)
            object.__setattr__(self, "ratio", ratio)
            unit = self.unit if self.unit is not None else Fraction(1, 2)
            object.__setattr__(self, "unit", as_ql(unit, what="swing unit"))
            if self.unit <= 0:
                raise ScoreError("swing unit must be positive", onset=self.onset)
