"""Piano rolls of one section per style, as the arranger writes it (docs/arranger.md).

    .venv/bin/python docs/img/arranger_rolls.py

writes ``docs/img/arranger_rolls_1.png`` ... (twelve styles each): for every style that
arranges (in the others the composer writes every part), the first
four bars of its first chorus (else its first section) from ``plan(<style's first word>, 60 s,
seed 0)`` arranged with seed 0: bass, accompaniment and inner parts as bars at their pitch
(colour by role), the drum kit below them (one lane per kit piece). The melody is the
composer's and is not drawn.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from partita.symbolic.arranger.arrange import arrange  # noqa: E402
from partita.symbolic.arranger.library import DRUM_KEYS, styles  # noqa: E402
from partita.symbolic.composer.planner import plan  # noqa: E402

HERE = Path(__file__).resolve().parent
COLOURS = {"bass": "#1f4e9c", "accompaniment": "#d1495b", "inner": "#2e933c", "percussion": "#444444"}
LANES = {key: i for i, key in enumerate(sorted(set(DRUM_KEYS.values())))}


def draw(ax, name: str) -> None:
    s = styles()[name]
    p = plan(s.words[0], duration_s=60, seed=0)
    parts = arrange(p, seed=0)
    start_bar = 0
    k = 0
    for sec in p.sections:
        if sec.name == "chorus":
            start_bar = k
            break
        k += sec.bars
    a, b = start_bar * p.bar_ql, (start_bar + 4) * p.bar_ql
    roles = {x.id: x.role for x in p.instrumentation}
    low = 30
    for pid, part in parts.items():
        for n in part.notes:
            if not a <= n.onset < b:
                continue
            x = float(n.onset - a)
            if roles[pid] == "percussion":
                y = low - 3 - 1.2 * LANES.get(n.pitch, 0)
                ax.plot([x], [y], "o", ms=2.2, color=COLOURS["percussion"])
            else:
                ax.broken_barh([(x, float(n.duration) * 0.95)], (n.pitch - 0.4, 0.8), color=COLOURS[roles[pid]])
    for bar in range(5):
        ax.axvline(bar * float(p.bar_ql), color="#bbbbbb", lw=0.6)
    chords = p.bar_chords()[start_bar:start_bar + 4]
    for i, c in enumerate(chords):
        ax.text(i * float(p.bar_ql) + 0.1, 86, c, fontsize=7)
    ax.set_title(f"{name} ({p.meter[0]}/{p.meter[1]}{', swing' if s.swing else ''})", fontsize=8)
    ax.set_ylim(low - 3 - 1.2 * len(LANES), 90)
    ax.set_xlim(0, 4 * float(p.bar_ql))
    ax.set_yticks([])
    ax.tick_params(labelsize=6)


def main() -> None:
    names = sorted(n for n, s in styles().items() if s.arrange)  # the others: the composer writes every part
    for page in range(0, len(names), 12):
        group = names[page:page + 12]
        fig, axes = plt.subplots(4, 3, figsize=(12, 11))
        for ax, name in zip(axes.flat, group):
            draw(ax, name)
        for ax in list(axes.flat)[len(group):]:
            ax.axis("off")
        handles = [plt.Line2D([], [], color=c, lw=4, label=r) for r, c in COLOURS.items()]
        fig.legend(handles=handles, loc="lower center", ncol=4, fontsize=8)
        fig.suptitle("partita's arranger: four bars of a chorus per style (x: quarter notes; y: pitch, drums below)", fontsize=10)
        fig.tight_layout(rect=(0, 0.03, 1, 0.97))
        fig.savefig(HERE / f"arranger_rolls_{page // 12 + 1}.png", dpi=90)
        plt.close(fig)


if __name__ == "__main__":
    main()
