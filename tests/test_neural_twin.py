"""The torch twins in render/twin.py equal the numba kernels in render/synth.py."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from partita.render import room, synth, twin

# stated tolerance: float64 twin vs float32-output kernels, relative to the signal's peak
TOL = 2e-5


def _curves(rng: np.random.Generator, n_frames: int, n_harm: int):
    f0 = (220.0 * 2 ** (rng.uniform(-1, 2.5) + 0.05 * np.sin(np.arange(n_frames) / 7.0))).astype(np.float32)
    amps = (rng.uniform(0, 1, (n_frames, n_harm)) / np.arange(1, n_harm + 1)).astype(np.float32)
    amps[:, rng.integers(0, n_harm, 3)] = 0.0
    return f0, amps


@pytest.mark.parametrize("sample_rate", [48000, 44100, 16000])
def test_harmonic_twin_equals_kernel(sample_rate: int) -> None:
    rng = np.random.default_rng(sample_rate)
    f0, amps = _curves(rng, 40, 60)  # high harmonics cross Nyquist: the fade is exercised
    ref, _ = synth.harmonic_bank(f0_hz=f0, harmonic_amplitudes=amps, frame_rate=250.0, sample_rate=sample_rate)
    got = twin.harmonic_bank(f0_hz=torch.from_numpy(f0).double(), harmonic_amplitudes=torch.from_numpy(amps).double(),
                             frame_rate=250.0, sample_rate=sample_rate).numpy()  # fmt: skip
    assert got.shape == ref[0].shape
    peak = np.abs(ref).max()
    assert peak > 0.1
    assert np.abs(got - ref[0]).max() <= TOL * peak


def test_harmonic_twin_nyquist_fade_matches_a_float64_formula() -> None:
    # one harmonic held inside the fade band: amplitude = clip((nyq - f) / fade, 0, 1)
    sr = 16000
    f = 7800.0
    amps = np.zeros((5, 1), np.float32)
    amps[:, 0] = 1.0
    y = twin.harmonic_bank(f0_hz=torch.full((5,), f, dtype=torch.float64), harmonic_amplitudes=torch.from_numpy(amps).double(),
                           frame_rate=250.0, sample_rate=sr).numpy()  # fmt: skip
    n = np.arange(y.size)
    expect = (8000 - f) / (0.04 * 8000) * np.sin(2 * np.pi * f * n / sr)
    assert np.abs(y - expect).max() < 1e-9


def test_white_noise_equals_kernel_noise() -> None:
    # unit flat magnitudes on 2 bands give a 2-tap filter: recover the white samples exactly
    mags = np.ones((3, 2), np.float32)
    basis = synth.noise_filter_basis(2)
    y = synth.filtered_noise(noise_magnitudes=mags, frame_rate=250.0, sample_rate=48000, seed=11)[0]
    x = twin.white_noise(seed=11, n_samples=576)
    h = (basis @ np.ones(2)).astype(np.float32)
    expect = np.convolve(x, h)
    assert np.abs(y - expect).max() < 1e-5


@pytest.mark.parametrize(("sample_rate", "n_bands"), [(48000, 17), (44100, 17), (16000, 65)])
def test_noise_twin_equals_kernel(sample_rate: int, n_bands: int) -> None:
    rng = np.random.default_rng(n_bands)
    mags = rng.uniform(0, 1, (30, n_bands)).astype(np.float32)
    mags[5:8] = 0.0  # silent frames are skipped by the kernel
    ref = synth.filtered_noise(noise_magnitudes=mags, frame_rate=250.0, sample_rate=sample_rate, seed=5)[0]
    got = twin.filtered_noise(noise_magnitudes=torch.from_numpy(mags).double(), frame_rate=250.0,
                              sample_rate=sample_rate, seed=5).numpy()  # fmt: skip
    assert got.shape == ref.shape
    assert np.abs(got - ref).max() <= TOL * np.abs(ref).max()


def test_room_twin_equals_kernel() -> None:
    rng = np.random.default_rng(0)
    audio = rng.standard_normal((1, 3000)).astype(np.float32)
    ir = room.room_impulse_response(sample_rate=16000, rt60_s=0.3, seed=2)
    ref = room.apply_room(audio, ir)
    got = twin.apply_room(torch.from_numpy(audio).double(), torch.from_numpy(ir).double()).numpy()
    assert np.abs(got - ref).max() <= TOL * np.abs(ref).max()


def test_twins_have_gradients() -> None:
    f0 = torch.full((6,), 300.0, dtype=torch.float64)
    amps = torch.full((6, 4), 0.1, dtype=torch.float64, requires_grad=True)
    mags = torch.full((6, 17), 0.1, dtype=torch.float64, requires_grad=True)
    y = twin.harmonic_bank(f0_hz=f0, harmonic_amplitudes=amps, frame_rate=250.0, sample_rate=16000)
    z = twin.filtered_noise(noise_magnitudes=mags, frame_rate=250.0, sample_rate=16000, seed=0)
    (y.square().sum() + z.square().sum()).backward()
    assert amps.grad is not None and float(amps.grad.abs().sum()) > 0
    assert mags.grad is not None and float(mags.grad.abs().sum()) > 0
