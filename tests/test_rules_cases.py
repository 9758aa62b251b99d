"""Every rule: a minimal score that breaks it exactly once (found with the right part, bar and
beat) and a near twin that does not break it."""

from __future__ import annotations

from fractions import Fraction

import pytest

from partita.symbolic.score import Note, Part, Score
from partita.theory_rules import check, get_rule, rule_ids, sketch

# rule id -> (breaking score, twin score, part ids of the violation, bar, beat)
CASES = {
    "range-playable": (
        sketch({"Flute": "C5 A3 C5 C5"}), sketch({"Flute": "C5 B4 C5 C5"}), ("flute",), 1, 2),
    "range-comfortable": (
        sketch({"Flute": "C5 C5 B3 C5"}), sketch({"Flute": "C5 C5 C4 C5"}), ("flute",), 1, 3),
    "monophonic-chords": (
        sketch({"Flute": "C5 D5 E5 C5 C5 D5+F5 E5 C5"}), sketch({"Flute": "C5 D5 E5 C5 C5 D5 E5 C5"}),
        ("flute",), 2, 2),
    "key-outside": (
        sketch({"Violin": "C5 D5 E5 C5 F#5 A5 G5:2"}, key="C major"),
        sketch({"Violin": "C5 D5 E5 C5 F5 A5 G5:2"}, key="C major"), ("violin",), 2, 1),
    "bar-fill": (
        sketch({"Violin": "C5 D5 E5 F5:2 G5:3"}), sketch({"Violin": "C5 D5 E5 F5~ F5 G5:3"}),
        ("violin",), 1, 4),
    "off-grid": (
        sketch({"Violin": "C5:4 C5:5/8 D5:3/8 E5 F5:2"}), sketch({"Violin": "C5:4 C5:3/4 D5:1/4 E5 F5:2"}),
        ("violin",), 2, Fraction(13, 8)),
    "parallel-fifths": (
        sketch({"Soprano": "C5:4 E5 E5 C5 D5", "Bass": "C3:4 C3 C3 F3 G3"}),
        sketch({"Soprano": "C5:4 E5 E5 C5 D5", "Bass": "C3:4 C3 C3 F3 B2"}), ("soprano", "bass"), 2, 3),
    "parallel-octaves": (
        sketch({"Soprano": "C5:4 E5 E5 C5 D5", "Bass": "C3:4 C3 C3 C3 D3"}),
        sketch({"Soprano": "C5:4 E5 E5 C5 D5", "Bass": "C3:4 C3 C3 C3 B2"}), ("soprano", "bass"), 2, 3),
    "parallel-unisons": (
        sketch({"Violin I": "C5:4 E5 E5 G4 A4", "Violin II": "C4:4 C4 C4 G4 A4"}),
        sketch({"Violin I": "C5:4 E5 E5 G4 A4", "Violin II": "C4:4 C4 C4 G4 F4"}),
        ("violin_i", "violin_ii"), 2, 3),
    "hidden-fifths": (
        sketch({"Soprano": "C5:4 A4 D5", "Bass": "C3:4 C3 G3"}),
        sketch({"Soprano": "C5:4 C5 D5", "Bass": "C3:4 C3 G3"}), ("soprano", "bass"), 2, 1),
    "hidden-octaves": (
        sketch({"Soprano": "G4 E4 C5", "Bass": "C3 A2 C3"}),
        sketch({"Soprano": "G4 B4 C5", "Bass": "C3 A2 C3"}), ("soprano", "bass"), 1, 2),
    "voice-crossing": (
        sketch({"Soprano": "E5 C5 E5 E5", "Alto": "C5 D5 C5 C5"}),
        sketch({"Soprano": "E5 C5 E5 E5", "Alto": "C5 B4 C5 C5"}), ("soprano", "alto"), 1, 2),
    "voice-overlap": (
        sketch({"Soprano": "E5 C5 G5 G5", "Alto": "C5 A4 D5 D5"}),
        sketch({"Soprano": "E5 C5 G5 G5", "Alto": "C5 A4 B4 B4"}), ("soprano", "alto"), 1, 2),
    "spacing": (
        sketch({"Soprano": "C5 G5 C5 C5", "Alto": "E4 E4 E4 E4", "Bass": "C3 C3 C3 C3"}),
        sketch({"Soprano": "C5 E5 C5 C5", "Alto": "E4 E4 E4 E4", "Bass": "C3 C3 C3 C3"}),
        ("soprano", "alto"), 1, 2),
    "leading-tone": (
        sketch({"Soprano": "D5 E5 B4 A4", "Bass": "B2 C3 G2 C3"}, key="C major"),
        sketch({"Soprano": "D5 E5 B4 C5", "Bass": "B2 C3 G2 C3"}, key="C major"), ("soprano",), 1, 3),
    "leap-too-large": (
        sketch({"Violin": "C5 E5 D4 E4"}), sketch({"Violin": "C5 D5 D4 E4"}), ("violin",), 1, 2),
    "augmented-interval": (
        sketch({"Violin": "E4 F4 G#4 A4"}), sketch({"Violin": "E4 F4 Ab4 G4"}), ("violin",), 1, 2),
    "leap-recovery": (
        sketch({"Violin": "C4 D4 A4 B4 C5"}), sketch({"Violin": "C4 D4 A4 G4 F4"}), ("violin",), 1, 2),
    "non-chord-tone": (
        sketch({"Violin": "C5 D5 E5 F5 F5:4"}, chords={0: "C", 4: "G"}),
        sketch({"Violin": "C5 D5 E5 F5 G5:4"}, chords={0: "C", 4: "G"}), ("violin",), 2, 1),
}


def _piano(*notes: Note) -> Score:
    return Score(parts=(Part("pno", "Piano", "piano", notes),))


# voices of one part cannot come from a sketch: built directly
CASES["same-pitch-overlap"] = (
    _piano(Note(0, 4, 60, voice=1), Note(4, 2, 60, voice=1), Note(5, 1, 60, voice=2), Note(6, 2, 62, voice=2)),
    _piano(Note(0, 4, 60, voice=1), Note(4, 2, 60, voice=1), Note(6, 1, 60, voice=2), Note(7, 1, 62, voice=2)),
    ("pno",), 2, 2,
)  # fmt: skip


def test_every_rule_has_a_case():
    assert set(CASES) == set(rule_ids())


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_breaks_exactly_once(rule_id):
    bad, _, parts, bar, beat = CASES[rule_id]
    found = get_rule(rule_id).check(bad)
    assert len(found) == 1, [v.message for v in found]
    v = found[0]
    assert v.rule == rule_id
    assert v.parts == parts
    assert (v.bar, v.beat) == (bar, Fraction(beat))
    assert v.severity == get_rule(rule_id).severity
    assert v.notes and all(isinstance(n, Note) for n in v.notes)
    assert f"bar {bar} beat" in v.message


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_near_twin_is_clean(rule_id):
    _, good, *_ = CASES[rule_id]
    assert get_rule(rule_id).check(good) == []


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_engine_finds_the_same(rule_id):
    """Through check() with every rule enabled, the case's rule reports the same violation."""
    bad, good, *_ = CASES[rule_id]
    everything = check(bad, profile="chorale", enable=rule_ids())
    assert [v.message for v in everything.by_rule(rule_id)] == [v.message for v in get_rule(rule_id).check(bad)]
    assert check(good, profile="chorale", enable=rule_ids()).by_rule(rule_id) == []


def test_message_reads_like_a_musician_wrote_it():
    bad = CASES["parallel-fifths"][0]
    (v,) = get_rule("parallel-fifths").check(bad)
    assert v.message == "Soprano and Bass: parallel fifths, bar 2 beat 3 → bar 2 beat 4"
    assert [n.name for n in v.notes] == ["C5", "F3", "D5", "G3"]


def test_lenient_key_allows_chromatic_passing_and_neighbour_tones():
    passing = sketch({"Violin": "F5 F#5 G5 A5"}, key="C major")
    neighbour = sketch({"Violin": "G5 F#5 G5 A5"}, key="C major")
    for score in (passing, neighbour):
        assert get_rule("key-outside").check(score) == []
        (v,) = get_rule("key-outside", mode="strict").check(score)
        assert (v.bar, v.beat, v.notes[0].name) == (1, 2, "F#5")


def test_minor_keys_hold_the_raised_sixth_and_seventh():
    melodic = sketch({"Violin": "A4 B4 C5 D5 E5 F#5 G#5 A5"}, key="A minor")
    assert get_rule("key-outside", mode="strict").check(melodic) == []
    assert len(get_rule("key-outside", mode="strict", minor_raised_6_7=False).check(melodic)) == 2


def test_parallels_by_contrary_motion_are_parameter():
    s = sketch({"Soprano": "G4 C5", "Bass": "C3 F2"})  # a fifth (19) to a fifth (31) by contrary motion
    (v,) = get_rule("parallel-fifths").check(s)
    assert "contrary" in v.message
    assert get_rule("parallel-fifths", contrary=False).check(s) == []


def test_leap_across_a_rest_is_not_a_leap_unless_asked():
    s = sketch({"Violin": "E5 r D4 E4"})
    assert get_rule("leap-too-large").check(s) == []
    assert len(get_rule("leap-too-large", across_rests=True).check(s)) == 1


def test_triplets_are_on_the_default_grid():
    s = sketch({"Violin": "C5:1/3 D5:1/3 E5:1/3 F5:3"})
    assert get_rule("off-grid").check(s) == []
    assert len(get_rule("off-grid", grids="1/4").check(s)) == 2


def test_upper_step_licence_of_hidden_fifths_is_a_parameter():
    twin = CASES["hidden-fifths"][1]
    assert len(get_rule("hidden-fifths", allow_upper_step=False).check(twin)) == 1


def test_leading_tone_in_every_voice_when_asked():
    s = sketch({"Soprano": "G5 G5 G5 G5", "Alto": "D5 D5 B4 G4", "Bass": "G2 G2 G2 C3"}, key="C major")
    assert get_rule("leading-tone").check(s) == []  # inner voice, default outer only
    (v,) = get_rule("leading-tone", voices="all").check(s)
    assert v.parts == ("alto",) and (v.bar, v.beat) == (1, 3)


def test_multi_voice_part_gives_one_line_per_voice():
    # a piano right hand with two voices in parallel fifths
    notes = (Note(0, 1, 76, voice=1), Note(1, 1, 77, voice=1), Note(0, 1, 69, voice=2), Note(1, 1, 70, voice=2))
    (v,) = get_rule("parallel-fifths").check(_piano(*notes))
    assert v.parts == ("pno",)
    assert v.message.startswith("Piano (voice 1) and Piano (voice 2): parallel fifths")


def test_chord_top_note_is_the_line():
    # chords in one voice: the top notes E5 -> F5 against a bass A3 -> Bb3: parallel fifths
    # (E5/A3 is 19 semitones); the inner chord notes do not count
    pno = Part("pno", "Piano", "piano", (Note(0, 1, 76), Note(0, 1, 60), Note(1, 1, 77), Note(1, 1, 62)))
    vc = Part("vc", "Cello", "cello", (Note(0, 1, 57), Note(1, 1, 58)))
    (v,) = get_rule("parallel-fifths").check(Score(parts=(pno, vc)))
    assert [n.pitch for n in v.notes] == [76, 57, 77, 58]


def test_rules_needing_a_key_or_chords_say_so_once():
    s = sketch({"Soprano": "E5 D5 C5:2", "Bass": "C3 G2 C3:2"})
    report = check(s, profile="chorale")
    assert sorted(n.rule for n in report.notices) == ["key-outside", "leading-tone", "non-chord-tone"]
    text = report.format_text()
    assert text.count("note: key-outside skipped: the score has no key signature") == 1
    assert text.count("non-chord-tone skipped: the score has no chord symbols") == 1


def test_unknown_names_list_the_known_ones():
    from partita.errors import ConfigError

    with pytest.raises(ConfigError, match="known profiles: chorale, classical, pop, orchestration"):
        check(CLEAN_TWIN, profile="jazz")
    with pytest.raises(ConfigError, match="known rules: .*parallel-fifths"):
        check(CLEAN_TWIN, disable=["parallel-sevenths"])
    with pytest.raises(ConfigError, match="its parameters: max_semitones"):
        get_rule("spacing", width=3)


CLEAN_TWIN = CASES["parallel-fifths"][1]
