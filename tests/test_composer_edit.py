"""regenerate: exactly the asked span of one part changes; the rest is untouched; rules hold."""

from __future__ import annotations

import pytest

from partita.errors import ConfigError, ScoreError
from partita.symbolic.composer.edit import regenerate
from partita.symbolic.edits import slice_bars
from partita.symbolic.io.musicxml import score_from_music21
from partita.theory_rules import check


@pytest.fixture(scope="module")
def model(untrained_composer):
    return untrained_composer


@pytest.fixture(scope="module")
def chorale(untrained_chorale):
    return untrained_chorale


@pytest.mark.parametrize("part, bars, seed", [("a", (2, 3), 1), ("b", (1, 1), 2), ("s", (4, 6), 3)])
def test_regenerate_changes_only_that_span_of_that_part(model, chorale, part, bars, seed):
    new = regenerate(chorale, part=part, bars=bars, seed=seed, model=model)
    start = chorale.bar_start(bars[0])
    end = chorale.bar_start(bars[1]) + chorale.time_signatures[0].bar_length
    for old_p, new_p in zip(chorale.parts, new.parts):
        if old_p.id != part:
            assert new_p == old_p
            continue
        outside_old = [n for n in old_p.notes if not start <= n.onset < end]
        outside_new = [n for n in new_p.notes if not start <= n.onset < end]
        assert outside_new == outside_old
        assert all(n.onset + n.duration <= end for n in new_p.notes if start <= n.onset < end)
    assert (new.sections, new.chords, new.key_signatures, new.tempo_map) == (
        chorale.sections, chorale.chords, chorale.key_signatures, chorale.tempo_map)
    # the hard rules the masks enforce hold inside the span
    report = check(new, profile="chorale")
    for v in report.violations:
        if v.rule in ("range-playable", "monophonic-chords", "off-grid", "bar-fill"):
            raise AssertionError(str(v))
        if v.rule.startswith("parallel-") and bars[0] <= v.bar < bars[1]:
            raise AssertionError(str(v))


def test_same_seed_same_result_and_seeds_differ(model, chorale):
    a = regenerate(chorale, part="t", bars=(2, 5), seed=4, model=model)
    b = regenerate(chorale, part="t", bars=(2, 5), seed=4, model=model)
    assert a == b
    others = {regenerate(chorale, part="t", bars=(2, 5), seed=s, model=model).part("t").notes for s in range(5, 9)}
    assert len(others | {a.part("t").notes}) > 1


def test_bad_requests(model, chorale):
    with pytest.raises(ScoreError):
        regenerate(chorale, part="kazoo", bars=(1, 2), model=model)
    with pytest.raises(ConfigError):
        regenerate(chorale, part="s", bars=(3, 2), model=model)
    with pytest.raises(ConfigError):
        regenerate(chorale, part="s", bars=(1, chorale.n_bars + 1), model=model)


def test_cli_regenerate_round_trips_through_musicxml(tmp_path, chorale):
    from partita.cli import main
    from partita.symbolic import io as sio

    src = tmp_path / "in.musicxml"
    sio.write(chorale, src)
    before = sio.read(src)
    out = tmp_path / "out.musicxml"
    rc = main(["regenerate", str(src), "--part", "Alto", "--bars", "2-3", "--seed", "5",
               "--weights", "tests/data/composer_tiny.safetensors", "-o", str(out)])  # fmt: skip
    assert rc == 0
    after = sio.read(out)
    start, end = before.bar_start(2), before.bar_start(4)
    for p, q in zip(before.parts, after.parts):
        if p.name != "Alto":
            assert [(n.onset, n.pitch, n.duration) for n in p.notes] == [(n.onset, n.pitch, n.duration) for n in q.notes]
        else:
            keep = lambda part: [(n.onset, n.pitch, n.duration) for n in part.notes if not start <= n.onset < end]  # noqa: E731
            assert keep(p) == keep(q)
    assert main(["regenerate", str(src), "--part", "Alto", "--bars", "two", "-o", str(out)]) == 2


def test_harmonize_a_bach_soprano_line(model):
    """The soprano of a held chorale (with its pickup) harmonized for SATB choir."""
    from music21 import corpus as m21

    from partita.symbolic.composer.edit import harmonize
    from partita.symbolic.score import Score

    full = score_from_music21(m21.parse("bwv10.7"))
    melody = Score(parts=(full.parts[0],), time_signatures=full.time_signatures, key_signatures=full.key_signatures,
                   tempo_map=full.tempo_map, pickup=full.pickup)  # fmt: skip
    melody = slice_bars(melody, 0, 4) if melody.pickup else slice_bars(melody, 1, 4)
    out = harmonize(melody, ensemble="satb choir", seed=1, model=model, profile="chorale")
    assert [p.instrument for p in out.parts] == ["soprano", "alto", "tenor", "bass"]
    assert out.parts[0].notes == melody.parts[0].notes and out.pickup == melody.pickup
    assert all(p.notes for p in out.parts[1:])
    report = check(out, profile="chorale")
    assert report.n_errors == 0, [str(v) for v in report.violations if v.severity == "error"]
    assert out == harmonize(melody, ensemble="satb choir", seed=1, model=model, profile="chorale")


def test_harmonize_bad_requests(model):
    from partita.symbolic.composer.edit import harmonize
    from partita.symbolic.score import Note, Part, Score

    low = Score(parts=(Part("m", "Melody", "piano", (Note(0, 1, 30),)),))
    with pytest.raises(ConfigError, match="range"):
        harmonize(low, ensemble="string quartet", model=model)
    with pytest.raises(ConfigError, match="known: string_quartet"):
        harmonize(low, ensemble="kazoos", model=model)


def test_cli_harmonize(tmp_path):
    from partita.cli import main
    from partita.symbolic import io as sio
    from partita.symbolic.score import Note, Part, Score

    tune = Score(parts=(Part("m", "Flute", "flute", tuple(Note(i, 1, [72, 74, 76, 77, 79, 77, 76, 74][i % 8]) for i in range(16))),))
    sio.write(tune, tmp_path / "tune.mid")
    out = tmp_path / "h.musicxml"
    assert main(["harmonize", str(tmp_path / "tune.mid"), "--ensemble", "string quartet", "--weights",
                 "tests/data/composer_tiny.safetensors", "-o", str(out)]) == 0  # fmt: skip
    got = sio.read(out)
    assert len(got.parts) == 4 and [n.pitch for n in got.parts[0].notes] == [n.pitch for n in tune.parts[0].notes]


def test_continue_adds_bars_and_keeps_the_rest(model, chorale):
    from partita.symbolic.composer.edit import continue_

    more = continue_(chorale, bars=3, seed=2, model=model)
    end = chorale.bar_start(chorale.n_bars) + chorale.time_signatures[0].bar_length
    for old, new in zip(chorale.parts, more.parts):
        assert [n for n in new.notes if n.onset < end] == list(old.notes)
        assert all(n.onset + n.duration <= end + 3 * chorale.time_signatures[0].bar_length for n in new.notes)
    assert any(n.onset >= end for p in more.parts for n in p.notes)
    assert check(more, profile="chorale").n_errors == 0
    with pytest.raises(ConfigError):
        continue_(chorale, bars=0, model=model)
