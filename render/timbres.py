"""Decoders: control curves in, synthesis parameters out ("controls, then signal").

A decoder maps each frame of a phrase's :class:`~partita.render.controls.ControlCurves` (f0,
loudness, brightness, noise amount) to an overall amplitude, a harmonic distribution and noise
band magnitudes (:class:`~partita.render.controls.SynthParams`). Anything with a ``decode``
method and a ``fingerprint`` is a decoder (:class:`Decoder`); a trained neural decoder plugs in
the same way, and the synthesizer never knows which one ran.

Until trained decoders ship, every instrument has a hand-designed :class:`DesignedTimbre`: a
source spectrum whose tilt follows brightness (and, for brass and piano, loudness), optional
odd-harmonic emphasis (clarinets), formant resonances (voices, double reeds, string bodies) and
a noise spectrum (bow, breath, pluck, hammer) whose level follows the ``noise`` curve.

Levels: ``loudness_db`` is the RMS level of the harmonic part in dB relative to a full-scale
sine (0 dB = RMS 0.707), whatever the spectrum: a brighter sound at the same loudness is not
louder, so loudness marks map to level and nothing else.

>>> import numpy as np
>>> from partita.render.controls import ControlCurves
>>> c = ControlCurves(part_id="cl", voice=1, start_frame=0, frame_rate=250.0,
...                   f0_hz=np.full(5, 220.0), loudness_db=np.full(5, -20.0),
...                   brightness=np.full(5, 0.5), noise=np.zeros(5), seed=0)
>>> p = timbre_for("clarinet").decode(c, sample_rate=48000)
>>> p.harmonic_distribution.shape, bool(p.harmonic_distribution[0, 1] < p.harmonic_distribution[0, 2])
((5, 60), True)
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from dataclasses import asdict, dataclass
from typing import Mapping, Protocol, runtime_checkable

import numba
import numpy as np

from partita.errors import ConfigError
from partita.render.controls import SILENCE_DB, ControlCurves, SynthParams

__all__ = [
    "Decoder",
    "DesignedTimbre",
    "Formant",
    "N_HARMONICS",
    "N_BANDS",
    "TIMBRES",
    "STYLE_OF_INSTRUMENT",
    "style_of",
    "timbre_for",
]

N_HARMONICS = 60
N_BANDS = 17
_VERSION = 1


@runtime_checkable
class Decoder(Protocol):
    """What the renderer needs from a decoder.

    ``decode`` maps one phrase's curves to synthesis parameters; ``fingerprint`` is a string
    that changes whenever the decoder would decode differently (a hash of its parameters or
    weights): the stem cache keys on it.
    """

    decoder_id: str

    def decode(self, curves: ControlCurves, *, sample_rate: int) -> SynthParams:  # pragma: no cover
        ...

    def fingerprint(self) -> str:  # pragma: no cover
        ...


@dataclass(frozen=True, slots=True)
class Formant:
    """A resonance of the spectral envelope: centre (Hz), bandwidth (Hz), gain (dB)."""

    freq_hz: float
    bandwidth_hz: float
    gain_db: float


@dataclass(frozen=True, slots=True)
class DesignedTimbre:
    """A hand-designed harmonic-plus-noise timbre.

    Parameters
    ----------
    decoder_id
        Name of the timbre (``"bowed"``, ``"clarinet"``...).
    tilt
        Exponent p of the source spectrum k^-p at brightness 0.5 and loudness ``ref_db``.
    tilt_per_brightness
        How much p falls per unit of brightness above 0.5 (brighter = flatter spectrum).
    tilt_per_10db
        How much p falls per 10 dB of loudness above ``ref_db`` (brass, piano: louder is
        brighter). 0 for instruments whose colour does not follow level.
    ref_db
        Loudness (dB) at which ``tilt`` holds.
    even_gain
        Gain of even harmonics below ``odd_below_hz`` (clarinet: the closed pipe).
    odd_below_hz
        Frequency below which ``even_gain`` applies.
    formants
        Resonances added to the envelope (dB gain over a flat floor of 0 dB).
    lowpass_hz
        -3 dB point of a gentle (12 dB/octave) lowpass on the harmonics, at brightness 0.5;
        it moves an octave per unit of brightness.
    noise_db
        Noise level relative to the harmonic level when the noise curve is 1.
    noise_center_hz, noise_octaves
        The noise spectrum: a bump centred at ``noise_center_hz`` with a width (standard
        deviation) of ``noise_octaves`` octaves.
    """

    decoder_id: str
    tilt: float = 1.2
    tilt_per_brightness: float = 1.2
    tilt_per_10db: float = 0.0
    ref_db: float = -20.0
    even_gain: float = 1.0
    odd_below_hz: float = 0.0
    formants: tuple[Formant, ...] = ()
    lowpass_hz: float = 8000.0
    noise_db: float = -30.0
    noise_center_hz: float = 3000.0
    noise_octaves: float = 1.5

    def fingerprint(self) -> str:
        """sha256 of this timbre's parameters and the decoder code version."""
        return _fingerprint(self)

    def decode(self, curves: ControlCurves, *, sample_rate: int) -> SynthParams:
        """Decode one phrase; see the module docstring for the level convention."""
        if sample_rate <= 0:
            raise ConfigError(f"sample rate {sample_rate} must be positive")
        n = curves.n_frames
        params, formants, band_shape = _tables(self, int(sample_rate))
        amplitude = np.empty(n, np.float32)
        dist = np.empty((n, N_HARMONICS), np.float32)
        mags = np.empty((n, N_BANDS), np.float32)
        _decode_kernel(curves.f0_hz, curves.loudness_db, curves.brightness, curves.noise, params, formants,
                       band_shape, amplitude, dist, mags)  # fmt: skip
        f0 = curves.f0_hz
        if f0.dtype != np.float32 or not f0.flags.c_contiguous:
            f0 = np.ascontiguousarray(f0, dtype=np.float32)
        # the kernel's own output, from checked curves: no second check
        return SynthParams._trusted(
            f0_hz=f0, amplitude=amplitude, harmonic_distribution=dist, noise_magnitudes=mags,
            start_frame=curves.start_frame, frame_rate=curves.frame_rate, seed=curves.seed,
        )  # fmt: skip


@functools.lru_cache(maxsize=256)
def _fingerprint(timbre: DesignedTimbre) -> str:
    blob = json.dumps({"v": _VERSION, **asdict(timbre)}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


@functools.lru_cache(maxsize=128)
def _tables(timbre: DesignedTimbre, sample_rate: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-timbre constants of the decode kernel: parameters, formants, noise band shape."""
    nyq = sample_rate / 2.0
    formants = np.array([[f.freq_hz, f.bandwidth_hz, 10 ** (f.gain_db / 20) - 1.0] for f in timbre.formants],
                        dtype=np.float64).reshape(-1, 3)  # fmt: skip
    band_hz = np.linspace(0.0, nyq, N_BANDS)
    octaves = np.log2(np.maximum(band_hz, 1.0) / timbre.noise_center_hz) / timbre.noise_octaves
    band_shape = np.exp(-0.5 * octaves**2)
    band_shape /= np.sqrt(np.mean(band_shape**2))  # unit-variance noise in, this RMS out
    params = np.array([timbre.tilt, timbre.tilt_per_brightness, timbre.tilt_per_10db, timbre.ref_db, timbre.even_gain,
                       timbre.odd_below_hz, timbre.lowpass_hz, 10 ** (timbre.noise_db / 20), nyq, SILENCE_DB])  # fmt: skip
    for a in (params, formants, band_shape):
        a.setflags(write=False)
    return params, formants, band_shape


@numba.njit(cache=True, error_model="numpy", nogil=True)
def _decode_kernel(f0, loud, bright, noise, params, formants, band_shape, amplitude, dist, mags):
    tilt, tilt_b, tilt_l, ref_db, even_gain, odd_below, lowpass, noise_gain, nyq, silence = (
        params[0], params[1], params[2], params[3], params[4], params[5], params[6], params[7], params[8], params[9])
    n_harm = dist.shape[1]
    n_bands = mags.shape[1]
    log_k = np.empty(n_harm)
    for k in range(n_harm):
        log_k[k] = math.log(k + 1.0)
    lg = np.empty(n_harm)
    env_bound = 1.0  # an upper bound of the formant envelope (1 + sum of formant gains)
    for q in range(formants.shape[0]):
        env_bound += max(formants[q, 2], 0.0)
    for i in range(f0.shape[0]):
        if (i > 0 and f0[i] == f0[i - 1] and bright[i] == bright[i - 1] and loud[i] == loud[i - 1]
                and noise[i] == noise[i - 1]):  # fmt: skip
            # a held frame (no vibrato, no envelope change): the same parameters
            amplitude[i] = amplitude[i - 1]
            for k in range(n_harm):
                dist[i, k] = dist[i - 1, k]
            for j in range(n_bands):
                mags[i, j] = mags[i - 1, j]
            continue
        f = np.float64(f0[i])
        b = np.float64(bright[i])
        db = np.float64(loud[i])
        p = tilt - tilt_b * (b - 0.5) - tilt_l * (db - ref_db) / 10.0
        p = min(max(p, 0.2), 6.0)
        inv_cut = 1.0 / (lowpass * 2.0 ** (b - 0.5))
        rms = 10.0 ** (db / 20.0) / math.sqrt(2.0) if db > silence else 0.0
        total = 0.0
        power = 0.0
        top = 0.0
        stop = n_harm
        for k in range(n_harm):
            fk = f * (k + 1)
            if fk >= 0.96 * nyq:  # the synth fades these out: do not count them
                stop = k
                break
            r = fk * inv_cut
            r2 = r * r
            s = math.exp(-p * log_k[k]) / math.sqrt(1.0 + r2 * r2)  # k^-p, 12 dB/octave lowpass
            if top > 0.0 and s * env_bound < 1e-3 * top:
                # the source falls with k and the envelope is bounded: the rest is below -60 dB
                stop = k
                break
            if (k + 1) % 2 == 0 and fk < odd_below:
                s *= even_gain
            if formants.shape[0] > 0:
                env = 0.0
                for q in range(formants.shape[0]):
                    x = (fk - formants[q, 0]) / (formants[q, 1] / 2.0)
                    env += formants[q, 2] / (1.0 + x * x)
                s *= max(1.0 + env, 0.01)
            lg[k] = s
            top = max(top, s)
        for k in range(stop, n_harm):
            lg[k] = 0.0
        for k in range(n_harm):
            s = lg[k] / top if top > 0 else 0.0
            if s < 1e-3 or s * rms < 1e-6:  # 60 dB below the strongest, or below -120 dBFS
                s = 0.0
            if k == 0:
                s = max(s, 1e-6)  # the fundamental is always there
            lg[k] = s
            total += s
            power += s * s
        amplitude[i] = rms * total / math.sqrt(power / 2.0)
        for k in range(n_harm):
            dist[i, k] = lg[k] / total
        nr = rms * np.float64(noise[i]) * noise_gain
        if nr < 1e-5:  # below -100 dB: the noise kernel skips the frame
            nr = 0.0
        for j in range(n_bands):
            mags[i, j] = nr * band_shape[j]


_F = Formant
#: The designed timbres, by style name.
TIMBRES: Mapping[str, DesignedTimbre] = {
    # bowed strings: sawtooth-like source (Helmholtz motion), body resonances, bow noise
    "bowed": DesignedTimbre(
        "bowed", tilt=1.0, formants=(_F(280, 120, 6), _F(500, 250, 3), _F(2800, 1500, 5)),
        lowpass_hz=6000, noise_db=-26, noise_center_hz=3500, noise_octaves=1.2,
    ),
    "bowed_low": DesignedTimbre(
        "bowed_low", tilt=0.9, formants=(_F(110, 60, 6), _F(250, 150, 4), _F(1500, 900, 3)),
        lowpass_hz=3500, noise_db=-28, noise_center_hz=1500, noise_octaves=1.2,
    ),
    # flute: nearly sinusoidal, strong breath noise
    "flute": DesignedTimbre(
        "flute", tilt=2.6, tilt_per_10db=0.3, lowpass_hz=5000, noise_db=-20,
        noise_center_hz=2500, noise_octaves=1.6,
    ),
    # clarinet: closed cylindrical pipe, odd harmonics dominate in the low register
    "clarinet": DesignedTimbre(
        "clarinet", tilt=1.1, even_gain=0.12, odd_below_hz=2200, lowpass_hz=5000, noise_db=-34,
        noise_center_hz=2500,
    ),
    # double reeds: bright, nasal formant region
    "oboe": DesignedTimbre(
        "oboe", tilt=0.7, formants=(_F(1100, 500, 10), _F(2900, 900, 5)), lowpass_hz=6000,
        noise_db=-34, noise_center_hz=3000,
    ),
    "bassoon": DesignedTimbre(
        "bassoon", tilt=0.8, formants=(_F(480, 200, 10), _F(1200, 500, 5)), lowpass_hz=3500,
        noise_db=-34, noise_center_hz=1500,
    ),
    "sax": DesignedTimbre(
        "sax", tilt=0.9, tilt_per_10db=0.2, formants=(_F(900, 600, 6),), lowpass_hz=5000,
        noise_db=-30, noise_center_hz=2500,
    ),
    # brass: the louder, the brighter
    "brass": DesignedTimbre(
        "brass", tilt=1.6, tilt_per_10db=0.45, lowpass_hz=5000, noise_db=-40, noise_center_hz=2000,
    ),
    "horn": DesignedTimbre(
        "horn", tilt=1.9, tilt_per_10db=0.4, lowpass_hz=2500, noise_db=-42, noise_center_hz=1200,
    ),
    # plucked and struck: colour from brightness curves that decay (see performance)
    "plucked": DesignedTimbre(
        "plucked", tilt=1.5, formants=(_F(110, 50, 6), _F(250, 120, 4)), lowpass_hz=5000,
        noise_db=-24, noise_center_hz=3000, noise_octaves=2.0,
    ),
    "harp": DesignedTimbre("harp", tilt=1.9, lowpass_hz=4000, noise_db=-30, noise_center_hz=2000),
    "piano": DesignedTimbre(
        "piano", tilt=1.7, tilt_per_10db=0.25, lowpass_hz=5000, noise_db=-30, noise_center_hz=1500,
        noise_octaves=2.0,
    ),
    "harpsichord": DesignedTimbre("harpsichord", tilt=0.6, lowpass_hz=9000, noise_db=-30, noise_center_hz=4000),
    "organ": DesignedTimbre(
        "organ", tilt=1.3, tilt_per_brightness=0.6, even_gain=0.5, odd_below_hz=3000, lowpass_hz=5000,
        noise_db=-45, noise_center_hz=2000,
    ),
    # voices: glottal source through vowel formants ("ah")
    "voice_high": DesignedTimbre(
        "voice_high", tilt=1.3, formants=(_F(850, 120, 16), _F(1250, 150, 12), _F(2900, 200, 10)),
        lowpass_hz=5000, noise_db=-34, noise_center_hz=3000,
    ),
    "voice_low": DesignedTimbre(
        "voice_low", tilt=1.3, formants=(_F(650, 100, 16), _F(1100, 130, 12), _F(2500, 200, 12)),
        lowpass_hz=4000, noise_db=-34, noise_center_hz=2500,
    ),
    # pitched percussion (harmonic approximations of bars and drums)
    "mallet": DesignedTimbre("mallet", tilt=3.0, formants=(_F(4 * 440, 2000, 6),), lowpass_hz=6000, noise_db=-26, noise_center_hz=4000),
    "bells": DesignedTimbre("bells", tilt=1.2, lowpass_hz=8000, noise_db=-30, noise_center_hz=5000),
    "timpani": DesignedTimbre("timpani", tilt=2.2, lowpass_hz=1500, noise_db=-18, noise_center_hz=400, noise_octaves=1.5),
    # popular-music instruments (issue 11): shapes from textbook descriptions of each source
    # (free reeds: rich in all harmonics, a nasal region near 1-2 kHz; tine piano: nearly
    # sinusoidal with a bell-like attack; clavinet: a struck string picked up near its end,
    # bright and thin; banjo/mandolin: a membrane or small body, bright, short; analogue
    # synths: a sawtooth (all harmonics, k^-1) or square (odd harmonics) through a lowpass)
    "reed": DesignedTimbre(
        "reed", tilt=0.8, formants=(_F(1400, 700, 8), _F(3000, 1000, 4)), lowpass_hz=6000,
        noise_db=-38, noise_center_hz=2500,
    ),
    "electric_piano": DesignedTimbre(
        "electric_piano", tilt=2.6, tilt_per_10db=0.35, formants=(_F(1800, 900, 6),), lowpass_hz=4000,
        noise_db=-34, noise_center_hz=3000,
    ),
    "clavinet": DesignedTimbre(
        "clavinet", tilt=0.7, formants=(_F(1500, 800, 8),), lowpass_hz=7000, noise_db=-28, noise_center_hz=3500,
    ),
    "banjo": DesignedTimbre(
        "banjo", tilt=0.9, formants=(_F(600, 300, 6), _F(2000, 900, 8)), lowpass_hz=7000,
        noise_db=-22, noise_center_hz=3500, noise_octaves=1.5,
    ),
    "synth_pad": DesignedTimbre("synth_pad", tilt=1.0, tilt_per_brightness=0.8, lowpass_hz=2500, noise_db=-50,
                                noise_center_hz=2000),
    "synth_lead": DesignedTimbre("synth_lead", tilt=1.0, even_gain=0.1, odd_below_hz=8000, lowpass_hz=6000,
                                 noise_db=-50, noise_center_hz=2000),
}  # fmt: skip

#: Instrument id -> style: the key into :data:`TIMBRES` and into the performance presets.
STYLE_OF_INSTRUMENT: Mapping[str, str] = {
    "violin": "bowed", "viola": "bowed", "cello": "bowed_low", "contrabass": "bowed_low",
    "flute": "flute", "piccolo": "flute", "recorder": "flute",
    "clarinet": "clarinet", "clarinet_a": "clarinet", "bass_clarinet": "clarinet",
    "oboe": "oboe", "english_horn": "oboe", "bassoon": "bassoon", "contrabassoon": "bassoon",
    "soprano_sax": "sax", "alto_sax": "sax", "tenor_sax": "sax", "baritone_sax": "sax",
    "horn": "horn", "trumpet": "brass", "trumpet_c": "brass", "trombone": "brass",
    "bass_trombone": "brass", "tuba": "brass",
    "piano": "piano", "harpsichord": "harpsichord", "organ": "organ", "celesta": "bells",
    "harp": "harp", "acoustic_guitar": "plucked", "electric_guitar": "plucked",
    "electric_bass": "plucked", "acoustic_bass": "plucked",
    "soprano": "voice_high", "mezzo_soprano": "voice_high", "alto": "voice_high",
    "tenor": "voice_low", "baritone": "voice_low", "bass": "voice_low", "choir": "voice_high",
    "marimba": "mallet", "xylophone": "mallet", "vibraphone": "mallet", "glockenspiel": "bells",
    "tubular_bells": "bells", "timpani": "timpani",
    "nylon_guitar": "harp", "banjo": "banjo", "mandolin": "banjo", "ukulele": "plucked",
    "electric_piano": "electric_piano", "clavinet": "clavinet", "accordion": "reed", "harmonica": "reed",
    "synth_pad": "synth_pad", "synth_lead": "synth_lead", "synth_bass": "synth_lead", "tin_whistle": "flute",
}  # fmt: skip

_STYLE_OF_FAMILY = {
    "strings": "bowed", "woodwinds": "clarinet", "brass": "brass", "keyboards": "piano",
    "plucked": "plucked", "voice": "voice_high", "pitched_percussion": "mallet",
    "percussion": "drums",
}  # fmt: skip


def style_of(instrument_id: str) -> str:
    """The style (timbre and performance preset) of a catalog instrument.

    Instruments not listed fall back on their family's style; unpitched percussion is
    ``"drums"``.

    >>> style_of("viola"), style_of("drum_kit")
    ('bowed', 'drums')
    """
    if instrument_id in STYLE_OF_INSTRUMENT:
        return STYLE_OF_INSTRUMENT[instrument_id]
    from partita import instruments

    inst = instruments.get(instrument_id)
    if inst.percussion:
        return "drums"
    return _STYLE_OF_FAMILY.get(inst.family, "piano")


def timbre_for(instrument_id: str) -> DesignedTimbre:
    """The designed decoder of a catalog instrument.

    >>> timbre_for("trumpet").decoder_id
    'brass'
    """
    style = style_of(instrument_id)
    if style not in TIMBRES:
        raise ConfigError(f"instrument {instrument_id!r} ({style}) is not rendered by a harmonic decoder")
    return TIMBRES[style]
