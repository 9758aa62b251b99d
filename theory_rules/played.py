"""Rules over the music as it is played: repeats, voltas and D.C./D.S. played out.

Voice leading happens between the bars a player plays one after the other: at the end of a
repeat back to its start, from the bar before a volta into each ending, at a jump. Checked in
written order, the last bar of a first ending would lead into the second ending, which is never
played after it. :func:`check_played` runs :func:`~partita.theory_rules.check` over the unrolled
score (:func:`partita.symbolic.playback.unroll`) and puts each violation back where it is
written: bar, beat, onset and notes of the written score, message bar numbers too, each once.

>>> from partita.symbolic.form import FormMark
>>> from partita.symbolic.pitch import KeySignature
>>> from partita.symbolic.score import Note, Part, Score
>>> up = Part("s", "Soprano", "soprano", notes=(Note(0, 2, 67), Note(2, 2, 69), Note(4, 4, 69)))
>>> low = Part("b", "Bass", "bass", notes=(Note(0, 2, 48), Note(2, 2, 53), Note(4, 4, 50)))
>>> score = Score(parts=(up, low), key_signatures=(KeySignature(0, 0),), form=(FormMark(8, "repeat-end"),))
>>> [v.message for v in check_played(score, profile="chorale").by_rule("parallel-fifths")]
['Soprano and Bass: parallel fifths, bar 2 beat 1 → bar 1 beat 1']
>>> from partita.theory_rules import check
>>> check(score, profile="chorale").by_rule("parallel-fifths")   # in written order: none
[]
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from partita.symbolic.playback import play_order, played_starts, unroll, written_onset
from partita.symbolic.score import Score
from partita.theory_rules.engine import Report, check

__all__ = ["check_played"]

_BAR = re.compile(r"\bbar (\d+)")


def check_played(score: Score, *, repeats: bool = True, **kwargs: Any) -> Report:
    """:func:`~partita.theory_rules.check` in playing order (as written when ``repeats`` is False
    or the score has no form); the keyword arguments are :func:`check`'s."""
    if not repeats or not score.form:
        return check(score, **kwargs)
    order = play_order(score)
    starts = played_starts(order)
    played = unroll(score)
    report = check(played, **kwargs)
    bar_map = {played.bar_of(t).bar: b.number for t, b in zip(starts, order)}

    def message(text: str) -> str:
        return _BAR.sub(lambda m: f"bar {bar_map.get(int(m.group(1)), m.group(1))}", text)

    out, seen = [], set()
    for v in report.violations:
        onset = written_onset(order, starts, v.onset)
        notes = tuple(dataclasses.replace(n, onset=written_onset(order, starts, n.onset)) for n in v.notes)
        key = (v.rule, v.parts, onset, tuple((n.onset, n.pitch) for n in notes))
        if key in seen:  # a repeated passage breaks a rule once, where it is written
            continue
        seen.add(key)
        pos = score.bar_of(onset)
        out.append(dataclasses.replace(v, bar=pos.bar, beat=pos.beat, onset=onset, notes=notes, message=message(v.message)))
    return dataclasses.replace(report, violations=tuple(out), n_notes=sum(len(p.notes) for p in score.parts))
