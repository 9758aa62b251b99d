"""The drum kit: General MIDI percussion keys 35-81 synthesized from sine sweeps and shaped noise.

Every hit is rendered on its own from a seed derived from (seed, part id, onset, key) and added
into the stem at its onset, so one edited hit changes only its own samples.

| keys | sound | made of |
| --- | --- | --- |
| 35, 36 | bass drum | sine sweep 150 -> 48 Hz, a click of noise |
| 37, 38, 39, 40 | side stick, snare, clap, electric snare | two damped sines + band-passed noise |
| 41, 43, 45, 47, 48, 50 | toms, low to high | sine sweep to the tom's pitch |
| 42, 44, 46 | closed, pedal, open hi-hat | high-passed noise, short to long |
| 49, 52, 55, 57 | crash, china, splash cymbals | high-passed noise, long decay |
| 51, 53, 59 | ride cymbals, ride bell | noise plus a bell partial |
| 54, 69, 70, 82 | tambourine, cabasa, maracas, shaker | band-passed noise bursts |
| 56, 67, 68, 80, 81 | cowbell, agogos, triangles | two inharmonic sines |
| 60-66, 78, 79 | bongos, congas, timbales, cuicas | short sine sweeps |
| 71-77 | whistles, guiro, claves, wood blocks | sines and noise |

>>> import numpy as np
>>> x = drum_hit(38, velocity=100, sample_rate=48000, seed=1)
>>> x.dtype, x.ndim, 0.1 < float(np.abs(x).max()) <= 1.0
(dtype('float32'), 1, True)
"""

from __future__ import annotations

import functools

import numpy as np
from scipy.signal import butter, sosfilt

from partita.render.controls import phrase_seed
from partita.render.performance import level_curve, swing_onset, swung
from partita.symbolic.score import Part, Score

__all__ = ["GM_DRUMS", "drum_hit", "render_drum_part", "DRUM_TAIL_S"]

#: Longest hit (crash cymbal) in seconds: the stems' release tail covers it.
DRUM_TAIL_S = 2.5

# key -> (kind, parameters)
GM_DRUMS: dict[int, tuple[str, dict[str, float]]] = {
    35: ("kick", {"f_hi": 130.0, "f_lo": 42.0, "decay": 0.35}),
    36: ("kick", {"f_hi": 150.0, "f_lo": 48.0, "decay": 0.3}),
    37: ("snare", {"tone": 420.0, "decay": 0.05, "noise": 0.3, "bp_lo": 1500.0, "bp_hi": 6000.0}),
    38: ("snare", {"tone": 185.0, "decay": 0.18, "noise": 0.8, "bp_lo": 1000.0, "bp_hi": 9000.0}),
    39: ("clap", {"decay": 0.15, "bp_lo": 800.0, "bp_hi": 4000.0}),
    40: ("snare", {"tone": 200.0, "decay": 0.15, "noise": 0.9, "bp_lo": 1500.0, "bp_hi": 10000.0}),
    41: ("tom", {"f": 82.0, "decay": 0.5}),
    43: ("tom", {"f": 98.0, "decay": 0.45}),
    45: ("tom", {"f": 117.0, "decay": 0.4}),
    47: ("tom", {"f": 139.0, "decay": 0.35}),
    48: ("tom", {"f": 165.0, "decay": 0.32}),
    50: ("tom", {"f": 196.0, "decay": 0.3}),
    42: ("hat", {"decay": 0.045, "hp": 7000.0}),
    44: ("hat", {"decay": 0.07, "hp": 6500.0}),
    46: ("hat", {"decay": 0.45, "hp": 6000.0}),
    49: ("cymbal", {"decay": 1.6, "hp": 3500.0}),
    52: ("cymbal", {"decay": 1.2, "hp": 2500.0}),
    55: ("cymbal", {"decay": 0.7, "hp": 5000.0}),
    57: ("cymbal", {"decay": 1.8, "hp": 3000.0}),
    51: ("ride", {"decay": 1.2, "hp": 5000.0, "bell": 0.15}),
    53: ("ride", {"decay": 1.0, "hp": 4500.0, "bell": 0.6}),
    59: ("ride", {"decay": 1.3, "hp": 4800.0, "bell": 0.2}),
    54: ("shaker", {"decay": 0.12, "bp_lo": 5000.0, "bp_hi": 12000.0}),
    69: ("shaker", {"decay": 0.08, "bp_lo": 4000.0, "bp_hi": 10000.0}),
    70: ("shaker", {"decay": 0.06, "bp_lo": 5000.0, "bp_hi": 14000.0}),
    56: ("metal", {"f": 560.0, "ratio": 1.48, "decay": 0.25}),
    67: ("metal", {"f": 880.0, "ratio": 1.52, "decay": 0.3}),
    68: ("metal", {"f": 660.0, "ratio": 1.52, "decay": 0.3}),
    80: ("metal", {"f": 4100.0, "ratio": 1.41, "decay": 0.2}),
    81: ("metal", {"f": 4100.0, "ratio": 1.41, "decay": 1.2}),
    58: ("shaker", {"decay": 0.5, "bp_lo": 1500.0, "bp_hi": 5000.0}),
    60: ("tom", {"f": 400.0, "decay": 0.12}),
    61: ("tom", {"f": 300.0, "decay": 0.14}),
    62: ("tom", {"f": 350.0, "decay": 0.08}),
    63: ("tom", {"f": 330.0, "decay": 0.2}),
    64: ("tom", {"f": 240.0, "decay": 0.22}),
    65: ("tom", {"f": 440.0, "decay": 0.2}),
    66: ("tom", {"f": 330.0, "decay": 0.22}),
    71: ("whistle", {"f": 2400.0, "decay": 0.12}),
    72: ("whistle", {"f": 2400.0, "decay": 0.4}),
    73: ("shaker", {"decay": 0.08, "bp_lo": 2000.0, "bp_hi": 6000.0}),
    74: ("shaker", {"decay": 0.25, "bp_lo": 2000.0, "bp_hi": 6000.0}),
    75: ("wood", {"f": 2500.0, "decay": 0.04}),
    76: ("wood", {"f": 1800.0, "decay": 0.05}),
    77: ("wood", {"f": 1300.0, "decay": 0.06}),
    78: ("tom", {"f": 600.0, "decay": 0.1}),
    79: ("tom", {"f": 300.0, "decay": 0.15}),
}


@functools.lru_cache(maxsize=256)
def _sos(kind: str, lo: float, hi: float, sample_rate: int) -> np.ndarray:
    nyq = sample_rate / 2.0
    if kind == "hp":
        return butter(4, min(lo, 0.9 * nyq) / nyq, btype="highpass", output="sos")
    lo_n, hi_n = min(lo, 0.8 * nyq) / nyq, min(hi, 0.95 * nyq) / nyq
    return butter(2, [lo_n, max(hi_n, lo_n * 1.2)], btype="bandpass", output="sos")


def _sweep(t: np.ndarray, f_hi: float, f_lo: float, time_s: float, sample_rate: int) -> np.ndarray:
    f = f_lo + (f_hi - f_lo) * np.exp(-t / time_s)
    return np.sin(2 * np.pi * np.cumsum(f) / sample_rate)


def drum_hit(key: int, *, velocity: float, sample_rate: int, seed: int) -> np.ndarray:
    """One hit of GM percussion key ``key``: float32 [n_samples], starting at its onset.

    Keys outside the map play a snare. ``velocity`` 1-127 scales the level ((v/127)^1.5, up to
    -6 dB peak-ish) and, a little, the brightness. Starts and ends at 0 (a 1 ms attack ramp
    and a 5 ms fade at the end), so hits never click.
    """
    kind, p = GM_DRUMS.get(int(key), GM_DRUMS[38])
    rng = np.random.default_rng(seed)
    decay = p.get("decay", 0.2)
    n = int((decay * 3.0 + 0.01) * sample_rate)
    t = np.arange(n) / sample_rate
    env = np.exp(-t / (decay / 2.0))
    if kind == "kick":
        x = 1.8 * _sweep(t, p["f_hi"], p["f_lo"], 0.035, sample_rate) * env
        click = sosfilt(_sos("bp", 1500.0, 6000.0, sample_rate), rng.standard_normal(n)) * np.exp(-t / 0.004)
        x = x + 0.25 * click
    elif kind in ("snare", "clap"):
        noise = sosfilt(_sos("bp", p["bp_lo"], p["bp_hi"], sample_rate), rng.standard_normal(n))
        if kind == "clap":
            bursts = sum(np.exp(-np.maximum(t - d, 0) / 0.01) * (t >= d) for d in (0.0, 0.011, 0.022))
            x = noise * (bursts * 0.6 + np.exp(-t / decay)) * 0.8
        else:
            tone = (np.sin(2 * np.pi * p["tone"] * t) + 0.5 * np.sin(2 * np.pi * p["tone"] * 1.63 * t)) * np.exp(-t / 0.05)
            x = 0.5 * tone + p["noise"] * noise * np.exp(-t / (decay / 2.5))
    elif kind == "tom":
        x = 1.5 * _sweep(t, p["f"] * 1.6, p["f"], 0.03, sample_rate) * env
    elif kind in ("hat", "cymbal", "ride"):
        noise = sosfilt(_sos("hp", p["hp"], 0.0, sample_rate), rng.standard_normal(n))
        # a little metallic ring: square-ish partials at inharmonic ratios
        ring = sum(np.sign(np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi))) for f in (3140.0, 4370.0, 5830.0))
        ring = sosfilt(_sos("hp", p["hp"], 0.0, sample_rate), ring)
        x = (0.45 * noise + 0.05 * ring) * env
        if kind == "ride":
            x += p["bell"] * np.sin(2 * np.pi * 2350.0 * t) * np.exp(-t / (decay / 3))
    elif kind == "shaker":
        noise = sosfilt(_sos("bp", p["bp_lo"], p["bp_hi"], sample_rate), rng.standard_normal(n))
        x = 0.7 * noise * env
    elif kind == "metal":
        x = (np.sin(2 * np.pi * p["f"] * t) + 0.7 * np.sin(2 * np.pi * p["f"] * p["ratio"] * t)) * env * 0.6
    elif kind == "whistle":
        x = np.sin(2 * np.pi * p["f"] * t + 0.3 * np.sin(2 * np.pi * 30 * t)) * np.minimum(t / 0.01, 1) * (t < decay) * 0.4
    else:  # wood
        x = np.sin(2 * np.pi * p["f"] * t) * env
    gain = 0.25 * (float(np.clip(velocity, 1, 127)) / 127.0) ** 1.5
    x = x * gain
    x *= np.minimum(t / 0.001, 1.0)
    fade = min(n, int(0.005 * sample_rate))
    x[n - fade :] *= np.linspace(1.0, 0.0, fade)
    return x.astype(np.float32)


def render_drum_part(part: Part, score: Score, *, sample_rate: int, seed: int, n_samples: int) -> np.ndarray:
    """All hits of a percussion part, summed: float32 (1, n_samples).

    A note's velocity is its own, else the part's dynamic level at its onset (dynamic marks
    and hairpins, as for pitched parts); accents add 30 % velocity. In a swing score
    (:func:`~partita.render.performance.swung`) off-beat eighths are played late, as triplets.
    """
    out = np.zeros(n_samples, np.float64)
    times, vel = level_curve(part, score)
    warp = swing_onset if swung(score) else (lambda q: q)
    for note in part.notes:
        on_s = score.tempo_map.seconds_at(warp(note.onset))
        start = int(round(on_s * sample_rate))
        if start >= n_samples:
            continue
        v = float(note.velocity) if note.velocity is not None else float(np.interp(on_s, times, vel))
        if note.articulations & {"accent", "marcato"}:
            v = min(127.0, v * 1.3)
        hit = drum_hit(note.pitch, velocity=v, sample_rate=sample_rate,
                       seed=phrase_seed(seed, part.id, note.onset, note.pitch))  # fmt: skip
        stop = min(n_samples, start + hit.size)
        out[start:stop] += hit[: stop - start]
    return out.astype(np.float32)[None, :]
