"""Best-of-N over phrases and its style critic: deterministic, rule-abiding, and the candidate kept
is the one the score says; the critic's statistics agree with music21's reading of a chorale."""

from __future__ import annotations

import numpy as np
import pytest

from partita.errors import ConfigError
from partita.symbolic.composer import critic
from partita.symbolic.composer.planner import plan
from partita.symbolic.composer.sample import compose, sample_tokens


@pytest.fixture(scope="module")
def model(untrained_composer):
    return untrained_composer


@pytest.fixture(scope="module")
def chorale_plan():
    return plan("chorale", ensemble="satb choir", duration_s=24, tempo=72, seed=0)


def _phrases(p, ids, vocab):
    """The phrase groups best-of-N chose among: each section's bars in runs of PHRASE_BARS."""
    bars, cur = [], None
    for i in ids:
        if i == vocab.bar:
            cur = [i]
            bars.append(cur)
        elif cur is not None and i != vocab.eos:
            cur.append(i)
    out, k = [], 0
    for s in p.sections:
        for j in range(0, s.bars, critic.PHRASE_BARS):
            n = min(critic.PHRASE_BARS, s.bars - j)
            out.append(bars[k + j : k + j + n])
        k += s.bars
    return out


def test_best_of_is_deterministic_and_keeps_the_rules(model, chorale_plan):
    from partita.theory_rules import check

    kw = dict(model=model, seed=5, max_tokens_per_bar=40, temperature=1.0, top_p=0.95)
    one, st1 = compose(chorale_plan, **kw, best_of=1, return_stats=True)
    assert st1.discarded == 0
    three, st = compose(chorale_plan, **kw, best_of=3, return_stats=True)
    assert three == compose(chorale_plan, **kw, best_of=3)
    assert three != one
    assert st.discarded > 0  # the candidates not kept were sampled too
    assert check(three, profile="chorale").n_errors == 0
    with pytest.raises(ConfigError, match="best_of"):
        compose(chorale_plan, **kw, best_of=0)
    two_bar = compose(chorale_plan, **kw, best_of=3, phrase_bars=2)
    assert two_bar == compose(chorale_plan, **kw, best_of=3, phrase_bars=2) and two_bar != three
    assert check(two_bar, profile="chorale").n_errors == 0
    with pytest.raises(ConfigError, match="phrase_bars"):
        compose(chorale_plan, **kw, best_of=3, phrase_bars=3)


def test_the_kept_candidate_is_the_closest_to_the_style_under_a_heavy_critic(model, chorale_plan, monkeypatch):
    from partita.symbolic.composer.controls import ComposerVocab

    seen: list[float] = []
    real = critic.distance

    def spy(stats, ref):  # records every candidate's distance; the choice is the sampler's own
        d = real(stats, ref)
        seen.append(d)
        return d

    monkeypatch.setattr(critic, "distance", spy)
    n = 3
    ids, _, _ = sample_tokens(chorale_plan, model=model, seed=2, max_tokens_per_bar=40, best_of=n, critic_weight=1e6,
                              profile="chorale")  # fmt: skip
    monkeypatch.undo()
    vocab = ComposerVocab.default()
    phrases = _phrases(chorale_plan, ids, vocab)
    assert len(seen) == n * len(phrases)
    ref = critic.style_stats("chorale")
    for k, bars in enumerate(phrases):
        kept = critic.distance(critic.phrase_stats(bars, 0, vocab), ref)
        group = seen[n * k : n * (k + 1)]
        assert kept == pytest.approx(min(group), abs=1e-9), (k, kept, group)


def test_phrase_stats_agree_with_music21_on_a_bach_chorale():
    from music21 import corpus

    from partita.symbolic.composer.controls import ComposerVocab
    from partita.symbolic.io.musicxml import score_from_music21

    m21 = corpus.parse("bach/bwv66.6")
    v = ComposerVocab.default()
    seq, controls = v.encode(score_from_music21(m21), strict=False)
    ids = list(seq.ids)
    head = 3 + len(controls.roles)
    bars, cur = [], None
    for i in ids[head:]:
        if i == v.bar:
            cur = [i]
            bars.append(cur)
        elif cur is not None and i != v.eos:
            cur.append(i)
    got = critic.phrase_stats(bars, 0, v)
    # music21's own reading: the soprano's notes (ties merged), every part's pitch classes
    parts = [p.stripTies() for p in m21.parts]
    sop = [n.pitch.midi for n in parts[0].recurse().notes]
    iv = np.abs(np.diff(sop))
    moves = iv[iv > 0]
    assert got["stepwise"] == pytest.approx(np.mean(moves <= 2))
    assert got["leap"] == pytest.approx(np.mean(moves >= 5))
    hist = np.histogram(moves, bins=[*critic.INTERVAL_BINS, 10**6])[0]
    assert got["intervals"] == pytest.approx((hist / hist.sum()).tolist())
    pcs = np.bincount([p.midi % 12 for part in parts for n in part.recurse().notes for p in n.pitches], minlength=12)
    prob = pcs[pcs > 0] / pcs.sum()
    assert got["pc_entropy"] == pytest.approx(-(prob * np.log2(prob)).sum())
    n_notes = sum(len(n.pitches) for part in parts for n in part.recurse().notes)
    assert got["notes_per_bar"] == pytest.approx(n_notes / len(bars) / 4)


def test_the_reference_statistics_are_the_corpus_and_the_distance_is_zero_at_the_mean():
    for genre, name in (("chorale", "chorale"), ("reel", "fiddle"), ("jig", "fiddle"), ("classical", "quartet")):
        ref = critic.style_stats(genre)
        assert ref is not None and ref.name == name
        assert all(ref.sd[k] > 0 for k in critic.SCALARS)
        assert ref.intervals.sum() == pytest.approx(1.0, abs=1e-5)
        at_mean = {**ref.mean, "intervals": ref.intervals}
        assert critic.distance(at_mean, ref) == pytest.approx(0.0, abs=1e-9)
        off = {**at_mean, "stepwise": ref.mean["stepwise"] + ref.sd["stepwise"]}
        assert critic.distance(off, ref) == pytest.approx(1.0 / 5)  # one spread on one of five terms
    assert critic.style_stats("pop") is None  # no reference collection: best-of-N by likelihood alone
    # Bach's soprano moves by step far more often than the fiddle tunes' top line (the data's own ordering)
    assert critic.style_stats("chorale").mean["stepwise"] > critic.style_stats("reel").mean["stepwise"]


def test_cli_compose_best_of(tmp_path, capsys):
    from partita.cli import main

    tiny = "tests/data/composer_tiny.safetensors"
    rc = main(["compose", "a chorale", "--ensemble", "satb choir", "--seconds", "10", "--score-only", "--best-of", "2",
               "--weights", tiny, "-o", str(tmp_path / "a")])  # fmt: skip
    assert rc == 0 and (tmp_path / "a" / "score.musicxml").exists()
    assert main(["compose", "a chorale", "--score-only", "--best-of", "0", "--weights", tiny, "-o",
                 str(tmp_path / "b")]) != 0  # fmt: skip
    assert "best_of" in capsys.readouterr().err
