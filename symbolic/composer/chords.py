"""Chord symbols: the qualities the planner and the composer's chord controls know (data in
``chords.toml``), a symbol's root and quality, and Roman numerals spelled in a key.

>>> chord_root_quality("Bbm"), chord_name(2, "min", flats=False)
((10, 'min'), 'Dm')
>>> roman_to_chord("V7", key="D", mode="minor")
'A7'
"""

from __future__ import annotations

import os
import re
from types import MappingProxyType
from typing import Mapping

from partita._presets import Entry, load, table
from partita.errors import ConfigError, PresetError

__all__ = ["QUALITIES", "TONICS", "chord_name", "chord_root_quality", "load_chords", "prefers_flats", "roman_to_chord"]

SHARP_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
FLAT_NAMES = ("C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B")
#: lower-case tonic name (sharp or flat spelling) -> pitch class
TONICS: Mapping[str, int] = MappingProxyType(
    {n.lower(): i for i, n in enumerate(SHARP_NAMES)} | {n.lower(): i for i, n in enumerate(FLAT_NAMES)}
)

_DEGREES = ("i", "ii", "iii", "iv", "v", "vi", "vii")
_Chords = tuple[Mapping[str, tuple[str, tuple[int, ...]]], Mapping[str, int], Mapping[str, int]]


def load_chords(path: str | os.PathLike[str] | None = None) -> _Chords:
    """The chord qualities (name -> symbol suffix and pitch classes above the root, in token
    order) and the Roman numerals' degrees in major and in minor, from ``chords.toml`` (package
    data, read once) or the file at ``path``. A bad value raises
    :class:`~partita.errors.PresetError` naming the file, the entry and the field.

    >>> qualities, major, minor = load_chords()
    >>> qualities["min"], major["vi"], minor["vi"]
    (('m', (0, 3, 7)), 9, 8)
    """
    return load("partita.symbolic.composer", "chords.toml", _parse_chords, path)


def _parse_chords(data: dict, file: str) -> _Chords:
    qualities = {}
    for name, raw in table(data, "qualities", file=file).items():
        e = Entry(file, f"qualities.{name}", raw)
        suffix, intervals = e.text("suffix"), e.items("intervals")
        e.done()
        if not (3 <= len(intervals) <= 4 and intervals[0] == 0
                and all(not isinstance(i, bool) and isinstance(i, int) and 0 <= i <= 11 for i in intervals)):  # fmt: skip
            raise e.error("intervals", f"{intervals!r} is not 3-4 pitch classes 0-11 starting at 0")
        qualities[name] = (suffix, tuple(intervals))
    roman = table(data, "roman", file=file)
    degrees = []
    for mode in ("major", "minor"):
        e = Entry(file, f"roman.{mode}", table(roman, mode, file=file))
        degrees.append(MappingProxyType({d: e.number(d, 0, 11, integer=True) for d in _DEGREES}))
        e.done()
    if set(roman) != {"major", "minor"}:
        raise PresetError(f"[roman] holds {', '.join(roman)}; it must be major and minor", file=file, entry="roman")
    return MappingProxyType(qualities), degrees[0], degrees[1]


#: chord quality -> suffix of the chord symbol, and pitch classes above the root (in token order)
QUALITIES, _ROMAN, _ROMAN_MINOR = load_chords()
_SUFFIX_QUALITY = {suffix: q for q, (suffix, _) in QUALITIES.items()}


def chord_root_quality(figure: str) -> tuple[int, str]:
    """Root pitch class and quality (a key of :data:`QUALITIES`) of a chord symbol.

    >>> chord_root_quality("Bbm"), chord_root_quality("F#dim"), chord_root_quality("A7")
    ((10, 'min'), (6, 'dim'), (9, '7'))
    """
    m = re.fullmatch(r"([A-G])(#|b)?(m|dim|aug|7|)", figure.strip())
    if not m:
        raise ConfigError(f"chord {figure!r} is not like 'D', 'Dm', 'D7', 'Ddim' or 'Daug'")
    root = TONICS[(m.group(1) + (m.group(2) or "")).lower()]
    return root, _SUFFIX_QUALITY[m.group(3)]


def chord_name(root_pc: int, quality: str, *, flats: bool) -> str:
    """A chord symbol from a root pitch class and a quality (``(2, "min")`` -> ``"Dm"``)."""
    return (FLAT_NAMES if flats else SHARP_NAMES)[root_pc % 12] + QUALITIES[quality][0]


def roman_to_chord(numeral: str, *, key: str, mode: str) -> str:
    """A Roman numeral of ``key`` ``mode`` as a chord symbol.

    Upper case is major, lower case minor, ``°`` diminished, ``+`` augmented, a trailing ``7``
    a dominant seventh; in minor, ``V`` is the major dominant of the harmonic minor.

    >>> roman_to_chord("V7", key="D", mode="minor"), roman_to_chord("VI", key="D", mode="minor")
    ('A7', 'Bb')
    """
    m = re.fullmatch(r"(b?)([ivIV]+)(°|\+)?(7)?", numeral)
    if not m or m.group(2).lower() not in _ROMAN:
        raise ConfigError(f"Roman numeral {numeral!r} is not understood")
    flat, deg, alt, seventh = m.groups()
    table = _ROMAN_MINOR if mode == "minor" else _ROMAN
    offset = table[deg.lower()] - (1 if flat else 0)
    if mode == "minor" and deg.lower() == "vii" and alt == "°":
        offset = 11  # leading-tone diminished chord
    quality = "dim" if alt == "°" else "aug" if alt == "+" else ("maj" if deg.isupper() else "min")
    if seventh and quality == "maj":
        quality = "7"
    root = (TONICS[key.lower()] + offset) % 12
    return chord_name(root, quality, flats=prefers_flats(key, mode))


def prefers_flats(key: str, mode: str) -> bool:
    """Whether chord symbols in ``key`` ``mode`` are spelled with flats (F major, flat keys, and
    D, G, C, F minor)."""
    if "b" in key[1:] or key == "F":
        return True
    return mode == "minor" and key in ("D", "G", "C", "F")
