"""Batches and held-out measures of the neural decoder's training: the network's input features in
torch, windows of the data as tensors, and the held-out regression and spectral losses that
validation reports and ``--patience`` decides by (:func:`partita.render.neural.train`). ``cfg``
is the decoder's :class:`partita.render.neural.DecoderConfig` (not imported: that module imports
this one).

>>> import numpy as np
>>> data = {"split": np.array([0, 0, 1, 1, 1, 0])}
>>> _split_starts(data, 2, val=True).tolist()
[2, 3]
"""

from __future__ import annotations

import math
from typing import Any, Mapping

import numpy as np
import torch
from torch import nn

from partita.render.neural_losses import regression_loss, spectral_loss, synthesize_16k

__all__ = ["torch_features", "evaluate_regression", "evaluate_spectral"]


def torch_features(f0_hz: torch.Tensor, loudness_a_db: torch.Tensor, onset: torch.Tensor) -> torch.Tensor:
    """Torch twin of :func:`partita.render.neural_infer.features`: [..., T] x3 -> [..., T, 3]."""
    midi = 69.0 + 12.0 * torch.log2(torch.clamp(f0_hz, min=1.0) / 440.0)
    level = (torch.clamp(loudness_a_db, min=-100.0) + 40.0) / 20.0
    return torch.stack([(midi - 60.0) / 24.0, level, onset.to(level.dtype)], dim=-1).float()


def _batch_features(b: Mapping[str, torch.Tensor]) -> torch.Tensor:
    return torch_features(b["f0_hz"], b["loudness_a_db"], b["onset"])


_BATCH_KEYS = ("f0_hz", "loudness_db", "loudness_a_db", "onset", "harm_log", "noise_log", "weight")


def _tensor_batch(data: Mapping[str, np.ndarray], idx: np.ndarray, t: int, device: str = "cpu") -> dict[str, torch.Tensor]:
    """Windows ``idx .. idx + t`` of the (CPU) data as tensors on ``device``."""
    rows = idx[:, None] + np.arange(t)[None, :]
    return {k: torch.from_numpy(np.ascontiguousarray(data[k][rows])).to(device) for k in _BATCH_KEYS}


def _split_starts(data: Mapping[str, np.ndarray], t: int, val: bool) -> np.ndarray:
    """Window starts whose whole window lies in training (or validation) items."""
    is_val = data["split"] == 1
    ok = is_val if val else ~is_val
    # a start is fine when ok holds for the whole window: a running minimum via cumulative sums
    c = np.concatenate([[0], np.cumsum(ok.astype(np.int64))])
    n = len(ok) - t + 1
    if n <= 0:
        return np.zeros(0, np.int64)
    full = (c[t:] - c[:-t])[:n] == t
    return np.nonzero(full)[0]


def evaluate_regression(model: nn.Module, data: Mapping[str, np.ndarray], cfg: Any, *, t: int = 256,
                        device: str = "cpu", above_hz: float | None = None) -> float:  # fmt: skip
    """Mean regression loss over non-overlapping validation windows (``data`` with the onset
    feature, see :func:`decoder_inputs`); ``above_hz``: its upper-band terms only (see
    :func:`~partita.render.neural_losses.regression_loss`)."""
    starts = _split_starts(data, t, val=True)
    while len(starts) == 0 and t > 16:  # short held-out items: shorter windows
        t //= 2
        starts = _split_starts(data, t, val=True)
    if len(starts) == 0:
        return float("nan")
    starts = starts[:: max(1, t)][:256] if len(starts) > t else starts[:1]
    model.eval()
    with torch.no_grad():
        b = _tensor_batch(data, starts, t, device)
        out = model(_batch_features(b))
        loss = float(regression_loss(out, b, cfg, above_hz=above_hz))
    model.train()
    return loss


def _synthesis_and_target(model: nn.Module, data: Mapping[str, np.ndarray], idx: np.ndarray, t: int, cfg: Any,
                          device: str, generator: torch.Generator) -> tuple[dict[str, torch.Tensor], torch.Tensor, torch.Tensor, torch.Tensor]:  # fmt: skip
    """Windows ``idx .. idx + t``: (batch, decoder output, its 16 kHz synthesis, the recording's 16 kHz
    audio of the same windows), what the spectral stage trains on and its held-out measure scores."""
    b = _tensor_batch(data, idx, t, device)
    o = model(_batch_features(b))
    y = synthesize_16k(o, b["f0_hz"], b["loudness_db"], cfg, generator=generator)
    rows = idx[:, None] * 64 + np.arange(y.shape[-1])[None, :]
    target = torch.from_numpy(data["audio16"][np.minimum(rows, len(data["audio16"]) - 1)]).to(device)
    return b, o, y, target


def evaluate_spectral(model: nn.Module, data: Mapping[str, np.ndarray], cfg: Any, *, t: int = 125,
                      device: str = "cpu", max_windows: int = 32) -> float:  # fmt: skip
    """Mean multi-scale spectral loss (16 kHz) of the decoder's synthesis against the recording over
    up to ``max_windows`` non-overlapping held-out windows of ``t`` frames, spread over the
    validation items; the synthesis noise is seeded, so the figure is the same at every call.
    NaN without audio (``audio16``) or held-out windows."""
    if "audio16" not in data:
        return float("nan")
    starts = _split_starts(data, t, val=True)
    starts = starts[:: max(1, t)]
    if len(starts) == 0:
        return float("nan")
    starts = starts[np.linspace(0, len(starts) - 1, min(max_windows, len(starts))).astype(int)]
    model.eval()
    losses = []
    with torch.no_grad():
        for chunk in np.array_split(starts, max(1, len(starts) // 8)):
            _, _, y, target = _synthesis_and_target(model, data, chunk, t, cfg, device, torch.Generator().manual_seed(12345))
            losses += [float(spectral_loss(y[i : i + 1], target[i : i + 1])) for i in range(len(chunk))]
    model.train()
    return float(np.mean(losses))


def _improved(value: float, best: float | None, min_improvement: float) -> bool:
    return math.isfinite(value) and (best is None or value < best * (1.0 - min_improvement))
