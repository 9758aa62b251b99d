"""The rhythm of the benchmark's fiddle tunes, with and without the rhythm tables (the counts
docs/composer.md quotes in "A calibrated rhythm prior"):

    OMP_NUM_THREADS=1 .venv/bin/python docs/img/fiddle_rhythm_counts.py

composes the eight fiddle tunes of ``benchmarks/bench_composer_quality.py`` (seeds 0-7, reels and
jigs alternating, best-of-3 with the critic, no key mask) with the refitted pitch tables alone,
with the pitch and rhythm tables on the plain energy scale, and with every table and the
corpus energy levels (the shipped prior), and prints, beside the benchmark's sixteen held-out O'Neill
tunes: each tune's mean inter-onset interval and notes per bar (``evaluate``'s features), and
over the set the share of notes with no rest before them and the note-length shares
(``priors.line_counts``; bins ``priors.DURATION_EDGES``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent / "benchmarks"))


def show(label: str, scores: list) -> None:
    from partita.symbolic.composer import evaluate, priors

    feats = [evaluate._features(s) for s in scores]
    c = priors.add_counts(scores, None)
    rest, dur = c["rest"]["melody"], c["duration"]["melody"]
    print(f"{label}: mean inter-onset interval per tune {np.round(sorted(f['mean_ioi'][0] for f in feats), 2).tolist()}; "
          f"notes per bar {np.round(sorted(f['notes_per_bar'][0] for f in feats), 1).tolist()}; "
          f"no rest before {rest[0] / rest.sum():.3f}; note lengths {np.round(dur / dur.sum(), 3).tolist()}; "
          f"sixteenths or shorter {dur[: priors.duration_bin(0.25) + 1].sum() / dur.sum():.3f}; "
          f"eighths {dur[priors.duration_bin(0.5)] / dur.sum():.3f}")  # fmt: skip


def main() -> int:
    import torch

    import bench_composer_quality as bench
    from partita.symbolic.composer.sample import load_model

    torch.set_num_threads(1)
    model = load_model(None)
    held, _ = bench.oneills()
    base = {"temperature": 1.0, "top_p": 0.95, "key_mask": False, "best_of": 3, "phrase_bars": 2, "critic_weight": 1.0}
    for label, prior in (("pitch tables only", bench.PITCH_ONLY), ("pitch and rhythm tables, plain energy scale", bench.NO_ENERGY),
                         ("pitch and rhythm tables, corpus energy levels (shipped)", True)):  # fmt: skip
        show(label, bench.compose_set("fiddle", 8, 36, {**base, "pitch_prior": prior}, model)[0])
    show("O'Neill (the benchmark's 16)", bench.draw(held, 16))
    return 0


if __name__ == "__main__":
    sys.exit(main())
