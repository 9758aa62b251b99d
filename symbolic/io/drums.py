"""Drum-set parts in MusicXML: which General MIDI percussion key each unpitched note plays.

A drum-set part of a MusicXML file (as MuseScore 3 and 4, Finale, Sibelius and Dorico export it)
lists its drum sounds as ``<score-instrument>`` elements and marks each unpitched note with an
``<instrument id>``; music21 keeps only the part's first sound, so the reader looks the
per-note element up in the file itself (:mod:`partita.symbolic.io.musicxml_parts`) and this
module turns a sound into a key, from the data file ``drum_map.toml`` (its comments cite the
sources):

1. the sound's ``<midi-unpitched>`` (which counts from 1: 37 is key 36);
2. its ``<instrument-name>`` ("Acoustic Snare", "Kick Drum", "Hi-Hat Closed");
3. the note's displayed staff position (MuseScore's default drum set: F4 bass drum, C5 snare).

>>> key_of_sound(unpitched=None, name="Snare Drum")
38
>>> key_of_sound(unpitched=37, name="anything")
36
>>> key_of_display("F", 4)
36
"""

from __future__ import annotations

import functools
import re
import tomllib
from importlib import resources

__all__ = ["key_of_sound", "key_of_display", "display_table", "gm_drum_name"]

_NOT_WORD = re.compile(r"[^a-z0-9]+")


def _fold(name: str) -> str:
    # Finale writes "Hi-Hat%g Closed" (a font escape) for "Hi-Hat Closed"
    return " ".join(_NOT_WORD.sub(" ", name.replace("%g", " ").lower()).split())


@functools.lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, int], dict[tuple[str, int], int], dict[int, str]]:
    with resources.files("partita.symbolic.io").joinpath("drum_map.toml").open("rb") as fh:
        data = tomllib.load(fh)
    names: dict[str, int] = {}
    first: dict[int, str] = {}
    for key, aliases in data["names"].items():
        first[int(key)] = aliases[0]
        for alias in aliases:
            names[_fold(alias)] = int(key)
    display = {}
    for pos, key in data["display"].items():
        step, octave = pos.split()
        display[(step, int(octave))] = int(key)
    return names, display, first


def key_of_sound(*, unpitched: int | None, name: str | None) -> int | None:
    """The GM percussion key of one drum sound of a part, or None when nothing names one.

    Parameters
    ----------
    unpitched
        The sound's ``<midi-unpitched>`` as written (1-128), or None.
    name
        The sound's ``<instrument-name>``, or None.
    """
    if unpitched is not None and 1 <= unpitched <= 128:
        return unpitched - 1
    if name:
        names = _tables()[0]
        folded = _fold(name)
        if folded in names:
            return names[folded]
    return None


def key_of_display(step: str | None, octave: int | None) -> int | None:
    """The key MuseScore's default drum set puts at a staff position, or None."""
    if step is None or octave is None:
        return None
    return _tables()[1].get((str(step).upper(), int(octave)))


def display_table() -> dict[tuple[str, int], int]:
    """MuseScore's default drum-set staff positions: ``{(step, octave): key}``."""
    return dict(_tables()[1])


def gm_drum_name(key: int) -> str | None:
    """The General MIDI name of a percussion key (35-81), lower case, or None."""
    return _tables()[2].get(key)
