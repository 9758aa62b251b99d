"""Differentiable torch twins of the synthesis kernels in :mod:`partita.render.synth`.

Training a neural decoder needs gradients through the synthesizer; rendering does not. These
functions compute *the same samples* as the numba kernels, written as whole-array torch
operations, so a decoder trained through them sounds the same when the render path runs the
numba kernels. ``tests/test_neural_twin.py`` holds each twin equal to its kernel (float64:
within 2e-5 of the signal's peak; see ``docs/neural_renderers.md``).

* :func:`harmonic_bank` -- per-sample linear interpolation of f0 and harmonic amplitudes from
  the frame grid (sample ``n`` at frame position ``n * frame_rate / sample_rate``), phase as the
  exclusive cumulative sum of ``f0 / sample_rate`` in float64, harmonics faded out over the top
  4 % below Nyquist, exactly as ``synth._harmonic_kernel``.
* :func:`filtered_noise` -- the kernel's counter-based white noise (:func:`white_noise`,
  computed in numpy, no gradient needed), each frame's segment convolved with the FIR designed
  from that frame's band magnitudes (``synth.noise_filter_basis``), overlap-added.
* :func:`apply_room` -- full convolution with an impulse response, by FFT.

torch is imported by this module: it is for training only; the render path never imports it.

>>> import torch
>>> f0 = torch.full((10,), 1000.0, dtype=torch.float64)
>>> amps = torch.zeros(10, 3, dtype=torch.float64); amps[:, 0] = 0.5
>>> y = harmonic_bank(f0_hz=f0, harmonic_amplitudes=amps, frame_rate=250.0, sample_rate=48000)
>>> tuple(y.shape), round(float(y.abs().max()), 3)
((1920,), 0.5)
"""

from __future__ import annotations

import math

import numpy as np
import torch

from partita.errors import ConfigError
from partita.render.synth import DEFAULT_FADE_FRACTION, n_samples_for_frames, noise_filter_basis

__all__ = ["harmonic_bank", "filtered_noise", "white_noise", "apply_room", "frame_positions"]


def frame_positions(n_samples: int, *, frame_rate: float, sample_rate: int, n_frames: int,
                    device: torch.device | str | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:  # fmt: skip
    """Frame indices and interpolation weights of each sample, as the kernels compute them.

    Returns ``(fa, fb, w)``: int64 [n_samples] frames before/after each sample and float64
    [n_samples] weights in [0, 1); past the last frame ``fa == fb == n_frames - 1``, ``w == 0``;
    on ``device`` (default CPU).

    >>> fa, fb, w = frame_positions(4, frame_rate=250.0, sample_rate=500, n_frames=3)
    >>> fa.tolist(), fb.tolist(), w.tolist()
    ([0, 0, 1, 1], [1, 1, 2, 2], [0.0, 0.5, 0.0, 0.5])
    """
    ratio = float(frame_rate) / float(sample_rate)
    pos = torch.arange(n_samples, dtype=torch.float64, device=device) * ratio
    fi = torch.floor(pos).to(torch.int64)
    w = pos - fi.to(torch.float64)
    last = n_frames - 1
    past = fi >= last
    fa = torch.where(past, torch.full_like(fi, last), fi)
    fb = torch.where(past, torch.full_like(fi, last), fi + 1)
    w = torch.where(past, torch.zeros_like(w), w)
    return fa, fb, w


def harmonic_bank(
    *,
    f0_hz: torch.Tensor,
    harmonic_amplitudes: torch.Tensor,
    frame_rate: float,
    sample_rate: int,
    n_samples: int | None = None,
) -> torch.Tensor:
    """Torch twin of :func:`partita.render.synth.harmonic_bank` (from sample 0, phase 0).

    Parameters
    ----------
    f0_hz
        [..., n_frames] Hz (any float dtype; the phase is accumulated in float64).
    harmonic_amplitudes
        [..., n_frames, n_harmonics] linear amplitudes of harmonics 1..n_harmonics.
    frame_rate, sample_rate
        Hz.
    n_samples
        Default: the samples the frames cover (``synth.n_samples_for_frames``).

    Returns
    -------
    [..., n_samples] audio in the dtype of ``harmonic_amplitudes``, differentiable with
    respect to both inputs.
    """
    if f0_hz.shape[-1] != harmonic_amplitudes.shape[-2] or f0_hz.shape[-1] == 0:
        raise ConfigError(f"f0_hz {tuple(f0_hz.shape)} and harmonic_amplitudes {tuple(harmonic_amplitudes.shape)} disagree")
    n_frames = int(f0_hz.shape[-1])
    if n_samples is None:
        n_samples = n_samples_for_frames(n_frames, frame_rate=frame_rate, sample_rate=sample_rate)
    fa, fb, w = frame_positions(n_samples, frame_rate=frame_rate, sample_rate=sample_rate, n_frames=n_frames, device=f0_hz.device)
    f0 = f0_hz.to(torch.float64)
    f = f0[..., fa] + (f0[..., fb] - f0[..., fa]) * w  # [..., n]
    # phase before each sample: exclusive cumulative sum (the kernel adds after using it)
    inc = f / float(sample_rate)
    phase = torch.cumsum(inc, dim=-1) - inc
    phase = phase - torch.floor(phase)
    dtype = harmonic_amplitudes.dtype
    amps = harmonic_amplitudes
    wa = w.to(dtype)[..., :, None]
    a = amps[..., fa, :] + (amps[..., fb, :] - amps[..., fa, :]) * wa  # [..., n, K]
    n_harm = amps.shape[-1]
    k = torch.arange(1, n_harm + 1, dtype=torch.float64, device=f0.device)
    nyquist = sample_rate / 2.0
    fade = nyquist * DEFAULT_FADE_FRACTION
    gain = torch.clamp((nyquist - k * f[..., None]) / fade, 0.0, 1.0).to(dtype)
    # sin(2 pi k phase): k * phase reduced mod 1 in float64 keeps the argument accurate
    kp = phase[..., None] * k
    kp = kp - torch.floor(kp)
    s = torch.sin(2.0 * math.pi * kp).to(dtype)
    return (a * gain * s).sum(dim=-1)


def white_noise(*, seed: int, n_samples: int, start_sample: int = 0) -> np.ndarray:
    """The synth's counter-based white noise: float64 [n_samples], variance 1.

    Sample ``m`` is ``lowbias32(seed32 ^ (m * 0x9E3779B9))`` (all mod 2**32; ``seed32`` the seed's
    two 32-bit halves xor-ed) mapped to a uniform in ``[-sqrt(3), sqrt(3))`` in float32, as in
    ``synth._noise_kernel``.

    >>> x = white_noise(seed=3, n_samples=100000)
    >>> abs(float(x.var()) - 1.0) < 0.02
    True
    """
    seed = int(seed) & 0xFFFFFFFFFFFFFFFF
    seed32 = np.uint32((seed ^ (seed >> 32)) & 0xFFFFFFFF)
    with np.errstate(over="ignore"):
        m = np.arange(start_sample, start_sample + n_samples, dtype=np.uint64).astype(np.uint32)  # mod 2**32
        z = seed32 ^ (m * np.uint32(0x9E3779B9))
        z ^= z >> np.uint32(16)
        z *= np.uint32(0x7FEB352D)
        z ^= z >> np.uint32(15)
        z *= np.uint32(0x846CA68B)
        z ^= z >> np.uint32(16)
    u = (z >> np.uint32(8)).astype(np.float32) * np.float32(1.0 / 16777216.0)
    return ((np.float32(2.0) * u - np.float32(1.0)) * np.float32(1.7320508075688772)).astype(np.float64)


_BASIS: dict[int, torch.Tensor] = {}


def filtered_noise(
    *,
    noise_magnitudes: torch.Tensor,
    frame_rate: float,
    sample_rate: int,
    seed: int | None = None,
    noise: torch.Tensor | None = None,
) -> torch.Tensor:
    """Torch twin of :func:`partita.render.synth.filtered_noise` (the whole phrase).

    Parameters
    ----------
    noise_magnitudes
        [..., n_frames, n_bands] linear magnitudes at ``n_bands`` frequencies from 0 Hz to
        Nyquist.
    seed
        The kernel's noise seed: the white noise is :func:`white_noise` of it.
    noise
        Or the white noise itself, [..., n_body] with ``n_body = n_samples_for_frames``.

    Returns
    -------
    [..., n_body + taps - 1] where ``taps = 2 * (n_bands - 1)``: the kernel's output length.
    """
    n_frames, n_bands = int(noise_magnitudes.shape[-2]), int(noise_magnitudes.shape[-1])
    n_body = n_samples_for_frames(n_frames, frame_rate=frame_rate, sample_rate=sample_rate)
    dtype = noise_magnitudes.dtype
    if noise is None:
        if seed is None:
            raise ConfigError("filtered_noise needs a seed or the white noise")
        noise = torch.from_numpy(white_noise(seed=seed, n_samples=n_body)).to(device=noise_magnitudes.device, dtype=dtype)
    if noise.shape[-1] != n_body:
        raise ConfigError(f"white noise has {noise.shape[-1]} samples, the frames cover {n_body}")
    if n_bands not in _BASIS:
        _BASIS[n_bands] = torch.from_numpy(noise_filter_basis(n_bands).astype(np.float32))
    basis = _BASIS[n_bands].to(device=noise_magnitudes.device, dtype=dtype)  # [taps, n_bands]; the kernel uses float32 taps
    taps = basis.shape[0]
    h = noise_magnitudes @ basis.T  # [..., n_frames, taps]
    fa, _, _ = frame_positions(n_body, frame_rate=frame_rate, sample_rate=sample_rate, n_frames=n_frames + 1, device=noise_magnitudes.device)
    contrib = noise.to(dtype)[..., :, None] * h[..., fa, :]  # [..., n_body, taps]
    # overlap-add: sample m through tap j lands on m + j
    out = sum(torch.nn.functional.pad(contrib[..., j], (j, taps - 1 - j)) for j in range(taps))
    return out


def apply_room(audio: torch.Tensor, impulse_response: torch.Tensor) -> torch.Tensor:
    """Torch twin of :func:`partita.render.room.apply_room`: [..., n] * [taps] -> [..., n + taps - 1].

    >>> apply_room(torch.ones(1, 4), torch.tensor([1.0, 0.5])).tolist()
    [[1.0, 1.5, 1.5, 1.5, 0.5]]
    """
    n = audio.shape[-1] + impulse_response.shape[-1] - 1
    size = 1 << max(1, (n - 1).bit_length())
    spec = torch.fft.rfft(audio, n=size) * torch.fft.rfft(impulse_response.to(audio.dtype), n=size)
    return torch.fft.irfft(spec, n=size)[..., :n]
