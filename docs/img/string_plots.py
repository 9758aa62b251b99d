"""Spectrograms of a piano chord, a guitar strum and a violin pizzicato double stop, and of a
marimba chord, a tubular bell and a timpani note (the modal models): the soundfont (FluidR3_GM;
MuseScore_General's Violins Pizzicato for the pizzicato), the trained string model, the designed
timbre (``docs/neural_renderers.md``).

Usage::

    .venv/bin/python docs/img/string_plots.py

writes ``docs/img/string_spectrograms.png`` and ``bars_spectrograms.png``. The soundfont plays the notes through fluidsynth
(reverb and chorus off); the string model and the designed timbre render the same notes as a
score through partita's render path (the performer's timing, its strum of 12 ms a string, and its
dynamics, mf). Each panel is in dB relative to its own maximum, so the levels' conventions do not
matter, only the spectra and their decay.
"""

from __future__ import annotations

from fractions import Fraction as F
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SF2 = "/usr/share/sounds/sf2/FluidR3_GM.sf2"
MSG = "/usr/share/sounds/sf3/MuseScore_General.sf3"
SR = 48000
CASES = [  # title, instrument, (soundfont, bank, program) as the shipped model's, pitches, strum (s a string), technique
    ("Piano chord C3 E3 G3 C4 E4", "piano", (SF2, 0, 0), (48, 52, 55, 60, 64), 0.0, None),
    ("Guitar strum, E major (steel-string)", "acoustic_guitar", (SF2, 0, 25), (40, 47, 52, 56, 59, 64), 0.012, None),
    ("Violin pizzicato, G4 D5", "violin", (MSG, 20, 45), (67, 74), 0.0, "pizzicato"),
]
BARS = [
    ("Marimba chord C4 E4 G4", "marimba", (SF2, 0, 12), (60, 64, 67), 0.0, None),
    ("Tubular bell C5", "tubular_bells", (SF2, 0, 14), (72,), 0.0, None),
    ("Timpani G2", "timpani", (SF2, 0, 47), (43,), 0.0, None),
]
HOLD_S, SHOW_S = 2.0, 2.6


def soundfont(source: tuple[str, int, int], pitches, strum: float) -> np.ndarray:
    from partita.render.dataset import open_soundfont
    from partita.render.strings_fit import render_notes

    path, bank, program = source
    fs, _ = open_soundfont(path, program, bank)
    try:
        return render_notes(fs, [[(p, 80, i * strum) for i, p in enumerate(sorted(pitches))]], hold_s=HOLD_S, tail_s=SHOW_S - HOLD_S)[0]
    finally:
        fs.delete()


def partita_render(instrument: str, pitches, designed: bool, technique: str | None = None) -> np.ndarray:
    from partita.render.settings import RenderSettings
    from partita.render.stems import render_part
    from partita.render.timbres import timbre_for
    from partita.symbolic.dynamics import Dynamic
    from partita.symbolic.score import Note, Part, Score

    from partita.render.techniques import TECHNIQUES, TechniqueDecoder
    from partita.render.timbres import TIMBRES

    arts = frozenset({technique}) if technique else frozenset()
    part = Part("p", instrument, instrument, notes=tuple(Note(F(0), F(4), p, articulations=arts) for p in pitches),
                dynamics=(Dynamic(0, "mf"),))  # fmt: skip
    decoder = None
    if designed:
        decoder = timbre_for(instrument)
        if technique:  # the designed fallback of the technique (render/techniques.py)
            decoder = TechniqueDecoder(decoder, ((technique, TIMBRES[TECHNIQUES[technique]]),))
    a = render_part(part, Score(parts=(part,)), RenderSettings(sample_rate=SR), decoder=decoder)[0]
    n = int(SHOW_S * SR)
    return np.pad(a.astype(np.float64), (0, max(0, n - len(a))))[:n]


def figure(cases, name: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from scipy.signal import stft

    fig, axes = plt.subplots(len(cases), 3, figsize=(13, 10), sharey=True)
    for row, (title, inst, source, pitches, strum, technique) in enumerate(cases):
        sigs = [(f"{Path(source[0]).stem} (fluidsynth)", soundfont(source, pitches, strum)),
                ("trained string model", partita_render(inst, pitches, designed=False, technique=technique)),
                ("designed timbre", partita_render(inst, pitches, designed=True, technique=technique))]  # fmt: skip
        for col, (label, x) in enumerate(sigs):
            f, t, z = stft(x, fs=SR, nperseg=2048, noverlap=2048 - 240)
            db = 20 * np.log10(np.abs(z) + 1e-9)
            db -= db.max()
            ax = axes[row, col]
            ax.pcolormesh(t, f / 1000, db, vmin=-90, vmax=0, shading="auto", cmap="magma")
            ax.set_ylim(0, 8)
            ax.set_title(f"{title}\n{label}", fontsize=9)
            if col == 0:
                ax.set_ylabel("kHz")
            if row == len(cases) - 1:
                ax.set_xlabel("s")
    fig.tight_layout()
    fig.savefig(HERE / name, dpi=72)


def main() -> None:
    figure(CASES, "string_spectrograms.png")
    figure(BARS, "bars_spectrograms.png")


if __name__ == "__main__":
    main()
