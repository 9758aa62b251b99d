"""Rendering a 3.5-minute, 8-part score to stems: wall time, peak memory, re-render after an
edit, against the fluidsynth CLI rendering the same MIDI with FluidR3_GM.

The parts are rendered with the designed timbres (``partita.render.timbres``), named explicitly.
The score (built here, deterministically): 105 bars of 4/4 at 120 bpm = 210 s; flute,
clarinet, horn, two violins, viola, cello and piano (three-note chords), with slurs, dynamics,
hairpins and accents. Each measurement runs in a fresh subprocess, so peak memory
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``) is that of one render; the numba kernels are
compiled (cached on disk) by a warm-up subprocess first.

* ``full``: ``partita.render(score, out)`` with an empty cache, one thread (``workers=1``) and
  two (``workers=2``).

Wall time and CPU time (user + system, ``getrusage``) are both recorded: the machine is shared
by several engineers, so wall time depends on their load; CPU time is what the work costs.
* ``edit``: the same score with one note of the violin I part moved a tone, rendered into the
  folder of a full render (only that part is recomputed).
* ``fluidsynth``: ``fluidsynth -ni -F out.wav -r 48000 FluidR3_GM.sf2 score.mid`` (one stereo
  mix, not stems), the MIDI written by partita's MIDI writer.
* ``whole process``: the comparison with fluidsynth is program against program, run in turn in
  the same script: ``partita render score.musicxml -o OUT`` (a fresh process: Python start,
  imports, reading the MusicXML, numba kernels from the disk cache, rendering, writing every stem)
  with the designed timbres (``PARTITA_NO_NEURAL=1``) and with the defaults (neural decoders where
  shipped), each with ``--jobs 1`` and ``--jobs 2``, against the fluidsynth process. Best of two.

Usage::

    .venv/bin/python benchmarks/bench_render_stems.py

writes ``benchmarks/results/render_stems.json`` and ``.md``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from fractions import Fraction as F
from pathlib import Path

from _results import write_results  # benchmarks/ is sys.path[0] when a benchmark runs

ROOT = Path(__file__).resolve().parents[1]
SF2 = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
SR = 48000
N_BARS = 105
BPM = 120


def build_score():
    """The benchmark score: 8 parts, 105 bars of 4/4 at 120 bpm (210 s)."""
    import numpy as np

    from partita.symbolic.dynamics import Dynamic, Hairpin
    from partita.symbolic.score import Note, Part, Score
    from partita.symbolic.timeline import TempoMap, TempoMark

    rng = np.random.default_rng(2024)
    progression = [(60, 64, 67), (57, 60, 64), (53, 57, 60), (55, 59, 62)]  # C Am F G
    scale = [0, 2, 4, 5, 7, 9, 11]

    def melody(low: int, high: int, step: F, slur_every: int) -> tuple[Note, ...]:
        notes, pitch, t, k = [], (low + high) // 2, F(0), 0
        while t < N_BARS * 4:
            pitch = int(np.clip(pitch + rng.choice([-2, -1, 1, 2]), low, high))
            while pitch % 12 not in scale:
                pitch += 1
            pos = k % slur_every
            slur = None if slur_every < 2 else "start" if pos == 0 else "stop" if pos == slur_every - 1 else "continue"
            arts = frozenset({"accent"}) if (k % 16 == 0) else frozenset()
            notes.append(Note(t, step, pitch, slur=slur, articulations=arts))
            t += step
            k += 1
        return tuple(notes)

    def held(octave_shift: int, index: int, step: F) -> tuple[Note, ...]:
        notes, t = [], F(0)
        while t < N_BARS * 4:
            chord = progression[int(t // 4) % 4]
            notes.append(Note(t, step, chord[index] + octave_shift))
            t += step
        return tuple(notes)

    def piano() -> tuple[Note, ...]:
        notes, t = [], F(0)
        while t < N_BARS * 4:
            for p in progression[int(t // 4) % 4]:
                notes.append(Note(t, F(1), p))
            t += 1
        return tuple(notes)

    dyn = tuple(Dynamic(F(32 * i), ("p", "mf", "f", "mp")[i % 4]) for i in range(N_BARS * 4 // 32 + 1))
    pins = tuple(Hairpin(F(32 * i + 16), F(32 * i + 28), "crescendo" if i % 2 else "diminuendo")
                 for i in range(N_BARS * 4 // 32))  # fmt: skip
    parts = (
        Part("fl", "Flute", "flute", melody(74, 93, F(1, 2), 4), dyn, pins),
        Part("cl", "Clarinet", "clarinet", melody(58, 77, F(1), 4), dyn, pins),
        Part("hn", "Horn", "horn", held(-12, 2, F(2)), dyn, pins),
        Part("vn1", "Violin I", "violin", melody(67, 88, F(1, 2), 8), dyn, pins),
        Part("vn2", "Violin II", "violin", held(0, 1, F(1)), dyn, pins),
        Part("va", "Viola", "viola", held(-12, 1, F(1)), dyn, pins),
        Part("vc", "Cello", "cello", held(-24, 0, F(2)), dyn, pins),
        Part("pn", "Piano", "piano", piano(), dyn, pins),
    )
    return Score(title="Benchmark", parts=parts, tempo_map=TempoMap((TempoMark(0, BPM),)))


def edited(score):
    """The score with one violin I note (bar 50) moved up a tone."""
    part = score.part("vn1")
    notes = list(part.notes)
    i = next(k for k, n in enumerate(notes) if n.onset >= 200)
    notes[i] = dataclasses.replace(notes[i], pitch=notes[i].pitch + 2, spelling=None)
    return score.with_part_notes("vn1", notes)


def child(mode: str, out: str, workers: int) -> None:
    """Run one measurement in this (fresh) process and print one JSON line."""
    t_import = time.perf_counter()
    import partita
    from partita.render import warmup

    if mode == "warmup":
        warmup()
        print(json.dumps({"mode": mode}))
        return
    from partita.render.timbres import timbre_for

    score = build_score()
    warmup()  # loads the compiled kernels from numba's disk cache
    # the designed timbres, named explicitly: this measures them even where trained decoders
    # have become the default for some instruments
    decoders = {p.id: timbre_for(p.instrument) for p in score.parts}
    def cpu() -> float:
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime

    c0, t0 = cpu(), time.perf_counter()
    result = partita.render(score, out, sample_rate=SR, workers=workers, decoders=decoders, progress=False)
    t_full = time.perf_counter() - t0
    cpu_full = cpu() - c0
    record = {"mode": mode, "workers": workers, "render_s": t_full, "audio_s": result.duration_s,
              "import_and_setup_s": t0 - t_import, "rendered": len(result.rendered_parts),
              "render_cpu_s": cpu_full, "decoders": {k: d.decoder_id for k, d in decoders.items()}}  # fmt: skip
    if mode == "edit":
        c1, t1 = cpu(), time.perf_counter()
        again = partita.render(edited(score), out, sample_rate=SR, workers=workers, decoders=decoders, progress=False)
        record["edit_render_s"] = time.perf_counter() - t1
        record["edit_render_cpu_s"] = cpu() - c1
        record["edit_rendered_parts"] = list(again.rendered_parts)
    record["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    record["children_peak_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
    print(json.dumps(record))


def run_child(mode: str, out: Path, workers: int = 1) -> dict:
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(out), str(workers)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    record = json.loads(proc.stdout.strip().splitlines()[-1])
    record["process_wall_s"] = time.perf_counter() - t0
    return record


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="bench-render-"))
    try:
        score = build_score()
        run_child("warmup", work / "warm")
        full1 = run_child("full", work / "full1", 1)
        full2 = run_child("full", work / "full2", 2)
        edit = run_child("edit", work / "edit", 1)

        from partita.symbolic.io import write

        mid = work / "score.mid"
        write(score, mid)
        fs_times, fs_cpu = [], []
        for _ in range(2):
            r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            subprocess.run(
                ["fluidsynth", "-ni", "-q", "-r", str(SR), "-F", str(work / "fluid.wav"), str(SF2), str(mid)],
                check=True, capture_output=True,
            )  # fmt: skip
            fs_times.append(time.perf_counter() - t0)
            r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            fs_cpu.append(r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime)
        t_fluid = min(fs_times)
        xml = work / "score.musicxml"
        write(score, xml)
        partita_cli = str(Path(sys.executable).with_name("partita"))
        whole: dict[str, float] = {}
        for timbres, env_extra in (("designed", {"PARTITA_NO_NEURAL": "1"}), ("default", {})):
            for jobs in (1, 2):
                times = []
                for k in range(2):
                    t0 = time.perf_counter()
                    subprocess.run([partita_cli, "render", str(xml), "-o", str(work / f"cli-{timbres}-{jobs}-{k}"),
                                    "--jobs", str(jobs), "--quiet"],
                                   check=True, capture_output=True, env={**os.environ, **env_extra})  # fmt: skip
                    times.append(time.perf_counter() - t0)
                whole[f"{timbres}_jobs{jobs}"] = min(times)
        best = min(full1["render_s"], full2["render_s"])
        result = {
            "benchmark": "3.5-minute 8-part score to stems at 48 kHz",
            "score_seconds": score.duration_seconds,
            "parts": len(score.parts),
            "notes": sum(len(p.notes) for p in score.parts),
            "decoders": full1["decoders"],
            "full_render_s_workers1": full1["render_s"],
            "full_render_s_workers2": full2["render_s"],
            "full_process_wall_s_workers1": full1["process_wall_s"],
            "peak_rss_mb_workers1": full1["peak_rss_mb"],
            "peak_rss_mb_workers2_parent": full2["peak_rss_mb"],
            "peak_rss_mb_workers2_child": full2["children_peak_rss_mb"],
            "edit_render_s": edit["edit_render_s"],
            "edit_rendered_parts": edit["edit_rendered_parts"],
            "edit_over_full": edit["edit_render_s"] / edit["render_s"],
            "full_render_cpu_s_workers1": full1["render_cpu_s"],
            "full_render_cpu_s_workers2": full2["render_cpu_s"],
            "edit_render_cpu_s": edit["edit_render_cpu_s"],
            "edit_over_full_cpu": edit["edit_render_cpu_s"] / edit["render_cpu_s"],
            "fluidsynth_process_s": t_fluid,
            "fluidsynth_cpu_s": min(fs_cpu),
            "partita_render_process_s": whole,
            "partita_over_fluidsynth_process": {k: v / t_fluid for k, v in whole.items()},
            "realtime_factor_in_process": score.duration_seconds / best,
            "targets": {"full_render_s": 10.0, "peak_rss_mb": 1536, "edit_over_full": 0.1},
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    r = result
    md = [
        "Program against program, in turn in one run: `partita render score.musicxml -o OUT --jobs N` "
        "against `fluidsynth -ni -r 48000 -F out.wav FluidR3_GM.sf2 score.mid` (one stereo mix), the "
        "same score; best of two each. In-process figures below them.",
        "",
        "| whole process | seconds | / fluidsynth |",
        "|---|---|---|",
        f"| fluidsynth CLI (FluidR3_GM) | {r['fluidsynth_process_s']:.2f} | 1.00 |",
        *[f"| partita render, {k.replace('_jobs', ' timbres, --jobs ')} | {v:.2f} | {r['partita_over_fluidsynth_process'][k]:.2f} |"
          for k, v in r["partita_render_process_s"].items()],
        "",
        "| in process | value | target |",
        "|---|---|---|",
        f"| full render, 1 thread | {r['full_render_s_workers1']:.2f} s ({r['score_seconds'] / r['full_render_s_workers1']:.0f}x real time) | <= 10 s |",
        f"| full render, 2 threads | {r['full_render_s_workers2']:.2f} s | |",
        f"| full render, CPU time (1 thread) | {r['full_render_cpu_s_workers1']:.2f} s; fluidsynth's CPU time {r['fluidsynth_cpu_s']:.2f} s | |",
        f"| peak memory (RSS), 1 thread | {r['peak_rss_mb_workers1']:.0f} MB | <= 1536 MB |",
        f"| re-render after a one-note edit | {r['edit_render_s']:.3f} s = {r['edit_over_full']:.3f} of full (CPU: {r['edit_over_full_cpu']:.3f}) | <= 0.1 |",
        "",
        f"{r['notes']} notes, {r['parts']} parts, {r['score_seconds']:.0f} s; in-process rows use the designed timbres "
        f"({', '.join(sorted(set(r['decoders'].values())))}).",
    ]
    write_results("render_stems", result, md, title="Rendering a 3.5-minute, 8-part score to stems (48 kHz)")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        raise SystemExit(main())
