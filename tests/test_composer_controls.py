"""Control tokens over REMI: vocabulary, Score + controls <-> tokens, analysis against music21."""

from __future__ import annotations

import dataclasses
from fractions import Fraction as F

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from partita.errors import TokenizationError
from partita.symbolic.composer.controls import (
    BarControl,
    ComposerVocab,
    Controls,
    analyse_chord,
    controls_of,
    controls_of_plan,
    estimate_key,
    tempo_bucket,
)
from partita.symbolic.composer.planner import plan
from partita.symbolic.io.musicxml import score_from_music21
from partita.symbolic.pitch import KeySignature
from partita.symbolic.score import Note, Part, Score, Section
from tests.strategies import scores

CV = ComposerVocab.default()


def test_vocabulary_extends_remi_unchanged():
    base = CV.base
    assert CV.n_remi == base.vocab_size
    for s, i in base.vocab.items():
        assert CV.id(s) == i and CV.token_string(i) == s
    assert CV.vocab_size == base.vocab_size + len(CV.control_names)
    assert not CV.is_control[: CV.n_remi].any() and CV.is_control[CV.n_remi :].all()
    assert {CV.token_type(i) for i in range(CV.n_remi, CV.vocab_size)} == {
        "Key", "Tempo", "Role", "Section", "Energy", "Chord",
    }  # fmt: skip


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(score=scores(max_parts=3, pickup=False), data=st.data())
def test_score_and_controls_round_trip_exactly(score, data):
    assume(not CV.base.check_grid(score))
    remi = CV.base.encode(score)
    n_bars = sum(1 for i in remi.ids if i == CV.bar)
    bars = tuple(
        BarControl(
            data.draw(st.sampled_from(["none", "intro", "verse", "chorus", "bridge", "outro"])),
            data.draw(st.integers(0, 4)),
            data.draw(st.one_of(st.none(), st.tuples(st.integers(0, 11), st.sampled_from(["maj", "min", "dim", "aug", "7"])))),
        )
        for _ in range(n_bars)
    )  # fmt: skip
    controls = Controls(
        (data.draw(st.integers(0, 11)), data.draw(st.sampled_from(["major", "minor"]))),
        data.draw(st.integers(0, 7)),
        tuple(data.draw(st.sampled_from(["melody", "inner", "bass", "accompaniment"])) for _ in score.parts),
        bars,
    )
    seq, used = CV.encode(score, controls)
    assert used == controls
    back, back_controls = CV.decode(seq)
    assert back_controls == controls
    assert back == CV.base.decode(remi)  # the Score exactly as plain REMI gives it
    # removing the controls leaves the REMI ids
    assert [i for i in seq.ids if not CV.is_control[i] and i not in (CV.bos, CV.eos)] == list(remi.ids)


def test_grammar_of_a_sequence():
    s = Score(parts=(Part("s", "Soprano", "soprano", (Note(0, 4, 67), Note(4, 4, 69))),
                     Part("b", "Bass", "bass", (Note(0, 8, 43),))))  # fmt: skip
    seq, c = CV.encode(s)
    toks = CV.tokens(seq.ids)
    assert toks[:5] == ["BOS_None", f"Key_{c.key[0]}_{c.key[1]}", f"Tempo_{c.tempo}", "Role_melody", "Role_bass"]
    for i, t in enumerate(toks):
        if t.startswith("TimeSig"):
            assert [x.split("_")[0] for x in toks[i + 1 : i + 4]] == ["Section", "Energy", "Chord"]
    assert toks[-1] == "EOS_None"


def test_misplaced_controls_raise():
    s = Score(parts=(Part("s", "Soprano", "soprano", (Note(0, 4, 67),)),))
    seq, _ = CV.encode(s)
    ids = list(seq.ids)
    with pytest.raises(TokenizationError):
        CV.split(ids[:8] + [CV.id("Section_verse")] + ids[8:])  # a second Section in a bar
    with pytest.raises(TokenizationError):
        CV.split([CV.bos, CV.id("Role_bass")])  # no key or tempo
    with pytest.raises(TokenizationError):
        CV.encode(s, Controls((0, "major"), 3, (), ()))


def test_controls_from_sections_tempo_and_key():
    notes = tuple(Note(4 * b + i, 1, 57 + [0, 3, 7, 12][i]) for b in range(3) for i in range(4))
    s = Score(
        parts=(Part("p", "Violin", "violin", notes),),
        key_signatures=(KeySignature(0, 0, "minor"),),
        sections=(Section(0, "Verse"), Section(8, "Chorus")),
    )
    c = controls_of(s)
    assert c.key == (9, "minor") and c.roles == ("melody",)
    assert [b.section for b in c.bars] == ["verse", "verse", "chorus"]
    assert all(b.chord == (9, "min") for b in c.bars)
    assert tempo_bucket(s.tempo_map.bpm_at(F(0))) == c.tempo


def test_key_estimate_agrees_with_music21_on_chorales():
    """Krumhansl-Schmuckler here against music21's own Krumhansl analysis, on Bach chorales."""
    from music21 import corpus

    agree = 0
    names = ["bwv10.7", "bwv101.7", "bwv102.7", "bwv103.6", "bwv104.6", "bwv108.6"]
    for name in names:
        s21 = corpus.parse(name)
        ref = s21.analyze("key.krumhanslkessler")
        ours = estimate_key(score_from_music21(s21))
        agree += ours == (ref.tonic.pitchClass, ref.mode)
    assert agree >= len(names) - 1


def test_chord_analysis_against_music21_chord_names():
    from music21 import chord

    for figure in ["C4 E4 G4", "D4 F4 A4", "B3 D4 F4", "G3 B3 D4 F4", "C4 E4 G#4", "F#3 A#3 C#4"]:
        c = chord.Chord(figure)
        w = np.zeros(12)
        for p in c.pitches:
            w[p.pitchClass] += 1
        root, q = analyse_chord(w)
        assert root == c.root().pitchClass, figure
        ref = {"major": "maj", "minor": "min", "diminished": "dim", "augmented": "aug"}.get(c.quality, "7")
        assert q == (ref if not c.isDominantSeventh() else "7"), figure


def test_transposition_moves_pitches_keys_and_chords():
    s = Score(parts=(Part("s", "Violin", "violin", (Note(0, 4, 60), Note(4, 4, 64))),))
    seq, c = CV.encode(s)
    up = CV.transpose_ids(np.array(seq.ids), 5)
    score_up, c_up = CV.decode(dataclasses.replace(seq, ids=tuple(int(i) for i in up)))
    assert c_up == c.transposed(5)
    assert [n.pitch for n in score_up.parts[0].notes] == [65, 69]
    assert CV.transpose_ids(np.array([CV.id("Pitch_126")]), 5) is None


def test_plan_controls():
    p = plan("pop song", duration_s=60)
    c = controls_of_plan(p)
    assert len(c.bars) == p.n_bars and c.roles == tuple(x.role for x in p.instrumentation)
    assert [b.section for b in c.bars][0] == p.sections[0].name
