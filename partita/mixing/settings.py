"""Mix settings: one frozen dataclass, saved as ``mix.json`` beside the stems, editable by hand.

:class:`MixSettings` holds every choice the mix makes: the loudness target and true-peak
ceiling, per-family EQ and reverb sends, the shared reverb, the bus compressor, the master
limiter, and per-part gain and pan overrides. ``partita mix OUTDIR`` reads ``OUTDIR/mix.json``
when it exists, so editing that file and re-mixing is the way to change a mix.

>>> s = MixSettings(target_lufs=-16.0)
>>> MixSettings.from_dict(s.to_dict()) == s
True
>>> MixSettings(target_lufs=3.0)
Traceback (most recent call last):
...
partita.errors.ConfigError: target_lufs 3.0 is outside -40 to -5 LUFS
"""

from __future__ import annotations

import functools
import json
import math
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping

from partita.errors import ConfigError

__all__ = ["MIX_SCHEMA_VERSION", "FamilyEQ", "MixSettings", "load_mix_settings", "save_mix_settings"]

MIX_SCHEMA_VERSION = 1

#: Families the catalog knows (see :mod:`partita.instruments`); ``"default"`` covers the rest.
FAMILIES = ("strings", "woodwinds", "brass", "keyboards", "plucked", "voice", "pitched_percussion",
            "percussion", "default")  # fmt: skip


def _finite(name: str, value: Any, lo: float, hi: float, unit: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} {value!r} is not a number") from None
    if not (math.isfinite(v) and lo <= v <= hi):
        raise ConfigError(f"{name} {value!r} is outside {lo:g} to {hi:g}{unit}")
    return v


@dataclass(frozen=True, slots=True)
class FamilyEQ:
    """EQ and reverb send of one instrument family.

    Parameters
    ----------
    highpass_hz
        Corner of a 12 dB/octave high-pass (rumble below the instrument's range), 10-1000 Hz.
    low_shelf_hz, low_shelf_db
        Low shelf corner (Hz) and gain (dB, -12 to 12).
    presence_hz, presence_db, presence_q
        A peaking band: centre (Hz), gain (dB, -12 to 12) and Q (0.1-10).
    high_shelf_hz, high_shelf_db
        High shelf corner (Hz) and gain (dB, -12 to 12).
    reverb_send_db
        Level sent to the shared reverb bus (dB, -60 to 6; -60 sends nothing).
    gain_db
        Extra gain of every part of the family after loudness staging (dB, -24 to 12).
    """

    highpass_hz: float = 40.0
    low_shelf_hz: float = 200.0
    low_shelf_db: float = 0.0
    presence_hz: float = 2500.0
    presence_db: float = 0.0
    presence_q: float = 0.8
    high_shelf_hz: float = 8000.0
    high_shelf_db: float = 0.0
    reverb_send_db: float = -12.0
    gain_db: float = 0.0

    def __post_init__(self) -> None:
        checks = {
            "highpass_hz": (10.0, 1000.0, " Hz"), "low_shelf_hz": (20.0, 2000.0, " Hz"),
            "low_shelf_db": (-12.0, 12.0, " dB"), "presence_hz": (100.0, 16000.0, " Hz"),
            "presence_db": (-12.0, 12.0, " dB"), "presence_q": (0.1, 10.0, ""),
            "high_shelf_hz": (1000.0, 20000.0, " Hz"), "high_shelf_db": (-12.0, 12.0, " dB"),
            "reverb_send_db": (-60.0, 6.0, " dB"), "gain_db": (-24.0, 12.0, " dB"),
        }  # fmt: skip
        for name, (lo, hi, unit) in checks.items():
            object.__setattr__(self, name, _finite(name, getattr(self, name), lo, hi, unit))


@functools.lru_cache(maxsize=1)
def _eq_presets() -> dict[str, dict[str, float]]:
    """The family EQ presets of ``mix_presets.toml`` (package data), read once."""
    import tomllib
    from importlib import resources

    data = tomllib.loads(resources.files("partita.mixing").joinpath("mix_presets.toml").read_text(encoding="utf-8"))
    return {family: dict(values) for family, values in data["eq"].items()}


def _default_eq() -> dict[str, FamilyEQ]:
    """Family -> :class:`FamilyEQ` from ``partita/mixing/mix_presets.toml`` (cited and documented there)."""
    return {family: FamilyEQ(**values) for family, values in _eq_presets().items()}


@dataclass(frozen=True, slots=True)
class MixSettings:
    """Everything the mix and master decide, as JSON-friendly values.

    Parameters
    ----------
    target_lufs
        Integrated loudness of the master (ITU-R BS.1770-4 / EBU R128), -40 to -5 LUFS.
    lufs_tolerance_lu
        How close to ``target_lufs`` the master must be, 0.05-3 LU.
    true_peak_ceiling_dbtp
        Highest true peak (4x oversampled) allowed in the master, -12 to 0 dBTP.
    stem_reference_lufs
        Each stem is first brought to this integrated loudness (gain staging), -50 to -10 LUFS.
    dynamics_depth
        How much of the score's dynamic difference between parts survives staging: 0 (all
        parts equally loud) to 1 (the difference of their mean velocities, 40 log10 v1/v2 dB).
    pan_width
        Scales every seat's pan, 0 (mono) to 1 (the catalog's seating).
    duplicate_spread
        Pan distance between parts playing the same instrument (Violin I, Violin II), 0-1.
    reverb_room_size, reverb_damping, reverb_width
        The shared reverb (pedalboard's Freeverb), each 0-1.
    reverb_return_db
        Level of the reverb return on the bus (dB, -60 to 6).
    comp_threshold_db, comp_ratio, comp_attack_ms, comp_release_ms
        The gentle bus compressor.
    limiter_release_ms
        Release of the master limiter (ms).
    max_iterations
        How many gain/limiter passes the master may take to meet both targets (1-20).
    eq
        Family name -> :class:`FamilyEQ`; a family missing here uses ``eq["default"]``.
    part_gain_db, part_pan
        Part id -> extra gain (dB) or pan (-1 left to 1 right) that override the defaults.
    schema_version
        Version of this layout; :meth:`from_dict` refuses unknown ones.
    """

    target_lufs: float = -14.0
    lufs_tolerance_lu: float = 0.5
    true_peak_ceiling_dbtp: float = -1.0
    stem_reference_lufs: float = -26.0
    dynamics_depth: float = 0.5
    pan_width: float = 1.0
    duplicate_spread: float = 0.3
    reverb_room_size: float = 0.55
    reverb_damping: float = 0.5
    reverb_width: float = 1.0
    reverb_return_db: float = -4.0
    comp_threshold_db: float = -18.0
    comp_ratio: float = 1.8
    comp_attack_ms: float = 30.0
    comp_release_ms: float = 250.0
    limiter_release_ms: float = 80.0
    max_iterations: int = 8
    eq: Mapping[str, FamilyEQ] = field(default_factory=_default_eq)
    part_gain_db: Mapping[str, float] = field(default_factory=dict)
    part_pan: Mapping[str, float] = field(default_factory=dict)
    schema_version: int = MIX_SCHEMA_VERSION

    def __post_init__(self) -> None:
        if self.schema_version != MIX_SCHEMA_VERSION:
            raise ConfigError(f"mix settings schema {self.schema_version!r} is not known (this partita reads {MIX_SCHEMA_VERSION})")
        checks = {
            "target_lufs": (-40.0, -5.0, " LUFS"), "lufs_tolerance_lu": (0.05, 3.0, " LU"),
            "true_peak_ceiling_dbtp": (-12.0, 0.0, " dBTP"), "stem_reference_lufs": (-50.0, -10.0, " LUFS"),
            "dynamics_depth": (0.0, 1.0, ""), "pan_width": (0.0, 1.0, ""), "duplicate_spread": (0.0, 1.0, ""),
            "reverb_room_size": (0.0, 1.0, ""), "reverb_damping": (0.0, 1.0, ""), "reverb_width": (0.0, 1.0, ""),
            "reverb_return_db": (-60.0, 6.0, " dB"), "comp_threshold_db": (-60.0, 0.0, " dB"),
            "comp_ratio": (1.0, 20.0, ""), "comp_attack_ms": (0.1, 500.0, " ms"),
            "comp_release_ms": (1.0, 5000.0, " ms"), "limiter_release_ms": (1.0, 2000.0, " ms"),
        }  # fmt: skip
        for name, (lo, hi, unit) in checks.items():
            object.__setattr__(self, name, _finite(name, getattr(self, name), lo, hi, unit))
        if isinstance(self.max_iterations, bool) or not isinstance(self.max_iterations, int) or not 1 <= self.max_iterations <= 20:
            raise ConfigError(f"max_iterations {self.max_iterations!r} must be a whole number 1-20")
        eq = {}
        for fam, value in dict(self.eq).items():
            if isinstance(value, Mapping):
                try:
                    value = FamilyEQ(**value)
                except TypeError as exc:
                    raise ConfigError(f"eq[{fam!r}]: {exc}") from None
            if not isinstance(value, FamilyEQ):
                raise ConfigError(f"eq[{fam!r}] is not a FamilyEQ or a mapping of its fields")
            eq[str(fam)] = value
        eq.setdefault("default", FamilyEQ())
        object.__setattr__(self, "eq", eq)
        object.__setattr__(self, "part_gain_db", {str(k): _finite(f"part_gain_db[{k!r}]", v, -60.0, 24.0, " dB")
                                                  for k, v in dict(self.part_gain_db).items()})  # fmt: skip
        object.__setattr__(self, "part_pan", {str(k): _finite(f"part_pan[{k!r}]", v, -1.0, 1.0, "")
                                              for k, v in dict(self.part_pan).items()})  # fmt: skip

    def eq_for(self, family: str) -> FamilyEQ:
        """The EQ of ``family`` (``eq["default"]`` if the family has none)."""
        return self.eq.get(family, self.eq["default"])

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly dict; :meth:`from_dict` inverts it."""
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["eq"] = {k: asdict(v) for k, v in sorted(self.eq.items())}
        d["part_gain_db"] = dict(sorted(self.part_gain_db.items()))
        d["part_pan"] = dict(sorted(self.part_pan.items()))
        return d

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MixSettings:
        """Inverse of :meth:`to_dict`; unknown keys and versions are refused by name."""
        if not isinstance(data, Mapping):
            raise ConfigError("mix settings must be a JSON object")
        known = {f.name for f in fields(cls)}
        extra = sorted(set(data) - known)
        if extra:
            raise ConfigError(f"unknown mix setting(s): {', '.join(extra)}")
        try:
            return cls(**dict(data))
        except TypeError as exc:
            raise ConfigError(f"bad mix settings: {exc}") from None


def load_mix_settings(path: str | os.PathLike[str]) -> MixSettings:
    """Read a ``mix.json``; errors name the file."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read mix settings: {exc}", file=str(path)) from None
    try:
        return MixSettings.from_dict(data)
    except ConfigError as exc:
        raise exc.located(file=str(path)) from None


def save_mix_settings(settings: MixSettings, path: str | os.PathLike[str]) -> None:
    """Write ``settings`` as indented JSON to ``path``, atomically."""
    from partita._fileio import atomic_write_text

    atomic_write_text(path, json.dumps(settings.to_dict(), indent=2, sort_keys=False) + "\n")
