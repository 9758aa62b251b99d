"""Prompt to mastered 3.5-minute track, end to end, for a string quartet and a pop band.

    nice .venv/bin/python benchmarks/bench_pipeline.py [--weights PATH] [--seconds 210]
        [--out benchmarks/results/pipeline]

Runs the README's main job, ``partita compose "PROMPT" -o OUTDIR --seconds 210``, as a fresh
process per prompt (imports and kernel loading included), takes the wall time of the whole
process, and reads each stage's time from the summary the command prints (the rest of the
wall time is process start-up and imports). Then checks the folder with ``partita verify``.
Target: at most 90 s end to end on this 2-core CPU. Writes ``OUT.json`` and ``OUT.md``.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _results import write_results  # benchmarks/ is sys.path[0] when a benchmark runs

PROMPTS = {
    "string quartet": "a gentle folk tune for string quartet",
    "pop band with drums": "an upbeat pop song for pop band",
}
TARGET_S = 90.0


def _weights_sha(path: str | None) -> str:
    """sha256 of the composer weights the runs used (the shipped file when ``path`` is None)."""
    import hashlib

    if path is None:
        from partita.symbolic.composer.weights_info import shipped_path

        path = str(shipped_path())
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _child_cpu() -> float:
    """User + system CPU seconds of finished child processes so far."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def stand_in_score(plan):
    """A rule-based score for ``plan`` (benchmark only): chord tones from the plan's chords,
    melody in eighths, inner parts in half notes, accompaniment in quarter-note chords, bass on
    the beat, the composer's own rule-based drum groove. It stands in for the composer's
    output when the composer cannot write this plan (the tiny test checkpoint's 128-token
    context is too short for five parts), so the stages after the score can be timed."""
    from fractions import Fraction

    from music21 import harmony

    from partita.instruments import get
    from partita.symbolic.composer.sample import _drum_part
    from partita.symbolic.score import Note, Part, Score
    from partita.symbolic.timeline import TempoMap, TempoMark, TimeSignature

    bar = plan.bar_ql
    chords = [sorted({p.midi % 12 for p in harmony.ChordSymbol(f.replace("b", "-") if len(f) > 1 and f[1] == "b" else f).pitches})
              for f in plan.bar_chords()]  # fmt: skip

    def fit(pcs, lo, hi):
        return [m for m in range(lo, hi + 1) if m % 12 in pcs]

    parts = []
    for pp in plan.instrumentation:
        if pp.role == "percussion":
            parts.append(_drum_part(plan, pp))
            continue
        lo, hi = get(pp.instrument).comfortable_range
        notes = []
        for b, pcs in enumerate(chords):
            t0 = b * bar
            tones = fit(pcs, lo, hi) or [lo]
            if pp.role == "melody":
                step = Fraction(1, 2)
                for k in range(int(bar / step)):
                    notes.append(Note(t0 + k * step, step, tones[(b * 3 + k) % len(tones)]))
            elif pp.role == "bass":
                for k in range(int(bar)):
                    notes.append(Note(t0 + k, Fraction(1), tones[0]))
            elif pp.role == "accompaniment" and not get(pp.instrument).monophonic:
                for k in range(int(bar)):
                    for m in tones[len(tones) // 2 : len(tones) // 2 + 3]:
                        notes.append(Note(t0 + k, Fraction(1), m))
            else:
                half = Fraction(2) if bar >= 2 else bar
                for k in range(int(bar / half)):
                    notes.append(Note(t0 + k * half, half, tones[len(tones) // 2]))
        parts.append(Part(pp.id, pp.name, pp.instrument, tuple(notes)))
    return Score(title=plan.prompt, parts=tuple(parts), tempo_map=TempoMap((TempoMark(0, plan.tempo_bpm),)),
                 time_signatures=(TimeSignature(0, plan.meter[0], plan.meter[1]),))  # fmt: skip


def stand_in_run(prompt: str, out: str, seconds: float) -> None:
    """plan -> stand-in score -> partita.pipeline.master_folder, printing the same summary line."""
    import time as _t

    t0 = _t.perf_counter()
    from partita.pipeline import master_folder
    from partita.symbolic.composer.planner import plan as make_plan

    p = make_plan(prompt, duration_s=seconds)
    score = stand_in_score(p)
    stages = [("plan + stand-in score", _t.perf_counter() - t0)]
    rendered, mixed, _ = master_folder(out, score, record={"prompt": prompt, "plan": p.to_dict(), "weights": []},
                                       stages=stages)  # fmt: skip
    r = mixed.report
    print(f"{rendered.duration_s:.1f} s of audio, {len(score.parts)} parts", file=sys.stderr)
    print(f"loudness {r.integrated_lufs:.2f} LUFS (target -14), true peak {r.true_peak_dbtp:.2f} dBTP", file=sys.stderr)
    print(f"took {sum(t for _, t in stages):.1f} s: " + ", ".join(f"{n} {t:.1f} s" for n, t in stages), file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--weights", default=None, help="composer checkpoint (default: the shipped weights)")
    ap.add_argument("--seconds", type=float, default=210.0)
    ap.add_argument("--out", default="benchmarks/results/pipeline")
    ap.add_argument("--stand-in", action="store_true",
                    help="when the composer cannot write a plan, time the later stages on a rule-based stand-in score")
    args = ap.parse_args(argv)
    exe = str(Path(sys.executable).with_name("partita"))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "PARTITA_KEY_DIR": str(Path(tmp) / "keys")}
        for name, prompt in PROMPTS.items():
            out = Path(tmp) / name.split()[0]
            cmd = [exe, "compose", prompt, "-o", str(out), "--seconds", str(args.seconds)]
            if args.weights:
                cmd += ["--weights", args.weights]
            t0, c0 = time.perf_counter(), _child_cpu()
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
            wall, cpu = time.perf_counter() - t0, _child_cpu() - c0
            composer = "partita compose"
            if proc.returncode != 0:
                print(f"{name}: partita compose failed: {proc.stderr.strip().splitlines()[-1]}", file=sys.stderr)
                if not args.stand_in:
                    return 1
                # the stages after the score, on a rule-based stand-in score, in a fresh process
                composer = "stand-in score (" + proc.stderr.strip().splitlines()[-1].replace("partita: error: ", "") + ")"
                cmd = [sys.executable, __file__, "--stand-in-run", prompt, str(out), str(args.seconds)]
                t0, c0 = time.perf_counter(), _child_cpu()
                proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
                wall, cpu = time.perf_counter() - t0, _child_cpu() - c0
                if proc.returncode != 0:
                    print(proc.stderr, file=sys.stderr)
                    return 1
            took = re.search(r"^took ([\d.]+) s: (.*)$", proc.stderr, flags=re.M)
            stages = {k: float(v) for k, v in re.findall(r"([a-z +\-]+?) ([\d.]+) s(?:, |$)", took.group(2))}
            stages["start-up and imports"] = round(wall - float(took.group(1)), 1)
            loud = re.search(r"loudness ([-\d.]+) LUFS.*true peak ([-\d.]+) dBTP", proc.stderr)
            audio = re.search(r"([\d.]+) s of audio, (\d+) parts", proc.stderr)
            ver = subprocess.run([exe, "verify", str(out)], capture_output=True, text=True, env=env)
            rows.append({"ensemble": name, "prompt": prompt, "score_by": composer, "wall_s": round(wall, 1), "cpu_s": round(cpu, 1), "stages_s": stages,
                         "audio_s": float(audio.group(1)), "parts": int(audio.group(2)),
                         "integrated_lufs": float(loud.group(1)), "true_peak_dbtp": float(loud.group(2)),
                         "verify_rc": ver.returncode, "summary": proc.stderr.strip().splitlines()[-5:]})  # fmt: skip
            print(f"{name}: {wall:.1f} s end to end; {stages}", file=sys.stderr, flush=True)
    meta = {
        "weights": args.weights or "shipped", "weights_sha256": _weights_sha(args.weights),
        "seconds": args.seconds, "target_s": TARGET_S,
    }  # fmt: skip
    names = list(dict.fromkeys(n for r in rows for n in r["stages_s"]))
    lines = [f"Each prompt runs `partita compose PROMPT -o OUT --seconds {args.seconds:g}` as a fresh process; "
             f"48 kHz; composer weights: {meta['weights']}, sha256 {meta['weights_sha256'][:16]}...", "",
             "| stage | " + " | ".join(r["ensemble"] for r in rows) + " |", "|---|" + "---|" * len(rows)]  # fmt: skip
    for n in names:
        lines.append(f"| {n} | " + " | ".join(f"{r['stages_s'].get(n, 0):.1f} s ({100 * r['stages_s'].get(n, 0) / r['wall_s']:.0f}%)"
                                              for r in rows) + " |")  # fmt: skip
    lines.append("| **end to end** | " + " | ".join(f"**{r['wall_s']:.1f} s** ({'meets' if r['wall_s'] <= TARGET_S else 'misses'} "
                                                   f"<= {TARGET_S:g} s)" for r in rows) + " |")  # fmt: skip
    lines.append("| CPU time of the process (user + system) | " + " | ".join(f"{r['cpu_s']:.1f} s" for r in rows) + " |")
    lines.append("| audio, parts | " + " | ".join(f"{r['audio_s']:.1f} s, {r['parts']}" for r in rows) + " |")
    lines.append("| master | " + " | ".join(f"{r['integrated_lufs']:.2f} LUFS, {r['true_peak_dbtp']:.2f} dBTP" for r in rows) + " |")
    lines.append("| score written by | " + " | ".join(r["score_by"] for r in rows) + " |")
    lines.append("| partita verify | " + " | ".join("ok" if r["verify_rc"] == 0 else f"rc {r['verify_rc']}" for r in rows) + " |")
    write_results(args.out, {"meta": meta, "runs": rows}, lines,
                  title=f"Prompt to mastered {args.seconds / 60:g}-minute track, end to end")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--stand-in-run":
        stand_in_run(sys.argv[2], sys.argv[3], float(sys.argv[4]))
        sys.exit(0)
    sys.exit(main())
