"""The master: bus gain, limiter and true-peak brickwall, iterated until the loudness is within
tolerance of the target and the true peak at or under the ceiling (:func:`master_bus`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from partita.mixing.meters import (
    _blocks_touched,
    _true_peak_envelope,
    db_to_gain,
    integrated_lufs,
    true_peak_dbtp,
)
from partita.mixing.settings import MixSettings

__all__ = ["MasterReport", "master_bus"]


@dataclass(frozen=True, slots=True)
class MasterReport:
    """What the master measures: loudness (LUFS), true peak (dBTP), passes, targets met."""

    integrated_lufs: float
    true_peak_dbtp: float
    sample_peak_dbfs: float
    gain_db: float
    iterations: int
    target_lufs: float
    true_peak_ceiling_dbtp: float
    meets_target: bool

    def to_dict(self) -> dict[str, Any]:
        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                for k, v in ((f, getattr(self, f)) for f in self.__slots__)}  # fmt: skip


def _brickwall_gain(env: np.ndarray, *, sample_rate: int, ceiling_db: float) -> np.ndarray | None:
    """The look-ahead gain (float64, n_samples) that keeps ``env`` under ``ceiling_db``; None
    when nothing is over.

    The gain needed at each sample, g = min(1, ceiling / envelope), is held by a running minimum
    over 1.5 ms ahead and 20 ms behind and smoothed by a 1.5 ms moving average; every window of
    the average contains the sample itself, so the applied gain never exceeds the needed one.
    """
    from scipy.ndimage import minimum_filter1d, uniform_filter1d

    ceiling = db_to_gain(ceiling_db)
    need = np.minimum(1.0, ceiling / np.maximum(env, 1e-12))
    if need.min() >= 1.0:
        return None
    look = max(2, int(round(0.0015 * sample_rate)))
    hold = int(round(0.02 * sample_rate))
    size = look + hold
    # window [n - hold, n + look - 1] (a positive origin moves scipy's centred window back)
    held = minimum_filter1d(need, size=size, origin=hold - size // 2, mode="nearest")
    # moving average over [n - look + 1, n]
    smooth = uniform_filter1d(held, size=look, origin=look - 1 - look // 2, mode="nearest")
    return np.minimum(smooth, held)


def _brickwall(x: np.ndarray, *, sample_rate: int, ceiling_db: float) -> np.ndarray:
    """``x`` with :func:`_brickwall_gain` of its true-peak envelope applied (``x`` itself when
    nothing is over)."""
    gain = _brickwall_gain(_true_peak_envelope(x), sample_rate=sample_rate, ceiling_db=ceiling_db)
    return x if gain is None else (x * gain[None, :]).astype(np.float32)


def master_bus(bus: np.ndarray, *, sample_rate: int, settings: MixSettings) -> tuple[np.ndarray, MasterReport]:
    """Bring the bus to ``settings.target_lufs`` under ``settings.true_peak_ceiling_dbtp``.

    Each pass applies a gain and pedalboard's limiter (threshold 1 dB under the ceiling, sample
    peak) and measures the loudness; the gain moves by a secant step. Once the loudness is
    within 0.1 LU, the true peak is measured; if it is over the ceiling, a true-peak brickwall
    (0.1 dB under the ceiling) follows and both are measured again; if either is still off,
    the passes go on (the brickwall's ceiling lowered by any overshoot), at most
    ``settings.max_iterations`` in all.

    Parameters
    ----------
    bus
        float32 (2, n_samples).

    Returns
    -------
    master : float32 (2, n_samples)
    report : MasterReport

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> bus = (0.05 * rng.standard_normal((2, 48000 * 3))).astype(np.float32)
    >>> out, rep = master_bus(bus, sample_rate=48000, settings=MixSettings())
    >>> abs(rep.integrated_lufs + 14.0) <= 0.5, rep.true_peak_dbtp <= -1.0
    (True, True)
    """
    import pedalboard as pb

    target, ceiling = settings.target_lufs, settings.true_peak_ceiling_dbtp
    loud0 = integrated_lufs(bus, sample_rate=sample_rate)
    if not math.isfinite(loud0):
        out = np.zeros_like(bus, dtype=np.float32)
        rep = MasterReport(float("-inf"), float("-inf"), float("-inf"), 0.0, 0, target, ceiling, False)
        return out, rep

    def limited(gain_db: float) -> np.ndarray:
        limiter = pb.Limiter(threshold_db=ceiling - 1.0, release_ms=settings.limiter_release_ms)
        return np.asarray(limiter(np.ascontiguousarray(bus * np.float32(db_to_gain(gain_db))), sample_rate), np.float32)

    # passes of gain + limiter (cheap) move the loudness onto the target by the secant method
    # (the limiter makes loudness grow slower than gain); then the true-peak brickwall and the
    # true-peak meter (the costly oversampling) run, and the loop goes on only if they moved it
    gain_db, wall_db = target - loud0, ceiling - 0.1
    tried: list[tuple[float, float]] = []
    best: tuple[float, np.ndarray, float, float, float] | None = None
    it = 0
    while it < settings.max_iterations:
        it += 1
        y = limited(gain_db)
        loud = integrated_lufs(y, sample_rate=sample_rate)
        tried.append((gain_db, loud))
        if abs(loud - target) > 0.1 and it < settings.max_iterations:
            gain_db = _next_gain(tried, target)
            continue
        env = _true_peak_envelope(y)  # its maximum is the true peak
        tp = _to_db(env.max())
        if tp > ceiling:  # the brickwall only where the limiter left an (inter-sample) over
            gain = _brickwall_gain(env, sample_rate=sample_rate, ceiling_db=wall_db)
            y = (y * gain[None, :]).astype(np.float32)
            # the envelope again only where the gain moved: elsewhere the signal is unchanged
            env = _true_peak_envelope(y, blocks=_blocks_touched(gain < 1.0), env=env)
            tp = _to_db(env.max())
            loud = integrated_lufs(y, sample_rate=sample_rate)
        err = abs(loud - target) + max(0.0, tp - ceiling) * 10.0
        if best is None or err < best[0]:
            best = (err, y, loud, tp, gain_db)
        if abs(loud - target) <= 0.1 and tp <= ceiling:
            break
        if tp > ceiling:
            wall_db -= tp - ceiling + 0.02
        tried.append((gain_db, loud))
        gain_db = _next_gain(tried, target)
    if best is None:  # every pass was spent on loudness: finish the last one
        y = _brickwall(y, sample_rate=sample_rate, ceiling_db=wall_db)
        best = (0.0, y, integrated_lufs(y, sample_rate=sample_rate), true_peak_dbtp(y), gain_db)  # pragma: no cover
    _, y, loud, tp, gain_db = best
    sample_peak = float(np.abs(y).max())
    rep = MasterReport(
        integrated_lufs=loud, true_peak_dbtp=tp,
        sample_peak_dbfs=20 * math.log10(sample_peak) if sample_peak > 0 else float("-inf"),
        gain_db=gain_db, iterations=it, target_lufs=target, true_peak_ceiling_dbtp=ceiling,
        meets_target=abs(loud - target) <= settings.lufs_tolerance_lu and tp <= ceiling,
    )  # fmt: skip
    return np.ascontiguousarray(y, dtype=np.float32), rep


def _to_db(peak: float) -> float:
    return 20.0 * math.log10(peak) if peak > 0 else float("-inf")


def _next_gain(tried: list[tuple[float, float]], target: float) -> float:
    """The next gain (dB): a secant step through the last two (gain, loudness) pairs, its slope
    kept in [0.2, 1]; a plain step of the error after the first pass."""
    g1, l1 = tried[-1]
    slope = 1.0
    if len(tried) >= 2:
        g0, l0 = tried[-2]
        if abs(g1 - g0) > 1e-6:
            slope = min(1.0, max(0.2, (l1 - l0) / (g1 - g0)))
    return g1 + (target - l1) / slope
