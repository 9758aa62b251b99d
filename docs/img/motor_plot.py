"""docs/img/vibraphone_motor.png: a held-out vibraphone note's level while held, FluidR3_GM's
against the shipped modal model with its motor and without it (the model before session 19);
docs/img/timpani_wash.png: spectrograms of a held-out timpani note, FluidR3_GM's, the shipped
model's with its wash, and without it (its ``wash_db`` table removed: the model before session 19).

    .venv/bin/python docs/img/motor_plot.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_motor import level_5ms  # noqa: E402
from bench_string_models import level_250  # noqa: E402

from partita.render.dataset import open_soundfont  # noqa: E402
from partita.render.strings import StringModel  # noqa: E402
from partita.render.strings_fit import render_notes  # noqa: E402
from partita.render.strings_motor import held_level  # noqa: E402

PITCH, VELOCITY = 66, 95  # a held-out note of bench_string_models (one above the fitted grid)


def main() -> None:
    model = StringModel.from_file(ROOT / "instruments" / "weights" / "vibraphone.safetensors")
    plain = StringModel(config={k: v for k, v in model.config.items() if k != "motor"}, arrays=model.arrays)
    fs, _ = open_soundfont("/usr/share/sounds/sf2/FluidR3_GM.sf2", 11)
    try:
        ref = render_notes(fs, [[(PITCH, VELOCITY, 0.0)]], hold_s=2.0, tail_s=1.0)[0]
    finally:
        fs.delete()
    kw = dict(f0_hz=440.0 * 2 ** ((PITCH - 69) / 12), velocity=VELOCITY, level_db=float(level_250(ref)[:15].max()),
              on_s=0.0, off_s=2.0, sample_rate=48000, seed=7, n_samples=len(ref))  # fmt: skip
    t = held_level(ref, off_s=2.0)[0]
    plt.figure(figsize=(9, 4))
    for label, x in (("FluidR3_GM vibraphone", ref), ("model, with its motor", model.note(**kw)),
                     ("model without the motor (before session 19)", plain.note(**kw))):  # fmt: skip
        plt.plot(t, level_5ms(x, 2.0), label=label)
    plt.xlabel("seconds from the onset")
    plt.ylabel("level, dB (20 ms windows)")
    plt.title("Vibraphone F#4, velocity 95 (held out of the fit): the level while held")
    plt.legend()
    plt.tight_layout()
    plt.savefig(Path(__file__).with_name("vibraphone_motor.png"), dpi=80)
    plt.close()
    timpani_figure()


def timpani_figure() -> None:
    model = StringModel.from_file(ROOT / "instruments" / "weights" / "timpani.safetensors")
    before = StringModel(config={k: v for k, v in model.config.items() if k != "wash_decay_db_s"},
                         arrays={k: v for k, v in model.arrays.items() if k != "wash_db"})  # fmt: skip
    fs, _ = open_soundfont("/usr/share/sounds/sf2/FluidR3_GM.sf2", 47)
    try:
        ref = render_notes(fs, [[(46, 95, 0.0)]], hold_s=2.0, tail_s=1.0)[0]
    finally:
        fs.delete()
    kw = dict(f0_hz=440.0 * 2 ** ((46 - 69) / 12), velocity=95, level_db=float(level_250(ref)[:15].max()),
              on_s=0.0, off_s=2.0, sample_rate=48000, seed=7, n_samples=len(ref))  # fmt: skip
    fig, axes = plt.subplots(1, 3, figsize=(15, 4), sharey=True)
    for ax, x, title in ((axes[0], ref, "FluidR3_GM timpani B-flat 2, velocity 95 (held out)"),
                         (axes[1], model.note(**kw), "modal model with its wash"),
                         (axes[2], before.note(**kw), "without the wash (before session 19)")):  # fmt: skip
        ax.specgram(x + 1e-9, NFFT=2048, Fs=48000, noverlap=1536, vmin=-140, vmax=-30, cmap="magma")
        ax.set_ylim(0, 8000)
        ax.set_title(title)
        ax.set_xlabel("seconds")
    axes[0].set_ylabel("Hz")
    fig.tight_layout()
    fig.savefig(Path(__file__).with_name("timpani_wash.png"), dpi=60)


if __name__ == "__main__":
    main()
