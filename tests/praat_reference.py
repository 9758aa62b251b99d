"""Praat (praat-parselmouth) as the independent reference for sung audio, and the published
vowel formant tables the singer is held to.

Used by tests/test_vocals_*.py and benchmarks/bench_vocals.py.

The tables are typed here from the papers, independently of ``render/voices.toml``:

* Hillenbrand, Getty, Clark & Wheeler, J. Acoust. Soc. Am. 97 (1995) 3099-3111, Table V
  (steady-state means; men and women);
* Peterson & Barney, J. Acoust. Soc. Am. 24 (1952) 175-184, Table II (means; men and women).

The *published range* of a vowel's F1 (F2) for a voice type is the interval spanned by the two
tables' means for its sex, widened by 10 % on each side (about one between-speaker standard
deviation of F1/F2 in Hillenbrand et al.'s data). Tenors and basses are held to the men's
values, sopranos and altos to the women's.
"""

from __future__ import annotations

import numpy as np

#: vowel -> (F1, F2), Hz
HILLENBRAND_1995 = {
    "men": {"AA": (768, 1333), "IY": (342, 2322), "UW": (378, 997), "AE": (588, 1952), "EH": (580, 1799),
            "AO": (652, 997)},
    "women": {"AA": (936, 1551), "IY": (437, 2761), "UW": (459, 1105), "AE": (669, 2349), "EH": (731, 2058),
              "AO": (781, 1136)},
}  # fmt: skip
PETERSON_BARNEY_1952 = {
    "men": {"AA": (730, 1090), "IY": (270, 2290), "UW": (300, 870), "AE": (660, 1720), "EH": (530, 1840),
            "AO": (570, 840)},
    "women": {"AA": (850, 1220), "IY": (310, 2790), "UW": (370, 950), "AE": (860, 2050), "EH": (610, 2330),
              "AO": (590, 920)},
}  # fmt: skip
#: IPA of the ARPABET vowels measured
IPA = {"AA": "ɑ", "IY": "i", "UW": "u", "AE": "æ", "EH": "ɛ", "AO": "ɔ"}
#: a one-syllable English word sung on each vowel (its CMU entry has that vowel)
WORD = {"AA": "ah", "IY": "see", "UW": "two", "AE": "had", "EH": "bed", "AO": "law"}
GROUP = {"tenor": "men", "baritone": "men", "bass": "men", "soprano": "women", "alto": "women", "mezzo_soprano": "women"}
#: Praat's advice for the formant ceiling: 5000 Hz for men, 5500 Hz for women
MAX_FORMANT = {"men": 5000.0, "women": 5500.0}


def published_range(vowel: str, voice: str) -> tuple[tuple[float, float], tuple[float, float]]:
    """((F1 low, F1 high), (F2 low, F2 high)) for a vowel and a voice type (see module doc)."""
    g = GROUP[voice]
    a, b = HILLENBRAND_1995[g][vowel], PETERSON_BARNEY_1952[g][vowel]
    return tuple((min(a[k], b[k]) * 0.9, max(a[k], b[k]) * 1.1) for k in (0, 1))  # type: ignore[return-value]


def sound(audio: np.ndarray, sample_rate: int):
    import parselmouth

    return parselmouth.Sound(np.asarray(audio, dtype=np.float64).reshape(-1), sampling_frequency=float(sample_rate))


def pitch_cents(audio, sample_rate: int, t0: float, t1: float, midi: float) -> np.ndarray:
    """Praat's f0 (autocorrelation) every 10 ms in [t0, t1) as cents from ``midi``; NaN unvoiced."""
    snd = sound(audio, sample_rate)
    pitch = snd.to_pitch(time_step=0.01, pitch_floor=60.0, pitch_ceiling=1200.0)
    ref = 440.0 * 2.0 ** ((midi - 69) / 12)
    f0 = np.array([pitch.get_value_at_time(t) for t in np.arange(t0, t1, 0.01)], dtype=float)
    return 1200.0 * np.log2(f0 / ref)


def formants(audio, sample_rate: int, t0: float, t1: float, *, voice: str) -> tuple[float, float]:
    """Median F1 and F2 (Praat, Burg, 5 formants, ceiling by sex) over [t0, t1)."""
    snd = sound(audio, sample_rate)
    fm = snd.to_formant_burg(time_step=0.01, max_number_of_formants=5, maximum_formant=MAX_FORMANT[GROUP[voice]])
    ts = np.arange(t0, t1, 0.01)
    f1 = np.nanmedian([fm.get_value_at_time(1, t) for t in ts])
    f2 = np.nanmedian([fm.get_value_at_time(2, t) for t in ts])
    return float(f1), float(f2)


def formant_tracks(audio, sample_rate: int, *, voice: str, time_step: float = 0.01):
    """(times, F1, F2, F3) tracks over the whole sound (for pictures)."""
    snd = sound(audio, sample_rate)
    fm = snd.to_formant_burg(time_step=time_step, max_number_of_formants=5, maximum_formant=MAX_FORMANT[GROUP[voice]])
    ts = np.array(fm.ts())
    return ts, *(np.array([fm.get_value_at_time(k, t) for t in ts]) for k in (1, 2, 3))


def high_band_share(audio, sample_rate: int, t0: float, t1: float, *, cut_hz: float = 4000.0) -> float:
    """Share of the energy above ``cut_hz`` in [t0, t1) (Praat spectrum band energies)."""
    snd = sound(audio, sample_rate).extract_part(from_time=t0, to_time=t1)
    spec = snd.to_spectrum()
    nyq = sample_rate / 2.0
    total = spec.get_band_energy(0.0, nyq)
    return float(spec.get_band_energy(cut_hz, nyq) / total) if total > 0 else 0.0


def voicing_onsets(audio, sample_rate: int) -> np.ndarray:
    """Times (s) where Praat's pitch track goes from unvoiced to voiced (5 ms steps)."""
    snd = sound(audio, sample_rate)
    pitch = snd.to_pitch(time_step=0.005, pitch_floor=60.0, pitch_ceiling=1200.0)
    ts = np.array(pitch.ts())
    voiced = np.array([pitch.get_value_at_time(t) for t in ts])
    voiced = np.isfinite(voiced)
    idx = np.flatnonzero(voiced[1:] & ~voiced[:-1]) + 1
    return ts[idx]
