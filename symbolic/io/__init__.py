"""Reading and writing scores, chosen by file extension.

>>> import tempfile, pathlib
>>> from partita.symbolic.io import read, write
>>> from partita.symbolic.score import Note, Part, Score
>>> score = Score(parts=(Part("fl", "Flute", "flute", (Note(0, 1, 72), Note(1, 1, 74))),))
>>> path = write(score, pathlib.Path(tempfile.mkdtemp()) / "duet.mid")
>>> [n.pitch for n in read(path).parts[0].notes]
[72, 74]

| extension                   | read | write | through                          |
| --------------------------- | ---- | ----- | -------------------------------- |
| .musicxml .xml .mxl         | yes  | yes   | music21                          |
| .mid .midi                  | yes  | yes   | pretty_midi / mido               |
| .mscx .mscz                 | yes  | yes   | the real MuseScore 3 (mscore3)   |
| .abc .krn                   | yes  | no    | music21                          |

Readers never modify their input; writers write atomically. Anything wrong with a file is a
:class:`~partita.errors.PartitaError` naming the file (and part and bar where known).
"""

from __future__ import annotations

import contextlib
import gc
import os
from pathlib import Path
from typing import Iterator

from partita.errors import FormatError, PartitaError
from partita.symbolic.score import Score

__all__ = ["read", "write", "READ_EXTENSIONS", "WRITE_EXTENSIONS"]

_READERS = {
    ".musicxml": "musicxml", ".xml": "musicxml", ".mxl": "musicxml",
    ".mid": "midi", ".midi": "midi",
    ".mscx": "musescore", ".mscz": "musescore",
    ".abc": "musicxml", ".krn": "musicxml",
}  # fmt: skip
_WRITERS = {
    ".musicxml": "musicxml", ".xml": "musicxml", ".mxl": "musicxml",
    ".mid": "midi", ".midi": "midi",
    ".mscx": "musescore", ".mscz": "musescore",
}  # fmt: skip
READ_EXTENSIONS = tuple(_READERS)
WRITE_EXTENSIONS = tuple(_WRITERS)


def _module(kind: str):
    # formats import their heavy libraries (music21, pretty_midi) lazily, on first use
    if kind == "musicxml":
        from partita.symbolic.io import musicxml as mod
    elif kind == "midi":
        from partita.symbolic.io import midi as mod
    else:
        from partita.symbolic.io import musescore as mod
    return mod


def read(
    path: str | os.PathLike[str],
    *,
    number: int | None = None,
    limits: object = None,
    progress: object = None,
) -> Score:
    """Read a score from ``path``; the format follows the extension.

    Parameters
    ----------
    number
        Which tune of an ABC tune book (its ``X:`` number; :func:`partita.symbolic.io.abc.tunes`
        lists them); other formats hold one score and refuse it.
    limits
        A :class:`~partita.symbolic.io.musicxml_parts.Limits` (default: ``Limits()``, 20,000
        bars and 1,000 parts): a larger score raises :class:`~partita.errors.LimitError`.
    progress
        ``progress(done, total, what)``, called while a large file is read.

    Raises
    ------
    FormatError
        Unknown extension, missing file, or a file that is not what its extension says.
    """
    path = Path(path)
    kind = _READERS.get(path.suffix.lower())
    if kind is None:
        raise FormatError(
            f"cannot read {path.suffix or 'files without an extension'}; "
            f"partita reads {', '.join(READ_EXTENSIONS)}",
            file=str(path),
        )
    if not path.is_file():
        raise FormatError("no such file", file=str(path))
    if number is not None and path.suffix.lower() != ".abc":
        raise FormatError("only an ABC tune book holds several tunes to choose from", file=str(path))
    try:
        with _collector_paused():
            if kind == "musicxml":
                return _module(kind).read(path, number=number, limits=limits, progress=progress)
            return _module(kind).read(path, limits=limits, progress=progress)
    except PartitaError as exc:
        raise exc.located(file=str(path)) from None


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off while a score is read (on again after, if it was on).

    Reading builds tens of thousands of small objects (music21's, then the Score's), and each
    full collection the allocations trigger walks all of them again: a fifth of the CPU time
    of reading the 8-part bench score went to it (0.79 s against 0.62 s without). What the read
    made is then moved to the collector's oldest generation as it is (``gc.freeze()`` and
    ``gc.unfreeze()``: two list splices): left in the youngest, past its threshold, the first
    allocation after the read walked all of it (0.1 s after reading the pop-band benchmark
    score, for 23 objects of cyclic garbage, which a later full collection frees as well). Not
    where the program has frozen objects of its own (``gc.unfreeze()`` would thaw them)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            if not gc.get_freeze_count():
                gc.freeze()
                gc.unfreeze()
            gc.enable()


def write(score: Score, path: str | os.PathLike[str]) -> Path:
    """Write ``score`` to ``path`` atomically; the format follows the extension."""
    path = Path(path)
    kind = _WRITERS.get(path.suffix.lower())
    if kind is None:
        raise FormatError(
            f"cannot write {path.suffix or 'files without an extension'}; "
            f"partita writes {', '.join(WRITE_EXTENSIONS)}",
            file=str(path),
        )
    try:
        _module(kind).write(score, path)
    except PartitaError as exc:
        raise exc.located(file=str(path)) from None
    return path
