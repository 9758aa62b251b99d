"""The string models' kernel: one note's bank of damped sinusoids, its onset ramp and its noise,
summed straight into float32 audio (:func:`render_note`; :mod:`partita.render.strings` prepares
the rows).

Row ``r`` (a partial of one string, slow or prompt component) is ``a_r rho_r(i) sin(w_r (i - n_on))``
from the note's onset ``n_on``: its level falls by ``decay_on`` per sample until the note-off
``n_off`` and by ``decay_off`` after it, and the row stops once it is below ``floor`` (checked on a
grid of one sample in 256, see :func:`row_end`), so a row's length is known before it is rendered.

A row's samples follow the real recurrence of a damped sinusoid over 16 samples,
``y[j] = 2 d^16 cos(16 w) y[j - 16] - d^32 y[j - 32]`` (``d`` the decay a sample), two flops a
sample; the former kernel turned a complex phasor, four flops and a read-modify-write of the
note's float64 buffer a sample. The rows go four at a time (latest-ending first, so that the
four of a group stop at about the same time) through blocks of 256 samples (the check grid: a row
is on for a whole block or off); LLVM turns the loop over the 16 lanes into vector code with each
lane's state in registers (numba vectorises loops, not straight-line code), and a block's sum is
added to the chunk's sum, which stays in the cache. At the start of every chunk of 16 blocks a
row's state (its 32 samples before the chunk) is set afresh from its complex value
``a rho e^{i w t}``, carried from chunk to chunk by one complex multiplication: the recurrence's
rounding cannot grow for more than 256 steps, even where ``16 w`` is close to a multiple of pi
(where it is worst). A chunk is then written out as float32 with the onset ramp and the noise.

The result is the sum of the rows to about 1e-12 of the note's level: its float32 samples are
those of the float64 formula rounded once, to a float32 step (tests/test_strings_kernel.py), and
those of the former kernel to the same (4e-8 of the note's peak over the benchmarks' notes).
"""

from __future__ import annotations

import math

import numpy as np

from partita.render.jit import njit

__all__ = ["BLOCK", "LANES", "first_check", "row_end", "render_note", "warmup"]

#: Samples a block; a row's level is checked once a block, so rows stop on block edges.
BLOCK = 256
#: Lanes of the recurrence: sample j follows from samples j - LANES and j - 2 LANES.
LANES = 16
_STEPS = BLOCK // LANES
_HEAD = 2 * LANES  # a row's state: its samples before the block
_GROUP = 4  # rows a pass over a block
_STATE = 0  # buf[_STATE + h _HEAD + j]: sample j of row h's state
_CHUNK = 16  # blocks a chunk: a row's state is set afresh from its complex value at each chunk
_CHUNK_LOG2_OVER_LANES = 8  # _CHUNK BLOCK = LANES 2^8
assert _CHUNK * BLOCK == LANES << _CHUNK_LOG2_OVER_LANES


@njit(cache=True, nogil=True, error_model="numpy")
def first_check(start):
    """The first sample at which a row rendered from ``start`` is checked: the first
    ``start + 4 m`` (m >= 1) equal to ``start mod 4`` modulo 256; the next ones follow every 256
    samples. (This is the grid of the former kernel, which ran 4 samples a step and looked at
    its level when the sample index modulo 256 was below 4; kept so that renders are unchanged.)"""
    phase = start & 3
    return (start + 4 - phase + 255) // 256 * 256 + phase


@njit(cache=True, nogil=True, error_model="numpy")
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


@njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"})
def _group_into(acc, at, buf, c0, c1, c2, c3, d0, d1, d2, d3):
    """Four rows over one block, added to ``acc[at : at + BLOCK]`` sample by sample in row
    order. Row h's state, its ``2 LANES`` samples before the block, is at ``_STATE + h _HEAD``
    in ``buf`` and is left there as its state for the next block; its samples follow the
    recurrence (``c_h``, ``d_h``). LLVM unrolls the loop over steps, so that each lane's state
    stays in registers and the loop over lanes becomes vector code (the first two steps are
    written out: 14 left is a loop it unrolls, 16 was not; ``at`` is unsigned: numba then adds
    no wraparound test, which would also keep LLVM from vectorising)."""
    for j in range(LANES):
        a0 = buf[_STATE + j]
        a1 = buf[_STATE + _HEAD + j]
        a2 = buf[_STATE + 2 * _HEAD + j]
        a3 = buf[_STATE + 3 * _HEAD + j]
        b0 = buf[_STATE + LANES + j]
        b1 = buf[_STATE + _HEAD + LANES + j]
        b2 = buf[_STATE + 2 * _HEAD + LANES + j]
        b3 = buf[_STATE + 3 * _HEAD + LANES + j]
        a0 = c0 * b0 - d0 * a0
        a1 = c1 * b1 - d1 * a1
        a2 = c2 * b2 - d2 * a2
        a3 = c3 * b3 - d3 * a3
        acc[at + np.uint64(j)] += a0 + a1 + a2 + a3
        b0 = c0 * a0 - d0 * b0
        b1 = c1 * a1 - d1 * b1
        b2 = c2 * a2 - d2 * b2
        b3 = c3 * a3 - d3 * b3
        acc[at + np.uint64(LANES + j)] += b0 + b1 + b2 + b3
        for k in range(2, _STEPS):
            y0 = c0 * b0 - d0 * a0
            y1 = c1 * b1 - d1 * a1
            y2 = c2 * b2 - d2 * a2
            y3 = c3 * b3 - d3 * a3
            acc[at + np.uint64(k * LANES + j)] += y0 + y1 + y2 + y3
            a0 = b0
            a1 = b1
            a2 = b2
            a3 = b3
            b0 = y0
            b1 = y1
            b2 = y2
            b3 = y3
        buf[_STATE + j] = a0
        buf[_STATE + _HEAD + j] = a1
        buf[_STATE + 2 * _HEAD + j] = a2
        buf[_STATE + 3 * _HEAD + j] = a3
        buf[_STATE + LANES + j] = b0
        buf[_STATE + _HEAD + LANES + j] = b1
        buf[_STATE + 2 * _HEAD + LANES + j] = b2
        buf[_STATE + 3 * _HEAD + LANES + j] = b3


@njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"})
def _add_block(acc, at, buf, m):
    """acc[at : at + m] += buf[:m]. The indices are unsigned: numba then adds no wraparound
    test, which would keep LLVM from vectorising the loop."""
    a = np.uint64(at)
    for j in range(m):
        acc[a + np.uint64(j)] += buf[j]


@njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"})
def _start_row(buf, h, tab, t, zr, zi, n):
    """Row h's state ``Im(z p^j)``, j < n (= ``_HEAD``, passed so that LLVM vectorises the loop
    rather than unrolling it), ``p^j`` from ``tab`` (real parts from ``t``, imaginary parts
    ``_HEAD`` further; unsigned, as in :func:`_add_block`)."""
    s = np.uint64(_STATE + h * _HEAD)
    t_im = t + np.uint64(_HEAD)  # uint64 + int64 would be int64
    for j in range(n):
        ju = np.uint64(j)
        buf[s + ju] = zi * tab[t + ju] + zr * tab[t_im + ju]


@njit(cache=True, nogil=True, error_model="numpy")
def _row_ends(amps, decay_on, decay_off, n_on, n_off, floor, n):
    """The rows above ``floor`` (indices, latest-ending first) and where each stops before the
    note-off (``end1``) and in all (``end2``)."""
    log_f2 = math.log(floor * floor)
    i1 = min(n_off, n)
    rows = np.nonzero(amps > floor)[0]
    end1 = np.empty(rows.size, np.int64)
    end2 = np.empty(rows.size, np.int64)
    for q in range(rows.size):
        r = rows[q]
        la2 = 2.0 * math.log(amps[r])
        ld2 = 2.0 * math.log(decay_on[r])
        e = row_end(la2, ld2, n_on, i1, log_f2)
        end1[q] = e
        end2[q] = e
        if e >= n_off and n > n_off:
            at_off = la2 + (n_off - n_on) * ld2
            if at_off >= log_f2:
                end2[q] = row_end(at_off, 2.0 * math.log(decay_off[r]), n_off, n, log_f2)
    order = np.argsort(-end2, kind="mergesort")  # rows that end together share a group
    return rows[order], end1[order], end2[order]


@njit(cache=True, nogil=True, error_model="numpy")
def _finish(acc, at, m, n_on, ramp, noise, out):
    """out[at : at + m] = float32(acc[:m] x onset ramp + noise) (float64 products and sums, no
    fma: the order of the former per-note code)."""
    t0 = at - n_on  # >= 0
    j_ramp = min(m, max(0, ramp.size - t0))
    j_noise = min(m, max(j_ramp, noise.size - t0))
    for j in range(j_ramp):
        v = acc[j] * ramp[t0 + j]
        if t0 + j < noise.size:
            v = v + np.float64(noise[t0 + j])
        out[at + j] = np.float32(v)
    o = out[at + j_ramp : at + j_noise]
    x = noise[t0 + j_ramp : t0 + j_noise]
    a = acc[j_ramp:j_noise]
    for j in range(o.size):
        o[j] = np.float32(a[j] + np.float64(x[j]))
    o = out[at + j_noise : at + m]
    a = acc[j_noise:m]
    for j in range(o.size):
        o[j] = np.float32(a[j])


@njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"})
def _cpow(ar, ai, m):
    """(ar + i ai)^m, m >= 0, by squaring."""
    rr = 1.0
    ri = 0.0
    while m > 0:
        if m & 1:
            rr, ri = rr * ar - ri * ai, rr * ai + ri * ar
        ar, ai = ar * ar - ai * ai, 2.0 * ar * ai
        m >>= 1
    return rr, ri


@njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"})
def _segment(freqs, amps, decay_on, decay_off, rows, ends, n_on, n_off, after_off, s0, s1, inv_sr, ramp, noise, out):
    """The rows over one segment ``[s0, s1)`` (onset to note-off, or ``after_off``), each until
    its end, into ``out`` (with the ramp and the noise), chunk by chunk: every row's state is
    set from its complex value at the start of a chunk and follows the recurrence in it."""
    n_rows = rows.size
    if n_rows == 0:
        return
    zr = np.zeros(n_rows)  # each row's complex value 2 LANES samples before the chunk
    zi = np.zeros(n_rows)
    tab = np.zeros(n_rows * 2 * _HEAD)  # row q: Re p^j at 2 q _HEAD + j, Im p^j _HEAD further
    cl = np.zeros(n_rows)
    dl = np.zeros(n_rows)
    first_r = np.zeros(n_rows)  # p^m, m the first chunk's length
    first_i = np.zeros(n_rows)
    step_r = np.zeros(n_rows)  # p^(_CHUNK BLOCK)
    step_i = np.zeros(n_rows)
    first_end = min(first_check(s0), s1)  # the first chunk: the first (short) block alone
    m0 = first_end - s0
    big = _CHUNK * BLOCK
    for q in range(n_rows):
        r = rows[q]
        w = 2.0 * math.pi * freqs[r] * inv_sr
        d = decay_off[r] if after_off else decay_on[r]
        t = s0 - _HEAD
        if after_off:
            lr = (n_off - n_on) * math.log(decay_on[r]) + (t - n_off) * math.log(d)
        else:
            lr = (t - n_on) * math.log(d)
        mag = amps[r] * math.exp(lr)
        ph = w * (t - n_on)
        zr[q] = mag * math.cos(ph)
        zi[q] = mag * math.sin(ph)
        ar = d * math.cos(w)
        ai = d * math.sin(w)
        xr = 1.0
        xi = 0.0
        for j in range(_HEAD):
            tab[2 * q * _HEAD + j] = xr
            tab[(2 * q + 1) * _HEAD + j] = xi
            xr, xi = xr * ar - xi * ai, xr * ai + xi * ar
        # the powers of p the recurrence and the chunks need, from the table (libm calls cost
        # more than the rows' samples in a short note)
        lr_ = tab[2 * q * _HEAD + LANES]
        li_ = tab[(2 * q + 1) * _HEAD + LANES]
        cl[q] = 2.0 * lr_
        dl[q] = lr_ * lr_ + li_ * li_
        first_r[q], first_i[q] = _cpow(ar, ai, m0)
        for _ in range(_CHUNK_LOG2_OVER_LANES):  # (p^LANES)^(2^k) = p^(_CHUNK BLOCK)
            lr_, li_ = lr_ * lr_ - li_ * li_, 2.0 * lr_ * li_
        step_r[q] = lr_
        step_i[q] = li_
    buf = np.zeros(_STATE + _GROUP * _HEAD)  # the group's rows' states
    acc = np.zeros(big)
    short = np.zeros(BLOCK)
    cs = np.zeros(_GROUP)
    ds = np.zeros(_GROUP)
    on = np.zeros(_GROUP, np.int64)  # each row's end, 0 for none
    head = min(_HEAD, tab.size)  # _HEAD, as a number LLVM does not see
    seg_end = ends[0]  # the rows are latest-ending first
    c0 = s0
    c1 = first_end
    while c0 < seg_end:
        span = min(c1, seg_end) - c0
        for j in range(span):
            acc[j] = 0.0
        for g in range(0, n_rows, _GROUP):
            if ends[g] <= c0:  # this group and all after it have stopped
                break
            for h in range(_GROUP):
                q = g + h
                if q < n_rows and ends[q] > c0:
                    _start_row(buf, h, tab, np.uint64(2 * _HEAD * q), zr[q], zi[q], head)
                    cs[h] = cl[q]
                    ds[h] = dl[q]
                    on[h] = ends[q]
                else:
                    for j in range(_HEAD):
                        buf[_STATE + h * _HEAD + j] = 0.0
                    cs[h] = 0.0
                    ds[h] = 0.0
                    on[h] = 0
            b0 = c0
            while b0 < c1 and b0 < ends[g]:
                for h in range(_GROUP):
                    if 0 < on[h] <= b0:  # row h has stopped
                        for j in range(_HEAD):
                            buf[_STATE + h * _HEAD + j] = 0.0
                        cs[h] = 0.0
                        ds[h] = 0.0
                        on[h] = 0
                b1 = min(b0 + BLOCK, c1)
                if b1 - b0 == BLOCK:
                    _group_into(acc, np.uint64(b0 - c0), buf, cs[0], cs[1], cs[2], cs[3], ds[0], ds[1], ds[2], ds[3])
                else:  # the segment's last block is short (its first is a chunk alone): through `short`
                    short[:] = 0.0
                    _group_into(short, np.uint64(0), buf, cs[0], cs[1], cs[2], cs[3], ds[0], ds[1], ds[2], ds[3])
                    _add_block(acc, b0 - c0, short, b1 - b0)
                b0 = b1
        _finish(acc, c0, span, n_on, ramp, noise, out)
        for q in range(n_rows):  # each row's complex value before the next chunk
            if ends[q] <= c1:
                break
            if c0 == s0:
                ur, ui = first_r[q], first_i[q]
            else:
                ur, ui = step_r[q], step_i[q]
            zr[q], zi[q] = zr[q] * ur - zi[q] * ui, zr[q] * ui + zi[q] * ur
        c0 = c1
        c1 = min(c0 + big, s1)


@njit(cache=True, nogil=True, error_model="numpy")
def _render(freqs, amps, decay_on, decay_off, n_on, n_off, inv_sr, floor, n, length, ramp, noise):
    rows, end1, end2 = _row_ends(amps, decay_on, decay_off, n_on, n_off, floor, n)
    if length < 0:  # trimmed: nothing after every row has stopped and the noise has ended
        length = max(n_off, min(n, n_on + noise.size))
        for q in range(rows.size):
            length = max(length, end2[q])
    out = np.zeros(length, np.float32)
    for j in range(max(0, min(noise.size, length - n_on))):  # the noise alone; the rows' chunks overwrite it
        out[n_on + j] = noise[j]
    s1 = min(n_off, n, length)
    if s1 > n_on:
        _segment(freqs, amps, decay_on, decay_off, rows, np.minimum(end1, s1), n_on, n_off, False, n_on, s1, inv_sr,
                 ramp, noise, out)  # fmt: skip
    s1 = min(n, length)
    if s1 > n_off:
        after = end2 > n_off
        _segment(freqs, amps, decay_on, decay_off, rows[after], np.minimum(end2[after], s1), n_on, n_off, True, n_off,
                 s1, inv_sr, ramp, noise, out)  # fmt: skip
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
