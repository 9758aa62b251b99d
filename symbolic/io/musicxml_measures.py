"""Measures whose parts disagree on their length, lined up as MuseScore 3 plays them.

music21 lays each part's measures end to end by their own contents, so a measure that holds more
than its time signature in one part (an "overfull" measure, as some exporters write) and less in
another puts the parts out of step for the rest of the piece. MuseScore 3 makes such a measure as
long as its longest part and starts the next measure together in every part (measured on
``monteverdi/madrigal.3.2`` of music21's corpus: the sum over measures of the longest part's
contents, 460 quarters, is MuseScore's length to the tick). :func:`align_measures` does the same to
a parsed music21 score, in place, from the lengths the file's durations give (read by the streaming
scan), and says which measures were overfull, by part and bar, for the drop report.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

__all__ = ["align_measures"]


def _ql(x: Any) -> Fraction:
    return Fraction(x).limit_denominator(10080)


def align_measures(s21: Any, file_lengths: list[list[Fraction]]) -> list[tuple[str, int | None, Fraction, Fraction]]:
    """Start measure *i* of every part of ``s21`` together, at the sum of the longest part's
    lengths of the measures before it, when the file's parts disagree on some measure's length.

    ``file_lengths``: per ``<part>`` of the file, each measure's length as its durations say
    (:attr:`~partita.symbolic.io.musicxml_parts.XmlPart.measure_lengths`); music21's own lengths
    are not used, as it misreads some durations by a little in files whose parts agree. Changes
    nothing when the parts agree. Returns (part name, bar number, the measure's length in that
    part, its time signature's length) for each measure longer than its time signature.
    """
    from music21 import meter, stream

    from partita.symbolic.io.musicxml_parts import staff_indices

    parts = list(getattr(s21, "parts", ()))
    if len(file_lengths) < 2 or len({len(x) for x in file_lengths}) != 1:
        return []
    if all(len(set(column)) == 1 for column in zip(*file_lengths)):
        return []
    owner, k = [], -1
    for staff in staff_indices(parts):  # a grand staff's staves share their <part>'s lengths
        k += staff == 0
        owner.append(k)
    measures = [list(p.getElementsByClass(stream.Measure)) for p in parts]
    if k + 1 != len(file_lengths) or any(len(ms) != len(file_lengths[0]) for ms in measures):
        return []
    overfull = []
    offset = Fraction(0)
    ts: list[Any] = [None] * len(parts)
    for i in range(len(file_lengths[0])):
        for k, ms in enumerate(measures):
            found = ms[i].getElementsByClass(meter.TimeSignature).first()
            ts[k] = found or ts[k]
            parts[k].setElementOffset(ms[i], float(offset) if offset.denominator == 1 else offset)
            length = file_lengths[owner[k]][i]
            bar_len = _ql(ts[k].barDuration.quarterLength) if ts[k] is not None else None
            if bar_len is not None and length > bar_len and (k == 0 or owner[k] != owner[k - 1]):
                number = ms[i].number if isinstance(ms[i].number, int) else None
                overfull.append((parts[k].partName or str(parts[k].id), number, length, bar_len))
        offset += max(column[i] for column in file_lengths)
    for p in parts:
        p.coreElementsChanged()
    return overfull
