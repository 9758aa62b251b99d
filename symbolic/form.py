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

__all__ = ["FormMark", "FORM_KINDS", "JUMPS", "MARKERS"]

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
        from partita.symbolic.score import as_ql

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
