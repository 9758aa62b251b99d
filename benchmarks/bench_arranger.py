"""Arrangement statistics per style (issue 11): partita with the arranger, the composer as it
was before (``compose(arranger=False)``: the model writes every pitched part), and MMA (Debian
``mma``, GPL, run as an external program on the same chords, meter and tempo; its grooves are
never copied) side by side, with the statistics of :mod:`partita.symbolic.arranger.stats`.
Also times a 3.5-minute 5-part pop arrangement, prompt to score.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_arranger.py [--seeds N] [--seconds S]

writes benchmarks/results/arranger.json and arranger.md (whole, with command, commit, composer
weights sha256, machine and load).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import mean

HERE = Path(__file__).resolve().parent
#: style -> (prompt, MMA groove: the nearest in MMA's standard library; None: none fits)
STYLES = {
    "rock": ("a rock song", "BasicRock"),
    "pop": ("a pop song", "8Beat"),
    "country": ("a country song", "CountrySwing"),
    "swing": ("a jazz tune", "SwingWalk"),
    "bossa_nova": ("a bossa nova", "BossaNova"),
    "reggae": ("a reggae song", "Ska"),  # MMA's library has no reggae groove; ska is its nearest
    "folk": ("a folk song", "Folk"),
    "waltz": ("a waltz", "Waltz"),
    "classical": ("a classical piece", None),
}
STATS = ("bass_on_root", "comp_three_plus", "drum_beat_one", "kick_bass", "rhythm_similarity", "chorus_similarity")


def _mma(plan, groove: str, tmp: Path):
    """MMA's MIDI for the plan's chords (one per bar), tempo and groove; its Arrangement."""
    from partita.symbolic.arranger.stats import from_midi

    lines = [f"Tempo {plan.tempo_bpm:g}", f"Groove {groove}"]
    for k, figure in enumerate(plan.bar_chords()):
        lines.append(f"{k + 1} {figure}")
    src = tmp / "song.mma"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    subprocess.run(["mma", "-f", str(tmp / "song.mid"), str(src)], check=True, capture_output=True, timeout=120)
    sections = tuple(s.name for s in plan.sections for _ in range(s.bars))
    return from_midi(str(tmp / "song.mid"), bpm=plan.tempo_bpm, bar_ql=float(plan.bar_ql), chords=plan.bar_chords(),
                     sections=sections)  # fmt: skip


def _mean(rows, key):
    vals = [r[key] for r in rows if r.get(key) is not None]
    return round(mean(vals), 3) if vals else None


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--styles", default=",".join(STYLES))
    args = ap.parse_args()

    from partita._fileio import atomic_write_text, sha256_file
    from partita.symbolic.arranger.stats import from_score, summary
    from partita.symbolic.composer.planner import plan
    from partita.symbolic.composer.sample import compose, load_model
    from partita.symbolic.composer.weights_info import shipped_path
    from partita.theory_rules import check

    model = load_model()
    have_mma = shutil.which("mma") is not None
    table = {}
    t_all = time.perf_counter()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for name in args.styles.split(","):
            prompt, groove = STYLES[name]
            rows = {"partita": [], "composer_before": [], "mma": []}
            errors = {"partita": 0, "composer_before": 0}
            secs = {"partita": 0.0, "composer_before": 0.0}
            for seed in range(args.seeds):
                p = plan(prompt, duration_s=args.seconds, seed=seed)
                for side, flag in (("partita", True), ("composer_before", False)):
                    t = time.perf_counter()
                    score = compose(p, model=model, seed=seed, arranger=flag)
                    secs[side] += time.perf_counter() - t
                    rows[side].append(summary(from_score(score, p)))
                    errors[side] += check(score, profile=score.metadata["partita.profile"]).n_errors
                if have_mma and groove:
                    rows["mma"].append(summary(_mma(p, groove, tmp)))
                print(name, seed, {k: v[-1] if v else None for k, v in rows.items()}, flush=True)
            table[name] = {
                side: {**{s: _mean(r, s) for s in STATS},
                       "chorus_varied": (sum(bool(x["chorus_varied"]) for x in r) if r else None),
                       "n": len(r)}
                for side, r in rows.items()
            }  # fmt: skip
            table[name]["hard_errors"] = errors
            table[name]["compose_seconds"] = {k: round(v / max(1, args.seeds), 2) for k, v in secs.items()}
            table[name]["mma_groove"] = groove

    # prompt -> score time of a 3.5-minute 5-part pop arrangement
    t = time.perf_counter()
    p = plan("an upbeat pop song with synth lead, piano, electric guitar, bass and drums, 3:30", seed=0)
    t_plan = time.perf_counter() - t
    score = compose(p, model=model, seed=0)
    t_total = time.perf_counter() - t
    timing = {"prompt": p.prompt, "parts": len(score.parts), "seconds_of_music": round(p.duration_s, 1),
              "plan_s": round(t_plan, 3), "prompt_to_score_s": round(t_total, 2), "budget_s": 60,
              "stats": summary(from_score(score, p))}  # fmt: skip

    # chorus returns need a form with several choruses: 150-second pieces of three styles
    long_form = {}
    for name in ("pop", "rock", "swing", "bossa_nova"):
        p = plan(STYLES[name][0], duration_s=150, seed=1)
        st = summary(from_score(compose(p, model=model, seed=1), p))
        long_form[name] = {"chorus_similarity": st["chorus_similarity"], "chorus_varied": st["chorus_varied"],
                           "sections": [s.name for s in p.sections]}  # fmt: skip

    weights = shipped_path()
    commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=HERE).stdout.strip()
    cmd = "OMP_NUM_THREADS=1 python benchmarks/bench_arranger.py " + " ".join(sys.argv[1:])
    meta = {"command": cmd.strip(), "commit": commit, "composer_weights_sha256": sha256_file(weights),
            "machine": platform.platform(), "cpu_count": os.cpu_count(), "load_average": list(os.getloadavg()),
            "seeds": args.seeds, "seconds": args.seconds, "mma": have_mma, "wall_s": round(time.perf_counter() - t_all, 1)}  # fmt: skip
    result = {**meta, "styles": table, "timing_pop_3_5_min": timing, "chorus_returns_150_s": long_form}
    out = HERE / "results"
    atomic_write_text(out / "arranger.json", json.dumps(result, indent=1) + "\n")

    def cell(v):
        return "-" if v is None else f"{v:.2f}" if isinstance(v, float) else str(v)

    lines = ["# Arrangement statistics (issue 11)", "",
             f"`{meta['command']}` at commit `{commit}`, composer weights sha256 `{meta['composer_weights_sha256'][:16]}...`,",
             f"{meta['machine']}, {meta['cpu_count']} CPUs, load {meta['load_average']}; {args.seeds} seeds x {args.seconds:g} s per style.", "",
             "Each cell: partita with the arranger / the composer as before (arranger off) / MMA on the same chords. "
             "Definitions in partita.symbolic.arranger.stats. chorus varied: pieces (of n) where a chorus return differs from the first.", "",
             "| style | MMA groove | " + " | ".join(STATS) + " | chorus varied | hard errors | compose s |",
             "| --- | --- | " + " | ".join("---" for _ in STATS) + " | --- | --- | --- |"]  # fmt: skip
    for name, t in table.items():
        cells = [" / ".join(cell(t[side][s]) for side in ("partita", "composer_before", "mma")) for s in STATS]
        lines.append(f"| {name} | {t['mma_groove'] or '-'} | " + " | ".join(cells)
                     + f" | {t['partita']['chorus_varied']}/{t['partita']['n']} | {t['hard_errors']['partita']} / {t['hard_errors']['composer_before']}"
                     + f" | {t['compose_seconds']['partita']} / {t['compose_seconds']['composer_before']} |")  # fmt: skip
    lines += ["", f"Prompt to score, {timing['seconds_of_music']} s of music, {timing['parts']} parts (\"{timing['prompt']}\"): "
              f"**{timing['prompt_to_score_s']} s** (budget {timing['budget_s']} s; model already loaded; plan {timing['plan_s']} s)."]  # fmt: skip
    lines += ["", "Chorus returns (melodic similarity of each return to the first chorus; varied: some return differs):", ""]
    lines += [f"- {n}, 150 s, seed 1: similarity {cell(v['chorus_similarity'])}, varied {v['chorus_varied']}" for n, v in long_form.items()]
    ts = timing["stats"]
    lines.append(f"- pop, 210 s (the timed piece): similarity {cell(ts['chorus_similarity'])}, varied {ts['chorus_varied']}")
    atomic_write_text(out / "arranger.md", "\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
