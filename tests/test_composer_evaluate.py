"""Evaluation measures against independent references (music21 pitch counts, scipy entropy)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import entropy

from partita.symbolic.composer.evaluate import groove_consistency, pitch_class_entropy, scale_consistency
from partita.symbolic.io.musicxml import score_from_music21
from partita.symbolic.score import Note, Part, Score


def test_pitch_class_entropy_and_scale_consistency_against_music21_counts():
    from music21 import corpus

    s21 = corpus.parse("bwv10.7")
    score = score_from_music21(s21)
    # music21's own notes, ties merged the way partita merges them (a tie start or no tie)
    pcs = [p.pitchClass for n in s21.recurse().notes for p in n.pitches if not n.tie or n.tie.type == "start"]
    counts = np.bincount(pcs, minlength=12)
    ours = np.bincount([n.pitch % 12 for p in score.parts for n in p.notes], minlength=12)
    assert abs(pitch_class_entropy(score) - entropy(ours, base=2)) < 1e-12
    assert abs(entropy(ours, base=2) - entropy(counts, base=2)) < 0.02
    major = [0, 2, 4, 5, 7, 9, 11]
    ref = max(counts[[(r + i) % 12 for i in major]].sum() / counts.sum() for r in range(12))
    assert scale_consistency(score) >= ref - 0.02


def test_groove_consistency_of_identical_and_different_bars():
    same = tuple(Note(4 * b + i, 1, 60) for b in range(4) for i in range(4))
    assert groove_consistency(Score(parts=(Part("p", "Piano", "piano", same),))) == 1.0
    # bar 1: four quarters, bar 2: one whole note -> 3 of 96 steps differ
    notes = tuple(Note(i, 1, 60) for i in range(4)) + (Note(4, 4, 60),)
    assert groove_consistency(Score(parts=(Part("p", "Piano", "piano", notes),))) == 1 - 3 / 96


def test_overlapped_area_tells_bach_from_noise():
    from music21 import corpus

    from partita.symbolic.composer.evaluate import overlapped_area

    bach = [score_from_music21(corpus.parse(n)) for n in
            ("bwv10.7", "bwv101.7", "bwv102.7", "bwv103.6", "bwv104.6", "bwv108.6", "bwv11.6", "bwv110.7")]  # fmt: skip
    rng = np.random.default_rng(0)
    noise = [Score(parts=(Part("p", "Piano", "piano", tuple(Note(i, 1, int(rng.integers(30, 100))) for i in range(64))),))
             for _ in range(6)]  # fmt: skip
    same = overlapped_area(bach[::2], bach[1::2])["mean"]
    far = overlapped_area(noise, bach)["mean"]
    assert 0 <= far < same <= 1
    assert same > 0.6 and far < 0.5


@pytest.mark.slow
def test_overlap_of_two_normal_densities_against_the_closed_form():
    """The KDE overlap of large samples of N(0, 1) and N(d, 1) approaches 2 * Phi(-d / 2) (from
    below for d = 0: two noisy estimates of one density never overlap completely)."""
    from scipy.stats import norm

    from partita.symbolic.composer.evaluate import _overlap

    rng = np.random.default_rng(0)
    for d in (0.0, 1.0, 2.0):
        a, b = rng.normal(0, 1, 20000), rng.normal(d, 1, 20000)
        assert abs(_overlap(a, b) - 2 * norm.cdf(-d / 2)) < 0.02, d


def test_split_half_overlap_grows_with_the_set_size_and_its_draws_are_disjoint():
    from partita.symbolic.composer.evaluate import overlapped_area, split_half_overlap

    # pieces from one distribution: random walks of random length and register
    rng = np.random.default_rng(1)
    pieces = []
    for _ in range(80):
        n, base = int(rng.integers(24, 64)), int(rng.integers(55, 70))
        pitches = base + np.cumsum(rng.integers(-3, 4, n)).clip(-12, 12)
        pieces.append(Score(parts=(Part("p", "Piano", "piano", tuple(Note(i, 1, int(p)) for i, p in enumerate(pitches))),)))
    small = split_half_overlap(pieces, per_half=6, splits=8, seed=0)
    large = split_half_overlap(pieces, per_half=40, splits=3, seed=0)
    assert small["sizes"] == [6, 6] and large["sizes"] == [40, 40]
    assert large["mean"] > small["mean"] and large["mean"] > 0.9
    assert set(large["sd"]) == set(overlapped_area(pieces[:3], pieces[3:6]))
    with pytest.raises(ValueError, match="41 \\+ 41"):
        split_half_overlap(pieces, per_half=41)


def test_per_part_features_against_music21_counts():
    """Notes per bar and pitch range per part, and the interval histogram, from music21's own
    notes of a Bach chorale (ties merged: a tie start or no tie is a new note)."""
    from music21 import corpus

    from partita.symbolic.composer.evaluate import FEATURE_MAX_INTERVAL, _features

    s21 = corpus.parse("bwv10.7")
    f = _features(score_from_music21(s21))
    n_bars = len(s21.parts[0].getElementsByClass("Measure"))
    steps = []
    for i, part in enumerate(s21.parts):
        notes = [n for n in part.recurse().notes if not n.tie or n.tie.type == "start"]
        assert f["notes_per_bar_per_part"][i] == pytest.approx(len(notes) / n_bars)
        midi = [p.midi for n in part.recurse().notes for p in n.pitches]
        assert f["pitch_range_per_part"][i] == max(midi) - min(midi)
        line = [n.pitch.midi for n in notes]
        steps += [int(np.clip(b - a, -FEATURE_MAX_INTERVAL, FEATURE_MAX_INTERVAL)) for a, b in zip(line, line[1:])]
    assert len(s21.parts) == 4 and f["notes_per_bar_per_part"].shape == (4,)
    counts = np.bincount(np.array(steps) + FEATURE_MAX_INTERVAL, minlength=2 * FEATURE_MAX_INTERVAL + 1)
    assert np.allclose(f["interval_histogram"], counts / counts.sum())
    assert f["pitch_class_entropy"][0] == pytest.approx(pitch_class_entropy(score_from_music21(s21)))
    # a one-part score reads its missing parts as silent
    one = _features(Score(parts=(Part("p", "Piano", "piano", tuple(Note(i, 1, 60 + i) for i in range(8))),)))
    assert one["notes_per_bar_per_part"].tolist() == [4.0, 0.0, 0.0, 0.0]
    assert one["interval_histogram"][FEATURE_MAX_INTERVAL + 1] == 1.0
