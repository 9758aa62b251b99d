"""The drum sampler, on a small kit rendered from a real soundfont by the real fluidsynth:
onsets against the tempo map (and the seed's humanisation), choke, velocity layers, stereo seats,
determinism across jobs, stems by group, and a kit with a missing sample."""

from __future__ import annotations

import json
import shutil
from fractions import Fraction as F
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from partita.render.controls import phrase_seed
from partita.render.drum_samples import build_kit, default_soundfont, layout, load_sample_kit
from partita.render.drum_sampler import plan_hits, render_sampled_part
from partita.render.settings import RenderSettings, RenderWarning
from partita.symbolic.score import Note, Part, Score
from partita.symbolic.timeline import TempoMap, TempoMark

SR = 48000
KEYS = (36, 38, 42, 45, 46, 49)

pytestmark = pytest.mark.skipif(shutil.which("fluidsynth") is None or default_soundfont() is None,
                                reason="needs the fluidsynth program and a GM soundfont (scripts/setup.sh installs both)")  # fmt: skip


@pytest.fixture(scope="module")
def kit_dir(tmp_path_factory) -> Path:
    return build_kit(default_soundfont(), tmp_path_factory.mktemp("kit") / "k", sample_rate=SR, keys=KEYS)


@pytest.fixture(scope="module")
def kit(kit_dir):
    return load_sample_kit(kit_dir, sample_rate=SR)


def _part(notes) -> Part:
    return Part("dr", "Drums", "drum_kit", notes=tuple(sorted(notes, key=lambda n: (n.onset, n.pitch))))


def _score(part: Part, bpm: float = 100.0) -> Score:
    return Score(parts=(part,), tempo_map=TempoMap((TempoMark(F(0), bpm),)))


def _onsets(x: np.ndarray, starts_s: list[float], *, window_s: float = 0.05) -> list[float]:
    """Per expected hit, the first sample (searched from 20 ms before it) above 5 % of the peak
    of the next ``window_s``: an onset detector independent of the sampler."""
    mono = np.abs(x).max(axis=0)
    out = []
    for t in starts_s:
        lo = max(0, int((t - 0.02) * SR))
        seg = mono[lo : int((t + window_s) * SR)]
        out.append((lo + int(np.argmax(seg > 0.05 * seg.max()))) / SR)
    return out


def test_onsets_follow_the_score_within_1_ms_and_humanisation_is_what_the_seed_says(kit):
    keys = (36, 38, 42, 36, 38, 42, 36, 45)  # the tom last: it rings for seconds
    part = _part([Note(F(i), F(1, 2), k, velocity=100) for i, k in enumerate(keys)])
    score = _score(part, 100.0)  # a beat is 0.6 s: every hit is alone in its window
    n = int(6 * SR)
    exact = render_sampled_part(part, score, kit, sample_rate=SR, seed=3, n_samples=n)
    want = [i * 0.6 for i in range(len(keys))]
    assert np.max(np.abs(np.array(_onsets(exact, want)) - want)) <= 0.001
    human = render_sampled_part(part, score, kit, sample_rate=SR, seed=3, n_samples=n, humanize=1.0)
    lay = layout()
    offsets = []
    for i, k in enumerate(keys):  # the documented draw: N(0,1) * timing_sd_ms * humanize
        rng = np.random.default_rng(phrase_seed(3, "dr#humanize", F(i), k))
        offsets.append(float(rng.standard_normal()) * lay.timing_sd_ms / 1000.0)
    want_h = [max(0.0, t + o) for t, o in zip(want, offsets)]
    assert np.max(np.abs(np.array(_onsets(human, want_h)) - want_h)) <= 0.001
    assert np.max(np.abs(offsets)) > 0.002  # the humanisation really moved hits
    assert [h.offset_s for h in plan_hits(part, score, seed=3, humanize=1.0)] == pytest.approx(offsets)


def test_a_closed_hat_chokes_the_open_hat(kit):
    n, t_close = int(2.0 * SR), 0.3  # at 100 bpm, beat 1/2 is 0.3 s
    open_only = _part([Note(F(0), F(1, 2), 46, velocity=110)])
    closed_only = _part([Note(F(1, 2), F(1, 2), 42, velocity=110)])
    both = _part([Note(F(0), F(1, 2), 46, velocity=110), Note(F(1, 2), F(1, 2), 42, velocity=110)])
    a, c, b = (render_sampled_part(p, _score(p), kit, sample_rate=SR, seed=0, n_samples=n)
               for p in (open_only, closed_only, both))  # fmt: skip
    after = slice(int((t_close + layout().choke_fade_ms / 1000.0 + 0.001) * SR), int(1.5 * SR))
    choked = b - c  # what is left of the open hat when it is played with the closed hat
    assert np.sum(a[:, after] ** 2) > 0.0
    assert np.sum(choked[:, after] ** 2) == 0.0  # silent right after the closed hat's fade
    before = slice(0, int(t_close * SR))
    np.testing.assert_array_equal(choked[:, before], a[:, before])  # untouched before it


def _centroid_hz(x: np.ndarray) -> float:
    seg = x.mean(axis=0)[: int(0.1 * SR)]
    spec = np.abs(np.fft.rfft(seg * np.hanning(seg.size))) ** 2
    f = np.fft.rfftfreq(seg.size, 1.0 / SR)
    return float((spec * f).sum() / spec.sum())


@pytest.mark.parametrize("key", [38, 42, 49])
def test_velocity_layers_brighten_the_spectrum(kit, key):
    cents = []
    for v in (30, 60, 90, 127):
        part = _part([Note(F(0), F(1), key, velocity=v)])
        cents.append(_centroid_hz(render_sampled_part(part, _score(part), kit, sample_rate=SR, seed=0, n_samples=SR)))
    assert all(b > a for a, b in zip(cents, cents[1:])), cents


def test_pieces_sit_where_the_layout_seats_them(kit):
    lay = layout()
    for key in (42, 45):
        part = _part([Note(F(0), F(1), key, velocity=100)])
        x = render_sampled_part(part, _score(part), kit, sample_rate=SR, seed=0, n_samples=SR)
        left, right = np.sqrt(np.sum(x[0] ** 2)), np.sqrt(np.sum(x[1] ** 2))
        theta = (lay.pan[key] + 1.0) * np.pi / 4.0
        assert right / left == pytest.approx(np.tan(theta), rel=1e-4)


def _groove() -> Score:
    notes = [Note(F(0), F(1, 2), 49, velocity=110, voice=2)]
    for e in range(16):
        q = F(e, 2)
        notes.append(Note(q, F(1, 2), 46 if e % 8 == 7 else 42, velocity=90 if e % 2 == 0 else 65))
        if e % 8 in (0, 3):
            notes.append(Note(q, F(1, 2), 36, velocity=105))
        if e % 4 == 2:
            notes.append(Note(q, F(1, 2), 38, velocity=100))
    notes += [Note(F(7), F(1, 2), 45, velocity=100, voice=2)]
    fl = Part("fl", "Flute", "flute", notes=(Note(F(0), F(4), 72),))
    return Score(parts=(fl, _part(notes)), tempo_map=TempoMap((TempoMark(F(0), 110.0),)))


def test_render_is_deterministic_whatever_the_jobs(kit_dir, tmp_path):
    from partita.render.stems import render

    settings = RenderSettings(sample_rate=SR, seed=5, humanize=1.0, drum_kit=str(kit_dir))
    r1 = render(_groove(), tmp_path / "a", settings=settings, workers=1, progress=False)
    r2 = render(_groove(), tmp_path / "b", settings=settings, workers=2, progress=False)
    assert [s.sha256 for s in r1.stems] == [s.sha256 for s in r2.stems]
    drums = sf.read(tmp_path / "a" / r1.stems[1].file, always_2d=True)[0]
    assert drums.shape[1] == 2 and np.abs(drums).max() > 0.05  # a stereo stem with the hits in it
    r3 = render(_groove(), tmp_path / "c", settings=RenderSettings(sample_rate=SR, seed=6, humanize=1.0,
                                                                   drum_kit=str(kit_dir)), progress=False)  # fmt: skip
    assert r3.stems[1].sha256 != r1.stems[1].sha256


def test_drum_stems_from_the_cli_sum_to_the_one_stem(kit_dir, tmp_path):
    from partita import save
    from partita.cli import main

    src = save(_groove(), tmp_path / "groove.musicxml")
    assert main(["render", str(src), "-o", str(tmp_path / "one"), "--drum-kit", str(kit_dir), "--quiet"]) == 0
    assert main(["render", str(src), "-o", str(tmp_path / "five"), "--drum-kit", str(kit_dir), "--drum-stems",
                 "--quiet"]) == 0  # fmt: skip
    manifest = json.loads((tmp_path / "five" / "render.json").read_text())
    pieces = [s for s in manifest["stems"] if s["part_id"] != "fl"]
    assert [s["piece"] for s in pieces] == ["kick", "snare", "hats", "toms", "cymbals"]
    total = sum(sf.read(tmp_path / "five" / s["file"], always_2d=True)[0] for s in pieces)
    one = sf.read(tmp_path / "one" / "stems" / "02_drums.wav", always_2d=True)[0]
    assert np.abs(one).max() > 0.05
    np.testing.assert_allclose(total, one, atol=1e-6)
    for s in pieces:  # every group really holds its own pieces
        assert np.abs(sf.read(tmp_path / "five" / s["file"])[0]).max() > 0.01, s["piece"]
    from partita.mixing import mix_folder

    a, b = mix_folder(tmp_path / "one"), mix_folder(tmp_path / "five")  # the mix sums the groups back
    xa, xb = sf.read(a.path)[0], sf.read(b.path)[0]
    assert np.abs(xa - xb).max() < 1e-4


def test_a_missing_sample_is_named_and_its_key_plays_the_designed_drum(kit_dir, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(kit_dir, broken)
    (broken / "k038_v096_r1.flac").unlink()
    part = _part([Note(F(0), F(1), 38, velocity=100), Note(F(1), F(1), 36, velocity=100)])
    from partita.render.drum_sampler import render_drums

    with pytest.warns(RenderWarning, match="k038_v096_r1.flac"):
        got = render_drums(part, _score(part), RenderSettings(sample_rate=SR, drum_kit=str(broken)), n_samples=2 * SR)
    snare_only = _part([Note(F(0), F(1), 38, velocity=100)])
    designed = render_drums(snare_only, _score(snare_only), RenderSettings(sample_rate=SR, drums="designed"),
                            n_samples=2 * SR)  # fmt: skip
    kick_only = _part([Note(F(1), F(1), 36, velocity=100)])
    sampled_kick = render_drums(kick_only, _score(kick_only), RenderSettings(sample_rate=SR, drum_kit=str(kit_dir)),
                                n_samples=2 * SR)  # fmt: skip
    np.testing.assert_allclose(got, designed + sampled_kick, atol=1e-6)  # the snare is the designed one


def test_a_kit_folder_without_kit_toml_is_a_preset_error(tmp_path):
    from partita.errors import PresetError

    with pytest.raises(PresetError, match="no kit.toml"):
        load_sample_kit(tmp_path, sample_rate=SR)


def test_a_drum_kit_path_that_does_not_exist_is_one_line_from_the_cli(tmp_path, capsys):
    from partita import save
    from partita.cli import main

    src = save(_groove(), tmp_path / "groove.musicxml")
    code = main(["render", str(src), "-o", str(tmp_path / "out"), "--drum-kit", str(tmp_path / "nope.sf2"), "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code != 0 and len(err) == 1 and "nope.sf2" in err[0] and "drum kit" in err[0]
    assert not (tmp_path / "out" / "render.json").exists()


def test_without_a_soundfont_the_kit_is_the_designed_one_with_a_warning(monkeypatch):
    from partita.render import drum_sampler, drum_samples

    monkeypatch.setattr(drum_samples, "SOUNDFONTS", ("/nonexistent/GM.sf2",))
    monkeypatch.delenv("PARTITA_DRUM_SOUNDFONT", raising=False)
    drum_sampler._kit_cached.cache_clear()
    part = _part([Note(F(0), F(1), 38, velocity=100)])
    try:
        with pytest.warns(RenderWarning, match="no soundfont for the drum samples"):
            got = drum_sampler.render_drums(part, _score(part), RenderSettings(sample_rate=SR), n_samples=SR)
    finally:
        drum_sampler._kit_cached.cache_clear()
    designed = drum_sampler.render_drums(part, _score(part), RenderSettings(sample_rate=SR, drums="designed"), n_samples=SR)
    np.testing.assert_array_equal(got, designed)


def test_the_packed_copy_of_a_kit_holds_the_same_samples(kit_dir, tmp_path, monkeypatch):
    from partita.render import drum_samples

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    drum_samples._load_kit_cached.cache_clear()
    decoded = load_sample_kit(kit_dir, sample_rate=16000)  # decoded, resampled, then packed
    assert list((tmp_path / "partita" / "drum-kits" / "packed").glob("*.npy"))
    drum_samples._load_kit_cached.cache_clear()
    packed = load_sample_kit(kit_dir, sample_rate=16000)
    drum_samples._load_kit_cached.cache_clear()
    assert packed.fingerprint == decoded.fingerprint and packed.samples.keys() == decoded.samples.keys()
    for key, layers in decoded.samples.items():
        for vel, takes in layers.items():
            for a, b in zip(takes, packed.samples[key][vel]):
                np.testing.assert_array_equal(a, b)
    x, sr = sf.read(kit_dir / "k038_v127_r0.flac", dtype="float32")
    assert decoded.samples[38][127][0].size == pytest.approx(x.size * 16000 / sr, abs=1)


@pytest.mark.parametrize("key", [36, 38, 42])
def test_a_loud_hit_sounds_like_the_soundfont_played_by_fluidsynth(kit, key):
    from partita.render.drum_samples import fluidsynth_drums

    part = _part([Note(F(0), F(1), key, velocity=127)])
    score = _score(part)
    ours = render_sampled_part(part, score, kit, sample_rate=SR, seed=0, n_samples=SR).mean(axis=0)
    ref = fluidsynth_drums(part, score, default_soundfont(), sample_rate=SR, n_samples=SR)
    onset = int(np.argmax(np.abs(ref) > 0.01 * np.abs(ref).max()))
    ref = ref[onset:]
    n = min(int(0.25 * SR), ref.size)
    spec = [np.abs(np.fft.rfft(x[:n] * np.hanning(n))) for x in (ours, ref)]
    # velocity 127 plays the top layer (a take: the soundfont's sample at velocity 122-127,
    # detuned by up to 12 cents), panned: per third-octave band, the same spectrum as
    # fluidsynth's, the whole level set by the pan law (mono mean of a panned signal: about -3 dB)
    f = np.fft.rfftfreq(n, 1 / SR)
    edges = 40.0 * 2.0 ** (np.arange(28) / 3.0)  # 40 Hz to 16 kHz
    bands = np.array([[10 * np.log10(np.sum(sp[(f >= lo) & (f < hi)] ** 2) + 1e-20) for lo, hi in zip(edges, edges[1:])]
                      for sp in spec])  # fmt: skip
    level_db = 10 * np.log10(np.sum(spec[0] ** 2) / np.sum(spec[1] ** 2))
    assert -4.5 < level_db < -2.0
    loud = bands[1] > bands[1].max() - 40  # bands within 40 dB of the strongest
    assert np.max(np.abs(bands[0] - bands[1] - level_db)[loud]) < 3.0


def test_the_sums_do_not_depend_on_the_block_they_are_made_in(kit, monkeypatch):
    """The part's samples are summed a block at a time (a buffer of the part's length was
    hundreds of MB of fresh memory): hits that straddle blocks, chokes, a designed drum and a cut
    end give the same bits with any block size, by group too."""
    import partita.render.drum_sampler as ds

    keys = (36, 42, 46, 42, 38, 49, 45, 46, 39, 42, 36, 38, 49)  # 39: not in the kit, the designed clap
    part = _part([Note(F(i, 4), F(1, 4), k, velocity=40 + 7 * i) for i, k in enumerate(keys)])
    score = _score(part, 140.0)
    n = int(2.2 * SR) + 17  # the crash and the tom still ring at the end: they are cut
    want = [render_sampled_part(part, score, kit, sample_rate=SR, seed=5, n_samples=n, humanize=1.0, by_group=g)
            for g in (False, True)]  # fmt: skip
    assert np.abs(want[0][:, -100:]).max() > 0  # something rings through the cut
    for block in (997, 4096, 1 << 20):
        monkeypatch.setattr(ds, "_BLOCK", block)
        for g, w in zip((False, True), want):
            got = render_sampled_part(part, score, kit, sample_rate=SR, seed=5, n_samples=n, humanize=1.0, by_group=g)
            assert got.dtype == np.float32 and got.shape == w.shape
            assert np.array_equal(got, w), (block, g)
