"""A room: a synthetic impulse response and the convolution a stem takes it by
(``RenderSettings.room_rt60_s``; off by default, the mix stage has its own reverb)."""

from __future__ import annotations

import numpy as np

from partita.errors import ConfigError

__all__ = ["apply_room", "room_impulse_response"]


def room_impulse_response(*, sample_rate: int, rt60_s: float, seed: int, pre_delay_s: float = 0.01) -> np.ndarray:
    """A synthetic room: exponentially decaying white noise, darker as it decays.

    Returns float32 [n_taps] with a unit direct-path tap at 0 and a diffuse tail whose energy
    decays by 60 dB in ``rt60_s`` seconds.

    >>> ir = room_impulse_response(sample_rate=48000, rt60_s=0.5, seed=0)
    >>> ir.shape, float(ir[0])
    ((24000,), 1.0)
    """
    if not (0 < rt60_s <= 10):
        raise ConfigError(f"rt60_s {rt60_s} must be in (0, 10] seconds")
    rng = np.random.default_rng(seed)
    n = int(round(rt60_s * sample_rate))
    t = np.arange(n) / sample_rate
    tail = rng.standard_normal(n) * np.exp(-6.907755 * t / rt60_s)  # -60 dB at rt60
    # a one-pole lowpass whose cutoff falls with time would be nicer; a fixed gentle one will do
    tail = np.convolve(tail, np.array([0.5, 0.3, 0.2]), mode="same")
    tail[: int(pre_delay_s * sample_rate)] = 0.0
    tail *= 0.25 / max(np.sqrt(np.sum(tail**2)), 1e-12)
    tail[0] = 1.0
    return tail.astype(np.float32)


def apply_room(audio: np.ndarray, impulse_response: np.ndarray) -> np.ndarray:
    """Convolve float32 (n_channels, n_samples) audio with an impulse response [n_taps].

    Returns float32 (n_channels, n_samples + n_taps - 1).

    >>> import numpy as np
    >>> apply_room(np.ones((1, 4), np.float32), np.array([1.0, 0.5], np.float32)).tolist()
    [[1.0, 1.5, 1.5, 1.5, 0.5]]
    """
    audio = np.asarray(audio, dtype=np.float32)
    ir = np.asarray(impulse_response, dtype=np.float32)
    if audio.ndim != 2 or ir.ndim != 1 or ir.size == 0:
        raise ConfigError("apply_room takes (n_channels, n_samples) audio and a 1-D impulse response")
    if audio.shape[1] == 0:
        return np.zeros((audio.shape[0], ir.size - 1), np.float32)
    from scipy.signal import fftconvolve  # 0.5 s to import: only when a room is on

    out = fftconvolve(audio.astype(np.float64), ir.astype(np.float64)[None, :], axes=1)
    return out.astype(np.float32)
