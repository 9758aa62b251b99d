"""Losses of the neural decoders and their differentiable synthesis at 16 kHz (torch).

* :func:`regression_loss`: L1 in the log domain against magnitudes measured from the audio
  (stage 1 of training);
* :func:`synthesize_16k` and :func:`spectral_loss`: the decoder's parameters synthesised by the
  torch twins (:mod:`partita.render.twin`) and compared with the recording by DDSP's multi-scale
  spectral loss (stage 2).

>>> import torch
>>> x = torch.sin(torch.arange(4096) * 0.1)[None]
>>> float(spectral_loss(x, x, fft_sizes=(256,)))
0.0
"""

from __future__ import annotations

import math
from typing import Any, Mapping

import numpy as np
import torch

from partita.render.neural_infer import NOISE_TOP_HZ

#: The functions take the decoder's config (a :class:`partita.render.neural.DecoderConfig`: its
#: ``n_harmonics``, ``n_bands`` and ``frame_rate``) without importing the module that trains with them.
DecoderConfig = Any

__all__ = ["regression_loss", "spectral_loss", "synthesize_16k"]

_LN10_20 = math.log(10.0) / 20.0


def _soft_bound(x: torch.Tensor) -> torch.Tensor:
    """12 tanh(x / 12): log offsets stay within +-12 (about +-104 dB) with a gradient everywhere."""
    return 12.0 * torch.tanh(x / 12.0)


def _log_outputs(out: torch.Tensor, f0_hz: torch.Tensor, loudness_db: torch.Tensor, cfg: DecoderConfig,
                 sample_rate: int = 48000) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:  # fmt: skip
    """Heads -> (log harmonic amplitudes [..., K], log noise [..., B], audible mask [..., K])."""
    log_ref = _LN10_20 * torch.clamp(loudness_db, min=-100.0)
    k = torch.arange(1, cfg.n_harmonics + 1, dtype=f0_hz.dtype, device=f0_hz.device)
    audible = k * f0_hz[..., None] < 0.96 * sample_rate / 2.0
    logits = out[..., 1 : 1 + cfg.n_harmonics].masked_fill(~audible, -1e9)
    log_amp = log_ref + _soft_bound(out[..., 0])
    log_h = log_amp[..., None] + torch.log_softmax(logits, dim=-1)
    log_n = log_ref[..., None] + _soft_bound(out[..., 1 + cfg.n_harmonics :])
    return log_h, log_n, audible


def regression_loss(out: torch.Tensor, batch: Mapping[str, torch.Tensor], cfg: DecoderConfig, *,
                    above_hz: float | None = None) -> torch.Tensor:  # fmt: skip
    """L1 in the log domain between predicted and measured magnitudes, in three terms:

    * overall amplitude: ``|log A_pred - log sum_k a_k|`` (A = sum of harmonic amplitudes);
    * harmonic distribution: mean over audible harmonics of ``|log p_k - log(a_k / A)|``, both
      floored 60 dB below the total;
    * noise: half the mean over bands of the log-magnitude error, floored 80 dB below loudness.

    Frames are weighted by ``batch["weight"]`` (voiced and louder than -70 dB). ``above_hz``:
    only the harmonics and noise bands at or above this frequency, and no amplitude term (what a
    spectral loss on audio sampled at twice ``above_hz`` cannot see; see
    :attr:`~partita.render.neural.DecoderTrainConfig.upper_weight`); a frame with no harmonic
    there counts its noise alone.
    """
    f0, loud = batch["f0_hz"], batch["loudness_db"]
    log_ref = _LN10_20 * torch.clamp(loud, min=-100.0)
    k = torch.arange(1, cfg.n_harmonics + 1, dtype=f0.dtype, device=f0.device)
    audible = k * f0[..., None] < 0.96 * 48000 / 2.0
    target_h = batch["harm_log"].masked_fill(~audible, -1e4)
    target_amp = torch.logsumexp(target_h, dim=-1)
    target_dist = target_h - target_amp[..., None]
    pred_amp = log_ref + _soft_bound(out[..., 0])
    pred_dist = torch.log_softmax(out[..., 1 : 1 + cfg.n_harmonics].masked_fill(~audible, -1e9), dim=-1)
    fl = torch.tensor(-60 * _LN10_20, device=f0.device)
    e_amp = (pred_amp - target_amp).abs()
    counted = audible if above_hz is None else audible & (k * f0[..., None] >= above_hz)
    e_dist = ((torch.maximum(pred_dist, fl) - torch.maximum(target_dist, fl)).abs() * counted).sum(-1)
    e_dist = e_dist / counted.sum(-1).clamp(min=1)
    pred_n = log_ref[..., None] + _soft_bound(out[..., 1 + cfg.n_harmonics :])
    fn = (log_ref - 80 * _LN10_20)[..., None]
    e_bands = (torch.maximum(pred_n, fn) - torch.maximum(batch["noise_log"], fn)).abs()
    if above_hz is None:
        e_n = e_bands.mean(-1)
    else:
        band_hz = torch.linspace(0.0, NOISE_TOP_HZ, cfg.n_bands, dtype=f0.dtype, device=f0.device)
        e_n = e_bands[..., band_hz >= above_hz].mean(-1)
        e_amp = torch.zeros_like(e_amp)
    w = batch["weight"]
    per_frame = e_amp + e_dist + 0.5 * e_n
    return (per_frame * w).sum() / w.sum().clamp(min=1.0)


def spectral_loss(x: torch.Tensor, y: torch.Tensor, *, fft_sizes: tuple[int, ...] = (2048, 1024, 512, 256, 128, 64),
                  log_weight: float = 1.0) -> torch.Tensor:  # fmt: skip
    """DDSP's multi-scale spectral loss: sum over FFT sizes of mean |S_x - S_y| + mean |log S_x - log S_y|.

    Hann windows, 75 % overlap, magnitudes (not power), ``log(S + 1e-7)``.

    >>> a = torch.randn(1, 4096, generator=torch.Generator().manual_seed(0))
    >>> float(spectral_loss(a, a)) == 0.0
    True
    """
    total = x.new_zeros(())
    for n in fft_sizes:
        win = torch.hann_window(n, dtype=x.dtype, device=x.device)
        sx = torch.stft(x, n, hop_length=n // 4, window=win, return_complex=True).abs()
        sy = torch.stft(y, n, hop_length=n // 4, window=win, return_complex=True).abs()
        total = total + (sx - sy).abs().mean() + log_weight * (torch.log(sx + 1e-7) - torch.log(sy + 1e-7)).abs().mean()
    return total


def _band_resampler(n_bands: int, sample_rate: int) -> torch.Tensor:
    """[n_bands (model grid 0-24 kHz), n_bands (0-Nyquist at sample_rate)] linear interpolation."""
    src = np.linspace(0.0, NOISE_TOP_HZ, n_bands)
    dst = np.linspace(0.0, sample_rate / 2.0, n_bands)
    m = np.stack([np.interp(dst, src, np.eye(n_bands)[i], right=0.0) for i in range(n_bands)])
    return torch.from_numpy(m).float()


def synthesize_16k(out: torch.Tensor, f0_hz: torch.Tensor, loudness_db: torch.Tensor, cfg: DecoderConfig, *,
                   generator: torch.Generator | None = None, sample_rate: int = 16000) -> torch.Tensor:  # fmt: skip
    """Audio [B, n] at ``sample_rate`` from decoder heads, through the torch twins, on the heads'
    device. ``loudness_db`` is the RMS level the amplitudes are anchored to. The white noise is
    drawn on the CPU by ``generator`` (a CPU generator) and moved, so a seed gives the same
    noise on any device."""
    from partita.render import twin

    dev = out.device
    log_h, log_n, _ = _log_outputs(out, f0_hz, loudness_db, cfg, sample_rate=sample_rate)
    silent = (loudness_db <= -100.0)[..., None]
    amps = torch.exp(log_h).masked_fill(silent, 0.0)
    harm = twin.harmonic_bank(f0_hz=f0_hz, harmonic_amplitudes=amps, frame_rate=cfg.frame_rate, sample_rate=sample_rate)
    mags = torch.exp(log_n).masked_fill(silent, 0.0) @ _band_resampler(cfg.n_bands, sample_rate).to(dev)
    white = ((torch.rand(harm.shape, generator=generator) * 2 - 1) * math.sqrt(3.0)).to(dev)
    noise = twin.filtered_noise(noise_magnitudes=mags, frame_rate=cfg.frame_rate, sample_rate=sample_rate, noise=white)
    return harm + noise[..., : harm.shape[-1]]
