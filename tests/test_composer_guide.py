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
