"""The main job: ``partita compose "PROMPT" -o OUTDIR`` runs plan -> score -> stems -> mix ->
REAPER -> provenance, reports each stage, ends with a summary, and leaves a folder that
``partita verify`` accepts. Runs on the tiny checkpoint in tests/data (random weights)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from partita.cli import main

TINY_CKPT = "tests/data/composer_tiny.safetensors"


@pytest.mark.slow
def test_compose_is_the_main_job(tmp_path, capsys):
    from tests.reference import rpp_tracks
    from partita.mixing import integrated_lufs, true_peak_dbtp
    from partita.provenance import read_provenance, sha256_file, verify
    from partita.symbolic import io as sio

    out, keys = tmp_path / "out", tmp_path / "keys"
    rc = main(["compose", "a gentle folk tune for string quartet", "--seconds", "8", "--weights", TINY_CKPT,
               "-o", str(out), "--sample-rate", "16000", "--key-dir", str(keys), "--jobs", "1"])  # fmt: skip
    err = capsys.readouterr().err
    assert rc == 0, err
    # progress per stage, in order, then the summary
    stages = re.findall(r"\] (\w+): ", err)
    assert stages == ["compose", "originality", "score", "render", "mix", "export", "provenance"]
    assert "composing section 1/" in err
    for words in ("sections: ", "key ", "bpm", "LUFS (target -14)", "dBTP", "stems in stems/", "took "):
        assert words in err
    # the folder
    for name in ("plan.json", "score.musicxml", "score.mid", "score.json", "render.json", "mix.wav", "mix.json",
                 "project.rpp", "provenance.json"):  # fmt: skip
        assert (out / name).is_file(), name
    stems = sorted(p.relative_to(out).as_posix() for p in (out / "stems").glob("*.wav"))
    assert len(stems) == 4
    score = sio.read(out / "score.musicxml")
    assert [p.instrument for p in score.parts] == ["violin", "violin", "viola", "cello"]
    mix, sr = sf.read(out / "mix.wav", dtype="float32", always_2d=True)
    assert sr == 16000 and abs(integrated_lufs(mix.T, sample_rate=sr) + 14.0) <= 0.5 and true_peak_dbtp(mix.T) <= -1.0
    rpp = rpp_tracks((out / "project.rpp").read_text())
    assert sorted(f for _, s in rpp for k, f in s if k == "WAVE") == stems
    # signed, and everything recorded
    assert verify(out, key_dir=keys).ok
    rec = read_provenance(out)["record"]
    assert rec["prompt"] == "a gentle folk tune for string quartet"
    # every weight file used: the composer's, and the shipped decoder of each instrument that has one
    from partita.render.neural_infer import decoder_for

    want = [{"role": "composer", "file": "composer_tiny.safetensors", "sha256": sha256_file(TINY_CKPT)}]
    for inst in ("violin", "viola", "cello"):
        w = getattr(decoder_for(inst), "weights", None)
        if w is not None:
            want.append({"role": f"instrument:{inst}", "file": Path(w.path).name, "sha256": sha256_file(w.path)})
    assert rec["weights"] == want
    assert [rec["render"]["decoders"][p][0] for p in ("vn1", "vc")] == [decoder_for("violin").decoder_id,
                                                                       decoder_for("cello").decoder_id]
    assert rec["plan"]["instrumentation"] and rec["seed"] == 0
    assert rec["score"]["canonical_hash"] == json_score_hash(out)
    # the same command again gives the same audio (stems from the cache, the same mix)
    mix_sha = rec["files"]["mix.wav"]
    assert main(["compose", "a gentle folk tune for string quartet", "--seconds", "8", "--weights", TINY_CKPT,
                 "-o", str(out), "--sample-rate", "16000", "--key-dir", str(keys)]) == 0  # fmt: skip
    assert read_provenance(out)["record"]["files"]["mix.wav"] == mix_sha and verify(out, key_dir=keys).ok


def json_score_hash(out) -> str:
    from partita.symbolic.score import Score

    return Score.from_dict(json.loads((out / "score.json").read_text())).canonical_hash()


def test_score_only_keeps_the_old_behaviour(tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["compose", "sad chorale", "--seconds", "4", "--weights", TINY_CKPT, "-o", str(out), "--score-only"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["plan.json", "score.mid", "score.musicxml"]


def test_bad_weights_fail_in_one_line_and_write_no_audio(tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["compose", "x", "--weights", str(tmp_path / "missing.safetensors"), "-o", str(out),
                 "--key-dir", str(tmp_path / "k")]) == 2  # fmt: skip
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("partita: error")]
    assert len(errors) == 1 and "missing.safetensors" in errors[0]
    assert not (out / "mix.wav").exists() and not (out / "provenance.json").exists()


def test_pipeline_result_summary(tmp_path):
    """compose_to_master in Python, at a low sample rate: stage timings and summary lines."""
    from partita.mixing import MixSettings
    from partita.pipeline import compose_to_master
    from partita.render.settings import RenderSettings
    from partita.symbolic.composer.planner import plan

    p = plan("calm piano solo", duration_s=4, seed=1)
    seen = []
    r = compose_to_master(p, tmp_path / "o", seed=1, weights=TINY_CKPT, workers=1, key_dir=tmp_path / "k",
                          render_settings=RenderSettings(sample_rate=8000, tail_s=0.5),
                          mix_settings=MixSettings(target_lufs=-20.0), progress=lambda s, m: seen.append(s))  # fmt: skip
    assert [n for n, _ in r.stages] == ["plan", "compose", "originality", "score files", "render", "mix", "export", "provenance"]
    assert all(t >= 0 for _, t in r.stages) and r.elapsed_s == pytest.approx(sum(t for _, t in r.stages))
    assert seen[0] == "compose" and seen[-1] == "provenance"
    from partita.provenance import read_provenance

    orig = read_provenance(tmp_path / "o")["record"]["originality"]  # signed with the record (issue 16)
    assert orig["verdict"] in ("clear", "flagged") and orig["similarity"]["genre"] == p.genre
    text = r.summary()
    assert "LUFS (target -20)" in text and "1 stems in stems/" in text
    assert r.mix.report.meets_target
    audio, _ = sf.read(tmp_path / "o" / "mix.wav", always_2d=True)
    assert np.isfinite(audio).all()


_COMPOSE_WITH_FORKS = """
import json, os, sys
from pathlib import Path
from partita import pipeline
from partita.errors import FormatError
from partita.mixing import MixSettings
from partita.render.settings import RenderSettings
from partita.symbolic import io as sio
from partita.symbolic.composer.planner import plan

out, me = Path(sys.argv[1]), os.getpid()
real = sio.write

def write(score, path):
    with open(out.parent / "writes.txt", "a") as fh:
        fh.write(f"{os.getpid()} {Path(path).suffix}\\n")
    if os.getpid() != me and str(path).endswith(".musicxml"):
        raise FormatError("the child's pen broke")
    return real(score, path)

sio.write = write
r = pipeline.compose_to_master(plan("string quartet", duration_s=4, seed=2), out, seed=2, weights=sys.argv[2],
                               workers=2, key_dir=out.parent / "k", render_settings=RenderSettings(sample_rate=8000, tail_s=0.5),
                               mix_settings=MixSettings(target_lufs=-20.0))
try:
    os.waitpid(-1, os.WNOHANG)
    left = True
except ChildProcessError:
    left = False
writes = [line.split() for line in (out.parent / "writes.txt").read_text().splitlines()]
print(json.dumps({"me": str(me), "writes": writes, "musicxml": (out / "score.musicxml").exists(),
                  "stems": len(r.render.stems), "children_left": left}))
"""


def test_the_score_files_are_written_by_a_child_while_the_parts_render(tmp_path):
    """Where the render may fork its parts' processes, the score's MusicXML and MIDI are written
    by a forked child beside it (a thread would keep the render on threads); an export that
    fails there is written again here, which then raises what it meets."""
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    run = subprocess.run([sys.executable, "-c", _COMPOSE_WITH_FORKS, str(tmp_path / "o"), TINY_CKPT], cwd=root,
                         capture_output=True, text=True, check=True, env={**os.environ, "OMP_NUM_THREADS": "1"})  # fmt: skip
    got = json.loads(run.stdout.strip().splitlines()[-1])
    by = [(pid == got["me"], suffix) for pid, suffix in got["writes"]]
    assert (False, ".musicxml") in by and (True, ".musicxml") in by and (True, ".mid") in by
    assert got["musicxml"] and got["stems"] >= 2 and not got["children_left"]
