"""Composer evaluation and speed, side by side with the same model sampled without masks.

    .venv/bin/python benchmarks/bench_composer.py [--weights PATH] [--n 12] [--out benchmarks/results/composer.json]

MGEval-style overlapped area (six features) of each composed set against the held-out Bach
chorales is reported beside the same measure of one half of those chorales against the other.

1. Held-out Bach chorales (the corpus split by piece, ``partita.symbolic.composer.corpus.held_out``)
   measured with muspy's definitions (pitch-class entropy, scale consistency, groove
   consistency) and theory_rules violations per 100 notes (chorale profile).
2. ``n`` SATB chorale plans composed with the masks (profile ``chorale``) and without them
   (grammar only: the unconstrained model), same seeds; the same measures, plus
   hard-constraint violations (rules the masks enforce; must be 0 with masks).
3. Speed on this machine, one torch thread: tokens per second with masks, and the time of a
   3.5-minute, 4-part piece.

Timings are wall-clock on a shared 2-core CPU; they are reported, never asserted.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

HARD_RULES = ("range-playable", "monophonic-chords", "bar-fill", "off-grid", "parallel-fifths",
              "parallel-octaves", "parallel-unisons", "key-outside")  # fmt: skip


def heldout_bach(limit: int) -> list:
    from music21 import corpus as m21

    from partita.symbolic.composer.corpus import held_out, sources
    from partita.symbolic.score import Score

    out = []
    for src in sources(["bach"], max_files=0):
        if not held_out(src.piece):
            continue
        try:
            s = Score.from_music21(m21.parse(src.path))
        except Exception:  # noqa: BLE001 - a few chorales have parts the catalog lacks
            continue
        if len(s.parts) == 4:
            out.append(s)
        if len(out) >= limit:
            break
    return out


def hard_violations(score, profile: str) -> int:
    from partita.theory_rules import check

    # key-outside in strict mode is what the mask enforces
    rep = check(score, profile=profile, params={"key-outside": {"mode": "strict"}})
    counts = dict(rep.counts)
    return int(sum(counts.get(r, 0) for r in HARD_RULES))


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
    a = ap.parse_args(argv)
    torch.set_num_threads(1)
    model = load_model(a.weights)
    results: dict = {"weights": a.weights or "shipped", "machine": platform.platform(), "threads": 1}

    bach = heldout_bach(a.n * 2)
    results["heldout_bach"] = {"n_pieces": len(bach), **evaluate.summary(bach, profile="chorale")}
    half = len(bach) // 2
    results["heldout_bach"]["overlapped_area_bach_vs_bach"] = evaluate.overlapped_area(bach[:half], bach[half:])
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
        hv = [hard_violations(s, "chorale") for s in scores]
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
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
    print(json.dumps({k: v for k, v in results.items() if k != "machine"}, indent=1, sort_keys=True)[:4000])
    return 0


if __name__ == "__main__":
    sys.exit(main())
