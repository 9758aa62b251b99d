"""partita: compose and perform music.

The facade: :func:`load` and :func:`save` read and write scores in every format partita knows
(chosen by extension). Everything heavy is imported on first use.

>>> import partita
>>> partita.__version__
'0.1.0'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from partita.errors import PartitaError

from partita._version import __version__
__all__ = ["PartitaError", "__version__", "load", "save", "render"]

if TYPE_CHECKING:  # pragma: no cover
    import os
    from pathlib import Path

    from partita.symbolic.score import Score


def load(path: str | os.PathLike[str]) -> Score:
    """Read a score (MusicXML, MIDI, MuseScore, ABC) from ``path``."""
    from partita.symbolic.io import read

    return read(path)


def save(score: Score, path: str | os.PathLike[str]) -> Path:
    """Write ``score`` to ``path`` (format by extension), atomically."""
    from partita.symbolic.io import write

    return write(score, path)


def render(score: Score, out_dir: str | os.PathLike[str], *, sample_rate: int = 48000, seed: int = 0, **kwargs):
    """Perform ``score`` into one WAV stem per part in ``out_dir/stems`` (see :mod:`partita.render.stems`)."""
    from partita.render.stems import render as _render

    return _render(score, out_dir, sample_rate=sample_rate, seed=seed, **kwargs)
