"""The shipped neural decoders, rendered from scores: the default for their instruments, right
pitch across the range, loudness following the dynamics, a designed fallback elsewhere."""

from __future__ import annotations

from fractions import Fraction as F

import numpy as np
import pyloudnorm
import pytest

from partita import instruments
from partita.render.neural_infer import NeuralDecoder, decoder_for, shipped_decoder, shipped_manifest
from partita.render.settings import RenderSettings
from partita.render.stems import render_part
from partita.symbolic.dynamics import Dynamic
from partita.symbolic.score import Note, Part, Score
from partita.symbolic.timeline import TempoMap, TempoMark

SR = 16000
SHIPPED = sorted(k for k, e in shipped_manifest().items() if e.get("kind", "instrument-decoder") == "instrument-decoder")


#: The pitch test renders at the render's default rate: at 16 kHz the period of the organ's
#: G6 (1568 Hz) is 10 samples, and the autocorrelation's parabolic interpolation alone misreads
#: it by 16 cents on an octave-rich spectrum (0.6 cents at 48 kHz).
PITCH_SR = 48000


def _pitch(x: np.ndarray, f_true: float, sr: int = SR) -> float:
    """f0 by the autocorrelation peak nearest the expected period (float64, no decoder code)."""
    x = x - x.mean()
    r = np.fft.irfft(np.abs(np.fft.rfft(x, 2 * len(x))) ** 2)[: len(x)]
    lo, hi = int(sr / (f_true * 1.4)), int(sr / (f_true / 1.4)) + 1
    lag = lo + int(np.argmax(r[lo:hi]))
    a, b, c = r[lag - 1 : lag + 2]
    return sr / (lag + 0.5 * (a - c) / (a - 2 * b + c))


def test_shipped_instruments_render_neural_by_default_others_designed() -> None:
    assert SHIPPED, "no shipped weights"
    for name in SHIPPED:
        assert isinstance(decoder_for(name), NeuralDecoder)
    designed = decoder_for("synth_pad")  # a synthesizer: a designed timbre (render/renderers.toml says why)
    assert not isinstance(designed, NeuralDecoder) and designed.decoder_id == "synth_pad"
    assert decoder_for("celesta").decoder_id == "strings:celesta"  # a modal string model since session 12
    assert decoder_for("harpsichord").decoder_id == "strings:harpsichord"  # a string model since session 9


@pytest.mark.parametrize("name", SHIPPED)
def test_pitch_across_the_comfortable_range(name) -> None:
    low, high = instruments.get(name).comfortable_range
    pitches = [low, (low + high) // 2, high]
    notes = tuple(Note(F(3 * i), F(2), p, vibrato_depth_cents=0.0) for i, p in enumerate(pitches))
    part = Part("p", name, name, notes=notes, dynamics=(Dynamic(0, "mf"),))
    score = Score(parts=(part,), tempo_map=TempoMap((TempoMark(0, 120),)))
    audio = render_part(part, score, RenderSettings(sample_rate=PITCH_SR), decoder=shipped_decoder(name))[0].astype(np.float64)
    for note in notes:
        f_true = 440.0 * 2 ** ((note.pitch - 69) / 12)
        on = score.seconds_at(note.onset)
        seg = audio[int((on + 0.15) * PITCH_SR) : int((on + 0.85) * PITCH_SR)]
        assert np.abs(seg).max() > 1e-3, f"{name} {note.pitch}: silent"
        cents = 1200 * np.log2(_pitch(seg, f_true, PITCH_SR) / f_true)
        assert abs(cents) < 10, f"{name} {note.pitch}: {cents:.1f} cents"


@pytest.mark.parametrize("name", SHIPPED)
def test_loudness_follows_dynamics(name) -> None:
    low, high = instruments.get(name).comfortable_range
    pitch = (low + high) // 2
    marks = ["pp", "p", "mf", "f", "ff"]
    notes = tuple(Note(F(4 * i), F(3), pitch) for i in range(5))
    part = Part("p", name, name, notes=notes, dynamics=tuple(Dynamic(F(4 * i), m) for i, m in enumerate(marks)))
    score = Score(parts=(part,), tempo_map=TempoMap((TempoMark(0, 120),)))
    audio = render_part(part, score, RenderSettings(sample_rate=SR), decoder=shipped_decoder(name))[0].astype(np.float64)
    meter = pyloudnorm.Meter(SR, block_size=0.2)
    levels = [meter.integrated_loudness(audio[int(score.seconds_at(n.onset) * SR) :][: int(1.2 * SR)]) for n in notes]
    assert all(a < b for a, b in zip(levels, levels[1:])), dict(zip(marks, np.round(levels, 1)))
