"""REMI tokens: Score -> tokens -> Score, the grid report, the saved config, a golden sequence."""

from __future__ import annotations

import hashlib
import json
import socket
from collections import Counter
from fractions import Fraction as F

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from partita.errors import ConfigError, PartitaError, TokenizationError
from partita.symbolic.dynamics import Dynamic
from partita.symbolic.pitch import KeySignature
from partita.symbolic.score import Note, Part, Score, Section
from partita.symbolic.timeline import TempoMap, TempoMark, TimeSignature
from partita.symbolic.tokens import Tokenizer
from partita.symbolic.tokens_format import PartLayout, TokenizerConfig, TokenSequence
from tests.reference import sounding_notes
from tests.strategies import scores

TOK = Tokenizer.default()


def held(part: Part) -> Counter:
    return Counter((n.onset, n.duration, n.pitch, n.velocity) for n in part.notes)


def meters(score: Score) -> list[tuple[F, int, int]]:
    out = []
    for ts in score.time_signatures:
        if not out or out[-1][1:] != (ts.numerator, ts.denominator):
            out.append((ts.onset, ts.numerator, ts.denominator))
    return out


# What tokens (with their sidecar) hold, and so what Score -> tokens -> Score keeps exactly for a
# score on the grid: per part, in order, its id, name and instrument, and its sounding notes as a
# multiset of (onset, duration, sounding pitch, velocity) with tied chains merged and velocities
# from dynamics where a note has none; the time signatures (equal successive ones merged); and
# from the sidecar the title, tempo marks, key signatures, sections and pickup.
# Not kept: spelling, articulations, slurs, lyrics, dynamic marks, hairpins, voices, expression
# overrides, chord symbols, metadata.
def assert_round_trip(score: Score, back: Score) -> None:
    assert [(p.id, p.name, p.instrument) for p in back.parts] == [(p.id, p.name, p.instrument) for p in score.parts]
    for orig, got in zip(score.parts, back.parts):
        assert held(got) == sounding_notes(orig), orig.name
    assert meters(back) == meters(score)
    assert back.title == score.title
    assert back.tempo_map == score.tempo_map
    assert back.key_signatures == score.key_signatures
    assert back.sections == score.sections
    assert back.pickup == score.pickup


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(scores(max_parts=4))
def test_score_tokens_score_is_exact_on_the_grid(score):
    # the shared strategy: several parts, meter and tempo changes, pickups, ties, triplets, chords,
    # two voices, dynamics, articulations, lyrics
    assume(not TOK.check_grid(score))
    assert_round_trip(score, TOK.decode(TOK.encode(score)))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scores(min_parts=4, max_parts=4, instruments=("violin", "viola", "cello"), pickup=False))
def test_parts_sharing_an_instrument_keep_their_identity(score):
    assume(not TOK.check_grid(score))
    assert_round_trip(score, TOK.decode(TOK.encode(score)))


def test_string_quartet_playing_one_line_keeps_four_parts():
    line = (Note(0, 1, 62), Note(1, F(1, 3), 64), Note(F(4, 3), F(2, 3), 66))
    quartet = Score(parts=(
        Part("vn1", "Violin I", "violin", line),
        Part("vn2", "Violin II", "violin", line, dynamics=(Dynamic(0, "pp"),)),
        Part("va", "Viola", "viola", line),
        Part("vc", "Violoncello", "cello", line),
    ))  # fmt: skip
    seq = TOK.encode(quartet)
    programs = [TOK.token_value(i) for i in seq.ids if TOK.token_type(i) == "Program"]
    assert Counter(programs) == {0: 3, 1: 3, 2: 3, 3: 3}  # slots, not GM programs (40, 40, 41, 42)
    back = TOK.decode(seq)
    assert [(p.id, p.name, p.instrument) for p in back.parts] == [
        ("vn1", "Violin I", "violin"), ("vn2", "Violin II", "violin"), ("va", "Viola", "viola"),
        ("vc", "Violoncello", "cello")]  # fmt: skip
    assert [n.velocity for n in back.parts[1].notes] == [33, 33, 33]


@st.composite
def off_grid_scores(draw):
    """Scores in 4/4 or 6/8 with quintuplets, septuplets and 64ths among on-grid notes."""
    meter = draw(st.sampled_from([(4, 4), (6, 8), (2, 2)]))
    values = [F(1, 2), F(1, 3), F(1, 4), F(1, 5), F(1, 7), F(1, 16), F(3, 2), F(2, 5)]
    notes, t = [], F(0)
    for _ in range(draw(st.integers(1, 12))):
        d = draw(st.sampled_from(values))
        notes.append(Note(t, d, draw(st.integers(48, 84)), velocity=draw(st.integers(1, 127))))
        t += d
    return Score(parts=(Part("fl", "Flute", "flute", tuple(notes)),), time_signatures=(TimeSignature(0, *meter),))


@settings(deadline=None)
@given(off_grid_scores())
def test_strict_false_moves_exactly_the_reported_notes(score):
    problems = TOK.check_grid(score)
    seq = TOK.encode(score, strict=False)
    assert list(seq.problems) == problems
    moved = {(p.onset, p.duration, p.pitch): (p.fixed_onset, p.fixed_duration) for p in problems}
    expected = Counter()
    for (onset, duration, pitch, velocity), k in sounding_notes(score.parts[0]).items():
        onset, duration = moved.get((onset, duration, pitch), (onset, duration))
        expected[(onset, duration, pitch, velocity)] += k
    assert held(TOK.decode(seq).parts[0]) == expected
    if problems:
        with pytest.raises(TokenizationError):
            TOK.encode(score)


def test_quintuplet_raises_naming_part_and_bar_or_is_reported():
    five = tuple(Note(4 + F(k, 5), F(1, 5), 72 + k) for k in range(5))  # bar 2, beat 1
    score = Score(parts=(Part("fl", "Flute", "flute", (Note(0, 4, 60),) + five),))
    with pytest.raises(TokenizationError, match=r"part 'Flute', bar 2: note 72 duration 1/5 is off the grid") as e:
        TOK.encode(score)
    assert isinstance(e.value, PartitaError)
    seq = TOK.encode(score, strict=False)
    kinds = Counter(p.kind for p in seq.problems)
    assert kinds == {"onset": 4, "duration": 5}  # 1/5 is no duration token; onset 4 is on the grid
    assert {p.bar for p in seq.problems} == {2}
    assert str(seq.problems[0]).startswith("part 'Flute', bar 2: note 72 duration 1/5 is off the grid")


def test_too_long_note_and_unsupported_meter_and_too_many_parts():
    long = Score(parts=(Part("vc", "Cello", "cello", (Note(0, 40, 36),)),))
    (problem,) = TOK.check_grid(long)
    assert problem.kind == "too_long" and problem.fixed_duration == 32
    with pytest.raises(TokenizationError, match="longer than the longest duration token"):
        TOK.encode(long)
    odd = Score(time_signatures=(TimeSignature(0, 4, 4), TimeSignature(4, 13, 8)),
                parts=(Part("a", "Flute", "flute", (Note(0, 1, 72),)),))  # fmt: skip
    with pytest.raises(TokenizationError, match="bar 2: time signature 13/8 has no token"):
        TOK.encode(odd, strict=False)
    crowd = Score(parts=tuple(Part(f"p{i}", "Flute", "flute") for i in range(33)))
    with pytest.raises(TokenizationError, match="33 parts; this tokenizer has 32 part slots"):
        TOK.encode(crowd)


def test_pickup_and_meter_changes_round_trip():
    score = Score(
        title="Upbeat",
        parts=(Part("ob", "Oboe", "oboe", (Note(0, 1, 69), Note(1, 3, 72), Note(F(13, 2), F(1, 2), 74))),),
        time_signatures=(TimeSignature(0, 4, 4), TimeSignature(5, 3, 8)),
        pickup=1,
        tempo_map=TempoMap((TempoMark(0, 72.5, "Andante"), TempoMark(5, 60))),
        key_signatures=(KeySignature(0, 3, "dorian"),),
        sections=(Section(1, "A"),),
    )
    assert not TOK.check_grid(score)
    assert_round_trip(score, TOK.decode(TOK.encode(score)))


def test_golden_token_strings():
    # a tiny fixed score and its tokens written out by hand: a miditok upgrade that changes the
    # encoding fails here
    score = Score(
        parts=(
            Part("vn", "Violin", "violin", (
                Note(0, 1, 72, velocity=90),
                Note(1, F(1, 3), 76),
                Note(F(4, 3), F(1, 3), 77, tie="start"),
                Note(F(5, 3), F(4, 3), 77, tie="stop"),   # tied over the bar line: one note of 5/3
                Note(F(7, 2), F(1, 2), 79),
            )),
            Part("vc", "Cello", "cello", (Note(0, 3, 48),), dynamics=(Dynamic(0, "p"),)),
        ),
        time_signatures=(TimeSignature(0, 3, 4),),
    )  # fmt: skip
    expected = [
        "Bar_None", "TimeSig_3/4",
        "Position_0", "Program_0", "Pitch_72", "Velocity_90", "Duration_1.0.24",
        "Program_1", "Pitch_48", "Velocity_49", "Duration_3.0.24",
        "Position_24", "Program_0", "Pitch_76", "Velocity_80", "Duration_0.8.24",
        "Position_32", "Program_0", "Pitch_77", "Velocity_80", "Duration_1.16.24",
        "Bar_None", "TimeSig_3/4",
        "Position_12", "Program_0", "Pitch_79", "Velocity_80", "Duration_0.12.24",
    ]  # fmt: skip
    seq = TOK.encode(score)
    assert TOK.tokens(seq) == expected
    assert list(seq.ids) == [TOK.vocab[s] for s in expected]


def test_shipped_vocabulary_is_pinned():
    # ids are what a trained model sees: the shipped vocabulary must not move under it
    assert TOK.vocab_size == 855
    blob = json.dumps(sorted(TOK.vocab.items(), key=lambda kv: kv[1]), separators=(",", ":"))
    assert hashlib.sha256(blob.encode()).hexdigest() == VOCAB_SHA256
    assert [TOK.token_string(i) for i in range(3)] == ["PAD_None", "BOS_None", "EOS_None"]


VOCAB_SHA256 = "b4db3ad3c5d242d096cd2e1d969d755180715527f0ac93ed422662e34dd78a12"


def test_every_id_has_a_type_and_value():
    counts = Counter(TOK.token_type(i) for i in range(TOK.vocab_size))
    assert counts == {
        "PAD": 1, "BOS": 1, "EOS": 1, "Bar": 1, "TimeSig": 4 + 8 + 12 + 12, "Position": 12 * 24,
        "Program": 32, "Pitch": 128, "Velocity": 127, "Duration": 4 * 24 - 1 + 4 * 12 + 24 * 4 + 1,
    }  # fmt: skip
    assert TOK.token_value(TOK.vocab["Duration_4.6.12"]) == F(9, 2)
    assert TOK.token_value(TOK.vocab["TimeSig_6/8"]) == (6, 8)
    assert TOK.token_value(TOK.vocab["Program_31"]) == 31
    assert TOK.token_value(TOK.vocab["Bar_None"]) is None
    assert TOK.ids_of_type("Velocity") == tuple(TOK.vocab[f"Velocity_{v}"] for v in range(1, 128))


def test_saved_config_reloads_to_an_equal_tokenizer(tmp_path):
    c = TOK.config
    assert TokenizerConfig.from_dict(c.to_dict()) == c
    assert TokenizerConfig.from_dict(json.loads(json.dumps(c.to_dict()))) == c
    path = TOK.save(tmp_path / "tok.json")
    again = Tokenizer.load(path)
    assert again == TOK and again.vocab == TOK.vocab
    score = Score(parts=(Part("a", "Horn", "horn", (Note(0, F(2, 3), 53), Note(F(2, 3), F(1, 3), 55))),))
    assert again.encode(score).ids == TOK.encode(score).ids


def test_bad_configs_raise_config_error(tmp_path):
    with pytest.raises(ConfigError, match="schema"):
        TokenizerConfig.from_dict({**TOK.config.to_dict(), "schema_version": 99})
    with pytest.raises(ConfigError, match="unknown tokenizer config keys: colour"):
        TokenizerConfig.from_dict({**TOK.config.to_dict(), "colour": "blue"})
    with pytest.raises(ConfigError, match="pitch_range"):
        TokenizerConfig(pitch_range=(0, 128))
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ConfigError, match="bad.json"):
        Tokenizer.load(tmp_path / "bad.json")


def test_token_sequence_saves_and_loads(tmp_path):
    score = Score(title="Saved", parts=(Part("a", "Viola", "viola", (Note(0, 1, 60),)),),
                  tempo_map=TempoMap((TempoMark(0, 88.5, "Lento"),)), key_signatures=(KeySignature(0, -1),),
                  sections=(Section(0, "Intro"),))  # fmt: skip
    seq = TOK.encode(score)
    back = TokenSequence.load(seq.save(tmp_path / "seq.json"))
    assert back == seq
    assert TOK.decode(back) == TOK.decode(seq)


def test_bad_token_ids_raise_tokenization_errors():
    layout = PartLayout.from_score(Score(parts=(Part("a", "Flute", "flute"),)))
    with pytest.raises(TokenizationError, match="outside the vocabulary"):
        TOK.decode(TokenSequence(ids=(3, 10_000), layout=layout))
    ids = tuple(TOK.vocab[s] for s in ["Bar_None", "TimeSig_4/4", "Position_0", "Program_5", "Pitch_60",
                                       "Velocity_64", "Duration_1.0.24"])  # fmt: skip
    with pytest.raises(TokenizationError, match="part slot 5, but the layout has 1 part"):
        TOK.decode(TokenSequence(ids=ids, layout=layout))


def test_a_tokenizer_is_made_without_the_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network refused by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    fresh = Tokenizer(TokenizerConfig(max_parts=4))
    seq = fresh.encode(Score(parts=(Part("a", "Flute", "flute", (Note(0, 1, 72),)),)))
    assert fresh.decode(seq).parts[0].notes[0].pitch == 72
