"""The neural decoder's render path after the forward pass, against float64 numpy references:
the vectorised exp, the heads (amplitude, softmax, noise bands), the one-pass input features,
and ``NeuralDecoder.render_phrase`` equal to ``synthesize(decode())`` bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from partita.render import neural_infer
from partita.render.controls import SILENCE_DB, ControlCurves
from partita.render.neural_infer import calibrated_loudness_a, features, heads_to_params, onset_feature, shipped_decoder
from partita.render.neural_kernel import _exp_into
from partita.render.synth import synthesize


def test_exp_is_within_two_ulps_of_numpy():
    x = np.concatenate([np.linspace(-700.0, 700.0, 200_001), [0.0, -0.0, 1e-300, -1e-300, 0.5 * np.log(2.0)]])
    y = np.empty_like(x)
    _exp_into(x, x.size, np.empty(x.size, np.int64), y)
    ref = np.exp(x)
    assert np.all(np.abs(y - ref) <= 2 * np.spacing(ref))
    # below -700 it reads -700 (every caller rounds that to float32 0, as exp(-inf))
    z = np.array([-np.inf, -800.0])
    _exp_into(z, 2, np.empty(2, np.int64), y[:2])
    assert np.all(y[:2] == np.exp(-700.0)) and np.float32(y[0]) == 0.0


def _reference_heads(out, f0, loud, n_harm, n_bands, sr, render_bands):
    """The heads written out in float64 numpy, as the module docstring states them."""
    o = out.astype(np.float64)
    L = np.maximum(loud.astype(np.float64), -100.0)
    silent = loud <= SILENCE_DB
    ref = 10.0 ** (L / 20.0)
    amp = np.where(silent, 0.0, ref * np.exp(12.0 * np.tanh(o[:, 0] / 12.0)))
    logits = o[:, 1 : 1 + n_harm]
    audible = np.arange(1, n_harm + 1)[None, :] * f0.astype(np.float64)[:, None] < 0.96 * sr / 2
    z = np.where(audible, logits, -np.inf)
    top = z.max(axis=1, keepdims=True)
    e = np.where(audible, np.exp(z - np.where(np.isfinite(top), top, 0.0)), 0.0)
    total = e.sum(axis=1, keepdims=True)
    dist = np.divide(e, total, out=np.zeros_like(e), where=total > 0)
    bands = np.where(silent[:, None], 0.0, ref[:, None] * np.exp(12.0 * np.tanh(o[:, 1 + n_harm :] / 12.0)))
    model_hz = np.linspace(0, neural_infer.NOISE_TOP_HZ, n_bands)
    render_hz = np.linspace(0, sr / 2, render_bands)
    mags = np.stack([np.interp(render_hz, model_hz, row, right=0.0) for row in bands])
    return amp, dist, mags


@pytest.mark.parametrize(("sr", "render_bands"), [(48000, 17), (44100, 17), (96000, 33), (16000, 9)])
def test_heads_equal_the_float64_formulas(sr, render_bands):
    rng = np.random.default_rng(sr)
    n, n_harm, n_bands = 300, 60, 17
    out = np.concatenate([rng.normal(0, 8, (n, 1)), rng.normal(0, 6, (n, n_harm)), rng.normal(0, 30, (n, n_bands))], axis=1)
    out[5, 1:] = 0.0  # ties in the softmax
    out = out.astype(np.float32)
    f0 = np.exp(rng.uniform(np.log(30.0), np.log(15000.0), n)).astype(np.float32)
    f0[:3] = 13000.0  # one audible harmonic at 48 kHz, none at 16 kHz (an all-zero distribution)
    loud = rng.uniform(-130, 0, n).astype(np.float32)
    loud[10:20] = SILENCE_DB
    amp, dist, mags = heads_to_params(out, f0_hz=f0, loudness_db=loud, n_harmonics=n_harm, n_bands=n_bands,
                                      sample_rate=sr, render_bands=render_bands)  # fmt: skip
    r_amp, r_dist, r_mags = _reference_heads(out, f0, loud, n_harm, n_bands, sr, render_bands)
    assert amp.dtype == dist.dtype == mags.dtype == np.float32
    # float32 results of float64 sums: within float32 rounding (2^-24 relative, plus slack)
    for got, ref in ((amp, r_amp), (dist, r_dist), (mags, r_mags)):
        assert got.shape == ref.shape
        assert np.all(np.abs(got - ref) <= 1.5e-7 * np.abs(ref) + 1e-37)
    assert np.all(dist[loud > SILENCE_DB].sum(axis=1)[dist[loud > SILENCE_DB].any(axis=1)] > 0.999)
    assert np.all(amp[10:20] == 0) and np.all(mags[10:20] == 0)


def _curves(n: int = 600, seed: int = 3) -> ControlCurves:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    f0 = 300.0 * 2 ** (0.03 * np.sin(2 * np.pi * 5.5 * t / 250.0))
    f0[n // 3 :] *= 2 ** (3 / 12)  # a slur
    f0[2 * n // 3 :] *= 2 ** (-1 / 12)
    loud = np.concatenate([np.full(4, -120.0), np.linspace(-70, -10, 50), -14 + rng.normal(0, 0.5, n - 54 - 80),
                           np.linspace(-14, -2, 20), np.full(20, -18.0), np.full(40, -120.0)])  # fmt: skip
    loud[300:310] = -90.0  # a gap, then a re-attack
    return ControlCurves(part_id="v", voice=1, start_frame=11, frame_rate=250.0, f0_hz=f0, loudness_db=loud,
                         brightness=np.full(n, 0.5), noise=np.zeros(n), seed=1234)  # fmt: skip


def test_inputs_equal_the_composed_features_bit_for_bit():
    coef = (-6.5, 1.25, 3.0, -2.0)
    for seed in range(4):
        c = _curves(seed=seed)
        la = calibrated_loudness_a(c.loudness_db, c.f0_hz, coef)
        ref = features(c.f0_hz, la, onset_feature(c.f0_hz, c.loudness_db, frame_rate=c.frame_rate))
        got = neural_infer._inputs(c.f0_hz, c.loudness_db, coef, c.frame_rate)
        assert np.array_equal(got, ref)
        assert (got[:, 2] < 0.05).sum() >= 3  # the onsets are there: attack, slurs, re-attack


@pytest.mark.parametrize("instrument", ["violin", "flute", "horn"])
def test_render_phrase_equals_synthesize_of_decode(instrument):
    dec = shipped_decoder(instrument)
    assert isinstance(dec, neural_infer.NeuralDecoder)
    for sr in (48000, 44100):
        c = _curves()
        ref = synthesize(dec.decode(c, sample_rate=sr), sample_rate=sr)
        got = dec.render_phrase(c, sample_rate=sr)
        assert got.dtype == np.float32 and np.array_equal(got, ref)
        assert np.abs(got).max() > 1e-3
