"""The prompt reader (issue 11): instruments, counts, negations, context, styles, keys, tempo,
length, meter, unknown words and the stated rules for contradictions."""

from __future__ import annotations

import tomllib
from collections import Counter
from pathlib import Path

import pytest

from partita import instruments as cat
from partita.symbolic.arranger.library import style, styles
from partita.symbolic.composer.vocab import vocabulary
from partita.symbolic.composer.planner import Plan, plan
from partita.symbolic.composer.prompt import lexicon, read_prompt

ROOT = Path(__file__).resolve().parents[1]


def insts(p: Plan) -> list[str]:
    return [x.instrument for x in p.instrumentation]


def test_the_issues_examples_get_what_they_name():
    p = plan("a slow waltz for viola and piano")
    assert (p.genre, p.meter, insts(p)) == ("waltz", (3, 4), ["viola", "piano"])
    assert p.unknown_words == ()
    assert p.tempo_bpm == style("waltz").tempo[0]  # "slow": the low end of the style's range
    p = plan("a punk song with electric guitars, bass and drums")
    assert p.genre == "punk" and Counter(insts(p)) == Counter(["electric_guitar"] * 2 + ["electric_bass", "drum_kit"])
    p = plan("a jazz quartet with trumpet, piano, upright bass and drums")
    assert insts(p) == ["trumpet", "piano", "acoustic_bass", "drum_kit"]
    assert [x.role for x in p.instrumentation] == ["melody", "accompaniment", "bass", "percussion"]
    assert insts(plan("a toccata for organ")) == ["organ"]
    assert insts(plan("a reel on tin whistle")) == ["tin_whistle"]


@pytest.mark.parametrize(("prompt", "bass"), [
    ("pop song with bass and drums", "electric_bass"), ("rock with bass", "electric_bass"),
    ("funk with bass", "electric_bass"), ("reggae with bass", "electric_bass"), ("country with bass", "electric_bass"),
    ("jazz with bass", "acoustic_bass"), ("folk tune with bass", "contrabass"), ("tango with bass", "contrabass"),
    ("classical piece for bass and piano", "contrabass"),
])  # fmt: skip
def test_bass_means_what_the_style_plays(prompt, bass):
    assert bass in insts(plan(prompt))


def test_counts_plurals_sections_and_solo():
    assert Counter(insts(plan("two oboes and a bassoon"))) == Counter({"oboe": 2, "bassoon": 1})
    assert insts(plan("3 violins")) == ["violin"] * 3
    assert insts(plan("a pair of trumpets")) == ["trumpet"] * 2
    assert insts(plan("string trio")) == ["violin", "viola", "cello"]
    assert insts(plan("solo trumpet")) == ["trumpet"]
    assert insts(plan("a flute trio")) == ["flute"] * 3
    p = plan("a choir")
    assert insts(p) == ["soprano", "alto", "tenor", "bass"] and p.genre == "chorale"
    assert Counter(insts(plan("funk with horns"))) == Counter(style("funk").horns)
    assert insts(plan("woodwinds")) == ["flute", "oboe", "clarinet", "horn", "bassoon"]
    assert [x.name for x in plan("two oboes").instrumentation] == ["Oboe I", "Oboe II"]


def test_named_instruments_are_the_whole_ensemble_and_a_style_alone_gives_its_own():
    assert insts(plan("rock song with piano and bass")) == ["piano", "electric_bass"]
    assert insts(plan("a bossa nova")) == [i for i, _ in style("bossa_nova").ensemble]
    for name, s in styles().items():
        p = plan(s.words[0])
        assert p.genre == name, (s.words[0], p.genre)
        assert insts(p) == [i for i, _ in s.ensemble]


def test_negations_remove_instruments_even_from_the_styles_ensemble():
    assert "drum_kit" not in insts(plan("a rock song with no drums"))
    assert "piano" not in insts(plan("jazz without piano"))
    p = plan("piano and drums, without piano")
    assert insts(p) == ["drum_kit"] and any("negated" in n for n in p.notes)


def test_voices_female_and_male_and_the_melody_goes_to_the_voice():
    p = plan("pop song with female vocals")
    assert insts(p)[0] == style("pop").voice_female and p.instrumentation[0].role == "melody"
    assert "drum_kit" in insts(p)  # the voice sings over the pop band (a stated rule)
    assert any("sing the melody" in n for n in p.notes)
    p = plan("a blues with male singer, guitar and bass")
    assert insts(p) == ["baritone", "electric_guitar", "electric_bass"]
    assert p.instrumentation[0].role == "melody"
    assert insts(plan("a folk song for guitar and a female voice"))[1] == style("folk").voice_female
    assert insts(plan("alto sax and alto")) == ["alto_sax", "alto"]


def test_a_count_of_voices_is_a_choir_voiced_top_down():
    """"A chorale for four voices" is SATB (it was four sopranos); a count before "female" or
    "male" counts too; the bass role goes to the lowest part, of equal voices the last."""
    p = plan("a chorale for four voices in D minor")
    assert insts(p) == ["soprano", "alto", "tenor", "bass"]
    assert [x.role for x in p.instrumentation] == ["melody", "inner", "inner", "bass"]
    assert insts(plan("a hymn for three singers")) == ["soprano", "alto", "bass"]
    assert insts(plan("a chorale for four female voices")) == ["soprano", "soprano", "alto", "alto"]
    p = plan("a chorale for 4 male voices")
    assert insts(p) == ["tenor", "tenor", "bass", "bass"] and p.instrumentation[3].role == "bass"
    # a style whose voice is not a choir voice keeps it: two pop singers are two of the style's voice
    assert insts(plan("a pop song for two singers"))[:2] == [style("pop").voice] * 2
    for voicing in lexicon()["voice_counts"].values():
        for n, voices in voicing.items():
            assert len(voices) == int(n) and all(cat.get(v).family == "voice" for v in voices)


def test_key_mode_tempo_length_and_meter_from_the_text():
    p = plan("something in F# minor at 140 bpm, 2:30, in 6/8")
    assert (p.key, p.mode, p.tempo_bpm, p.meter) == ("F#", "minor", 140.0, (6, 8))
    assert abs(p.duration_s - 150) <= float(p.bar_ql) * 60 / p.tempo_bpm
    assert abs(plan("a 3 minutes song").duration_s - 180) < 3
    assert abs(plan("90 seconds of rock").duration_s - 90) < 3
    assert abs(plan("a minute and a half").duration_s - 90) < 3
    p = plan("a Dorian tune")
    assert p.mode == "minor" and any("Dorian" in n for n in p.notes)
    assert plan("a tune in waltz time").meter == (3, 4)
    assert plan("allegro").tempo_bpm == vocabulary()["tempo_words"]["allegro"]
    assert plan("fast rock").tempo_bpm == style("rock").tempo[1]
    assert plan("in Bb major").key == "Bb" and plan("in Am").mode == "minor"


def test_contradictions_are_resolved_by_a_stated_rule():
    p = plan("a waltz in 4/4")
    assert p.meter == (4, 4) and p.genre == "waltz" and "wins" in p.notes[0]
    p = plan("solo piano with drums")
    assert insts(p) == ["piano", "drum_kit"] and any("solo" in n for n in p.notes)
    p = plan("slow rock at 150 bpm")
    assert p.tempo_bpm == 150 and any("bpm" in n for n in p.notes)
    p = plan("a rock waltz")
    assert p.genre == "rock" and p.meter == (3, 4) and p.notes
    assert "rule applied" in p.describe()


def test_unknown_content_words_are_reported_and_stop_words_are_not():
    p = plan("please write me a flibbertigibbet song for the piano with some zorbly vibes")
    assert p.unknown_words == ("flibbertigibbet", "zorbly")
    assert plan("").unknown_words == () and insts(plan("")) == ["violin", "violin", "viola", "cello"]


def test_an_instrument_partita_cannot_play_is_named_with_the_nearest():
    p = plan("a raga for sitar and tabla")
    assert insts(p) == ["banjo", "drum_kit"]
    assert any("sitar" in n and "banjo" in n for n in p.notes)


def test_the_lexicon_names_only_catalog_instruments_and_styles_only_known_parts():
    lex = lexicon()
    for name in lex["instruments"]:
        assert name.startswith("@") or cat.get(name).id == name
    for nearest in lex["unsupported"].values():
        cat.get(nearest)
    for s in styles().values():
        for attr in ("bass", "guitar", "keys", "voice", "voice_female", "voice_male"):
            cat.get(getattr(s, attr))
        for i, _ in s.ensemble:
            cat.get(i)
        assert s.tempo[0] <= s.tempo[1]
    assert len(styles()) >= 40
    # a phrase means one thing: no instrument phrase is also a style phrase or a stop word
    phrases = [w for ws in lex["instruments"].values() for w in ws]
    assert len(phrases) == len(set(phrases))
    style_words = {w for s in styles().values() for w in s.words}
    assert not set(phrases) & style_words
    assert not set(phrases) & set(lex["stop_words"])


def test_the_prompt_benchmark_set_is_read_as_expected():
    """The committed everyday prompts (benchmarks/data/prompts.toml): at least 95 % fully
    right (style, meter and instruments as a multiset)."""
    cases = tomllib.loads((ROOT / "benchmarks" / "data" / "prompts.toml").read_text("utf-8"))["prompt"]
    assert len(cases) >= 60
    right = 0
    for c in cases:
        p = plan(c["text"])
        right += (p.genre == c["style"] and list(p.meter) == c["meter"]
                  and Counter(insts(p)) == Counter(c["instruments"]))  # fmt: skip
    assert right / len(cases) >= 0.95


def test_plan_notes_and_swing_round_trip():
    p = plan("a bebop tune, no piano, in 3/4")
    assert p.swing and p.notes
    assert Plan.from_dict(p.to_dict()) == p


def test_reading_is_pure():
    assert read_prompt("a jazz trio in Eb") == read_prompt("a jazz trio in Eb")


def test_the_blues_is_cut_into_twelve_bar_choruses_with_the_form_stated():
    from music21 import harmony

    p = plan("a blues shuffle", duration_s=120, seed=0)
    tonic = harmony.ChordSymbol(p.key.replace("b", "-") if len(p.key) > 1 else p.key).root().pitchClass
    for s in p.sections:
        if s.name not in ("intro", "outro"):
            assert s.bars % 12 == 0
            roots = [harmony.ChordSymbol(c[0] + c[1:].replace("b", "-", 1) if c[1:2] == "b" else c).root().pitchClass
                     for c in s.chords[:12]]  # fmt: skip
            assert roots[0] == tonic and roots[4] == (tonic + 5) % 12 and roots[8] == (tonic + 7) % 12
    assert p.swing and any("12-bar" in n for n in p.notes)
