"""Pitch tracking of training audio: YIN (numpy) and CREPE (torchcrepe) on 16 kHz audio, each
returning f0 and a voicing measure on the decoders' 4 ms (250 frames/s) grid. How
:func:`partita.render.dataset.analyze` combines them is described there.
"""

from __future__ import annotations

import sys

import numpy as np

__all__ = ["FRAME_RATE", "yin_f0", "crepe_f0"]

FRAME_RATE = 250.0


def _frames_slice(x: np.ndarray, win: int, hop: int, lo: int, hi: int) -> np.ndarray:
    pad = np.pad(x, (win // 2, win))
    idx = np.arange(lo, hi)[:, None] * hop + np.arange(win)[None, :]
    return pad[np.minimum(idx, len(pad) - 1)]



def yin_f0(x16: np.ndarray, *, n_frames: int, fmin_hz: float = 27.0, fmax_hz: float = 2100.0,
           threshold: float = 0.15) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """YIN f0 of 16 kHz audio at 250 frames/s.

    Returns (f0_hz float64 [n_frames], 0 where unvoiced; aperiodicity [n_frames] in [0, 1],
    the CMNDF minimum: low means clearly periodic).
    """
    sr = 16000
    win = 2048
    tmax = min(int(sr / fmin_hz) + 2, win // 2)
    tmin = max(2, int(sr / fmax_hz))
    f0 = np.zeros(n_frames)
    aper = np.ones(n_frames)
    for s in range(0, n_frames, 2048):
        fr = _frames_slice(x16, win, 64, s, min(n_frames, s + 2048))
        fr = fr - fr.mean(axis=1, keepdims=True)
        w = win // 2  # integration window
        spec = np.fft.rfft(fr, n=2 * win, axis=1)
        r = np.fft.irfft(spec[:, :] * np.conj(np.fft.rfft(fr[:, :w], n=2 * win, axis=1)), axis=1)[:, : tmax + 1]
        e = np.cumsum(np.pad(fr**2, ((0, 0), (1, 0))), axis=1)
        energy0 = e[:, w]
        energy_tau = e[:, w : w + tmax + 1] - e[:, : tmax + 1]
        d = energy0[:, None] + energy_tau - 2 * r
        d[:, 0] = 0
        cs = np.cumsum(d[:, 1:], axis=1)
        cmndf = np.ones_like(d)
        cmndf[:, 1:] = d[:, 1:] * np.arange(1, tmax + 1)[None, :] / np.maximum(cs, 1e-12)
        c = cmndf[:, tmin:]
        below = c < threshold
        first = np.where(below.any(axis=1), below.argmax(axis=1), c.argmin(axis=1))
        # walk down to the local minimum after the first dip below the threshold
        for i in range(c.shape[0]):
            j = first[i]
            while j + 1 < c.shape[1] and c[i, j + 1] < c[i, j]:
                j += 1
            first[i] = j
        tau = first + tmin
        rows = np.arange(c.shape[0])
        y0 = cmndf[rows, np.maximum(tau - 1, 0)]
        y1 = cmndf[rows, tau]
        y2 = cmndf[rows, np.minimum(tau + 1, tmax)]
        den = y0 - 2 * y1 + y2
        shift = np.where(np.abs(den) > 1e-12, 0.5 * (y0 - y2) / np.where(np.abs(den) > 1e-12, den, 1.0), 0.0)
        t = tau + np.clip(shift, -1, 1)
        f0[s : s + len(t)] = sr / t
        aper[s : s + len(t)] = np.clip(y1, 0, 1)
    return f0, aper


def _import_torchcrepe():
    """Import torchcrepe, whose ``__init__`` imports torchaudio (for ``torchcrepe.load.audio``,
    a file reader partita never calls). PyPI's torchaudio wheels are CUDA builds that fail to
    load next to the CPU torch partita installs (an OSError from its C++ library), so when
    ``import torchaudio`` fails, any half-imported torchaudio modules are dropped and an empty
    stand-in module takes its place; a torchaudio that imports is left alone."""
    try:
        import torchaudio  # noqa: F401
    except Exception:  # noqa: BLE001 - OSError (library will not load) or ImportError (absent)
        import types

        for key in [k for k in sys.modules if k == "torchaudio" or k.startswith("torchaudio.")]:
            del sys.modules[key]
        stand_in = types.ModuleType("torchaudio", "Stand-in registered by partita: the real torchaudio does not import here.")
        sys.modules["torchaudio"] = stand_in
    import torchcrepe

    return torchcrepe


def crepe_f0(x16: np.ndarray, *, n_frames: int, model: str = "tiny", batch_frames: int = 512,
             device: str = "cpu") -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """CREPE f0 of 16 kHz audio on the 4 ms (250 frames/s) grid.

    CREPE runs at a 10 ms hop (frame ``j`` centred on sample ``160 j``); its 360 bin
    probabilities are decoded by the probability-weighted mean of the cents of the 9 bins around
    the peak (CREPE's own local average; torchcrepe's ``weighted_argmax`` adds random dither,
    which would make datasets differ from run to run), then interpolated onto the 4 ms grid in
    log frequency. The bins cover 32.70-1975.5 Hz; callers fall back to YIN above
    :data:`partita.render.dataset.CREPE_TOP_HZ`.

    Parameters
    ----------
    x16
        float [n_samples] audio at 16 kHz.
    model
        ``"tiny"`` (about 200 frames/s on one CPU core) or ``"full"`` (about 9 frames/s).

    Returns
    -------
    (f0_hz float64 [n_frames], periodicity float64 [n_frames] in [0, 1]: the peak bin's
    probability, high when clearly pitched).
    """
    import torch

    tc = _import_torchcrepe()
    audio = torch.from_numpy(np.ascontiguousarray(x16, dtype=np.float32))[None]
    probs = []
    with torch.no_grad():
        for frames in tc.preprocess(audio, 16000, 160, batch_frames, device, True):
            probs.append(tc.infer(frames, model, device).detach().cpu().numpy().astype(np.float64))
    p = np.concatenate(probs) if probs else np.zeros((0, 360))
    if len(p) == 0:
        return np.full(n_frames, 220.0), np.zeros(n_frames)
    peak = p.argmax(axis=1)
    bins = np.arange(360)
    near = np.abs(bins[None, :] - peak[:, None]) <= 4
    cents = 20.0 * bins + 1997.3794084376191  # torchcrepe.convert: bin 0 = 32.70 Hz, 20 cents a bin
    pw = p * near
    c = (pw * cents[None, :]).sum(axis=1) / np.maximum(pw.sum(axis=1), 1e-12)
    t_crepe = np.arange(len(p)) * 0.010
    t_grid = np.arange(n_frames) / FRAME_RATE
    log_f0 = np.interp(t_grid, t_crepe, c / 1200.0)
    f0 = 10.0 * 2.0**log_f0
    per = np.interp(t_grid, t_crepe, p[np.arange(len(p)), peak])
    return f0, np.clip(per, 0.0, 1.0)
