"""Tune books, size limits, progress, broken pipes and unwritable outputs, and ``check`` without
an all-pairs cache."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from partita.errors import LimitError
from partita.symbolic.io import abc, read, write
from partita.symbolic.io.musicxml_parts import Limits
from partita.symbolic.score import Note, Part, Score

DATA = Path(__file__).parent / "data"
BOOK = DATA / "abc_tune_book.abc"


def walk_score(n_parts: int, n_bars: int) -> Score:
    """Violins, each a seeded random walk of quarter notes inside G3-G5."""
    parts = []
    for p in range(n_parts):
        rng = np.random.default_rng(p)
        pitch, notes = 55 + int(rng.integers(0, 25)), []
        for i, step in enumerate(rng.choice([-2, -1, 1, 2], size=4 * n_bars)):
            pitch = min(max(pitch + int(step), 55), 79)
            notes.append(Note(i, 1, pitch))
        parts.append(Part(f"v{p}", f"Violin {p + 1}", "violin", tuple(notes)))
    return Score(parts=tuple(parts))


def cli(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "partita.cli", *args], capture_output=True, text=True, **kwargs)


# --- ABC tune books ---------------------------------------------------------------------------


def test_every_tune_of_a_tune_book_reads_with_music21s_notes():
    from music21 import converter

    book = converter.parse(str(BOOK), forceSource=True)
    reference = {int(s.metadata.number): (s.metadata.title, len(s.recurse().notes)) for s in book.scores}
    listed = abc.tunes(BOOK)
    assert [t.number for t in listed] == sorted(reference) == [1, 2, 7]
    for tune in listed:
        score = read(BOOK, number=tune.number)
        assert (score.title, sum(len(p.notes) for p in score.parts)) == reference[tune.number]
        assert tune.title == score.title
    assert read(BOOK) == read(BOOK, number=1)
    assert read(BOOK, number=7).time_signatures[0].numerator == 6  # a tune music21 gives no measures


def test_cli_chooses_the_tune_and_lists_the_book(tmp_path):
    got = cli("info", str(BOOK), "--tune", "7")
    assert got.returncode == 0, got.stderr
    assert "Third Tune" in got.stdout and "tune book of 3 tunes" in got.stdout
    out = tmp_path / "second.musicxml"
    assert cli("convert", str(BOOK), str(out), "--tune", "2").returncode == 0
    assert read(out).title == "Second Tune"
    bad = cli("info", str(DATA / "drums_unpitched.musicxml"), "--tune", "2")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "ABC" in bad.stderr


# --- limits and progress -------------------------------------------------------------------------


def test_limits_refuse_absurd_sizes_with_a_message_and_can_be_raised(tmp_path):
    score = walk_score(3, 30)
    for ext in (".mid", ".musicxml"):
        path = tmp_path / f"s{ext}"
        write(score, path)
        with pytest.raises(LimitError, match="30 bars, more than the limit of 20; raise it with --max-bars"):
            read(path, limits=Limits(max_bars=20))
        with pytest.raises(LimitError, match="3 parts, more than the limit of 2"):
            read(path, limits=Limits(max_parts=2))
        assert read(path, limits=Limits(max_bars=30, max_parts=3)).n_bars == 30
        got = cli("info", str(path), "--max-bars", "10")
        assert got.returncode == 2 and "Traceback" not in got.stderr
        assert got.stderr.strip().startswith(f"partita: error: {path}: the score has 30 bars")
        assert cli("info", str(path), "--max-bars", "0").returncode == 0


def test_default_limit_refuses_a_huge_musicxml_before_music21_parses_it(tmp_path):
    path = tmp_path / "long.musicxml"
    bars = "".join(f'<measure number="{i + 1}"><note><rest/><duration>4</duration></note></measure>' for i in range(20_001))
    path.write_text(f'<score-partwise version="3.1"><part-list><score-part id="P1"><part-name>Flute</part-name>'
                    f'</score-part></part-list><part id="P1">{bars}</part></score-partwise>')  # fmt: skip
    with pytest.raises(LimitError, match="20001 bars"):
        read(path)


def test_progress_is_a_callback_and_library_code_prints_nothing(tmp_path, capsys):
    from partita.symbolic.io.musicxml_parts import scan

    # the streaming scan reports every 1,000 measures (music21 is not asked: it is slow)
    rests = "".join(f'<measure number="{i + 1}"><note><rest/><duration>4</duration></note></measure>' for i in range(2500))
    calls = []
    facts = scan(f'<score-partwise><part-list><score-part id="P1"/></part-list><part id="P1">{rests}</part>'
                 "</score-partwise>".encode(), progress=lambda *a: calls.append(a))  # fmt: skip
    assert facts.n_bars == 2500 and calls == [(1000, 0, "scanning"), (2000, 0, "scanning")]
    # a whole read reports its phases
    path = tmp_path / "s.musicxml"
    write(walk_score(2, 4), path)
    calls.clear()
    read(path, progress=lambda *a: calls.append(a))
    assert [c[2] for c in calls] == ["parsing", "parts", "parts"]
    assert capsys.readouterr() == ("", "")


# --- the command line's outputs --------------------------------------------------------------------


def test_broken_pipe_gives_one_line_and_a_nonzero_exit(tmp_path):
    path = tmp_path / "many.mid"
    write(walk_score(20, 40), path)
    proc = subprocess.Popen([sys.executable, "-m", "partita.cli", "check", str(path), "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    proc.stdout.read(100)  # like `head -c 100`
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait() not in (0, 1)
    assert "Traceback" not in err and "Exception ignored" not in err
    assert err.count("\n") == 1 and "broken pipe" in err


def test_unwritable_output_gives_one_line_naming_it(tmp_path):
    src = tmp_path / "a.mid"
    write(walk_score(1, 2), src)
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    dst = blocker / "out.musicxml"
    got = cli("convert", str(src), str(dst))
    assert got.returncode == 2 and "Traceback" not in got.stderr
    assert got.stderr.count("\n") == 1 and str(dst) in got.stderr


# --- check: linear, no all-pairs cache ---------------------------------------------------------


def test_check_keeps_no_pair_cache_and_says_when_it_checks_neighbours_only():
    from partita.theory_rules import check
    from partita.theory_rules.lines import ScoreView

    small, large = walk_score(6, 8), walk_score(20, 8)
    view = ScoreView(large)
    assert not any(isinstance(v, dict) and v and isinstance(next(iter(v)), tuple)
                   for v in vars(view).values())  # no dict keyed by pairs of lines  # fmt: skip
    report = check(large, profile="chorale")
    partial = {n.rule for n in report.notices if not n.skipped}
    assert partial == {"parallel-fifths", "parallel-octaves", "parallel-unisons"}
    assert not any(n.rule in partial for n in check(small, profile="chorale").notices)


def test_neighbour_pairs_find_every_parallel_between_neighbouring_lines():
    """Above 16 lines, the parallels reported are exactly those of all pairs whose lines are
    within 8 of each other in pitch order (brute force over all pairs as the reference)."""
    from partita.theory_rules import check
    from partita.theory_rules.lines import ScoreView

    score = walk_score(20, 6)
    view = ScoreView(score)
    rank = {line.part.id: i for i, line in enumerate(view.by_pitch)}
    report = check(score, profile="chorale", enable=(), disable=())
    got = {(v.rule, v.onset, tuple(v.parts)) for v in report.violations if v.rule.startswith("parallel")}

    ScoreView.ALL_PAIRS_MAX_LINES = 10_000
    try:
        full = check(score, profile="chorale")
    finally:
        ScoreView.ALL_PAIRS_MAX_LINES = 16
    want = {(v.rule, v.onset, tuple(v.parts)) for v in full.violations
            if v.rule.startswith("parallel") and abs(rank[v.parts[0]] - rank[v.parts[-1]]) <= 8}  # fmt: skip
    assert got == want and got
