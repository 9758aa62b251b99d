"""Mix and master: the meters against independent references, the master's targets, the
settings file, the RIFF metadata chunk, and re-mixing a render folder without touching stems."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from fractions import Fraction

import numpy as np
import pytest
import soundfile as sf

from partita.errors import ConfigError, FormatError
from partita.mixing import (
    FamilyEQ,
    MixSettings,
    integrated_lufs,
    load_mix_settings,
    master_bus,
    mix_folder,
    pan_gains,
    save_mix_settings,
    true_peak_dbtp,
)
from partita.mixing.master import _brickwall
from partita.mixing.meters import _true_peak_envelope
from partita.render.wavfile import add_info_chunk, read_info_chunk, riff_chunks, wav_bytes

SR = 48000


def _faded(x: np.ndarray, n_fade: int = 2000) -> np.ndarray:
    n = np.arange(x.shape[-1])
    return x * np.minimum(1.0, np.minimum(n, n[::-1]) / n_fade)


# ---------------------------------------------------------------------------------------------
# meters


@pytest.mark.parametrize("phase_deg", [0.0, 22.5, 45.0])
def test_true_peak_of_a_quarter_rate_sine_is_its_amplitude(phase_deg):
    """x[n] = A sin(pi n / 2 + phi): the samples reach A max(|sin phi|, |cos phi|), the waveform A."""
    amp = 0.5
    phi = math.radians(phase_deg)
    n = np.arange(SR)
    x = _faded(amp * np.sin(np.pi / 2 * n + phi))[None, :]
    sample_peak = amp * max(abs(math.sin(phi)), abs(math.cos(phi)))
    assert 20 * math.log10(np.abs(x).max()) == pytest.approx(20 * math.log10(sample_peak), abs=0.01)
    assert true_peak_dbtp(x) == pytest.approx(20 * math.log10(amp), abs=0.05)
    assert true_peak_dbtp(x, oversample=1) == pytest.approx(20 * math.log10(sample_peak), abs=0.01)


@pytest.mark.parametrize("freq_hz", [997.0, 6000.0, 15000.0])
def test_true_peak_matches_a_dense_float64_reconstruction(freq_hz):
    """Against an independent reference: the analytic sine evaluated on a 64x grid."""
    amp, phi = 0.8, 0.37
    n = np.arange(SR // 2)
    fade = lambda t: np.minimum(1.0, np.minimum(t, t[-1] - t) / 2000)  # noqa: E731
    x = (amp * np.sin(2 * np.pi * freq_hz / SR * n + phi) * fade(n.astype(float)))[None, :]
    t = np.arange(0, n[-1], 1 / 64)
    ref = np.abs(amp * np.sin(2 * np.pi * freq_hz / SR * t + phi) * fade(t)).max()
    assert true_peak_dbtp(x) == pytest.approx(20 * math.log10(ref), abs=0.05)


def test_true_peak_is_blockwise_exact_and_silence_is_minus_inf():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 200_003)) * 0.1
    x[1, 150_000] = 0.9  # a peak right where blocks meet is still found
    assert true_peak_dbtp(x) >= 20 * math.log10(0.9)
    assert true_peak_dbtp(np.zeros((2, 1000))) == -math.inf
    with pytest.raises(ConfigError):
        true_peak_dbtp(np.zeros(10))


def test_integrated_loudness_of_the_bs1770_reference_tone():
    """BS.1770-4: a 0 dBFS 997 Hz sine in one channel of two reads -3.01 LKFS."""
    t = np.arange(SR * 3) / SR
    tone = np.sin(2 * np.pi * 997 * t)
    assert integrated_lufs(np.stack([tone, 0 * tone]), sample_rate=SR) == pytest.approx(-3.01, abs=0.05)
    assert integrated_lufs(np.stack([tone, tone]) * 0.1, sample_rate=SR) == pytest.approx(-20.0, abs=0.05)
    assert integrated_lufs(np.zeros((2, SR)), sample_rate=SR) == -math.inf


def test_pan_law_keeps_power():
    for pan in np.linspace(-1, 1, 9):
        left, right = pan_gains(pan)
        assert left**2 + right**2 == pytest.approx(1.0)
    assert pan_gains(-1.0)[0] == pytest.approx(1.0) and pan_gains(1.0)[1] == pytest.approx(1.0)


# ---------------------------------------------------------------------------------------------
# master


def _peaky_bus(seed: int, seconds: float = 4.0) -> np.ndarray:
    """Quiet noise with loud, sharp bursts: a high crest factor the limiter has to work on."""
    rng = np.random.default_rng(seed)
    n = int(SR * seconds)
    x = 0.02 * rng.standard_normal((2, n))
    for start in rng.integers(0, n - 2000, size=12):
        x[:, start : start + 2000] += rng.uniform(0.3, 0.9) * np.sin(np.linspace(0, 200 * np.pi, 2000))
    return x.astype(np.float32)


@pytest.mark.parametrize("target, ceiling", [(-14.0, -1.0), (-18.0, -2.0), (-10.0, -1.0)])
def test_master_meets_loudness_and_true_peak(target, ceiling):
    settings = MixSettings(target_lufs=target, true_peak_ceiling_dbtp=ceiling)
    out, rep = master_bus(_peaky_bus(1), sample_rate=SR, settings=settings)
    # measured again here, independently of the report
    assert integrated_lufs(out, sample_rate=SR) == pytest.approx(target, abs=0.5)
    assert true_peak_dbtp(out) <= ceiling + 1e-9
    assert rep.meets_target and out.dtype == np.float32 and out.shape == (2, SR * 4)


def test_master_of_silence_reports_not_met():
    out, rep = master_bus(np.zeros((2, SR), np.float32), sample_rate=SR, settings=MixSettings())
    assert not rep.meets_target and not out.any()


def test_brickwall_never_lets_the_true_peak_envelope_over_the_ceiling():
    rng = np.random.default_rng(7)
    x = (rng.standard_normal((2, SR)) * 0.3).astype(np.float32)
    y = _brickwall(x, sample_rate=SR, ceiling_db=-3.0)
    assert _true_peak_envelope(y).max() <= 10 ** (-3.0 / 20) * 1.01  # gain ramps are smooth, not exact
    quiet = (x * 0.01).astype(np.float32)
    assert _brickwall(quiet, sample_rate=SR, ceiling_db=-3.0) is quiet  # nothing to do: untouched


# ---------------------------------------------------------------------------------------------
# settings


def test_settings_round_trip_json_and_file(tmp_path):
    s = MixSettings(target_lufs=-16.0, part_gain_db={"vn1": 2.0}, part_pan={"vc": 0.5},
                    eq={"strings": FamilyEQ(presence_db=3.0)})  # fmt: skip
    assert MixSettings.from_dict(json.loads(json.dumps(s.to_dict()))) == s
    save_mix_settings(s, tmp_path / "mix.json")
    assert load_mix_settings(tmp_path / "mix.json") == s
    assert MixSettings().eq_for("no-such-family") == MixSettings().eq["default"]


@pytest.mark.parametrize(
    "data, words",
    [({"target_lufs": 0.0}, "target_lufs"), ({"loudness": -14}, "unknown mix setting"),
     ({"schema_version": 9}, "schema"), ({"eq": {"strings": {"presence_db": 40}}}, "presence_db"),
     ({"part_pan": {"vn1": 3}}, "part_pan"), ({"max_iterations": 0}, "max_iterations")],
)  # fmt: skip
def test_bad_settings_are_named(data, words):
    with pytest.raises(ConfigError, match=words):
        MixSettings.from_dict(data)


def test_bad_settings_file_names_the_file(tmp_path):
    (tmp_path / "mix.json").write_text('{"target_lufs": "loud"}')
    with pytest.raises(ConfigError, match="mix.json"):
        load_mix_settings(tmp_path / "mix.json")


# ---------------------------------------------------------------------------------------------
# the RIFF LIST/INFO chunk


def test_info_chunk_keeps_the_audio_and_is_readable_by_libsndfile(tmp_path):
    audio = np.random.default_rng(0).uniform(-0.5, 0.5, (2, 1001)).astype(np.float32)
    plain = wav_bytes(audio, sample_rate=SR)
    tagged = add_info_chunk(plain, {"ISFT": "partita 0.1.0", "ICMT": "score sha256 abc; seed 3 (é)"})
    assert [c[0] for c in riff_chunks(tagged)] == [b"fmt ", b"fact", b"data", b"LIST"]
    assert tagged[: len(plain)][8:] == plain[8:]  # every byte of the audio file before the chunk
    assert read_info_chunk(tagged)["ICMT"] == "score sha256 abc; seed 3 (é)"
    (tmp_path / "t.wav").write_bytes(tagged)
    back, sr = sf.read(tmp_path / "t.wav", dtype="float32", always_2d=True)
    assert sr == SR and np.array_equal(back.T, audio)
    # replacing, not stacking; and a foreign LIST chunk is kept
    again = add_info_chunk(tagged, {"ISFT": "partita 0.1.0", "ICMT": "other"})
    assert [c[0] for c in riff_chunks(again)].count(b"LIST") == 1 and read_info_chunk(again)["ICMT"] == "other"
    with pytest.raises(FormatError):
        riff_chunks(b"not a wav file")


# ---------------------------------------------------------------------------------------------
# a render folder


def _tiny_score():
    from partita.symbolic.dynamics import Dynamic
    from partita.symbolic.score import Note, Part, Score
    from partita.symbolic.timeline import TempoMap, TempoMark

    vn = Part("vn1", "Violin I", "violin", notes=tuple(Note(Fraction(i), Fraction(1), 72 + (i % 5)) for i in range(8)),
              dynamics=(Dynamic(Fraction(0), "f"),))  # fmt: skip
    vc = Part("vc", "Violoncello", "cello", notes=tuple(Note(Fraction(2 * i), Fraction(2), 48 + (i % 3)) for i in range(4)),
              dynamics=(Dynamic(Fraction(0), "p"),))  # fmt: skip
    return Score(title="tiny", parts=(vn, vc), tempo_map=TempoMap((TempoMark(Fraction(0), 120.0),)))


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    from partita.render.settings import RenderSettings
    from partita.render.stems import render

    out = tmp_path_factory.mktemp("render")
    score = _tiny_score()
    render(score, out, settings=RenderSettings(sample_rate=16000, tail_s=1.0), progress=False)
    return out, score


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_mix_folder_meets_target_and_never_writes_stems(rendered, tmp_path):
    out, score = rendered
    stems = sorted((out / "stems").glob("*.wav"))
    before = {p.name: (_sha(p), p.stat().st_mtime_ns) for p in stems}
    res = mix_folder(out, settings=MixSettings(target_lufs=-16.0), score=score)
    audio, sr = sf.read(out / "mix.wav", dtype="float32", always_2d=True)
    assert sr == 16000 and audio.shape[1] == 2
    assert integrated_lufs(audio.T, sample_rate=sr) == pytest.approx(-16.0, abs=0.5)
    assert true_peak_dbtp(audio.T) <= -1.0
    assert res.sha256 == _sha(out / "mix.wav")
    assert load_mix_settings(out / "mix.json").target_lufs == -16.0
    assert {p.name: (_sha(p), p.stat().st_mtime_ns) for p in stems} == before
    # staged loudness: every stem at the reference, then the score's dynamics (f = velocity 96,
    # p = 49) at half depth: the violin ends 0.5 * 40 log10(96/49) dB above the cello
    staged = {k: res.stem_lufs[k] + res.stem_gain_db[k] for k in ("vn1", "vc")}
    assert staged["vn1"] - staged["vc"] == pytest.approx(0.5 * 40 * math.log10(96 / 49), abs=1e-6)
    assert res.stem_pan["vn1"] < 0 < res.stem_pan["vc"]


def test_remix_reads_the_edited_mix_json(rendered):
    out, score = rendered
    mix_folder(out, settings=MixSettings(), score=score)
    data = json.loads((out / "mix.json").read_text())
    data["target_lufs"] = -20.0
    (out / "mix.json").write_text(json.dumps(data))
    res = mix_folder(out, score=score)
    assert res.report.target_lufs == -20.0 and res.report.meets_target


def test_mix_is_deterministic(rendered):
    out, score = rendered
    a = mix_folder(out, settings=MixSettings(), score=score).sha256
    b = mix_folder(out, settings=MixSettings(), score=score).sha256
    assert a == b


def test_a_failed_mix_leaves_the_old_mix_in_place(rendered):
    out, score = rendered
    mix_folder(out, settings=MixSettings(), score=score)
    good = _sha(out / "mix.wav")
    with pytest.raises(ConfigError):  # fails after mastering, while building the file
        mix_folder(out, settings=MixSettings(target_lufs=-20.0), score=score, info={"TOOLONG": "x"})
    assert _sha(out / "mix.wav") == good
    assert not [p for p in out.iterdir() if p.name.startswith(".mix")]


def test_not_a_render_folder(tmp_path):
    with pytest.raises(FormatError, match="not a partita render"):
        mix_folder(tmp_path)
    (tmp_path / "render.json").write_text("{}")
    with pytest.raises(FormatError, match="not a partita render manifest"):
        mix_folder(tmp_path)


def test_mix_settings_replace_validates():
    with pytest.raises(ConfigError):
        dataclasses.replace(MixSettings(), true_peak_ceiling_dbtp=3.0)


@pytest.mark.parametrize("kind", ["noise", "bursts", "mono", "five"])
def test_fast_loudness_equals_pyloudnorm(kind):
    """The vectorised gating gives pyloudnorm's own integrated loudness."""
    rng = np.random.default_rng(11)
    if kind == "noise":
        x = 0.1 * rng.standard_normal((2, SR * 5))
    elif kind == "bursts":
        x = _peaky_bus(2, seconds=6.3).astype(np.float64)
    elif kind == "mono":
        x = 0.3 * np.sin(np.linspace(0, 3000, SR * 3))[None, :] * (np.arange(SR * 3) > SR)
    else:
        x = 0.05 * rng.standard_normal((5, SR * 2))
    fast = integrated_lufs(x, sample_rate=SR)
    ref = integrated_lufs(x, sample_rate=SR, reference=True)
    assert fast == pytest.approx(ref, abs=1e-6)


def test_envelope_maximum_is_the_true_peak_and_partial_updates_are_exact():
    from partita.mixing.meters import _BLOCK, _blocks_touched

    rng = np.random.default_rng(5)
    x = (0.2 * rng.standard_normal((2, 300_000))).astype(np.float32)
    env = _true_peak_envelope(x)
    assert 20 * math.log10(env.max()) == pytest.approx(true_peak_dbtp(x), abs=1e-12)
    y = x.copy()
    y[:, 140_000:140_100] *= 0.5  # a local change
    touched = _blocks_touched(np.any(y != x, axis=0))
    assert touched == [140_000 // _BLOCK]  # a change well inside one block touches that block only
    assert np.array_equal(_true_peak_envelope(y, blocks=touched, env=env.copy()), _true_peak_envelope(y))
