"""The board where a render's processes share the runs of a part's phrases
(partita.render.phrase_help), one process at a time standing in for each side."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from partita.render.phrase_help import RUN, Board, _claim, _write_run


@pytest.fixture
def board():
    b = Board.create()
    yield b
    b.close()
    assert not b.root.exists()


def _audio(i: int) -> np.ndarray:
    return np.full(3 + i % 5, i, np.float32)


def _maker(calls: list[int]):
    def make(i: int) -> np.ndarray:
        calls.append(i)
        return _audio(i)

    return make


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_alone_the_part_s_process_makes_every_phrase_in_order(board):
    calls: list[int] = []
    got = list(board.own(0, 2 * RUN + 3, _maker(calls)))
    assert calls == list(range(2 * RUN + 3))
    assert all(np.array_equal(a, _audio(i)) for i, a in enumerate(got))
    assert (board.root / "0" / "done").exists()
    assert sorted(p.name for p in (board.root / "0").glob("*.claim")) == ["0.claim", "1.claim", "2.claim"]


def test_a_helper_s_run_is_used_and_a_failed_or_abandoned_one_made_here(board):
    """Run 2 given by a helper (its audio taken as it is), run 1 failed there (.err), run 0
    taken by a helper whose process is gone: the part's process makes runs 0 and 1 itself."""
    folder = board.root / "0"
    folder.mkdir()
    (folder / "2.claim").write_text(str(os.getpid()))
    given = [np.arange(4, dtype=np.float32) + 100 * i for i in range(3)]  # the last run: 3 phrases
    _write_run(folder / "2.run", given)
    (folder / "1.claim").write_text(str(os.getpid()))
    (folder / "1.err").write_bytes(b"")
    (folder / "0.claim").write_text(str(_dead_pid()))
    calls: list[int] = []
    n = 2 * RUN + 3
    # the folder exists: as a retry, the part's process would make everything; here it is the
    # helper's board of a part whose process starts now
    got = list(board._own_in(folder, n, _maker(calls)))
    assert calls == list(range(2 * RUN))
    assert all(np.array_equal(a, _audio(i)) for i, a in enumerate(got[: 2 * RUN]))
    assert all(np.array_equal(a, g) for a, g in zip(got[2 * RUN :], given)) and len(got) == n


def test_a_part_rendered_again_is_made_alone(board):
    list(board.own(3, 5, _maker([])))
    calls: list[int] = []
    assert len(list(board.own(3, 5, _maker(calls)))) == 5 and calls == list(range(5))


def test_a_helper_takes_runs_from_the_end_until_it_meets_the_part_s_process(board):
    """The helper makes the runs nobody took, from the last, and stops at the first run the
    part's own process took (another helper's it passes by)."""
    folder = board.root / "0"
    folder.mkdir()
    n, owner = 6 * RUN, _dead_pid()  # any pid but this process's
    (folder / "runs").write_text(f"6 {owner}")
    for r in (0, 1):
        (folder / f"{r}.claim").write_text(str(owner))
    (folder / "4.claim").write_text("12345678")  # another helper's
    phrases = ([f"c{i}" for i in range(n)], ["dec"] * n)
    made: list[str] = []

    def make(dec, curves):
        made.append(curves)
        return np.full(2, int(curves[1:]), np.float32)

    assert board.help([object()], lambda part: phrases, make) == 3  # runs 5, 3, 2
    assert made == [f"c{i}" for r in (5, 3, 2) for i in range(r * RUN, (r + 1) * RUN)]
    assert sorted(p.name for p in folder.glob("*.run")) == ["2.run", "3.run", "5.run"]
    assert not _claim(folder / "2.claim")


def test_a_helper_leaves_a_part_alone_once_it_is_done_or_has_few_runs_left(board):
    folder = board.root / "0"
    folder.mkdir()
    (folder / "runs").write_text(f"1 {os.getpid()}")  # one run: not worth performing the part
    assert board.help([object()], lambda part: pytest.fail("performed"), None) == 0
    (folder / "runs").write_text(f"9 {os.getpid()}")
    (folder / "done").touch()
    assert board.help([object()], lambda part: pytest.fail("performed"), None) == 0


def test_a_phrase_that_warns_or_raises_in_a_helper_leaves_the_run_to_the_part_s_process(board):
    import warnings

    folder = board.root / "0"
    folder.mkdir()
    (folder / "runs").write_text(f"3 {_dead_pid()}")
    phrases = ([0] * 3 * RUN, [None] * 3 * RUN)
    calls = []

    def make(dec, curves):
        calls.append(1)
        if len(calls) == RUN + 1:
            raise ValueError("a broken phrase")
        if len(calls) == 1:
            warnings.warn("a tired phrase")
        return np.zeros(2, np.float32)

    assert board.help([object()], lambda part: phrases, make) == 1  # run 2 warned, run 1 raised
    assert {p.name for p in folder.iterdir() if p.suffix in (".run", ".err")} == {"2.err", "1.err", "0.run"}


def test_a_part_whose_performer_warns_is_left_to_its_own_process(board):
    """The part's own process warns (once); a helper does not perform such a part twice over."""
    import warnings

    folder = board.root / "0"
    folder.mkdir()
    (folder / "runs").write_text(f"5 {_dead_pid()}")

    def phrases_of(part):
        warnings.warn("an instrument guessed")
        return [0] * 5 * RUN, [None] * 5 * RUN

    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        assert board.help([object()], phrases_of, lambda dec, curves: pytest.fail("made")) == 0
    assert not said and not list(folder.glob("*.claim"))


def test_a_claim_without_a_pid_is_waited_on_for_a_second_at_most(board):
    """A helper that could not write its pid (a full disk) may be gone: after a second the part's
    process makes the run itself, and a run given meanwhile is used."""
    folder = board.root / "0"
    folder.mkdir()
    (folder / "0.claim").touch()
    calls: list[int] = []
    got = list(board._own_in(folder, RUN, _maker(calls)))
    assert calls == list(range(RUN)) and len(got) == RUN


def test_a_new_board_removes_those_of_renders_that_were_killed(tmp_path, monkeypatch):
    """A render killed outright leaves its board; the next removes it once its process is gone
    and it has not changed for an hour (a live render's, or a recent one's, stays)."""
    import tempfile
    import time

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr("partita.render.phrase_help._free_bytes", lambda path: 0)  # not /dev/shm: tmp_path
    dead, alive = _dead_pid(), os.getpid()
    boards = {name: tmp_path / f"partita-phrases-{name}-x" for name in (f"{dead}", f"{alive}", f"{dead}-new")}
    for folder in boards.values():
        (folder / "0").mkdir(parents=True)
        (folder / "0" / "0.claim").write_text("1")
    hour_ago = time.time() - 3700
    for name in (f"{dead}", f"{alive}"):
        os.utime(boards[name], (hour_ago, hour_ago))
    (tmp_path / "someone-else-s").mkdir()
    os.utime(tmp_path / "someone-else-s", (hour_ago, hour_ago))
    new = Board.create()
    try:
        assert new.root.parent == tmp_path and new.root.name.startswith(f"partita-phrases-{alive}-")
        assert [n for n, f in boards.items() if f.exists()] == [f"{alive}", f"{dead}-new"]
        assert (tmp_path / "someone-else-s").exists()
    finally:
        new.close()


def test_the_part_s_process_makes_its_phrases_alone_where_the_board_is_gone(board):
    board.close()
    calls: list[int] = []
    assert len(list(board.own(0, 2 * RUN, _maker(calls)))) == 2 * RUN and calls == list(range(2 * RUN))
