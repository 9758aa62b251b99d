"""The line priors' fitting curves (docs/composer.md): what the composer's training loss curve is
to its weights, these are to ``symbolic/composer/priors.json``.

    .venv/bin/python docs/img/composer_calibration.py

writes ``docs/img/composer_calibration.png``: per genre, the total-variation distance between the
composed and the reference histograms (top line's melodic intervals, its scale degrees in major,
its register, its note lengths and the rests before its notes; the bass's intervals and rests,
and whether the bass and the inner parts strike where they are free at the others' onsets, where
the model writes several parts) after each fitting round, read
from the rounds recorded in ``priors.json`` (round 0: no prior), every stage of a resumed fit in
turn (a dashed line where a ``--resume`` stage starts from the earlier stage's kept tables).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

HERE = Path(__file__).resolve().parent
PRIORS = HERE.parent.parent / "symbolic" / "composer" / "priors.json"
CURVES = (("interval melody", "top line: intervals"), ("degree melody major", "top line: degrees (major)"),
          ("register melody", "top line: register"), ("duration melody", "top line: note lengths"),
          ("rest melody", "top line: rests"), ("interval bass", "bass: intervals"), ("rest bass", "bass: rests"),
          ("strike bass", "bass: silent or striking where free"), ("strike inner", "inner parts: silent or striking"))  # fmt: skip


def main() -> int:
    genres = json.loads(PRIORS.read_text())["genres"]
    fig, axes = plt.subplots(1, len(genres), figsize=(3.2 * len(genres), 3.0), sharey=True)
    for ax, (name, g) in zip(axes, sorted(genres.items())):
        stages = [*g.get("earlier_rounds", []), g["rounds"]]  # a --resume fit keeps its earlier stages
        rounds = [r for stage in stages for r in stage]
        for edge in np.cumsum([len(st) for st in stages])[:-1]:
            ax.axvline(edge - 0.5, color="grey", lw=0.8, ls="--")
        for i, (key, label) in enumerate(CURVES):
            ys = [r["tv"].get(key, np.nan) for r in rounds]  # a table a later stage added starts there
            if not np.isnan(ys).all():
                ax.plot(range(len(ys)), ys, marker="o", ms=3, label=label, color=f"C{i}")  # one colour per curve in every panel
        fitted = "register fitted" if "melody" in g.get("register_fitted", []) else "register not fitted (out of the instrument's reach)"
        ax.set_title(f"{name}\n({fitted})", fontsize=8)
        ax.set_xlabel("round (0: no prior; dashed: a resumed stage)", fontsize=7)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("total variation to the reference", fontsize=7)
    for ax in axes:
        ax.legend(fontsize=5)
    fig.tight_layout()
    fig.savefig(HERE / "composer_calibration.png", dpi=110)
    print(f"wrote {HERE / 'composer_calibration.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
