"""Regenerate the drum figure of docs/render.md: one groove, three renders.

Usage::

    .venv/bin/python docs/img/drum_plots.py

writes ``docs/img/render_drums.png``: spectrograms of a two-bar rock groove (kick, snare, hi-hat
with an open hat choked by the next closed one, a crash, a tom fill) as the source soundfont
plays it through fluidsynth (the same hits, velocities and times, as a MIDI file), as partita's
drum sampler plays it (the kit built from that soundfont, stereo summed to mono, with
``humanize=1``), and as the designed (synthesized) kit plays it.
"""

from __future__ import annotations

from fractions import Fraction as F
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from scipy.signal import spectrogram  # noqa: E402

from partita.render.drum_samples import default_soundfont, fluidsynth_drums  # noqa: E402
from partita.render.drum_sampler import render_drums  # noqa: E402
from partita.render.settings import RenderSettings  # noqa: E402
from partita.symbolic.score import Note, Part, Score  # noqa: E402
from partita.symbolic.timeline import TempoMap, TempoMark  # noqa: E402

HERE = Path(__file__).resolve().parent
SR = 48000


def groove() -> Score:
    notes = [Note(F(0), F(1, 2), 49, velocity=112, voice=2)]
    for e in range(16):
        q = F(e, 2)
        last_fill = e >= 12
        if not last_fill:
            notes.append(Note(q, F(1, 2), 46 if e == 7 else 42, velocity=92 if e % 2 == 0 else 58))
        if e % 8 in (0, 3, 5) and not last_fill:
            notes.append(Note(q, F(1, 2), 36, velocity=108))
        if e % 4 == 2 and not last_fill:
            notes.append(Note(q, F(1, 2), 38, velocity=104 if e != 10 else 80))
    for i, k in enumerate((50, 48, 45, 43)):
        notes.append(Note(F(6) + F(i, 2), F(1, 2), k, velocity=96 + 6 * i))
    notes.append(Note(F(8), F(1, 2), 49, velocity=120, voice=2))
    notes.append(Note(F(8), F(1, 2), 36, velocity=115))
    part = Part("dr", "Drums", "drum_kit", notes=tuple(sorted(notes, key=lambda n: (n.onset, n.pitch))))
    return Score(parts=(part,), tempo_map=TempoMap((TempoMark(F(0), 104.0),)))


def fluidsynth_render(score: Score, soundfont: Path, n: int) -> np.ndarray:
    return fluidsynth_drums(score.parts[0], score, soundfont, sample_rate=SR, n_samples=n)


def _spec(ax, audio: np.ndarray, title: str) -> None:
    f, t, s = spectrogram(audio, fs=SR, nperseg=1024, noverlap=768)
    ax.pcolormesh(t, f / 1000.0, 10 * np.log10(s + 1e-12), vmin=-130, vmax=-40, shading="auto", cmap="magma")
    ax.set_yscale("symlog", linthresh=1.0)
    ax.set_ylim(0.03, 20)
    ax.set_title(title, fontsize=9)
    ax.set_xlabel("s")


def main() -> None:
    score = groove()
    part = score.parts[0]
    n = int((score.duration_seconds + 2.0) * SR)
    sfont = default_soundfont()
    ref = fluidsynth_render(score, sfont, n)
    sampled = render_drums(part, score, RenderSettings(sample_rate=SR, seed=1, humanize=1.0), n_samples=n).mean(axis=0)
    designed = render_drums(part, score, RenderSettings(sample_rate=SR, seed=1, drums="designed"), n_samples=n).mean(axis=0)
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6), sharey=True)
    _spec(axes[0], ref, f"fluidsynth + {sfont.name}")
    _spec(axes[1], sampled, "partita drum sampler (that kit, humanize 1)")
    _spec(axes[2], designed, "partita designed kit")
    axes[0].set_ylabel("kHz")
    fig.tight_layout()
    fig.savefig(HERE / "render_drums.png", dpi=100)
    plt.close(fig)


if __name__ == "__main__":
    main()
