"""The Score model: validation, bars and beats, tempo, edits, serialisation."""

from __future__ import annotations

import dataclasses
from fractions import Fraction as F

import pytest
from hypothesis import given
from hypothesis import strategies as st

from partita.errors import InstrumentError, PartitaError, ScoreError
from partita.symbolic.dynamics import Dynamic, Hairpin
from partita.symbolic.edits import slice_bars, transpose
from partita.symbolic.pitch import KeySignature, pitch_from_spelling, spell_pitch
from partita.symbolic.score import Note, Part, Score, Section
from partita.symbolic.timeline import TempoMap, TempoMark, TimeSignature, as_ql


def violin(*notes: Note, **kw) -> Part:
    return Part(id=kw.pop("id", "vn"), name=kw.pop("name", "Violin I"), instrument="violin", notes=notes, **kw)


# -- construction and validation ------------------------------------------------------------------


def test_quarter_lengths_are_exact_fractions():
    n = Note(onset=0.3333333333333333, duration="2/3", pitch=60)
    assert n.onset == F(1, 3) and n.duration == F(2, 3) and n.end == 1
    assert as_ql(1.5) == F(3, 2)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(onset=0, duration=0, pitch=60), "duration 0 is not positive"),
        (dict(onset=0, duration=-1, pitch=60), "not positive"),
        (dict(onset=-1, duration=1, pitch=60), "negative"),
        (dict(onset=0, duration=1, pitch=128), "outside MIDI's 0-127"),
        (dict(onset=0, duration=1, pitch=-1), "outside MIDI's 0-127"),
        (dict(onset=0, duration=1, pitch=60, velocity=0), "velocity"),
        (dict(onset=0, duration=1, pitch=60, articulations={"legato"}), "unknown articulation"),
        (dict(onset=0, duration=1, pitch=60, tie="begin"), "tie"),
        (dict(onset=0, duration=1, pitch=60, spelling="D4"), "does not sound pitch 60"),
        (dict(onset=0, duration=1, pitch=60, vibrato_depth_cents=500), "vibrato_depth_cents"),
        (dict(onset=0, duration=1, pitch=60, brightness=2), "brightness"),
        (dict(onset=0, duration=1, pitch=60, voice=0), "voice"),
    ],
)
def test_invalid_notes_raise_score_error(kwargs, message):
    with pytest.raises(ScoreError, match=message):
        Note(**kwargs)


def test_overlap_within_a_voice_names_part_and_bar():
    with pytest.raises(ScoreError) as info:
        violin(Note(4, 2, 60), Note(5, 1, 62))
    err = info.value
    assert err.part == "Violin I" and err.onset == 5
    located = err.located(file="quartet.musicxml", bar_of=lambda o: Score().bar_of(o).bar)
    assert str(located) == "quartet.musicxml, part 'Violin I', bar 2: note D4 overlaps the note before it in voice 1"


def test_chords_share_a_voice_but_must_end_together():
    violin(Note(0, 1, 60), Note(0, 1, 64))  # a chord: fine
    with pytest.raises(ScoreError, match="end apart"):
        violin(Note(0, 1, 60), Note(0, 2, 64))
    violin(Note(0, 2, 60), Note(0, 1, 64, voice=2))  # two voices: fine


def test_notes_are_kept_sorted():
    p = violin(Note(2, 1, 60), Note(0, 1, 67), Note(0, 1, 62))
    assert [(n.onset, n.pitch) for n in p.notes] == [(0, 62), (0, 67), (2, 60)]


def test_sorting_and_the_voice_checks_decide_by_the_exact_onsets():
    """The part sorts by float onsets first and screens the voice checks by float ends; where
    floats tie or nearly touch, the exact Fractions decide as before."""
    big = 10**9  # floats 1.2e-7 apart here: 1/10079 and 1/10080 past it round to one float
    a, b = F(big) + F(1, 10080), F(big) + F(1, 10079)
    assert float(a) == float(b) and a < b
    p = violin(Note(b, 1, 60, voice=1), Note(a, 1, 62, voice=3), Note(a, 1, 61, voice=2))
    assert [(n.onset, n.voice, n.pitch) for n in p.notes] == [(a, 2, 61), (a, 3, 62), (b, 1, 60)]
    with pytest.raises(ScoreError, match="overlaps"):  # 61 ends at a + 1, after b starts
        violin(Note(a, 1, 61), Note(b, 1, 60))
    # abutting exactly, with denominators whose float sums are not exact
    notes, onset = [], F(0)
    for d in (F(1, 10080), F(1, 3), F(2, 7), F(3, 5)) * 50:  # every sum's denominator divides 10080
        notes.append(Note(onset, d, 60))
        onset += d
    assert len(violin(*notes).notes) == 200
    with pytest.raises(ScoreError, match="overlaps"):  # one that starts the least a quarter-length can before the last ends
        violin(*notes, Note(onset - F(1, 10080), 1, 62))
    violin(*notes, Note(onset, 1, 62))
    with pytest.raises(ScoreError, match="written twice"):
        violin(Note(F(1, 3), 1, 60), Note(F(1, 3), 1, 60))
    with pytest.raises(ScoreError, match="end apart"):
        violin(Note(F(1, 3), 1, 60), Note(F(1, 3), F(10079, 10080), 64))


@pytest.mark.parametrize("kw, match", [
    ({"onset": F(-1, 3)}, "negative"), ({"duration": F(0)}, "not positive"), ({"duration": -1}, "not positive"),
    ({"pitch": "C4"}, "MIDI number"), ({"pitch": 60.5}, "whole MIDI"), ({"pitch": 128}, "0-127"),
    ({"velocity": 0}, "1-127"), ({"velocity": 80.0}, "1-127"), ({"articulations": frozenset({"stacato"})}, "stacato"),
    ({"articulations": ["staccato", "legato"]}, "legato"), ({"tie": "begin"}, "tie"), ({"slur": "end"}, "slur"),
    ({"voice": 0}, "voice"), ({"voice": 1.0}, "voice"), ({"brightness": 1.5}, "brightness"),
])  # fmt: skip
def test_a_note_refuses_what_it_always_refused(kw, match):
    with pytest.raises(ScoreError, match=match):
        Note(**{"onset": 0, "duration": 1, "pitch": 60, **kw})


def test_a_note_converts_what_it_always_converted():
    n = Note(F(1, 3) + F(1, 10**6), 0.5, 60.0, articulations=["staccato"], brightness=1, voice=True)
    assert n.onset == F(1, 3) and type(n.duration) is F and n.duration == F(1, 2)
    assert type(n.pitch) is int and n.articulations == frozenset({"staccato"}) and type(n.brightness) is float
    plain = frozenset({"tenuto"})
    assert Note(0, 1, 60, articulations=plain).articulations is plain


def test_unknown_instrument_names_the_part():
    with pytest.raises(InstrumentError) as info:
        Part(id="x", name="Fiddle", instrument="violn")
    assert info.value.part == "Fiddle" and "violin" in str(info.value)


@pytest.mark.parametrize("bpm", [0, -10, 2, 5000, float("nan"), float("inf")])
def test_absurd_tempo_is_refused(bpm):
    with pytest.raises(ScoreError, match="tempo"):
        TempoMark(0, bpm)


def test_time_signature_must_start_on_a_bar_line():
    with pytest.raises(ScoreError, match="bar line") as info:
        Score(time_signatures=(TimeSignature(0, 4, 4), TimeSignature(6, 3, 4)))
    assert info.value.bar == 2


def test_duplicate_part_ids_are_refused():
    with pytest.raises(ScoreError, match="used twice"):
        Score(parts=(violin(), violin()))


def test_every_score_error_is_a_partita_error():
    assert issubclass(ScoreError, PartitaError) and issubclass(InstrumentError, PartitaError)


# -- spelling ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spelling, pitch",
    [("C4", 60), ("A4", 69), ("Bb3", 58), ("B#3", 60), ("Cb4", 59), ("E♭5", 75), ("F##2", 43), ("C-1", 0), ("G9", 127)],
)
def test_spelling_to_pitch(spelling, pitch):
    assert pitch_from_spelling(spelling) == pitch


@given(st.integers(0, 127), st.integers(-7, 7))
def test_default_spelling_sounds_its_pitch(pitch, fifths):
    assert pitch_from_spelling(spell_pitch(pitch, fifths=fifths)) == pitch


# -- bars and beats ---------------------------------------------------------------------------------


def walk_bars(meters: list[tuple[int, int, int]], pickup: F, onset: F) -> tuple[int, F]:
    """Independent reference: count bars one by one. meters = [(n_bars, num, den), ...]."""
    t, bar = F(0), 0 if pickup else 1
    if pickup:
        num, den = meters[0][1], meters[0][2]
        if onset < pickup:
            return 0, 1 + (onset + F(4 * num, den) - pickup) / F(4, den)
        t, bar = pickup, 1
    for i, (n_bars, num, den) in enumerate(meters):
        length = F(4 * num, den)
        count = n_bars if i < len(meters) - 1 else 10**6
        for _ in range(count):
            if onset < t + length:
                return bar, 1 + (onset - t) / F(4, den)
            t += length
            bar += 1
    raise AssertionError("unreachable")


meters_st = st.lists(
    st.tuples(st.integers(1, 4), st.sampled_from([(2, 4), (3, 4), (4, 4), (6, 8), (3, 8), (5, 4), (2, 2), (7, 8)])),
    min_size=1,
    max_size=4,
)


@given(meters_st, st.integers(0, 200), st.sampled_from([1, 2, 3, 4, 6, 12]), st.booleans())
def test_bar_of_matches_counting_bars_by_hand(meters, numer, denom, with_pickup):
    meters = [(n, num, den) for n, (num, den) in meters]
    first_len = F(4 * meters[0][1], meters[0][2])
    pickup = first_len / 2 if with_pickup else F(0)
    tss, t = [], F(0)
    for i, (n_bars, num, den) in enumerate(meters):
        tss.append(TimeSignature(t, num, den))
        t += n_bars * F(4 * num, den) + (pickup if i == 0 else 0)
    if with_pickup:  # the first meter's bars start after the pickup
        pass
    score = Score(time_signatures=tuple(tss), pickup=pickup)
    onset = F(numer, denom)
    bar, beat = walk_bars(meters, pickup, onset)
    pos = score.bar_of(onset)
    assert (pos.bar, pos.beat) == (bar, beat)
    assert score.bar_start(pos.bar) <= onset


def test_pickup_is_bar_zero_and_n_bars_counts_it():
    score = Score(
        time_signatures=(TimeSignature(0, 3, 4),),
        pickup=F(1),
        parts=(violin(Note(0, 1, 60), Note(1, 3, 62), Note(4, 3, 64)),),
    )
    assert str(score.bar_of(0)) == "bar 0 beat 3"
    assert str(score.bar_of(4)) == "bar 2 beat 1"
    assert score.n_bars == 3
    assert [(b.number, b.start, b.end) for b in score.bars()] == [(0, 0, 1), (1, 1, 4), (2, 4, 7)]


# -- tempo ------------------------------------------------------------------------------------------


def test_tempo_map_against_a_float64_formula():
    tm = TempoMap((TempoMark(0, 120), TempoMark(8, 90), TempoMark(F(25, 2), 60)))
    # 8 quarters at 120 = 4 s; 4.5 at 90 = 3 s; then 60 bpm
    assert tm.seconds_at(F(8)) == pytest.approx(4.0)
    assert tm.seconds_at(F(25, 2)) == pytest.approx(7.0)
    assert tm.seconds_at(F(15)) == pytest.approx(9.5)
    assert tm.duration_seconds(F(7), F(2)) == pytest.approx(0.5 + 2 / 3)
    for q in [F(0), F(3), F(8), F(10), F(25, 2), F(40)]:
        assert tm.ql_at(tm.seconds_at(q)) == q


def test_score_duration_in_seconds():
    score = Score(parts=(violin(Note(0, 4, 60), Note(4, 4, 62)),), tempo_map=TempoMap((TempoMark(0, 60),)))
    assert score.duration_seconds == pytest.approx(8.0)


# -- edits -------------------------------------------------------------------------------------------


def test_edits_return_new_objects_and_leave_the_old_alone():
    score = Score(parts=(violin(Note(0, 1, 60)),))
    edited = score.with_part_notes("vn", [Note(0, 1, 62)])
    assert score.part("vn").notes[0].pitch == 60 and edited.part("Violin I").notes[0].pitch == 62
    with pytest.raises(dataclasses.FrozenInstanceError):
        score.title = "x"  # type: ignore[misc]


def test_transpose_moves_pitches_keys_and_spellings():
    score = Score(
        parts=(violin(Note(0, 1, 61, spelling="C#4")),),
        key_signatures=(KeySignature(0, 2),),  # D major
    )
    down = transpose(score, -1)  # to Db major
    assert down.key_signatures[0].fifths == -5 and down.key_signatures[0].tonic == "Db"
    assert down.parts[0].notes[0].pitch == 60 and down.parts[0].notes[0].spelling == "C4"
    with pytest.raises(ScoreError, match="leaves MIDI"):
        transpose(Score(parts=(violin(Note(0, 1, 120)),)), 12)


def test_slice_bars_keeps_what_is_in_force():
    score = Score(
        parts=(
            violin(
                Note(0, 4, 60),
                Note(4, 2, 62, tie=None),
                Note(6, 4, 64),  # crosses into bar 3: cut at its end
                dynamics=(Dynamic(0, "p"), Dynamic(6, "f")),
                hairpins=(Hairpin(2, 8, "crescendo"),),
            ),
        ),
        tempo_map=TempoMap((TempoMark(0, 100), TempoMark(4, 80))),
        sections=(Section(4, "B"),),
    )
    cut = slice_bars(score, 2, 2)
    notes = cut.parts[0].notes
    assert [(n.onset, n.duration, n.pitch) for n in notes] == [(0, 2, 62), (2, 2, 64)]
    assert notes[1].tie == "start"
    assert cut.parts[0].dynamics == (Dynamic(0, "p"), Dynamic(2, "f"))
    assert cut.parts[0].hairpins == (Hairpin(0, 4, "crescendo"),)
    assert cut.tempo_map.marks[0].bpm == 80 and cut.sections == (Section(0, "B"),)


def test_velocity_follows_dynamics_unless_the_note_has_its_own():
    p = violin(Note(0, 1, 60), Note(1, 1, 62), Note(2, 1, 64, velocity=30), dynamics=(Dynamic(1, "ff"),))
    assert [p.velocity_of(n) for n in p.notes] == [80, 112, 30]


# -- serialisation -------------------------------------------------------------------------------


def test_dict_round_trip_and_canonical_hash():
    score = Score(
        title="t",
        parts=(violin(Note(0, F(1, 3), 60, articulations={"staccato"}, lyric="la", brightness=0.5)),),
        key_signatures=(KeySignature(0, -1, "minor"),),
        metadata={"composer": "anon"},
    )
    again = Score.from_dict(score.to_dict())
    assert again == score and again.canonical_hash() == score.canonical_hash()
    moved = score.with_part_notes("vn", [Note(0, F(1, 3), 61)])
    assert moved.canonical_hash() != score.canonical_hash()


@pytest.mark.parametrize("fifths, mode, tonic", [(0, "major", "C"), (0, "minor", "A"), (-3, "minor", "C"),
                                                  (2, "dorian", "E"), (7, "major", "C#"), (-7, "major", "Cb"),
                                                  (1, "mixolydian", "D"), (-1, "lydian", "Bb")])  # fmt: skip
def test_key_signature_tonic(fifths, mode, tonic):
    assert KeySignature(0, fifths, mode).tonic == tonic


def test_key_signature_scale_against_music21():
    import music21
    for fifths in range(-7, 8):
        ks = KeySignature(0, fifths)
        ref = {p.pitchClass for p in music21.key.KeySignature(fifths).asKey("major").pitches}
        assert set(ks.scale_pcs) == ref


def test_a_part_ends_where_its_latest_note_ends_exactly():
    """A part's end is picked by float sums, then added exactly: notes that end close together,
    or one that ends last though it starts early, still give the exact end."""
    import random

    rng = random.Random(7)
    for _ in range(100):
        notes, onset = [], F(0)
        for voice in range(1, rng.randint(33, 70)):
            notes.append(Note(onset, F(rng.randint(1, 10**4), rng.randint(1, 10**3)), 60, voice=voice))
            onset += F(rng.randint(0, 3), rng.choice([1, 3, 7, 1000]))
        last = max(n.onset + n.duration for n in notes)
        notes.append(Note(last - F(1, 7919), F(1, 7919) + F(rng.choice([-1, 0, 1]), 10080 * 7919), 61, voice=99))
        part = Part("p", "P", "flute", tuple(notes))
        assert len(part.notes) >= 32 and part.end == max(n.onset + n.duration for n in notes)
    assert Part("p", "P", "flute").end == 0
