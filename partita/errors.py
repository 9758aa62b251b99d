"""The errors partita raises on bad input.

Every error a user can cause is a :class:`PartitaError`. Its message names the file, the part
and the bar where they are known, so that a one-line report is enough to find the problem::

    score.musicxml: part 'Violin I', bar 12: pitch 131 is outside MIDI's 0-127

Readers add the file (and the bar, once they know the meter) with :meth:`PartitaError.located`
as the error travels up; the CLI prints ``str(error)`` on one line and exits with code 2.

>>> err = ScoreError("pitch 131 is outside MIDI's 0-127", part="Violin I", onset=Fraction(44))
>>> print(err.located(file="score.musicxml", bar_of=lambda onset: int(onset // 4) + 1))
score.musicxml, part 'Violin I', bar 12: pitch 131 is outside MIDI's 0-127
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Callable

__all__ = [
    "PartitaError",
    "ScoreError",
    "FormatError",
    "InstrumentError",
    "ExternalToolError",
    "TokenizationError",
    "ConfigError",
    "PresetError",
    "OutputError",
    "LimitError",
    "CheckpointError",
]


class PartitaError(Exception):
    """Base class of every error partita raises on bad input or a bad environment.

    Parameters
    ----------
    message
        What is wrong, as one sentence without the location.
    file, part, bar
        Where, when known. ``bar`` is the bar number as a musician counts it.
    onset
        The offending position in quarter notes from the start of the score, when the bar is
        not yet known (a part checked outside its score). :meth:`located` turns it into a bar.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        part: str | None = None,
        bar: int | None = None,
        onset: Fraction | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.part = part
        self.bar = bar
        self.onset = onset
        super().__init__(str(self))

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(str(self.file))
        if self.part:
            where.append(f"part {self.part!r}")
        if self.bar is not None:
            where.append(f"bar {self.bar}")
        elif self.onset is not None:
            where.append(f"quarter-note offset {float(self.onset):g}")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message

    def located(
        self,
        *,
        file: str | None = None,
        part: str | None = None,
        bar_of: Callable[[Fraction], int] | None = None,
    ) -> PartitaError:
        """Return a copy of this error with the location filled in where it was missing."""
        bar = self.bar
        if bar is None and self.onset is not None and bar_of is not None:
            try:
                bar = bar_of(self.onset)
            except Exception:  # the meter itself may be what is broken
                bar = None
        return type(self)(
            self.message,
            file=self.file or file,
            part=self.part or part,
            bar=bar,
            onset=self.onset,
        )

    def for_file(self, file: str) -> PartitaError:
        """Return a copy of this error naming ``file`` in place of the file it named (a reader
        that worked on a temporary copy names the user's file this way)."""
        return type(self)(self.message, file=file, part=self.part, bar=self.bar, onset=self.onset)


class ScoreError(PartitaError):
    """A score, part or note that breaks the Score model's invariants."""


class FormatError(PartitaError):
    """A file that cannot be read as the format its extension says (truncated, malformed)."""


class InstrumentError(PartitaError):
    """An instrument name or id that the catalog does not know."""


class ExternalToolError(PartitaError):
    """A real component (MuseScore, fluidsynth) that is missing or failed."""


class TokenizationError(PartitaError):
    """A score the REMI tokenizer cannot hold exactly, or tokens that do not decode."""


class ConfigError(PartitaError):
    """An impossible setting or parameter."""


class PresetError(ConfigError):
    """A preset table shipped as package data (timbres, performer presets, rule profiles, the
    drum kit, grooves) with a value missing, of the wrong type or out of range. The message
    names the file, the entry and the field.

    >>> print(PresetError("-3 is outside 0.2 to 6", file="timbres.toml", entry="bowed", field="tilt"))
    timbres.toml: entry 'bowed', field 'tilt': -3 is outside 0.2 to 6
    """

    def __init__(self, message: str, *, entry: str | None = None, field: str | None = None, **where: Any) -> None:
        self.entry = entry
        self.field = field
        named = ", ".join(x for x in (entry and f"entry {entry!r}", field and f"field {field!r}") if x)
        super().__init__(f"{named}: {message}" if named else message, **where)


class OutputError(PartitaError):
    """An output that cannot be written (a folder that cannot be created, no permission, a
    full disk); the message names the user's path."""


class LimitError(PartitaError):
    """An input larger than the limits in force (bars, parts); the message says which limit
    and how to raise it."""


class CheckpointError(PartitaError):
    """A checkpoint or weight file that cannot be used: missing, corrupt, another format or
    version, another kind of model, a vocabulary or sha256 other than the expected one."""
