"""Neural decoder export and numpy inference: equal to torch, refusing bad files."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest
import torch

from partita.render import neural, neural_infer, neural_losses, synth, twin
from partita.render.controls import ControlCurves
from partita.errors import CheckpointError
from partita.render.neural_infer import NeuralDecoder, load_weights

torch.set_num_threads(1)


def _model(seed: int = 0) -> neural.CausalDecoder:
    torch.manual_seed(seed)
    m = neural.CausalDecoder(neural.DecoderConfig(instrument="flute"))
    with torch.no_grad():  # make the head matter: random, not near zero
        m.head.weight.normal_(0, 0.3)
        m.head.bias.normal_(0, 0.3)
    return m


#: A calibration far from identity, so a decoder that skipped it would fail the equality tests.
CAL = {"loudness_a": {"coef": [-6.5, 1.25, 3.0, -2.0], "rmse_db": 0.0, "n_frames": 0, "terms": "test"}}


def _curves(n: int = 400) -> ControlCurves:
    t = np.arange(n)
    f0 = 440.0 * 2 ** (0.02 * np.sin(2 * np.pi * 5.5 * t / 250.0))
    f0[n // 2 :] *= 2 ** (2 / 12)  # a slurred whole step: a second onset mid-phrase
    loud = np.concatenate([np.full(5, -120.0), np.linspace(-60, -12, n // 4 - 5), np.full(n - n // 4 - 10, -15.0), np.full(10, -120.0)])
    return ControlCurves(part_id="fl", voice=1, start_frame=3, frame_rate=250.0, f0_hz=f0, loudness_db=loud,
                         brightness=np.full(n, 0.5), noise=np.zeros(n), seed=42)  # fmt: skip


def _torch_features(c: ControlCurves) -> torch.Tensor:
    """Torch features of the curves, built independently of NeuralDecoder.inputs: the
    calibration written out as its formula in float64, onsets from the numpy detector."""
    midi = 69.0 + 12.0 * np.log2(c.f0_hz.astype(np.float64) / 440.0)
    p = (midi - 60.0) / 24.0
    L = np.maximum(c.loudness_db.astype(np.float64), -120.0)
    c0, c1, c2, c3 = CAL["loudness_a"]["coef"]
    la = L + c0 + c1 * (L + 40.0) / 20.0 + c2 * p + c3 * p**2
    onset = neural_infer.onset_feature(c.f0_hz, c.loudness_db, frame_rate=c.frame_rate)
    return neural.torch_features(torch.from_numpy(c.f0_hz.astype(np.float64)), torch.from_numpy(la), torch.from_numpy(onset))


def test_onsets_of_the_test_curves_are_the_attack_and_the_slur() -> None:
    c = _curves()
    on = np.nonzero(neural_infer.note_onsets(c.f0_hz, c.loudness_db))[0]
    assert len(on) == 2
    assert 5 <= on[0] < 10  # the level crosses -60 dB at the start of the ramp
    assert 200 <= on[1] <= 205  # the whole step at frame 200 (vibrato of +-24 cents is not an onset)
    f = neural_infer.onset_feature(c.f0_hz, c.loudness_db)
    assert f[on[1]] == 0.0 and abs(f[on[1] + 50] - (1 - np.exp(-50 / 250 / 0.2))) < 1e-6


def test_config_round_trip_and_size() -> None:
    cfg = neural.DecoderConfig(instrument="oboe", channels=48, dilations=(1, 2, 4))
    assert neural.DecoderConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg
    assert neural.CausalDecoder(neural.DecoderConfig()).n_params() <= 300_000
    with pytest.raises(Exception, match="schema_version"):
        neural.DecoderConfig(schema_version=99)


def test_export_round_trip(tmp_path) -> None:
    m = _model()
    path = tmp_path / "flute.safetensors"
    sha = neural.export_weights(m, path, calibration=CAL)
    back = neural.load_decoder(path, sha256=sha)
    assert load_weights(path).loudness_a_coef == tuple(CAL["loudness_a"]["coef"])
    assert back.config == m.config
    for (k, a), (k2, b) in zip(m.state_dict().items(), back.state_dict().items()):
        assert k == k2 and torch.equal(a, b)


def test_numpy_controls_equal_torch_within_1e_4(tmp_path) -> None:
    m = _model(1)
    path = tmp_path / "w.safetensors"
    neural.export_weights(m, path, calibration=CAL)
    dec = NeuralDecoder.from_file(path)
    c = _curves()
    p = dec.decode(c, sample_rate=48000)
    with torch.no_grad():
        f0 = torch.from_numpy(c.f0_hz.astype(np.float64))
        ld = torch.from_numpy(c.loudness_db.astype(np.float64))
        out = m(_torch_features(c)[None])[0].double()
        log_h, log_n, _ = neural_losses._log_outputs(out, f0, ld, m.config)
    silent = c.loudness_db <= -120
    amps_t = np.exp(log_h.numpy())
    amps_t[silent] = 0
    amps_n = p.amplitude[:, None].astype(np.float64) * p.harmonic_distribution
    loud = ~silent
    rel = np.abs(amps_n[loud] - amps_t[loud]) / np.maximum(np.abs(amps_t[loud]), 1e-30)
    big = amps_t[loud] > 1e-6 * amps_t[loud].max()  # relative error of partials that can be heard
    assert rel[big].max() < 1e-4
    noise_t = np.exp(log_n.numpy())[loud]
    rel_n = np.abs(p.noise_magnitudes[loud] - noise_t) / noise_t
    assert rel_n.max() < 1e-4
    assert np.all(p.amplitude[silent] == 0) and np.all(p.noise_magnitudes[silent] == 0)


def test_numba_render_equals_torch_twin_render(tmp_path) -> None:
    # audio tolerance: 1e-4 of the peak (float32 decode + float32 kernels vs float64 twin)
    m = _model(2)
    path = tmp_path / "w.safetensors"
    neural.export_weights(m, path, calibration=CAL)
    c = _curves(200)
    p = NeuralDecoder.from_file(path).decode(c, sample_rate=48000)
    ref = synth.synthesize(p, sample_rate=48000)[0]
    with torch.no_grad():
        f0 = torch.from_numpy(c.f0_hz.astype(np.float64))
        ld = torch.from_numpy(c.loudness_db.astype(np.float64))
        out = m(_torch_features(c)[None])[0].double()
        log_h, log_n, _ = neural_losses._log_outputs(out, f0, ld, m.config)
        silent = (ld <= -120)[:, None]
        amps = torch.exp(log_h).masked_fill(silent, 0.0)
        h = twin.harmonic_bank(f0_hz=f0, harmonic_amplitudes=amps, frame_rate=250.0, sample_rate=48000)
        z = twin.filtered_noise(noise_magnitudes=torch.exp(log_n).masked_fill(silent, 0.0), frame_rate=250.0,
                                sample_rate=48000, seed=c.seed)  # fmt: skip
    got = z.numpy().copy()
    got[: h.shape[0]] += h.numpy()
    assert np.abs(got - ref).max() <= 1e-4 * np.abs(ref).max()


def test_loading_refuses_bad_sha256_naming_the_file(tmp_path) -> None:
    path = tmp_path / "violin.safetensors"
    neural.export_weights(_model(), path, calibration=CAL)
    with pytest.raises(CheckpointError, match=r"violin\.safetensors.*sha256"):
        load_weights(path, sha256="0" * 64)


def _rewrite_header(path, fn) -> None:
    blob = path.read_bytes()
    (n,) = struct.unpack("<Q", blob[:8])
    head = json.loads(blob[8 : 8 + n])
    meta = json.loads(head["__metadata__"]["partita"])
    fn(meta)
    head["__metadata__"]["partita"] = json.dumps(meta)
    new = json.dumps(head).encode()
    new += b" " * (-len(new) % 8)
    path.write_bytes(struct.pack("<Q", len(new)) + new + blob[8 + n :])


def test_loading_refuses_another_format_version_naming_the_file(tmp_path) -> None:
    path = tmp_path / "cello.safetensors"
    neural.export_weights(_model(), path, calibration=CAL)
    _rewrite_header(path, lambda m: m.update(format_version=2))
    with pytest.raises(CheckpointError, match=r"cello\.safetensors.*format version 2"):
        load_weights(path)


def test_loading_refuses_a_header_without_calibration_naming_the_file(tmp_path) -> None:
    path = tmp_path / "horn.safetensors"
    neural.export_weights(_model(), path, calibration=CAL)
    _rewrite_header(path, lambda m: m.pop("calibration"))
    with pytest.raises(CheckpointError, match=r"horn\.safetensors.*calibration"):
        load_weights(path)


def test_loading_refuses_corrupt_tensors_and_garbage(tmp_path) -> None:
    path = tmp_path / "tuba.safetensors"
    neural.export_weights(_model(), path, calibration=CAL)
    blob = bytearray(path.read_bytes())
    blob[-3] ^= 0xFF  # flip bits in the last tensor
    path.write_bytes(bytes(blob))
    with pytest.raises(CheckpointError, match=r"tuba\.safetensors.*corrupt"):
        load_weights(path)
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"\x05\x00\x00\x00\x00\x00\x00\x00{nope")
    with pytest.raises(CheckpointError, match="junk.safetensors"):
        load_weights(junk)
    with pytest.raises(CheckpointError, match="missing.safetensors"):
        load_weights(tmp_path / "missing.safetensors")


@pytest.mark.slow
def test_cli_render_refuses_corrupt_weights_in_one_line(tmp_path) -> None:
    import subprocess
    import sys

    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not weights")
    from partita.examples import __path__ as ex  # the bundled example score

    scores = [p for p in __import__("pathlib").Path(ex[0]).iterdir() if p.suffix in (".musicxml", ".mxl", ".xml")]
    r = subprocess.run([sys.executable, "-m", "partita", "render", str(scores[0]), "-o", str(tmp_path / "o"), "--quiet",
                        "--instrument-weights", str(bad)], capture_output=True, text=True)  # fmt: skip
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "bad.safetensors" in r.stderr
