"""Regenerate the tremolo figure of docs/neural_renderers.md.

Usage::

    .venv/bin/python docs/img/tremolo_plots.py

writes ``docs/img/tremolo_spectrograms.png``: the first held-out ``repeated`` item of
``benchmarks/bench_tremolo.py`` for the violin (FluidR3_GM's violin re-struck in
thirty-seconds, drawn from the benchmark's seed), as fluidsynth plays it (top) and as the shipped
violin decoder re-synthesises it from its measured controls (middle), with the two level curves
(bottom): the 85 ms RMS level the decoder is driven by, and the same audio's level over 10 ms.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from scipy.signal import spectrogram  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "benchmarks"))

import bench_neural  # noqa: E402
import bench_tremolo  # noqa: E402

from partita.render import dataset  # noqa: E402
from partita.render.neural_infer import shipped_decoder  # noqa: E402
from partita.render.training_io import soundfont_target  # noqa: E402


def main() -> None:
    program, midi_range = soundfont_target("violin", None, default_range=(48, 84))
    items = bench_tremolo.repeated_tremolo(program, midi_range, 1, np.random.default_rng([bench_tremolo.SEED, program]))
    data = dataset.build_dataset(items, val_every=1, skip_unpitched=True)
    f0, loud = data["f0_hz"], data["loudness_db"]
    y = bench_neural._render(shipped_decoder("violin"), f0, loud)
    ref = items[0].audio[: y.size].astype(np.float64)
    fig, ax = plt.subplots(3, 1, figsize=(9, 7.5), sharex=True, gridspec_kw={"height_ratios": [3, 3, 2]})
    for a, x, title in ((ax[0], ref, "FluidR3_GM violin, re-struck thirty-seconds (fluidsynth)"),
                        (ax[1], y, "the shipped violin decoder, from the measured f0 and 85 ms level")):  # fmt: skip
        f, t, s = spectrogram(x, fs=48000, nperseg=1024, noverlap=896)
        a.pcolormesh(t, f, 10 * np.log10(s + 1e-14), vmin=-130, vmax=-50, cmap="magma", shading="auto")
        a.set_ylim(0, 8000)
        a.set_ylabel("Hz")
        a.set_title(title, fontsize=10)
    short = np.sqrt(np.convolve(ref * ref, np.ones(480) / 480, "same"))[::192]
    tt = np.arange(loud.size) / 250.0
    ax[2].plot(tt, loud, label="85 ms RMS level (the decoder's input)")
    ax[2].plot(tt[: short.size], 20 * np.log10(short[: tt.size] + 1e-9), lw=0.8, label="10 ms RMS level")
    ax[2].set_ylim(loud.max() - 30, loud.max() + 6)
    ax[2].set_ylabel("dB")
    ax[2].set_xlabel("seconds")
    ax[2].legend(fontsize=8, loc="lower center")
    fig.tight_layout()
    fig.savefig(HERE / "tremolo_spectrograms.png", dpi=80)


if __name__ == "__main__":
    main()
