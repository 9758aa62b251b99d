"""The performer's curve kernel against a plain float64 reference of the model, frame by frame.

The kernel leaves out terms whose factor is 0 and remembers what depends only on the sounding
note; the reference below evaluates every term at every frame, as the module docstring of
:mod:`partita.render.performance` states the model.
"""

from __future__ import annotations

import math
from fractions import Fraction as F

import numpy as np
import pytest

from partita.render import performance as perf
from partita.render.controls import SILENCE_DB
from partita.render.performance_kernel import curves_kernel
from partita.symbolic.dynamics import Dynamic, Hairpin
from partita.symbolic.score import Note, Part, Score
from partita.symbolic.timeline import TempoMap, TempoMark

FRAME_RATE = 250.0


def _violin() -> Part:
    """Legato runs (glides), long notes (vibrato after its delay), accents, own velocities."""
    notes = [
        Note(0, 2, 67, slur="start"), Note(2, F(1, 2), 69, slur="continue"), Note(F(5, 2), F(3, 2), 71, slur="stop"),
        Note(4, 1, 72, articulations=frozenset({"accent"})), Note(5, 1, 74, velocity=100),
        Note(6, 3, 76, articulations=frozenset({"fermata"})), Note(9, F(1, 3), 74, articulations=frozenset({"staccato"})),
        Note(F(28, 3), F(2, 3), 72, velocity=40, articulations=frozenset({"marcato"})),
    ]  # fmt: skip
    return Part("vn", "Violin", "violin", notes=tuple(notes), dynamics=(Dynamic(0, "p"), Dynamic(4, "sfz"), Dynamic(6, "f")),
                hairpins=(Hairpin(0, 4, "crescendo"),))  # fmt: skip


def _piano() -> Part:
    """Chords and single notes: decay by pitch, brightness decay, accents."""
    notes = [Note(0, 1, 48), Note(0, 1, 60), Note(0, 1, 64), Note(1, 2, 72, articulations=frozenset({"accent"})),
             Note(3, 1, 36, velocity=90), Note(3, 1, 84)]  # fmt: skip
    return Part("pf", "Piano", "piano", notes=tuple(notes), dynamics=(Dynamic(0, "mf"),))


def _reference(phrase, style: perf.Style, level, frame_rate: float):
    """f0, loudness, brightness and noise of one phrase, every term at every frame (float64)."""
    times, vel = level
    first_on = phrase[0].on_s
    off = max(p.off_s for p in phrase)
    start = max(int(np.floor(first_on * frame_rate)) - 1, 0)
    end = int(np.ceil((off + style.release_s) * frame_rate)) + 2
    ons = [p.on_s for p in phrase]
    pitches = [float(p.note.pitch) for p in phrase]
    out = np.empty((4, end - start))
    idx, phase = 0, 0.0
    for i, frame in enumerate(range(start, end)):
        ti = frame / frame_rate
        while idx + 1 < len(phrase) and ons[idx + 1] <= ti:
            idx += 1
        note = phrase[idx].note
        pitch = pitches[idx]
        for k in range(1, len(phrase)):
            a, b = pitches[k - 1], pitches[k]
            t0 = ons[k] - style.glide_s / 2.0
            if style.glide_s > 0 and a != b and t0 <= ti < ons[k] + style.glide_s / 2.0:
                x = min(max((ti - t0) / style.glide_s, 0.0), 1.0)
                pitch = a + (b - a) * 0.5 * (1.0 - math.cos(math.pi * x))
        depth = style.vibrato_depth_cents if note.vibrato_depth_cents is None else note.vibrato_depth_cents
        rate = style.vibrato_rate_hz if note.vibrato_rate_hz is None else note.vibrato_rate_hz
        phase += rate / frame_rate
        fade = min(max((ti - first_on - style.vibrato_delay_s) / 0.3, 0.0), 1.0)
        cents = depth * fade * math.sin(2.0 * math.pi * phase)
        out[0, i] = 440.0 * 2.0 ** ((pitch + cents / 100.0 - 69.0) / 12.0)
        v = min(max(float(np.interp(ti, times, vel)) + phrase[idx].velocity_offset, 1.0), 127.0)
        age = max(ti - ons[idx], 0.0)
        level_db = style.db_ff - style.db_range * (112.0 - v) / (112.0 - 33.0)
        level_db += phrase[idx].accent_db * math.exp(-age / 0.12)
        decay = 0.0 if style.sustained else -60.0 * age / (style.decay_s * 2.0 ** (-(pitches[idx] - 60.0) / 24.0))
        env = min(max((ti - first_on) / style.attack_s, 0.0), 1.0) * min(max(1.0 - (ti - off) / style.release_s, 0.0), 1.0)
        value = level_db + decay + 20.0 * math.log10(max(env, 1e-12)) if env > 0.0 else SILENCE_DB
        out[1, i] = max(value, SILENCE_DB)
        bright = style.brightness if note.brightness is None else note.brightness
        out[2, i] = min(max(bright - style.brightness_decay * (1.0 - math.exp(-age / 0.4)), 0.0), 1.0)
        if style.sustained:
            nz = style.sustain_noise + style.attack_noise * math.exp(-max(ti - first_on, 0.0) / 0.06)
        else:
            nz = style.attack_noise * math.exp(-age / 0.03)
        out[3, i] = min(max(nz, 0.0), 1.0)
    out[1, 0] = out[1, -1] = SILENCE_DB
    return start, out


@pytest.mark.parametrize("make, style_name", [(_violin, "bowed"), (_piano, "piano")])
def test_the_kernel_matches_the_model_frame_by_frame(make, style_name):
    part = make()
    score = Score(parts=(part,), tempo_map=TempoMap((TempoMark(0, 96.0), TempoMark(6, 72.0))))
    style = perf.STYLES[style_name]
    level = perf.level_curve(part, score)
    phrases = perf._phrases(perf._timed_notes(part, score, style, seed=0, humanize=0.0, level=level), style)
    curves = perf.perform_part(part, score, frame_rate=FRAME_RATE)
    assert len(curves) == len(phrases) >= 4
    by_start = {(c.start_frame, c.voice): c for c in curves}
    vibrato_seen = False
    for phrase in phrases:
        start, ref = _reference(phrase, style, level, FRAME_RATE)
        c = by_start[(start, phrase[0].note.voice)]
        got = np.stack([c.f0_hz, c.loudness_db, c.brightness, c.noise]).astype(np.float64)
        assert got.shape == ref.shape
        # float32 curves of a float64 model: within float32 rounding (and the odd ulp of libm)
        np.testing.assert_allclose(got, ref.astype(np.float32), rtol=2e-6, atol=1e-5)
        f0 = c.f0_hz.astype(np.float64)
        vibrato_seen |= bool(np.ptp(f0) > 0 and len(phrase) == 1 and style.vibrato_depth_cents > 0)
    assert vibrato_seen or style.vibrato_depth_cents == 0


def test_one_call_for_every_phrase_is_one_call_per_phrase():
    """The batched kernel gives each phrase the bits the one-phrase kernel gives it alone."""
    part = _violin()
    score = Score(parts=(part,))
    style = perf.STYLES["bowed"]
    level = perf.level_curve(part, score)
    phrases = perf._phrases(perf._timed_notes(part, score, style, seed=0, humanize=1.0, level=level), style)
    curves = perf._phrases_curves(phrases, part, style, level, frame_rate=FRAME_RATE, seed=0)
    for phrase, c in zip(phrases, curves):
        notes = [p.note for p in phrase]
        n = c.n_frames
        outs = [np.empty(n, np.float32) for _ in range(4)]
        params = np.array([FRAME_RATE, phrase[0].on_s, max(p.off_s for p in phrase), style.glide_s,
                           style.vibrato_delay_s, style.attack_s, style.release_s, float(style.sustained),
                           style.decay_s, style.db_ff, style.db_range, style.brightness_decay,
                           style.attack_noise, style.sustain_noise, SILENCE_DB])  # fmt: skip
        curves_kernel(
            np.arange(c.start_frame, c.start_frame + n) / FRAME_RATE, np.array([p.on_s for p in phrase]),
            np.array([float(m.pitch) for m in notes]), np.full(len(notes), float(style.vibrato_depth_cents)),
            np.full(len(notes), style.vibrato_rate_hz), np.array([p.velocity_offset for p in phrase]),
            np.array([p.accent_db for p in phrase]), np.full(len(notes), style.brightness),
            level[0], level[1], params, *outs,
        )  # fmt: skip
        for a, b in zip(outs, (c.f0_hz, c.loudness_db, c.brightness, c.noise)):
            assert a.tobytes() == b.tobytes()
