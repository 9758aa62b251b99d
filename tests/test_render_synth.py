"""Synthesis kernels against float64 references: blocking, Nyquist, noise shape, room."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import get_window

from partita.errors import ConfigError
from partita.render.controls import SynthParams
from partita.render.room import apply_room
from partita.render.synth import (
    filtered_noise,
    harmonic_bank,
    n_samples_for_frames,
    noise_filter_basis,
    synthesize,
)

SR = 48000
FR = 250.0


def _glide(n_frames: int, lo: float, hi: float, vibrato_cents: float = 0.0) -> np.ndarray:
    t = np.arange(n_frames) / FR
    f0 = lo * (hi / lo) ** (np.arange(n_frames) / (n_frames - 1))
    return (f0 * 2 ** (vibrato_cents / 1200 * np.sin(2 * np.pi * 5.5 * t))).astype(np.float32)


def _reference_bank(f0, amps, n, fade_hz):
    """The same oscillator bank written directly in float64 numpy: sin(2 pi k phase)."""
    pos = np.arange(n) * FR / SR
    frames = np.arange(len(f0))
    f = np.interp(pos, frames, f0.astype(np.float64))
    phase = np.concatenate([[0.0], np.cumsum(f / SR)[:-1]])
    nyq = SR / 2
    out = np.zeros(n)
    for k in range(1, amps.shape[1] + 1):
        gain = np.clip((nyq - k * f) / fade_hz, 0, 1)
        a = np.interp(pos, frames, amps[:, k - 1].astype(np.float64))
        out += a * gain * np.sin(2 * np.pi * k * np.mod(phase, 1.0))
    return out


def test_bank_matches_float64_reference():
    rng = np.random.default_rng(0)
    n_frames = 200
    f0 = _glide(n_frames, 60.0, 3000.0, vibrato_cents=50)
    amps = (rng.random((n_frames, 37)) * 0.02).astype(np.float32)
    audio, _ = harmonic_bank(f0_hz=f0, harmonic_amplitudes=amps, frame_rate=FR, sample_rate=SR)
    ref = _reference_bank(f0, amps, audio.shape[1], fade_hz=0.04 * SR / 2)
    # a sum of 37 terms of at most 0.02 by a float32 recurrence from a float64 phase: rounding
    # (a few float32 ulps of the sum), not drift; the error's power ~110 dB below the signal's
    assert audio.shape == (1, n_samples_for_frames(n_frames, frame_rate=FR, sample_rate=SR))
    err = audio[0] - ref
    assert np.max(np.abs(err)) < 5e-6
    assert 10 * np.log10(np.mean(ref**2) / np.mean(err**2)) > 105.0


@pytest.mark.parametrize("block", [1, 7, 64, 191, 192, 193, 1000, 4099, 100_000])
def test_bank_blocked_equals_one_pass(block):
    rng = np.random.default_rng(1)
    n_frames = 60 if block == 1 else 300
    f0 = _glide(n_frames, 100.0, 8000.0, vibrato_cents=80)
    amps = (rng.random((n_frames, 61)) * 0.01).astype(np.float32)
    amps[10:20] = 0.0  # silent frames inside
    whole, end_phase = harmonic_bank(f0_hz=f0, harmonic_amplitudes=amps, frame_rate=FR, sample_rate=SR)
    n = whole.shape[1]
    parts, phase = [], 0.0
    for start in range(0, n, block):
        chunk, phase = harmonic_bank(
            f0_hz=f0, harmonic_amplitudes=amps, frame_rate=FR, sample_rate=SR,
            start_sample=start, n_samples=min(block, n - start), phase=phase,
        )  # fmt: skip
        parts.append(chunk)
    blocked = np.concatenate(parts, axis=1)
    assert np.array_equal(blocked, whole)  # sample for sample, bit for bit
    assert phase == end_phase


@pytest.mark.parametrize("block", [1, 100, 191, 192, 5000])
def test_noise_blocked_equals_one_pass(block):
    rng = np.random.default_rng(2)
    n_frames = 40 if block == 1 else 200
    mags = rng.random((n_frames, 65)).astype(np.float32)
    mags[5:9] = 0.0
    whole = filtered_noise(noise_magnitudes=mags, frame_rate=FR, sample_rate=SR, seed=11)
    n = whole.shape[1]
    blocked = np.concatenate(
        [
            filtered_noise(noise_magnitudes=mags, frame_rate=FR, sample_rate=SR, seed=11,
                           start_sample=s, n_samples=min(block, n - s))
            for s in range(0, n, block)
        ],
        axis=1,
    )  # fmt: skip
    assert np.array_equal(blocked, whole)


def _non_harmonic_level_db(audio: np.ndarray, f0: np.ndarray, *, n_harmonics: int) -> float:
    """Largest spectral level away from every harmonic below Nyquist, in dB re the
    fundamental's peak, over Blackman-Harris windows of 1024 samples (sidelobes -92 dB)."""
    win_len, hop = 1024, 512
    win = get_window("blackmanharris", win_len)
    freqs = np.fft.rfftfreq(win_len, 1 / SR)
    bin_hz = SR / win_len
    pos = np.arange(audio.size) * FR / SR
    f_track = np.interp(pos, np.arange(len(f0)), f0.astype(np.float64))
    worst = -np.inf
    for s in range(0, audio.size - win_len, hop):
        spec = np.abs(np.fft.rfft(audio[s : s + win_len] * win))
        lo, hi = f_track[s : s + win_len].min(), f_track[s : s + win_len].max()
        mask = np.zeros(freqs.size, bool)
        for k in range(1, n_harmonics + 1):
            if k * lo >= SR / 2:
                break
            mask |= (freqs >= k * lo - 5 * bin_hz) & (freqs <= k * hi + 5 * bin_hz)
        fund = spec[(freqs >= lo - 5 * bin_hz) & (freqs <= hi + 5 * bin_hz)].max()
        if (~mask).any():
            worst = max(worst, 20 * np.log10(spec[~mask].max() / fund + 1e-30))
    return worst


def test_no_harmonic_above_nyquist_in_a_glide_to_the_top():
    # a sawtooth-like spectrum (1/k) gliding from A4 to the top of MIDI (G9, 12.5 kHz)
    n_frames = 500
    f0 = _glide(n_frames, 440.0, 12543.85)
    k = np.arange(1, 61)
    amps = np.tile((0.3 / k).astype(np.float32), (n_frames, 1))
    audio, _ = harmonic_bank(f0_hz=f0, harmonic_amplitudes=amps, frame_rate=FR, sample_rate=SR)
    level = _non_harmonic_level_db(audio[0].astype(np.float64), f0, n_harmonics=60)
    assert level < -60.0, f"energy away from the harmonics at {level:.1f} dB re the fundamental"

    # the measure can fail: a bank that lets harmonics fold over Nyquist is caught by it
    pos = np.arange(audio.shape[1]) * FR / SR
    f = np.interp(pos, np.arange(n_frames), f0.astype(np.float64))
    phase = np.cumsum(f / SR)
    naive = sum((0.3 / kk) * np.sin(2 * np.pi * kk * phase) for kk in k)
    assert _non_harmonic_level_db(naive, f0, n_harmonics=60) > -40.0


def test_noise_follows_its_band_magnitudes():
    n_frames = 500
    mags = np.zeros((n_frames, 65), np.float32)
    mags[:, 20:30] = 1.0  # 7.5 kHz .. 10.9 kHz
    x = filtered_noise(noise_magnitudes=mags, frame_rate=FR, sample_rate=SR, seed=3)[0].astype(np.float64)
    spec = np.abs(np.fft.rfft(x[1000:-1000] * np.hanning(x.size - 2000))) ** 2
    freqs = np.fft.rfftfreq(x.size - 2000, 1 / SR)
    band_hz = SR / 2 / 64
    inside = spec[(freqs > 21 * band_hz) & (freqs < 28 * band_hz)].mean()
    outside = spec[(freqs < 14 * band_hz) | (freqs > 36 * band_hz)].mean()
    assert 10 * np.log10(inside / outside) > 40.0


@pytest.mark.parametrize(("n_bands", "start", "n"), [(17, 0, None), (65, 0, None), (17, 1000, 777), (9, 5, 3)])
def test_noise_is_the_overlap_add_of_each_frames_fir(n_bands, start, n):
    """Against a float64 numpy reference: each frame's FIR (the basis times its magnitudes)
    convolved with that frame's white noise (partita.render.twin's splitmix64), overlap-added."""
    from partita.render.twin import white_noise

    rng = np.random.default_rng(n_bands)
    n_frames = 40
    mags = rng.random((n_frames, n_bands)).astype(np.float32)
    mags[7:10] = 0.0
    mags[12, : n_bands // 2] = 0.0
    got = filtered_noise(noise_magnitudes=mags, frame_rate=FR, sample_rate=SR, seed=9, start_sample=start, n_samples=n)[0]
    basis = noise_filter_basis(n_bands)
    taps = basis.shape[0]
    hop = SR // int(FR)
    ref = np.zeros(n_frames * hop + taps - 1)
    x = white_noise(seed=9, n_samples=n_frames * hop)
    for f in range(n_frames):
        h = basis @ mags[f].astype(np.float64)
        ref[f * hop : (f + 1) * hop + taps - 1] += np.convolve(x[f * hop : (f + 1) * hop], h)
    ref = ref[start : start + got.size]
    assert got.size == (ref.size if n is not None else n_frames * hop + taps - 1 - start)
    # float32 sums of 2 (n_bands - 1) products: float32 rounding of the float64 result
    assert np.max(np.abs(got - ref)) < 1e-5 * np.max(np.abs(ref))


def test_noise_depends_only_on_seed_and_sample_index():
    mags = np.ones((100, 17), np.float32)
    a = filtered_noise(noise_magnitudes=mags, frame_rate=FR, sample_rate=SR, seed=5)
    b = filtered_noise(noise_magnitudes=mags, frame_rate=FR, sample_rate=SR, seed=5)
    c = filtered_noise(noise_magnitudes=mags, frame_rate=FR, sample_rate=SR, seed=6)
    assert np.array_equal(a, b)
    assert not np.allclose(a, c)
    # unit magnitudes: the filter is (nearly) an impulse, the noise (nearly) unit variance
    assert 0.7 < a[0, 100:-100].std() < 1.2


def test_noise_basis_is_frequency_sampling():
    basis = noise_filter_basis(33)
    mags = np.linspace(0, 1, 33)
    ir = basis @ mags
    # shifting back by half the length gives the zero-phase design; its spectrum at the band
    # centres is the windowed version of mags: close to mags where mags is smooth
    response = np.abs(np.fft.rfft(ir))
    assert np.allclose(response[4:-4], mags[4:-4], atol=0.02)


def test_synthesize_sums_harmonics_and_noise():
    n = 50
    p = SynthParams(
        f0_hz=np.full(n, 440.0), amplitude=np.full(n, 0.5), harmonic_distribution=np.eye(8)[np.zeros(n, int)],
        noise_magnitudes=np.zeros((n, 65)), start_frame=0, frame_rate=FR, seed=0,
    )  # fmt: skip
    audio = synthesize(p, sample_rate=SR)
    t = np.arange(audio.shape[1]) / SR
    body = n_samples_for_frames(n, frame_rate=FR, sample_rate=SR)
    assert np.allclose(audio[0, :body], 0.5 * np.sin(2 * np.pi * 440 * t[:body]), atol=1e-5)
    assert np.all(audio[0, body:] == 0)


def test_room_is_a_convolution():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 300)).astype(np.float32)
    ir = rng.standard_normal(50).astype(np.float32)
    y = apply_room(x, ir)
    assert y.shape == (2, 349)
    assert np.allclose(y[1], np.convolve(x[1].astype(np.float64), ir.astype(np.float64)), atol=1e-4)


def test_bad_input_is_a_config_error():
    with pytest.raises(ConfigError):
        harmonic_bank(f0_hz=np.ones(3), harmonic_amplitudes=np.ones((4, 2)), frame_rate=FR, sample_rate=SR)
    with pytest.raises(ConfigError):
        harmonic_bank(f0_hz=-np.ones(3), harmonic_amplitudes=np.ones((3, 2)), frame_rate=FR, sample_rate=SR)
    with pytest.raises(ConfigError):
        filtered_noise(noise_magnitudes=np.ones((3, 5)), frame_rate=FR, sample_rate=SR, seed=-1)


@pytest.mark.parametrize("frame_rate, sample_rate", [(250.0, 48000), (250.0, 44100), (200.0, 22050), (86.1328125, 44100)])
def test_python_s_segment_start_is_the_kernel_s(frame_rate, sample_rate):
    """The first sample of each control frame, as Python finds it for a phrase's place in its part
    (``segment_start``) and as the kernels do (``_segment_start``): the same index for every frame,
    and each the smallest sample whose frame is it."""
    from partita.render.frames import _ratio, _segment_start, segment_start

    ratio = _ratio(frame_rate, sample_rate)
    frames = list(range(0, 3000)) + [10**6 + k for k in range(50)] + [-3]
    got = [segment_start(f, ratio) for f in frames]
    assert got == [int(_segment_start(f, ratio)) for f in frames]
    for f, n in zip(frames, got):
        if f > 0:
            assert int(n * ratio) >= f > int((n - 1) * ratio)
