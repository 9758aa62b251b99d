"""The singer: a decoder from sung control curves to harmonics and noise.

A formant-rule harmonic-plus-noise voice (the same outputs as every decoder, rendered by the
common kernels of :mod:`partita.render.synth`). Per frame of a sung phrase
(:mod:`partita.render.singing` gives f0, loudness and the vocal tract):

* **Harmonics.** Harmonic *k* of f0 has the source amplitude ``k^-tilt`` (glottal flow
  -12 dB/octave, lip radiation +6: ``tilt`` about 1; the fundamental ``h1_db`` stronger in
  female voices) times the magnitude of a cascade of five
  two-pole resonators F1-F5 with bandwidths B1-B5, each with unit gain at 0 Hz (Klatt 1980) and
  F3-F5 falling only 3 dB/octave above their frequency (in place of Klatt's higher-pole correction),
  times a singer's-formant boost for the male voices (``voices.toml``). When f0 rises above F1
  the first formant follows it (F1 tuning of sopranos, Sundberg 1987). The harmonic part's RMS
  is the curve's loudness times the tract's voicing, whatever the vowel.
* **Noise** (65 bands from 0 Hz to Nyquist): frication -- a log-Gaussian band at the
  consonant's centre frequency and width, with RMS = loudness x frication level -- plus
  aspiration -- white noise shaped by the same formant cascade, RMS = loudness x aspiration
  level (breath, /h/, breathiness of vowels).

>>> from partita.symbolic.score import Note, Part, Score
>>> from partita.render.singing import perform_sung_part
>>> p = Part("s", "Soprano", "soprano", notes=(Note(0, 2, 67, lyric="see"),))
>>> curves, _ = perform_sung_part(p, Score(parts=(p,)))
>>> sp = SingerDecoder("soprano").decode(curves[0], sample_rate=16000)
>>> sp.harmonic_distribution.shape[1], sp.noise_magnitudes.shape[1]
(60, 65)
"""

from __future__ import annotations

import hashlib
import json
import math

import numpy as np

from partita.errors import ConfigError
from partita.render.controls import SILENCE_DB, ControlCurves, SynthParams
from partita.render.jit import njit
from partita.render.singing import voice_data

__all__ = ["SingerDecoder", "N_HARMONICS", "N_BANDS"]

N_HARMONICS = 60
N_BANDS = 65
_VERSION = "singer-1"


@njit(cache=True, error_model="numpy", nogil=True, inline="always")
def _cascade(f, tract, f1):
    """|H(f)| of five resonators in cascade, unit gain at 0 Hz (F1 replaced by ``f1``), F3-F5
    falling 3 dB/octave (not 12) above their own frequency."""
    w = 2.0 * math.pi * f
    g = 1.0
    for q in range(5):
        fq = f1 if q == 0 else tract[q]
        sigma = math.pi * tract[5 + q]
        omega = 2.0 * math.pi * fq
        num = sigma * sigma + omega * omega
        d1 = math.sqrt(sigma * sigma + (w - omega) ** 2)
        d2 = math.sqrt(sigma * sigma + (w + omega) ** 2)
        r = num / (d1 * d2)
        if q >= 2 and w > omega:
            # above their frequencies F3-F5 fall 3 dB/octave each, not 12 (five two-pole sections
            # would fall 60 dB/octave above F5; Klatt's higher-pole correction does this job)
            r *= (w / omega) ** 1.5
        g *= r
    return g


@njit(cache=True, error_model="numpy", nogil=True)
def _singer_kernel(f0, loud, tract, params, amplitude, dist, mags):
    tilt, sf_hz, sf_gain, h1_gain, nyq, silence = params[0], params[1], params[2], params[3], params[4], params[5]
    n_harm = dist.shape[1]
    n_bands = mags.shape[1]
    lg = np.empty(n_harm)
    asp = np.empty(n_bands)
    for i in range(f0.shape[0]):
        f = np.float64(f0[i])
        db = np.float64(loud[i])
        tr = tract[i]
        rms = 10.0 ** (db / 20.0) / math.sqrt(2.0) if db > silence else 0.0
        f1 = max(np.float64(tr[0]), 1.05 * f)  # F1 tuning: the first formant follows a high f0
        voicing = max(np.float64(tr[10]), 0.0)
        total = 0.0
        power = 0.0
        for k in range(n_harm):
            fk = f * (k + 1)
            if fk >= 0.96 * nyq:
                lg[k] = 0.0
                continue
            s = (k + 1.0) ** (-tilt) * _cascade(fk, tr, f1)
            if k == 0:
                s *= h1_gain
            if sf_gain > 0.0:
                x = math.log2(fk / sf_hz) / 0.2
                s *= 1.0 + sf_gain * math.exp(-0.5 * x * x)
            lg[k] = s
        top = 0.0
        for k in range(n_harm):
            top = max(top, lg[k])
        for k in range(n_harm):
            s = lg[k] / top if top > 0.0 else 0.0
            if s < 1e-3:  # 60 dB below the strongest
                s = 0.0
            if k == 0:
                s = max(s, 1e-6)
            lg[k] = s
            total += s
            power += s * s
        amplitude[i] = rms * voicing * total / math.sqrt(power / 2.0)
        for k in range(n_harm):
            dist[i, k] = lg[k] / total
        # noise: frication band + formant-shaped aspiration, each scaled to its RMS
        fric = rms * max(np.float64(tr[11]), 0.0)
        aspl = rms * max(np.float64(tr[14]), 0.0)
        centre = max(np.float64(tr[12]), 100.0)
        width = max(np.float64(tr[13]), 0.1)
        sf = 0.0
        sa = 0.0
        for j in range(n_bands):
            fb = nyq * j / (n_bands - 1)
            x = math.log2(max(fb, 50.0) / centre) / width
            g = math.exp(-0.5 * x * x)
            mags[i, j] = g
            sf += g * g
            a = _cascade(fb, tr, f1) if j > 0 else 1.0
            asp[j] = a
            sa += a * a
        nf = fric / math.sqrt(sf / n_bands) if sf > 0.0 else 0.0
        na = aspl / math.sqrt(sa / n_bands) if sa > 0.0 else 0.0
        for j in range(n_bands):
            m = nf * mags[i, j] + na * asp[j]
            mags[i, j] = m if m > 1e-6 else 0.0


class SingerDecoder:
    """The formant-rule singing voice of one voice type (a :class:`~partita.render.timbres.Decoder`).

    Parameters
    ----------
    voice_type
        ``soprano``, ``mezzo``, ``alto``, ``tenor``, ``baritone`` or ``bass`` (``voices.toml``).
    """

    def __init__(self, voice_type: str) -> None:
        voices = voice_data()["voice"]
        if voice_type not in voices:
            raise ConfigError(f"voice type {voice_type!r} is not one of {', '.join(voices)}")
        self.voice_type = voice_type
        self.decoder_id = f"singer-{voice_type}"
        v = voices[voice_type]
        self._params = (float(v["tilt"]), float(v["sf_hz"] or 1000.0),
                        10.0 ** (v["sf_db"] / 20.0) - 1.0 if v["sf_hz"] else 0.0, 10.0 ** (v["h1_db"] / 20.0))  # fmt: skip

    def fingerprint(self) -> str:
        """sha256 of the voice data and the decoder's version."""
        blob = json.dumps({"v": _VERSION, "data": voice_data()}, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()

    def decode(self, curves: ControlCurves, *, sample_rate: int) -> SynthParams:
        """Sung curves (with ``tract``) -> SynthParams (60 harmonics, 65 noise bands)."""
        if curves.tract is None:
            raise ConfigError(f"part {curves.part_id!r}: the singer needs sung curves (with a vocal tract)")
        n = curves.n_frames
        amplitude = np.empty(n, np.float32)
        dist = np.empty((n, N_HARMONICS), np.float32)
        mags = np.empty((n, N_BANDS), np.float32)
        params = np.array([*self._params, sample_rate / 2.0, SILENCE_DB])
        _singer_kernel(curves.f0_hz, curves.loudness_db, np.ascontiguousarray(curves.tract, np.float64), params,
                       amplitude, dist, mags)  # fmt: skip
        return SynthParams._trusted(
            f0_hz=curves.f0_hz, amplitude=amplitude, harmonic_distribution=dist, noise_magnitudes=mags,
            start_frame=curves.start_frame, frame_rate=curves.frame_rate, seed=curves.seed,
        )  # fmt: skip
