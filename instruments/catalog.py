"""The instrument catalog: range, transposition, clef, General MIDI program and seating.

The data lives in ``catalog.toml`` next to this module (every key's unit and meaning is
documented at the top of that file); it is read with :mod:`importlib.resources` and parsed
once, on first use.

Pitches are MIDI note numbers (60 = C4 = middle C). Ranges are in sounding pitch; a
transposing instrument's written pitch is ``sounding - transposition``.
"""

from __future__ import annotations

import difflib
import functools
import os
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from importlib import resources
from typing import Any

from partita._presets import Entry, load, table
from partita.errors import InstrumentError, PresetError

__all__ = [
    "FAMILIES",
    "CLEFS",
    "Instrument",
    "get",
    "lookup",
    "by_program",
    "all_instruments",
    "is_percussion",
]

FAMILIES: tuple[str, ...] = (
    "strings",
    "woodwinds",
    "brass",
    "keyboards",
    "plucked",
    "voice",
    "pitched_percussion",
    "percussion",
)
"""The families an :class:`Instrument` can belong to."""

CLEFS: dict[str, tuple[str, int | None, int]] = {
    "treble": ("G", 2, 0),
    "treble8vb": ("G", 2, -1),
    "treble8va": ("G", 2, 1),
    "bass": ("F", 4, 0),
    "bass8vb": ("F", 4, -1),
    "alto": ("C", 3, 0),
    "tenor": ("C", 4, 0),
    "percussion": ("percussion", None, 0),
}
"""Clef name -> MusicXML (``<sign>``, ``<line>``, ``<clef-octave-change>``)."""

_FIELDS = (
    "name",
    "abbreviation",
    "family",
    "sounding_range",
    "comfortable_range",
    "transposition",
    "clef",
    "gm_program",
    "monophonic",
    "pan",
)
_OPTIONAL_FIELDS = ("percussion", "sound", "aliases")
_ID_PATTERN = re.compile(r"[a-z][a-z0-9_]*")


@dataclass(frozen=True, slots=True)
class Instrument:
    """One catalog entry. Build it from the catalog (:func:`get`, :func:`lookup`), not by hand.

    Parameters
    ----------
    id
        Stable lowercase identifier, e.g. ``"violin"``.
    name, abbreviation
        Display names, e.g. ``"Violin"``, ``"Vln."``.
    family
        One of :data:`FAMILIES`.
    sounding_range
        ``(low, high)`` MIDI note numbers, inclusive, sounding pitch: what a professional plays.
    comfortable_range
        ``(low, high)`` MIDI, sounding, inclusive, inside ``sounding_range``.
    transposition
        Semitones from written to sounding pitch (B-flat clarinet -2, horn in F -7).
    clef
        Name of the clef the part is written in, a key of :data:`CLEFS`.
    gm_program
        General MIDI program, 0-127, numbered from 0.
    percussion
        True when the instrument plays on the GM percussion channel (10).
    monophonic
        True when it plays one note at a time.
    pan
        Default stereo position from the orchestra seating, -1.0 (left) .. +1.0 (right).
    aliases
        Lowercase names people write for it; :func:`lookup` matches them.
    sound
        MusicXML standard sound id (``"strings.violin"``), or None.
    """

    id: str
    name: str
    abbreviation: str
    family: str
    sounding_range: tuple[int, int]
    comfortable_range: tuple[int, int]
    transposition: int
    clef: str
    gm_program: int
    percussion: bool
    monophonic: bool
    pan: float
    aliases: tuple[str, ...]
    sound: str | None

    def __post_init__(self) -> None:
        def fail(message: str) -> None:
            raise InstrumentError(f"instrument {self.id!r}: {message}")

        if not isinstance(self.id, str) or not _ID_PATTERN.fullmatch(self.id):
            fail("id must be lowercase letters, digits and underscores")
        for key in ("name", "abbreviation"):
            if not isinstance(getattr(self, key), str) or not getattr(self, key).strip():
                fail(f"{key} must be a non-empty string")
        if self.family not in FAMILIES:
            fail(f"family {self.family!r} is not one of {', '.join(FAMILIES)}")
        for key in ("sounding_range", "comfortable_range"):
            pair = getattr(self, key)
            if (
                not isinstance(pair, tuple)
                or len(pair) != 2
                or not all(_is_int(p) for p in pair)
            ):
                fail(f"{key} must be a pair of MIDI note numbers, got {pair!r}")
            low, high = pair
            if not 0 <= low <= high <= 127:
                fail(f"{key} {list(pair)} must satisfy 0 <= low <= high <= 127")
        (low, high), (c_low, c_high) = self.sounding_range, self.comfortable_range
        if not low <= c_low <= c_high <= high:
            fail(
                f"comfortable_range {[c_low, c_high]} is not inside "
                f"sounding_range {[low, high]}"
            )
        if not _is_int(self.transposition) or not -48 <= self.transposition <= 48:
            fail(f"transposition must be whole semitones in -48..48, got {self.transposition!r}")
        if self.clef not in CLEFS:
            fail(f"clef {self.clef!r} is not one of {', '.join(CLEFS)}")
        if not _is_int(self.gm_program) or not 0 <= self.gm_program <= 127:
            fail(f"gm_program must be 0-127, got {self.gm_program!r}")
        for key in ("percussion", "monophonic"):
            if not isinstance(getattr(self, key), bool):
                fail(f"{key} must be true or false")
        if (
            isinstance(self.pan, bool)
            or not isinstance(self.pan, (int, float))
            or not -1.0 <= self.pan <= 1.0
        ):
            fail(f"pan must be a number in [-1, 1], got {self.pan!r}")
        if not isinstance(self.aliases, tuple) or not all(
            isinstance(a, str) and a == a.lower() and a.strip() for a in self.aliases
        ):
            fail("aliases must be non-empty lowercase strings")
        if self.sound is not None and (not isinstance(self.sound, str) or not self.sound):
            fail("sound must be a MusicXML sound id or absent")

    def written_to_sounding(self, pitch: int) -> int:
        """Return the sounding MIDI pitch of a written MIDI pitch.

        Parameters
        ----------
        pitch
            Written pitch, MIDI note number.

        Returns
        -------
        int
            ``pitch + transposition``.

        Examples
        --------
        >>> from partita.instruments import get
        >>> get("clarinet").written_to_sounding(62)  # written D4 sounds C4
        60
        """
        return pitch + self.transposition

    def sounding_to_written(self, pitch: int) -> int:
        """Return the written MIDI pitch that sounds as ``pitch``.

        Parameters
        ----------
        pitch
            Sounding pitch, MIDI note number.

        Returns
        -------
        int
            ``pitch - transposition``.

        Examples
        --------
        >>> from partita.instruments import get
        >>> get("horn").sounding_to_written(60)  # concert C4 is written G4 for horn in F
        67
        """
        return pitch - self.transposition

    def in_range(self, pitch: int) -> bool:
        """Whether a sounding MIDI pitch is inside the professional playable range.

        Parameters
        ----------
        pitch
            Sounding pitch, MIDI note number.

        Returns
        -------
        bool

        Examples
        --------
        >>> from partita.instruments import get
        >>> get("violin").in_range(55), get("violin").in_range(54)
        (True, False)
        """
        low, high = self.sounding_range
        return low <= pitch <= high

    def in_comfortable_range(self, pitch: int) -> bool:
        """Whether a sounding MIDI pitch is inside the comfortable range.

        Parameters
        ----------
        pitch
            Sounding pitch, MIDI note number.

        Returns
        -------
        bool

        Examples
        --------
        >>> from partita.instruments import get
        >>> get("violin").in_comfortable_range(100)  # E7: playable, not comfortable
        False
        """
        low, high = self.comfortable_range
        return low <= pitch <= high


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


_FLAT = re.compile(r"\b([a-g])\s*-?\s*flat\b")
_SHARP = re.compile(r"\b([a-g])\s*-?\s*sharp\b")
_NOT_WORD = re.compile(r"[^a-z0-9#]+")
_PART_NUMBER = re.compile(r"(\s+(\d+|[ivx]+))+$|(?<=[a-z])\d+$")
_ORDINAL = re.compile(r"^(\d+(st|nd|rd|th)|first|second|third|fourth)\s+")


def _normalize(text: str) -> str:
    """Fold case, accents, flats and punctuation: "Clarinet in B♭" -> "clarinet bb"."""
    text = text.replace("♭", "b").replace("♯", "#").lower()
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = _FLAT.sub(r"\1b", text)
    text = _SHARP.sub(r"\1#", text)
    text = _NOT_WORD.sub(" ", text)
    words = [w for w in text.split() if w != "in"]  # "horn in f" == "horn f" == "horn (f)"
    return " ".join(words)


def _candidates(name: str) -> list[str]:
    """The keys to try for a name, most literal first."""
    key = _normalize(name)
    keys = [key]
    stripped = _ORDINAL.sub("", _PART_NUMBER.sub("", key)).strip()
    if stripped and stripped != key:
        keys.append(stripped)
    for k in list(keys):  # plurals: "violins", "horns", "trumpets"
        if k.endswith("s") and len(k) > 3:
            keys.append(k[:-1])
        if k.endswith("es") and len(k) > 4:
            keys.append(k[:-2])
    return keys


@dataclass(frozen=True, slots=True)
class _Catalog:
    by_id: dict[str, Instrument]
    index: dict[str, str]  # normalised name -> id
    programs: tuple[str, ...]  # GM program -> id, 128 entries


def load_program_fallback(path: str | os.PathLike[str] | None = None) -> dict[int, str]:
    """GM program -> the catalog id standing in for it when no entry has that program, from
    ``gm_fallback.toml`` (package data) or the file at ``path``. A key that is not a program
    0-127 or a value that is not a string raises :class:`~partita.errors.PresetError` naming
    the file and the program (ids are checked against the catalog when it loads).

    >>> load_program_fallback()[109]  # Bag pipe
    'oboe'
    """
    return load("partita.instruments", "gm_fallback.toml", _parse_fallback, path)


def _parse_fallback(data: dict, file: str) -> dict[int, str]:
    e = Entry(file, "fallback", table(data, "fallback", file=file))
    out = {}
    for key in e.data:
        if not (key.isdigit() and int(key) <= 127):
            raise e.error(key, "a GM program is an integer 0-127")
        out[int(key)] = e.text(key)
    return out


@functools.cache
def _catalog() -> _Catalog:
    text = resources.files("partita.instruments").joinpath("catalog.toml").read_text("utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InstrumentError(f"catalog.toml is not valid TOML: {error}") from error
    by_id = {key: _entry(key, table) for key, table in data.items()}

    index: dict[str, str] = {}
    for instrument in by_id.values():
        names = (
            instrument.id,
            instrument.name,
            instrument.abbreviation,
            *([instrument.sound] if instrument.sound else []),
            *instrument.aliases,
        )
        for name in names:
            key = _normalize(name)
            if index.setdefault(key, instrument.id) != instrument.id:
                raise InstrumentError(
                    f"instrument {instrument.id!r}: name {name!r} is also a name of "
                    f"{index[key]!r}"
                )

    programs: dict[int, str] = {}
    for instrument in by_id.values():
        if not instrument.percussion:
            programs.setdefault(instrument.gm_program, instrument.id)
    for program, instrument_id in load_program_fallback().items():
        if instrument_id not in by_id:
            raise PresetError(f"{instrument_id!r} is not a catalog instrument", file="gm_fallback.toml",
                              entry="fallback", field=str(program))  # fmt: skip
        programs.setdefault(program, instrument_id)
    table = tuple(programs.get(p, "piano") for p in range(128))
    missing = {i for i in table if i not in by_id}
    if missing:
        raise InstrumentError(f"program fallback names unknown instruments: {sorted(missing)}")
    return _Catalog(by_id=by_id, index=index, programs=table)


def _entry(instrument_id: str, table: Any) -> Instrument:
    if not isinstance(table, dict):
        raise InstrumentError(f"instrument {instrument_id!r}: must be a TOML table")
    missing = [key for key in _FIELDS if key not in table]
    unknown = sorted(set(table) - set(_FIELDS) - set(_OPTIONAL_FIELDS))
    if missing or unknown:
        raise InstrumentError(
            f"instrument {instrument_id!r}: missing keys {missing}, unknown keys {unknown}"
        )
    values = dict(table)
    for key in ("sounding_range", "comfortable_range"):
        values[key] = tuple(values[key]) if isinstance(values[key], list) else values[key]
    aliases = values.get("aliases", [])
    values["aliases"] = tuple(aliases) if isinstance(aliases, list) else aliases
    values.setdefault("percussion", False)
    values.setdefault("sound", None)
    return Instrument(id=instrument_id, **values)


def _suggest(name: str, keys: list[str], to_id: dict[str, str] | None = None) -> str:
    query = _normalize(name) if to_id is not None else name
    close = difflib.get_close_matches(query, keys, n=6, cutoff=0.6)
    ids = list(dict.fromkeys(to_id[k] if to_id else k for k in close))[:3]
    if ids:
        return "closest: " + ", ".join(ids)
    return "see partita.instruments.all_instruments() for the catalog"


def get(instrument_id: str) -> Instrument:
    """Return the catalog entry with exactly this id.

    Parameters
    ----------
    instrument_id
        A catalog id such as ``"violin"`` or ``"clarinet_a"``. Use :func:`lookup` for the
        names people write in scores.

    Returns
    -------
    Instrument

    Raises
    ------
    InstrumentError
        If no entry has this id; the message names the closest ids.

    Examples
    --------
    >>> from partita.instruments import get
    >>> get("violin").sounding_range
    (55, 105)
    >>> get("violn")
    Traceback (most recent call last):
    ...
    partita.errors.InstrumentError: unknown instrument 'violn'; closest: violin, viola
    """
    catalog = _catalog()
    try:
        return catalog.by_id[instrument_id]
    except (KeyError, TypeError):
        hint = _suggest(str(instrument_id), list(catalog.by_id))
        raise InstrumentError(f"unknown instrument {instrument_id!r}; {hint}") from None


def lookup(name: str) -> Instrument:
    """Find the instrument a name in a score means.

    Matches the id, display name, abbreviation, aliases and MusicXML sound id, ignoring case,
    accents, punctuation, the word "in", the spelling of flats ("B♭", "Bb", "B-flat"), a
    leading ordinal ("2nd Violin"), a trailing part number ("Violin I", "Horn in F 2") and a
    plural ("Violins").

    Parameters
    ----------
    name
        A part or instrument name as written by a person, MuseScore or music21.

    Returns
    -------
    Instrument

    Raises
    ------
    InstrumentError
        If nothing matches; the message names the closest catalog ids.

    Examples
    --------
    >>> from partita.instruments import lookup
    >>> lookup("Violin I").id, lookup("Vc.").id, lookup("Clarinet in B♭").id
    ('violin', 'cello', 'clarinet')
    >>> lookup("brass.french-horn").id
    'horn'
    """
    catalog = _catalog()
    if not isinstance(name, str):
        raise InstrumentError(f"instrument name must be a string, got {name!r}")
    for key in _candidates(name):
        if key in catalog.index:
            return catalog.by_id[catalog.index[key]]
    hint = _suggest(name, list(catalog.index), catalog.index)
    raise InstrumentError(f"unknown instrument {name!r}; {hint}")


def by_program(program: int, *, percussion: bool = False) -> Instrument:
    """Return the catalog entry that plays a General MIDI program.

    A program with its own entry returns it (the first in catalog order where several share
    one: 71 -> B-flat clarinet, 53 -> soprano). Other programs return the nearest entry of the
    same GM family (blocks of 8: 44 tremolo strings -> violin, 61 brass section -> horn,
    25 steel guitar -> acoustic guitar). Synth leads, pads and effects (80-103, 119-127),
    which the catalog does not model, fall back to piano.

    Parameters
    ----------
    program
        GM program number, 0-127, numbered from 0.
    percussion
        True for the GM percussion channel (10): always the drum kit.

    Returns
    -------
    Instrument

    Raises
    ------
    InstrumentError
        If ``program`` is not an integer in 0-127.

    Examples
    --------
    >>> from partita.instruments import by_program
    >>> by_program(40).id, by_program(73).id, by_program(48).id
    ('violin', 'flute', 'violin')
    >>> by_program(0, percussion=True).id
    'drum_kit'
    """
    if not _is_int(program) or not 0 <= program <= 127:
        raise InstrumentError(f"General MIDI program must be an integer 0-127, got {program!r}")
    catalog = _catalog()
    if percussion:
        return catalog.by_id["drum_kit"]
    return catalog.by_id[catalog.programs[program]]


def all_instruments() -> tuple[Instrument, ...]:
    """Return every catalog entry, in catalog order (strings, winds, brass, ...).

    Returns
    -------
    tuple of Instrument

    Examples
    --------
    >>> from partita.instruments import all_instruments
    >>> [i.id for i in all_instruments()][:4]
    ['violin', 'viola', 'cello', 'contrabass']
    """
    return tuple(_catalog().by_id.values())


def is_percussion(instrument_id: str) -> bool:
    """True for the drum kit and every entry the catalog flags ``percussion``; an id the catalog
    lacks counts as pitched.

    >>> is_percussion("drum_kit"), is_percussion("violin"), is_percussion("no such thing")
    (True, False, False)
    """
    if instrument_id == "drum_kit":
        return True
    try:
        return bool(get(instrument_id).percussion)
    except Exception:  # noqa: BLE001 - an instrument the catalog lacks is pitched
        return False
