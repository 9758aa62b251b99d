"""How each kind of instrument is played: the performer's :class:`Style` presets (seconds, dB,
cents, Hz), one per style of :mod:`partita.render.timbres`, read from ``performance_styles.toml``.

>>> STYLES["plucked"].sustained, velocity_to_db(112, style="bowed")
(False, -14.0)
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Mapping

import numpy as np

__all__ = ["STYLES", "Style", "velocity_to_db"]

_PP_VELOCITY, _FF_VELOCITY = 33, 112


@dataclass(frozen=True, slots=True)
class Style:
    """How one kind of instrument is played: the performer's presets (seconds, dB, cents, Hz).

    ``sustained`` instruments hold their level and glide inside slurs; the others (plucked,
    struck) decay from the attack: ``decay_s`` is the time to fall 60 dB at middle C, halving
    every two octaves up.
    """

    sustained: bool = True
    attack_s: float = 0.06
    release_s: float = 0.15
    decay_s: float = 4.0
    db_ff: float = -14.0
    db_range: float = 30.0
    accent_db: float = 5.0
    vibrato_depth_cents: float = 0.0
    vibrato_rate_hz: float = 5.5
    vibrato_delay_s: float = 0.25
    glide_s: float = 0.06
    brightness: float = 0.5
    brightness_decay: float = 0.0
    attack_noise: float = 0.6
    sustain_noise: float = 0.2

    def velocity_to_db(self, velocity: np.ndarray | float) -> np.ndarray:
        """Linear map pp (33) -> ``db_ff - db_range``, ff (112) -> ``db_ff``."""
        v = np.clip(np.asarray(velocity, dtype=np.float64), 1.0, 127.0)
        return self.db_ff - self.db_range * (_FF_VELOCITY - v) / (_FF_VELOCITY - _PP_VELOCITY)


#: Performance presets by style (the same style names as :data:`partita.render.timbres.TIMBRES`),
#: data in ``performance_styles.toml``.
STYLES: Mapping[str, Style] = MappingProxyType(
    {name: Style(**row) for name, row in tomllib.loads(
        resources.files("partita.render").joinpath("performance_styles.toml").read_text("utf-8")).items()}
)


def velocity_to_db(velocity: float, *, style: str) -> float:
    """Loudness (dB) a velocity means for a style.

    >>> velocity_to_db(112, style="bowed"), velocity_to_db(33, style="bowed")
    (-14.0, -44.0)
    """
    return float(STYLES[style].velocity_to_db(velocity))
