"""Training the neural decoder: a step reduces the loss, a tiny model learns pitch and colour,
checkpoints resume, a diverging run stops and keeps its last good checkpoint."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from partita.render import dataset, neural, neural_losses
from partita.render.controls import ControlCurves
from partita.render.instrument_training import train_instrument
from partita.render.neural_infer import NeuralDecoder, load_weights
from partita.render.synth import synthesize

torch.set_num_threads(1)
SR = 16000


def _tone(f0_hz: float, *, seconds: float = 1.0, sample_rate: int = SR, amp: float = 0.3) -> np.ndarray:
    """Harmonic tone with amplitudes amp / k (k = 1..8), 50 ms attack and release, silence after."""
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    env = np.minimum(1.0, np.minimum(t / 0.05, (seconds - 0.3 - t) / 0.05)).clip(0, 1)
    x = sum(amp / k * np.sin(2 * np.pi * k * f0_hz * t) for k in range(1, 9) if k * f0_hz < sample_rate / 2)
    return (env * x).astype(np.float32)


@pytest.fixture(scope="module")
def tones() -> dict[str, np.ndarray]:
    items = [dataset.Item(f"tone{f}", _tone(f), SR) for f in (196.0, 247.0, 311.0, 370.0, 440.0)]
    return neural.decoder_inputs(dataset.build_dataset(items))


def _batch(data, t=128, n=4):
    starts = neural._split_starts(data, t, val=False)[:: 50][:n]
    return neural._tensor_batch(data, starts, t)


def _feats(b):
    return neural.torch_features(b["f0_hz"], b["loudness_a_db"], b["onset"])


def test_one_step_reduces_the_regression_loss(tones) -> None:
    torch.manual_seed(0)
    cfg = neural.DecoderConfig()
    m = neural.CausalDecoder(cfg)
    b = _batch(tones)
    opt = torch.optim.Adam(m.parameters(), lr=1e-3)
    before = neural_losses.regression_loss(m(_feats(b)), b, cfg)
    opt.zero_grad()
    before.backward()
    opt.step()
    with torch.no_grad():
        after = neural_losses.regression_loss(m(_feats(b)), b, cfg)
    assert float(after.detach()) < float(before.detach())


def test_one_step_reduces_the_spectral_loss(tones) -> None:
    torch.manual_seed(0)
    cfg = neural.DecoderConfig()
    m = neural.CausalDecoder(cfg)
    starts = neural._split_starts(tones, 64, val=False)[::200][:2]
    b = neural._tensor_batch(tones, starts, 64)
    rows = starts[:, None] * 64 + np.arange(64 * 64)[None, :]
    target = torch.from_numpy(tones["audio16"][rows])
    opt = torch.optim.Adam(m.parameters(), lr=1e-3)

    def loss():
        o = m(_feats(b))
        y = neural_losses.synthesize_16k(o, b["f0_hz"], b["loudness_db"], cfg, generator=torch.Generator().manual_seed(1))
        return neural_losses.spectral_loss(y, target)

    before = loss()
    opt.zero_grad()
    before.backward()
    opt.step()
    with torch.no_grad():
        after = loss()
    assert float(after.detach()) < float(before.detach())


def test_spectral_loss_matches_a_numpy_reference() -> None:
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((2, 1, 4096))
    got = float(neural_losses.spectral_loss(torch.from_numpy(x), torch.from_numpy(y), fft_sizes=(256,)))
    win = np.hanning(257)[:256]
    def mag(a):
        a = np.pad(a[0], 128, mode="reflect")
        fr = np.stack([a[i : i + 256] * win for i in range(0, len(a) - 256 + 1, 64)])
        return np.abs(np.fft.rfft(fr, axis=1))
    sx, sy = mag(x), mag(y)
    ref = np.abs(sx - sy).mean() + np.abs(np.log(sx + 1e-7) - np.log(sy + 1e-7)).mean()
    assert got == pytest.approx(ref, rel=1e-6)


def _autocorr_pitch(x: np.ndarray, sample_rate: int) -> float:
    """Pitch by the first major autocorrelation peak (float64, independent of the decoder)."""
    x = x - x.mean()
    r = np.fft.irfft(np.abs(np.fft.rfft(x, 2 * len(x))) ** 2)[: len(x)]
    lo = int(sample_rate / 1000)
    lag = lo + int(np.argmax(r[lo : int(sample_rate / 60)]))
    a, b, c = r[lag - 1 : lag + 2]
    return sample_rate / (lag + 0.5 * (a - c) / (a - 2 * b + c))


@pytest.mark.slow
def test_tiny_model_trained_seconds_renders_right_pitch_and_colour(tones, tmp_path) -> None:
    cfg = neural.DecoderConfig(instrument="tones", channels=32, dilations=(1, 2, 4))
    # 1000 steps (about 30 s of one core): with three inputs 400 steps left harmonic 2 at -1 dB
    tc = neural.DecoderTrainConfig(minutes=2.0, max_steps=1000, batch_size=8, segment_frames=128, spectral_fraction=0.0,
                            validate_every_s=1e9, learning_rate=3e-3)  # fmt: skip
    res = neural.train(tones, config=cfg, train_config=tc, out_dir=tmp_path, progress=False)
    path = tmp_path / "tones.safetensors"
    neural.export_weights(res["model"], path, calibration=res["calibration"])
    n = 250
    c = ControlCurves(part_id="t", voice=1, start_frame=0, frame_rate=250.0, f0_hz=np.full(n, 277.0),
                      loudness_db=np.full(n, -10.0), brightness=np.full(n, 0.5), noise=np.zeros(n), seed=1)  # fmt: skip
    p = NeuralDecoder.from_file(path).decode(c, sample_rate=SR)
    audio = synthesize(p, sample_rate=SR)[0][2000:14000].astype(np.float64)
    cents = 1200 * np.log2(_autocorr_pitch(audio, SR) / 277.0)
    assert abs(cents) < 10
    # colour: the trained tones have harmonic 2 at half the fundamental (-6 dB)
    spec = np.abs(np.fft.rfft(audio * np.hanning(audio.size)))
    f = np.fft.rfftfreq(audio.size, 1 / SR)
    h1 = spec[np.abs(f - 277) < 10].max()
    h2 = spec[np.abs(f - 554) < 10].max()
    assert abs(20 * np.log10(h2 / h1) + 6.0) < 4.0


def test_loudness_calibration_recovers_a_known_relation() -> None:
    rng = np.random.default_rng(0)
    n = 2000
    f0 = 440.0 * 2 ** rng.uniform(-2, 2, n)
    loud = rng.uniform(-50, -5, n)
    p = (69.0 + 12.0 * np.log2(f0 / 440.0) - 60.0) / 24.0
    la = loud - 8.0 + 0.5 * (loud + 40.0) / 20.0 + 6.0 * p - 1.5 * p**2 + rng.normal(0, 0.1, n)
    data = {"f0_hz": f0.astype(np.float32), "loudness_db": loud.astype(np.float32), "loudness_a_db": la.astype(np.float32),
            "weight": np.ones(n, np.float32), "split": np.zeros(n, np.int8)}  # fmt: skip
    cal = neural.fit_loudness_calibration(data)
    assert np.allclose(cal["coef"], [-8.0, 0.5, 6.0, -1.5], atol=0.05)
    assert cal["rmse_db"] < 0.15 and cal["n_frames"] == n


def test_training_on_the_device_path_keeps_cpu_checkpoints(tones, tmp_path) -> None:
    # No GPU here: device="cpu" runs the same code path (model, batches and twin on `device`);
    # the checkpoint and the returned model are CPU arrays that load anywhere.
    cfg = neural.DecoderConfig(channels=16, dilations=(1, 2))
    tc = neural.DecoderTrainConfig(max_steps=4, batch_size=2, segment_frames=64, spectral_fraction=0.0, validate_every_s=0.0)
    res = neural.train(tones, config=cfg, train_config=tc, out_dir=tmp_path, progress=False, device="cpu")
    assert all(p.device.type == "cpu" for p in res["model"].parameters())
    w = load_weights(tmp_path / "checkpoint.safetensors")
    assert w.header["training"]["step"] == 4 and "loudness_a" in w.header["calibration"]


def test_cuda_without_a_gpu_is_a_clear_config_error(tmp_path) -> None:
    from partita.errors import ConfigError

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA: the refusal cannot happen")
    with pytest.raises(ConfigError, match=r"--device cuda.*no CUDA device.*--device cpu"):
        train_instrument(str(tmp_path), "x", device="cuda", out_dir=tmp_path / "o", work_dir=tmp_path / "w")
    with pytest.raises(ConfigError, match="use cpu or cuda"):
        neural.train({}, config=neural.DecoderConfig(), train_config=neural.DecoderTrainConfig(), out_dir=tmp_path, device="tpu")


def test_resume_continues_the_step_count(tones, tmp_path) -> None:
    cfg = neural.DecoderConfig(channels=16, dilations=(1, 2))
    tc = neural.DecoderTrainConfig(max_steps=3, batch_size=2, segment_frames=64, spectral_fraction=0.0, validate_every_s=0.0)
    neural.train(tones, config=cfg, train_config=tc, out_dir=tmp_path, progress=False)
    tc2 = neural.DecoderTrainConfig(max_steps=5, batch_size=2, segment_frames=64, spectral_fraction=0.0, validate_every_s=0.0)
    res = neural.train(tones, config=cfg, train_config=tc2, out_dir=tmp_path, progress=False, resume=True)
    assert res["steps"] == 5
    assert load_weights(tmp_path / "checkpoint.safetensors").header["training"]["step"] == 5


def test_the_spectral_stage_can_start_at_a_step_not_a_time(tones, tmp_path) -> None:
    # spectral_fraction=1.0 would start the spectral stage at once on the clock; spectral_from_step
    # holds it until that step (a baseline matching another run's schedule in steps).
    cfg = neural.DecoderConfig(channels=16, dilations=(1, 2))
    stage = lambda: load_weights(tmp_path / "checkpoint.safetensors").header["training"]["stage"]  # noqa: E731
    kw = dict(batch_size=2, segment_frames=64, spectral_batch=2, spectral_frames=40, spectral_fraction=1.0, validate_every_s=0.0)
    neural.train(tones, config=cfg, train_config=neural.DecoderTrainConfig(max_steps=2, spectral_from_step=3, **kw),
                 out_dir=tmp_path, progress=False)  # fmt: skip
    assert stage() == "regression"
    neural.train(tones, config=cfg, train_config=neural.DecoderTrainConfig(max_steps=4, spectral_from_step=3, **kw),
                 out_dir=tmp_path, progress=False, resume=True)  # fmt: skip
    assert stage() == "spectral"


def test_a_given_model_is_checkpointed_and_resumes(tones, tmp_path) -> None:
    cfg = neural.DecoderConfig(channels=16, dilations=(1, 2))
    tc = lambda n: neural.DecoderTrainConfig(max_steps=n, batch_size=2, segment_frames=64, spectral_fraction=0.0, validate_every_s=0.0)  # noqa: E731
    neural.train(tones, config=cfg, train_config=tc(2), out_dir=tmp_path / "gru", model=neural.BaselineGRUDecoder(cfg, units=8), progress=False)
    res = neural.train(tones, config=cfg, train_config=tc(3), out_dir=tmp_path / "gru", model=neural.BaselineGRUDecoder(cfg, units=8),
                       progress=False, resume=True)  # fmt: skip
    assert res["steps"] == 3
    # the causal decoder's checkpoint does not fit the GRU: refused by name, not half-loaded
    neural.train(tones, config=cfg, train_config=tc(1), out_dir=tmp_path / "causal", progress=False)
    with pytest.raises(neural.TrainingError, match=r"causal.checkpoint\.safetensors.*does not fit this model"):
        neural.train(tones, config=cfg, train_config=tc(2), out_dir=tmp_path / "causal", model=neural.BaselineGRUDecoder(cfg, units=8),
                     progress=False, resume=True)  # fmt: skip


def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(tones, tmp_path) -> None:
    cfg = neural.DecoderConfig(channels=16, dilations=(1, 2))
    tc = neural.DecoderTrainConfig(max_steps=2, batch_size=2, segment_frames=64, spectral_fraction=0.0, validate_every_s=0.0)
    neural.train(tones, config=cfg, train_config=tc, out_dir=tmp_path, progress=False)
    ckpt = tmp_path / "checkpoint.safetensors"
    good = ckpt.read_bytes()
    bad = dict(tones)
    bad["harm_log"] = np.full_like(tones["harm_log"], np.nan)
    tc2 = neural.DecoderTrainConfig(max_steps=10, batch_size=2, segment_frames=64, spectral_fraction=0.0, validate_every_s=0.0)
    with pytest.raises(neural.TrainingError, match=r"checkpoint\.safetensors.*nan.*last good checkpoint"):
        neural.train(bad, config=cfg, train_config=tc2, out_dir=tmp_path, progress=False, resume=True)
    assert ckpt.read_bytes() == good


@pytest.mark.slow
def test_train_instrument_command_from_a_folder_of_recordings(tmp_path, capsys) -> None:
    import json

    import soundfile

    from partita.cli import main

    rec = tmp_path / "recordings"
    rec.mkdir()
    for i, f in enumerate((220.0, 262.0, 330.0, 392.0, 494.0)):
        x = _tone(f, sample_rate=44100, seconds=1.0)
        soundfile.write(rec / f"take{i}.flac", np.stack([x, x], axis=1), 44100)  # stereo, 44.1 kHz
    out = tmp_path / "out"
    rc = main(["train-instrument", str(rec), "--name", "mine", "--minutes", "0.05", "--out", str(out),
               "--work", str(tmp_path / "work"), "--quiet"])  # fmt: skip
    assert rc == 0
    manifest = json.loads((out / "manifest.json").read_text())
    card = (out / "mine.md").read_text()
    assert manifest["mine"]["sha256"] in card and "user's" in card and "train-instrument" in card
    dec = NeuralDecoder.from_file(out / "mine.safetensors", sha256=manifest["mine"]["sha256"])
    assert dec.instrument == "mine"
    # resume continues from the checkpoint
    assert main(["train-instrument", str(rec), "--name", "mine", "--minutes", "0.1", "--out", str(out),
                 "--work", str(tmp_path / "work"), "--quiet", "--resume"]) == 0  # fmt: skip


def _upper_batch(t: int = 20, seed: int = 0):
    """A batch of a 1 kHz note: its harmonics 8 and up lie at or above 8 kHz."""
    cfg = neural.DecoderConfig(channels=16, dilations=(1,))
    g = torch.Generator().manual_seed(seed)
    b = {"f0_hz": torch.full((1, t), 1000.0), "loudness_db": torch.full((1, t), -20.0), "weight": torch.ones(1, t),
         "harm_log": -3.0 - 3.0 * torch.rand(1, t, cfg.n_harmonics, generator=g),
         "noise_log": -6.0 - torch.rand(1, t, cfg.n_bands, generator=g)}  # fmt: skip
    out = torch.randn(1, t, 1 + cfg.n_harmonics + cfg.n_bands, generator=g)
    return cfg, b, out


def test_the_upper_band_loss_sees_only_what_lies_above_8_khz() -> None:
    cfg, b, out = _upper_batch()
    loss = lambda o: float(neural_losses.regression_loss(o, b, cfg, above_hz=8000.0))  # noqa: E731
    whole = lambda o: float(neural_losses.regression_loss(o, b, cfg))  # noqa: E731
    band_hz = np.linspace(0.0, 24000.0, cfg.n_bands)
    low_band = 1 + cfg.n_harmonics + int(np.nonzero(band_hz < 8000.0)[0][-1])
    high_band = 1 + cfg.n_harmonics + int(np.nonzero(band_hz >= 8000.0)[0][0])
    for col, seen in ((0, False), (low_band, False), (high_band, True), (1 + 9, True)):  # amplitude, bands, harmonic 10
        o = out.clone()
        o[..., col] += 2.0
        assert (loss(o) != loss(out)) == seen, col
        assert whole(o) != whole(out)  # the whole loss sees every column
    # the upper harmonics' error is their share of the whole: lifting every harmonic alike changes nothing
    o = out.clone()
    o[..., 1 : 1 + cfg.n_harmonics] += 1.0
    assert loss(o) == pytest.approx(loss(out), abs=1e-5)


def test_the_spectral_stage_with_an_upper_weight_selects_by_both_measures(tones, tmp_path) -> None:
    from partita.render.neural_eval import evaluate_regression, evaluate_spectral

    cfg = neural.DecoderConfig(channels=16, dilations=(1, 2))
    tc = neural.DecoderTrainConfig(max_steps=5, spectral_from_step=2, batch_size=2, segment_frames=64, spectral_batch=2,
                                   spectral_frames=40, validate_every_s=0.0, patience=50, upper_weight=2.0)  # fmt: skip
    res = neural.train(tones, config=cfg, train_config=tc, out_dir=tmp_path, progress=False)
    step, held = res["best"]["spectral"]
    model = res["model"]
    expected = evaluate_spectral(model, tones, cfg, t=40) + 2.0 * evaluate_regression(model, tones, cfg, above_hz=8000.0)
    assert held == pytest.approx(expected, rel=1e-5)
    assert evaluate_regression(model, tones, cfg, above_hz=8000.0) > 0.0  # the term is there to weigh


def test_upper_weight_is_refused_for_a_string_model_and_when_negative(tmp_path) -> None:
    from partita.errors import ConfigError

    with pytest.raises(ConfigError, match="upper-weight"):
        train_instrument("/usr/share/sounds/sf2/FluidR3_GM.sf2", "harp", upper_weight=1.0, out_dir=tmp_path)
    with pytest.raises(ConfigError, match="upper-weight"):
        train_instrument("/usr/share/sounds/sf2/FluidR3_GM.sf2", "violin", upper_weight=-1.0, out_dir=tmp_path)
