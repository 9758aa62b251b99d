"""Pictures of style profiles: the mean distributions of one or more profiles side by side.

Needs matplotlib (the ``dev`` extra); ``partita profile --plot`` and
``benchmarks/plot_profiles.py`` call it.
"""

from __future__ import annotations

import os
from typing import Any, Sequence

from partita.errors import ConfigError

__all__ = ["plot_profiles"]

_PANELS = (("pitch_class", "pitch classes (scale degree from the tonic)"), ("interval", "melodic intervals (semitones)"),
           ("ioi", "inter-onset intervals (quarter notes)"), ("metric_position", "onset position in the bar (sixteenths of the bar)"),
           ("contour", "contour 3-grams (down/same/up)"), ("cadence", "cadences"))  # fmt: skip


def plot_profiles(profiles: Sequence[Any], path: str | os.PathLike[str], *, title: str = "") -> None:
    """Draw each profile's mean distributions (bars, one colour per profile) into a PNG."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ConfigError("plots need matplotlib (pip install matplotlib)") from None
    import numpy as np

    from partita._fileio import atomic_path

    fig, axes = plt.subplots(len(_PANELS), 1, figsize=(11, 2.4 * len(_PANELS)))
    width = 0.8 / max(1, len(profiles))
    for ax, (key, label) in zip(axes, _PANELS):
        labels = None
        for i, prof in enumerate(profiles):
            entry = prof.summary.get(key)
            if not entry:
                continue
            labels = entry.get("labels", labels)
            x = np.arange(len(entry["mean"]))
            ax.bar(x + i * width - 0.4 + width / 2, entry["mean"], width, label=prof.label or f"profile {i + 1}")
        if labels:
            ax.set_xticks(np.arange(len(labels)))
            ax.set_xticklabels(labels, rotation=90 if len(labels) > 16 else 0, fontsize=7)
        ax.set_title(label, fontsize=9)
        ax.set_ylabel("share", fontsize=8)
    axes[0].legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=90)
    plt.close(fig)
