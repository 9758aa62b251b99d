"""ABC tune books: the tunes a file holds, so that any of them can be read, not only the first.

An ABC file may hold many tunes, each starting with an ``X:`` reference number line and a
``T:`` title (abc standard 2.1, section 2.2). :func:`tunes` lists them from those header lines
alone (no music21), and ``partita.symbolic.io.read(path, number=N)`` (CLI: ``--tune N``) reads
tune ``X: N``.

>>> import tempfile, pathlib
>>> book = pathlib.Path(tempfile.mkdtemp()) / "book.abc"
>>> _ = book.write_text("X:1\\nT:First\\nK:C\\nCDEF|\\n\\nX:2\\nT:Second\\nK:G\\nGABc|\\n")
>>> [(t.number, t.title) for t in tunes(book)]
[(1, 'First'), (2, 'Second')]
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from partita.errors import FormatError

__all__ = ["Tune", "tunes"]


@dataclass(frozen=True, slots=True)
class Tune:
    """One tune of a book: its ``X:`` number and its first ``T:`` title ("" when none)."""

    number: int
    title: str


def tunes(path: str | os.PathLike[str]) -> tuple[Tune, ...]:
    """The tunes of an ABC file, in file order.

    Raises
    ------
    FormatError
        The file cannot be read, or holds no ``X:`` line with a whole number.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise FormatError(f"cannot read the file: {exc.strerror or exc}", file=str(path)) from None
    found: list[Tune] = []
    number: int | None = None
    title = ""
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("X:"):
            if number is not None:
                found.append(Tune(number, title))
            digits = line[2:].strip().split(maxsplit=1)
            number = int(digits[0]) if digits and digits[0].isdigit() else None
            title = ""
        elif line.startswith("T:") and number is not None and not title:
            title = line[2:].strip()
    if number is not None:
        found.append(Tune(number, title))
    if not found:
        raise FormatError("no tune (no 'X:' line with a number) in the ABC file", file=str(path))
    return tuple(found)
