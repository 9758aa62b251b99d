"""Composer evaluation and speed, side by side with the same model sampled without masks.

    .venv/bin/python benchmarks/bench_composer.py [--weights PATH] [--n 12] [--out benchmarks/results/composer.json]
    .venv/bin/python benchmarks/bench_composer.py --regenerate [--weights PATH]   # -> composer_edit.{json,md}
    .venv/bin/python benchmarks/bench_composer.py --reference                     # -> composer_reference.{json,md}

MGEval-style overlapped area (six features) of each composed set against the held-out Bach
chorales is reported beside the same measure of one half of those chorales against the other.

1. Held-out Bach chorales (the corpus split by piece, ``partita.symbolic.composer.corpus.held_out``)
   measured with muspy's definitions (pitch-class entropy, scale consistency, groove
   consistency) and theory_rules violations per 100 notes (chorale profile).
2. ``n`` SATB chorale plans composed with the masks (profile ``chorale``) and without them
   (grammar only: the unconstrained model), same seeds; the same measures, plus
   hard-constraint violations (rules the masks enforce; must be 0 with masks; key-outside
   counts only where the shipped decoding keeps the key mask).
3. Speed on this machine, one torch thread: tokens per second with masks, and the time of a
   3.5-minute, 4-part piece.

4. ``--regenerate`` (alone): regenerating 8 bars of one part of a composed 4-part piece
   (string quartet, chorale profile), several seeds and parts: wall and CPU time, median and
   max, with the model loaded once (the Python API), loading the weights on each call, and
   the whole ``partita regenerate`` command (MusicXML in and out, a fresh process); the peer
   is the same call without masks (profile ``none``). The machine load (``uptime``) is
   recorded before and after.
5. ``--reference`` (alone): MGEval overlapped area of Bach against Bach on disjoint random
   halves of all four-part Bach chorales (held-out and training, ``--ref-per-half`` each,
   several splits), beside the same measure on 12 against 12 pieces, to show what the set
   size does to the figure.

Timings are wall-clock on a shared 2-core CPU; they are reported, never asserted.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

from _results import write_results  # benchmarks/ is sys.path[0] when a benchmark runs

import numpy as np

HARD_RULES = ("range-playable", "monophonic-chords", "bar-fill", "off-grid", "parallel-fifths",
              "parallel-octaves", "parallel-unisons", "key-outside")  # fmt: skip


def heldout_bach(limit: int) -> list:
    """The first ``limit`` four-part chorales of the held-out split."""
    from partita.symbolic.composer.corpus import held_out, sources

    return _four_part([s.path for s in sources(["bach"], max_files=0) if held_out(s.piece)], limit)


def _four_part(paths: list[str], limit: int) -> list:
    """The first ``limit`` of ``paths`` that read as four-part Scores."""
    from music21 import corpus as m21

    from partita.symbolic.io.musicxml import score_from_music21

    out = []
    for path in paths:
        try:
            s = score_from_music21(m21.parse(path))
        except Exception:  # noqa: BLE001 - a few chorales have parts the catalog lacks
            continue
        if len(s.parts) == 4:
            out.append(s)
        if len(out) >= limit:
            break
    return out


def bach_chorales(limit: int, *, seed: int = 0) -> list:
    """Up to ``limit`` four-part Bach chorales of the music21 corpus, held-out and training
    alike, in a random order fixed by ``seed``."""
    from partita.symbolic.composer.corpus import sources

    srcs = sources(["bach"], max_files=0)
    order = np.random.default_rng(seed).permutation(len(srcs))
    return _four_part([srcs[int(k)].path for k in order], limit)


def _uptime() -> str:
    import subprocess

    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def _stats(xs: list[float]) -> dict:
    return {"median": float(np.median(xs)), "max": float(np.max(xs)), "min": float(np.min(xs)), "n": len(xs)}


def bench_regenerate(weights: str | None, *, seeds: int, out_dir: Path) -> dict:
    """Regenerate 8 bars of one part of a composed 4-part piece; see the module docstring."""
    import os
    import subprocess
    import tempfile

    from partita.symbolic import io as sio
    from partita.symbolic.composer.edit import regenerate
    from partita.symbolic.composer.planner import plan
    from partita.symbolic.composer.sample import compose, load_model

    load_before = _uptime()
    model = load_model(weights)
    p = plan("chorale", ensemble="string quartet", key="D major", meter="4/4", tempo=80, duration_s=90, seed=0)
    score = compose(p, model=model, seed=0, profile="chorale")
    parts = [x.id for x in score.parts]
    spans = [(3, 10), (9, 16), (17, 24), (20, 27)]
    jobs = [(parts[k % len(parts)], spans[k % len(spans)], k) for k in range(seeds)]
    res: dict = {"piece": {"plan": "chorale, string quartet, D major, 4/4, 80 bpm, 90 s", "bars": score.n_bars,
                           "parts": len(score.parts), "notes": sum(len(x.notes) for x in score.parts)},
                 "span_bars": 8, "calls": [[pid, list(span), seed] for pid, span, seed in jobs]}  # fmt: skip
    for name, profile, pass_model in (("masked_model_loaded", "chorale", True), ("unmasked_model_loaded", "none", True),
                                      ("masked_loading_weights", "chorale", False)):  # fmt: skip
        wall, cpu, tries = [], [], []
        for pid, span, seed in jobs:
            t, c = time.perf_counter(), time.process_time()
            _, st = regenerate(score, part=pid, bars=span, seed=seed, profile=profile, return_stats=True,
                               **({"model": model} if pass_model else {"weights": weights}))  # fmt: skip
            wall.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
            tries.append(st.tries)
        res[name] = {"wall_s": _stats(wall), "cpu_s": _stats(cpu), "tries": _stats([float(x) for x in tries])}
        print(name, json.dumps(res[name]), file=sys.stderr)
    # the whole command: a fresh process reads MusicXML, loads the weights, writes MusicXML
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "piece.musicxml"
        sio.write(score, src)
        wall, cpu = [], []
        for pid, span, seed in jobs[: max(3, seeds // 2)]:
            cmd = [sys.executable, "-m", "partita", "regenerate", str(src), "--part", pid, "--bars",
                   f"{span[0]}-{span[1]}", "--seed", str(seed), "--profile", "chorale", "-o", str(Path(tmp) / "out.musicxml")]
            if weights:
                cmd += ["--weights", weights]
            t = time.perf_counter()
            r0 = os.times()
            subprocess.run(cmd, check=True, capture_output=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
            r1 = os.times()
            wall.append(time.perf_counter() - t)
            cpu.append((r1.children_user - r0.children_user) + (r1.children_system - r0.children_system))
        res["cli_command"] = {"wall_s": _stats(wall), "cpu_s": _stats(cpu)}
        print("cli", json.dumps(res["cli_command"]), file=sys.stderr)
    res["load_before"] = load_before
    res["load_after"] = _uptime()
    return res


def bench_reference(per_half: int, splits: int) -> dict:
    """MGEval Bach against Bach: random disjoint draws of 12 vs 12, 12 vs 24, 60 vs 60 and
    ``per_half`` vs ``per_half`` pieces from all four-part Bach chorales."""
    from partita.symbolic.composer import evaluate

    t = time.perf_counter()
    pool = bach_chorales(max(2 * per_half, 120))
    res: dict = {"pool": len(pool), "parse_s": time.perf_counter() - t}
    # 12 vs 24: the sizes of the composed sets against held-out Bach above; then larger halves
    for a, b, k in ((12, 12, 20), (12, 24, 20), (60, 60, 10), (per_half, per_half, splits)):
        if a + b <= len(pool):
            res[f"{a}_vs_{b}"] = evaluate.split_half_overlap(pool, per_half=a, other=b, splits=k, seed=0)
            print(f"bach vs bach {a} vs {b}: {res[f'{a}_vs_{b}']['mean']:.3f}", file=sys.stderr)
    return res


def hard_violations(score, profile: str, *, key: bool = True) -> int:
    """Violations of the rules the decoding masks enforce: :data:`HARD_RULES`, without
    ``key-outside`` when the key mask was off (``key`` False)."""
    from partita.theory_rules import check

    # key-outside in strict mode is what the mask enforces
    rep = check(score, profile=profile, params={"key-outside": {"mode": "strict"}})
    counts = dict(rep.counts)
    return int(sum(counts.get(r, 0) for r in HARD_RULES if key or r != "key-outside"))


def main(argv: list[str] | None = None) -> int:
    import torch

    from partita.symbolic.composer import evaluate
    from partita.symbolic.composer.planner import plan
    from partita.symbolic.composer.sample import compose, load_model

    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", default=None, help="checkpoint (default: shipped)")
    ap.add_argument("--n", type=int, default=12, help="chorales to compose per condition")
    ap.add_argument("--bars", type=int, default=12)
    ap.add_argument("--out", default="benchmarks/results/composer.json")
    ap.add_argument("--skip-long", action="store_true", help="skip the 3.5-minute piece")
    ap.add_argument("--ref-per-half", type=int, default=180, help="Bach chorales per half for Bach against Bach (all: 180)")
    ap.add_argument("--ref-splits", type=int, default=4, help="random half splits for Bach against Bach")
    ap.add_argument("--regenerate", action="store_true", help="only the regenerate speed -> composer_edit.{json,md}")
    ap.add_argument("--seeds", type=int, default=8, help="regenerate calls per condition")
    ap.add_argument("--reference", action="store_true", help="only Bach against Bach -> composer_reference.{json,md}")
    a = ap.parse_args(argv)
    torch.set_num_threads(1)
    if a.regenerate or a.reference:
        name = "composer_edit" if a.regenerate else "composer_reference"
        t = time.perf_counter()
        res = bench_regenerate(a.weights, seeds=a.seeds, out_dir=Path("benchmarks/results")) if a.regenerate \
            else bench_reference(a.ref_per_half, a.ref_splits)  # fmt: skip
        res.update({"weights": a.weights or "shipped", "threads": 1, "seconds": time.perf_counter() - t})
        if a.regenerate:
            write_results(name, res, _regenerate_md(res), title="Regenerate speed: 8 bars of one part of a composed 4-part piece")
        else:
            write_results(name, res, _reference_md(res), title="MGEval overlapped area: Bach against Bach, by set size")
        print(json.dumps(res, indent=1, sort_keys=True)[:3000])
        return 0
    model = load_model(a.weights)
    results: dict = {"weights": a.weights or "shipped", "machine": platform.platform(), "threads": 1}

    bach = heldout_bach(a.n * 2)
    results["heldout_bach"] = {"n_pieces": len(bach), **evaluate.summary(bach, profile="chorale")}
    half = len(bach) // 2
    results["heldout_bach"]["overlapped_area_bach_vs_bach"] = evaluate.overlapped_area(bach[:half], bach[half:])
    # the reference figure on enough pieces: random disjoint halves of all four-part chorales
    results["bach_vs_bach"] = bench_reference(a.ref_per_half, a.ref_splits)
    results["heldout_bach"]["hard_violations_per_100_notes"] = float(
        np.mean([100 * hard_violations(s, "chorale") / max(1, sum(len(p.notes) for p in s.parts)) for s in bach])
    )

    keys = ["C major", "G major", "D major", "A minor", "E minor", "D minor", "F major", "Bb major",
            "B minor", "G minor", "A major", "C minor"]  # fmt: skip
    for name, profile in (("masked", "chorale"), ("unmasked", "none")):
        scores, tok, secs = [], 0, 0.0
        for i in range(a.n):
            p = plan("chorale", ensemble="satb choir", key=keys[i % len(keys)], meter="4/4", tempo=72,
                     duration_s=a.bars * 4 * 60 / 72, seed=i)  # fmt: skip
            s, st = compose(p, model=model, seed=i, profile=profile, return_stats=True)
            scores.append(s)
            tok += st.sampled + st.forced
            secs += st.seconds
        summ = evaluate.summary(scores, profile="chorale")
        from partita.symbolic.composer.sample import resolve_decoding

        # the shipped decoding: key-outside is a hard rule only under the key mask (the unmasked
        # diagnostic counts every rule the masks can enforce, as before)
        keyed = resolve_decoding(p).key_mask or name == "unmasked"
        hv = [hard_violations(s, "chorale", key=keyed) for s in scores]
        summ["key_mask"] = keyed
        summ["hard_violations_total"] = int(sum(hv))
        summ["hard_violations_per_100_notes"] = float(
            np.mean([100 * h / max(1, sum(len(p.notes) for p in s.parts)) for h, s in zip(hv, scores)])
        )
        summ["tokens_per_second"] = tok / secs
        summ["overlapped_area_vs_heldout_bach"] = evaluate.overlapped_area(scores, bach)
        summ["n_pieces"] = len(scores)
        results[name] = summ
        print(name, json.dumps({k: (round(v, 3) if isinstance(v, float) else v) for k, v in summ.items()
                                if not k.startswith("rule:")}), file=sys.stderr)  # fmt: skip

    if not a.skip_long:
        p = plan("string quartet", ensemble="string quartet", duration_s=210, seed=0)
        t0 = time.perf_counter()
        s, st = compose(p, model=model, seed=0, profile="classical", return_stats=True)
        wall = time.perf_counter() - t0
        results["long_piece"] = {
            "plan": "string quartet, 210 s", "bars": p.n_bars, "parts": len(s.parts),
            "notes": sum(len(x.notes) for x in s.parts), "tokens": st.sampled + st.forced,
            "sampled": st.sampled, "replayed_bars": st.replayed_bars, "reprimes": st.reprimes,
            "seconds": wall, "tokens_per_second": (st.sampled + st.forced) / st.seconds,
        }  # fmt: skip
        print("long", json.dumps(results["long_piece"]), file=sys.stderr)
    write_results(str(Path(a.out).with_suffix("")), results, _composer_md(results),
                  title="Composer: composed chorales against held-out Bach, masked and unmasked")
    print(json.dumps(results, indent=1, sort_keys=True)[:4000])
    return 0


_FEATURES = ("used_pitches", "pitch_class_histogram", "pitch_range", "mean_pitch_shift", "notes_per_bar", "mean_ioi")


def _reference_md(res: dict) -> list[str]:
    rows = [k for k in res if k.endswith(tuple(f"_vs_{n}" for n in range(1, 1000)))]
    lines = [f"Pool: {res['pool']} four-part Bach chorales of the music21 corpus; each row draws two disjoint random sets "
             "of the sizes shown, `splits` times (mean and standard deviation of `evaluate.overlapped_area`, and the mean "
             "per feature).", "",
             "| sizes | splits | mean OA | sd | " + " | ".join(f.replace("_", " ") for f in _FEATURES) + " |",
             "| --- | ---: | ---: | ---: | " + " | ".join("---:" for _ in _FEATURES) + " |"]  # fmt: skip
    for k in rows:
        r = res[k]
        lines.append(f"| {k.replace('_', ' ')} | {r['splits']} | {r['mean']:.3f} | {r['sd']['mean']:.3f} | "
                     + " | ".join(f"{r[f]:.3f}" for f in _FEATURES) + " |")
    return lines


def _regenerate_md(res: dict) -> list[str]:
    p = res["piece"]
    names = {"masked_model_loaded": "`regenerate(..., model=m)`, chorale masks (model loaded once)",
             "unmasked_model_loaded": "peer: the same call without masks (`profile=\"none\"`)",
             "masked_loading_weights": "`regenerate(..., weights=None)`: loading the shipped weights on each call",
             "cli_command": "`partita regenerate piece.musicxml --part P --bars A-B` (a fresh process)"}  # fmt: skip
    lines = [f"The piece: {p['plan']}, composed with seed 0 under the chorale profile: {p['bars']} bars, {p['parts']} parts, "
             f"{p['notes']} notes. Calls (part, bars, seed): " + ", ".join(f"({c[0]}, {c[1][0]}-{c[1][1]}, {c[2]})" for c in res["calls"]) + ".",
             "", "| condition | wall median | wall max | CPU median | CPU max | tries (max) |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]  # fmt: skip
    for key, label in names.items():
        r = res[key]
        tries = f"{r['tries']['max']:.0f}" if "tries" in r else "-"
        lines.append(f"| {label} | {r['wall_s']['median']:.2f} s | {r['wall_s']['max']:.2f} s | {r['cpu_s']['median']:.2f} s | "
                     f"{r['cpu_s']['max']:.2f} s | {tries} |")
    return lines


def _composer_md(res: dict) -> list[str]:
    cols = [("masked", "masked"), ("unmasked", "unmasked"), ("heldout_bach", "held-out Bach")]
    measures = [("hard-rule violations / 100 notes", "hard_violations_per_100_notes"), ("pitch-class entropy", "pitch_class_entropy"),
                ("scale consistency", "scale_consistency"), ("groove consistency", "groove_consistency"),
                ("MGEval overlapped area vs held-out Bach", "overlapped_area_vs_heldout_bach"),
                ("tokens per second", "tokens_per_second")]  # fmt: skip
    lines = [f"{res['masked']['n_pieces']} chorales per condition; weights: {res['weights']}.", "",
             "| measure | " + " | ".join(c[1] for c in cols) + " |", "| --- |" + " ---: |" * len(cols)]
    for label, key in measures:
        vals = [res[c].get(key) for c, _ in cols]
        vals = [v["mean"] if isinstance(v, dict) else v for v in vals]  # an overlap: its mean over the features
        cells = [f"{v:.3f}" if isinstance(v, float) else "-" for v in vals]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    bvb = res.get("bach_vs_bach", {})
    if bvb:
        lines += ["", "Bach against Bach at these sizes (the ceiling):", "", *_reference_md(bvb)]
    if "long_piece" in res:
        lp = res["long_piece"]
        lines += ["", f"A {lp['plan']} piece: {lp['bars']} bars, {lp['parts']} parts, {lp['notes']} notes, "
                  f"{lp['tokens']} tokens in {lp['seconds']:.1f} s ({lp['tokens_per_second']:.0f} tokens/s)."]
    return lines


if __name__ == "__main__":
    sys.exit(main())
