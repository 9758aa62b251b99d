"""``partita render`` as a user runs it: a real subprocess on real files of every format."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from fractions import Fraction as F

import pytest

from partita.symbolic.dynamics import Dynamic
from partita.symbolic.io import write
from partita.symbolic.score import Note, Part, Score
from partita.symbolic.timeline import TempoMap, TempoMark


def partita(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([sys.executable, "-m", "partita", *args], capture_output=True, text=True, env=env, timeout=300)


def _duet() -> Score:
    return Score(
        title="Duet",
        parts=(
            Part("fl", "Flute", "flute", tuple(Note(F(i), F(1), 72 + i % 5) for i in range(6)), dynamics=(Dynamic(0, "f"),)),
            Part("vc", "Cello", "cello", tuple(Note(F(2 * i), F(2), 48 + i % 3) for i in range(3))),
        ),
        tempo_map=TempoMap((TempoMark(0, 120),)),
    )  # fmt: skip


@pytest.mark.parametrize(
    "ext", [pytest.param(".musicxml", marks=pytest.mark.slow), pytest.param(".mxl", marks=pytest.mark.slow), ".mid"]
)  # MusicXML: music21 imports in the subprocess take a few seconds
def test_render_writes_stems_for_each_format(tmp_path, ext):
    src = tmp_path / f"duet{ext}"
    write(_duet(), src)
    out = tmp_path / "out"
    proc = partita("render", str(src), "-o", str(out), "--sample-rate", "22050", "--seed", "2")
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((out / "render.json").read_text())
    assert manifest["sample_rate"] == 22050 and manifest["seed"] == 2
    assert len(manifest["stems"]) == 2
    for stem in manifest["stems"]:
        assert (out / stem["file"]).stat().st_size > 1000
    assert "real time" in proc.stderr  # the summary


@pytest.mark.slow
@pytest.mark.musescore
def test_render_reads_musescore_files(tmp_path):
    src = tmp_path / "duet.mscx"
    write(_duet(), src)
    proc = partita("render", str(src), "-o", str(tmp_path / "out"), "--sample-rate", "16000", "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert len(json.loads((tmp_path / "out" / "render.json").read_text())["stems"]) == 2


@pytest.mark.slow
def test_render_a_bach_chorale_written_by_music21(tmp_path):
    from music21 import corpus

    src = tmp_path / "bwv66.6.musicxml"
    corpus.parse("bach/bwv66.6").write("musicxml", fp=str(src))
    proc = partita("render", str(src), "-o", str(tmp_path / "out"), "--sample-rate", "16000", "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert len(list((tmp_path / "out" / "stems").glob("*.wav"))) == 4


@pytest.mark.parametrize(
    "args, text",
    [
        (["--sample-rate", "4000"], "sample rate 4000 Hz is outside 8000-192000 Hz"),
        (["--sample-rate", "200000"], "sample rate 200000 Hz is outside"),
        (["--seed", "-3"], "seed -3 must be a non-negative"),
    ],
)
def test_impossible_settings_exit_2_with_one_line(tmp_path, args, text):
    src = tmp_path / "duet.musicxml"
    write(_duet(), src)
    proc = partita("render", str(src), "-o", str(tmp_path / "out"), *args)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and text in lines[0] and "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()


def test_missing_score_exits_2(tmp_path):
    proc = partita("render", str(tmp_path / "nope.musicxml"), "-o", str(tmp_path / "out"))
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
