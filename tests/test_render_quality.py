"""Does it sound like the score? Pitch, vibrato, loudness, clicks, bounds -- measured.

These tests measure the designed timbres (``partita.render.timbres``), passed explicitly, so
that they keep testing them when trained decoders become the default; the bounds test renders
with whatever the default is.

The pitch tracker is YIN (de Cheveigne & Kawahara 2002) written here in float64 numpy,
independent of the renderer: difference function, cumulative-mean normalisation, absolute
threshold, parabolic interpolation. Loudness is BS.1770 (pyloudnorm).

Tolerances (stated, as the issue asks):

* pitch: median |error| <= 5 cents over the voiced frames of a score that spans the ranges of
  12 instruments (notes without vibrato; the first and last 80 ms of each note left out);
* vibrato: measured rate and depth (peak deviation in cents) within 10 % of what was asked;
* loudness: pp < p < mf < f < ff strictly, per instrument, in LUFS over each note;
* clicks: within 10 ms of every note start, note end and legato join, the largest
  sample-to-sample step of the harmonic signal is at most 1.25 x the largest step in the
  steady middle of the notes on either side (a click is a step far above the waveform's own
  slope); with the noise included, at most 2 x;
* bounds: every sample of every stem finite and inside [-1, 1] for any valid score.
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction as F

import numpy as np
import pyloudnorm
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partita import instruments
from partita.render.performance import perform_part
from partita.render.settings import RenderSettings
from partita.render.stems import render, render_part
from partita.render.synth import _segment_start, synthesize
from partita.render.timbres import timbre_for
from partita.symbolic.dynamics import DYNAMIC_MARKS, Dynamic, Hairpin
from partita.symbolic.score import Note, Part, Score
from partita.symbolic.timeline import TempoMap, TempoMark

SR = 16000


def yin(x: np.ndarray, *, sample_rate: int, f_min: float, f_max: float, hop: int, win: int = 1024,
        threshold: float = 0.12) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """f0 (Hz, NaN where unvoiced) and frame centres (samples) of ``x`` by YIN, float64."""
    x = np.asarray(x, dtype=np.float64)
    tau_min = max(2, int(sample_rate / f_max))
    tau_max = int(sample_rate / f_min) + 2
    f0s, centres = [], []
    for start in range(0, x.size - win - tau_max, hop):
        frame = x[start : start + win + tau_max]
        if np.sqrt(np.mean(frame[:win] ** 2)) < 1e-4:
            f0s.append(np.nan)
            centres.append(start + win // 2)
            continue
        # difference function d(tau) = sum_j (x_j - x_{j+tau})^2 for j < win, via cumulative sums
        a = frame[:win]
        energy = np.cumsum(frame**2)
        taus = np.arange(tau_max)
        e0 = energy[win - 1]
        e_tau = energy[taus + win - 1] - np.concatenate([[0.0], energy[: tau_max - 1]])
        corr = np.correlate(frame[: win + tau_max - 1], a, mode="valid")[:tau_max]
        d = e0 + e_tau - 2 * corr
        d[0] = 0.0
        cmnd = np.ones(tau_max)
        cumsum = np.cumsum(d[1:])
        cmnd[1:] = d[1:] * np.arange(1, tau_max) / np.maximum(cumsum, 1e-20)
        below = np.flatnonzero(cmnd[tau_min:] < threshold)
        if below.size == 0:
            f0s.append(np.nan)
            centres.append(start + win // 2)
            continue
        tau = tau_min + below[0]
        while tau + 1 < tau_max - 1 and cmnd[tau + 1] < cmnd[tau]:
            tau += 1
        y0, y1, y2 = cmnd[tau - 1], cmnd[tau], cmnd[tau + 1]
        denom = y0 - 2 * y1 + y2
        shift = 0.5 * (y0 - y2) / denom if denom != 0 else 0.0
        f0s.append(sample_rate / (tau + shift))
        centres.append(start + win // 2)
    return np.array(f0s), np.array(centres)


def _cents(f: np.ndarray, ref: np.ndarray) -> np.ndarray:
    return 1200 * np.log2(f / ref)


def _hz(pitch: float) -> float:
    return 440.0 * 2 ** ((pitch - 69) / 12)


# -- pitch ------------------------------------------------------------------------------------

PITCH_INSTRUMENTS = ["violin", "viola", "cello", "contrabass", "flute", "oboe", "clarinet", "bassoon",
                     "trumpet", "horn", "tuba", "soprano", "bass", "piano", "harp", "acoustic_guitar"]  # fmt: skip


def _range_score(instrument: str) -> Score:
    low, high = instruments.get(instrument).comfortable_range
    pitches = [low, (low + high) // 2, high]
    notes = tuple(Note(F(3 * i), F(2), p, vibrato_depth_cents=0.0) for i, p in enumerate(pitches))
    part = Part("p", instrument, instrument, notes=notes, dynamics=(Dynamic(0, "mf"),))
    return Score(parts=(part,), tempo_map=TempoMap((TempoMark(0, 120),)))


def test_pitch_matches_the_score_across_ranges():
    errors = []
    per_instrument = {}
    for name in PITCH_INSTRUMENTS:
        score = _range_score(name)
        part = score.parts[0]
        audio = render_part(part, score, RenderSettings(sample_rate=SR), decoder=timbre_for(name))[0]
        mine = []
        for note in part.notes:
            f_true = _hz(note.pitch)
            on = score.seconds_at(note.onset)
            # analyse the note's own span (80 ms in from either end, plucked notes: their first 0.6 s)
            dur = 0.6 if name in ("piano", "harp", "acoustic_guitar") else score.tempo_map.duration_seconds(note.onset, note.duration)
            seg = audio[int((on + 0.08) * SR) : int((on + dur - 0.08) * SR)]
            f0, _ = yin(seg, sample_rate=SR, f_min=f_true / 1.6, f_max=min(f_true * 1.6, SR / 4), hop=160)
            voiced = f0[np.isfinite(f0)]
            assert voiced.size > 3, f"{name} {note.pitch}: no voiced frames"
            mine.extend(np.abs(_cents(voiced, f_true)))
        per_instrument[name] = float(np.median(mine))
        errors.extend(mine)
    median = float(np.median(errors))
    assert median <= 5.0, f"median |error| {median:.2f} cents; per instrument {per_instrument}"
    # and no instrument is off on its own (octave errors would show as 1200 here)
    assert max(per_instrument.values()) <= 10.0, per_instrument


# -- vibrato ------------------------------------------------------------------------------------


@pytest.mark.parametrize("instrument, depth, rate", [("violin", 40.0, 5.5), ("flute", 25.0, 7.0), ("soprano", 60.0, 4.5)])
def test_vibrato_rate_and_depth_are_what_was_asked(instrument, depth, rate):
    pitch = 69 if instrument != "soprano" else 72
    note = Note(0, 8, pitch, vibrato_depth_cents=depth, vibrato_rate_hz=rate)
    part = Part("p", instrument, instrument, notes=(note,))
    score = Score(parts=(part,), tempo_map=TempoMap((TempoMark(0, 120),)))  # 8 quarters = 4 s
    audio = render_part(part, score, RenderSettings(sample_rate=SR), decoder=timbre_for(instrument))[0]
    f_true = _hz(pitch)
    seg = audio[int(1.0 * SR) : int(3.8 * SR)]  # after the onset delay and fade-in
    f0, _ = yin(seg, sample_rate=SR, f_min=f_true / 1.3, f_max=f_true * 1.3, hop=40, win=512)
    assert np.isfinite(f0).all()
    cents = _cents(f0, f_true)
    t = np.arange(cents.size) * 40 / SR
    # rate: the peak of the zero-padded spectrum of the cents track
    spec = np.abs(np.fft.rfft((cents - cents.mean()) * np.hanning(cents.size), n=1 << 16))
    freqs = np.fft.rfftfreq(1 << 16, 40 / SR)
    measured_rate = freqs[np.argmax(spec)]
    # depth: least-squares sinusoid at the measured rate
    basis = np.stack([np.sin(2 * np.pi * measured_rate * t), np.cos(2 * np.pi * measured_rate * t), np.ones_like(t)], 1)
    coef, *_ = np.linalg.lstsq(basis, cents, rcond=None)
    measured_depth = float(np.hypot(coef[0], coef[1]))
    assert abs(measured_rate - rate) <= 0.1 * rate, measured_rate
    assert abs(measured_depth - depth) <= 0.1 * depth, measured_depth


# -- loudness -------------------------------------------------------------------------------------

LOUDNESS_INSTRUMENTS = ["violin", "cello", "flute", "oboe", "clarinet", "bassoon", "alto_sax", "trumpet", "horn",
                        "trombone", "tuba", "piano", "harp", "acoustic_guitar", "soprano", "tenor", "organ",
                        "marimba", "timpani", "drum_kit"]  # fmt: skip
MARKS = ["pp", "p", "mf", "f", "ff"]


@pytest.mark.parametrize("instrument", LOUDNESS_INSTRUMENTS)
def test_loudness_follows_dynamics(instrument):
    low, high = instruments.get(instrument).comfortable_range
    pitch = 38 if instrument == "drum_kit" else (low + high) // 2
    notes = tuple(Note(F(4 * i), F(3), pitch) for i in range(5))
    dyns = tuple(Dynamic(F(4 * i), m) for i, m in enumerate(MARKS))
    part = Part("p", instrument, instrument, notes=notes, dynamics=dyns)
    score = Score(parts=(part,), tempo_map=TempoMap((TempoMark(0, 120),)))
    decoder = None if instrument == "drum_kit" else timbre_for(instrument)  # None: the drum kit
    audio = render_part(part, score, RenderSettings(sample_rate=SR), decoder=decoder)[0].astype(np.float64)
    meter = pyloudnorm.Meter(SR, block_size=0.2)
    levels = []
    for note in notes:
        on = int(score.seconds_at(note.onset) * SR)
        levels.append(meter.integrated_loudness(audio[on : on + int(1.2 * SR)]))
    assert all(a < b for a, b in zip(levels, levels[1:])), dict(zip(MARKS, np.round(levels, 1)))


def test_a_hairpin_swells_a_held_note():
    note = Note(0, 8, 67)
    part = Part("p", "Violin", "violin", notes=(note,), dynamics=(Dynamic(0, "p"), Dynamic(8, "f")),
                hairpins=(Hairpin(0, 8, "crescendo"),))  # fmt: skip
    curves = perform_part(part, Score(parts=(part,)))
    (c,) = curves
    t = c.start_s + np.arange(c.n_frames) / c.frame_rate
    inside = (t > 0.5) & (t < 3.8)
    assert np.all(np.diff(c.loudness_db[inside]) > 0)


# -- clicks ------------------------------------------------------------------------------------------


def _max_step(x: np.ndarray) -> float:
    return float(np.max(np.abs(np.diff(x)))) if x.size > 1 else 0.0


@pytest.mark.parametrize("instrument", ["violin", "flute", "clarinet", "trumpet", "soprano", "piano", "harp"])
def test_no_clicks_at_starts_ends_and_legato_joins(instrument):
    low, high = instruments.get(instrument).comfortable_range
    mid = (low + high) // 2
    slur = ("start", "continue", "stop")
    notes = tuple(Note(F(i), F(1), mid + (0, 4, 7)[i], slur=slur[i]) for i in range(3)) + (
        Note(F(4), F(1), mid), Note(F(6), F(1, 2), mid + 2, articulations=frozenset({"staccato"})))
    part = Part("p", instrument, instrument, notes=notes, dynamics=(Dynamic(0, "ff"),))
    score = Score(parts=(part,), tempo_map=TempoMap((TempoMark(0, 90),)))
    timbre = timbre_for(instrument)
    harm = np.zeros(int(8 * SR))
    full = np.zeros(int(8 * SR))
    for c in perform_part(part, score):
        params = timbre.decode(c, sample_rate=SR)
        start = int(_segment_start(c.start_frame, 250.0 / SR))
        quiet = dataclasses.replace(params, noise_magnitudes=np.zeros_like(params.noise_magnitudes))
        h = synthesize(quiet, sample_rate=SR)[0]
        a = synthesize(params, sample_rate=SR)[0]
        harm[start : start + h.size] += h
        full[start : start + a.size] += a
    w = int(0.010 * SR)
    sustained = instrument not in ("piano", "harp")
    for k, note in enumerate(notes):
        on = score.seconds_at(note.onset)
        off = score.seconds_at(note.end)
        if sustained:
            # the steady middle of this note and of the one before it
            mids = []
            for m in {max(k - 1, 0), k}:
                o, e = score.seconds_at(notes[m].onset), score.seconds_at(notes[m].end)
                span = slice(int((o + 0.35 * (e - o)) * SR), int((o + 0.65 * (e - o)) * SR))
                mids.append((_max_step(harm[span]), _max_step(full[span])))
        else:
            # a struck note is loudest at its attack: compare with the 20 ms right after it
            span = slice(int(on * SR) + w, int(on * SR) + 3 * w)
            mids = [(_max_step(harm[span]), _max_step(full[span]))]
        steady_h = max(m[0] for m in mids)
        steady_f = max(m[1] for m in mids)
        for edge in (on, off) if sustained else (on,):
            around = slice(int(edge * SR) - w, int(edge * SR) + w)
            assert _max_step(harm[around]) <= 1.25 * steady_h, (instrument, k, edge, _max_step(harm[around]), steady_h)
            assert _max_step(full[around]) <= 2.0 * steady_f, (instrument, k, edge, _max_step(full[around]), steady_f)


# -- bounds -----------------------------------------------------------------------------------------

PITCHED = ["violin", "contrabass", "piccolo", "clarinet", "tuba", "trumpet", "piano", "harp", "soprano",
           "glockenspiel", "organ", "timpani"]  # fmt: skip


@st.composite
def extreme_scores(draw):
    bpm = draw(st.sampled_from([5.0, 40.0, 120.0, 400.0, 1000.0]))
    n_parts = draw(st.integers(1, 2))
    parts = []
    for i in range(n_parts):
        inst = draw(st.sampled_from(PITCHED + ["drum_kit"]))
        notes, t = [], F(0)
        for _ in range(draw(st.integers(1, 6))):
            dur = draw(st.sampled_from([F(1, 16), F(1, 4), F(1), F(3)]))
            if bpm < 10:
                dur = min(dur, F(1, 4))
            size = draw(st.integers(1, 1 if inst in ("violin", "trumpet") else 8))
            base = draw(st.integers(0, 127 - size))
            for j in range(size):
                notes.append(Note(
                    t, dur, min(127, base + j * draw(st.integers(1, 3))) if size > 1 else base,
                    velocity=draw(st.one_of(st.none(), st.integers(1, 127))),
                    articulations=frozenset(draw(st.sets(st.sampled_from(["accent", "marcato", "staccato", "fermata"]), max_size=2))),
                    vibrato_depth_cents=draw(st.one_of(st.none(), st.floats(0, 200))),
                    vibrato_rate_hz=draw(st.one_of(st.none(), st.floats(0, 20))),
                    brightness=draw(st.one_of(st.none(), st.floats(0, 1))),
                ))  # fmt: skip
            t += dur
        unique = {}
        for n in notes:
            unique.setdefault((n.onset, n.pitch), n)
        notes = list(unique.values())
        marks = draw(st.lists(st.sampled_from(sorted(DYNAMIC_MARKS)), min_size=1, max_size=3))
        dyns = tuple(Dynamic(F(k), m) for k, m in enumerate(marks))
        parts.append(Part(f"p{i}", inst, inst, notes=tuple(notes), dynamics=dyns,
                          hairpins=(Hairpin(0, max(t, F(1, 4)), draw(st.sampled_from(["crescendo", "diminuendo"]))),)))  # fmt: skip
    return Score(parts=tuple(parts), tempo_map=TempoMap((TempoMark(0, bpm),)))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(score=extreme_scores(), sample_rate=st.sampled_from([8000, 22050, 48000]))
def test_output_is_finite_and_within_full_scale(tmp_path_factory, score, sample_rate):
    out = tmp_path_factory.mktemp("bounds")
    result = render(score, out, sample_rate=sample_rate, seed=1, progress=False)
    import soundfile as sf

    for info in result.stems:
        audio, _ = sf.read(out / info.file, dtype="float32", always_2d=True)
        assert np.all(np.isfinite(audio))
        assert np.abs(audio).max() <= 1.0
