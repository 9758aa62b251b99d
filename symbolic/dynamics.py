"""Dynamics in the Score model: the marks a part carries (``"pp"`` ... ``"ff"``, ``"sfz"``), the
MIDI velocity each one means (data in ``dynamics.toml``), and crescendo/diminuendo hairpins.

>>> DYNAMIC_VELOCITY["mf"], Dynamic(4, "pp").onset
(80, Fraction(4, 1))
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction
from types import MappingProxyType
from typing import Mapping

from partita._presets import Entry, load
from partita.errors import ScoreError
from partita.symbolic.timeline import as_ql

__all__ = ["DEFAULT_VELOCITY", "DYNAMIC_MARKS", "DYNAMIC_VELOCITY", "HAIRPIN_KINDS", "Dynamic", "Hairpin", "load_velocities"]


def load_velocities(path: str | os.PathLike[str] | None = None) -> tuple[Mapping[str, int], int]:
    """Each dynamic mark's MIDI velocity and the default velocity (no mark), from
    ``dynamics.toml`` (package data, read once) or the file at ``path``. A bad value raises
    :class:`~partita.errors.PresetError` naming the file, the entry and the field.

    >>> velocities, default = load_velocities()
    >>> velocities["pp"], velocities["sfz"], default
    (33, 112, 80)
    """
    return load("partita.symbolic", "dynamics.toml", _parse_velocities, path)


def _parse_velocities(data: dict, file: str) -> tuple[Mapping[str, int], int]:
    top = Entry(file, "dynamics", data)
    top.number("schema_version", 1, 1, integer=True)
    default = top.number("default", 1, 127, integer=True)
    marks = top.sub("velocity")
    top.done()
    e = Entry(file, "velocity", marks)
    return MappingProxyType({mark: e.number(mark, 1, 127, integer=True) for mark in marks}), default


_VELOCITIES = load_velocities()
#: Dynamic marks the model knows, and the MIDI velocity each one means when a note has none of
#: its own (the values MuseScore 3 uses for its dynamics).
DYNAMIC_VELOCITY: Mapping[str, int] = _VELOCITIES[0]
DYNAMIC_MARKS = frozenset(DYNAMIC_VELOCITY)
#: Velocity of a note with no velocity of its own and no dynamic mark before it.
DEFAULT_VELOCITY = _VELOCITIES[1]
HAIRPIN_KINDS = frozenset({"crescendo", "diminuendo"})


@dataclass(frozen=True, slots=True)
class Dynamic:
    """A dynamic mark (``"pp"`` ... ``"ff"``, ``"sfz"``) at an onset in quarter-lengths."""

    onset: Fraction
    mark: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "onset", as_ql(self.onset, what="dynamic onset"))
        if self.onset < 0:
            raise ScoreError(f"dynamic onset {self.onset} is negative", onset=self.onset)
        if self.mark not in DYNAMIC_MARKS:
            raise ScoreError(
                f"unknown dynamic {self.mark!r}; known: {', '.join(sorted(DYNAMIC_MARKS))}",
                onset=self.onset,
            )


@dataclass(frozen=True, slots=True)
class Hairpin:
    """A crescendo or diminuendo wedge from ``onset`` to ``end`` (quarter-lengths)."""

    onset: Fraction
    end: Fraction
    kind: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "onset", as_ql(self.onset, what="hairpin start"))
        object.__setattr__(self, "end", as_ql(self.end, what="hairpin end"))
        if self.onset < 0 or self.end <= self.onset:
            raise ScoreError(f"hairpin {self.onset}-{self.end} is empty or negative", onset=self.onset)
        if self.kind not in HAIRPIN_KINDS:
            raise ScoreError(f"hairpin kind {self.kind!r} is not crescendo or diminuendo", onset=self.onset)
