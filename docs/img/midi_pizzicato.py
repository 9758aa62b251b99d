"""Regenerate the pizzicato-through-MIDI figure of docs/formats.md.

Usage::

    .venv/bin/python docs/img/midi_pizzicato.py

writes ``docs/img/midi_pizzicato.png``: a violin phrase of eleven one-beat notes at 100 bpm,
bowed, then a pizzicato run, bowed again, one pizzicato note and a last bowed one, written as
MIDI by partita and played by fluidsynth through FluidR3_GM (reverb and chorus off). Top: the
spectrogram of the render, with the program changes as mido reads them from the file (40 Violin,
45 Pizzicato Strings). Bottom: the level in 20 ms frames, pizzicato notes shaded.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import mido  # noqa: E402
import numpy as np  # noqa: E402
from scipy.signal import spectrogram  # noqa: E402

from partita.render.drum_samples import _fluidsynth  # noqa: E402
from partita.symbolic.io.midi import score_to_bytes  # noqa: E402
from partita.symbolic.score import Note, Part, Score  # noqa: E402
from partita.symbolic.timeline import TempoMap, TempoMark  # noqa: E402

HERE = Path(__file__).resolve().parent
SR = 48000
SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
PATTERN = "aappppaaapa"  # a: bowed, p: pizzicato
BPM = 100.0


def main() -> None:
    notes = tuple(Note(i, 1, 67 + 2 * (i % 4), velocity=90, articulations=frozenset({"pizzicato"}) if c == "p" else frozenset())
                  for i, c in enumerate(PATTERN))  # fmt: skip
    score = Score(parts=(Part("vn", "Violin", "violin", notes=notes),), tempo_map=TempoMap((TempoMark(0, BPM),)))
    mid = mido.MidiFile(file=io.BytesIO(score_to_bytes(score)))
    changes, now = [], 0
    for msg in mid.tracks[1]:
        now += msg.time
        if msg.type == "program_change":
            changes.append((now / mid.ticks_per_beat * 60 / BPM, msg.program))
    with tempfile.TemporaryDirectory() as tmp:
        audio = _fluidsynth(SOUNDFONT, mid, Path(tmp) / "pizz", SR).mean(axis=1)
    audio = audio[: int((len(PATTERN) + 1) * 60 / BPM * SR)]
    beat = 60 / BPM

    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(10, 6), sharex=True, height_ratios=[3, 2])
    f, t, sxx = spectrogram(audio, fs=SR, nperseg=2048, noverlap=1024)
    ax1.pcolormesh(t, f, 10 * np.log10(sxx + 1e-12), shading="auto", cmap="magma", vmin=-120, vmax=-40)
    ax1.set_ylim(0, 6000)
    ax1.set_ylabel("Hz")
    for when, program in changes:
        ax1.axvline(when, color="cyan", lw=1)
        ax1.text(when + 0.02, 5600, f"program {program}", color="cyan", fontsize=8)
    ax1.set_title("A violin part written as MIDI by partita, played by fluidsynth (FluidR3_GM)")
    hop = int(0.01 * SR)
    frames = np.arange(0, len(audio) - 2 * hop, hop)
    level = [10 * np.log10(np.mean(audio[i : i + 2 * hop].astype(np.float64) ** 2) + 1e-20) for i in frames]
    ax2.plot(frames / SR, level, color="black", lw=1)
    for i, c in enumerate(PATTERN):
        if c == "p":
            ax2.axvspan(i * beat, (i + 1) * beat, color="orange", alpha=0.3, lw=0)
    ax2.set_ylim(max(min(level), -110), max(level) + 5)
    ax2.set_ylabel("level, dB (20 ms)")
    ax2.set_xlabel("seconds (pizzicato notes shaded)")
    fig.tight_layout()
    fig.savefig(HERE / "midi_pizzicato.png", dpi=80)


if __name__ == "__main__":
    main()
