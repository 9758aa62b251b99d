"""``partita check``: text and JSON output, exit codes 0/1/2, every format partita reads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from partita.cli import main
from partita.symbolic.io import write
from partita.theory_rules import sketch

# parallel fifths (an error) between Violin and Cello, bar 1 beat 1 -> beat 2
FIFTHS = sketch({"Violin": "C5 D5 E5 F5", "Cello": "F3 G3 C4 D4"}, key="C major", title="Fifths")
CLEAN = sketch({"Violin": "C5 D5 E5 F5", "Cello": "A3 G3 C4 A3"}, key="C major", title="Clean")

ABC = """X:1
T:Fifths
M:4/4
L:1/4
K:C
V:1 name="Violin"
c d e f |
V:2 name="Cello" clef=bass
F, G, C D |
"""


def run_check(capsys, *args: str) -> tuple[int, str, str]:
    rc = main(["check", *args])
    out = capsys.readouterr()
    return rc, out.out, out.err


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("check")
    out = {}
    for name, score in (("fifths", FIFTHS), ("clean", CLEAN)):
        for ext in ("musicxml", "mid"):
            out[f"{name}.{ext}"] = write(score, d / f"{name}.{ext}") or d / f"{name}.{ext}"
    (d / "fifths.abc").write_text(ABC)
    out["fifths.abc"] = d / "fifths.abc"
    (d / "broken.musicxml").write_text("<score-partwise><part-list>")
    out["broken.musicxml"] = d / "broken.musicxml"
    return out


@pytest.mark.parametrize("name", ["fifths.musicxml", "fifths.mid", "fifths.abc"])
def test_errors_give_exit_code_1_in_every_format(capsys, files, name):
    rc, out, _ = run_check(capsys, str(files[name]))
    assert rc == 1
    assert "parallel fifths, bar 1 beat 1 → bar 1 beat 2" in out
    assert "Summary (chorale profile" in out


@pytest.mark.parametrize("name", ["clean.musicxml", "clean.mid"])
def test_no_errors_give_exit_code_0(capsys, files, name):
    rc, out, _ = run_check(capsys, str(files[name]))
    assert rc == 0, out
    assert "0 errors" in out


def test_json_output(capsys, files):
    rc, out, _ = run_check(capsys, str(files["fifths.musicxml"]), "--json")
    assert rc == 1
    data = json.loads(out)
    (v,) = [v for v in data["violations"] if v["rule"] == "parallel-fifths"]
    assert v["severity"] == "error" and v["bar"] == 1 and v["beat"] == 1
    assert v["parts"] and v["message"].startswith("Violin and Cello: parallel fifths")
    assert data["summary"]["rules"]["parallel-fifths"]["count"] == 1
    assert data["summary"]["n_errors"] >= 1


def test_disable_enable_and_set(capsys, files):
    rc, out, _ = run_check(capsys, str(files["fifths.musicxml"]), "--disable", "parallel-fifths", "--json")
    data = json.loads(out)
    assert rc == 0 and "parallel-fifths" not in data["summary"]["rules"]
    rc, out, _ = run_check(
        capsys, str(files["fifths.musicxml"]), "--profile", "orchestration", "--enable", "parallel-fifths",
        "--set", "parallel-fifths.contrary=false", "--json",
    )  # fmt: skip
    data = json.loads(out)
    assert rc == 1 and data["rules"]["parallel-fifths"] == {"contrary": False}
    assert "spacing" not in data["summary"]["rules"]


@pytest.mark.parametrize(
    "args, words",
    [
        (["--profile", "baroque"], ["unknown profile 'baroque'", "chorale", "orchestration"]),
        (["--enable", "parallel-ninths"], ["unknown rule 'parallel-ninths'", "parallel-fifths"]),
        (["--set", "spacing.width=3"], ["no parameter 'width'", "max_semitones"]),
        (["--set", "spacing.max_semitones=wide"], ["not a whole number"]),
        (["--set", "spacing"], ["RULE.PARAM=VALUE"]),
    ],
)
def test_bad_configuration_exits_2_and_lists_what_is_known(capsys, files, args, words):
    rc, _, err = run_check(capsys, str(files["clean.musicxml"]), *args)
    assert rc == 2
    assert err.count("\n") == 1  # one line, no traceback
    for w in words:
        assert w in err


def test_bad_files_exit_2(capsys, files, tmp_path):
    for path in (files["broken.musicxml"], tmp_path / "missing.musicxml", tmp_path / "notes.txt"):
        rc, _, err = run_check(capsys, str(path))
        assert rc == 2 and str(path.name) in err


def test_list_rules(capsys):
    rc, out, _ = run_check(capsys, "--list-rules")
    assert rc == 0 and "parallel-fifths" in out and "orchestration" in out


def test_real_subprocess_exit_code(files):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run(
        [sys.executable, "-m", "partita", "check", str(files["fifths.mid"]), "--profile", "classical"],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 1 and "parallel fifths" in proc.stdout


@pytest.mark.slow
@pytest.mark.musescore
def test_musescore_files(capsys, tmp_path):
    path = write(FIFTHS, tmp_path / "fifths.mscx") or tmp_path / "fifths.mscx"
    rc, out, _ = run_check(capsys, str(path))
    assert rc == 1 and "parallel fifths" in out
