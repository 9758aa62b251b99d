"""Regenerate the figures of docs/render.md.

Usage::

    .venv/bin/python docs/img/render_plots.py

writes ``docs/img/render_curves.png``, ``render_spectrograms.png``, ``render_brass.png`` and
``render_locality.png``.
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction as F
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from scipy.signal import spectrogram  # noqa: E402

from partita.render.performance import perform_part  # noqa: E402
from partita.render.settings import RenderSettings
from partita.render.stems import render_part  # noqa: E402
from partita.symbolic.dynamics import Dynamic, Hairpin
from partita.symbolic.score import Note, Part, Score
from partita.symbolic.timeline import TempoMap, TempoMark  # noqa: E402

HERE = Path(__file__).resolve().parent
SR = 48000


def violin_phrase() -> Score:
    slur = ("start", "continue", "continue", "stop")
    notes = [Note(F(i), F(1), p, slur=s) for i, (p, s) in enumerate(zip((67, 69, 71, 74), slur))]
    notes += [Note(F(4), F(1, 2), 76, articulations=frozenset({"staccato"})),
              Note(F(9, 2), F(1, 2), 74, articulations=frozenset({"accent"})),
              Note(F(5), F(3), 72, articulations=frozenset({"fermata"}))]  # fmt: skip
    part = Part("vn", "Violin", "violin", notes=tuple(notes), dynamics=(Dynamic(0, "p"), Dynamic(4, "f")),
                hairpins=(Hairpin(0, 4, "crescendo"),))  # fmt: skip
    return Score(parts=(part,), tempo_map=TempoMap((TempoMark(0, 90),)))


def plot_curves() -> None:
    score = violin_phrase()
    curves = perform_part(score.parts[0], score)
    fig, axes = plt.subplots(4, 1, figsize=(9, 7.5), sharex=True)
    for c in curves:
        t = c.start_s + np.arange(c.n_frames) / c.frame_rate
        axes[0].plot(t, 69 + 12 * np.log2(c.f0_hz / 440.0))
        axes[1].plot(t, np.maximum(c.loudness_db, -70))
        axes[2].plot(t, c.brightness)
        axes[3].plot(t, c.noise)
    axes[0].set_ylabel("pitch (MIDI)")
    axes[1].set_ylabel("loudness (dB)")
    axes[2].set_ylabel("brightness")
    axes[3].set_ylabel("noise")
    axes[3].set_xlabel("seconds")
    axes[0].set_title("Violin: slurred G-A-B-D (p < f), staccato E, accented D, C with fermata; one colour per phrase")
    fig.tight_layout()
    fig.savefig(HERE / "render_curves.png", dpi=110)
    plt.close(fig)


def _spec(ax, audio, title, fmax=8000):
    f, t, s = spectrogram(audio, fs=SR, nperseg=2048, noverlap=1536, window="hann")
    keep = f <= fmax
    ax.pcolormesh(t, f[keep], 10 * np.log10(s[keep] + 1e-12), shading="auto", vmin=-120, vmax=-40, cmap="magma")
    ax.set_title(title, fontsize=9)
    ax.set_ylabel("Hz")


def plot_spectrograms() -> None:
    tm = TempoMap((TempoMark(0, 90),))
    cases = [
        ("violin", violin_phrase().parts[0].notes, "violin (bowed: bow noise, vibrato, glides in the slur)"),
        ("clarinet", tuple(Note(F(2 * i), F(2), p) for i, p in enumerate((50, 57, 62, 69))), "clarinet (odd harmonics low)"),
        ("soprano", tuple(Note(F(2 * i), F(2), p, slur=s) for i, (p, s) in enumerate(zip((67, 72, 76, 72), ("start", "continue", "continue", "stop")))),
         "soprano (vowel formants, wide vibrato)"),
        ("harp", tuple(Note(F(i, 2), F(1, 2), p) for i, p in enumerate((55, 59, 62, 67, 71, 74, 79, 83))), "harp (plucked: decays, brightness falls)"),
        ("drum_kit", tuple(Note(F(i, 2), F(1, 2), k) for i, k in enumerate((36, 42, 38, 42, 36, 46, 38, 49))), "drum kit (kick, hats, snare, crash)"),
    ]  # fmt: skip
    fig, axes = plt.subplots(len(cases), 1, figsize=(9, 11))
    for ax, (inst, notes, title) in zip(axes, cases):
        part = Part("x", inst, inst, notes=tuple(notes), dynamics=(Dynamic(0, "f"),))
        score = Score(parts=(part,), tempo_map=tm)
        audio = render_part(part, score, RenderSettings(sample_rate=SR))[0]
        _spec(ax, audio, title, fmax=12000 if inst == "drum_kit" else 8000)
    axes[-1].set_xlabel("seconds")
    fig.tight_layout()
    fig.savefig(HERE / "render_spectrograms.png", dpi=100)
    plt.close(fig)


def plot_brass() -> None:
    notes = tuple(Note(F(2 * i), F(2), 60) for i in range(5))
    dyn = tuple(Dynamic(F(2 * i), m) for i, m in enumerate(("pp", "p", "mf", "f", "ff")))
    part = Part("tp", "Trumpet", "trumpet", notes=notes, dynamics=dyn)
    score = Score(parts=(part,), tempo_map=TempoMap((TempoMark(0, 120),)))
    audio = render_part(part, score, RenderSettings(sample_rate=SR))[0]
    fig, ax = plt.subplots(1, 1, figsize=(9, 3.2))
    _spec(ax, audio, "trumpet C4 at pp, p, mf, f, ff: level and brightness grow together", fmax=10000)
    ax.set_xlabel("seconds")
    fig.tight_layout()
    fig.savefig(HERE / "render_brass.png", dpi=100)
    plt.close(fig)


def plot_locality() -> None:
    score = violin_phrase()
    part = score.parts[0]
    notes = list(part.notes)
    notes[4] = dataclasses.replace(notes[4], pitch=77)  # the staccato E becomes F
    edited = score.with_part_notes("vn", notes)
    settings = RenderSettings(sample_rate=SR)
    a = render_part(part, score, settings)[0]
    b = render_part(edited.parts[0], edited, settings)[0]
    n = max(a.size, b.size)
    a, b = np.pad(a, (0, n - a.size)), np.pad(b, (0, n - b.size))
    t = np.arange(n) / SR
    fig, axes = plt.subplots(2, 1, figsize=(9, 4), sharex=True)
    axes[0].plot(t, a, lw=0.4)
    axes[0].set_title("violin stem; then the staccato E edited to F: samples that changed", fontsize=9)
    changed = a != b
    axes[1].plot(t, np.abs(a - b), lw=0.4, color="C3")
    lo, hi = t[changed].min(), t[changed].max()
    for ax in axes:
        ax.axvspan(lo, hi, color="C1", alpha=0.15)
    axes[1].set_xlabel(f"seconds (changed: {lo:.3f}-{hi:.3f} s, {changed.sum()} of {n} samples; all others bit-identical)")
    fig.tight_layout()
    fig.savefig(HERE / "render_locality.png", dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    plot_curves()
    plot_spectrograms()
    plot_brass()
    plot_locality()
    print("wrote", *sorted(p.name for p in HERE.glob("render_*.png")))
