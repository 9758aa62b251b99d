"""Stems: layout, manifest, determinism, cache reuse, edit locality, bad input."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import warnings

import numpy as np
import pytest
import soundfile as sf

from partita.errors import ConfigError, InstrumentError
from partita.render.performance import perform_part
from partita.render.settings import RenderSettings, RenderWarning
from partita.render.stems import render
from partita.render.stems import _decoder_for  # the decoder render() picks for a part
from partita.render.synth import _segment_start, synthesize
from partita.symbolic.dynamics import Dynamic, Hairpin
from partita.symbolic.score import Note, Part, Score
from partita.symbolic.timeline import TempoMap, TempoMark

SR = 16000


def _score() -> Score:
    melody = tuple(
        Note(i, 1, 72 + (i * 5) % 12, slur="start" if i == 4 else "stop" if i == 6 else "continue" if i == 5 else None)
        for i in range(10)
    )  # fmt: skip
    return Score(
        title="Locality",
        parts=(
            Part("fl", "Flute", "flute", notes=melody, dynamics=(Dynamic(0, "mf"),),
                 hairpins=(Hairpin(2, 6, "crescendo"),)),
            Part("vc", "Cello", "cello", notes=tuple(Note(2 * i, 2, 48 + i) for i in range(5))),
            Part("dr", "Drums", "drum_kit", notes=tuple(Note(i, 1, (36, 42, 38, 42)[i % 4]) for i in range(8))),
        ),
        tempo_map=TempoMap((TempoMark(0, 100),)),
    )  # fmt: skip


def _read(out, info) -> np.ndarray:
    data, sr = sf.read(out / info.file, dtype="float32", always_2d=True)
    assert sr == SR
    return data.T


def test_layout_and_manifest(tmp_path):
    score = _score()
    result = render(score, tmp_path, sample_rate=SR, progress=False)
    manifest = json.loads((tmp_path / "render.json").read_text())
    assert [s["file"] for s in manifest["stems"]] == ["stems/01_flute.wav", "stems/02_cello.wav", "stems/03_drums.wav"]
    assert manifest["sample_rate"] == SR and manifest["seed"] == 0
    lengths = set()
    for entry, info in zip(manifest["stems"], result.stems):
        path = tmp_path / entry["file"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"]
        assert entry["part_id"] == info.part_id and entry["instrument"] == info.instrument
        audio = _read(tmp_path, info)
        lengths.add(audio.shape[1])
        assert np.all(np.isfinite(audio)) and np.abs(audio).max() <= 1.0
        assert np.abs(audio).max() > 0.01  # something sounds
    # all stems start at 0 and are equally long: the score plus the 3 s tail
    assert lengths == {int(np.ceil((score.duration_seconds + 3.0) * SR))}
    assert result.realtime_factor > 0 and "3 stems" in result.summary()


def test_same_seed_is_bit_identical_and_another_seed_differs(tmp_path):
    score = _score()
    a = render(score, tmp_path / "a", sample_rate=SR, seed=3, progress=False)
    b = render(score, tmp_path / "b", sample_rate=SR, seed=3, progress=False)
    c = render(score, tmp_path / "c", sample_rate=SR, seed=4, progress=False)
    assert [s.sha256 for s in a.stems] == [s.sha256 for s in b.stems]
    # every part has noise (breath, bow, drum hits): a new seed changes every stem
    assert all(x.sha256 != y.sha256 for x, y in zip(a.stems, c.stems))
    # ... but only the noise: the harmonic part is the same, so the stems stay close
    fa, fc = _read(tmp_path / "a", a.stems[0]), _read(tmp_path / "c", c.stems[0])
    assert np.sqrt(np.mean((fa - fc) ** 2)) < 0.5 * np.sqrt(np.mean(fa**2))


def test_second_render_recomputes_nothing(tmp_path):
    score = _score()
    first = render(score, tmp_path, sample_rate=SR, progress=False)
    assert set(first.rendered_parts) == {"fl", "vc", "dr"}
    again = render(score, tmp_path, sample_rate=SR, progress=False)
    assert again.rendered_parts == ()
    assert [s.sha256 for s in first.stems] == [s.sha256 for s in again.stems]
    assert all(s.cached for s in again.stems)


def _edit_one_note(score: Score, part_id: str, index: int, pitch: int) -> Score:
    part = score.part(part_id)
    notes = list(part.notes)
    notes[index] = dataclasses.replace(notes[index], pitch=pitch, spelling=None)
    return score.with_part_notes(part_id, notes)


def _phrase_span(score: Score, part_id: str, onset) -> tuple[int, int]:
    """Sample span of the phrase holding the note at ``onset``: its curves plus noise tail."""
    part = score.part(part_id)
    ratio = 250.0 / SR
    for c in perform_part(part, score):
        if c.onset_s <= score.seconds_at(onset) <= c.end_s:
            start = int(_segment_start(c.start_frame, ratio))
            n = synthesize(_decoder_for(part, None).decode(c, sample_rate=SR), sample_rate=SR).shape[1]
            return start, start + n
    raise AssertionError("no phrase holds that note")


@pytest.mark.parametrize("index", [1, 5])  # a detached note; a note inside a slur
def test_editing_one_note_changes_one_stem_only_around_that_phrase(tmp_path, index):
    score = _score()
    edited = _edit_one_note(score, "fl", index, score.part("fl").notes[index].pitch + 2)
    cache = tmp_path / "cache"
    before = render(score, tmp_path / "a", sample_rate=SR, progress=False, cache_dir=cache)
    after = render(edited, tmp_path / "b", sample_rate=SR, progress=False, cache_dir=cache)
    assert after.rendered_parts == ("fl",)  # the other parts come from the cache
    changed = [a.part_id for a, b in zip(after.stems, before.stems) if a.sha256 != b.sha256]
    assert changed == ["fl"]
    # where: only inside the edited note's phrase (old or new), release and noise tail included
    old = _read(tmp_path / "a", before.stems[0])
    new = _read(tmp_path / "b", after.stems[0])
    diff = np.flatnonzero(old[0] != new[0])
    lo0, hi0 = _phrase_span(score, "fl", score.part("fl").notes[index].onset)
    lo1, hi1 = _phrase_span(edited, "fl", edited.part("fl").notes[index].onset)
    assert diff.size > 0
    assert diff.min() >= min(lo0, lo1) and diff.max() < max(hi0, hi1)
    # and the phrase is short next to the stem: most samples are bit-identical
    assert diff.size < 0.5 * old.shape[1]


def test_empty_score_gives_silent_stems_and_a_warning(tmp_path):
    score = Score(parts=(Part("a", "Oboe", "oboe"), Part("b", "Harp", "harp")))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = render(score, tmp_path, sample_rate=SR, progress=False)
    assert any(issubclass(w.category, RenderWarning) for w in caught)
    for info in result.stems:
        audio = _read(tmp_path, info)
        assert audio.shape[1] == 3 * SR and not audio.any()


@pytest.mark.parametrize(
    "kwargs, text",
    [
        ({"sample_rate": 7999}, "sample rate 7999"),
        ({"sample_rate": 192001}, "sample rate 192001"),
        ({"seed": -1}, "seed -1"),
    ],
)
def test_impossible_settings_fail_with_one_line(tmp_path, kwargs, text):
    with pytest.raises(ConfigError) as err:
        render(_score(), tmp_path, progress=False, **kwargs)
    assert text in str(err.value) and "\n" not in str(err.value)
    assert not (tmp_path / "stems").exists()


def test_unknown_instrument_names_the_part_and_suggests(tmp_path):
    with pytest.raises(InstrumentError) as err:
        Part("x", "Violin II", "violn", notes=(Note(0, 1, 60),))
    message = str(err.value)
    assert "Violin II" in message and "violin" in message


def test_existing_stems_are_replaced_only_when_complete(tmp_path):
    score = _score()
    render(score, tmp_path, sample_rate=SR, progress=False)
    before = {p.name: p.read_bytes() for p in (tmp_path / "stems").iterdir()}
    # a render that fails half-way (a bad part decoder) leaves the old files as they were
    class Broken:
        decoder_id = "broken"

        def fingerprint(self):
            return "broken"

        def decode(self, curves, *, sample_rate):
            raise ConfigError("this decoder is broken")

    with pytest.raises(ConfigError):
        render(_edit_one_note(score, "vc", 0, 50), tmp_path, sample_rate=SR, progress=False, decoders={"vc": Broken()})
    after = {p.name: p.read_bytes() for p in (tmp_path / "stems").iterdir()}
    assert after == before


def test_settings_round_trip():
    s = RenderSettings(sample_rate=44100, seed=9, humanize=0.5, room_rt60_s=1.2, subtype="pcm24")
    assert RenderSettings.from_dict(s.to_dict()) == s


def _edits(score: Score) -> dict[str, Score]:
    fl = list(score.part("fl").notes)
    return {
        "pitch in a slur": _edit_one_note(score, "fl", 5, fl[5].pitch - 3),
        "note removed": score.with_part_notes("fl", fl[:3] + fl[4:]),
        "last note removed (the score gets shorter)": score.with_part_notes("fl", fl[:-1]),
        "note added": score.with_part_notes("fl", fl + [Note(10, 2, 80)]),
        "dynamics changed": score.replace_part("fl", dataclasses.replace(score.part("fl"), dynamics=(Dynamic(0, "pp"),))),
    }


@pytest.mark.parametrize("edit", list(_edits(_score())))
def test_incremental_rerender_equals_a_render_from_scratch(tmp_path, edit):
    score = _score()
    edited = _edits(score)[edit]
    render(score, tmp_path / "inc", sample_rate=SR, progress=False)
    incremental = render(edited, tmp_path / "inc", sample_rate=SR, progress=False)
    scratch = render(edited, tmp_path / "new", sample_rate=SR, progress=False)
    assert [s.sha256 for s in incremental.stems] == [s.sha256 for s in scratch.stems]
    for s in incremental.stems:  # the files on disk are the ones the manifest names
        assert hashlib.sha256((tmp_path / "inc" / s.file).read_bytes()).hexdigest() == s.sha256


@pytest.mark.parametrize("subtype, tolerance", [("float", 0.0), ("pcm24", 2.0**-23)])
def test_wav_writer_round_trips_through_libsndfile(subtype, tolerance):
    import io

    from partita.render.wavfile import wav_bytes

    x = (np.random.default_rng(0).random((2, 1001)) * 2 - 1).astype(np.float32)
    blob = wav_bytes(x, sample_rate=44100, subtype=subtype)
    y, sr = sf.read(io.BytesIO(blob), dtype="float32", always_2d=True)
    assert sr == 44100 and y.shape == (1001, 2)
    assert np.max(np.abs(y.T - x)) <= tolerance
    assert wav_bytes(x, sample_rate=44100, subtype=subtype) == blob  # no timestamps


def test_two_threads_give_the_same_stems(tmp_path):
    score = _score()
    one = render(score, tmp_path / "one", sample_rate=SR, progress=False, workers=1)
    two = render(score, tmp_path / "two", sample_rate=SR, progress=False, workers=2)
    assert [s.sha256 for s in one.stems] == [s.sha256 for s in two.stems]


def test_threads_share_each_parts_phrases(tmp_path, monkeypatch):
    """With two threads each part's phrases are made on both (a long part left to one thread at
    the end would keep the other idle), and a drum part is a task of its own; the audio is one
    thread's."""
    import threading

    from partita.render import part_audio, part_processes

    monkeypatch.setattr(part_processes, "usable", lambda *a: False)  # threads: where processes are not
    long_vc = Part("vc", "Cello", "cello", notes=tuple(Note(2 * i, 1, 48 + i % 12) for i in range(40)))
    long_cl = Part("cl", "Clarinet", "clarinet", notes=tuple(Note(i, 0.5, 60 + i % 12) for i in range(60)))
    drums = Part("dr", "Drums", "drum_kit", notes=tuple(Note(i, 1, 36 if i % 2 else 38) for i in range(16)))
    score = Score(title="Threads", parts=(Part("fl", "Flute", "flute", notes=(Note(0, 1, 72),)), long_vc, drums, long_cl))
    threads: dict[str, set[int]] = {}
    lock = threading.Lock()
    real = part_audio._phrase_audio

    def spy(decoder, curves, sample_rate):
        with lock:
            threads.setdefault(decoder.instrument, set()).add(threading.get_ident())
        return real(decoder, curves, sample_rate)

    monkeypatch.setattr(part_audio, "_phrase_audio", spy)
    two = render(score, tmp_path / "two", sample_rate=SR, progress=False, workers=2)
    assert len(threads["cello"]) == 2 and len(threads["clarinet"]) == 2
    assert threading.get_ident() not in threads["cello"] | threads["clarinet"]  # the pool's threads
    monkeypatch.setattr(part_audio, "_phrase_audio", real)
    one = render(score, tmp_path / "one", sample_rate=SR, progress=False, workers=1)
    assert [s.sha256 for s in one.stems] == [s.sha256 for s in two.stems]  # the threads change no audio


def _band() -> Score:
    """The longest part first (the parent takes it), the cello second (a child takes it)."""
    fl = Part("fl", "Flute", "flute", notes=tuple(Note(i, 1, 72 + i % 7) for i in range(160)))
    vc = Part("vc", "Cello", "cello", notes=tuple(Note(2 * i, 1, 48 + i % 12) for i in range(40)))
    drums = Part("dr", "Drums", "drum_kit", notes=tuple(Note(i, 1, 36 if i % 2 else 38) for i in range(16)))
    cl = Part("cl", "Clarinet", "clarinet", notes=tuple(Note(i, 0.5, 60 + i % 12) for i in range(20)))
    return Score(title="Processes", parts=(cl, vc, drums, fl))


#: A render of :func:`_band` with two jobs in a fresh interpreter (processes are used only where
#: the process runs no other thread, and a test suite's process may run some), recording which
#: process makes each phrase; "warn": every phrase warns, "raise_in_child": a child's phrases
#: raise, "raise": the cello's phrases raise.
_RENDER_ON_PROCESSES = """
import json, os, sys, time, warnings
from pathlib import Path
from partita.errors import ScoreError
from partita.render import part_audio, phrase_help
from partita.render.settings import RenderWarning
from partita.render.stems import render
from tests.test_render_stems import SR, _band

out, mode = Path(sys.argv[1]), sys.argv[2]
real = part_audio._phrase_audio

def spy(decoder, curves, sample_rate):
    with open(out / "pids.txt", "a") as fh:
        fh.write(f"{decoder.instrument} {os.getpid()}\\n")
    if mode == "warn":
        warnings.warn(f"the {decoder.instrument} is tired", RenderWarning)
    if mode == "raise_in_child" and str(os.getpid()) != result["pid"]:
        raise ScoreError("a child's string broke")
    if decoder.instrument == "cello" and mode == "raise":
        raise ScoreError("the cello's string broke")
    if mode == "slow" and decoder.instrument == "flute":
        time.sleep(0.004)  # the flute's process is slow: the other has time to help it
    return real(decoder, curves, sample_rate)

part_audio._phrase_audio = spy
given = phrase_help.Board._give

def give(self, folder, r, *args):
    with open(out / "helped.txt", "a") as fh:
        fh.write(f"{folder.name} {r} {os.getpid()}\\n")
    return given(self, folder, r, *args)

phrase_help.Board._give = give
result = {"pid": str(os.getpid())}
with warnings.catch_warnings(record=True) as said:
    warnings.simplefilter("always")
    try:
        result["sha256"] = [s.sha256 for s in render(_band(), out / "two", sample_rate=SR, progress=False, workers=2).stems]
    except ScoreError as exc:
        result["raised"] = str(exc)
result["warned"] = [str(w.message) for w in said]
try:
    os.waitpid(-1, os.WNOHANG)
    result["children_left"] = True
except ChildProcessError:
    result["children_left"] = False
result["made"] = [line.split() for line in (out / "pids.txt").read_text().splitlines()]
helped = out / "helped.txt"
result["helped"] = [line.split() for line in helped.read_text().splitlines()] if helped.exists() else []
print(json.dumps(result))
"""


def _render_on_processes(tmp_path, mode: str) -> dict:
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    run = subprocess.run([sys.executable, "-c", _RENDER_ON_PROCESSES, str(tmp_path), mode], cwd=root,
                         capture_output=True, text=True, check=True, env={**os.environ, "OMP_NUM_THREADS": "1"})  # fmt: skip
    return json.loads(run.stdout.strip().splitlines()[-1])


def _pids(got: dict) -> dict[str, set[str]]:
    pids: dict[str, set[str]] = {}
    for instrument, pid in got["made"]:
        pids.setdefault(instrument, set()).add(pid)
    return pids


def test_parts_on_processes_give_one_thread_s_stems(tmp_path):
    """With two jobs on Linux whole parts go to forked processes, the render's own and a child,
    each part to one; the stems are one thread's, and no child is left behind."""
    one = render(_band(), tmp_path / "one", sample_rate=SR, progress=False, workers=1)
    got = _render_on_processes(tmp_path, "plain")
    pids = _pids(got)
    helped = {_band().parts[int(slot)].instrument for slot, _r, _pid in got["helped"]}  # (slots: the band's order)
    assert all(len(p) == 1 for i, p in pids.items() if i not in helped)  # a part is made by one process
    assert len({p for s in pids.values() for p in s}) == 2  # (and some runs, maybe, by the other)
    assert got["sha256"] == [s.sha256 for s in one.stems] and not got["warned"]
    assert not got["children_left"]


def test_a_process_with_no_part_left_makes_runs_of_another_s_phrases(tmp_path):
    """Once the parts' queue is empty, a process makes runs of phrases, from the end, of a part
    another process is rendering (partita.render.phrase_help); that process adds them in the
    phrases' order, so the stems are one thread's."""
    from partita.render.phrase_help import RUN

    one = render(_band(), tmp_path / "one", sample_rate=SR, progress=False, workers=1)
    got = _render_on_processes(tmp_path, "slow")
    assert got["sha256"] == [s.sha256 for s in one.stems] and not got["warned"] and not got["children_left"]
    flute = [p.instrument for p in _band().parts].index("flute")
    made = [pid for instrument, pid in got["made"] if instrument == "flute"]
    owner = made[0]  # the flute's own process starts it; a helper only once the queue is empty
    runs = sorted(int(r) for slot, r, pid in got["helped"] if int(slot) == flute and pid != owner)
    n_runs = -(-160 // RUN)
    assert runs and runs == list(range(n_runs - len(runs), n_runs))  # the flute's last runs, by the other
    assert made.count(owner) == 160 - RUN * len(runs)  # the flute's own process made the rest


def test_a_part_that_warns_or_raises_in_a_child_does_so_here(tmp_path):
    """A child's part that warned or raised is rendered again by the render's own process, which
    then warns or raises as a render on one thread does, and leaves no stem nor child behind."""
    one = render(_band(), tmp_path / "one", sample_rate=SR, progress=False, workers=1)
    for mode in ("warn", "raise_in_child", "raise"):
        (tmp_path / mode).mkdir()
    got = _render_on_processes(tmp_path / "warn", "warn")
    pids = _pids(got)
    assert all(got["pid"] in p for p in pids.values())  # every part made here in the end
    assert any(len(p) == 2 for p in pids.values())  # some tried in a child first
    assert {f"the {i} is tired" for i in ("flute", "cello", "clarinet")} <= set(got["warned"])
    got = _render_on_processes(tmp_path / "raise_in_child", "raise_in_child")
    assert any(len(p) == 2 for p in _pids(got).values()) and "raised" not in got
    assert got["sha256"] == [s.sha256 for s in one.stems]
    got = _render_on_processes(tmp_path / "raise", "raise")
    assert got["raised"] == "the cello's string broke" and not got["children_left"]
    assert not (tmp_path / "raise" / "two" / "render.json").exists()
    assert not list((tmp_path / "raise" / "two" / "stems").glob("*.wav"))


def test_the_folder_cache_keeps_only_the_latest_render(tmp_path):
    score = _score()
    render(score, tmp_path, sample_rate=SR, progress=False)
    render(_edit_one_note(score, "fl", 1, 80), tmp_path, sample_rate=SR, progress=False)
    entries = list((tmp_path / ".cache").glob("*"))
    assert len([e for e in entries if e.name.startswith("part-")]) == len(score.parts)
    assert len([e for e in entries if e.suffix == ".npy"]) <= len(score.parts)


def test_room_lengthens_every_stem_by_its_reverberation(tmp_path):
    score = _score()
    dry = render(score, tmp_path / "dry", sample_rate=SR, progress=False)
    wet = render(score, tmp_path / "wet", settings=RenderSettings(sample_rate=SR, room_rt60_s=0.8), progress=False)
    assert wet.n_samples == dry.n_samples + int(0.8 * SR) or abs(wet.n_samples - dry.n_samples - 0.8 * SR) <= 1
    a = _read(tmp_path / "wet", wet.stems[1])
    assert np.all(np.isfinite(a)) and np.abs(a).max() <= 1.0


def test_humanising_is_drawn_from_the_seed_only(tmp_path):
    score = _score()
    runs = [render(score, tmp_path / str(i), settings=RenderSettings(sample_rate=SR, humanize=1.0, seed=s), progress=False)
            for i, s in enumerate((5, 5, 6))]  # fmt: skip
    exact = render(score, tmp_path / "exact", settings=RenderSettings(sample_rate=SR, seed=5), progress=False)
    assert runs[0].stems[1].sha256 == runs[1].stems[1].sha256
    assert runs[0].stems[1].sha256 != runs[2].stems[1].sha256
    assert runs[0].stems[1].sha256 != exact.stems[1].sha256


def test_a_stem_changed_by_hand_is_written_again(tmp_path):
    score = _score()
    first = render(score, tmp_path, sample_rate=SR, progress=False)
    path = tmp_path / first.stems[1].file
    blob = bytearray(path.read_bytes())
    middle = len(blob) // 2
    blob[middle : middle + 4000] = bytes(4000)  # silence 1000 samples in the middle of the cello
    path.write_bytes(bytes(blob))
    again = render(_edit_one_note(score, "fl", 1, 80), tmp_path, sample_rate=SR, progress=False)
    # the hand-edited file was the cello's cache entry too: it is recognised as changed, the
    # cello is rendered again and its stem restored
    assert set(again.rendered_parts) == {"fl", "vc"}
    assert hashlib.sha256(path.read_bytes()).hexdigest() == first.stems[1].sha256 == again.stems[1].sha256


def test_every_stem_carries_a_provenance_record(tmp_path):
    """Each stem's RIFF LIST/INFO chunk names partita, the part and its render key; the samples
    stay where the cache expects them."""
    from partita.render.wavfile import read_info_chunk, riff_chunks

    score = Score(parts=(Part("fl", "Flute", "flute", (Note(0, 1, 72), Note(1, 1, 74))),
                         Part("vc", "Cello", "cello", (Note(0, 2, 48),))))  # fmt: skip
    result = render(score, tmp_path, sample_rate=16000, seed=3)
    info = json.loads((tmp_path / "render.json").read_text())
    assert len(info["stems"]) == 2
    for stem in info["stems"]:
        data = (tmp_path / stem["file"]).read_bytes()
        record = read_info_chunk(data)
        assert record["ISFT"].startswith("partita ")
        assert record["ICMT"].startswith(f"part {stem['part_id']};") and "seed 3" in record["ICMT"]
        assert [c[0] for c in riff_chunks(data)][-1] == b"LIST"
    assert result is not None


def test_a_child_ends_with_its_parent(tmp_path):
    """A render killed outright (SIGKILL: it cannot reap anything) takes its child processes
    with it rather than leave them rendering."""
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    script = (
        "import sys\n"
        "from partita.render.stems import render\n"
        "from partita.symbolic.score import Note, Part, Score\n"
        "parts = tuple(Part(f'p{k}', 'Flute', 'flute', notes=tuple(Note(i / 2, 0.5, 60 + (i + k) % 24) "
        "for i in range(20000))) for k in range(4))\n"
        "render(Score(parts=parts), sys.argv[1], sample_rate=16000, progress=False, workers=2)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script, str(tmp_path / "out")], cwd=Path(__file__).resolve().parent.parent,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})  # fmt: skip
    children_file = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    children: list[int] = []
    deadline = time.monotonic() + 60
    while not children and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
        children = [int(c) for c in children_file.read_text().split()] if children_file.exists() else []
    assert children, "the render forked no child"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    def running(pid: int) -> bool:  # a zombie (dead, its parent gone, not yet reaped) is not
        try:
            return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except (FileNotFoundError, ProcessLookupError, IndexError):
            return False

    deadline = time.monotonic() + 1  # its part alone takes several seconds more
    while any(running(c) for c in children) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not [c for c in children if running(c)]
    import shutil
    import tempfile

    for where in ("/dev/shm", tempfile.gettempdir()):  # the killed render's phrase board (phrase_help)
        for board in Path(where).glob(f"partita-phrases-{proc.pid}-*"):
            shutil.rmtree(board, ignore_errors=True)
