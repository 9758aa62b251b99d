"""The data that flows from the performer to the synthesizer.

Two frozen dataclasses, one per stage ("controls, then signal"):

* :class:`ControlCurves` -- what the performance model (or, later, a neural performer) says one
  *phrase* should sound like, frame by frame: pitch, loudness and expression. A phrase is one
  note, or a legato chain of notes of one voice (a slur), with its release.
* :class:`SynthParams` -- what a decoder (:mod:`partita.render.timbres`) turns those curves into:
  an overall amplitude, a harmonic distribution and noise band magnitudes, frame by frame. The
  synthesis kernels (:mod:`partita.render.synth`) turn these into samples.

Every phrase sits on a *global frame grid* (frame ``i`` is at ``i / frame_rate`` seconds from the
start of the score) and carries its own noise seed derived from (seed, part id, phrase onset).
Phrases are rendered independently and overlap-added into the stem, so an edit of one note
changes only the samples of that note's phrase: see ``docs/render.md``.

>>> import numpy as np
>>> c = ControlCurves(part_id="fl", voice=1, start_frame=250, frame_rate=250.0,
...                   f0_hz=np.full(100, 440.0, np.float32),
...                   loudness_db=np.full(100, -20.0, np.float32),
...                   brightness=np.full(100, 0.5, np.float32),
...                   noise=np.zeros(100, np.float32), seed=7)
>>> c.n_frames, c.start_s, round(c.duration_s, 3)
(100, 1.0, 0.4)
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from partita.errors import ConfigError

__all__ = ["ControlCurves", "SynthParams", "FRAME_RATE", "SILENCE_DB", "phrase_seed"]

#: Frames per second of every control curve: 4 ms frames, 192 samples at 48 kHz. A 6 Hz
#: vibrato gets about 40 frames per cycle; a 4 ms attack ramp is the shortest envelope segment.
FRAME_RATE = 250.0
#: Loudness that means silence; the decoders map it (and anything below) to amplitude 0.
SILENCE_DB = -120.0


def phrase_seed(seed: int, part_id: str, onset: Fraction | int | str, voice: int = 1) -> int:
    """A 63-bit seed for one phrase from (seed, part id, onset in quarters, voice).

    Derived with sha256, so it does not depend on Python's hash randomisation nor on any other
    phrase: moving or editing one note leaves every other phrase's noise untouched.

    >>> phrase_seed(0, "vn1", Fraction(3, 2)) == phrase_seed(0, "vn1", "3/2")
    True
    >>> phrase_seed(0, "vn1", 0) != phrase_seed(1, "vn1", 0)
    True
    """
    key = f"{int(seed)}|{part_id}|{Fraction(onset)}|{int(voice)}".encode()
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "little") >> 1


def _check_frames(name: str, arr: np.ndarray, n: int, *, ndim: int = 1) -> np.ndarray:
    arr = np.ascontiguousarray(arr, dtype=np.float32)
    if arr.ndim != ndim or arr.shape[0] != n:
        raise ConfigError(f"{name} must have {n} frames along axis 0 (shape {arr.shape})")
    # one float64 pass: a NaN or an infinity makes the sum non-finite (float32 values cannot
    # overflow a float64 sum)
    if not math.isfinite(float(arr.sum(dtype=np.float64))):
        raise ConfigError(f"{name} holds NaN or infinite values")
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, slots=True, eq=False)
class ControlCurves:
    """Control curves of one phrase of one voice of one part.

    Parameters
    ----------
    part_id
        The part this phrase belongs to.
    voice
        Voice (after chords are split into voices), from 1.
    start_frame
        Index of the first frame on the global frame grid (frame ``i`` at ``i / frame_rate`` s).
    frame_rate
        Frames per second (Hz).
    f0_hz
        float32 [n_frames], fundamental frequency in Hz (> 0).
    loudness_db
        float32 [n_frames], loudness in dB relative to full scale; :data:`SILENCE_DB` or less is
        silence. Every phrase starts and ends silent, so overlap-adding phrases cannot click.
    brightness
        float32 [n_frames], 0-1: the spectral tilt the decoder applies (0 dark, 1 bright).
    noise
        float32 [n_frames], 0-1: breath, bow or attack noise relative to the harmonic part.
    seed
        Seed of this phrase's noise (see :func:`phrase_seed`).
    onset_s, end_s
        Where the phrase's first note starts and its last note ends, in seconds (for reports
        and tests; the curves themselves extend into the release).
    tract
        Sung phrases only (:mod:`partita.render.singing`): float32 [n_frames, 16], the vocal
        tract per frame -- formants F1-F5 (Hz), bandwidths B1-B5 (Hz), voicing (0-1),
        frication level (linear, re the voice's level), frication centre (Hz) and width
        (octaves), aspiration level (linear). None for instruments.
    """

    part_id: str
    voice: int
    start_frame: int
    frame_rate: float
    f0_hz: np.ndarray
    loudness_db: np.ndarray
    brightness: np.ndarray
    noise: np.ndarray
    seed: int
    onset_s: float = 0.0
    end_s: float = 0.0
    tract: np.ndarray | None = None

    def __post_init__(self) -> None:
        if not (self.frame_rate > 0):
            raise ConfigError(f"frame_rate {self.frame_rate} must be positive")
        if self.start_frame < 0:
            raise ConfigError(f"start_frame {self.start_frame} is negative")
        f0 = np.asarray(self.f0_hz)
        n = int(f0.shape[0]) if f0.ndim == 1 else -1
        if n < 1:
            raise ConfigError("f0_hz must be a non-empty 1-D array")
        for name in ("f0_hz", "loudness_db", "brightness", "noise"):
            object.__setattr__(self, name, _check_frames(name, getattr(self, name), n))
        if self.f0_hz.min() <= 0:
            raise ConfigError("f0_hz must be positive")
        if self.tract is not None:
            object.__setattr__(self, "tract", _check_frames("tract", self.tract, n, ndim=2))

    @classmethod
    def _trusted(cls, **fields) -> ControlCurves:
        """Build without the checks, for arrays a kernel has just produced: float32, contiguous,
        finite, of one length (the performer's own output)."""
        obj = object.__new__(cls)
        for name in cls.__dataclass_fields__:
            object.__setattr__(obj, name, fields.get(name, cls.__dataclass_fields__[name].default))
        return obj

    @property
    def n_frames(self) -> int:
        """Number of frames."""
        return int(self.f0_hz.shape[0])

    @property
    def start_s(self) -> float:
        """Time of the first frame in seconds."""
        return self.start_frame / self.frame_rate

    @property
    def duration_s(self) -> float:
        """Length of the curves in seconds."""
        return self.n_frames / self.frame_rate


@dataclass(frozen=True, slots=True, eq=False)
class SynthParams:
    """Decoder output for one phrase: what the synthesis kernels need.

    Parameters
    ----------
    f0_hz
        float32 [n_frames], Hz.
    amplitude
        float32 [n_frames], linear overall amplitude of the harmonic part (>= 0).
    harmonic_distribution
        float32 [n_frames, n_harmonics], >= 0, each row summing to 1 (or all 0): how the
        amplitude is shared among harmonics 1..n_harmonics.
    noise_magnitudes
        float32 [n_frames, n_bands], >= 0: linear magnitude response of the noise filter at
        ``n_bands`` frequencies spaced evenly from 0 Hz to Nyquist.
    start_frame, frame_rate, seed
        As in :class:`ControlCurves`.
    """

    f0_hz: np.ndarray
    amplitude: np.ndarray
    harmonic_distribution: np.ndarray
    noise_magnitudes: np.ndarray
    start_frame: int
    frame_rate: float
    seed: int

    def __post_init__(self) -> None:
        n = int(np.asarray(self.f0_hz).shape[0])
        object.__setattr__(self, "f0_hz", _check_frames("f0_hz", self.f0_hz, n))
        object.__setattr__(self, "amplitude", _check_frames("amplitude", self.amplitude, n))
        for name in ("harmonic_distribution", "noise_magnitudes"):
            object.__setattr__(self, name, _check_frames(name, getattr(self, name), n, ndim=2))
        if self.amplitude.min() < 0 or self.harmonic_distribution.min() < 0:
            raise ConfigError("amplitude and harmonic_distribution must be non-negative")
        if self.noise_magnitudes.size and self.noise_magnitudes.min() < 0:
            raise ConfigError("noise_magnitudes must be non-negative")

    @property
    def n_frames(self) -> int:
        """Number of frames."""
        return int(self.f0_hz.shape[0])

    @classmethod
    def _trusted(cls, **fields) -> SynthParams:
        """Build without the checks, for arrays a decoder kernel has just produced."""
        obj = object.__new__(cls)
        for name in cls.__dataclass_fields__:
            object.__setattr__(obj, name, fields[name])
        return obj

    @property
    def n_harmonics(self) -> int:
        """Number of harmonics."""
        return int(self.harmonic_distribution.shape[1])

    @property
    def n_bands(self) -> int:
        """Number of noise bands."""
        return int(self.noise_magnitudes.shape[1])
