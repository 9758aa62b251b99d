"""The neural decoder's forward pass as one numba kernel over a whole phrase.

The network of :mod:`partita.render.neural_infer` (a 1x1 input projection, residual blocks
``h += W2 relu(causal_conv_d(h)) + b2`` with zero padding before the phrase, a linear head) runs
here in float32 without the GIL and without BLAS: the render's threads run it side by side,
and its sums are taken in one fixed order, so the audio is the same whatever the number of
threads (a multi-threaded BLAS changes its rounding with its thread count).

The activations are kept channel-major (a row per channel, the phrase's frames along it, zeros
before the phrase), so that every layer is a sum of weight-times-row products that LLVM vectorises
over the frames (:func:`_dense`): a weight is one broadcast value, a tap of the dilated
convolution is the same row read ``(k - 1 - j) d`` frames earlier, and no dot product needs a
horizontal sum across SIMD lanes. The products may be fused (multiply-add) but are summed in the
order written, for every frame the same.
``tests/test_neural_kernel.py`` checks the kernel against torch's ``CausalDecoder`` and against
a numpy matrix-product version.

>>> import numpy as np
>>> from partita.render.neural_infer import shipped_decoder
>>> dec = shipped_decoder("flute")
>>> dec is None or forward_packed(pack(dec.weights.arrays, dec.weights.config), np.zeros((5, 3), np.float32)).shape == (5, 78)
True
"""

from __future__ import annotations

import math
import threading
from typing import Any, Mapping, NamedTuple

import numpy as np

from partita.render.jit import njit
from partita.render.synth import _synthesize_kernel

__all__ = ["TILE", "PackedWeights", "pack", "forward_packed", "heads", "input_features", "merge_onsets", "phrase_audio"]

#: The kernel runs a phrase's frames in whole multiples of TILE (one AVX2 vector of float32): the
#: frames past the phrase are computed and dropped (the network is causal).
TILE = 8


class PackedWeights(NamedTuple):
    """A decoder's weights laid out for the kernel (float32; rows are output channels)."""

    w_in: np.ndarray  # [C, n_inputs]
    b_in: np.ndarray  # [C]
    conv_w: np.ndarray  # [n_blocks, C, kernel_size * C] (out; tap-major, then in)
    conv_b: np.ndarray  # [n_blocks, C]
    mix_w: np.ndarray  # [n_blocks, C, C] (out, in)
    mix_b: np.ndarray  # [n_blocks, C]
    dilations: np.ndarray  # int64 [n_blocks]
    head_w: np.ndarray  # [n_out, C]
    head_b: np.ndarray  # [n_out]


_PACKED: dict[int, tuple[Any, PackedWeights]] = {}
_PACK_LOCK = threading.Lock()


def pack(arrays: Mapping[str, np.ndarray], config: Mapping[str, Any]) -> PackedWeights:
    """The kernel's layout of a checkpoint's arrays (torch's Conv1d layout [out, in, tap]);
    kept per ``arrays`` object, so a decoder packs its weights once."""
    with _PACK_LOCK:
        hit = _PACKED.get(id(arrays))
        if hit is not None and hit[0] is arrays:
            return hit[1]

    def f32(a: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(a, dtype=np.float32)

    n = len(config["dilations"])
    blocks = range(n)

    def taps_side_by_side(w: np.ndarray) -> np.ndarray:  # [out, in, tap] -> [out, tap * in]
        return w.transpose(0, 2, 1).reshape(w.shape[0], -1)

    packed = PackedWeights(
        w_in=f32(arrays["inp.weight"][:, :, 0]), b_in=f32(arrays["inp.bias"]),
        conv_w=f32(np.stack([taps_side_by_side(arrays[f"blocks.{i}.conv.weight"]) for i in blocks])),
        conv_b=f32(np.stack([arrays[f"blocks.{i}.conv.bias"] for i in blocks])),
        mix_w=f32(np.stack([arrays[f"blocks.{i}.mix.weight"][:, :, 0] for i in blocks])),
        mix_b=f32(np.stack([arrays[f"blocks.{i}.mix.bias"] for i in blocks])),
        dilations=np.asarray(config["dilations"], np.int64), head_w=f32(arrays["head.weight"][:, :, 0]),
        head_b=f32(arrays["head.bias"]),
    )  # fmt: skip
    taps = arrays["blocks.0.conv.weight"].shape[2] if n else int(config["kernel_size"])
    if taps != int(config["kernel_size"]):
        raise ValueError(f"conv weights have {taps} taps, the config says {config['kernel_size']}")
    with _PACK_LOCK:
        if len(_PACKED) > 256:
            _PACKED.clear()
        _PACKED[id(arrays)] = (arrays, packed)  # holding ``arrays`` keeps its id unique
    return packed


def forward_packed(w: PackedWeights, x: np.ndarray) -> np.ndarray:
    """The network on one phrase: float32 features [n_frames, n_inputs] -> heads [n_frames, n_out]."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    out = np.empty((x.shape[0], w.head_b.size), np.float32)
    if x.ndim != 2 or x.shape[1] != w.w_in.shape[1]:
        raise ValueError(f"features of shape {x.shape}; the network takes [n_frames, {w.w_in.shape[1]}]")
    if x.shape[0]:
        _forward_kernel(x, w.w_in, w.b_in, w.conv_w, w.conv_b, w.mix_w, w.mix_b, w.dilations, w.head_w, w.head_b, out)
    return out


@njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"})
def _dense(src, s0, lags, w, bias, dst, e0, n, add):  # type: ignore[no-untyped-def]  # pragma: no cover - numba
    """dst[o, e0 + t] (+)= bias[o] + sum over taps j, inputs c of w[o, j C + c] src[c, s0 - lags[j] + t]
    for t < n (channel-major arrays: a row is a channel's frames; ``add``: onto dst, else over it).

    Four outputs and four inputs at a time: their 16 weights stay in registers while the loop over
    the frames, vectorised by LLVM over 8 frames, adds their products to the four output rows (no
    horizontal sums). Each output's sum runs over j, then c, in order, whatever the frame."""
    n_out = bias.size
    cin = src.shape[0]
    o4 = n_out - n_out % 4
    c4 = cin - cin % 4
    # rows by index, not by slice (a slice is an array made and reference-counted, four or more
    # per pass over the frames); the frame indices unsigned, so numba adds no wraparound test
    e = np.uint64(e0)
    m = np.uint64(n)
    for o in range(n_out):
        b = bias[o]
        if add:
            for t in range(m):
                dst[o, e + t] += b
        else:
            for t in range(m):
                dst[o, e + t] = b
    for o in range(0, o4, 4):
        for j in range(lags.size):
            s = np.uint64(s0 - lags[j])
            for c in range(0, c4, 4):
                k = j * cin + c
                w00, w01, w02, w03 = w[o, k], w[o, k + 1], w[o, k + 2], w[o, k + 3]
                w10, w11, w12, w13 = w[o + 1, k], w[o + 1, k + 1], w[o + 1, k + 2], w[o + 1, k + 3]
                w20, w21, w22, w23 = w[o + 2, k], w[o + 2, k + 1], w[o + 2, k + 2], w[o + 2, k + 3]
                w30, w31, w32, w33 = w[o + 3, k], w[o + 3, k + 1], w[o + 3, k + 2], w[o + 3, k + 3]
                for t in range(m):  # all four sums before the stores: the inputs are read once
                    x0 = src[c, s + t]
                    x1 = src[c + 1, s + t]
                    x2 = src[c + 2, s + t]
                    x3 = src[c + 3, s + t]
                    a0 = dst[o, e + t] + w00 * x0 + w01 * x1 + w02 * x2 + w03 * x3
                    a1 = dst[o + 1, e + t] + w10 * x0 + w11 * x1 + w12 * x2 + w13 * x3
                    a2 = dst[o + 2, e + t] + w20 * x0 + w21 * x1 + w22 * x2 + w23 * x3
                    a3 = dst[o + 3, e + t] + w30 * x0 + w31 * x1 + w32 * x2 + w33 * x3
                    dst[o, e + t] = a0
                    dst[o + 1, e + t] = a1
                    dst[o + 2, e + t] = a2
                    dst[o + 3, e + t] = a3
            for c in range(c4, cin):  # inputs past a multiple of 4
                for p in range(4):
                    v = w[o + p, j * cin + c]
                    for t in range(m):
                        dst[o + p, e + t] += v * src[c, s + t]
    for o in range(o4, n_out):  # outputs past a multiple of 4
        for j in range(lags.size):
            s = np.uint64(s0 - lags[j])
            for c in range(cin):
                v = w[o, j * cin + c]
                for t in range(m):
                    dst[o, e + t] += v * src[c, s + t]


@njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"})
def _forward_kernel(x, w_in, b_in, conv_w, conv_b, mix_w, mix_b, dilations, head_w, head_b, out):  # type: ignore[no-untyped-def]  # pragma: no cover - numba
    n = x.shape[0]
    n_ch = b_in.size
    taps = conv_w.shape[2] // n_ch
    pad = (taps - 1) * dilations.max() if dilations.size else 0
    nt = (n + TILE - 1) // TILE * TILE  # whole vectors of frames; those past n only follow them
    # channel-major: h[c, pad + t]; columns [0, pad) are the zeros before the phrase
    h = np.zeros((n_ch, pad + nt), np.float32)
    for o in range(n_ch):
        for t in range(n):
            a = b_in[o]
            for c in range(x.shape[1]):
                a += x[t, c] * w_in[o, c]
            h[o, pad + t] = a
    u = np.empty((n_ch, nt), np.float32)
    lags = np.empty(taps, np.int64)
    no_lag = np.zeros(1, np.int64)
    for b in range(dilations.size):
        for j in range(taps):
            lags[j] = (taps - 1 - j) * dilations[b]
        _dense(h, pad, lags, conv_w[b], conv_b[b], u, 0, nt, False)  # every frame's conv first
        for o in range(n_ch):
            for t in range(nt):
                u[o, t] = max(u[o, t], np.float32(0.0))
        _dense(u, 0, no_lag, mix_w[b], mix_b[b], h, pad, nt, True)  # then h += mix + b, in place
    y = np.empty((head_b.size, nt), np.float32)
    _dense(h, pad, no_lag, head_w, head_b, y, 0, nt, False)
    for t in range(n):
        for o in range(head_b.size):
            out[t, o] = y[o, t]


#: exp by Cody-Waite reduction ``x = n ln2 + r`` (|r| <= ln2 / 2) and the Taylor series of
#: exp(r) to order 13 (truncation below 5e-18): within an ulp or two of libm's float64 exp, and
#: written branch-free, so that LLVM vectorises a loop of it (numba's np.exp calls libm per value).
_LOG2E = 1.4426950408889634
_LN2_HI = 0.6931471803691238  # ln 2 with 28 trailing zero bits: n * _LN2_HI is exact
_LN2_LO = 1.9082149292705877e-10
_EXP_MIN = -700.0  # exp(-700) ~ 1e-304: every use below rounds it to float32 0, as exp(-inf)


@njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"})
def _exp_into(x, n, bits, y):  # type: ignore[no-untyped-def]  # pragma: no cover - numba
    """y[:n] = exp(x[:n]) for x in [-inf, 700] (below -700 reads as -700); ``bits`` is int64
    scratch of at least n. Three loops over the values, each vectorised."""
    for i in range(n):
        v = max(x[i], _EXP_MIN)
        k = math.floor(v * _LOG2E + 0.5)
        r = (v - k * _LN2_HI) - k * _LN2_LO
        y[i] = 1.0 + r * (1.0 + r * (1.0 / 2.0 + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (
            1.0 / 720.0 + r * (1.0 / 5040.0 + r * (1.0 / 40320.0 + r * (1.0 / 362880.0 + r * (
                1.0 / 3628800.0 + r * (1.0 / 39916800.0 + r * (1.0 / 479001600.0 + r * (
                    1.0 / 6227020800.0)))))))))))))
        bits[i] = (np.int64(k) + 1023) << 52  # 2^k (k in [-1010, 1010]: a normal float64)
    scale = bits[:n].view(np.float64)
    for i in range(n):
        y[i] *= scale[i]


@njit(cache=True, nogil=True, error_model="numpy", fastmath={"nnan", "nsz"})
def _max_f32(v):  # type: ignore[no-untyped-def]  # pragma: no cover - numba
    """The largest of finite float32 values (at least one), as float64: the maximum does not
    depend on the order it is taken in, so it may be taken in SIMD lanes."""
    top = v[0]
    for i in range(1, v.size):
        top = max(top, v[i])
    return np.float64(top)


#: Frames per batch of :func:`heads` (its scratch stays in the first-level cache).
_HEADS_BATCH = 32


@njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"})
def heads(out, f0_hz, loudness_db, silence_db, sample_rate, model_hz, render_hz, amp, dist, mags, amps):  # type: ignore[no-untyped-def]  # pragma: no cover - numba
    """The head outputs of a phrase as synthesis controls, in float64 (see
    :func:`partita.render.neural_infer.heads_to_params`): ``amp`` [n], ``dist`` [n, K] and
    ``mags`` [n, len(render_hz)] are filled, and ``amps`` [n, >= K] too unless it has no rows:
    the harmonics' amplitudes ``amp * dist`` in float32 (as numpy multiplies them), zeros past K.

    ``log amplitude = ln(10) L / 20 + 12 tanh(o_amp / 12)`` with ``L = max(loudness_db, -100)``;
    the harmonic distribution is the softmax of the logits of the harmonics below 96 % of
    Nyquist (all zeros when none is); the noise magnitudes ``10^(L / 20) exp(12 tanh(o / 12))``
    at ``model_hz``, interpolated linearly onto ``render_hz`` (0 above the model's top band, as
    ``np.interp(..., right=0)``). Silent frames get amplitude and noise 0.

    The exponentials of a batch of frames go through :func:`_exp_into` together (the tanh's,
    ``tanh(y) = sign(y) (1 - e) / (1 + e)`` with ``e = exp(-2 |y|)``, then the outputs').
    """
    n = out.shape[0]
    n_harm = dist.shape[1]
    n_bands = model_hz.size
    n_col = 1 + n_harm + n_bands
    n_t = 1 + n_bands  # the tanh's: the amplitude's and the bands'
    cut = 0.96 * sample_rate / 2.0
    ln10_20 = np.log(10.0) / 20.0
    nb = _HEADS_BATCH
    x = np.empty(nb * n_col, np.float64)
    y = np.empty(nb * n_col, np.float64)
    bits = np.empty(nb * n_col, np.int64)
    th = np.empty(nb * n_t, np.float64)  # 12 tanh(o / 12)
    n_aud = np.zeros(nb, np.int64)
    row = np.empty(n_bands, np.float64)
    with_amps = amps.shape[0] > 0
    same_grid = render_hz.size == n_bands
    if same_grid:
        for b in range(n_bands):
            same_grid = same_grid and render_hz[b] == model_hz[b]
    for t0 in range(0, n, nb):
        m_t = min(nb, n - t0)
        for r in range(m_t):
            t = t0 + r
            x[r * n_t] = -np.abs(np.float64(out[t, 0])) / 6.0
            for b in range(n_bands):
                x[r * n_t + 1 + b] = -np.abs(np.float64(out[t, 1 + n_harm + b])) / 6.0
        _exp_into(x, m_t * n_t, bits, y)
        for r in range(m_t):
            t = t0 + r
            for b in range(n_t):
                o = out[t, 0] if b == 0 else out[t, n_harm + b]
                e = y[r * n_t + b]
                v = 12.0 * (1.0 - e) / (1.0 + e)
                th[r * n_t + b] = -v if o < 0.0 else v
        # every exponent of the outputs: amplitude, the harmonics' softmax, the bands
        for r in range(m_t):
            t = t0 + r
            base = r * n_col
            level = ln10_20 * max(loudness_db[t], -100.0)
            x[base] = level + th[r * n_t]
            for b in range(n_bands):
                x[base + 1 + n_harm + b] = level + th[r * n_t + 1 + b]
            f0 = f0_hz[t]
            m = 0
            for k in range(n_harm):  # (k + 1) f0 grows with k: the audible ones come first
                m += (k + 1) * f0 < cut
            top = _max_f32(out[t, 1 : 1 + m]) if m else -np.inf
            n_aud[r] = m
            for k in range(n_harm):
                x[base + 1 + k] = np.float64(out[t, 1 + k]) - top if k < m else -np.inf
        _exp_into(x, m_t * n_col, bits, y)
        for r in range(m_t):
            t = t0 + r
            base = r * n_col
            silent = loudness_db[t] <= silence_db
            amp[t] = np.float32(0.0) if silent else np.float32(y[base])
            m = n_aud[r]
            total = 0.0
            for k in range(m):
                total += y[base + 1 + k]
            for k in range(n_harm):
                dist[t, k] = np.float32(y[base + 1 + k] / total) if (k < m and total > 0.0) else np.float32(0.0)
            if with_amps:
                a_t = amp[t]
                for k in range(n_harm):
                    amps[t, k] = a_t * dist[t, k]
                for k in range(n_harm, amps.shape[1]):
                    amps[t, k] = np.float32(0.0)
            for b in range(n_bands):
                row[b] = 0.0 if silent else y[base + 1 + n_harm + b]
            if same_grid:
                for b in range(n_bands):
                    mags[t, b] = np.float32(row[b])
                continue
            j = 0
            for i in range(render_hz.size):
                xr = render_hz[i]
                if xr > model_hz[n_bands - 1]:
                    mags[t, i] = np.float32(0.0)
                elif xr == model_hz[n_bands - 1]:
                    mags[t, i] = np.float32(row[n_bands - 1])
                elif xr <= model_hz[0]:
                    mags[t, i] = np.float32(row[0])
                else:
                    while model_hz[j + 1] <= xr:
                        j += 1
                    slope = (row[j + 1] - row[j]) / (model_hz[j + 1] - model_hz[j])
                    mags[t, i] = np.float32(slope * (xr - model_hz[j]) + row[j])


@njit(cache=True, nogil=True, error_model="numpy")
def input_features(log2_f0, log2_f0_440, loudness_db, coef, level_db, cents, jump_db, lag, frame_rate, tau, x, onset_arg):  # type: ignore[no-untyped-def]  # pragma: no cover - numba
    """The network's inputs of a phrase in one pass (the arithmetic of
    :func:`partita.render.neural_infer.calibrated_loudness_a`, ``note_onsets`` and ``features``,
    operation for operation): fills columns 0 and 1 of ``x`` [n, 3] (float32) and
    ``onset_arg`` [n] with ``-t / tau`` (``-inf`` before the first onset), whose exp the caller
    takes. ``log2_f0`` and ``log2_f0_440`` are numpy's log2 of ``max(f0, 1)`` and of that / 440."""
    n = loudness_db.size
    c0, c1, c2, c3 = coef[0], coef[1], coef[2], coef[3]
    cand = np.empty(n, np.bool_)
    prev = np.empty(n, np.bool_)
    for i in range(n):
        ld = np.float64(loudness_db[i])
        p = ((69.0 + 12.0 * log2_f0_440[i]) - 60.0) / 24.0
        L = max(ld, -120.0)
        la = L + c0 + c1 * (L + 40.0) / 20.0 + c2 * p + c3 * p * p
        x[i, 0] = np.float32(p)
        x[i, 1] = np.float32((max(la, -100.0) + 40.0) / 20.0)
        back = max(i - lag, 0)
        sounding = ld > level_db
        prev[i] = i > 0 and np.float64(loudness_db[i - 1]) > level_db
        moved = np.abs(log2_f0[i] * 1200.0 - log2_f0[back] * 1200.0) > cents
        jumped = (ld - max(np.float64(loudness_db[back]), level_db)) > jump_db
        cand[i] = sounding and (not prev[i] or moved or jumped)
    starts = np.empty(n, np.bool_)
    for i in range(n):
        starts[i] = cand[i] and not (i > 0 and cand[i - 1])
    on = np.zeros(n, np.bool_)
    merge_onsets(starts, prev, lag, on)
    last = -1
    for i in range(n):
        if on[i]:
            last = i
        onset_arg[i] = -((i - last) / frame_rate) / tau if last >= 0 else -np.inf


@njit(cache=True, nogil=True)
def merge_onsets(starts, prev_sounding, lag, out):  # type: ignore[no-untyped-def]  # pragma: no cover - numba
    """Onsets from the first frames of candidate runs (:func:`partita.render.neural_infer.note_onsets`):
    a start closer than ``lag`` frames to the last onset is dropped unless the sound stopped
    just before it. Fills the bool array ``out``."""
    last = -(10**9)
    for i in range(starts.size):
        if starts[i] and (i - last >= lag or not prev_sounding[i]):
            out[i] = True
            last = i


@njit(cache=True, nogil=True, error_model="numpy")
def phrase_audio(x, w_in, b_in, conv_w, conv_b, mix_w, mix_b, dilations, head_w, head_b, f0_32, f0_hz, loudness_db,
                 silence_db, sample_rate, model_hz, render_hz, n_harm, amps_cols, ratio, basis, seed):  # type: ignore[no-untyped-def]  # pragma: no cover - numba
    """A phrase's audio from the network's features, in one call: :func:`_forward_kernel`, then
    :func:`heads`, then ``synth._synthesize_kernel`` (the harmonic bank and the filtered noise)
    into float32 (1, n) -- the kernels and the order of ``NeuralDecoder.decode`` followed by
    ``synthesize``, so the same audio bit for bit, with one release of the GIL and one dispatch
    instead of one for each (and none of the arrays between them made by numpy).

    ``f0_32``: the f0 curve as float32 (the bank's), ``f0_hz`` and ``loudness_db`` as float64
    (the heads'); ``amps_cols``: the harmonics padded to the bank's group of four; ``seed``:
    uint64."""
    n = x.shape[0]
    out = np.empty((n, head_b.size), np.float32)
    if n:
        _forward_kernel(x, w_in, b_in, conv_w, conv_b, mix_w, mix_b, dilations, head_w, head_b, out)
    amp = np.empty(n, np.float32)
    dist = np.empty((n, n_harm), np.float32)
    mags = np.empty((n, render_hz.size), np.float32)
    amps = np.empty((n, amps_cols), np.float32)
    heads(out, f0_hz, loudness_db, silence_db, sample_rate, model_hz, render_hz, amp, dist, mags, amps)
    sounding = False
    for t in range(n):
        sounding = sounding or amp[t] != 0.0
    return _synthesize_kernel(f0_32, amps, mags, ratio, sample_rate, basis, seed, sounding)
