"""The performance model: timing, phrases, ties, chords, articulations, dynamics."""

from __future__ import annotations

from fractions import Fraction as F

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from partita.render.performance import level_curve, note_times, perform_part, seconds_of, sounding_notes
from partita.symbolic.dynamics import Dynamic, Hairpin
from partita.symbolic.score import Note, Part, Score
from partita.symbolic.timeline import TempoMap, TempoMark


@settings(max_examples=40, deadline=None)
@given(
    marks=st.lists(st.tuples(st.fractions(0, 40, max_denominator=12), st.floats(5, 1000)), min_size=1, max_size=5),
    onsets=st.lists(st.fractions(0, 60, max_denominator=24), min_size=1, max_size=10),
)
def test_the_performer_times_notes_by_the_tempo_map(marks, onsets):
    """One clock: the performer's note times are the tempo map's seconds, bit for bit."""
    unique = {}
    for onset, bpm in marks:
        unique.setdefault(onset, bpm)
    tm = TempoMap(tuple(TempoMark(o, b) for o, b in unique.items()))
    seconds_at = seconds_of(tm)
    for q in onsets + onsets:  # twice: the memo answers the second time
        assert seconds_at(q) == tm.seconds_at(q)
    starts = sorted(set(onsets))
    notes = [Note(a, (b - a) if b is not None else 1, 60) for a, b in zip(starts, starts[1:] + [None])]
    drums = Part("d", "Drum kit", "drum_kit", notes=tuple(notes))
    score = Score(parts=(drums,), tempo_map=tm)
    for n, on, off in note_times(drums, score):
        assert (on, off) == (tm.seconds_at(n.onset), tm.seconds_at(n.end))


def _part(notes, **kw) -> Part:
    return Part("p", "Violin", "violin", notes=tuple(notes), **kw)


def test_ties_merge_and_chords_split():
    tied = [Note(0, 1, 67, tie="start"), Note(1, 1, 67, tie="continue"), Note(2, 1, 67, tie="stop")]
    below = [Note(0, 1, 60), Note(1, 1, 62), Note(2, 1, 64)]
    part = Part("p", "Piano", "piano", notes=tuple(tied + below + [Note(3, 1, 69)]))
    sounding = sounding_notes(part)
    assert [(s.onset, s.end, s.pitch) for s in sounding] == [
        (0, 3, 67), (0, 1, 60), (1, 2, 62), (2, 3, 64), (3, 4, 69)]  # fmt: skip
    assert {s.voice for s in sounding if s.pitch in (67, 69)} == {1}
    assert {s.voice for s in sounding if s.pitch in (60, 62, 64)} == {2}


def test_a_slur_is_one_phrase_and_detached_notes_are_their_own():
    slur = ["start", "continue", "stop", None, None]
    part = _part([Note(i, 1, 60 + i, slur=s) for i, s in enumerate(slur)])
    curves = perform_part(part, Score(parts=(part,)))
    assert len(curves) == 3
    # the slurred phrase glides: its pitch passes through values between the notes
    pitch = 69 + 12 * np.log2(curves[0].f0_hz / 440.0)
    assert np.any((pitch > 60.2) & (pitch < 60.8))


def test_articulations_change_the_sounding_length():
    def length(arts):
        part = _part([Note(0, 2, 60, articulations=frozenset(arts), vibrato_depth_cents=0)])
        (c,) = perform_part(part, Score(parts=(part,)))
        return c.end_s - c.onset_s

    plain, staccato, tenuto, fermata = length(()), length({"staccato"}), length({"tenuto"}), length({"fermata"})
    assert staccato == 0.5 and tenuto == 1.0  # 2 quarters at 120 bpm = 1 s
    assert 0.9 <= plain < 1.0
    assert abs(fermata - 1.6) < 1e-9


def test_hairpin_ramps_to_the_next_mark_and_sf_is_an_accent():
    part = _part([Note(0, 8, 60)], dynamics=(Dynamic(0, "p"), Dynamic(4, "sfz"), Dynamic(8, "ff")),
                 hairpins=(Hairpin(4, 8, "crescendo"),))  # fmt: skip
    times, vel = level_curve(part, Score(parts=(part,)))
    assert np.interp(1.0, times, vel) == 49  # p
    assert np.interp(2.0, times, vel) == 49  # sfz does not change the level
    assert np.interp(3.0, times, vel) == (49 + 112) / 2  # halfway to ff
    assert np.interp(5.0, times, vel) == 112


def test_plucked_notes_decay_and_lower_notes_ring_longer():
    def drop(pitch):
        part = Part("g", "Guitar", "acoustic_guitar", notes=(Note(0, 4, pitch),))
        (c,) = perform_part(part, Score(parts=(part,)))
        t = c.start_s + np.arange(c.n_frames) / c.frame_rate
        at = lambda s: float(np.interp(s, t, c.loudness_db))  # noqa: E731
        return at(0.1) - at(1.5)

    assert drop(45) > 0 and drop(76) > drop(45)
