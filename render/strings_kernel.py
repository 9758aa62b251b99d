"""The string models' kernel: one note's bank of damped sinusoids, its onset ramp and its noise,
summed straight into float32 audio (:func:`render_note`; :mod:`partita.render.strings` prepares
the rows).

Row ``r`` (a partial of one string, slow or prompt component) is ``a_r rho_r(i) sin(w_r (i - n_on))``
from the note's onset ``n_on``: its level falls by ``decay_on`` per sample until the note-off
``n_off`` and by ``decay_off`` after it, and the row stops once it is below ``floor`` (checked on a
grid of one sample in 256, see :func:`row_end`), so a row's length is known before it is rendered.

The rows are rendered block by block (256 samples, the check grid: a row is either on for a whole
block or off), four rows at a time, into a block sum that stays in the L1 cache:

* each row starts a block from its state ``z = a rho e^{i w t}`` (a complex number, carried from
  block to block by one multiplication by ``(rho e^{i w})^256``): its first 32 samples are
  ``Im(z p^j)`` from a table of ``p^j = (d e^{i w})^j``;
* the rest follows the real recurrence of a damped sinusoid over 16 samples,
  ``y[j] = 2 d^16 cos(16 w) y[j - 16] - d^32 y[j - 32]``, two flops a sample, which LLVM turns
  into vector code (16 lanes that do not wait on each other; numba vectorises loops, not
  straight-line code). Starting each block afresh from ``z`` keeps the recurrence's rounding
  from growing over the note: 14 steps at most.

The result is the sum of the rows to about 1e-12 of the note's level (the former kernel, a
complex rotation per sample, and the float formula agree with it that closely: see
tests/test_strings_kernel.py).
"""

from __future__ import annotations

import math

import numba
import numpy as np

__all__ = ["BLOCK", "LANES", "row_end", "render_note", "warmup"]

#: Samples a block; a row's level is checked once a block, so rows start and stop on block edges.
BLOCK = 256
#: Lanes of the recurrence: sample j follows from samples j - LANES and j - 2 LANES.
LANES = 16
_STEPS = BLOCK // LANES
_HEAD = 2 * LANES  # samples a block takes from the row's complex state
_GROUP = 4  # rows a pass over a block


@numba.njit(cache=True, nogil=True, error_model="numpy")
def first_check(start):
    """The first sample at which a row rendered from ``start`` is checked: the first
    ``start + 4 m`` (m >= 1) equal to ``start mod 4`` modulo 256; the next ones follow every 256
    samples. (This is the grid of the former kernel, which ran 4 samples a step and looked at
    its level when the sample index modulo 256 was below 4; kept so that renders are unchanged.)"""
    phase = start & 3
    return (start + 4 - phase + 255) // 256 * 256 + phase


@numba.njit(cache=True, nogil=True, error_model="numpy")
def row_end(log_a2, log_d2, start, stop, log_floor2):
    """Where a row that starts at ``start`` with squared level ``exp(log_a2)``, multiplied by
    ``exp(log_d2)`` a sample, stops: the first check point (:func:`first_check`, then every
    256 samples) at most ``stop`` where its squared level is below ``exp(log_floor2)``;
    ``stop`` if there is none."""
    c0 = first_check(start)
    if not log_d2 < 0.0 or c0 > stop:
        return stop
    after = (log_a2 - log_floor2) / -log_d2  # samples until the level is at the floor
    k = math.ceil((start + after - c0) / 256.0)
    if k > (stop - c0) / 256.0 + 1.0:
        return stop
    c = c0 + 256 * max(int(k), 0)
    # the level is tested as the samples are: exactly, either side of the estimate
    while c - 256 >= c0 and log_a2 + (c - 256 - start) * log_d2 < log_floor2:
        c -= 256
    while c <= stop and not log_a2 + (c - start) * log_d2 < log_floor2:
        c += 256
    return c if c <= stop else stop


@numba.njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"})
def _head(buf, at, tab, t, zr, zi, n):
    """``buf[at + j] = Im(z p^j)`` for j < n, ``p^j`` from ``tab`` (real parts at ``t + j``,
    imaginary ``_HEAD`` further). Unsigned indices: numba then adds no wraparound test, which
    would keep LLVM from vectorising the loop."""
    a = np.uint64(at)
    t_im = t + np.uint64(_HEAD)  # uint64 + int64 would be int64
    for j in range(n):
        ju = np.uint64(j)
        buf[a + ju] = zi * tab[t + ju] + zr * tab[t_im + ju]


@numba.njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"})
def _group(buf, c0, c1, c2, c3, d0, d1, d2, d3):
    """Four rows over one block, added to the block sum ``buf[:BLOCK]`` sample by sample in row
    order: their first ``_HEAD`` samples are in ``buf`` (row h at ``BLOCK + h _HEAD``), the rest
    follow the recurrence (``c_h``, ``d_h``). The loop over steps is unrolled by LLVM, so each
    lane's state stays in registers and the loop over lanes becomes vector code."""
    for j in range(LANES):
        a0 = buf[BLOCK + j]
        a1 = buf[BLOCK + _HEAD + j]
        a2 = buf[BLOCK + 2 * _HEAD + j]
        a3 = buf[BLOCK + 3 * _HEAD + j]
        b0 = buf[BLOCK + LANES + j]
        b1 = buf[BLOCK + _HEAD + LANES + j]
        b2 = buf[BLOCK + 2 * _HEAD + LANES + j]
        b3 = buf[BLOCK + 3 * _HEAD + LANES + j]
        buf[j] += a0 + a1 + a2 + a3
        buf[LANES + j] += b0 + b1 + b2 + b3
        for k in range(2, _STEPS):
            y0 = c0 * b0 - d0 * a0
            y1 = c1 * b1 - d1 * a1
            y2 = c2 * b2 - d2 * a2
            y3 = c3 * b3 - d3 * a3
            buf[k * LANES + j] += y0 + y1 + y2 + y3
            a0 = b0
            a1 = b1
            a2 = b2
            a3 = b3
            b0 = y0
            b1 = y1
            b2 = y2
            b3 = y3


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _finish(buf, m, at, n_on, ramp, noise, out):
    """out[at : at + m] = float32(block sum x onset ramp + noise), as float64 sums (no fma);
    clears the block sum."""
    t0 = at - n_on  # >= 0
    j_ramp = min(m, max(0, ramp.size - t0))
    j_noise = min(m, max(j_ramp, noise.size - t0))
    for j in range(j_ramp):
        v = buf[j] * ramp[t0 + j]
        if t0 + j < noise.size:
            v = v + np.float64(noise[t0 + j])
        out[at + j] = np.float32(v)
    o = out[at + j_ramp : at + j_noise]
    x = noise[t0 + j_ramp : t0 + j_noise]
    s = buf[j_ramp:j_noise]
    for j in range(o.size):
        o[j] = np.float32(s[j] + np.float64(x[j]))
    o = out[at + j_noise : at + m]
    s = buf[j_noise:m]
    for j in range(o.size):
        o[j] = np.float32(s[j])
    for j in range(BLOCK):
        buf[j] = 0.0


@numba.njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"})
def _render(freqs, amps, decay_on, decay_off, n_on, n_off, inv_sr, floor, n, length, ramp, noise):
    log_f2 = math.log(floor * floor)
    i1 = min(n_off, n)
    n_rows = 0
    for r in range(freqs.size):
        if amps[r] > floor:
            n_rows += 1
    rows = np.empty(n_rows, np.int64)
    end1 = np.empty(n_rows, np.int64)  # where each row stops before the note-off
    end2 = np.empty(n_rows, np.int64)  # where it stops (end1 if it stops before the note-off)
    q = 0
    for r in range(freqs.size):
        if not amps[r] > floor:
            continue
        rows[q] = r
        la2 = 2.0 * math.log(amps[r])
        ld2 = 2.0 * math.log(decay_on[r])
        e = row_end(la2, ld2, n_on, i1, log_f2)
        end1[q] = e
        end2[q] = e
        if e >= n_off and n > n_off:
            at_off = la2 + (n_off - n_on) * ld2
            if at_off >= log_f2:
                end2[q] = row_end(at_off, 2.0 * math.log(decay_off[r]), n_off, n, log_f2)
        q += 1
    if length < 0:  # trimmed: nothing after every row has stopped and the noise has ended
        length = max(n_off, min(n, n_on + noise.size))
        for q in range(n_rows):
            length = max(length, end2[q])
    out = np.zeros(length, np.float32)
    for j in range(max(0, min(noise.size, length - n_on))):  # the noise alone; blocks overwrite
        out[n_on + j] = noise[j]
    padded = n_rows + _GROUP  # row n_rows and after: state 0 (padding of the last group)
    zr = np.zeros(padded)
    zi = np.zeros(padded)
    tab = np.zeros(max(n_rows, 1) * 2 * _HEAD)  # row q: Re p^j at 2 q _HEAD + j, Im p^j _HEAD further
    cl = np.zeros(padded)
    dl = np.zeros(padded)
    br = np.zeros(padded)
    bi = np.zeros(padded)
    active = np.zeros(padded, np.int64)
    buf = np.zeros(BLOCK + _GROUP * _HEAD)  # the block sum, then the group's first samples
    head = min(_HEAD, tab.size)  # _HEAD, as a number LLVM does not see (see _head)
    for seg in range(2):
        s0 = n_on if seg == 0 else n_off
        s1 = min(i1, length) if seg == 0 else min(n, length)
        if s1 <= s0:
            break
        for q in range(n_rows):
            r = rows[q]
            w = 2.0 * math.pi * freqs[r] * inv_sr
            d = decay_on[r] if seg == 0 else decay_off[r]
            if seg == 0:
                zr[q] = amps[r]
                zi[q] = 0.0
            ar = d * math.cos(w)
            ai = d * math.sin(w)
            xr = 1.0
            xi = 0.0
            for j in range(_HEAD):
                tab[2 * q * _HEAD + j] = xr
                tab[(2 * q + 1) * _HEAD + j] = xi
                xr, xi = xr * ar - xi * ai, xr * ai + xi * ar
            dl_ = d**LANES
            cl[q] = 2.0 * dl_ * math.cos(LANES * w)
            dl[q] = dl_ * dl_
            db = d**BLOCK
            br[q] = db * math.cos(BLOCK * w)
            bi[q] = db * math.sin(BLOCK * w)
        b0 = s0
        b1 = min(first_check(s0), s1)
        while b0 < s1:
            m = b1 - b0
            n_act = 0
            for q in range(n_rows):
                if (end1[q] if seg == 0 else end2[q]) > b0 and (seg == 0 or end1[q] >= n_off):
                    active[n_act] = q
                    n_act += 1
            if n_act == 0:
                break
            for g in range(n_act, n_act + _GROUP):  # padding: rows of state 0
                active[g] = n_rows
            for g in range(0, n_act, _GROUP):
                for h in range(_GROUP):
                    q = active[g + h]
                    _head(buf, BLOCK + h * _HEAD, tab, np.uint64(2 * _HEAD * min(q, n_rows - 1)), zr[q], zi[q], head)
                q0, q1, q2, q3 = active[g], active[g + 1], active[g + 2], active[g + 3]
                _group(buf, cl[q0], cl[q1], cl[q2], cl[q3], dl[q0], dl[q1], dl[q2], dl[q3])
            _finish(buf, m, b0, n_on, ramp, noise, out)
            for g in range(n_act):  # each row's state at the next block
                q = active[g]
                if m == BLOCK:
                    ur, ui = br[q], bi[q]
                else:
                    r = rows[q]
                    w = 2.0 * math.pi * freqs[r] * inv_sr
                    dm = (decay_on[r] if seg == 0 else decay_off[r]) ** m
                    ur, ui = dm * math.cos(m * w), dm * math.sin(m * w)
                zr[q], zi[q] = zr[q] * ur - zi[q] * ui, zr[q] * ui + zi[q] * ur
            b0 = b1
            b1 = min(b0 + BLOCK, s1)
    return out


def render_note(*, freqs: np.ndarray, amps: np.ndarray, decay_on: np.ndarray, decay_off: np.ndarray, n_on: int,
                n_off: int, sample_rate: int, floor: float, n_samples: int, trim: bool, ramp: np.ndarray,
                noise: np.ndarray) -> np.ndarray:  # fmt: skip
    """One note as float32 [n] audio: the rows ``freqs`` (Hz), ``amps``, ``decay_on`` and
    ``decay_off`` (factors a sample; float64 arrays of one shape) from sample ``n_on``, each until
    it falls below ``floor``; the first ``len(ramp)`` samples from ``n_on`` multiplied by ``ramp``;
    ``noise`` (float32) added from ``n_on``. All within ``n_samples``; with ``trim`` the audio ends
    where the last row stops, the noise ends or at ``n_off``, whichever is latest.

    >>> x = render_note(freqs=np.array([1000.0]), amps=np.array([0.5]), decay_on=np.array([1.0]),
    ...                 decay_off=np.array([0.999]), n_on=0, n_off=480, sample_rate=48000, floor=1e-5,
    ...                 n_samples=48000, trim=True, ramp=np.zeros(0), noise=np.zeros(0, np.float32))
    >>> len(x), round(float(x[12]), 6) == round(0.5 * math.sin(2 * math.pi * 1000 * 12 / 48000), 6)
    (11520, True)
    """
    return _render(np.ascontiguousarray(freqs, np.float64).ravel(), np.ascontiguousarray(amps, np.float64).ravel(),
                   np.ascontiguousarray(decay_on, np.float64).ravel(), np.ascontiguousarray(decay_off, np.float64).ravel(),
                   int(n_on), int(n_off), 1.0 / sample_rate, float(floor), int(n_samples), -1 if trim else int(n_samples),
                   np.ascontiguousarray(ramp, np.float64), np.ascontiguousarray(noise, np.float32))  # fmt: skip


def warmup() -> None:
    """Compile (or load from numba's cache) the kernel."""
    one = np.ones(1)
    render_note(freqs=np.full(1, 100.0), amps=one, decay_on=one, decay_off=one * 0.99, n_on=0, n_off=300,
                sample_rate=48000, floor=1e-5, n_samples=600, trim=True, ramp=one, noise=np.ones(1, np.float32))  # fmt: skip
