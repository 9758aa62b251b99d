"""A vibraphone's motor, measured in a soundfont's notes for its string model (:mod:`partita.render.strings_fit`).

The motor turns discs in the tops of the resonator tubes: the level of every note swings a few
times a second. A soundfont's samples have it baked in from their start, so each note starts the
swing at the same phase; :func:`measure_motor` finds such a swing where the notes agree on it,
and :meth:`partita.render.strings.StringModel.note` plays it (config ``motor``).
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

__all__ = ["MOTOR_RATES_HZ", "held_level", "measure_motor", "motor_of_note"]

SR = 48000
#: The motor's search: rates (Hz) tried, and what the notes must agree on to have one (see
#: :func:`measure_motor`)
MOTOR_RATES_HZ = np.round(np.arange(2.0, 10.0001, 0.05), 2)
MOTOR_MIN_R2 = 0.7  # median share of the level's wobble (around its parabola) the sinusoid explains
MOTOR_MAX_IQR_HZ = 0.2  # spread (interquartile) of the notes' rates
MOTOR_MIN_PHASE_R = 0.8  # concentration of their phases at the onset (mean resultant length, 0-1)
MOTOR_MIN_DB = 0.5  # the sinusoid's amplitude (dB; peak to peak is twice this)


def held_level(x: np.ndarray, *, off_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A note's level while held, as :func:`motor_of_note` fits it: the frames' centres (seconds
    from the onset), their level (dB, 20 ms Hann windows every 5 ms) and which frames count (from
    80 ms after the onset to 20 ms before the note-off ``off_s``, within 50 dB of the loudest)."""
    hop, win = 240, 960
    n = max(0, (len(x) - win) // hop)
    w = np.hanning(win)
    frames = np.asarray(x, np.float64)[np.arange(n)[:, None] * hop + np.arange(win)[None, :]] * w
    level = 20.0 * np.log10(np.maximum(np.sqrt((frames**2).sum(axis=1) / (w**2).sum()), 1e-9))
    t = (np.arange(n) * hop + win / 2) / SR
    keep = (t > 0.08) & (t < off_s - 0.02) & (level > (level.max() if n else 0.0) - 50.0)
    return t, level, keep


def motor_of_note(x: np.ndarray, *, off_s: float) -> tuple[float, float, float, float] | None:
    """The strongest periodic modulation of a note's level while held: ``(rate_hz, amp_db,
    phase, r2)`` with the level (dB, 20 ms Hann windows every 5 ms, from 80 ms after the onset to
    20 ms before the note-off, frames within 50 dB of the loudest) fitted as a parabola in time plus
    ``amp_db cos(2 pi rate t + phase)``, ``t`` in seconds from the onset, the rate searched over
    :data:`MOTOR_RATES_HZ` by least squares; ``r2`` the share of the residual of the parabola alone
    the sinusoid explains. None when fewer than 40 frames qualify.

    >>> t = np.arange(int(1.5 * SR)) / SR
    >>> x = np.sin(2 * np.pi * 440 * t) * 10 ** ((-6 * t + 1.5 * np.cos(2 * np.pi * 4.2 * t + 1.0)) / 20)
    >>> [round(v, 2) for v in motor_of_note(x, off_s=1.5)]
    [4.2, 1.5, 1.0, 1.0]
    """
    t, level, keep = held_level(x, off_s=off_s)
    if keep.sum() < 40:
        return None
    t, y = t[keep], level[keep]
    base = np.c_[np.ones_like(t), t, t * t]
    r0 = float(((y - base @ np.linalg.lstsq(base, y, rcond=None)[0]) ** 2).sum())
    best = None
    for rate in MOTOR_RATES_HZ:
        a = np.c_[base, np.cos(2 * np.pi * rate * t), np.sin(2 * np.pi * rate * t)]
        c = np.linalg.lstsq(a, y, rcond=None)[0]
        r = float(((y - a @ c) ** 2).sum())
        if best is None or r < best[0]:
            best = (r, float(rate), c)
    r, rate, c = best
    # c3 cos + c4 sin = amp cos(2 pi rate t + phase)
    return rate, float(math.hypot(c[3], c[4])), float(math.atan2(-c[4], c[3])), 1.0 - r / max(r0, 1e-12)


def measure_motor(notes: Sequence[np.ndarray], *, off_s: float) -> dict[str, float] | None:
    """A modulation the notes share (a vibraphone's motor turning its resonators' discs, baked
    into each of the soundfont's samples from its start): ``{"rate_hz", "depth_db", "phase"}``
    (``depth_db`` the sinusoid's amplitude in dB, ``phase`` at the onset), the medians (the
    circular mean for the phase) of :func:`motor_of_note` over the notes; None unless the notes
    agree -- rates within :data:`MOTOR_MAX_IQR_HZ`, phases concentrated (:data:`MOTOR_MIN_PHASE_R`),
    the sinusoid explaining most of the wobble (:data:`MOTOR_MIN_R2`) and at least
    :data:`MOTOR_MIN_DB` deep. A marimba's or a bell's slow beating differs from note to note
    and is left to the tables."""
    found = [m for m in (motor_of_note(x, off_s=off_s) for x in notes) if m is not None]
    if len(found) < 3:
        return None
    rate, amp, phase, r2 = (np.array(v) for v in zip(*found))
    q1, q3 = np.percentile(rate, [25, 75])
    mean = np.exp(1j * phase).mean()
    if (q3 - q1 > MOTOR_MAX_IQR_HZ or abs(mean) < MOTOR_MIN_PHASE_R or np.median(r2) < MOTOR_MIN_R2
            or np.median(amp) < MOTOR_MIN_DB):  # fmt: skip
        return None
    return {"rate_hz": round(float(np.median(rate)), 3), "depth_db": round(float(np.median(amp)), 3),
            "phase": round(float(np.angle(mean)), 4)}  # fmt: skip
