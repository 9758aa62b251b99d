"""The planner: prompt -> Plan, its vocabulary, section maps, chords and JSON round trip."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from partita.errors import ConfigError, InstrumentError
from partita.symbolic.composer.chords import chord_root_quality, roman_to_chord
from partita.symbolic.composer.planner import Plan, PlanPart, PlanSection, plan
from partita.symbolic.composer.vocab import ensembles, vocabulary


def bar_seconds(p: Plan) -> float:
    return float(p.bar_ql) * 60.0 / p.tempo_bpm


def test_three_and_a_half_minutes_has_the_full_form():
    p = plan("an uplifting pop song", duration_s=210)
    assert [s.name for s in p.sections] == [
        "intro", "verse", "pre-chorus", "chorus", "verse", "pre-chorus", "chorus", "bridge", "chorus", "outro",
    ]  # fmt: skip
    assert abs(p.duration_s - 210) <= bar_seconds(p)
    # the choruses are the peaks of energy
    energy = {s.name: s.energy for s in p.sections}
    assert energy["chorus"] > energy["verse"] > energy["intro"]


@pytest.mark.parametrize("seconds", [3, 10, 20, 45, 75, 130, 210, 400])
@pytest.mark.parametrize("prompt", ["", "slow sad chorale", "fast jig 6/8", "waltz"])
def test_section_map_adds_up_to_the_duration_within_one_bar(seconds, prompt):
    p = plan(prompt, duration_s=seconds)
    assert abs(p.duration_s - seconds) <= bar_seconds(p) / 2 + 1e-9
    assert p.n_bars == sum(len(s.chords) for s in p.sections)


def test_shorter_pieces_have_shorter_forms():
    lengths = [len(plan("", duration_s=s).sections) for s in (5, 20, 60, 100, 210)]
    assert lengths == sorted(lengths)
    assert lengths[0] <= 2 and lengths[-1] == 10


def test_prompt_sets_key_meter_tempo_and_ensemble():
    p = plan("a calm waltz for string quartet in D minor, 90 bpm", duration_s=30)
    assert (p.key, p.mode, p.meter, p.tempo_bpm) == ("D", "minor", (3, 4), 90.0)
    assert [x.instrument for x in p.instrumentation] == ["violin", "violin", "viola", "cello"]
    assert p.genre == "waltz" and p.moods == ("calm",)
    assert p.unknown_words == ()


def test_explicit_arguments_win_over_the_prompt():
    p = plan("waltz in D minor", key="Bb major", tempo=70, meter="6/8", ensemble="brass quintet")
    assert (p.key, p.mode, p.tempo_bpm, p.meter) == ("Bb", "major", 70.0, (6, 8))
    assert p.instrumentation[-1].instrument == "tuba"


def test_tempo_words_and_moods():
    assert plan("adagio").tempo_bpm == vocabulary()["tempo_words"]["adagio"]
    assert plan("presto").tempo_bpm == vocabulary()["tempo_words"]["presto"]
    assert plan("sad").mode == "minor" and plan("happy").mode == "major"


def test_unknown_words_are_reported_not_dropped():
    p = plan("a sad flibbertigibbet for brass", tags=("zorbly",))
    assert p.unknown_words == ("flibbertigibbet", "zorbly")
    assert p.moods == ("sad",) and p.instrumentation[0].instrument == "trumpet"


def test_empty_prompt_gives_defaults():
    p = plan("")
    d = vocabulary()["defaults"]
    assert p.tempo_bpm == d["tempo_bpm"] and p.meter == tuple(d["meter"])
    assert p.unknown_words == ()


def test_unknown_ensemble_lists_the_known_ones():
    with pytest.raises(ConfigError) as err:
        plan("", ensemble="kazoo orchestra")
    for name in ("string_quartet", "wind_quintet", "brass_quintet", "satb_choir", "pop_band"):
        assert name in str(err.value)


@pytest.mark.parametrize("name", sorted(ensembles()))
def test_every_ensemble_preset_is_playable(name):
    p = plan("", ensemble=name)
    assert len(p.instrumentation) == len(ensembles()[name])


def test_required_presets_exist():
    names = set(ensembles())
    assert {"string_quartet", "wind_quintet", "brass_quintet", "chamber_orchestra", "satb_choir",
            "folk_band", "pop_band", "piano_solo"} <= names  # fmt: skip
    roles = [p[3] for p in ensembles()["pop_band"]]
    assert "percussion" in roles and "bass" in roles


def test_bad_key_meter_tempo():
    with pytest.raises(ConfigError):
        plan("", key="H major")
    with pytest.raises(ConfigError):
        plan("", meter="7/3")
    with pytest.raises(ConfigError):
        plan("", tempo=1000)
    with pytest.raises(InstrumentError):
        PlanPart("x", "X", "theremin-9000", "melody")


def test_chords_are_in_the_key():
    """Every chord tone of a major-key plan lies in the major scale, bar V of minor aside."""
    from partita.symbolic.composer.chords import QUALITIES

    for seed in range(5):
        p = plan("", key="E major", duration_s=120, seed=seed)
        scale = {(4 + i) % 12 for i in (0, 2, 4, 5, 7, 9, 11)}
        for figure in p.bar_chords():
            root, q = chord_root_quality(figure)
            assert {(root + i) % 12 for i in QUALITIES[q][1]} <= scale, figure
        assert chord_root_quality(p.bar_chords()[-1]) == (4, "maj")  # ends on the tonic


def test_roman_numerals_against_music21():
    from music21 import roman

    for key, mode, numerals in [("D", "minor", ["i", "iv", "V", "VI", "III", "VII"]),
                                ("Bb", "major", ["I", "ii", "iii", "IV", "V", "vi", "vii°"])]:  # fmt: skip
        for rn in numerals:
            ours = chord_root_quality(roman_to_chord(rn, key=key, mode=mode))
            m21key = key.replace("b", "-") if mode == "major" else key.lower()
            ref = roman.RomanNumeral(rn.replace("°", "o"), m21key)
            assert ours[0] == ref.root().pitchClass, rn
            quality = {"major": "maj", "minor": "min", "diminished": "dim"}[ref.quality]
            assert ours[1] == quality, rn


def test_same_seed_same_plan_and_seeds_vary():
    assert plan("folk tune", seed=3) == plan("folk tune", seed=3)
    assert len({plan("folk tune", seed=s).bar_chords() for s in range(8)}) > 1


@settings(max_examples=30, deadline=None)
@given(
    prompt=st.sampled_from(["", "sad waltz", "pop band anthem", "calm chorale", "brass march 2/4"]),
    seconds=st.floats(min_value=2, max_value=300),
    seed=st.integers(0, 1000),
)
def test_plan_json_round_trip(prompt, seconds, seed):
    p = plan(prompt, duration_s=seconds, seed=seed)
    assert Plan.from_dict(json.loads(json.dumps(p.to_dict()))) == p


def test_plan_validation_and_key_signature():
    p = plan("", key="F# minor")
    assert p.key_signature().fifths == 3 and p.key_signature().tonic == "F#"
    assert plan("", key="Eb major").key_signature().fifths == -3
    with pytest.raises(ConfigError):
        PlanSection("verse", 2, 0.5, ("C",))
    with pytest.raises(ConfigError):
        PlanSection("solo", 1, 0.5, ("C",))
    with pytest.raises(ConfigError):
        Plan.from_dict({"key": "C"})
    assert p.bar_ql == Fraction(4)


def test_cli_plan_prints_the_plan_and_json(capsys):
    from partita.cli import main

    assert main(["plan", "sad waltz for brass quintet with glorp", "--seconds", "40", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert Plan.from_dict(data).unknown_words == ("glorp",)
    assert main(["plan", "calm chorale", "--json"]) == 0
    sections = [s["name"] for s in json.loads(capsys.readouterr().out)["sections"]]
    assert main(["plan", "calm chorale"]) == 0
    text = capsys.readouterr().out
    assert sections and all(f": {name}," in text for name in sections), text  # the text form lists every section
    assert main(["plan", "--ensemble", "kazoo band"]) == 2
    assert "known: string_quartet" in capsys.readouterr().err
