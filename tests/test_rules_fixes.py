"""Fix helpers: octave moves into range, parts given to new instruments, what is left."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from partita import instruments
from partita.symbolic.score import Note, Part, Score
from partita.theory_rules import check, fit_to_range, reorchestrate, sketch, transpose_for

INSTRUMENTS = ("flute", "oboe", "clarinet", "horn", "bassoon", "violin", "cello", "trumpet", "soprano", "bass")


@given(st.sampled_from(INSTRUMENTS), st.lists(st.integers(12, 115), min_size=1, max_size=24), st.sampled_from(["comfortable", "playable"]))
def test_fit_to_range_moves_by_octaves_into_range(inst_id, pitches, target):
    notes = tuple(Note(Fraction(i, 2), Fraction(1, 2), p) for i, p in enumerate(pitches))
    score = Score(parts=(Part("p", "Player", inst_id, notes),))
    before = score.to_dict()
    r = fit_to_range(score, target=target)
    assert score.to_dict() == before  # input untouched
    inst = instruments.get(inst_id)
    lo, hi = inst.comfortable_range if target == "comfortable" else inst.sounding_range
    after = r.score.part("p").notes
    assert len(after) == len(notes)
    for old, new in zip(notes, after):
        assert (new.pitch - old.pitch) % 12 == 0
        assert new.onset == old.onset and new.duration == old.duration
        if lo <= old.pitch <= hi:
            assert new.pitch == old.pitch
        else:
            assert lo <= new.pitch <= hi  # every catalog range spans more than an octave
    assert len(r.moved) == sum(not lo <= p <= hi for p in pitches)
    # nothing left out of the target range; the only leftovers are playability ones
    assert {v.rule for v in r.remaining} <= {"monophonic-chords", "range-comfortable"} - (
        {"range-comfortable"} if target == "comfortable" else set()
    )


def test_a_move_onto_a_chord_note_is_left_and_reported():
    s = sketch({"Violin": "G3+G4 A4"}, instruments={"Violin": "flute"})
    r = fit_to_range(s)
    assert [n.pitch for n in r.score.parts[0].notes] == [55, 67, 69]
    assert r.moved == ()
    assert {v.rule for v in r.remaining} == {"range-playable", "monophonic-chords"}


def test_transpose_for_picks_the_octaves_and_renames():
    s = sketch({"Cello": "C3 E3 G3 C4 G2:4"})
    r = transpose_for(s, "Cello", "Clarinet in B♭")
    p = r.score.parts[0]
    assert (p.instrument, p.name) == ("clarinet", instruments.get("clarinet").name)
    assert r.shift_semitones == {"cello": 12}
    assert [n.pitch for n in p.notes] == [60, 64, 67, 72, 55]
    assert r.remaining == ()
    # the same with a forced shift leaves notes below the clarinet's range, reported
    r = transpose_for(s, "cello", "clarinet", semitones=0)
    assert [v.notes[0].pitch for v in r.remaining if v.rule == "range-playable"] == [48, 43]
    assert transpose_for(s, "cello", "clarinet", semitones=0, fit=True).remaining == ()


def test_piano_chords_given_to_a_flute_are_reported():
    s = sketch({"Piano": "C4+E4+G4:2 D4+F4:2"})
    r = transpose_for(s, "piano", "flute")
    assert [v.rule for v in r.remaining] == ["monophonic-chords", "monophonic-chords"]
    assert [v.bar for v in r.remaining] == [1, 1]


def test_reorchestrate_a_chorale_for_wind_quintet():
    s = sketch(
        {"Soprano": "G4 A4 B4 C5:2 B4:2", "Alto": "D4 D4 D4 E4:2 D4:2", "Tenor": "B3 C4 G3 G3:2 G3:2",
         "Bass": "G2 F#2 G2 C3:2 G2:2"}, key="G major",
    )  # fmt: skip
    r = reorchestrate(s, {"Soprano": "flute", "Alto": "oboe", "Tenor": "clarinet", "Bass": "bassoon"})
    assert [p.instrument for p in r.score.parts] == ["flute", "oboe", "clarinet", "bassoon"]
    assert r.remaining == ()
    report = check(r.score, profile="orchestration")
    assert report.n_errors == 0 and report.n_warnings == 0
