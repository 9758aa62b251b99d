"""Time in the Score model: exact quarter-lengths, the tempo map (the one bridge from beats to
seconds), meters, and bar arithmetic (where an onset falls, where a bar starts).

Beats are the truth: onsets and durations are quarter-lengths held as
:class:`~fractions.Fraction`; seconds exist only through the :class:`TempoMap`.

>>> tss = (TimeSignature(0, 3, 4),)
>>> bar_of(tss, Fraction(0), Fraction(7, 2)), bar_start(tss, Fraction(1), 2)
(BarPosition(bar=2, beat=Fraction(3, 2)), Fraction(4, 1))
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

from partita.errors import ScoreError

__all__ = [
    "MAX_DENOMINATOR",
    "Bar",
    "BarPosition",
    "TempoMap",
    "TempoMark",
    "TimeSignature",
    "as_ql",
    "bar_of",
    "bar_start",
    "meter_starts",
]

MIN_BPM, MAX_BPM = 5.0, 1000.0
#: Largest denominator a quarter-length may have: 10080 = 2^5 * 3^2 * 5 * 7 holds every
#: tuplet a score writes (music21 uses the same number for MusicXML divisions).
MAX_DENOMINATOR = 10080


def as_ql(value: Fraction | int | float | str, *, what: str = "quarter-length") -> Fraction:
    """Return ``value`` as an exact quarter-length Fraction.

    Floats are snapped to the nearest fraction with denominator at most 10080, so
    ``0.3333333333`` becomes ``Fraction(1, 3)``.

    >>> as_ql(0.3333333333333333)
    Fraction(1, 3)
    >>> as_ql("3/2")
    Fraction(3, 2)
    """
    if isinstance(value, Fraction):
        out = value
    elif isinstance(value, bool):
        raise ScoreError(f"{what} must be a number, not a bool")
    elif isinstance(value, int):
        out = Fraction(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ScoreError(f"{what} must be finite, got {value}")
        out = Fraction(value).limit_denominator(MAX_DENOMINATOR)
    elif isinstance(value, str):
        try:
            out = Fraction(value)
        except ValueError:
            raise ScoreError(f"{what} {value!r} is not a number") from None
    else:
        # numpy scalars and the like
        try:
            return as_ql(float(value), what=what)
        except (TypeError, ValueError):
            raise ScoreError(f"{what} {value!r} is not a number") from None
    if out.denominator > MAX_DENOMINATOR:
        out = out.limit_denominator(MAX_DENOMINATOR)
    return out


# ---------------------------------------------------------------------------------------------
# Tempo and meter


@dataclass(frozen=True, slots=True)
class TempoMark:
    """A tempo from ``onset`` on: ``bpm`` quarter notes per minute; ``text`` as printed."""

    onset: Fraction
    bpm: float
    text: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "onset", as_ql(self.onset, what="tempo onset"))
        try:
            bpm = float(self.bpm)
        except (TypeError, ValueError):
            raise ScoreError(f"tempo {self.bpm!r} is not a number", onset=self.onset) from None
        if not (math.isfinite(bpm) and MIN_BPM <= bpm <= MAX_BPM):
            raise ScoreError(
                f"tempo {self.bpm} quarter notes per minute is outside {MIN_BPM:g}-{MAX_BPM:g}",
                onset=self.onset,
            )
        object.__setattr__(self, "bpm", bpm)
        if self.onset < 0:
            raise ScoreError(f"tempo onset {self.onset} is negative", onset=self.onset)


@dataclass(frozen=True, slots=True)
class TempoMap:
    """Piecewise-constant tempo: the only bridge from beats to seconds.

    >>> tm = TempoMap((TempoMark(0, 120), TempoMark(4, 60)))
    >>> tm.seconds_at(Fraction(6))
    4.0
    >>> tm.ql_at(4.0)
    Fraction(6, 1)
    """

    marks: tuple[TempoMark, ...] = (TempoMark(Fraction(0), 120.0),)

    def __post_init__(self) -> None:
        marks = tuple(sorted(self.marks, key=lambda m: m.onset))
        if not marks:
            marks = (TempoMark(Fraction(0), 120.0),)
        elif marks[0].onset != 0:
            marks = (dataclasses.replace(marks[0], onset=Fraction(0), text=None),) + marks
        for a, b in zip(marks, marks[1:]):
            if a.onset == b.onset:
                raise ScoreError("two tempo marks at the same onset", onset=a.onset)
        object.__setattr__(self, "marks", marks)

    def bpm_at(self, onset: Fraction) -> float:
        """Tempo in quarter notes per minute in force at ``onset``."""
        i = bisect.bisect_right([m.onset for m in self.marks], onset) - 1
        return self.marks[max(i, 0)].bpm

    def seconds_at(self, onset: Fraction | float) -> float:
        """Seconds from the start of the score to ``onset`` (quarter-lengths)."""
        onset = as_ql(onset)
        onsets, starts = _segments(self.marks)
        i = max(bisect.bisect_right(onsets, onset) - 1, 0)
        mark = self.marks[i]
        return starts[i] + float(onset - mark.onset) * 60.0 / mark.bpm

    def ql_at(self, seconds: float) -> Fraction:
        """Quarter-lengths from the start at ``seconds`` (the inverse of :meth:`seconds_at`)."""
        starts = _segments(self.marks)[1]
        i = max(bisect.bisect_right(starts, seconds) - 1, 0)
        mark = self.marks[i]
        return mark.onset + as_ql((seconds - starts[i]) * mark.bpm / 60.0)

    def duration_seconds(self, onset: Fraction, duration: Fraction) -> float:
        """Length in seconds of ``duration`` quarter-lengths starting at ``onset``."""
        return self.seconds_at(onset + duration) - self.seconds_at(onset)


@functools.lru_cache(maxsize=64)
def _segments(marks: tuple[TempoMark, ...]) -> tuple[tuple[Fraction, ...], tuple[float, ...]]:
    """The onsets of ``marks`` and the seconds at which each starts: worked out once per tempo
    map, so that :meth:`TempoMap.seconds_at` is the one clock (the performer asks it for every
    note)."""
    starts, t = [0.0], 0.0
    for a, b in zip(marks, marks[1:]):
        t += float(b.onset - a.onset) * 60.0 / a.bpm
        starts.append(t)
    return tuple(m.onset for m in marks), tuple(starts)


@dataclass(frozen=True, slots=True)
class TimeSignature:
    """A meter from ``onset`` (which must fall on a bar line) on."""

    onset: Fraction
    numerator: int
    denominator: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "onset", as_ql(self.onset, what="time signature onset"))
        if not (isinstance(self.numerator, int) and 1 <= self.numerator <= 64):
            raise ScoreError(f"time signature numerator {self.numerator!r} is outside 1-64", onset=self.onset)
        if self.denominator not in (1, 2, 4, 8, 16, 32, 64):
            raise ScoreError(
                f"time signature denominator {self.denominator!r} is not a power of two up to 64",
                onset=self.onset,
            )

    @property
    def bar_length(self) -> Fraction:
        """Length of one bar in quarter-lengths (6/8 -> 3)."""
        return Fraction(4 * self.numerator, self.denominator)

    @property
    def beat_length(self) -> Fraction:
        """The counted beat in quarter-lengths: the denominator's note value."""
        return Fraction(4, self.denominator)


@dataclass(frozen=True, slots=True)
class BarPosition:
    """Where an onset falls: ``bar`` as counted on the page (a pickup is bar 0) and the
    ``beat`` within it, from 1, counted in the time signature's denominator."""

    bar: int
    beat: Fraction

    def __str__(self) -> str:
        beat = self.beat
        return f"bar {self.bar} beat {beat.numerator if beat.denominator == 1 else float(beat):g}"


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar: its number, span in quarter-lengths and meter."""

    number: int
    start: Fraction
    end: Fraction
    time_signature: TimeSignature


# ---------------------------------------------------------------------------------------------
# Bars: a pickup (anacrusis) of ``pickup`` quarters is bar 0; later meters start on bar lines


def meter_starts(
    time_signatures: Sequence[TimeSignature], pickup: Fraction
) -> list[tuple[Fraction, int, TimeSignature]]:
    """(onset, number of the first bar, meter) for each time signature, sorted by onset."""
    out = []
    tss = time_signatures
    bar = 0 if pickup else 1
    for i, ts in enumerate(tss):
        out.append((ts.onset, bar, ts))
        if i + 1 < len(tss):
            span = tss[i + 1].onset - ts.onset
            if i == 0 and pickup:
                bar += 1
                span -= pickup
            bar += int(span / ts.bar_length)
    return out


def bar_of(time_signatures: Sequence[TimeSignature], pickup: Fraction, onset: Fraction | int | float) -> BarPosition:
    """Bar number and beat of an onset, for meters ``time_signatures`` (sorted, the first at 0)
    after a pickup of ``pickup`` quarters."""
    onset = as_ql(onset)
    starts = meter_starts(time_signatures, pickup)
    i = max(bisect.bisect_right([s[0] for s in starts], onset) - 1, 0)
    start, bar, ts = starts[i]
    if i == 0 and pickup:
        if onset < pickup:
            # beats of a pickup are counted as the end of a full bar
            into = onset + ts.bar_length - pickup
            return BarPosition(0, 1 + into / ts.beat_length)
        start, bar = pickup, 1
    into = onset - start
    k = into // ts.bar_length
    return BarPosition(bar + int(k), 1 + (into - k * ts.bar_length) / ts.beat_length)


def bar_start(time_signatures: Sequence[TimeSignature], pickup: Fraction, bar: int) -> Fraction:
    """Onset of bar number ``bar`` (bars past the end continue in the last meter)."""
    starts = meter_starts(time_signatures, pickup)
    first = 0 if pickup else 1
    if bar < first:
        raise ScoreError(f"there is no bar {bar}; the first bar is {first}")
    if bar == 0:
        return Fraction(0)
    i = max(j for j, s in enumerate(starts) if s[1] <= bar)
    start, first_bar, ts = starts[i]
    if i == 0 and pickup:
        start, first_bar = pickup, 1
    return start + (bar - first_bar) * ts.bar_length
