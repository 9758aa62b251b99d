"""Where samples sit against control frames: the time grid the synthesis kernels share.

Control frames sit at ``frame / frame_rate`` seconds; sample ``n`` (counted from the start of a
phrase) belongs to frame ``int(n * ratio)``, ``ratio = frame_rate / sample_rate``, computed from
the absolute sample index and never accumulated, so that blocking a render cannot move it.
:func:`_segment_start` inverts that: the first sample of a frame. The kernels of
:mod:`partita.render.synth` and :mod:`partita.render.strings` call these; Python callers call
:func:`segment_start` and :func:`n_samples_for_frames`.

>>> r = _ratio(250.0, 48000)
>>> segment_start(1, r), n_samples_for_frames(250, frame_rate=250.0, sample_rate=48000)
(192, 48000)
"""

from __future__ import annotations

from partita.errors import ConfigError
from partita.render.jit import njit

__all__ = ["n_samples_for_frames", "segment_start"]


@njit(cache=True, inline="always")
def _frame_of(n, ratio):
    return int(n * ratio)


@njit(cache=True)
def _segment_start(frame, ratio):
    """Smallest sample index n >= 0 whose frame int(n * ratio) is >= frame."""
    if frame <= 0:
        return 0
    m = int(frame / ratio)
    while m > 0 and int((m - 1) * ratio) >= frame:
        m -= 1
    while int(m * ratio) < frame:
        m += 1
    return m


def segment_start(frame: int, ratio: float) -> int:
    """:func:`_segment_start` (the first sample of control frame ``frame``) run by Python, for
    callers in Python: the same arithmetic (float64, truncation), so the same index, without a
    kernel's dispatch (some 5 us a call, against 1 us for the sum itself)."""
    return int(_segment_start.py_func(int(frame), float(ratio)))


def _ratio(frame_rate: float, sample_rate: int) -> float:
    if not (frame_rate > 0 and sample_rate > 0):
        raise ConfigError(f"frame rate {frame_rate} and sample rate {sample_rate} must be positive")
    if frame_rate * 2 > sample_rate:
        raise ConfigError(f"frame rate {frame_rate} Hz is above half the sample rate")
    return float(frame_rate) / float(sample_rate)


def n_samples_for_frames(n_frames: int, *, frame_rate: float, sample_rate: int) -> int:
    """Number of samples ``n_frames`` control frames cover (each frame holds one hop).

    >>> n_samples_for_frames(250, frame_rate=250.0, sample_rate=48000)
    48000
    """
    return int(_segment_start(int(n_frames), _ratio(frame_rate, sample_rate)))
