"""What a render takes and gives: :class:`RenderSettings` (everything besides the score that
decides the sound of a stem), :class:`StemInfo` and :class:`RenderResult`, and the
:data:`RENDERER_VERSION` that is part of every cache key. The renderer itself is
:func:`partita.render.stems.render`.

>>> RenderSettings.from_dict(RenderSettings(seed=3).to_dict()) == RenderSettings(seed=3)
True
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from partita.errors import ConfigError
from partita.render.controls import FRAME_RATE
from partita.render.wavfile import SUBTYPES

__all__ = ["RENDERER_VERSION", "RenderResult", "RenderSettings", "RenderWarning", "StemInfo"]

#: Bump when a change to the renderer changes its output: it is part of every cache key.
RENDERER_VERSION = "render-10"  # render-2, -4: the neural decoders run as numba kernels; render-3: sampled drums; render-5: the string models' block kernel (a float32 rounding step), pizzicato; render-6: a technique's phrases go into the part's one buffer (another rounding of the sum); render-7: the harmonic recurrence in float32; render-8: the noise from a 32-bit hash; render-9: the decoders' forward pass channel-major (float32 sums in another order); render-10: the harmonic bank's phase in fixed point, its sin and cos in float32


class RenderWarning(UserWarning):
    """Something worth telling the user that does not stop the render (an empty score)."""


@dataclass(frozen=True, slots=True)
class RenderSettings:
    """What, besides the score, decides the sound of a stem.

    Parameters
    ----------
    sample_rate
        Samples per second, 8000-192000.
    seed
        Non-negative integer seed of every random stream (noise, humanisation, drum hits).
    frame_rate
        Control frames per second (Hz).
    humanize
        0: exact; 1: natural micro-timing and velocity variation (see
        :func:`partita.render.performance.perform_part`).
    room_rt60_s
        None: dry stems. Otherwise convolve each stem with a synthetic room of this
        reverberation time (seconds), seeded per part.
    tail_s
        Seconds after the last note ends that every stem lasts (release, ringing, drums).
    subtype
        ``"float"`` (32-bit float WAV) or ``"pcm24"``.
    verse
        Which verse of the lyrics voice parts sing (from 1).
    neutral_vowel
        ``"ah"`` or ``"oo"``: what a voice part without lyrics sings.
    language
        The lyrics' language: ``"en"`` (CMU dictionary, then espeak-ng) or an espeak-ng voice
        name (``"de"``, ``"it"``, ``"la"``).
    drums
        ``"sampled"``: percussion parts play one-shot samples (:mod:`partita.render.drum_sampler`);
        ``"designed"``: the synthesized kit of :mod:`partita.render.drums`, through the same
        player (pan, choke, humanisation, stems).
    drum_kit
        None: the kit made from the default soundfont (MuseScore_General, else FluidR3_GM);
        else a kit folder (``kit.toml`` and its samples) or an .sf2/.sf3 soundfont to make one from.
    drum_stems
        False: a percussion part is one stereo stem; True: one stem per group (kick, snare,
        hats, toms, cymbals, and percussion when played), which sum to the one stem.
    schema_version
        Version of this settings layout.
    """

    sample_rate: int = 48000
    seed: int = 0
    frame_rate: float = FRAME_RATE
    humanize: float = 0.0
    room_rt60_s: float | None = None
    tail_s: float = 3.0
    subtype: str = "float"
    verse: int = 1
    neutral_vowel: str = "ah"
    language: str = "en"
    drums: str = "sampled"
    drum_kit: str | None = None
    drum_stems: bool = False
    schema_version: int = 1

    def __post_init__(self) -> None:
        if isinstance(self.sample_rate, bool) or not isinstance(self.sample_rate, (int, np.integer)):
            raise ConfigError(f"sample rate {self.sample_rate!r} must be a whole number of Hz")
        if not 8000 <= int(self.sample_rate) <= 192000:
            raise ConfigError(f"sample rate {self.sample_rate} Hz is outside 8000-192000 Hz")
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)) or self.seed < 0:
            raise ConfigError(f"seed {self.seed!r} must be a non-negative whole number")
        if not (50.0 <= float(self.frame_rate) <= 1000.0):
            raise ConfigError(f"frame rate {self.frame_rate} Hz is outside 50-1000 Hz")
        if not (0.0 <= float(self.humanize) <= 4.0):
            raise ConfigError(f"humanize {self.humanize} is outside 0-4")
        if self.room_rt60_s is not None and not (0.05 <= float(self.room_rt60_s) <= 10.0):
            raise ConfigError(f"room_rt60_s {self.room_rt60_s} is outside 0.05-10 s")
        if not (0.0 <= float(self.tail_s) <= 30.0):
            raise ConfigError(f"tail_s {self.tail_s} is outside 0-30 s")
        if self.subtype not in SUBTYPES:
            raise ConfigError(f"subtype {self.subtype!r} is not one of {', '.join(SUBTYPES)}")
        if isinstance(self.verse, bool) or not isinstance(self.verse, (int, np.integer)) or not 1 <= self.verse <= 99:
            raise ConfigError(f"verse {self.verse!r} must be a whole number from 1 to 99")
        if self.neutral_vowel not in ("ah", "oo"):
            raise ConfigError(f"neutral vowel {self.neutral_vowel!r} is not 'ah' or 'oo'")
        if self.language != "en":  # (the default needs no check, nor the lyrics module's import)
            from partita.symbolic.lyrics import LANGUAGE_RE

            if not isinstance(self.language, str) or not LANGUAGE_RE.match(self.language):
                raise ConfigError(f"language {self.language!r} is not an espeak-ng voice name like 'en', 'de', 'pt-br'")
        if self.drums not in ("sampled", "designed"):
            raise ConfigError(f"drums {self.drums!r} is not 'sampled' or 'designed'")
        if self.drum_kit is not None and not isinstance(self.drum_kit, str):
            raise ConfigError(f"drum_kit {self.drum_kit!r} must be a path (a kit folder or a soundfont)")
        if not isinstance(self.drum_stems, bool):
            raise ConfigError(f"drum_stems {self.drum_stems!r} is not true or false")
        object.__setattr__(self, "sample_rate", int(self.sample_rate))
        object.__setattr__(self, "seed", int(self.seed))

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly dict; :meth:`from_dict` inverts it."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RenderSettings:
        """Inverse of :meth:`to_dict`."""
        if data.get("schema_version", 1) != 1:
            raise ConfigError(f"render settings schema {data.get('schema_version')} is not known")
        return cls(**dict(data))


@dataclass(frozen=True, slots=True)
class StemInfo:
    """One written stem; ``piece`` names the group (kick, snare, hats, toms, cymbals,
    percussion) of a percussion part rendered by group (``drum_stems``), else None."""

    part_id: str
    name: str
    instrument: str
    file: str
    sha256: str
    cached: bool
    piece: str | None = None


@dataclass(frozen=True, slots=True)
class RenderResult:
    """What :func:`render` wrote and how long it took."""

    out_dir: Path
    stems: tuple[StemInfo, ...]
    sample_rate: int
    seed: int
    n_samples: int
    duration_s: float
    elapsed_s: float
    rendered_parts: tuple[str, ...] = field(default=())
    notes: tuple[str, ...] = field(default=())

    @property
    def realtime_factor(self) -> float:
        """Seconds of audio per second of wall time."""
        return self.duration_s / self.elapsed_s if self.elapsed_s > 0 else float("inf")

    def summary(self) -> str:
        """One line: stems, duration, time taken, real-time factor, parts recomputed."""
        return (
            f"{len(self.stems)} stems, {self.duration_s:.1f} s of audio at {self.sample_rate} Hz in "
            f"{self.elapsed_s:.2f} s ({self.realtime_factor:.1f}x real time); "
            f"{len(self.rendered_parts)} rendered, {len({s.part_id for s in self.stems}) - len(self.rendered_parts)} from cache"
        ) + "".join(f"\n{line}" for line in self.notes)
