"""REAPER export: the project names every stem that exists and no other, each on its own track at
position 0; tempo and meter come from the score; the MIDI has a track of its own."""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

import pytest

from partita.daw import rpp_text, tempo_points, write_rpp
from tests.reference import rpp_tracks


def _score():
    from partita.symbolic.score import Note, Part, Score
    from partita.symbolic.timeline import TempoMap, TempoMark, TimeSignature

    parts = (
        Part("vn1", "Violin I", "violin", notes=(Note(Fraction(0), Fraction(2), 76),)),
        Part("vn2", "Violin \"II\"", "violin", notes=(Note(Fraction(1), Fraction(2), 72),)),
        Part("vc", "Violoncello", "cello", notes=(Note(Fraction(0), Fraction(4), 48),)),
    )
    return Score(title="t", parts=parts, tempo_map=TempoMap((TempoMark(Fraction(0), 96.0), TempoMark(Fraction(6), 72.0))),
                 time_signatures=(TimeSignature(Fraction(0), 3, 4), TimeSignature(Fraction(6), 6, 8)))  # fmt: skip


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    from partita.mixing import read_render_manifest
    from partita.render.settings import RenderSettings
    from partita.render.stems import render
    from partita.symbolic import io as sio

    out = tmp_path_factory.mktemp("daw")
    score = _score()
    render(score, out, settings=RenderSettings(sample_rate=8000, tail_s=0.5), progress=False)
    sio.write(score, out / "score.mid")
    manifest = read_render_manifest(out)
    path = write_rpp(out, score, manifest=manifest, stem_pan={"vn1": -0.7, "vc": 0.35}, stem_gain_db={"vn1": 2.0, "vn2": 0.0, "vc": 5.0})
    return out, path, manifest


def _blocks(text: str, tag: str) -> list[str]:
    """Text of each top-level <TAG ...> block inside the project (indent two spaces)."""
    return re.findall(rf"^  <{tag}\n(.*?)^  >$", text, flags=re.S | re.M)


def test_every_existing_stem_and_no_other(project):
    out, path, _ = project
    tracks = rpp_tracks(path.read_text())
    wave_files = sorted(f for _, srcs in tracks for kind, f in srcs if kind == "WAVE")
    on_disk = sorted(p.relative_to(out).as_posix() for p in (out / "stems").glob("*.wav"))
    assert wave_files == on_disk and len(on_disk) == 3
    for f in wave_files:
        assert (path.parent / f).is_file()  # relative to the project file
    names = [n for n, srcs in tracks if srcs and srcs[0][0] == "WAVE"]
    assert names == ["Violin I", 'Violin "II"', "Violoncello"]  # REAPER has no escapes: quoted with ' instead
    midi = [(n, srcs) for n, srcs in tracks if srcs and srcs[0][0] == "MIDI"]
    assert midi == [("MIDI (score)", [("MIDI", "score.mid")])]
    assert all(len(srcs) == 1 for _, srcs in tracks)  # one item per track


def test_partitas_own_reader_agrees_with_the_reference(project):
    from partita.daw import parse_rpp_tracks

    text = project[1].read_text()
    assert parse_rpp_tracks(text) == rpp_tracks(text) and len(rpp_tracks(text)) == 4


def test_items_start_at_zero_and_last_the_render(project):
    _, path, manifest = project
    text = path.read_text()
    items = re.findall(r"<ITEM\n(.*?)\n\s*<SOURCE", text, flags=re.S)
    assert len(items) == 4
    for item in items:
        assert re.search(r"^\s*POSITION 0$", item, flags=re.M)
        length = float(re.search(r"LENGTH (\S+)", item).group(1))
        assert length == pytest.approx(manifest["duration_s"], abs=1e-6)


def test_tempo_and_meter_from_the_score(project):
    _, path, _ = project
    text = path.read_text()
    assert re.search(r"^  TEMPO 96 3 4$", text, flags=re.M)
    env = _blocks(text, "TEMPOENVEX")
    assert len(env) == 1
    pts = [line.split()[1:] for line in env[0].splitlines() if line.strip().startswith("PT ")]
    # 3/4 (3 + 4 * 65536); 6 quarter notes at 96 bpm = 3.75 s, then 72 bpm in 6/8 (6 + 8 * 65536)
    assert [(float(a), float(b), c, d) for a, b, c, *d in pts] == [(0.0, 96.0, "1", ["262147"]), (3.75, 72.0, "1", ["524294"])]
    assert tempo_points(_score())[1] == (3.75, 72.0, 6 + 8 * 65536)


def test_pan_and_gain_follow_the_mix(project):
    _, path, _ = project
    volpan = dict(re.findall(r'NAME "([^"]*)"\n\s*VOLPAN (\S+ \S+)', path.read_text()))
    vol, pan = map(float, volpan["Violin I"].split())
    assert pan == pytest.approx(-0.7) and vol == pytest.approx(10 ** (-3 / 20), rel=1e-5)  # 2 dB under the top (5 dB)
    assert float(volpan["Violoncello"].split()[0]) == pytest.approx(1.0)


def test_a_project_without_midi_or_tempo_changes():
    from partita.symbolic.score import Score

    text = rpp_text(Score(), stems=[("A", "stems/01_a.wav", 0.0, 0.0)], length_s=1.0, midi_file=None)
    assert [n for n, _ in rpp_tracks(text)] == ["A"] and "TEMPOENVEX" not in text
    depth = 0
    for line in text.splitlines():
        depth += line.strip().startswith("<") - (line.strip() == ">")
        assert depth >= 0
    assert depth == 0


def test_write_rpp_is_atomic(project):
    out, path, manifest = project
    before = path.read_bytes()
    with pytest.raises(KeyError):
        write_rpp(out, _score(), manifest={"stems": [{"file": "x"}], "duration_s": 1, "sample_rate": 8000})
    assert path.read_bytes() == before
    assert not [p for p in Path(out).iterdir() if p.name.startswith(".project")]
