"""Given chords are a hard constraint: no non-chord tones on strong beats, judged by
theory_rules' independent ``non-chord-tone`` rule."""

from __future__ import annotations

import dataclasses

import pytest

from partita.errors import ConfigError
from partita.symbolic.composer.planner import plan
from partita.symbolic.composer.sample import compose
from partita.theory_rules import check


def _nct(score) -> int:
    return len(check(score, profile="chorale", enable=["non-chord-tone"]).by_rule("non-chord-tone"))


@pytest.fixture(scope="module")
def chorale_plan():
    p = plan("chorale", duration_s=12, ensemble="satb choir", key="C major")
    chords = ("C", "Dm", "G7", "C", "F", "G", "C", "C")
    secs, k = [], 0
    for s in p.sections:
        secs.append(dataclasses.replace(s, chords=tuple(chords[(k + i) % len(chords)] for i in range(s.bars))))
        k += s.bars
    return dataclasses.replace(p, sections=tuple(secs))


@pytest.mark.slow
def test_given_chords_hold_on_strong_beats_and_fail_without_the_mask(chorale_plan):
    with_mask = [_nct(compose(chorale_plan, seed=s)) for s in range(2)]
    without = [_nct(compose(chorale_plan, seed=s, chord_rule="off")) for s in range(2)]
    assert with_mask == [0, 0]
    assert sum(without) > 0  # the check can fail: the same plans without the chord mask break it


def test_unknown_chord_rule_is_an_error(chorale_plan):
    with pytest.raises(ConfigError, match="chord_rule"):
        compose(chorale_plan, seed=0, chord_rule="sometimes")
