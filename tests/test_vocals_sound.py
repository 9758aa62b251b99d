"""The sung voice measured by Praat (praat-parselmouth): pitch, formants, /s/, vowel onsets.

Short renders at 16 kHz; the references and the published formant ranges are in
tests/praat_reference.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import praat_reference as pr
from partita.render.settings import RenderSettings
from partita.render.stems import render_part
from partita.symbolic.score import Note, Part, Score

SR = 16000
# 120 bpm: quarter = 0.5 s


def _sing(instrument: str, notes: tuple[Note, ...]) -> np.ndarray:
    p = Part("v", instrument.title(), instrument, notes=notes)
    return render_part(p, Score(parts=(p,)), RenderSettings(sample_rate=SR))[0]


@pytest.mark.parametrize("instrument,pitch", [("tenor", 55), ("tenor", 62), ("soprano", 62), ("soprano", 72),
                                              ("bass", 45), ("alto", 60)])  # fmt: skip
def test_sustained_pitch_is_within_10_cents(instrument, pitch):
    # a 2-second "ah" from 0.5 s: Praat's median f0 over its steady part (vibrato included)
    a = _sing(instrument, (Note(1, 4, pitch, lyric="ah"),))
    cents = pr.pitch_cents(a, SR, 0.8, 2.3, pitch)
    assert np.isfinite(cents).mean() > 0.9
    assert abs(np.nanmedian(cents)) <= 10.0
    # the vibrato is real: it moves the pitch by more than a few cents, less than a semitone
    assert 5.0 < np.nanpercentile(np.abs(cents), 90) < 100.0


def test_pitch_without_vibrato_is_within_10_cents_frame_by_frame():
    a = _sing("tenor", (Note(1, 4, 57, lyric="two", vibrato_depth_cents=0.0),))
    cents = pr.pitch_cents(a, SR, 0.8, 2.3, 57)
    assert np.nanmedian(np.abs(cents)) <= 10.0


@pytest.mark.parametrize("voice,pitch", [("tenor", 55), ("soprano", 60)])
@pytest.mark.parametrize("vowel", ["AA", "IY", "UW", "AE", "EH", "AO"])
def test_vowel_formants_fall_in_the_published_ranges(voice, pitch, vowel):
    a = _sing(voice, (Note(1, 4, pitch, lyric=pr.WORD[vowel]),))
    f1, f2 = pr.formants(a, SR, 1.1, 2.1, voice=voice)
    (lo1, hi1), (lo2, hi2) = pr.published_range(vowel, voice)
    assert lo1 <= f1 <= hi1, f"/{pr.IPA[vowel]}/ {voice}: F1 {f1:.0f} Hz outside {lo1:.0f}-{hi1:.0f}"
    assert lo2 <= f2 <= hi2, f"/{pr.IPA[vowel]}/ {voice}: F2 {f2:.0f} Hz outside {lo2:.0f}-{hi2:.0f}"


def test_vowels_are_told_apart_by_f2():
    # /i/ front, /u/ back: far apart in F2 for both voice types (a vowel-blind synth fails this)
    for voice, pitch in (("tenor", 55), ("soprano", 60)):
        f2 = {v: pr.formants(_sing(voice, (Note(1, 4, pitch, lyric=pr.WORD[v]),)), SR, 1.1, 2.1, voice=voice)[1]
              for v in ("IY", "UW")}  # fmt: skip
        assert f2["IY"] > 1.8 * f2["UW"]


def test_s_has_five_times_the_vowels_high_band_share():
    a = _sing("tenor", (Note(2, 4, 57, lyric="see"),))  # the vowel lands on 1.0 s
    s = pr.high_band_share(a, SR, 0.9, 0.98)
    vowel = pr.high_band_share(a, SR, 1.2, 1.8)
    assert s >= 5 * vowel
    assert s > 0.5  # /s/ is mostly above 4 kHz


WORDS = ["see", "two", "far", "sad", "tall", "caught", "fine", "shoe"]


def test_vowel_onsets_are_within_50_ms_of_the_beat():
    # voiceless onsets (s, t, f, k, sh): Praat's voicing starts where the vowel does
    notes = tuple(Note(2 + 2 * i, 2, 57 + (i % 3) * 2, lyric=w) for i, w in enumerate(WORDS))
    a = _sing("tenor", notes)
    onsets = pr.voicing_onsets(a, SR)
    for i, w in enumerate(WORDS):
        beat = 0.5 * (2 + 2 * i)
        err = onsets[np.argmin(np.abs(onsets - beat))] - beat
        assert abs(err) <= 0.05, f"{w!r}: vowel {1000 * err:+.0f} ms from the beat"


def test_onset_consonant_comes_before_the_beat_and_a_breath_before_that():
    # "see" on 1.0 s after a rest: /s/ in 0.87-0.98 s, an in-breath (quiet noise) before it,
    # silence before the breath
    a = _sing("tenor", (Note(2, 2, 57, lyric="see"),))
    t = np.arange(a.size) / SR

    def rms(lo, hi):
        return float(np.sqrt(np.mean(a[(t >= lo) & (t < hi)] ** 2)))

    vowel, s, breath = rms(1.2, 1.6), rms(0.9, 0.98), rms(0.55, 0.8)
    assert s > 0.05 * vowel
    assert 1e-4 * vowel < breath < 0.2 * vowel
    assert np.abs(a[t < 0.45]).max() < 1e-5
