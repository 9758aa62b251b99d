"""The tokenizer's formats: its configuration (the grid, the meters and the shape of the
vocabulary, saved as ``tokenizer.json``) and a :class:`TokenSequence` with what travels beside
the ids (the :class:`PartLayout`, title, tempo marks, key signatures, sections, pickup, and the
grid problems met on encoding). The codec that turns a Score into tokens and back is
:class:`partita.symbolic.tokens.Tokenizer`; the grammar of a sequence is in its module docstring.

>>> seq = TokenSequence(ids=(1, 2), layout=PartLayout((PartSlot("vn", "Violin", "violin"),)))
>>> TokenSequence.from_dict(seq.to_dict()) == seq
True
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Mapping

from partita._fileio import atomic_write_text
from partita.errors import ConfigError, PartitaError, TokenizationError
from partita.symbolic.pitch import KeySignature
from partita.symbolic.score import Score, Section
from partita.symbolic.timeline import TempoMark

__all__ = ["SCHEMA_VERSION", "GridProblem", "PartLayout", "PartSlot", "TokenSequence", "TokenizerConfig"]

#: Version of the tokenizer config and token-sequence JSON formats.
SCHEMA_VERSION = 1


# ---------------------------------------------------------------------------------------------
# Configuration


@dataclass(frozen=True, slots=True)
class TokenizerConfig:
    """Everything that fixes a vocabulary; saved as JSON beside every model that uses it.

    Parameters
    ----------
    positions_per_beat
        Onset steps per beat of the meter (the denominator's note value).
    durations
        ``(from_beat, to_beat, steps_per_beat)`` ranges of duration tokens, contiguous from 0;
        the first range's steps equal ``positions_per_beat``.
    max_parts
        Number of part slots (``Program`` tokens).
    pitch_range
        Lowest and highest sounding MIDI pitch with a token (inclusive).
    meters
        ``(denominator, (numerators...))`` pairs: the time signatures with a token.
    special_tokens
        Names of the special tokens, ``PAD`` first.
    schema_version
        Format version of this config.

    Examples
    --------
    >>> c = TokenizerConfig()
    >>> TokenizerConfig.from_dict(c.to_dict()) == c
    True
    """

    positions_per_beat: int = 24
    durations: tuple[tuple[int, int, int], ...] = ((0, 4, 24), (4, 8, 12), (8, 32, 4))
    max_parts: int = 32
    pitch_range: tuple[int, int] = (0, 127)
    meters: tuple[tuple[int, tuple[int, ...]], ...] = (
        (2, (1, 2, 3, 4)),
        (4, (1, 2, 3, 4, 5, 6, 7, 8)),
        (8, tuple(range(1, 13))),
        (16, tuple(range(1, 13))),
    )
    special_tokens: tuple[str, ...] = ("PAD", "BOS", "EOS")
    schema_version: int = SCHEMA_VERSION

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        try:
            set_(self, "durations", tuple((int(a), int(b), int(r)) for a, b, r in self.durations))
            set_(self, "pitch_range", (int(self.pitch_range[0]), int(self.pitch_range[1])))
            set_(self, "meters", tuple((int(d), tuple(int(n) for n in ns)) for d, ns in self.meters))
            set_(self, "special_tokens", tuple(str(s) for s in self.special_tokens))
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"malformed tokenizer config: {exc}") from None
        if self.schema_version != SCHEMA_VERSION:
            raise ConfigError(
                f"tokenizer config schema {self.schema_version!r}; this partita reads {SCHEMA_VERSION}"
            )
        if not (isinstance(self.positions_per_beat, int) and 1 <= self.positions_per_beat <= 96):
            raise ConfigError(f"positions_per_beat {self.positions_per_beat!r} is outside 1-96")
        if not self.durations or self.durations[0][0] != 0:
            raise ConfigError("duration ranges must start at beat 0")
        for (a, b, r), nxt in zip(self.durations, self.durations[1:] + (None,)):
            if not (a < b and r >= 1) or (nxt is not None and nxt[0] != b):
                raise ConfigError(f"duration range {(a, b, r)} is empty or not contiguous")
        if self.durations[0][2] != self.positions_per_beat:
            raise ConfigError("the first duration range's steps per beat must equal positions_per_beat")
        if max(r for _, _, r in self.durations) != self.positions_per_beat:
            raise ConfigError("no duration range may be finer than positions_per_beat")
        if not (isinstance(self.max_parts, int) and 1 <= self.max_parts <= 128):
            raise ConfigError(f"max_parts {self.max_parts!r} is outside 1-128")
        lo, hi = self.pitch_range
        if not 0 <= lo < hi <= 127:
            raise ConfigError(f"pitch_range {self.pitch_range} is not inside 0-127")
        for d, ns in self.meters:
            if d not in (1, 2, 4, 8, 16, 32, 64) or not ns or any(not 1 <= n <= 64 for n in ns):
                raise ConfigError(
                    f"meter entry {(d, ns)} is not a power-of-two denominator with numerators 1-64"
                )
        if not self.special_tokens or self.special_tokens[0] != "PAD":
            raise ConfigError("the first special token must be PAD")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict; :meth:`from_dict` inverts it."""
        return {
            "schema_version": self.schema_version,
            "positions_per_beat": self.positions_per_beat,
            "durations": [list(d) for d in self.durations],
            "max_parts": self.max_parts,
            "pitch_range": list(self.pitch_range),
            "meters": [[d, list(ns)] for d, ns in self.meters],
            "special_tokens": list(self.special_tokens),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TokenizerConfig:
        """Inverse of :meth:`to_dict`; unknown keys or a wrong schema raise ConfigError."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ConfigError(f"unknown tokenizer config keys: {', '.join(sorted(unknown))}")
        try:
            return cls(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in data.items()})
        except TypeError as exc:
            raise ConfigError(f"malformed tokenizer config: {exc}") from None

    def meter_supported(self, numerator: int, denominator: int) -> bool:
        """Whether ``numerator/denominator`` has a TimeSig token."""
        return any(d == denominator and numerator in ns for d, ns in self.meters)

    @property
    def max_duration_beats(self) -> int:
        """The longest duration token, in beats."""
        return self.durations[-1][1]


# ---------------------------------------------------------------------------------------------
# What travels beside the ids


@dataclass(frozen=True, slots=True)
class PartSlot:
    """Identity of the part behind one ``Program`` token value."""

    id: str
    name: str
    instrument: str


@dataclass(frozen=True, slots=True)
class PartLayout:
    """The parts of a score by slot: slot ``i`` is ``slots[i]``.

    >>> from partita.symbolic.score import Part, Score
    >>> PartLayout.from_score(Score(parts=(Part("a", "Viola", "viola"),))).slots[0].instrument
    'viola'
    """

    slots: tuple[PartSlot, ...] = ()

    @classmethod
    def from_score(cls, score: Score) -> PartLayout:
        """The layout of ``score``'s parts, in score order."""
        return cls(tuple(PartSlot(p.id, p.name, p.instrument) for p in score.parts))


@dataclass(frozen=True, slots=True)
class GridProblem:
    """A note the tokenizer's grid cannot hold exactly.

    ``kind`` is ``"onset"`` (between grid points), ``"duration"`` (between duration tokens) or
    ``"too_long"`` (longer than the longest duration token); ``onset``/``duration`` are the
    note's (ties merged), in quarter-lengths; ``fixed_onset``/``fixed_duration`` are where
    ``strict=False`` puts it.
    """

    part: str
    bar: int
    kind: str
    pitch: int
    onset: Fraction
    duration: Fraction
    fixed_onset: Fraction
    fixed_duration: Fraction

    def describe(self) -> str:
        """The problem in words, without the location."""
        if self.kind == "onset":
            return f"note {self.pitch} at onset {self.onset} is off the grid (nearest {self.fixed_onset})"
        reason = "is longer than the longest duration token" if self.kind == "too_long" else "is off the grid"
        return f"note {self.pitch} duration {self.duration} {reason} (nearest {self.fixed_duration})"

    def __str__(self) -> str:
        return f"part {self.part!r}, bar {self.bar}: {self.describe()}"


@dataclass(frozen=True, slots=True)
class TokenSequence:
    """Token ids of a score plus what the tokens do not hold.

    Parameters
    ----------
    ids
        Token ids, ``int`` [n_tokens].
    layout
        Slot -> part identity.
    title, tempo_marks, key_signatures, sections, pickup
        The score's marks that are kept beside the tokens (exactly).
    problems
        What ``encode(..., strict=False)`` moved onto the grid (empty when exact).
    """

    ids: tuple[int, ...]
    layout: PartLayout
    title: str = ""
    tempo_marks: tuple[TempoMark, ...] = (TempoMark(Fraction(0), 120.0),)
    key_signatures: tuple[KeySignature, ...] = ()
    sections: tuple[Section, ...] = ()
    pickup: Fraction = Fraction(0)
    problems: tuple[GridProblem, ...] = field(default=(), compare=False)

    def __len__(self) -> int:
        return len(self.ids)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict (problems are not saved)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "ids": list(self.ids),
            "layout": [dataclasses.asdict(s) for s in self.layout.slots],
            "title": self.title,
            "tempo_marks": [{"onset": str(m.onset), "bpm": m.bpm, "text": m.text} for m in self.tempo_marks],
            "key_signatures": [
                {"onset": str(k.onset), "fifths": k.fifths, "mode": k.mode} for k in self.key_signatures
            ],
            "sections": [{"onset": str(s.onset), "name": s.name} for s in self.sections],
            "pickup": str(self.pickup),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TokenSequence:
        """Inverse of :meth:`to_dict`."""
        try:
            if data.get("schema_version") != SCHEMA_VERSION:
                raise TokenizationError(
                    f"token sequence schema {data.get('schema_version')!r}; expected {SCHEMA_VERSION}"
                )
            return cls(
                ids=tuple(int(i) for i in data["ids"]),
                layout=PartLayout(tuple(PartSlot(**s) for s in data["layout"])),
                title=str(data.get("title", "")),
                tempo_marks=tuple(TempoMark(**m) for m in data.get("tempo_marks", []))
                or (TempoMark(0, 120.0),),
                key_signatures=tuple(KeySignature(**k) for k in data.get("key_signatures", [])),
                sections=tuple(Section(**s) for s in data.get("sections", [])),
                pickup=Fraction(data.get("pickup", "0")),
            )
        except PartitaError:
            raise
        except (KeyError, TypeError, ValueError) as exc:
            raise TokenizationError(f"not a partita token sequence: {exc}") from None

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write this sequence as JSON, atomically."""
        path = Path(path)
        atomic_write_text(path, json.dumps(self.to_dict(), ensure_ascii=False))
        return path

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> TokenSequence:
        """Read a sequence written by :meth:`save`."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise TokenizationError(f"cannot read token sequence: {exc}", file=str(path)) from None
        try:
            return cls.from_dict(data)
        except PartitaError as exc:
            raise exc.located(file=str(path)) from None
