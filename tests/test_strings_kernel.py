"""The string models' kernel (render/strings_kernel.py) against the float64 formula of its damped
sinusoids, written out here with numpy: samples, where each row stops, the output's length."""

from __future__ import annotations

import numpy as np
import pytest

from partita.render.strings_kernel import BLOCK, render_note

SR = 48000


def _reference(freqs, amps, d_on, d_off, n_on, n_off, floor, n, trim, ramp, noise):
    """float64: row r is amps[r] rho(i) sin(2 pi f (i - n_on) / SR), rho = d_on^(i - n_on) to the
    note-off and d_off per sample after it; it stops at the first check sample (n_on + 4 m, m >= 1,
    equal to n_on mod 4 modulo 256, then every 256 samples; from n_off likewise after the
    note-off) where rho amps[r] < floor."""

    def stop(level0, d, s0, lim):
        c = s0 + 4
        while c % 256 != s0 % 4:
            c += 4
        while c <= lim:
            if level0 * d ** float(c - s0) < floor:
                return c
            c += 256
        return lim

    i = np.arange(n, dtype=np.float64)
    total = np.zeros(n)
    last = n_on
    i1 = min(n_off, n)
    for f, a, don, doff in zip(freqs, amps, d_on, d_off):
        if not a > floor:
            continue
        e = stop(a, don, n_on, i1)
        if e >= n_off and n > n_off and a * don ** float(n_off - n_on) >= floor:
            e = stop(a * don ** float(n_off - n_on), doff, n_off, n)
        rho = np.where(i < n_off, don ** (i - n_on), don ** float(n_off - n_on) * doff ** (i - n_off))
        on = (i >= n_on) & (i < e)
        total[on] += a * rho[on] * np.sin(2 * np.pi * f * (i[on] - n_on) / SR)
        last = max(last, e)
    total[n_on : n_on + len(ramp)] *= ramp[: max(0, n - n_on)]
    end = min(n, n_on + len(noise))
    total[n_on:end] += noise[: end - n_on].astype(np.float64)
    return total[: max(last, end, n_off)] if trim else total


def _rows(rng, k, f0):
    freqs = f0 * np.arange(1, k + 1) * (1 + 1e-4 * np.arange(1, k + 1) ** 2) ** 0.5
    amps = 0.2 * 10 ** (-rng.uniform(0, 4, k))  # 0 to -80 dB
    d_on = 10 ** (-rng.uniform(0, 60, k) / 20 / SR)  # 0 to 60 dB/s
    d_off = 10 ** (-rng.uniform(30, 300, k) / 20 / SR)
    return freqs, amps, d_on, d_off


def _check(out, ref):
    # the kernel sums in float64 and rounds once to float32: every sample within one float32
    # step of the formula (or 1e-9 of the peak, for samples near zero)
    assert out.dtype == np.float32 and out.shape == ref.shape
    tol = np.maximum(np.spacing(np.abs(ref).astype(np.float32)).astype(np.float64), 1e-9 * np.abs(ref).max())
    assert np.all(np.abs(out.astype(np.float64) - ref) <= tol)


@pytest.mark.parametrize("n_on, n_off, n", [(0, 24000, None), (1237, 9001, None), (4803, 70003, None), (5, 30000, 20000),
                                            (300, 700, 3000)])  # fmt: skip
def test_kernel_matches_the_float_formula(n_on, n_off, n):
    rng = np.random.default_rng(n_on)
    freqs, amps, d_on, d_off = _rows(rng, 40, 110.0 + n_on / 100)
    # rows whose 16-sample turn is (nearly) a whole or half turn: the recurrence's worst case
    freqs[:4] = [3000.0, 1500.0, 3000.0 * (1 + 1e-9), 4500.0 * (1 - 1e-7)]
    amps[:4] = 0.05
    floor = 1e-5
    ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(96) / 96)
    noise = (rng.standard_normal(17000) * 1e-3 * np.exp(-np.arange(17000) / 3000)).astype(np.float32)
    trim = n is None
    if trim:
        n = n_off + 4 * SR
    out = render_note(freqs=freqs, amps=amps, decay_on=d_on, decay_off=d_off, n_on=n_on, n_off=n_off, sample_rate=SR,
                      floor=floor, n_samples=n, trim=trim, ramp=ramp, noise=noise)  # fmt: skip
    _check(out, _reference(freqs, amps, d_on, d_off, n_on, n_off, floor, n, trim, ramp, noise))
    assert np.array_equal(out, render_note(freqs=freqs, amps=amps, decay_on=d_on, decay_off=d_off, n_on=n_on,
                                           n_off=n_off, sample_rate=SR, floor=floor, n_samples=n, trim=trim,
                                           ramp=ramp, noise=noise))  # fmt: skip


def test_rows_stop_on_the_check_grid_and_the_length_follows():
    # one slowly decaying row, one that stops before the note-off, one that never falls below
    # the floor while held: the output ends at the first check after the last row's fall
    freqs = np.array([220.0, 440.0, 660.0])
    amps = np.array([0.1, 0.1, 0.1])
    d_on = 10 ** (-np.array([6.0, 400.0, 0.0]) / 20 / SR)
    d_off = 10 ** (-np.array([100.0, 400.0, 100.0]) / 20 / SR)
    kw = dict(freqs=freqs, amps=amps, decay_on=d_on, decay_off=d_off, n_on=10, n_off=SR, sample_rate=SR, floor=1e-5,
              n_samples=4 * SR, trim=True, ramp=np.zeros(0), noise=np.zeros(0, np.float32))  # fmt: skip
    out = render_note(**kw)
    ref = _reference(freqs, amps, d_on, d_off, 10, SR, 1e-5, 4 * SR, True, np.zeros(0), np.zeros(0, np.float32))
    _check(out, ref)
    # the held row falls from 0.1 to 1e-5 (80 dB) in 0.8 s after the note-off (100 dB/s): the
    # output ends at the first check sample after that (the grid from the note-off)
    assert len(out) % BLOCK == SR % 4 and 0 <= len(out) - int(1.8 * SR) < BLOCK
    # the 400 dB/s row is silent after 0.2 s (80 dB): only the other two sound at 0.5 s
    seg = out[int(0.5 * SR) : int(0.5 * SR) + 4800].astype(np.float64)
    spec = np.abs(np.fft.rfft(seg * np.hanning(len(seg))))
    hz = np.fft.rfftfreq(len(seg), 1 / SR)
    assert spec[np.argmin(np.abs(hz - 440))] < 1e-4 * spec.max() and spec[np.argmin(np.abs(hz - 660))] > 0.1 * spec.max()


def test_a_note_with_no_row_above_the_floor_is_its_noise():
    noise = np.linspace(-1, 1, 500).astype(np.float32)
    out = render_note(freqs=np.array([100.0]), amps=np.array([1e-6]), decay_on=np.ones(1), decay_off=np.ones(1) * 0.999,
                      n_on=100, n_off=400, sample_rate=SR, floor=1e-5, n_samples=5000, trim=True, ramp=np.ones(10),
                      noise=noise)  # fmt: skip
    assert len(out) == 600 and np.all(out[:100] == 0) and np.array_equal(out[100:], noise)


@pytest.mark.parametrize("detune_scale, f0_hz, velocity", [(0.0, 261.63, 80.0), (1.0, 440.0, 37.5), (1.0, 65.4, 120.0)])
def test_a_notes_rows_are_the_tables_read_by_params(detune_scale, f0_hz, velocity):
    # StringModel.note reads its tables in numba (_note_rows); params() and the float formulas
    # of the module docstring, in numpy, are the reference
    import math

    from partita.render.neural_infer import decoder_for
    from partita.render.strings import StringModel, _note_rows, partial_frequencies, strings_for

    shipped = decoder_for("piano").model
    m = StringModel(config={**shipped.config, "detune_scale": detune_scale}, arrays=shipped.arrays)
    midi = 69 + 12 * math.log2(f0_hz / 440)
    level = -23.0
    table, has_v, pk, vk = m._pack()
    k = int(m.config["n_partials"])
    f, a, d_on, d_off, floor, n, ramp, mags = _note_rows(table, has_v, pk, vk, k, f0_hz, midi, velocity, level, 480,
                                                         24480, SR, -1, strings_for("piano", midi), detune_scale,
                                                         float(m.config["noise_tau_s"]), 250.0, False)  # fmt: skip
    p = m.params(midi, velocity)
    ns = p["n_strings"] if p["detune_cents"] * detune_scale > 0 else 1
    fk = partial_frequencies(f0_hz, 10 ** p["log10_b"], k)
    cents = np.linspace(-0.5, 0.5, ns) * p["detune_cents"] * detune_scale if ns > 1 else np.zeros(1)
    keep = fk < 0.45 * SR
    slow = np.where(keep, 10 ** ((level + p["amp_db"]) / 20), 0) / ns
    fast = np.where(keep, 10 ** ((level + p["fast_db"]) / 20), 0) / ns
    rel = max(p["release_db_s"], 5.0)
    dec = np.stack([np.maximum(p["decay_db_s"], 0), np.maximum(p["fast_decay_db_s"], 0)])
    want_f = np.concatenate([np.tile(fk * 2 ** (c / 1200), 2) for c in cents])
    np.testing.assert_allclose(f, want_f, rtol=1e-14)
    np.testing.assert_allclose(a, np.tile(np.concatenate([slow, fast]), ns), rtol=1e-13)
    np.testing.assert_allclose(d_on, np.tile(10 ** (-dec / 20 / SR).ravel(), ns), rtol=1e-14)
    np.testing.assert_allclose(d_off, np.tile(10 ** (-np.maximum(dec, rel) / 20 / SR).ravel(), ns), rtol=1e-14)
    assert n == 24480 + int(min(80 / rel, 4) * SR) + 1 and abs(floor / 10 ** (max(level - 80, -100) / 20) - 1) < 1e-14
    np.testing.assert_allclose(ramp, 0.5 - 0.5 * np.cos(np.pi * np.arange(96) / 96), atol=1e-15)
    tau = float(m.config["noise_tau_s"])
    env = np.exp(-np.arange(int(math.ceil(6 * tau * 250)) + 1) / 250 / tau)
    want = env[:, None] * 10 ** ((level + p["noise_db"]) / 20)[None, :]  # bands up to 24 kHz = Nyquist at 48 kHz
    np.testing.assert_allclose(mags, want.astype(np.float32), rtol=1e-6)


def test_a_note_without_a_finite_velocity_is_refused():
    from partita.errors import ConfigError
    from partita.render.neural_infer import decoder_for

    m = decoder_for("piano").model
    with pytest.raises(ConfigError, match="velocity nan"):
        m.note(f0_hz=220.0, velocity=float("nan"), level_db=-20.0, on_s=0.0, off_s=0.5, sample_rate=SR, seed=1)
