"""Playback order: a score's written form unrolled as MuseScore 3 plays it.

The Score holds the music as written: each bar once, with its repeat bar lines, voltas, jumps
and markers (``Score.form``). :func:`play_order` walks the written bars the way MuseScore 3
does; :func:`unroll` makes the Score a performer reads from that walk (every note where it is
heard, the form gone), and :func:`performed` also plays the grace notes and ornaments
(:mod:`partita.symbolic.realize`). ``render``, ``check`` and the tokens use the performed score;
``--no-repeats`` plays the bars once each, as written.

The walk, bar by bar:

- an end-repeat bar line goes back to the nearest start-repeat bar line before it (even one an
  earlier end-repeat already used), else to the start of the piece, until its section has been
  played ``times`` times (2 by default; when the bar is in a volta "1.-3.", one more than the
  volta's last number); once done, it is passed when the walk reaches it again;
- a bar under a volta is played only on the passes it names;
- a jump (D.C., D.S. ...) at the end of its bar is taken once, to the start or the segno;
  after it repeats are not taken again and only the final voltas play (MuseScore's default);
  "al Fine" stops after the bar with Fine, "al Coda" goes from the bar with To Coda to the
  bar with the coda sign.

>>> from partita.symbolic.form import FormMark
>>> from partita.symbolic.score import Note, Part, Score
>>> notes = tuple(Note(4 * i, 4, 60 + i) for i in range(3))
>>> score = Score(parts=(Part("fl", "Flute", "flute", notes=notes),),
...               form=(FormMark(8, "repeat-end"),))
>>> [b.number for b in play_order(score)]
[1, 2, 1, 2, 3]
>>> [n.pitch for n in unroll(score).parts[0].notes]
[60, 61, 60, 61, 62]
"""

from __future__ import annotations

import bisect
import dataclasses
from fractions import Fraction
from typing import Any, Sequence

from partita.errors import ScoreError
from partita.symbolic.form import JUMPS
from partita.symbolic.score import Score
from partita.symbolic.timeline import Bar, TempoMap, TimeSignature

__all__ = ["play_order", "bar_groups", "played_starts", "written_onset", "unroll", "performed", "played_length"]

#: At most this many bars are played per written bar (a guard against loops in broken forms).
_MAX_PASSES = 64


def play_order(score: Score) -> tuple[Bar, ...]:
    """The written bars in the order they are played (see the module docstring)."""
    bars = _segments(score)
    n = len(bars)
    if not score.form or n == 0:
        return tuple(bars)
    starts = [b.start for b in bars]
    ends = [b.end for b in bars]

    def at_start(onset: Fraction) -> int | None:
        i = bisect.bisect_left(starts, onset)
        return i if i < n and starts[i] == onset else None

    def at_end(onset: Fraction) -> int | None:
        i = bisect.bisect_left(ends, onset)
        return i if i < n and ends[i] == onset else None

    repeat_start = [False] * n
    repeat_times = [0] * n
    volta: list[tuple[int, ...]] = [()] * n
    segno: int | None = None
    coda: int | None = None
    fine = [False] * n
    to_coda = [False] * n
    jump: list[str | None] = [None] * n
    for f in score.form:
        if f.kind == "repeat-start":
            i = at_start(f.onset)
            if i is not None and f.onset < score.end:
                repeat_start[i] = True
        elif f.kind == "repeat-end":
            i = at_end(f.onset)
            if i is None:  # past the last bar line the notes need: the last bar
                i = min(range(n), key=lambda j: abs(ends[j] - f.onset))
            repeat_times[i] = f.times
        elif f.kind == "volta":
            for i in range(n):
                if f.onset <= starts[i] < f.end:
                    volta[i] = f.numbers
        elif f.kind in ("segno", "coda"):
            i = at_start(f.onset)
            if i is None:  # a sign written mid-bar: its bar
                i = max(bisect.bisect_right(starts, f.onset) - 1, 0)
            if f.kind == "segno":
                segno = i if segno is None else segno
            else:
                coda = i if coda is None else coda
        else:
            i = at_end(f.onset)
            if i is None:
                i = min(max(bisect.bisect_left(ends, f.onset), 0), n - 1)
            if f.kind == "fine":
                fine[i] = True
            elif f.kind == "to-coda":
                to_coda[i] = True
            elif f.kind in JUMPS:
                jump[i] = f.kind
    for i in range(n):  # a repeat closing a volta "1.-3." is played once more than its last pass
        if repeat_times[i] and volta[i]:
            repeat_times[i] = max(repeat_times[i], max(volta[i]) + 1)
    # voltas that send the player back: skipped after a jump
    back_volta = [False] * n
    for i in range(n):
        if repeat_times[i] and volta[i]:
            j = i
            while j >= 0 and volta[j] == volta[i]:
                back_volta[j] = True
                j -= 1

    order: list[Bar] = []
    i, section, pass_no = 0, 0, 1
    counts = [0] * n
    jumped: str | None = None
    taken: set[int] = set()
    arrived_back = False
    limit = _MAX_PASSES * n
    while 0 <= i < n and len(order) < limit:
        if repeat_start[i] and not arrived_back and not jumped:
            section, pass_no = i, 1
        arrived_back = False
        if volta[i]:
            skip = back_volta[i] if jumped else pass_no not in volta[i]
            if skip:
                i += 1
                continue
        order.append(bars[i])
        if jumped in ("dc-al-fine", "ds-al-fine") and fine[i]:
            break
        if jumped in ("dc-al-coda", "ds-al-coda") and to_coda[i] and coda is not None:
            i, jumped = coda, "done"
            continue
        if repeat_times[i] and not jumped:
            counts[i] += 1
            if counts[i] < repeat_times[i]:
                i, pass_no, arrived_back = section, pass_no + 1, True
                continue
            if counts[i] == repeat_times[i]:  # done: passed through when reached again
                pass_no = 1
        if jump[i] and i not in taken and jumped in (None, "done"):
            taken.add(i)
            target = 0 if jump[i].startswith("dc") else segno
            if target is not None:
                i, jumped = target, jump[i]
                continue
        i += 1
    return tuple(order)


def _segments(score: Score) -> list[Bar]:
    """The score's bars, split where a form mark stands inside one (a chorale's repeat bar line
    in the middle of a bar: the file writes two short measures there)."""
    bars = list(score.bars())
    cuts = sorted({f.onset for f in score.form} | {f.end for f in score.form if f.end is not None})
    if not cuts:
        return bars
    out = []
    for b in bars:
        inside = [c for c in cuts if b.start < c < b.end]
        edges = [b.start, *inside, b.end]
        out += [Bar(b.number, lo, hi, b.time_signature) for lo, hi in zip(edges, edges[1:])]
    return out


def bar_groups(order: Sequence[Bar]) -> list[list[Bar]]:
    """The pieces of a play order grouped into the bars a player counts: pieces of one written
    bar played one after the other are one bar."""
    groups: list[list[Bar]] = []
    for b in order:
        if groups and groups[-1][-1].number == b.number and groups[-1][-1].end == b.start:
            groups[-1].append(b)
        else:
            groups.append([b])
    return groups


def played_starts(order: Sequence[Bar]) -> list[Fraction]:
    """Where each bar of a play order starts in played time (quarter-lengths)."""
    out, t = [], Fraction(0)
    for b in order:
        out.append(t)
        t += b.end - b.start
    return out


def written_onset(order: Sequence[Bar], starts: Sequence[Fraction], onset: Fraction) -> Fraction:
    """The written onset of a played onset (``starts``: :func:`played_starts` of ``order``)."""
    if not order:
        return onset
    k = max(bisect.bisect_right(starts, onset) - 1, 0)
    return order[k].start + onset - starts[k]


def played_length(score: Score, *, repeats: bool = True) -> Fraction:
    """Quarter-lengths of the music as played (as written when ``repeats`` is False)."""
    if not repeats or not score.form:
        return score.end
    order = play_order(score)
    total = sum((b.end - b.start for b in order), Fraction(0))
    # the last played bar's music may stop before its bar line (no trailing rests written)
    if order:
        last = order[-1]
        sounding = max((n.end for p in score.parts for n in p.notes if last.start <= n.onset < last.end), default=None)
        if sounding is not None and last.end >= score.end:
            total -= last.end - min(max(sounding, score.end), last.end)
    return total


def _carried(marks: Sequence[Any], start: Fraction, end: Fraction, shift: Fraction, carry: bool) -> list[Any]:
    """Marks with onsets in [start, end) moved by ``shift``; with ``carry``, the mark in force at
    ``start`` is put there too when none is written exactly at it."""
    out = [dataclasses.replace(m, onset=m.onset + shift) for m in marks if start <= m.onset < end]
    if carry and not any(m.onset == start for m in marks):
        before = [m for m in marks if m.onset < start]
        if before:
            out.insert(0, dataclasses.replace(before[-1], onset=start + shift))
    return out


def _joined_lines(lines: list) -> list:
    """Octave lines cut at bar lines, joined again where one piece ends where the next begins."""
    out: list = []
    for o in lines:
        if out and out[-1].end == o.onset and (out[-1].shift, out[-1].staff) == (o.shift, o.staff):
            out[-1] = dataclasses.replace(out[-1], end=o.end)
        else:
            out.append(o)
    return out


def unroll(score: Score) -> Score:
    """``score`` with its form played out: bars in playing order, notes and marks copied where
    they are heard, ``form`` empty. A score without form marks comes back unchanged."""
    if not score.form:
        return score
    order = play_order(score)
    if not order:
        return dataclasses.replace(score, form=())
    played_at = played_starts(order)
    total = played_at[-1] + order[-1].end - order[-1].start
    # a bar is "joined" to the one before when it follows it in the writing
    joined = [k > 0 and order[k - 1].end == b.start for k, b in enumerate(order)]
    follows = [k + 1 < len(order) and order[k + 1].start == b.end for k, b in enumerate(order)]

    parts = []
    for p in score.parts:
        notes, dyns, pins, graces, orns, lines, clefs, cross = [], [], [], [], [], [], [], []
        for k, b in enumerate(order):
            shift = played_at[k] - b.start
            lo = bisect.bisect_left([n.onset for n in p.notes], b.start)
            for n in p.notes[lo:]:
                if n.onset >= b.end:
                    break
                if n.end > b.end and not follows[k]:
                    n = dataclasses.replace(n, duration=b.end - n.onset, tie=None if n.tie == "start" else n.tie)
                notes.append(dataclasses.replace(n, onset=n.onset + shift))
            dyns += _carried(p.dynamics, b.start, b.end, shift, carry=not joined[k])
            for h in p.hairpins:
                if h.onset < b.end and h.end > b.start:
                    lo_h, hi_h = max(h.onset, b.start), min(h.end, b.end)
                    pins.append(dataclasses.replace(h, onset=lo_h + shift, end=hi_h + shift))
            graces += [dataclasses.replace(g, onset=g.onset + shift) for g in p.graces if b.start <= g.onset < b.end]
            # how the part is drawn, where it is heard (lines cut at the bar, rejoined below)
            lines += [dataclasses.replace(o, onset=max(o.onset, b.start) + shift, end=min(o.end, b.end) + shift)
                      for o in p.octave_lines if o.onset < b.end and o.end > b.start]  # fmt: skip
            clefs += _carried(p.clefs, b.start, b.end, shift, False)
            cross += [dataclasses.replace(c, onset=c.onset + shift) for c in p.cross_staff if b.start <= c.onset < b.end]
            for o in p.ornaments:
                if b.start <= o.onset < b.end:
                    end = None if o.end is None else min(o.end, b.end if not follows[k] else o.end) + shift
                    orns.append(dataclasses.replace(o, onset=o.onset + shift, end=end))
        pins = _merge_hairpins(pins)
        parts.append(dataclasses.replace(p, notes=tuple(notes), dynamics=tuple(_dedupe(dyns)),
                                         hairpins=tuple(pins), graces=tuple(graces), ornaments=tuple(orns),
                                         octave_lines=tuple(_joined_lines(lines)), clefs=tuple(clefs),
                                         cross_staff=tuple(cross)))  # fmt: skip
    tempi, keys, sections, chords, playing = [], [], [], [], []
    swings = [m for m in score.playing if m.kind in ("swing", "straight")]
    for k, b in enumerate(order):
        shift = played_at[k] - b.start
        carry = not joined[k]
        words = [m for m in score.playing if m.kind not in ("swing", "straight") and b.start <= m.onset < b.end]
        playing += [dataclasses.replace(m, onset=m.onset + shift) for m in words]
        playing += _carried(swings, b.start, b.end, shift, carry)  # swing in force where a jump lands
        # tempo marks sound where they are written; a jump keeps the tempo it leaves (MuseScore 3)
        tempi += _carried(score.tempo_map.marks, b.start, b.end, shift, False)
        keys += _carried(score.key_signatures, b.start, b.end, shift, carry)
        sections += _carried(score.sections, b.start, b.end, shift, False)
        chords += _carried(score.chords, b.start, b.end, shift, carry)
    first = bar_groups(order)[0]
    pickup = first[-1].end - first[0].start if order[0].number == 0 else Fraction(0)
    fields = dict(
        parts=tuple(parts), tempo_map=TempoMap(tuple(_dedupe(tempi))), key_signatures=tuple(_dedupe(keys)),
        sections=tuple(_dedupe(sections)), chords=tuple(_dedupe(chords)), form=(), length=total,
        playing=tuple(playing), time_signatures=_meters(order, played_at, pickup), pickup=pickup,
    )  # fmt: skip
    try:
        return dataclasses.replace(score, **fields)
    except ScoreError:
        # form marks off the meter's bar lines (a file whose measures do not follow its meter):
        # bars of lengths no meter writes; the played score keeps the first meter throughout
        fields["time_signatures"] = (TimeSignature(Fraction(0), score.time_signatures[0].numerator,
                                                   score.time_signatures[0].denominator),)  # fmt: skip
        if pickup >= score.time_signatures[0].bar_length:
            fields["pickup"] = Fraction(0)
        return dataclasses.replace(score, **fields)


def _dedupe(marks: list[Any]) -> list[Any]:
    """One mark per onset (the last written wins), sorted."""
    by_onset = {m.onset: m for m in marks}
    return [by_onset[k] for k in sorted(by_onset)]


def _merge_hairpins(pins: list[Any]) -> list[Any]:
    out: list[Any] = []
    for h in sorted(pins, key=lambda h: h.onset):
        if out and out[-1].kind == h.kind and out[-1].end == h.onset:
            out[-1] = dataclasses.replace(out[-1], end=h.end)
        elif not out or h.onset >= out[-1].end:
            out.append(h)
    return out


def _meters(order: Sequence[Bar], played_at: Sequence[Fraction], pickup: Fraction) -> tuple[TimeSignature, ...]:
    """Time signatures of the played bars: the written meter, or a meter of the bar's own length
    for a short bar in the middle (a pickup played again after a D.C.)."""
    out: list[TimeSignature] = []
    k = 0
    for g, group in enumerate(bar_groups(order)):
        length = group[-1].end - group[0].start
        ts = group[0].time_signature
        if length != ts.bar_length and not (g == 0 and pickup):
            ts = _meter_of_length(length) or ts
        if not out or (out[-1].numerator, out[-1].denominator) != (ts.numerator, ts.denominator):
            onset = Fraction(0) if k == 0 else played_at[k]
            out.append(TimeSignature(onset, ts.numerator, ts.denominator))
        k += len(group)
    return tuple(out) or (TimeSignature(Fraction(0), 4, 4),)


def _meter_of_length(length: Fraction) -> TimeSignature | None:
    for den in (4, 8, 16, 32, 64):
        num = length * den / 4
        if num.denominator == 1 and 1 <= num <= 64:
            return TimeSignature(Fraction(0), int(num), den)
    return None


def performed(score: Score, *, repeats: bool = True, words: bool = True) -> Score:
    """The score a performer plays: the form unrolled (unless ``repeats`` is False), grace notes
    and ornaments played out (:func:`partita.symbolic.realize.realize`), tempo words (unless
    ``words`` is False: MuseScore 3 plays none) and swing played (:func:`partita.symbolic.timing.apply_playing`)."""
    from partita.symbolic.realize import realize
    from partita.symbolic.timing import apply_playing

    base = unroll(score) if repeats else dataclasses.replace(score, form=())
    try:
        return apply_playing(realize(base), words=words)
    except ScoreError as exc:  # pragma: no cover - realize keeps voices apart
        raise exc.located(bar_of=lambda o: base.bar_of(o).bar) from None
