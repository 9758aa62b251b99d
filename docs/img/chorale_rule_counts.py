"""Counts behind docs/composer.md, session 9's "What is still off": the theory_rules violations
per 100 notes, rule by rule (chorale profile, its own settings), of eight chorales composed from
"a chorale for SATB choir" (seeds 0-7, 43 s, shipped weights and decoding) and of the first 24
held-out Bach chorales of the benchmark.

    OMP_NUM_THREADS=1 .venv/bin/python docs/img/chorale_rule_counts.py
"""

from __future__ import annotations

import collections
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent / "benchmarks"))


def per_100(scores) -> dict[str, float]:
    from partita.theory_rules import check

    counts: collections.Counter = collections.Counter()
    notes = 0
    for s in scores:
        r = check(s, profile="chorale")
        notes += r.n_notes
        counts.update(dict(r.counts))
    return {k: round(100 * v / max(notes, 1), 2) for k, v in sorted(counts.items()) if v}


def main() -> int:
    import torch
    from bench_composer import heldout_bach

    from partita.symbolic.composer.planner import plan
    from partita.symbolic.composer.sample import compose, load_model

    torch.set_num_threads(1)
    model = load_model(None)
    composed = [compose(plan("a chorale for SATB choir", duration_s=43.3, seed=i), model=model, seed=i) for i in range(8)]
    print("composed (8):", per_100(composed))
    print("Bach, held out (24):", per_100(heldout_bach(10**6)[:24]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
