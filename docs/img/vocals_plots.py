"""Regenerate the figure of docs/vocals.md.

Usage::

    .venv/bin/python docs/img/vocals_plots.py

writes ``docs/img/vocals_phrase.png``: a tenor and a soprano singing "Hallelujah, sing a
song tonight", spectrograms with Praat's formant tracks (praat-parselmouth) and the phonemes
the performer placed, the notated onsets as dashed lines.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "tests"))

import praat_reference as pr  # noqa: E402

from partita.render.settings import RenderSettings
from partita.render.singing import phoneme_timeline  # noqa: E402
from partita.render.stems import render_part  # noqa: E402
from partita.symbolic.score import Note, Part, Score
from partita.symbolic.timeline import TempoMap, TempoMark  # noqa: E402

SR = 16000
WORDS = ["Hal-", "-le-", "-lu-", "-jah,", "sing", "a", "song", "to-", "-night"]


def main() -> None:
    fig, axes = plt.subplots(2, 1, figsize=(12, 8), sharex=True)
    for ax, (inst, base) in zip(axes, (("tenor", 55), ("soprano", 67))):
        notes, t = [], 1
        for i, w in enumerate(WORDS):
            notes.append(Note(t, 2 if i in (3, 8) else 1, base + (0, 2, 4, 2, 5, 4, 2, 0, 0)[i], lyric=w))
            t += 3 if i == 3 else (2 if i == 8 else 1)
        p = Part("v", inst.title(), inst, notes=tuple(notes))
        score = Score(parts=(p,), tempo_map=TempoMap((TempoMark(0, 90.0),)))
        audio = render_part(p, score, RenderSettings(sample_rate=SR))[0]
        snd = pr.sound(audio, SR)
        spec = snd.to_spectrogram(window_length=0.03, maximum_frequency=6000)
        db = 10 * np.log10(np.maximum(spec.values, 1e-14))
        ax.pcolormesh(spec.xs(), spec.ys(), db, vmin=db.max() - 70, cmap="magma", shading="auto")
        ts, f1, f2, f3 = pr.formant_tracks(audio, SR, voice=inst)
        for track, colour, name in ((f1, "cyan", "F1"), (f2, "lime", "F2"), (f3, "white", "F3")):
            ax.plot(ts, track, ".", ms=2, color=colour, label=f"{name} (Praat)")
        for label, a, b in phoneme_timeline(p, score):
            ax.axvspan(a, b, ymin=0.93, ymax=1.0, color="w", alpha=0.15)
            ax.text((a + b) / 2, 5750, label.split(":")[0] if not label.endswith("closure") else "", ha="center",
                    va="center", fontsize=7, color="w")
        for n in notes:
            ax.axvline(score.tempo_map.seconds_at(n.onset), color="w", ls="--", lw=0.6, alpha=0.6)
        ax.set_ylim(0, 6000)
        ax.set_ylabel(f"{inst}\nHz")
    axes[0].legend(loc="upper right", markerscale=4, fontsize=8)
    axes[-1].set_xlabel("seconds (dashed: notated onsets)")
    fig.suptitle('"Hal-le-lu-jah, sing a song to-night": phonemes placed, formant tracks by Praat')
    plt.tight_layout()
    fig.savefig(HERE / "vocals_phrase.png", dpi=90)


if __name__ == "__main__":
    main()
