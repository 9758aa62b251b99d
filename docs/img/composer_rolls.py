"""Piano rolls of a composed chorale beside a held-out Bach chorale (docs/composer.md).

    .venv/bin/python docs/img/composer_rolls.py

writes ``docs/img/composer_rolls.png``: three rows of the first eight bars, each voice a colour
(soprano, alto, tenor, bass), notes outside the key ringed in black:

1. "a chorale for SATB choir", seed 0, with the decoding of issue 17's opening (key mask on,
   no pitch prior, best-of-1);
2. the same prompt and seed with the shipped decoding (``decoding.toml``: key mask off, the
   calibrated pitch prior);
3. the first held-out Bach chorale of the benchmark's reference set (``heldout_bach``).

Under each row: the soprano's stepwise share and the notes outside the key per 100 notes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
COLOURS = ("#d1495b", "#edae49", "#2e933c", "#1f4e9c")
BARS = 8


def draw(ax, score, title: str) -> None:
    from partita.theory_rules.rules_key import allowed_pcs

    key = score.key_signatures[0]
    pcs = allowed_pcs(key)
    bar_ql = float(score.time_signatures[0].bar_length)
    start = float(score.pickup or 0)
    end = start + BARS * bar_ql
    n = out = 0
    for i, part in enumerate(score.parts[:4]):
        for note in part.notes:
            x = float(note.onset)
            if not start <= x < end:
                continue
            ax.broken_barh([(x - start, float(note.duration) * 0.95)], (note.pitch - 0.4, 0.8), color=COLOURS[i])
            n += 1
            if note.pitch % 12 not in pcs:
                out += 1
                ax.plot([x - start + 0.12], [note.pitch], "o", ms=5, mfc="none", mec="black", mew=0.8)
    for b in range(BARS + 1):
        ax.axvline(b * bar_ql, color="#bbbbbb", lw=0.6)
    sop = [nt.pitch for nt in score.parts[0].notes]
    iv = np.abs(np.diff(sop))
    moves = iv[iv > 0]
    ax.set_title(f"{title}: {key.name if hasattr(key, 'name') else key}; soprano stepwise {np.mean(moves <= 2):.2f}, "
                 f"out of key {100 * out / max(n, 1):.1f} per 100 notes (first {BARS} bars)", fontsize=8)  # fmt: skip
    ax.set_xlim(0, BARS * bar_ql)
    ax.set_ylabel("MIDI pitch", fontsize=7)
    ax.tick_params(labelsize=7)


def main() -> int:
    from bench_composer import heldout_bach

    from partita.symbolic.composer.planner import plan
    from partita.symbolic.composer.sample import compose

    p = plan("a chorale for SATB choir", duration_s=36, seed=0)
    before = compose(p, seed=0, best_of=1, key_mask=True, pitch_prior=False)
    now = compose(p, seed=0)
    bach = heldout_bach(1)[0]
    fig, axes = plt.subplots(3, 1, figsize=(10, 8.5), sharex=False)
    draw(axes[0], before, "composed, before (key mask, no prior)")
    draw(axes[1], now, "composed, shipped decoding (no key mask, pitch prior)")
    draw(axes[2], bach, f"Bach, held out ({bach.title or 'chorale'})")
    axes[2].set_xlabel("quarter notes", fontsize=7)
    fig.tight_layout()
    fig.savefig(HERE / "composer_rolls.png", dpi=110)
    print(f"wrote {HERE / 'composer_rolls.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
