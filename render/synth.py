"""Synthesis kernels: a harmonic oscillator bank and filtered noise, in numba.

Each public function checks its input and allocates; a private ``@numba.njit(cache=True)``
kernel does the work. Audio is float32 ``(n_channels, n_samples)``; phase is a whole number of
2**-52 cycles (a float64 in [0, 1) at the interface), carried from one call to the next, so a
render in blocks equals a render in one pass sample for sample
(``tests/test_render_synth.py`` checks block sizes from 1 up).

Time (:mod:`partita.render.frames`, the grid this module shares with the string models): sample
``n`` of a phrase, whatever block it falls in, sits at frame position ``n * frame_rate /
sample_rate``, computed from its absolute index, and takes its controls by linear interpolation
between the two frames around it.

Harmonic bank
    ``sin(k * theta)`` for k = 1..K comes from the Chebyshev recurrence
    ``s_k = 2 cos(theta) s_(k-1) - s_(k-2)`` in float32 from a float32 sin and cos of a
    float64-reduced angle (one of each per sample, two flops per harmonic), vectorised over the
    samples of one frame interval; the phase itself is a fixed-point count of 2**-52 cycles,
    each sample's increment rounded once and summed exactly in integers. Harmonic k is
    weighted by ``clip((nyquist - k f0[n]) / fade_hz, 0, 1)`` computed *per sample*, so no
    harmonic sounds at or above Nyquist even for one sample of a fast glide, and a harmonic
    that crosses Nyquist fades out instead of switching off with a click.

Filtered noise
    White noise from a counter-based 32-bit hash of (seed, sample index) -- so any block can be
    generated on its own -- split into frame segments; each segment is convolved with that
    frame's FIR filter and the results are overlap-added. The filter of a frame is designed by
    frequency sampling: ``n_bands`` magnitudes from 0 Hz to Nyquist, inverse real FFT (zero
    phase), shifted by half its length to be causal and Hann-windowed (DDSP's
    ``frequency_filter``). Its length is ``2 * (n_bands - 1)`` taps, so the noise lags the
    controls by ``n_bands - 1`` samples.

>>> import numpy as np
>>> amps = np.zeros((10, 3), np.float32); amps[:, 0] = 0.5
>>> audio, phase = harmonic_bank(f0_hz=np.full(10, 1000.0, np.float32), harmonic_amplitudes=amps,
...                              frame_rate=250.0, sample_rate=48000)
>>> audio.shape, audio.dtype, round(float(np.abs(audio).max()), 3)
((1, 1920), dtype('float32'), 0.5)
"""

from __future__ import annotations

import math

import numpy as np

from partita.errors import ConfigError
from partita.render.controls import SynthParams
from partita.render.frames import _frame_of, _ratio, _segment_start, n_samples_for_frames
from partita.render.jit import njit

__all__ = [
    "DEFAULT_FADE_FRACTION",
    "harmonic_bank",
    "filtered_noise",
    "noise_filter_basis",
    "n_samples_for_frames",
    "synthesize",
    "synthesize_arrays",
    "warmup",
]

#: Harmonics fade out over the top 4 % of the band below Nyquist (0.96 x 24 kHz = 23.04 kHz).
DEFAULT_FADE_FRACTION = 0.04
_TWO_PI = 2.0 * math.pi


# ---------------------------------------------------------------------------------------------
# Kernels


@njit(cache=True, inline="always", error_model="numpy", fastmath={"contract"})
def _reduce_cycles(p):
    """The quadrant ``q = round(4 p)`` of a phase p in [0, 1) cycles and the reduced angle
    ``r = 2 pi (p - q / 4)`` in [-pi/4, pi/4], taken in float64 and returned as float32 (q is a
    whole number 0..4: exact). The quadrant stays a floating-point number: AVX2 has no vector
    conversion between float64 and int64 (``math.floor``, which numba makes an int, and
    ``int(q) & 3`` were converted lane by lane in the middle of the vectorised loop)."""
    q = np.floor(4.0 * p + 0.5)
    return np.float32((p - 0.25 * q) * _TWO_PI), np.float32(q)


@njit(cache=True, inline="always", error_model="numpy", fastmath={"contract"})
def _sin_cos_reduced(r, q):
    """sin and cos of ``r + q pi / 2`` (:func:`_reduce_cycles`'s angle and quadrant), in float32:
    r's Taylor series to r**9 for the sine and r**10 for the cosine (truncation below 2e-9,
    against float32's half ulp of 6e-8 at 1), then the quadrant's swap and signs, selected by
    comparisons -- branch-free float32 arithmetic that LLVM vectorises eight values to a vector
    (no libm call; a loop that also held the float64 reduction ran four to a vector)."""
    r2 = r * r
    s = r + r * r2 * (np.float32(-1.0 / 6.0) + r2 * (np.float32(1.0 / 120.0) + r2 * (
        np.float32(-1.0 / 5040.0) + r2 * np.float32(1.0 / 362880.0))))
    c = np.float32(1.0) + r2 * (np.float32(-0.5) + r2 * (np.float32(1.0 / 24.0) + r2 * (np.float32(-1.0 / 720.0) + r2 * (
        np.float32(1.0 / 40320.0) + r2 * np.float32(-1.0 / 3628800.0)))))
    quadrant = q if q < np.float32(4.0) else np.float32(0.0)  # q mod 4, q in 0..4
    odd = np.abs(quadrant - np.float32(2.0)) == np.float32(1.0)  # quadrant 1 or 3
    sv = c if odd else s
    cv = s if odd else c
    sv = -sv if quadrant >= np.float32(2.0) else sv  # negating is exact
    cv = -cv if np.abs(quadrant - np.float32(1.5)) < np.float32(1.0) else cv  # quadrant 1 or 2
    return sv, cv


# The harmonic kernel works on tiles of at most _TILE samples inside one frame interval. Its
# per-sample state lives in two buffers at constant offsets (float64: the frequencies and the
# phases, whose running sum must not drift; float32: everything per harmonic), so LLVM can prove
# that the rows do not overlap and vectorise the loops over samples, eight float32 lanes wide.
_TILE = 192  # a whole 250 Hz frame at 48 kHz: the per-tile set-up once a frame
_F = 0  # float64 buffer
_W = 0  # float32 buffer
_C2 = _TILE
_CUR = 2 * _TILE
_PREV = 3 * _TILE
_ACC = 4 * _TILE
_F32 = 5 * _TILE
_R = 6 * _TILE  # the reduced angle (see _reduce_cycles)
_Q = 7 * _TILE  # and its quadrant
_GROUP = 4  # harmonics per pass over a tile

# The phase is a fixed-point number of cycles, in units of 2**-52 (int64): each sample's
# increment is rounded to that grid once, and the running sum of integers is exact, so the
# phase of a sample does not depend on where a block or a tile starts, and the sum -- the one
# sequential chain per sample -- is an integer add. A phase below 2**52 units is a float64
# exactly (the carried ``phase`` in and out); _MAGIC turns float64 values below 2**51 into
# integers and back without a conversion instruction (AVX2 has none between float64 and int64).
_PHASE_BITS = 52
_PHASE_ONE = 1 << _PHASE_BITS
_PHASE_MASK = _PHASE_ONE - 1
_MAGIC = float(_PHASE_ONE)  # 2**52: x + _MAGIC has x's nearest integer in its low 52 bits
_MAGIC_BITS = 0x4330000000000000  # the bits of 2**52
_ONE_BITS = 0x3FF0000000000000  # the bits of 1.0: | p gives 1 + p 2**-52


@njit(cache=True, error_model="numpy", nogil=True, fastmath={"contract"})
def _harmonic_kernel(f0, amps, ratio, inv_sr, nyquist, fade_hz, start, phase, out):
    # amps has a multiple of _GROUP columns (padded with zeros by the caller)
    n = out.shape[0]
    n_frames = amps.shape[0]
    n_harm = amps.shape[1]
    last = n_frames - 1
    buf = np.zeros(_TILE)
    inc = np.zeros(_TILE)  # a tile's phase increments + _MAGIC (float64), read as int64
    inc_bits = inc.view(np.int64)
    units = np.zeros(_TILE, np.int64)  # a tile's phases in 2**-52 cycles, then as float64 bits
    units_f = units.view(np.float64)
    acc = np.int64(round(phase * _MAGIC)) & _PHASE_MASK
    per_unit = _MAGIC * inv_sr  # a frequency in Hz -> its increment in 2**-52 cycles per sample
    iota = np.arange(_TILE).astype(np.float64)  # j as float64, read (not converted: see _reduce_cycles)
    b = np.zeros(8 * _TILE, np.float32)
    inv_fade = np.float32(1.0 / fade_hz)
    nyq32 = np.float32(nyquist)
    zero = np.float32(0.0)
    one = np.float32(1.0)
    two = np.float32(2.0)
    three = np.float32(3.0)
    i = 0
    while i < n:
        g = start + i
        fi = _frame_of(g, ratio)
        m = min(n - i, _TILE, _segment_start(fi + 1, ratio) - g)
        if fi >= last:
            fa = last
            fb = last
        else:
            fa = fi
            fb = fi + 1
        f_a = np.float64(f0[fa])
        df = np.float64(f0[fb]) - f_a
        # interpolation weights and frequencies vectorise ((g + j) as a float64 sum of two
        # integers below 2**53 is exact, the same number as converting the int64 sum)
        if fa == fb:
            for j in range(m):
                b[_W + j] = 0.0
                buf[_F + j] = f_a + df * 0.0
                b[_F32 + j] = np.float32(buf[_F + j])
        else:
            g_f = np.float64(g)
            fi_f = np.float64(fi)
            for j in range(m):
                wj = (g_f + iota[j]) * ratio - fi_f
                b[_W + j] = np.float32(wj)
                buf[_F + j] = f_a + df * wj
                b[_F32 + j] = np.float32(buf[_F + j])
        f_min = min(buf[_F], buf[_F + m - 1])
        f_max = max(buf[_F], buf[_F + m - 1])
        # the phase: each sample's increment rounded to 2**-52 cycles (vectorised), their
        # running sum in integers (the one sequential loop: an add per sample; a tile adds
        # less than 2**11 wraps, so the sum is masked once a tile), then the phases as float64
        for j in range(m):
            inc[j] = buf[_F + j] * per_unit + _MAGIC
        for j in range(m):
            units[j] = acc
            acc += inc_bits[j] - _MAGIC_BITS
        acc &= _PHASE_MASK
        for j in range(m):
            units[j] = (units[j] & _PHASE_MASK) | _ONE_BITS
        # sin and cos of the phase: reduced in float64, then a float32 series (two loops, so
        # that the second runs eight lanes wide), then the Chebyshev recurrence in float32: its
        # rounding stays about 105 dB below the sum (tests/test_render_synth.py)
        for j in range(m):
            b[_R + j], b[_Q + j] = _reduce_cycles(units_f[j] - 1.0)
        for j in range(m):
            s, c = _sin_cos_reduced(b[_R + j], b[_Q + j])
            b[_CUR + j] = 0.0  # sin(0 theta)
            b[_PREV + j] = -s  # sin(-theta)
            b[_C2 + j] = np.float32(2.0) * c
            b[_ACC + j] = 0.0
        k_top = n_harm
        while k_top > 0 and amps[fa, k_top - 1] == 0.0 and amps[fb, k_top - 1] == 0.0:
            k_top -= 1
        k_max = min(k_top, int(nyquist / f_min))
        k_full = min(k_max, int((nyquist - fade_hz) / f_max))
        for k0 in range(0, k_max, _GROUP):  # harmonics k0+1 .. k0+4
            a1 = amps[fa, k0]
            a2 = amps[fa, k0 + 1]
            a3 = amps[fa, k0 + 2]
            a4 = amps[fa, k0 + 3]
            d1 = amps[fb, k0] - a1
            d2 = amps[fb, k0 + 1] - a2
            d3 = amps[fb, k0 + 2] - a3
            d4 = amps[fb, k0 + 3] - a4
            silent = (a1 == 0.0 and a2 == 0.0 and a3 == 0.0 and a4 == 0.0
                      and d1 == 0.0 and d2 == 0.0 and d3 == 0.0 and d4 == 0.0)  # fmt: skip
            if silent:
                for j in range(m):
                    c = b[_C2 + j]
                    t1 = c * b[_CUR + j] - b[_PREV + j]
                    t2 = c * t1 - b[_CUR + j]
                    t3 = c * t2 - t1
                    t4 = c * t3 - t2
                    b[_PREV + j] = t3
                    b[_CUR + j] = t4
            elif k0 + _GROUP <= k_full:
                for j in range(m):
                    c = b[_C2 + j]
                    w = b[_W + j]
                    t1 = c * b[_CUR + j] - b[_PREV + j]
                    t2 = c * t1 - b[_CUR + j]
                    t3 = c * t2 - t1
                    t4 = c * t3 - t2
                    b[_PREV + j] = t3
                    b[_CUR + j] = t4
                    b[_ACC + j] += (
                        (a1 + d1 * w) * t1 + (a2 + d2 * w) * t2 + (a3 + d3 * w) * t3 + (a4 + d4 * w) * t4
                    )
            else:
                k1 = np.float32(k0 + 1)
                for j in range(m):
                    c = b[_C2 + j]
                    w = b[_W + j]
                    f = b[_F32 + j]
                    t1 = c * b[_CUR + j] - b[_PREV + j]
                    t2 = c * t1 - b[_CUR + j]
                    t3 = c * t2 - t1
                    t4 = c * t3 - t2
                    b[_PREV + j] = t3
                    b[_CUR + j] = t4
                    g1 = min(max((nyq32 - k1 * f) * inv_fade, zero), one)
                    g2 = min(max((nyq32 - (k1 + one) * f) * inv_fade, zero), one)
                    g3 = min(max((nyq32 - (k1 + two) * f) * inv_fade, zero), one)
                    g4 = min(max((nyq32 - (k1 + three) * f) * inv_fade, zero), one)
                    b[_ACC + j] += (
                        ((a1 + d1 * w) * g1) * t1 + ((a2 + d2 * w) * g2) * t2
                        + ((a3 + d3 * w) * g3) * t3 + ((a4 + d4 * w) * g4) * t4
                    )  # fmt: skip
        for j in range(m):
            out[i + j] = b[_ACC + j]
        i += m
    return acc / _MAGIC


@njit(cache=True, inline="always", error_model="numpy")
def _white(key):
    # lowbias32 (C. Wellons' 32-bit integer hash): a counter-based generator whose 32-bit
    # multiplies vectorise (splitmix64's 64-bit ones do not, with AVX2, and took half the noise's
    # time); uniform in [-sqrt(3), sqrt(3)) on a 2**-23 grid: variance 1
    z = np.uint32(key)
    z = np.uint32(z ^ (z >> np.uint32(16)))
    z = np.uint32(z * np.uint32(0x7FEB352D))
    z = np.uint32(z ^ (z >> np.uint32(15)))
    z = np.uint32(z * np.uint32(0x846CA68B))
    z = np.uint32(z ^ (z >> np.uint32(16)))
    u = np.float32(z >> np.uint32(8)) * np.float32(1.0 / 16777216.0)
    return (np.float32(2.0) * u - np.float32(1.0)) * np.float32(1.7320508075688772)


@njit(cache=True, error_model="numpy", nogil=True, fastmath={"contract"})
def _noise_kernel(mags, basis, ratio, seed, start, out, add):
    # mags [n_frames, n_bands] float32; basis [taps, n_bands] float32 (frequency sampling);
    # the noise is written to out (add False) or added to it (add True), once summed
    n = out.shape[0]
    n_frames = mags.shape[0]
    n_bands = mags.shape[1]
    taps = basis.shape[0]
    end = start + n
    acc = np.zeros(n, np.float32)
    taps4 = (taps + 3) // 4 * 4
    h = np.zeros(taps4, np.float32)  # taps past the filter's stay 0
    basis_t = np.ascontiguousarray(basis.T)  # [n_bands, taps]: the taps of a band side by side
    m_lo = max(0, start - taps + 1)
    f_lo = _frame_of(m_lo, ratio)
    f_hi = min(_frame_of(end - 1, ratio), n_frames - 1) if end > 0 else -1
    seed_u = np.uint64(seed)
    seed32 = np.uint32((seed_u ^ (seed_u >> np.uint64(32))) & np.uint64(0xFFFFFFFF))  # the seed folded to 32 bits
    mult = np.uint32(0x9E3779B9)
    # a frame's noise at x[3:], with three zeros on either side
    x = np.zeros(int(1.0 / ratio) + 2 + 6, np.float32)
    keys = np.zeros(int(1.0 / ratio) + 2, np.uint32)  # a frame's sample counters, hashed
    for f in range(f_lo, f_hi + 1):
        active = False
        for b in range(n_bands):
            if mags[f, b] != 0.0:
                active = True
                break
        if not active:
            continue
        # this frame's impulse response: the basis weighted by the band magnitudes (each tap
        # summed over the bands in order; the loop over the taps vectorises)
        for j in range(taps):
            h[j] = 0.0
        for b in range(n_bands):
            mb = mags[f, b]
            for j in range(taps):
                h[j] += basis_t[b, j] * mb
        ms = _segment_start(f, ratio)
        me = _segment_start(f + 1, ratio)
        # the keys first, then the hash over them: written as one loop, LLVM left it scalar
        for i in range(me - ms):
            keys[i] = np.uint32(np.uint32(ms + i) * mult)
        for i in range(me - ms):
            x[3 + i] = _white(np.uint32(seed32 ^ keys[i]))
        for k in range(3):
            x[3 + me - ms + k] = 0.0
        # output sample o = m + j gets h[j] x[m], tap after tap (the same order for any block
        # split); four taps per pass over the outputs, where a tap that does not reach an
        # output adds h[j] * 0, which leaves every sum as it was
        for j0 in range(0, taps4, 4):
            o_a = max(ms + j0, start)
            o_b = min(me + j0 + 3, end)
            if o_b <= o_a:
                continue
            h0 = h[j0]
            h1 = h[j0 + 1]
            h2 = h[j0 + 2]
            h3 = h[j0 + 3]
            # indices, not slices: a slice is an array made (and reference-counted) per pass,
            # which took a tenth of the kernel; unsigned, so numba adds no wraparound test
            d = np.uint64(o_a - start)
            i0 = np.uint64(o_a - j0 - ms + 3)
            for t in range(np.uint64(o_b - o_a)):
                xi = i0 + t
                acc[d + t] = acc[d + t] + h0 * x[xi] + h1 * x[xi - np.uint64(1)] + h2 * x[xi - np.uint64(2)] + h3 * x[xi - np.uint64(3)]
    if add:
        for i in range(n):
            out[i] += acc[i]
    else:
        for i in range(n):
            out[i] = acc[i]


# ---------------------------------------------------------------------------------------------
# Public functions


def harmonic_bank(
    *,
    f0_hz: np.ndarray,
    harmonic_amplitudes: np.ndarray,
    frame_rate: float,
    sample_rate: int,
    n_samples: int | None = None,
    start_sample: int = 0,
    phase: float = 0.0,
    fade_hz: float | None = None,
) -> tuple[np.ndarray, float]:
    """Sum of harmonics of ``f0_hz`` with frame-rate amplitudes, at ``sample_rate``.

    Parameters
    ----------
    f0_hz
        float32 [n_frames], fundamental frequency in Hz, linearly interpolated per sample.
    harmonic_amplitudes
        float32 [n_frames, n_harmonics], linear amplitude of harmonics 1..n_harmonics,
        linearly interpolated per sample.
    frame_rate, sample_rate
        Control frames per second and samples per second (Hz).
    n_samples
        Samples to render; default: the samples the frames cover from ``start_sample``.
    start_sample
        Index (from the first frame) of the first sample to render: render a long phrase in
        blocks by passing each block's start and the phase the previous block returned.
    phase
        Phase of the fundamental at ``start_sample``, in cycles [0, 1).
    fade_hz
        Width of the band below Nyquist over which harmonics fade out; default 4 % of Nyquist.

    Returns
    -------
    audio
        float32 (1, n_samples).
    phase
        Phase (cycles, float64, wrapped) after the last sample: pass it to the next block.

    Examples
    --------
    >>> import numpy as np
    >>> f0 = np.full(5, 100.0, np.float32); amps = np.ones((5, 2), np.float32)
    >>> a, p = harmonic_bank(f0_hz=f0, harmonic_amplitudes=amps, frame_rate=250.0,
    ...                      sample_rate=48000, n_samples=480)
    >>> min(p, 1.0 - p) < 1e-9  # 480 samples of 100 Hz: one whole cycle
    True
    """
    ratio = _ratio(frame_rate, sample_rate)
    f0 = np.ascontiguousarray(f0_hz, dtype=np.float32)
    amps = np.asarray(harmonic_amplitudes, dtype=np.float32)
    if f0.ndim != 1 or amps.ndim != 2 or amps.shape[0] != f0.shape[0] or f0.shape[0] == 0:
        raise ConfigError(
            f"f0_hz [n_frames] and harmonic_amplitudes [n_frames, n_harmonics] disagree: "
            f"{f0.shape} and {amps.shape}"
        )
    if not (np.all(np.isfinite(f0)) and np.all(np.isfinite(amps))):
        raise ConfigError("f0_hz and harmonic_amplitudes must be finite")
    if np.any(f0 <= 0):
        raise ConfigError("f0_hz must be positive")
    if start_sample < 0:
        raise ConfigError(f"start_sample {start_sample} is negative")
    if n_samples is None:
        n_samples = max(0, int(_segment_start(f0.shape[0], ratio)) - int(start_sample))
    nyquist = sample_rate / 2.0
    fade = nyquist * DEFAULT_FADE_FRACTION if fade_hz is None else float(fade_hz)
    if not (0 < fade < nyquist):
        raise ConfigError(f"fade_hz {fade_hz} must be between 0 and Nyquist")
    pad = -amps.shape[1] % _GROUP
    amps = np.ascontiguousarray(np.pad(amps, ((0, 0), (0, pad))) if pad else amps)
    out = np.empty(int(n_samples), np.float32)
    phase = float(phase) % 1.0
    phase = _harmonic_kernel(f0, amps, ratio, 1.0 / sample_rate, nyquist, fade, int(start_sample), phase, out)
    return out[None, :], float(phase)


def noise_filter_basis(n_bands: int) -> np.ndarray:
    """Matrix mapping ``n_bands`` magnitudes to a causal, windowed FIR.

    Returns float64 [2 * (n_bands - 1), n_bands]: column ``b`` is the impulse response of a
    filter whose magnitude is 1 at band ``b`` (frequency ``b / (n_bands - 1)`` x Nyquist) and 0
    at the others, by frequency sampling (inverse real FFT, half-length shift, Hann window).

    >>> noise_filter_basis(65).shape
    (128, 65)
    """
    if n_bands < 2:
        raise ConfigError(f"n_bands {n_bands} must be at least 2")
    taps = 2 * (n_bands - 1)
    ir = np.fft.irfft(np.eye(n_bands), n=taps, axis=1)  # [n_bands, taps], zero phase
    ir = np.roll(ir, taps // 2, axis=1) * np.hanning(taps + 1)[:taps][None, :]
    return np.ascontiguousarray(ir.T)


def filtered_noise(
    *,
    noise_magnitudes: np.ndarray,
    frame_rate: float,
    sample_rate: int,
    seed: int,
    n_samples: int | None = None,
    start_sample: int = 0,
) -> np.ndarray:
    """White noise filtered frame by frame by ``noise_magnitudes``, overlap-added.

    Parameters
    ----------
    noise_magnitudes
        float32 [n_frames, n_bands], linear magnitude at ``n_bands`` frequencies evenly spaced
        from 0 Hz to Nyquist. Unit magnitudes everywhere give unit-variance white noise
        (about, the window aside).
    frame_rate, sample_rate
        Hz.
    seed
        Non-negative integer; sample ``n`` of the noise depends only on (seed, n).
    n_samples, start_sample
        The block to render; default: from ``start_sample`` to the end of the filter tail.

    Returns
    -------
    float32 (1, n_samples)

    Examples
    --------
    >>> import numpy as np
    >>> x = filtered_noise(noise_magnitudes=np.ones((250, 65), np.float32), frame_rate=250.0,
    ...                    sample_rate=48000, seed=1)
    >>> x.shape, 0.5 < float(x[0, 1000:47000].std()) < 1.0
    ((1, 48127), True)
    """
    ratio = _ratio(frame_rate, sample_rate)
    mags = np.ascontiguousarray(noise_magnitudes, dtype=np.float32)
    if mags.ndim != 2 or mags.shape[0] == 0:
        raise ConfigError(f"noise_magnitudes must be [n_frames, n_bands], got {mags.shape}")
    if not np.all(np.isfinite(mags)) or np.any(mags < 0):
        raise ConfigError("noise_magnitudes must be finite and non-negative")
    if seed < 0:
        raise ConfigError(f"seed {seed} is negative")
    basis = _basis(mags.shape[1])
    taps = basis.shape[0]
    if n_samples is None:
        n_samples = max(0, int(_segment_start(mags.shape[0], ratio)) + taps - 1 - int(start_sample))
    out = np.empty(int(n_samples), np.float32)
    _noise_kernel(mags, basis, ratio, np.uint64(int(seed) & 0xFFFFFFFFFFFFFFFF), int(start_sample), out, False)
    return out[None, :]


_BASES: dict[int, np.ndarray] = {}


def _basis(n_bands: int) -> np.ndarray:
    if n_bands not in _BASES:
        _BASES[n_bands] = np.ascontiguousarray(noise_filter_basis(n_bands), dtype=np.float32)
    return _BASES[n_bands]


def synthesize(params: SynthParams, *, sample_rate: int) -> np.ndarray:
    """Render one phrase's :class:`SynthParams` to audio: harmonics plus filtered noise.

    Sample 0 is the phrase's first frame. Returns float32 (1, n_samples) where n_samples
    covers the frames plus the noise filter's tail.

    >>> import numpy as np
    >>> p = SynthParams(f0_hz=np.full(10, 220.0), amplitude=np.full(10, 0.1),
    ...                 harmonic_distribution=np.ones((10, 4)) / 4,
    ...                 noise_magnitudes=np.zeros((10, 65)), start_frame=0,
    ...                 frame_rate=250.0, seed=0)
    >>> synthesize(p, sample_rate=48000).shape
    (1, 2047)
    """
    amps = params.amplitude[:, None] * params.harmonic_distribution
    pad = -amps.shape[1] % _GROUP
    if pad:
        amps = np.pad(amps, ((0, 0), (0, pad)))
    return synthesize_arrays(params.f0_hz, np.ascontiguousarray(amps), params.noise_magnitudes,
                             frame_rate=params.frame_rate, seed=params.seed, sample_rate=sample_rate,
                             harmonics=bool(params.amplitude.any()))  # fmt: skip


def synthesize_arrays(f0_hz: np.ndarray, amps: np.ndarray, noise_magnitudes: np.ndarray, *, frame_rate: float,
                      seed: int, sample_rate: int, harmonics: bool = True) -> np.ndarray:  # fmt: skip
    """:func:`synthesize` on arrays a decoder kernel has just made, unchecked: ``f0_hz`` float32
    [n], ``amps`` the harmonics' amplitudes (float32 [n, K], C-contiguous, K a multiple of 4),
    ``noise_magnitudes`` float32 [n, n_bands] (C-contiguous). ``harmonics`` False skips the
    harmonic kernel (all amplitudes 0). Returns float32 (1, n_samples).

    >>> import numpy as np
    >>> audio = synthesize_arrays(np.full(10, 220.0, np.float32), np.full((10, 4), 0.025, np.float32),
    ...                           np.zeros((10, 17), np.float32), frame_rate=250.0, seed=0, sample_rate=48000)
    >>> audio.shape, round(float(np.abs(audio).max()), 2)
    ((1, 1951), 0.08)
    """
    return _synthesize_kernel(f0_hz, amps, noise_magnitudes, _ratio(frame_rate, sample_rate), float(sample_rate),
                              _basis(noise_magnitudes.shape[1]), np.uint64(seed & 0xFFFFFFFFFFFFFFFF), harmonics)  # fmt: skip


@njit(cache=True, nogil=True, error_model="numpy")
def _synthesize_kernel(f0_hz, amps, mags, ratio, sample_rate, basis, seed, harmonics):  # type: ignore[no-untyped-def]  # pragma: no cover - numba
    """:func:`synthesize_arrays` as one kernel (``basis``: the noise filter of ``mags``'s bands,
    ``seed`` uint64), which the neural decoder's phrase kernel calls too: the harmonics (unless
    ``harmonics`` is False) into float32 (1, frames + the filter's tail), then the noise added
    where any magnitude is not 0."""
    n_body = _segment_start(f0_hz.shape[0], ratio)
    out = np.zeros((1, n_body + basis.shape[0] - 1), np.float32)
    nyquist = sample_rate / 2.0
    if harmonics:
        _harmonic_kernel(f0_hz, amps, ratio, 1.0 / sample_rate, nyquist, nyquist * DEFAULT_FADE_FRACTION, 0, 0.0,
                         out[0, :n_body])  # fmt: skip
    noisy = False
    for t in range(mags.shape[0]):
        for b in range(mags.shape[1]):
            noisy = noisy or mags[t, b] != 0.0
    if noisy:
        _noise_kernel(mags, basis, ratio, seed, 0, out[0], True)
    return out


def warmup() -> None:
    """Compile the numba kernels now (they are cached on disk after the first run)."""
    f0 = np.full(4, 220.0, np.float32)
    amps = np.full((4, 3), 0.1, np.float32)
    harmonic_bank(f0_hz=f0, harmonic_amplitudes=amps, frame_rate=250.0, sample_rate=48000)
    filtered_noise(noise_magnitudes=np.ones((4, 9), np.float32), frame_rate=250.0, sample_rate=48000, seed=0)
