"""A struck membrane's or tube's wash: the noise that goes on sounding between a modal model's modes.

A kettle drum's membrane, hit, rings with a dense noise for a second or two besides its modes; so
does a tubular bell's strike. The modal model's burst (:mod:`partita.render.strings`: filtered
noise at the onset, decaying with a time constant of at most 120 ms) stops long before it: in
FluidR3's timpani the noise between the modes 1-4 kHz is still 30 dB above the model's 0.7 s in.
Here the fit measures it (:func:`wash_of_note`: each band's noise floor between the modes at
:data:`AT_S` and :data:`LATER_S` after the onset) and the model adds it to each note
(:func:`wash_audio`): filtered noise at the measured levels, decaying at the measured rate, and
after the note-off at the damper's.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

__all__ = ["AT_S", "LATER_S", "band_floor_db", "band_noise_db", "fit_wash", "wash_audio", "wash_of_note"]

SR = 48000
#: Where the wash is measured (seconds after the onset): its level at AT_S, its decay from AT_S to LATER_S
AT_S = 0.3
LATER_S = 0.8
#: A band's wash counts when at least this loud (dB relative to the note's level) at AT_S
MIN_DB = -60.0
#: The level a band without a wash gets in the table (dB relative to the note's level; silent)
OFF_DB = -80.0
_FRAME_RATE = 250.0  # the wash's envelope frames (as the burst's)
_BELOW_DB = 80.0  # the wash stops this far below the note's level


def band_noise_db(segment: np.ndarray, *, level_db: float, n_bands: int, top_hz: float, noise_cal: float) -> np.ndarray:
    """Each band's noise in ``segment`` (Hann windowed, its length the window's): the 20th
    percentile of the power of the bins within 750 Hz of the band's centre (a power bin is
    exponentially distributed: its 20th percentile is 0.2231 x its mean; a partial's peak and
    skirt fill few of the bins), over the bands evenly spaced from 0 to ``top_hz``, calibrated by
    ``noise_cal`` (``strings_fit._NOISE_CAL``: the mean power per bin of the synth's noise of
    magnitude 1), in dB relative to ``level_db``. The burst's measure (``strings_fit.analyze_note``,
    the first 1024 samples) and the wash's (:func:`band_floor_db`)."""
    w = np.hanning(len(segment))
    p = np.abs(np.fft.rfft(segment * w)) ** 2
    f = np.fft.rfftfreq(len(segment), 1 / SR)
    out = np.empty(n_bands)
    for i, c in enumerate(np.linspace(0.0, top_hz, n_bands)):
        bins = p[np.abs(f - c) <= 750.0]
        q = np.percentile(bins, 20) if bins.size else 0.0
        out[i] = 10 * np.log10(max(q / 0.2231 / (w**2).sum() / noise_cal, 1e-24)) - level_db
    return out


def band_floor_db(x: np.ndarray, t_s: float, level_db: float, n_bands: int, top_hz: float, noise_cal: float) -> np.ndarray:
    """Each band's noise floor between the modes around ``t_s`` (:func:`band_noise_db` of a
    4096-point window: 128 bins a band); NaN when the window does not fit in ``x``."""
    i = int(t_s * SR)
    if i - 2048 < 0 or i + 2048 > len(x):
        return np.full(n_bands, np.nan)
    return band_noise_db(np.asarray(x[i - 2048 : i + 2048], np.float64), level_db=level_db, n_bands=n_bands, top_hz=top_hz,
                         noise_cal=noise_cal)  # fmt: skip


def wash_of_note(x: np.ndarray, *, level_db: float, off_s: float, n_bands: int, top_hz: float,
                 noise_cal: float) -> tuple[np.ndarray, float]:  # fmt: skip
    """A note's wash: each band's level at :data:`AT_S` (dB relative to ``level_db``;
    :data:`OFF_DB` where below :data:`MIN_DB`, and in the lowest band, 0-750 Hz, where the low
    modes themselves fill the bins), and its decay in dB/s from :data:`AT_S` to :data:`LATER_S`
    (the median over the bands that are above ``MIN_DB`` then and 5 dB above ``MIN_DB`` later;
    NaN where none is, or the note is released before ``LATER_S``); ``noise_cal`` as
    :func:`band_floor_db`'s."""
    at = band_floor_db(x, AT_S, level_db, n_bands, top_hz, noise_cal)
    later = band_floor_db(x, LATER_S, level_db, n_bands, top_hz, noise_cal) if off_s >= LATER_S else np.full(n_bands, np.nan)
    on = at >= MIN_DB
    on[0] = False
    rate_ok = on & (later >= MIN_DB - 5.0)
    rate = float(np.median((at - later)[rate_ok] / (LATER_S - AT_S))) if rate_ok.any() else math.nan
    return np.where(on, at, OFF_DB), rate


def fit_wash(measurements: Sequence[dict[str, Any]]) -> float | None:
    """The wash's decay (dB/s, the median over the notes that have one), or None when fewer than
    half the notes have a wash decaying at 1 dB/s or faster (a bar's or a tube's note whose
    space between the modes is only the soundfont's floor)."""
    rates = np.array([r["wash_rate"] for r in measurements], np.float64)
    ok = np.isfinite(rates) & (rates >= 1.0)
    if ok.sum() < 0.5 * len(rates):
        return None
    return round(float(np.median(rates[ok])), 2)


def wash_audio(db_at: np.ndarray, *, decay_db_s: float, release_db_s: float, level_db: float, off_s: float,
               sample_rate: int, seed: int, basis: np.ndarray) -> np.ndarray:  # fmt: skip
    """The wash of one note, float32 from its onset: filtered noise whose bands (``db_at``, dB
    relative to ``level_db`` at :data:`AT_S`, the bands evenly spaced over the model's noise range
    as ``basis``'s) decay at ``decay_db_s`` (also back to the onset: louder before ``AT_S``), and
    after the note-off ``off_s`` (seconds from the onset) at ``release_db_s`` as well, until
    :data:`_BELOW_DB` below the note's level. Empty when no band is above :data:`OFF_DB`."""
    from partita.render.frames import _ratio
    from partita.render.synth import _noise_kernel

    on = np.asarray(db_at, np.float64) > OFF_DB
    if not on.any() or decay_db_s <= 0:
        return np.zeros(0, np.float32)
    top = float(np.max(np.asarray(db_at)[on])) + decay_db_s * AT_S  # the loudest band at the onset
    held = min(off_s, (top + _BELOW_DB) / decay_db_s)
    after = max(0.0, (top + _BELOW_DB - decay_db_s * held) / (decay_db_s + max(release_db_s, 1.0)))
    n_fr = int(math.ceil((held + after) * _FRAME_RATE)) + 1
    t = np.arange(n_fr) / _FRAME_RATE
    env = -decay_db_s * (t - AT_S) - max(release_db_s, 1.0) * np.maximum(t - off_s, 0.0)
    mags = np.where(on[None, :], 10.0 ** ((level_db + np.asarray(db_at)[None, :] + env[:, None]) / 20.0), 0.0)
    ratio = _ratio(_FRAME_RATE, int(sample_rate))
    out = np.zeros(int(n_fr / ratio), np.float32)
    _noise_kernel(np.ascontiguousarray(mags, np.float32), basis, ratio, np.uint64(seed), 0, out, False)
    return out
