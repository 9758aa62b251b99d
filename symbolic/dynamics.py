"""Dynamics in the Score model: the marks a part carries (``"pp"`` ... ``"ff"``, ``"sfz"``), the
MIDI velocity each one means (data in ``dynamics.toml``), and crescendo/diminuendo hairpins.

>>> DYNAMIC_VELOCITY["mf"], Dynamic(4, "pp").onset
(80, Fraction(4, 1))
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from fractions import Fraction
from importlib import resources
from types import MappingProxyType
from typing import Mapping

from partita.errors import ScoreError
from partita.symbolic.timeline import as_ql

__all__ = ["DEFAULT_VELOCITY", "DYNAMIC_MARKS", "DYNAMIC_VELOCITY", "HAIRPIN_KINDS", "Dynamic", "Hairpin"]

_DATA = tomllib.loads(resources.files("partita.symbolic").joinpath("dynamics.toml").read_text("utf-8"))
#: Dynamic marks the model knows, and the MIDI velocity each one means when a note has none of
#: its own (the values MuseScore 3 uses for its dynamics).
DYNAMIC_VELOCITY: Mapping[str, int] = MappingProxyType({str(k): int(v) for k, v in _DATA["velocity"].items()})
DYNAMIC_MARKS = frozenset(DYNAMIC_VELOCITY)
#: Velocity of a note with no velocity of its own and no dynamic mark before it.
DEFAULT_VELOCITY = int(_DATA["default"])
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
