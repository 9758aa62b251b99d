"""Plot the training curves of the shipped neural decoders (from their checkpoints' headers).

Usage::

    .venv/bin/python benchmarks/plot_neural_curves.py

reads ``data/neural/NAME/checkpoint.safetensors`` for every instrument in
``instruments/weights/manifest.json`` and writes ``docs/img/neural_loss_curves.png``.
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from partita.render.neural_infer import load_weights

    manifest = json.loads((ROOT / "instruments/weights/manifest.json").read_text())
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for name in sorted(manifest):
        ckpt = ROOT / "data/neural" / name / "checkpoint.safetensors"
        if not ckpt.exists():
            continue
        curve = load_weights(ckpt).header["training"]["curve"]
        ax.plot([c[1] / 60 for c in curve], [c[3] for c in curve], marker=".", label=name)
    ax.set_xlabel("training time (min, one CPU thread)")
    ax.set_ylabel("validation regression loss (held-out notes)")
    ax.set_title("Neural decoders: validation loss while training (spectral stage in the last 20 %)")
    ax.legend(ncol=3, fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(ROOT / "docs/img/neural_loss_curves.png", dpi=110)


if __name__ == "__main__":
    main()
