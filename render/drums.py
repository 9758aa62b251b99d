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
import os
from typing import Any, Mapping

import numpy as np

from partita._presets import Entry, load, table
from partita.errors import PresetError
from partita.render.controls import phrase_seed
from partita.render.performance import level_curve, swing_onset, swung
from partita.symbolic.score import Part, Score

__all__ = ["GM_DRUMS", "load_kit", "drum_hit", "render_drum_part", "scored_hits", "DRUM_TAIL_S"]

#: Longest hit (crash cymbal) in seconds: the stems' release tail covers it.
DRUM_TAIL_S = 2.5

#: The fields each recipe reads, and their ranges (units: see ``drum_kit.toml``).
_HZ, _DECAY = (20.0, 20000.0), (0.005, 5.0)
_RECIPES: Mapping[str, Mapping[str, tuple[float, float]]] = {
    "kick": {"f_hi": _HZ, "f_lo": _HZ, "decay": _DECAY},
    "snare": {"tone": _HZ, "decay": _DECAY, "noise": (0.0, 2.0), "bp_lo": _HZ, "bp_hi": _HZ},
    "clap": {"decay": _DECAY, "bp_lo": _HZ, "bp_hi": _HZ},
    "tom": {"f": _HZ, "decay": _DECAY},
    "hat": {"decay": _DECAY, "hp": _HZ},
    "cymbal": {"decay": _DECAY, "hp": _HZ},
    "ride": {"decay": _DECAY, "hp": _HZ, "bell": (0.0, 1.0)},
    "shaker": {"decay": _DECAY, "bp_lo": _HZ, "bp_hi": _HZ},
    "metal": {"f": _HZ, "ratio": (1.0, 4.0), "decay": _DECAY},
    "whistle": {"f": _HZ, "decay": _DECAY},
    "wood": {"f": _HZ, "decay": _DECAY},
}


def load_kit(path: str | os.PathLike[str] | None = None) -> dict[int, tuple[str, dict[str, float]]]:
    """GM key -> (recipe, its fields) from ``drum_kit.toml`` (package data, read once), or from
    the file at ``path``. A key without a known ``kind``, a field missing, unused, of the wrong
    type or out of range raises :class:`~partita.errors.PresetError` naming the file, the key
    and the field.

    >>> load_kit()[36]
    ('kick', {'f_hi': 150.0, 'f_lo': 48.0, 'decay': 0.3})
    """
    return load("partita.render", "drum_kit.toml", _parse_kit, path)


def _parse_kit(data: dict, file: str) -> dict[int, tuple[str, dict[str, float]]]:
    kit = {}
    for key, raw in table(data, "key", file=file).items():
        e = Entry(file, f"key {key}", raw)
        if not (key.isdigit() and int(key) <= 127):
            raise e.error(None, "a percussion key is a MIDI note number 0-127")
        kind = e.text("kind", choices=_RECIPES)
        params = {k: e.number(k, lo, hi) for k, (lo, hi) in _RECIPES[kind].items()}
        e.done()
        if "bp_lo" in params and params["bp_lo"] >= params["bp_hi"]:
            raise e.error("bp_lo", f"{params['bp_lo']!r} is not below bp_hi {params['bp_hi']!r}")
        kit[int(key)] = (kind, params)
    if 38 not in kit:
        raise PresetError("key 38 (the snare every unlisted key plays) is missing", file=file)
    return kit


#: GM percussion key -> (recipe, its fields): ``drum_kit.toml``.
GM_DRUMS: dict[int, tuple[str, dict[str, float]]] = load_kit()


@functools.lru_cache(maxsize=256)
def _sos(kind: str, lo: float, hi: float, sample_rate: int) -> np.ndarray:
    from scipy.signal import butter  # scipy.signal costs 0.5 s to import: only when drums play

    nyq = sample_rate / 2.0
    if kind == "hp":
        return butter(4, min(lo, 0.9 * nyq) / nyq, btype="highpass", output="sos")
    lo_n, hi_n = min(lo, 0.8 * nyq) / nyq, min(hi, 0.95 * nyq) / nyq
    return butter(2, [lo_n, max(hi_n, lo_n * 1.2)], btype="bandpass", output="sos")


def _sweep(t: np.ndarray, f_hi: float, f_lo: float, time_s: float, sample_rate: int) -> np.ndarray:
    f = f_lo + (f_hi - f_lo) * np.exp(-t / time_s)
    return np.sin(2 * np.pi * np.cumsum(f) / sample_rate)


def drum_hit_length(key: int, sample_rate: int) -> int:
    """Samples in a :func:`drum_hit` of ``key`` (three decay times and 10 ms), whatever its
    velocity and seed."""
    return int((GM_DRUMS.get(int(key), GM_DRUMS[38])[1].get("decay", 0.2) * 3.0 + 0.01) * sample_rate)


def drum_hit(key: int, *, velocity: float, sample_rate: int, seed: int) -> np.ndarray:
    """One hit of GM percussion key ``key``: float32 [n_samples], starting at its onset.

    Keys outside the map play a snare. ``velocity`` 1-127 scales the level ((v/127)^1.5, up to
    -6 dB peak-ish) and, a little, the brightness. Starts and ends at 0 (a 1 ms attack ramp
    and a 5 ms fade at the end), so hits never click.
    """
    from scipy.signal import sosfilt

    kind, p = GM_DRUMS.get(int(key), GM_DRUMS[38])
    rng = np.random.default_rng(seed)
    decay = p.get("decay", 0.2)
    n = drum_hit_length(key, sample_rate)
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


def scored_hits(part: Part, score: Score) -> list[tuple[Any, float, float]]:
    """(note, onset in seconds, velocity 1-127) of every hit of a percussion part, as the score
    says: a note's velocity is its own, else the part's dynamic level at its onset (dynamic marks
    and hairpins, as for pitched parts); accents add 30 %; in a swing score
    (:func:`~partita.render.performance.swung`) off-beat eighths are played late, as triplets."""
    times, vel = level_curve(part, score)
    warp = swing_onset if swung(score) else (lambda q: q)
    out = []
    for note in part.notes:
        on_s = score.tempo_map.seconds_at(warp(note.onset))
        v = float(note.velocity) if note.velocity is not None else float(np.interp(on_s, times, vel))
        if note.articulations & {"accent", "marcato"}:
            v = min(127.0, v * 1.3)
        out.append((note, on_s, v))
    return out


def render_drum_part(part: Part, score: Score, *, sample_rate: int, seed: int, n_samples: int) -> np.ndarray:
    """All hits of a percussion part, summed: float32 (1, n_samples).

    Onsets and velocities: :func:`scored_hits`.
    """
    out = np.zeros(n_samples, np.float64)
    for note, on_s, v in scored_hits(part, score):
        start = int(round(on_s * sample_rate))
        if start >= n_samples:
            continue
        hit = drum_hit(note.pitch, velocity=v, sample_rate=sample_rate,
                       seed=phrase_seed(seed, part.id, note.onset, note.pitch))  # fmt: skip
        stop = min(n_samples, start + hit.size)
        out[start:stop] += hit[: stop - start]
    return out.astype(np.float32)[None, :]
