"""Training data: controls measured from audio against float64 references; bad input named."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile

from partita.render import dataset
from partita.render.dataset import DataError


def _tone(f0_hz, sr, seconds=1.0, amps=(0.4, 0.2, 0.1)):
    t = np.arange(int(seconds * sr)) / sr
    return sum(a * np.sin(2 * np.pi * (k + 1) * f0_hz * t) for k, a in enumerate(amps)).astype(np.float32)


@pytest.mark.parametrize(("f0_hz", "sr"), [(55.0, 48000), (196.0, 44100), (880.0, 22050)])
def test_f0_loudness_and_harmonics_from_audio(f0_hz, sr) -> None:
    x = _tone(f0_hz, sr)
    a = dataset.analyze(x, sample_rate=sr)
    mid = slice(40, 200)
    cents = 1200 * np.log2(a["f0_hz"][mid] / f0_hz)
    assert np.abs(cents).max() < 5
    # loudness: RMS of the tone in dB re a full-scale sine (float64 formula)
    ref = 20 * np.log10(np.sqrt(0.5 * (0.4**2 + 0.2**2 + 0.1**2)) * np.sqrt(2))
    assert np.abs(a["loudness_db"][mid] - ref).max() < 0.2
    # harmonic amplitudes read back within 0.5 dB
    got = np.exp(a["harm_log"][mid, :3]).mean(axis=0)
    assert np.all(np.abs(20 * np.log10(got / np.array([0.4, 0.2, 0.1]))) < 0.5)
    assert a["weight"][mid].all()


@pytest.mark.parametrize("f0_hz", [110.0, 220.0, 440.0, 880.0])
def test_crepe_f0_of_a_sine_and_a_harmonic_tone(f0_hz) -> None:
    sr = 16000
    n = 200
    for amps in ((0.5,), (0.4, 0.3, 0.2, 0.1)):
        x = _tone(f0_hz, sr, seconds=n / 250, amps=amps).astype(np.float64)
        f0, per = dataset.crepe_f0(x, n_frames=n)
        cents = 1200 * np.log2(f0[25:175] / f0_hz)
        # CREPE tiny alone: 20-cent bins, a local average within ~10 cents
        assert np.abs(np.median(cents)) < 10 and np.abs(cents).max() < 20, (amps, np.median(cents))
        assert per[25:175].min() >= dataset.CREPE_VOICED
        # the analysis (CREPE, refined by YIN's period where they agree): within 5 cents
        a = dataset.analyze(x.astype(np.float32), sample_rate=sr)
        assert np.abs(1200 * np.log2(a["f0_hz"][25:175] / f0_hz)).max() < 5
        assert a["weight"][25:175].all()


def test_crepe_is_deterministic() -> None:
    x = _tone(330.0, 16000, seconds=0.5).astype(np.float64)
    a, pa = dataset.crepe_f0(x, n_frames=125)
    b, pb = dataset.crepe_f0(x, n_frames=125)
    assert np.array_equal(a, b) and np.array_equal(pa, pb)


def test_crepe_imports_where_torchaudio_does_not(tmp_path) -> None:
    # A fresh interpreter where `import torchaudio` raises (as a CUDA-only wheel does next to CPU
    # torch): the guard puts a stand-in in its place and CREPE measures a 440 Hz sine.
    import subprocess
    import sys

    code = (
        "import sys, numpy as np\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'torchaudio' or name.startswith('torchaudio.'):\n"
        "            raise OSError('Could not load this library: _torchaudio.abi3.so')\n"
        "sys.meta_path.insert(0, Block())\n"
        "from partita.render import dataset\n"
        "t = np.arange(16000) / 16000\n"
        "f0, per = dataset.crepe_f0(0.5 * np.sin(2 * np.pi * 440 * t), n_frames=250)\n"
        "print(round(float(np.median(f0[50:200])), 1), 'stand-in' in (sys.modules['torchaudio'].__doc__ or '').lower())\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={"OMP_NUM_THREADS": "1", **__import__("os").environ})
    assert r.returncode == 0, r.stderr[-2000:]
    hz, stand_in = r.stdout.split()
    assert abs(1200 * np.log2(float(hz) / 440.0)) < 5 and stand_in == "True"


def test_unknown_f0_method_is_refused() -> None:
    from partita.errors import ConfigError

    with pytest.raises(ConfigError, match="f0 method 'pyin'"):
        dataset.analyze(_tone(220.0, 16000), sample_rate=16000, f0_method="pyin")


def test_noise_magnitude_reads_back_the_synth_noise_level() -> None:
    from partita.render.synth import filtered_noise

    y = filtered_noise(noise_magnitudes=np.full((500, 17), 0.05, np.float32), frame_rate=250.0, sample_rate=48000, seed=1)[0]
    tone = _tone(300.0, 48000, seconds=y.size / 48000)
    a = dataset.analyze(tone + y, sample_rate=48000)
    got = np.exp(np.median(a["noise_log"][60:400, 1:15], axis=0))  # inner bands (the edges are half bands)
    assert np.all(np.abs(20 * np.log10(got / 0.05)) < 2.0)


def test_a_weighted_loudness_of_a_1khz_sine_is_its_level() -> None:
    x = _tone(1000.0, 48000, amps=(0.5,))
    la = dataset.a_weighted_loudness(x.astype(np.float64), n_frames=200)
    assert abs(np.median(la[20:180]) - 20 * np.log10(0.5)) < 0.5


@pytest.mark.parametrize(("program", "pitch"), [(73, 72), (42, 36), (56, 67), (58, 40)])  # flute C5, cello C2, trumpet G4, tuba E2
def test_soundfont_notes_measure_their_midi_pitch(program, pitch) -> None:
    items = dataset.render_soundfont(program=program, midi_range=(pitch, pitch), minutes=0.01)
    a = dataset.analyze(items[3].audio, sample_rate=items[3].sample_rate)  # velocity 80, 1.2 s
    w = a["weight"] > 0
    assert w.sum() > 200  # most of the 1.2 s note is voiced
    cents = 1200 * np.log2(np.median(a["f0_hz"][w]) / (440.0 * 2 ** ((pitch - 69) / 12)))
    assert abs(cents) < 20


def test_folder_with_no_audio_lists_what_it_found(tmp_path) -> None:
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "take1.mp4").write_bytes(b"\0")
    with pytest.raises(DataError, match=r"no audio files.*notes\.txt.*take1\.mp4|no audio files.*take1\.mp4"):
        dataset.read_recordings(tmp_path)


def test_too_short_and_clipped_recordings_are_named(tmp_path) -> None:
    soundfile.write(tmp_path / "short.wav", _tone(220, 16000, seconds=0.2), 16000)
    with pytest.raises(DataError, match=r"short\.wav.*too short"):
        dataset.read_recordings(tmp_path)
    (tmp_path / "short.wav").unlink()
    loud = np.clip(_tone(220, 16000) * 4, -1, 1)
    soundfile.write(tmp_path / "hot.flac", np.stack([loud, loud], axis=1), 16000)
    with pytest.raises(DataError, match=r"hot\.flac.*clipped"):
        dataset.read_recordings(tmp_path)


def test_recording_with_no_pitched_content_is_named(tmp_path) -> None:
    rng = np.random.default_rng(0)
    soundfile.write(tmp_path / "hiss.wav", (0.1 * rng.standard_normal(22050)).astype(np.float32), 22050)
    items = dataset.read_recordings(tmp_path)
    with pytest.raises(DataError, match=r"hiss\.wav.*no pitched content"):
        dataset.build_dataset(items)


def test_stereo_recordings_at_any_rate_are_read(tmp_path) -> None:
    x = _tone(330, 22050)
    soundfile.write(tmp_path / "a.wav", np.stack([x, x], axis=1), 22050)
    items = dataset.read_recordings(tmp_path)
    assert items[0].sample_rate == 22050 and items[0].audio.ndim == 1
    data = dataset.build_dataset(items)
    assert (data["split"] == 1).any() and (data["split"] == 0).any()


def test_cli_train_instrument_on_a_folder_without_audio_fails_in_one_line(tmp_path, capsys) -> None:
    from partita.cli import main

    (tmp_path / "readme.md").write_text("x")
    rc = main(["train-instrument", str(tmp_path), "--name", "mine", "--minutes", "0.01", "--work", str(tmp_path / "w"),
               "--out", str(tmp_path / "o"), "--quiet"])  # fmt: skip
    err = capsys.readouterr().err
    assert rc == 2
    assert err.count("\n") == 1 and "no audio files" in err and "readme.md" in err and str(tmp_path) in err


def test_tremolo_events_are_re_struck_thirty_seconds_in_range() -> None:
    for seed in range(20):
        ev, t = dataset.tremolo_events(np.random.default_rng(seed), 55, 88)
        ons = [(tm, args[1], args[2]) for tm, kind, args in ev if kind == "noteon"]
        offs = [tm for tm, kind, _ in ev if kind == "noteoff"]
        assert len(ons) % 8 == 0 and len(ons) == len(offs)  # whole beats of thirty-seconds
        rate = len(ons) / t
        assert 80 / 60 * 8 - 0.01 <= rate <= 132 / 60 * 8 + 0.01  # 10.7-17.6 strokes a second
        assert all(55 <= p <= 88 and 1 <= v <= 127 for _, p, v in ons)
        assert all(0 < off - on < 60 / 80 / 8 for (on, _, _), off in zip(ons, offs))  # each stroke ends inside its slot


def test_soundfont_tremolo_is_a_third_of_the_phrases_and_sounds_re_struck() -> None:
    plain = dataset.render_soundfont(program=40, midi_range=(60, 60), minutes=0.5)  # violin
    trem = dataset.render_soundfont(program=40, midi_range=(60, 60), minutes=0.5, tremolo=True)
    legato = [it.audio for it in plain if it.name.startswith("phrase_")]
    legato_t = [it.audio for it in trem if it.name.startswith("phrase_")]
    tremolos = [it for it in trem if it.name.startswith("tremolo_")]
    assert tremolos and not any(it.name.startswith("tremolo_") for it in plain)
    # the legato phrases are the same draws with or without tremolo (the tremolo has its own
    # random stream): the same lengths (fluidsynth's running state still colours the audio)
    assert [a.size for a in legato_t] == [a.size for a in legato[: len(legato_t)]] and len(legato_t) >= 2 * len(tremolos) - 1
    for it in tremolos:
        # the level in 5 ms steps (10 ms windows; the training data's 85 ms level smooths the
        # strokes away) swells and dips at the stroke rate
        x = it.audio.astype(np.float64)
        rms = np.sqrt(np.convolve(x * x, np.ones(480) / 480, "valid")[::240])
        db = 20 * np.log10(rms + 1e-9)
        on = np.nonzero(db > db.max() - 30)[0]
        level = db[on[0] : on[-1]]
        level = level[20:-20] - np.convolve(level, np.ones(41) / 41, "valid")  # less its 200 ms trend (the crescendo)
        spec = np.abs(np.fft.rfft(level * np.hanning(level.size), 8192))
        hz = np.fft.rfftfreq(8192, 1 / 200.0)
        assert 10.0 <= hz[np.argmax(spec * (hz > 6))] <= 18.5


def test_cli_tremolo_needs_a_soundfont_and_a_bowed_decoder(tmp_path, capsys) -> None:
    from partita.cli import main

    soundfile.write(tmp_path / "take.wav", _tone(220, 16000), 16000)
    for args, text in (([str(tmp_path), "--name", "mine"], "--tremolo renders tremolo phrases from a soundfont"),
                       (["/usr/share/sounds/sf2/FluidR3_GM.sf2", "--name", "piano"], "fits a piano string model")):  # fmt: skip
        rc = main(["train-instrument", *args, "--tremolo", "--minutes", "0.01", "--work", str(tmp_path / "w"),
                   "--out", str(tmp_path / "o"), "--quiet"])  # fmt: skip
        err = capsys.readouterr().err
        assert rc == 2 and err.count("\n") == 1 and text in err
    assert not (tmp_path / "o").exists()
