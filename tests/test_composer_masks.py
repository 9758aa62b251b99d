"""Decode-time masks: random walks that obey the masks decode to scores with zero violations of
the hard rules; illegal continuations are refused; real encodings pass the grammar."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from partita.errors import TokenizationError
from partita.symbolic.composer.masks import DecodeMask, MaskTables
from partita.symbolic.pitch import KeySignature
from partita.symbolic.tokens import Tokenizer
from partita.symbolic.tokens_format import PartLayout, PartSlot, TokenSequence
from partita.theory_rules import get_rule, sketch

QUINTET = PartLayout(
    tuple(
        PartSlot(i, n, i)
        for i, n in (("flute", "Flute"), ("oboe", "Oboe"), ("clarinet", "Clarinet"), ("horn", "Horn"), ("bassoon", "Bassoon"))
    )
)
WITH_PIANO = PartLayout((PartSlot("vn", "Violin", "violin"), PartSlot("pno", "Piano", "piano")))
KEYS = (KeySignature(0, -1, "minor"), KeySignature(16, 2, "major"))
METERS = ((4, 4), (3, 4), (6, 8), (2, 2))

HARD_RULES = {
    "range-playable": {},
    "key-outside": {"mode": "strict"},
    "off-grid": {},
    "bar-fill": {},
    "monophonic-chords": {},
    "parallel-fifths": {},
    "parallel-octaves": {},
    "parallel-unisons": {},
}


@pytest.fixture(scope="module")
def tok() -> Tokenizer:
    return Tokenizer.default()


@pytest.fixture(scope="module")
def tables(tok) -> MaskTables:
    return MaskTables(tok)


def random_walk(mask: DecodeMask, rng: np.random.Generator, *, max_tokens: int, illegal_every: int = 0) -> list[int]:
    """Write tokens the mask allows: a type chosen uniformly among the allowed types, then a
    token of that type. Every ``illegal_every`` steps, first try a token the mask forbids and
    check it is refused without changing the state."""
    t = mask.tables
    ids: list[int] = []
    while not mask.done:
        allowed = mask.allowed()
        assert allowed.any(), f"dead end after {len(ids)} tokens"
        if illegal_every and len(ids) % illegal_every == 0 and not allowed.all():
            bad = int(rng.choice(np.flatnonzero(~allowed)))
            before = (mask.phase, mask.n_tokens, mask.onset)
            with pytest.raises(TokenizationError):
                mask.update(bad)
            assert (mask.phase, mask.n_tokens, mask.onset) == before
        choices = np.flatnonzero(allowed)
        kinds = sorted({t.kind[i] for i in choices})
        if len(ids) >= max_tokens:  # wind down: finish the note, then end
            for k in ("Duration", "Velocity", "Pitch", "EOS", "Program"):
                if k in kinds:
                    kinds = [k]
                    break
        elif "EOS" in kinds and len(kinds) > 1:
            kinds.remove("EOS")  # end only once long enough
        kind = kinds[int(rng.integers(len(kinds)))]
        of_kind = [i for i in choices if t.kind[i] == kind]
        token = int(of_kind[int(rng.integers(len(of_kind)))])
        mask.update(token)
        ids.append(token)
    return ids


def decode(tok, ids, layout, keys):
    return tok.decode(TokenSequence(ids=tuple(ids), layout=layout, key_signatures=keys))


def violations(score, rules=HARD_RULES):
    out = []
    for rid, params in rules.items():
        out += get_rule(rid, **params).check(score)
    return out


@pytest.mark.parametrize("seed", range(12))
def test_masked_sequences_decode_without_hard_rule_violations(tok, tables, seed):
    rng = np.random.default_rng(seed)
    mask = DecodeMask(tok, QUINTET, key_signatures=KEYS, meters=METERS, tables=tables)
    ids = random_walk(mask, rng, max_tokens=400, illegal_every=7)
    score = decode(tok, ids, QUINTET, KEYS)
    n_notes = sum(len(p.notes) for p in score.parts)
    assert n_notes > 20
    assert violations(score) == []


@pytest.mark.parametrize("seed", range(6))
def test_polyphonic_parts_keep_the_other_hard_rules(tok, tables, seed):
    rng = np.random.default_rng(100 + seed)
    mask = DecodeMask(tok, WITH_PIANO, key_signatures=KEYS[:1], meters=METERS, tables=tables, parallels=False)
    ids = random_walk(mask, rng, max_tokens=300)
    score = decode(tok, ids, WITH_PIANO, KEYS[:1])
    rules = {k: v for k, v in HARD_RULES.items() if not k.startswith("parallel")}
    assert violations(score, rules) == []


def test_polyphonic_parts_may_play_chords(tok, tables):
    """Without the parallels rule the mask lets the piano sound several notes at one onset."""
    chords = 0
    for seed in range(6):
        mask = DecodeMask(tok, WITH_PIANO, key_signatures=KEYS[:1], meters=METERS, tables=tables, parallels=False)
        score = decode(tok, random_walk(mask, np.random.default_rng(100 + seed), max_tokens=300), WITH_PIANO, KEYS[:1])
        chords += sum(len(p.notes) - len({n.onset for n in p.notes}) for p in score.parts if p.id == "pno")
    assert chords > 0


def test_without_the_masks_the_rules_are_broken(tok, tables):
    """The same walks with only the grammar enforced (no key, the widest grid, no parallels
    mask) break the rules: the zero above is the masks' doing."""
    found = set()
    for seed in range(6):
        rng = np.random.default_rng(seed)
        mask = DecodeMask(tok, QUINTET, meters=METERS, tables=tables, parallels=False, grids=["1/96"])
        score = decode(tok, random_walk(mask, rng, max_tokens=400), QUINTET, KEYS)
        found |= {v.rule for v in violations(score)}
    assert {"key-outside", "off-grid", "parallel-fifths"} <= found


def test_the_parallels_mask_forbids_exactly_the_parallel_pitches(tok, tables):
    v = tok.vocab
    mask = DecodeMask(tok, QUINTET, tables=tables)
    # bar 1: flute C5, bassoon F3 (a compound fifth); beat 2: bassoon G3, then the flute
    for s in ["Bar_None", "TimeSig_4/4", "Position_0", "Program_0", "Pitch_72", "Velocity_80", "Duration_1.0.24",
              "Program_4", "Pitch_53", "Velocity_80", "Duration_1.0.24", "Position_24", "Program_4", "Pitch_55",
              "Velocity_80", "Duration_1.0.24", "Program_0"]:  # fmt: skip
        mask.update(v[s])
    pitches = {tok.token_value(i) for i in mask.allowed_ids()}
    fifths_above_g3 = {55 + 7 + 12 * k for k in range(4)}
    assert not (pitches & fifths_above_g3)
    assert {72, 73, 76, 71} <= pitches  # holding C5, or moving elsewhere, is fine


def test_the_parallels_mask_forbids_octaves_and_unisons(tok, tables):
    v = tok.vocab
    mask = DecodeMask(tok, QUINTET, tables=tables)
    # oboe and clarinet in unison on E5, flute C6 an octave above bassoon C3... then all move
    for s in ["Bar_None", "TimeSig_4/4", "Position_0",
              "Program_1", "Pitch_76", "Velocity_80", "Duration_1.0.24",
              "Program_2", "Pitch_76", "Velocity_80", "Duration_1.0.24",
              "Program_0", "Pitch_84", "Velocity_80", "Duration_1.0.24",
              "Program_4", "Pitch_48", "Velocity_80", "Duration_1.0.24",
              "Position_24", "Program_1", "Pitch_77", "Velocity_80", "Duration_1.0.24",
              "Program_4", "Pitch_50", "Velocity_80", "Duration_1.0.24", "Program_2"]:  # fmt: skip
        mask.update(v[s])
    clarinet = {tok.token_value(i) for i in mask.allowed_ids()}
    assert 77 not in clarinet and 76 in clarinet and 74 in clarinet  # no unison F5 with the oboe
    for s in ["Pitch_74", "Velocity_80", "Duration_1.0.24", "Program_0"]:
        mask.update(v[s])
    flute = {tok.token_value(i) for i in mask.allowed_ids()}
    assert not flute & {62, 74, 86, 98}  # no octaves with the bassoon's D3
    assert {84, 83, 81} <= flute


def test_real_encodings_pass_the_grammar(tok, tables):
    score = sketch(
        {"Flute": "A5 Bb5 A5 G5 F5:2 E5:2", "Clarinet": "F4 G4 F4 E4 D4:2 C#4:2", "Bassoon": "D3 G2 D3 A2 D3:2 A2:2"},
        key="D minor", meter="4/4",
    )  # fmt: skip
    seq = tok.encode(score)
    mask = DecodeMask(tok, seq.layout, key_signatures=score.key_signatures, tables=tables)
    for i in seq.ids:
        mask.update(i)  # raises if the mask would have refused a token of a clean score
    assert violations(score) == []


def test_bad_configuration(tok, tables):
    from partita.errors import ConfigError

    with pytest.raises(ConfigError):
        DecodeMask(tok, PartLayout(()), tables=tables)
    with pytest.raises(ConfigError):
        DecodeMask(tok, QUINTET, meters=[(7, 3)], tables=tables)
    with pytest.raises(ConfigError):
        DecodeMask(tok, QUINTET, pitch_range="wide", tables=tables)
    assert Fraction(1, 4) in DecodeMask(tok, QUINTET, tables=tables).grids


def test_the_rhythm_choices_name_each_duration_and_next_onset_in_ticks():
    tok = Tokenizer.default()
    mask = DecodeMask(tok, QUINTET)
    for s in ["Bar_None", "TimeSig_4/4", "Position_0", "Program_0", "Pitch_72", "Velocity_80"]:
        mask.update(tok.vocab[s])
    assert mask.expects_duration and not mask.expects_onset
    ids, ticks = mask.duration_choices()
    lengths = {tok.token_string(int(i)): int(t) for i, t in zip(ids, ticks)}
    quarter = "Duration_1.0.24"  # one beat and no 24ths
    assert lengths[quarter] == 96 and lengths["Duration_0.12.24"] == 48 and len(ids) == int(mask.tables.type_mask["Duration"].sum())
    mask.update(tok.vocab[quarter])
    assert mask.expects_onset and mask.slot_end(0) == 96 and mask.slot_end(1) is None
    ids, onsets = mask.onset_choices()
    assert tok.token_type(int(ids[-1])) == "Bar" and onsets[-1] == 4 * 96  # the bar line
    assert onsets[0] > 0 and (np.diff(onsets) > 0).all()  # later onsets only, in order
    assert all(tok.token_type(int(i)) == "Position" for i in ids[:-1])
