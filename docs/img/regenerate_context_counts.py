"""Counts behind docs/composer.md, "The context the model reads": the tin whistle of "a lively
irish jig in G for a session" (seed 7, 36 s, shipped weights and decoding), bars 3-10 written
again by ``regenerate`` (seeds 3, 4, 5), once among every part (the score without its
``partita.modelled`` record, as before that record existed) and once in the model's own context.

    OMP_NUM_THREADS=1 .venv/bin/python docs/img/regenerate_context_counts.py

prints, per run: the whistle's notes in the span, the share of the span they sound, and the
share of them that are eighths; and the composed span's own figures.
"""

from __future__ import annotations

import dataclasses
import sys

import numpy as np


def span_stats(score, part: str, lo, hi) -> str:
    notes = [n for n in score.part(part).notes if lo <= n.onset < hi]
    d = np.array([float(n.duration) for n in notes])
    return f"{len(d)} notes, sounding {d.sum() / float(hi - lo):.2f} of the span, eighths {np.mean(np.isclose(d, 0.5)):.2f}"


def main() -> int:
    import torch

    from partita.symbolic.composer.edit import MODELLED_KEY, regenerate
    from partita.symbolic.composer.planner import plan
    from partita.symbolic.composer.sample import compose, load_model

    torch.set_num_threads(1)
    model = load_model(None)
    song = compose(plan("a lively irish jig in G for a session", duration_s=36, seed=7), model=model, seed=7)
    whistle = song.metadata[MODELLED_KEY]
    lo, hi = song.bar_start(3), song.bar_start(11)
    every = dataclasses.replace(song, metadata={k: v for k, v in song.metadata.items() if k != MODELLED_KEY})
    print("composed:", span_stats(song, whistle, lo, hi))
    for seed in (3, 4, 5):
        for name, s in (("among every part", every), ("in the model's context", song)):
            new = regenerate(s, part=whistle, bars=(3, 10), seed=seed, model=model)
            print(f"seed {seed}, {name}:", span_stats(new, whistle, lo, hi))
    return 0


if __name__ == "__main__":
    sys.exit(main())
