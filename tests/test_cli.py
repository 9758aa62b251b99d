"""The command line as a user meets it: a real subprocess, real files on disk."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import subprocess
import sys
from fractions import Fraction as F
from pathlib import Path

import pytest

from partita.symbolic.io import write
from partita.symbolic.pitch import KeySignature
from partita.symbolic.score import Note, Part, Score, Section
from partita.symbolic.timeline import TempoMap, TempoMark, TimeSignature

EXAMPLE = Path(__file__).resolve().parents[1] / "partita" / "examples" / "bwv66.6.musicxml"


def partita(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run(
        [sys.executable, "-m", "partita", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300
    )


@pytest.fixture(scope="module")
def duet(tmp_path_factory) -> Path:
    score = Score(
        title="Duet",
        parts=(
            Part("fl", "Flute", "flute", tuple(Note(F(i), F(1), 72 + i % 5) for i in range(12))),
            Part("vc", "Cello", "cello", tuple(Note(F(2 * i), F(2), 48 + i % 3) for i in range(6))),
        ),
        tempo_map=TempoMap((TempoMark(0, 120), TempoMark(8, 60))),
        time_signatures=(TimeSignature(0, 4, 4),),
        key_signatures=(KeySignature(0, 1),),
        sections=(Section(0, "A"), Section(8, "B")),
    )
    path = tmp_path_factory.mktemp("cli") / "duet.musicxml"
    write(score, path)
    return path


def test_help_lists_every_command_and_imports_nothing_heavy():
    out = partita("--help")
    assert out.returncode == 0
    from partita.cli import build_parser

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    listed = set(re.findall(r"^    (\S+)", out.stdout, flags=re.M))
    assert len(sub.choices) >= 13 and set(sub.choices) <= listed, set(sub.choices) - listed
    probe = (
        "import sys; from partita.cli import build_parser; build_parser();"
        "heavy = [m for m in ('music21', 'torch', 'numba', 'pretty_midi', 'miditok') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == ""


def test_a_command_line_builds_only_its_subcommand_s_parser():
    """``main`` asks only the module of the subcommand it is given for a parser; the table that
    says which module adds which subcommand is the one the modules themselves make."""
    from partita import cli

    for module in cli.COMMANDS:
        sub = argparse.ArgumentParser().add_subparsers()
        importlib.import_module(f"partita.commands.{module}").add_parser(sub)
        assert tuple(sub.choices) == cli.SUBCOMMANDS.get(module, (module,)), module
    every = set(next(a for a in cli.build_parser()._actions if isinstance(a, argparse._SubParsersAction)).choices)
    for command in every:
        only = next(a for a in cli.build_parser(command)._actions if isinstance(a, argparse._SubParsersAction))
        assert command in only.choices and len(only.choices) <= 4
    for other in (None, "--help", "--version", "rendr"):
        assert set(next(a for a in cli.build_parser(other)._actions
                        if isinstance(a, argparse._SubParsersAction)).choices) == every  # fmt: skip
    probe = (
        "import sys; from partita.cli import build_parser;"
        "a = build_parser('render').parse_args(['render', 'x.mid', '-o', 'out', '--jobs', '1']);"
        "print(a.command, a.jobs, sorted(m for m in sys.modules if m.startswith('partita.commands.')))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert loaded.stdout.split(None, 2) == ["render", "1", "['partita.commands._reading', 'partita.commands.render']\n"]
    out = partita("rendr", "x.mid")  # a misspelt command still hears every choice
    assert out.returncode == 2 and "render" in out.stderr and "compose" in out.stderr


def test_the_program_exits_with_main_s_code_its_objects_frozen(duet, monkeypatch, capsys):
    """The program (console script, ``python -m partita``) freezes the collector's objects
    before it exits (the interpreter's last collection walked a render's every object, some
    50 ms); a program that calls ``main`` keeps its collector as it was."""
    import gc

    from partita import cli

    kept = []
    monkeypatch.setattr(cli, "_keep_freed_memory", lambda: kept.append(True))  # this process's allocator stays
    monkeypatch.setattr(sys, "argv", ["partita", "info", str(duet)])
    assert gc.get_freeze_count() == 0
    try:
        with pytest.raises(SystemExit) as ended:
            cli.entry()
        assert ended.value.code == 0 and "Flute" in capsys.readouterr().out
        assert gc.get_freeze_count() > 0 and kept == [True]
    finally:
        gc.unfreeze()
    assert cli.main(["info", str(duet)]) == 0 and gc.get_freeze_count() == 0 and kept == [True]
    monkeypatch.setattr(sys, "argv", ["partita", "info", str(duet.with_suffix(".missing"))])
    try:
        with pytest.raises(SystemExit) as ended:
            cli.entry()
        assert ended.value.code == 2
    finally:
        gc.unfreeze()


_HEAP_PROBE = """
import ctypes, sys
from partita import cli
libc = ctypes.CDLL(None)
libc.sbrk.restype, libc.sbrk.argtypes = ctypes.c_void_p, (ctypes.c_long,)
if sys.argv[1] == "keep":
    cli._keep_freed_memory()
start = libc.sbrk(0)
block = bytearray(16 << 20)
grown = libc.sbrk(0) - start
del block
print(grown, libc.sbrk(0) - start)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux") or os.confstr("CS_GNU_LIBC_VERSION") is None,
                    reason="mallopt is glibc's")  # fmt: skip
def test_the_program_s_allocator_keeps_what_it_frees():
    """In the program a 16 MB block comes from the heap and stays there once freed (the next
    phrase's arrays reuse its pages, no fault and no cleared page), where glibc's defaults map
    it afresh and give it back; a ``GLIBC_TUNABLES`` of the allocator's own is left alone."""
    def probe(mode, **env):
        out = subprocess.run([sys.executable, "-c", _HEAP_PROBE, mode], capture_output=True, text=True, check=True,
                             env={**os.environ, **env})  # fmt: skip
        return [int(x) for x in out.stdout.split()]

    grown, left = probe("keep", GLIBC_TUNABLES="")
    assert grown > 12 << 20 and left == grown, (grown, left)  # (less the free top it had)
    assert probe("default", GLIBC_TUNABLES="") == [0, 0]  # mmapped and unmapped: what the setting changes
    assert probe("keep", GLIBC_TUNABLES="glibc.malloc.trim_threshold=131072") == [0, 0]


_BLAS_PROBE = """
import atexit, os, sys
def report():
    import numpy, threadpoolctl  # numpy's BLAS sizes its threads from the environment at import
    blas = [p["num_threads"] for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"]
    print(os.environ.get("OPENBLAS_NUM_THREADS"), blas)
atexit.register(report)
sys.argv = ["partita", sys.argv[1], "--help"]
from partita.cli import entry
entry()
"""


def test_a_render_starts_numpy_s_blas_with_one_thread():
    """The program's render starts OpenBLAS with one thread (a spinning second one took a core
    from the render's own processes); another command, or an OPENBLAS_NUM_THREADS of the
    user's, is left as it was."""
    def probe(command, **env):
        base = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
        out = subprocess.run([sys.executable, "-c", _BLAS_PROBE, command], capture_output=True, text=True,
                             check=True, env={**base, **env})  # fmt: skip
        return out.stdout.strip().splitlines()[-1]

    assert probe("render") == "1 [1]"
    assert probe("check").startswith("None [")  # numpy's own choice: a thread per core
    assert probe("render", OPENBLAS_NUM_THREADS="2") == "2 [2]"


def test_info_json_has_the_documented_keys(duet):
    out = partita("info", str(duet), "--json")
    assert out.returncode == 0, out.stderr
    info = json.loads(out.stdout)
    assert [(p["name"], p["instrument"], p["n_notes"]) for p in info["parts"]] == [
        ("Flute", "flute", 12),
        ("Cello", "cello", 6),
    ]
    assert info["n_bars"] == 3
    # 8 quarters at 120 bpm (4 s) + 4 quarters at 60 bpm (4 s)
    assert info["duration_seconds"] == pytest.approx(8.0)
    assert [t["bpm"] for t in info["tempi"]] == [120, 60]
    assert [s["name"] for s in info["sections"]] == ["A", "B"]
    assert info["keys"][0]["name"] == "G major"


def test_info_text_names_parts_and_tempi(duet):
    out = partita("info", str(duet))
    assert out.returncode == 0, out.stderr
    assert "Flute" in out.stdout and "Cello" in out.stdout and "3 bars" in out.stdout and "60 bpm" in out.stdout


@pytest.mark.parametrize("ext", ["mid", "mxl", "xml", "musicxml"])
def test_convert_between_formats_keeps_the_notes(duet, tmp_path, ext):
    dst = tmp_path / f"duet.{ext}"
    out = partita("convert", str(duet), str(dst))
    assert out.returncode == 0, out.stderr
    info = json.loads(partita("info", str(dst), "--json").stdout)
    assert [p["n_notes"] for p in info["parts"]] == [12, 6]
    assert info["duration_seconds"] == pytest.approx(8.0)


@pytest.mark.musescore
@pytest.mark.slow
def test_convert_through_musescore(duet, tmp_path):
    for ext in ("mscx", "mscz"):
        dst = tmp_path / f"duet.{ext}"
        out = partita("convert", str(duet), str(dst))
        assert out.returncode == 0, out.stderr
        info = json.loads(partita("info", str(dst), "--json").stdout)
        assert [p["n_notes"] for p in info["parts"]] == [12, 6]
        assert [p["instrument"] for p in info["parts"]] == ["flute", "cello"]


def test_bundled_example_describes_itself():
    out = partita("info", str(EXAMPLE), "--json")
    assert out.returncode == 0, out.stderr
    info = json.loads(out.stdout)
    assert len(info["parts"]) == 4 and info["n_bars"] > 0


@pytest.mark.parametrize(
    "content, name, expect",
    [
        (b"", "empty.musicxml", "empty.musicxml"),
        (b"<score-partwise><part", "truncated.musicxml", "truncated.musicxml"),
        (b"MThd\x00\x00", "short.mid", "short.mid"),
        (b"hello", "notes.txt", "cannot read .txt"),
    ],
)
def test_errors_are_one_line_with_exit_code_2(tmp_path, content, name, expect):
    path = tmp_path / name
    path.write_bytes(content)
    out = partita("info", str(path))
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert expect in lines[0] and "Traceback" not in out.stderr
    assert path.read_bytes() == content


def test_missing_file_is_named(tmp_path):
    out = partita("convert", str(tmp_path / "nope.mid"), str(tmp_path / "x.musicxml"))
    assert out.returncode == 2 and "nope.mid" in out.stderr and "no such file" in out.stderr
    assert not (tmp_path / "x.musicxml").exists()


def test_failed_convert_leaves_no_output(tmp_path, duet):
    dst = tmp_path / "out.mid"
    dst.write_bytes(b"old")
    bad = tmp_path / "bad.musicxml"
    bad.write_text("<not-music/>")
    out = partita("convert", str(bad), str(dst))
    assert out.returncode == 2
    assert dst.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize(
    "work, ext",
    [("oneills1850/0721-0730.abc", "musicxml"), ("palestrina/Agnus_II_47.krn", "mid")],
)
def test_info_and_convert_read_abc_and_humdrum(tmp_path, work, ext):
    """Read-only formats, from real files in the music21 corpus; note counts against music21's own."""
    import music21

    src = Path(music21.corpus.getWork(work))
    parsed = music21.converter.parse(src, forceSource=True)
    first = parsed.scores[0] if isinstance(parsed, music21.stream.Opus) else parsed
    want = sum(len(n.pitches) for n in first.recurse().notes if n.duration.quarterLength > 0)
    info = json.loads(partita("info", str(src), "--json").stdout)
    assert sum(p["n_notes"] for p in info["parts"]) == want
    dst = tmp_path / f"out.{ext}"
    out = partita("convert", str(src), str(dst))
    assert out.returncode == 0, out.stderr
    assert dst.stat().st_size > 0
