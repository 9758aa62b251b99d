"""Piano rolls of a composed reel beside a held-out O'Neill reel (docs/composer.md).

    .venv/bin/python docs/img/fiddle_rolls.py

writes ``docs/img/fiddle_rolls.png``: the fiddle's line over the first eight bars, three rows:

1. "a reel", seed 0, with the calibrated pitch tables alone (``priors.json``'s interval,
   degree and register tables, no rhythm tables), otherwise the shipped decoding;
2. the same prompt and seed with the shipped decoding (pitch and rhythm tables);
3. the first held-out O'Neill reel (2/2 or 4/4) of the benchmark's reference draw.

Rests are shaded grey. Under each row: the share of the line's time that is silent, the share
of its notes that are eighths, and its stepwise share (moves of one or two semitones among the
moves that change pitch).
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
BARS = 8


def draw(ax, part, bar_ql: float, title: str) -> None:
    notes = sorted(part.notes, key=lambda n: n.onset)
    end = BARS * float(bar_ql)
    shown = [n for n in notes if float(n.onset) < end]
    silent, last_end = 0.0, 0.0
    for n in shown:
        x, d = float(n.onset), float(n.duration)
        if x > last_end:
            ax.axvspan(last_end, x, color="#dddddd", lw=0)
            silent += x - last_end
        ax.broken_barh([(x, d * 0.95)], (n.pitch - 0.4, 0.8), color="#1f4e9c")
        last_end = max(last_end, x + d)
    pitches = np.array([n.pitch for n in shown])
    iv = np.abs(np.diff(pitches))
    moves = iv[iv > 0]
    eighths = np.mean([float(n.duration) == 0.5 for n in shown]) if shown else 0.0
    for b in range(BARS + 1):
        ax.axvline(b * float(bar_ql), color="#bbbbbb", lw=0.6)
    ax.set_title(f"{title}: silent {silent / end:.2f} of the time, eighths {eighths:.2f} of the notes, "
                 f"stepwise {np.mean(moves <= 2):.2f} (first {BARS} bars)", fontsize=8)  # fmt: skip
    ax.set_xlim(0, end)
    ax.set_ylabel("MIDI pitch", fontsize=7)
    ax.tick_params(labelsize=7)


def main() -> int:
    from bench_composer_quality import PITCH_ONLY, with_prior, draw as draw_set, oneills

    from partita.symbolic.composer.planner import plan
    from partita.symbolic.composer.sample import compose

    p = plan("a reel", duration_s=36, seed=0)
    fiddle = next(q.id for q in p.instrumentation if q.role == "melody")
    pitch_only = compose(p, seed=0, **with_prior({"pitch_prior": PITCH_ONLY}, p.genre))
    now = compose(p, seed=0)
    held, _ = oneills()
    ref = next(s for s in draw_set(held, 16) if (s.time_signatures[0].numerator, s.time_signatures[0].denominator) in ((2, 2), (4, 4)))
    fig, axes = plt.subplots(3, 1, figsize=(10, 7.5))
    draw(axes[0], pitch_only.part(fiddle), p.bar_ql, "composed, pitch tables only")
    draw(axes[1], now.part(fiddle), p.bar_ql, "composed, shipped decoding (pitch and rhythm tables)")
    first = next(q for q in ref.parts if q.notes)
    if ref.pickup:  # from the first full bar
        first = first.with_notes(dataclasses.replace(n, onset=n.onset - ref.pickup) for n in first.notes if n.onset >= ref.pickup)
    draw(axes[2], first, float(ref.time_signatures[0].bar_length), f"O'Neill, held out ({ref.title or 'reel'})")
    axes[2].set_xlabel("quarter notes", fontsize=7)
    fig.tight_layout()
    fig.savefig(HERE / "fiddle_rolls.png", dpi=110)
    print(f"wrote {HERE / 'fiddle_rolls.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
