"""Modal string models (the ``bars`` family: struck bars, tubular bells, timpani): modes at
learned ratios in the render, the analysis that finds them again, a fit on real fluidsynth notes
that beats the designed timbre and a sawtooth on a held-out note, and refusals."""

from __future__ import annotations

import math

import numpy as np
import pytest

from partita.render.strings import MODAL_TABLES, TABLES, StringModel
from partita.render.strings_fit import (analyze_note, fit_string_model, fit_table, match_modes, mode_template,
                                        render_notes, spectrum_peaks)  # fmt: skip

SR = 48000
SF2 = "/usr/share/sounds/sf2/FluidR3_GM.sf2"
RATIOS = (1.0, 3.93, 9.54, 13.2)  # a tuned bar's first modes are near 1 : 4 : 10


def _bar(*, ratios=RATIOS, amp_db=(-3.0, -12.0, -20.0, -30.0), decay=(6.0, 15.0, 30.0, 45.0)) -> StringModel:
    """A hand-made modal model with the same value at every knot."""
    k, nb = len(ratios), 17
    vals = {"log10_b": -12.0, "detune_cents": 0.0, "release_db_s": 60.0, "level_db": -20.0, "amp_db": np.asarray(amp_db),
            "decay_db_s": np.asarray(decay), "fast_db": np.full(k, -200.0), "fast_decay_db_s": np.full(k, 50.0),
            "noise_db": np.full(nb, -200.0), "ratio": np.asarray(ratios)}  # fmt: skip
    dims = {"P": 2, "V": 2, "K": k, "N": nb}
    arrays = {n: np.broadcast_to(np.asarray(vals[n], np.float64), tuple(dims[a] for a in ax)).copy()
              for n, ax in {**TABLES, **MODAL_TABLES}.items()}  # fmt: skip
    cfg = {"family": "bars", "pitch_knots": [40.0, 100.0], "velocity_knots": [30.0, 127.0], "n_partials": k, "n_bands": nb,
           "noise_tau_s": 0.01}  # fmt: skip
    return StringModel(config=cfg, arrays=arrays)


def _hz(midi: float) -> float:
    return 440.0 * 2 ** ((midi - 69) / 12)


def test_modes_sound_at_their_ratios_not_on_a_harmonic_series():
    m = _bar()
    f0 = _hz(60)
    x = m.note(f0_hz=f0, velocity=80, level_db=-20.0, on_s=0.0, off_s=1.5, sample_rate=SR, seed=1, n_samples=SR)
    hz, db = spectrum_peaks(x.astype(np.float64), off_s=1.5)
    want = f0 * np.array(RATIOS)
    for f in want:  # every mode is a peak, within a cent
        assert np.min(np.abs(1200 * np.log2(hz / f))) < 1.0
    # nothing at the harmonics a harmonic decoder would put there (within 40 dB of the strongest);
    # the second mode is 30 cents flat of the fourth harmonic, and sits within a cent of its ratio
    strong = hz[db > -40.0]
    for k in (2, 3, 5, 6, 7, 8):
        assert np.min(np.abs(1200 * np.log2(strong / (k * f0)))) > 100.0


def test_the_analysis_finds_the_modes_and_their_decays_again():
    m = _bar()
    notes = {p: m.note(f0_hz=_hz(p), velocity=80, level_db=-20.0, on_s=0.0, off_s=2.0, sample_rate=SR, seed=p,
                       n_samples=int(2.5 * SR)).astype(np.float64) for p in (55, 60, 65, 70)}  # fmt: skip
    peaks = {p: spectrum_peaks(x, off_s=2.0) for p, x in notes.items()}
    template = mode_template([(p, *peaks[p]) for p in notes], 8)
    assert len(template) == len(RATIOS)
    np.testing.assert_allclose(template, RATIOS, rtol=0.002)
    for p, x in notes.items():
        freqs, found = match_modes(*peaks[p], _hz(p), template)
        assert found.all()
        r = analyze_note(x, midi=p, off_s=2.0, n_partials=len(template), modes=(freqs, found))
        np.testing.assert_allclose(r["ratio"], RATIOS, rtol=0.001)
        np.testing.assert_allclose(r["decay_db_s"], (6.0, 15.0, 30.0, 45.0), atol=1.5)
        # onset levels relative to the note's level keep their order and spacing
        amp = r["amp_db"] - r["amp_db"][0]
        np.testing.assert_allclose(amp, np.array([-3.0, -12.0, -20.0, -30.0]) + 3.0, atol=1.5)


def test_a_mode_missing_from_a_note_is_not_matched_to_a_neighbour():
    template = np.array(RATIOS)
    f0 = _hz(60)
    hz = f0 * np.array([1.0, 4.4, 9.5])  # 4.4 is 2 semitones above 3.93: not that mode
    freqs, found = match_modes(hz, np.array([0.0, -10.0, -20.0]), f0, template)
    assert found.tolist() == [True, False, True, False]
    assert freqs[1] == pytest.approx(f0 * 3.93)  # left at the template's ratio


def test_knots_no_measurement_reaches_take_the_neutral_value():
    # the pull towards the neutral value is weighted like the rows it is added to (once, a knot no
    # measurement reached came out at neutral / sqrt(pull): 10x the neutral ratio)
    pk = np.array([79.0, 85.0, 91.0, 97.0, 103.0, 108.0])
    x = np.array([79.0, 82.0, 85.0, 88.0, 91.0])
    y = np.array([3.87, 3.79, 3.79, 3.72, 3.72])
    t = fit_table(x, None, y, pk, None, smooth=0.0, neutral=3.79, pull=1e-2)
    np.testing.assert_allclose(t[3:], 3.79, rtol=1e-6)
    assert np.all(np.abs(t[:3] - 3.79) < 0.1)


def test_a_marimba_fitted_on_fluidsynth_notes_beats_its_designed_timbre_and_a_sawtooth():
    torch = pytest.importorskip("torch")
    from scipy.signal import resample_poly

    from partita.render.dataset import open_soundfont
    from partita.render.neural_losses import spectral_loss
    from partita.render.stems import render_part
    from partita.render.settings import RenderSettings
    from partita.render.strings_fit import level_curve
    from partita.render.timbres import timbre_for

    r = fit_string_model(soundfont=SF2, name="marimba", program=12, family="bars", midi_range=(60, 72))
    assert r["config"]["family"] == "bars" and abs(r["config"]["mode_template"][0] - 1.0) < 0.02
    m = StringModel(config=r["config"], arrays=r["arrays"])
    fs, _ = open_soundfont(SF2, 12)
    try:
        ref = render_notes(fs, [[(65, 70, 0.0)]], hold_s=2.0, tail_s=1.0)[0]  # 65 at 70: not fitted
    finally:
        fs.delete()
    # the strongest peaks of the reference are modes of the model, at their fitted ratios
    hz, db = spectrum_peaks(ref, off_s=2.0)
    ratios = m.params(65.0, 70.0)["ratio"]
    for f in hz[db > -30.0]:
        assert np.min(np.abs(1200 * np.log2(f / (_hz(65) * ratios)))) < 25.0
    lc = level_curve(ref)
    y = m.note(f0_hz=_hz(65), velocity=70, level_db=float(lc[:30].max()), on_s=0.0, off_s=2.0, sample_rate=SR, seed=1,
               n_samples=len(ref)).astype(np.float64)  # fmt: skip
    t = np.arange(len(ref)) / SR
    env = 10 ** (np.interp(t, np.arange(len(lc)) * 0.01, lc) / 20)
    saw = sum(np.sin(2 * np.pi * k * _hz(65) * t) / k for k in range(1, 60)) * env / np.sqrt(np.sum(1.0 / np.arange(1, 60) ** 2))
    from fractions import Fraction as F

    from partita.symbolic.dynamics import Dynamic
    from partita.symbolic.score import Note, Part, Score

    part = Part("p", "marimba", "marimba", notes=(Note(F(0), F(4), 65),), dynamics=(Dynamic(0, "mf"),))
    designed = render_part(part, Score(parts=(part,)), RenderSettings(sample_rate=SR), decoder=timbre_for("marimba"))[0]
    designed = np.pad(designed.astype(np.float64), (0, max(0, len(ref) - len(designed))))[: len(ref)]
    # the designed timbre at the reference's level (the loss has a linear term)
    designed *= np.sqrt(np.mean(ref**2) / max(np.mean(designed**2), 1e-20))
    dither = (np.random.default_rng(0).random(len(ref)) - 0.5) / 32768

    def loss(a):
        return float(spectral_loss(torch.from_numpy(resample_poly(a + dither, 1, 3)[None]), torch.from_numpy(resample_poly(ref, 1, 3)[None])))

    assert loss(y) < min(loss(designed), loss(saw))


def test_the_shipped_mallets_render_with_their_modal_models_in_one_stem(tmp_path):
    from fractions import Fraction as F

    import soundfile as sf

    import partita
    from partita.render.neural_infer import decoder_for
    from partita.symbolic.score import Note, Part, Score

    for name in ("celesta", "glockenspiel", "vibraphone", "marimba", "xylophone", "tubular_bells", "timpani"):
        dec = decoder_for(name)
        assert dec.decoder_id == f"strings:{name}" and dec.model.modal
    notes = tuple(Note(F(0), F(2), p) for p in (60, 64, 67))  # a chord: one stem
    score = Score(parts=(Part("mar", "Marimba", "marimba", notes=notes),))
    partita.render(score, tmp_path, progress=False)
    x, sr = sf.read(tmp_path / "stems" / "01_marimba.wav")
    assert x.ndim == 1 and np.abs(x).max() > 0.01
    hz, db = spectrum_peaks(x, off_s=1.0)
    for p in (60, 64, 67):  # each note's first mode sounds
        assert np.min(np.abs(1200 * np.log2(hz[db > -30.0] / _hz(p)))) < 30.0


def test_a_modal_model_without_its_ratio_table_is_refused(tmp_path):
    from partita.checkpoint import write_checkpoint
    from partita.errors import CheckpointError

    m = _bar()
    bad = tmp_path / "bars.safetensors"
    write_checkpoint(bad, {k: v.astype(np.float32) for k, v in m.arrays.items() if k != "ratio"}, kind="string-model",
                     config=dict(m.config))  # fmt: skip
    with pytest.raises(CheckpointError, match=r"bars\.safetensors.*ratio"):
        StringModel.from_file(bad)
    good = tmp_path / "good.safetensors"
    write_checkpoint(good, {k: v.astype(np.float32) for k, v in m.arrays.items()}, kind="string-model", config=dict(m.config))
    np.testing.assert_allclose(StringModel.from_file(good).params(60.0, 80.0)["ratio"], RATIOS, rtol=1e-6)
    assert not math.isnan(StringModel.from_file(good).params(60.0, 80.0)["ratio"][0])


def _level_wobble(x: np.ndarray, off_s: float):
    from partita.render.strings_motor import motor_of_note

    return motor_of_note(x, off_s=off_s)


def test_a_motor_in_the_config_modulates_the_note_s_level_from_its_onset():
    """The config's motor multiplies the note, from its onset, by ``depth cos(2 pi rate t + phase)``
    dB; the analysis reads the same rate, depth and phase back; without it the level does not
    wobble."""
    plain = _bar()
    motor = {"rate_hz": 5.0, "depth_db": 2.0, "phase": 0.5}
    turning = StringModel(config={**plain.config, "motor": motor}, arrays=plain.arrays)
    kw = dict(f0_hz=_hz(65), velocity=90.0, level_db=-12.0, on_s=0.25, off_s=2.25, sample_rate=SR, seed=3)
    x, y = plain.note(**kw), turning.note(**kw)
    n_on = int(0.25 * SR)
    t = np.arange(x.size - n_on) / SR
    gain = np.power(10.0, 2.0 * np.cos(2 * np.pi * 5.0 * t + 0.5) / 20.0).astype(np.float32)
    assert y.shape == x.shape and not y[:n_on].any() and np.array_equal(y[n_on:], x[n_on:] * gain)
    rate, depth, phase, r2 = _level_wobble(y[n_on:], 2.0)
    assert rate == 5.0 and abs(depth - 2.0) < 0.1 and abs(phase - 0.5) < 0.05 and r2 > 0.95
    assert _level_wobble(x[n_on:], 2.0)[1] < 0.1


def test_the_motor_is_found_where_the_notes_share_it_and_not_where_they_differ():
    from partita.render.strings_motor import measure_motor

    t = np.arange(int(2.5 * SR)) / SR
    rng = np.random.default_rng(5)

    def note(midi, rate=None, phase=0.0, depth=1.5):
        db = -8.0 * t + (depth * np.cos(2 * np.pi * rate * t + phase) if rate else 0.0)
        return np.sin(2 * np.pi * _hz(midi) * t) * 10 ** (db / 20)

    shared = [note(m, 4.2, -1.6) for m in (55, 62, 67, 74, 79)]
    found = measure_motor(shared, off_s=2.0)
    assert found is not None and found["rate_hz"] == 4.2 and abs(found["depth_db"] - 1.5) < 0.05
    assert abs(found["phase"] + 1.6) < 0.02
    assert measure_motor([note(m) for m in (55, 62, 67, 74, 79)], off_s=2.0) is None  # a plain decay
    beating = [note(m, r, p) for m, r, p in zip((55, 62, 67, 74, 79), rng.uniform(2, 9, 5), rng.uniform(-3, 3, 5))]
    assert measure_motor(beating, off_s=2.0) is None  # each note its own rate and phase
    assert measure_motor([note(m, 4.2, -1.6, depth=0.2) for m in (55, 62, 67)], off_s=2.0) is None  # too shallow


def test_fluidr3_s_vibraphone_turns_its_motor_and_the_shipped_model_plays_it():
    """Real notes: FluidR3's vibraphone (GM 11) shares one modulation of about 4 Hz, its marimba
    (GM 12) none; the shipped vibraphone model has it in its config and its notes play it."""
    from partita.render.dataset import open_soundfont
    from partita.render.neural_infer import shipped_decoder
    from partita.render.strings_motor import measure_motor

    heard = {}
    for program in (11, 12):
        fs, _ = open_soundfont(SF2, program)
        try:
            heard[program] = render_notes(fs, [[(p, v, 0.0)] for p, v in ((58, 80), (65, 55), (71, 105), (77, 80))],
                                          hold_s=2.0, tail_s=0.5)  # fmt: skip
        finally:
            fs.delete()
    vib = measure_motor(heard[11], off_s=2.0)
    assert vib is not None and 4.0 <= vib["rate_hz"] <= 4.4 and vib["depth_db"] > 1.0, vib
    assert measure_motor(heard[12], off_s=2.0) is None
    model = shipped_decoder("vibraphone").model
    shipped = model.config["motor"]
    assert abs(shipped["rate_hz"] - vib["rate_hz"]) <= 0.1 and abs(shipped["depth_db"] - vib["depth_db"]) < 0.3
    x = model.note(f0_hz=_hz(68), velocity=80.0, level_db=-12.0, on_s=0.0, off_s=2.0, sample_rate=SR, seed=1)
    rate, depth, _, r2 = _level_wobble(x, 2.0)
    assert rate == shipped["rate_hz"] and abs(depth - shipped["depth_db"]) < 0.1 and r2 > 0.9


def test_a_wash_is_measured_between_the_modes_and_rendered_decaying():
    """A note made of modes plus a noise wash (bands 1.5-6 kHz at -30 dB re the level at 0.3 s,
    decaying at 30 dB/s): the analysis reads the wash's level and rate back, and a model with the
    table renders the same wash (its level between the modes, 0.3 and 0.8 s in) where the model
    without it is silent there."""
    from partita.render.strings import NOISE_TOP_HZ
    from partita.render.strings_fit import _NOISE_CAL
    from partita.render.strings_wash import OFF_DB, band_floor_db, wash_of_note

    plain = _bar()
    db_at = np.full(17, OFF_DB)
    db_at[1:5] = -30.0
    washing = StringModel(config={**plain.config, "wash_decay_db_s": 30.0},
                          arrays={**plain.arrays, "wash_db": np.broadcast_to(db_at, (2, 2, 17)).copy()})  # fmt: skip
    kw = dict(f0_hz=_hz(45), velocity=90.0, level_db=-12.0, on_s=0.0, off_s=2.0, sample_rate=SR, seed=3)
    x, y = plain.note(**kw), washing.note(**kw)
    assert y.size == x.size and not np.array_equal(x, y)  # here the modes outlast the wash
    at, rate = wash_of_note(y, level_db=-12.0, off_s=2.0, n_bands=17, top_hz=NOISE_TOP_HZ, noise_cal=_NOISE_CAL)
    # the inner bands read their level; the outer ones less (the filter slopes to the silent bands)
    assert np.all(np.abs(at[2:4] + 30.0) < 1.5) and np.all(np.abs(at[[1, 4]] + 30.0) < 5.0) and abs(rate - 30.0) < 2.0, (at[:6], rate)
    assert np.all(at[6:] == OFF_DB) and at[0] == OFF_DB
    quiet = band_floor_db(x, 0.8, -12.0, 17, NOISE_TOP_HZ, _NOISE_CAL)
    assert np.all(quiet[1:5] < -70.0)  # the modes alone leave those bands silent


def test_fluidr3_s_timpani_has_a_wash_its_marimba_none_and_the_shipped_timpani_plays_it():
    from partita.render.dataset import open_soundfont
    from partita.render.neural_infer import shipped_decoder
    from partita.render.strings import NOISE_TOP_HZ
    from partita.render.strings_fit import _NOISE_CAL, level_curve
    from partita.render.strings_wash import OFF_DB, fit_wash, wash_of_note

    washes = {}
    for program, pitches in ((47, (41, 47, 53)), (12, (60, 67, 74))):
        fs, _ = open_soundfont(SF2, program)
        try:
            notes = render_notes(fs, [[(p, 95, 0.0)] for p in pitches], hold_s=2.0, tail_s=0.5)
        finally:
            fs.delete()
        washes[program] = [dict(zip(("wash_db", "wash_rate"), wash_of_note(
            x, level_db=float(level_curve(x)[:30].max()), off_s=2.0, n_bands=17, top_hz=NOISE_TOP_HZ, noise_cal=_NOISE_CAL)))
            for x in notes]  # fmt: skip
    rate = fit_wash(washes[47])
    assert rate is not None and 15.0 < rate < 50.0 and all((w["wash_db"] > -40.0).any() for w in washes[47])
    assert fit_wash(washes[12]) is None and all((w["wash_db"] == OFF_DB).sum() >= 14 for w in washes[12])
    model = shipped_decoder("timpani").model
    assert 15.0 < model.config["wash_decay_db_s"] < 50.0 and model.arrays["wash_db"].shape[-1] == 17
    x = model.note(f0_hz=_hz(47), velocity=95.0, level_db=-12.0, on_s=0.0, off_s=2.0, sample_rate=SR, seed=1)
    at, _ = wash_of_note(x, level_db=-12.0, off_s=2.0, n_bands=17, top_hz=NOISE_TOP_HZ, noise_cal=_NOISE_CAL)
    assert (at > -45.0).sum() >= 2  # the rendered note has the wash between its modes
