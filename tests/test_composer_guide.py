"""A guide file (MIDI or MusicXML on disk) seeds compose, harmonize, regenerate and continue,
through the CLI and from Python; chord symbols in the guide hold on strong beats."""

from __future__ import annotations

import pytest

from partita.cli import main
from partita.symbolic import io as sio
from partita.symbolic.composer.edit import continue_, regenerate
from partita.symbolic.score import ChordSymbol, Note, Part, Score
from partita.theory_rules import check

MELODY = [72, 74, 76, 77, 79, 77, 76, 74, 72, 71, 72, 74, 76, 74, 72, 72]


def _melody_score() -> Score:
    return Score(
        parts=(Part("m", "Melody", "violin", tuple(Note(i, 1, p) for i, p in enumerate(MELODY))),),
        chords=(ChordSymbol(0, "C"), ChordSymbol(4, "G7"), ChordSymbol(8, "F"), ChordSymbol(12, "C")),
    )


def _nct(score, skip: tuple[str, ...] = ()) -> int:
    v = check(score, profile="chorale", enable=["non-chord-tone"]).by_rule("non-chord-tone")
    return len([x for x in v if x.parts[0] not in skip])


@pytest.mark.slow
def test_harmonize_cli_reads_a_musicxml_guide_and_keeps_its_chords(tmp_path):
    src = tmp_path / "melody.musicxml"
    sio.write(_melody_score(), src)
    out = tmp_path / "out.musicxml"
    assert main(["harmonize", str(src), "-o", str(out), "--seed", "1"]) == 0
    got = sio.read(out)
    assert [n.pitch for n in got.parts[0].notes] == MELODY
    assert [c.figure for c in got.chords] == ["C", "G7", "F", "C"]
    assert any(p.notes for p in got.parts[1:])
    assert _nct(got, skip=(got.parts[0].id, got.parts[0].name)) == 0


@pytest.mark.slow
def test_compose_cli_guide_midi_melody_becomes_the_melody_part(tmp_path):
    src = tmp_path / "guide.mid"
    sio.write(_melody_score(), src)
    out = tmp_path / "out"
    rc = main(["compose", "chorale", "--ensemble", "satb choir", "--guide", str(src), "-o", str(out), "--score-only"])
    assert rc == 0
    got = sio.read(out / "score.musicxml")
    assert [p.instrument for p in got.parts] == ["soprano", "alto", "tenor", "bass"]
    assert [n.pitch for n in got.parts[0].notes] == MELODY
    assert all(p.notes for p in got.parts[1:])


@pytest.mark.slow
def test_continue_cli_adds_bars_after_a_guide_file(tmp_path):
    src = tmp_path / "guide.musicxml"
    sio.write(_melody_score(), src)
    out = tmp_path / "more.musicxml"
    assert main(["continue", str(src), "--bars", "2", "-o", str(out)]) == 0
    got = sio.read(out)
    old = [(n.onset, n.pitch) for n in got.parts[0].notes if n.onset < 16]
    assert old == [(i, p) for i, p in enumerate(MELODY)]
    assert any(n.onset >= 16 for n in got.parts[0].notes)
    assert got.n_bars == 6


@pytest.mark.slow
def test_regenerate_and_continue_take_a_path_from_python(tmp_path):
    src = tmp_path / "guide.mid"
    base = _melody_score()
    two = Score(parts=base.parts + (Part("b", "Cello", "cello", tuple(Note(2 * i, 2, 48) for i in range(8))),),
                chords=base.chords)  # fmt: skip
    sio.write(two, src)
    new = regenerate(src, part="Cello", bars=(2, 3), seed=2)
    assert [n.pitch for n in new.parts[0].notes] == MELODY
    assert [n for n in new.parts[1].notes if n.onset < 4] == [n for n in sio.read(src).parts[1].notes if n.onset < 4]
    assert _nct(new, skip=(new.parts[0].id, new.parts[0].name)) == 0
    more = continue_(src, bars=1, seed=0)
    assert more.n_bars == 5


@pytest.mark.slow
def test_compose_cli_chords_are_written_and_hold_on_strong_beats(tmp_path):
    import json

    out = tmp_path / "out"
    rc = main(["compose", "chorale", "--ensemble", "satb choir", "--key", "C major", "--seconds", "12",
               "--chords", "Dm G7 C C", "--score-only", "-o", str(out)])  # fmt: skip
    assert rc == 0
    chords = [c for s in json.loads((out / "plan.json").read_text())["sections"] for c in s["chords"]]
    assert chords == ["Dm", "G7", "C", "C", "Dm", "G7", "C", "C"][: len(chords)]
    got = sio.read(out / "score.musicxml")
    assert [c.figure for c in got.chords][:2] == ["Dm", "G7"]
    assert _nct(got) == 0


TINY_CKPT = "tests/data/composer_tiny.safetensors"


@pytest.mark.slow
@pytest.mark.parametrize("suffix", [".mid", ".musicxml"])
def test_compose_cli_with_a_guide_renders_mixes_and_keeps_the_drums(tmp_path, capsys, suffix):
    """A guide seeds the composition; the rest of the main job runs as without one."""
    import json

    from partita.provenance import read_provenance, sha256_file, verify
    from partita.symbolic.score import Score

    src = tmp_path / f"guide{suffix}"
    sio.write(_melody_score(), src)
    out, keys = tmp_path / "out", tmp_path / "keys"
    rc = main(["compose", "pop song", "--ensemble", "pop band", "--guide", str(src), "--weights", TINY_CKPT,
               "--sample-rate", "16000", "--jobs", "1", "--key-dir", str(keys), "-o", str(out)])  # fmt: skip
    err = capsys.readouterr().err
    assert rc == 0, err
    assert "0 chord relaxations" in err
    score = Score.from_dict(json.loads((out / "score.json").read_text()))
    assert [n.pitch for n in score.parts[0].notes] == MELODY
    drums = [p for p in score.parts if p.instrument == "drum_kit"]
    assert len(drums) == 1 and drums[0].notes
    assert max(n.onset for n in drums[0].notes) >= 12  # over all four of the guide's bars
    assert all(p.notes for p in score.parts)
    render = json.loads((out / "render.json").read_text())
    assert len(render["stems"]) == len(score.parts)
    for name in ("mix.wav", "project.rpp", "score.musicxml", "score.mid", "plan.json"):
        assert (out / name).exists(), name
    rec = read_provenance(out)["record"]
    assert rec["compose"]["guide"] == {"file": src.name, "sha256": sha256_file(src)}
    assert rec["compose"]["chord_relaxations"] == 0
    assert verify(out, key_dir=keys).ok


@pytest.mark.slow
def test_compose_from_python_with_a_guide_keeps_percussion_over_a_pickup():
    from partita.symbolic.composer.planner import plan
    from partita.symbolic.composer.sample import compose, load_model

    base = _melody_score()
    # a one-beat pickup: the first note alone before bar 1
    guide = Score(parts=(Part("m", "Melody", "violin", tuple(Note(i, 1, p) for i, p in enumerate(MELODY[:13]))),),
                  pickup=1)  # fmt: skip
    p = plan("rock", ensemble="pop band", seed=0)
    out = compose(p, guide=guide, seed=1, model=load_model(TINY_CKPT))
    assert [pp.id for pp in out.parts] == [pp.id for pp in p.instrumentation]
    drums = next(x for x in out.parts if x.instrument == "drum_kit")
    assert min(n.onset for n in drums.notes) == 1  # from bar 1, none in the pickup
    assert max(n.onset for n in drums.notes) >= out.bar_start(out.n_bars - 1)
    assert base.parts[0].notes[:13] == out.parts[0].notes
