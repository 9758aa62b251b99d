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
import os
from dataclasses import asdict, dataclass
from types import MappingProxyType
from typing import Mapping, Protocol, runtime_checkable

import numpy as np

from partita._presets import Entry, load, table
from partita.errors import ConfigError
from partita.render.controls import SILENCE_DB, ControlCurves, SynthParams
from partita.render.jit import njit

__all__ = [
    "Decoder",
    "DesignedTimbre",
    "Formant",
    "N_HARMONICS",
    "N_BANDS",
    "TIMBRES",
    "load_timbres",
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


@njit(cache=True, error_model="numpy", nogil=True)
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


#: Every numeric field of a timbre and its accepted range (units: see :class:`DesignedTimbre`).
_RANGES = {
    "tilt": (0.2, 6.0), "tilt_per_brightness": (0.0, 4.0), "tilt_per_10db": (0.0, 2.0), "ref_db": (-80.0, 0.0),
    "even_gain": (0.0, 1.0), "odd_below_hz": (0.0, 24000.0), "lowpass_hz": (100.0, 24000.0),
    "noise_db": (-100.0, 0.0), "noise_center_hz": (20.0, 20000.0), "noise_octaves": (0.1, 6.0),
}  # fmt: skip
_FORMANT_RANGES = {"freq_hz": (20.0, 20000.0), "bandwidth_hz": (1.0, 10000.0), "gain_db": (-40.0, 40.0)}


def load_timbres(path: str | os.PathLike[str] | None = None) -> tuple[
        Mapping[str, DesignedTimbre], Mapping[str, str], Mapping[str, str]]:  # fmt: skip
    """The designed timbres, the instrument -> style map and the family -> style map of
    ``timbres.toml`` (package data, read once), or of the file at ``path`` (an edited copy).

    Raises
    ------
    PresetError
        A timbre or map entry missing a field, of the wrong type or out of range; the message
        names the file, the entry and the field (ranges: the comment at the top of the file).

    >>> timbres, style_of_instrument, _ = load_timbres()
    >>> timbres["clarinet"].even_gain, style_of_instrument["cello"]
    (0.12, 'bowed_low')
    """
    return load("partita.render", "timbres.toml", _parse_timbres, path)


def _parse_timbres(data: dict, file: str) -> tuple[Mapping[str, DesignedTimbre], Mapping[str, str], Mapping[str, str]]:
    timbres = {}
    for name, raw in table(data, "timbre", file=file).items():
        e = Entry(file, name, raw)
        formants = []
        for i, f in enumerate(e.items("formants", default=[]), start=1):
            if not (isinstance(f, list) and len(f) == 3):
                raise e.error("formants", f"formant {i} {f!r} is not [freq_hz, bandwidth_hz, gain_db]")
            fe = Entry(file, name, dict(zip(_FORMANT_RANGES, f)), prefix=f"formants[{i}].")
            formants.append(Formant(**fe.numbers(_FORMANT_RANGES)))
        if len(formants) > 8:
            raise e.error("formants", f"{len(formants)} formants; at most 8")
        timbres[name] = DesignedTimbre(name, formants=tuple(formants), **e.numbers(_RANGES))
        e.done()
    styles = {*timbres, "drums"}
    maps = []
    for key in ("style_of_instrument", "style_of_family"):
        e = Entry(file, key, table(data, key, file=file))
        maps.append(MappingProxyType({k: e.text(k, choices=styles) for k in e.data}))
    return MappingProxyType(timbres), maps[0], maps[1]


#: The designed timbres by style name, the instrument id -> style map (the key into
#: :data:`TIMBRES` and into the performer's presets) and the family fallbacks: ``timbres.toml``.
TIMBRES, STYLE_OF_INSTRUMENT, _STYLE_OF_FAMILY = load_timbres()


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
