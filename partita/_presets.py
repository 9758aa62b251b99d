"""Reading preset tables: TOML package data, checked field by field as it loads.

Musical knowledge is data (STYLE 11, 17): the designed timbres, the performer's presets, the
rule profiles, the drum kit and the grooves are TOML files next to the code that reads them,
each with a comment citing where its numbers come from and giving every field's unit and range.
:func:`read_toml` reads one (from the package through :mod:`importlib.resources`, or from a
path: a user's edited copy, a test's broken one); :class:`Entry` checks one entry's fields and
raises :class:`~partita.errors.PresetError` naming the file, the entry and the field.

Numbers keep the type written in the file (``6000`` stays an int, ``6000.0`` a float), so a
table read from TOML is the same Python value as the literal it replaced, down to the
fingerprints that key the stem cache.

>>> e = Entry("timbres.toml", "bowed", {"tilt": 1.0, "lowpass_hz": 6000})
>>> e.number("tilt", 0.0, 6.0), e.number("lowpass_hz", 100, 20000), e.number("noise_db", -80, 0, default=-30.0)
(1.0, 6000, -30.0)
>>> e.done()
>>> Entry("timbres.toml", "bowed", {"tilt": "steep"}).number("tilt", 0.0, 6.0)
Traceback (most recent call last):
...
partita.errors.PresetError: timbres.toml: entry 'bowed', field 'tilt': 'steep' is not a number
"""

from __future__ import annotations

import functools
import math
import os
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Collection, Mapping, TypeVar

from partita.errors import PresetError

__all__ = ["Entry", "load", "read_toml", "table"]

_REQUIRED: Any = object()
T = TypeVar("T")


@functools.lru_cache(maxsize=64)
def _package_text(package: str, name: str) -> str:
    return resources.files(package).joinpath(name).read_text(encoding="utf-8")


def read_toml(package: str, name: str, path: str | os.PathLike[str] | None = None) -> tuple[dict[str, Any], str]:
    """The parsed TOML and the file name to report: ``name`` from ``package`` (read once,
    cached) or, when ``path`` is given, that file instead.

    Raises
    ------
    PresetError
        The file cannot be read or is not valid TOML.
    """
    file = name if path is None else str(path)
    try:
        text = _package_text(package, name) if path is None else Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise PresetError(f"cannot read the preset file ({exc.strerror or exc})", file=file) from None
    try:
        return tomllib.loads(text), file
    except tomllib.TOMLDecodeError as exc:
        raise PresetError(f"not valid TOML: {exc}", file=file) from None


def load(package: str, name: str, parse: Callable[[dict[str, Any], str], T], path: str | os.PathLike[str] | None = None) -> T:
    """``parse(data, file)`` of the preset file ``name`` of ``package`` (parsed once, then
    cached) or, when ``path`` is given, of that file (read afresh each time)."""
    if path is None:
        return _load_package(package, name, parse)
    return parse(*read_toml(package, name, path))


@functools.lru_cache(maxsize=64)
def _load_package(package: str, name: str, parse: Callable[[dict[str, Any], str], T]) -> T:
    return parse(*read_toml(package, name))


def table(data: Mapping[str, Any], key: str, *, file: str) -> dict[str, Any]:
    """The top-level table ``key`` of a preset file (a missing or non-table one is an error)."""
    value = data.get(key)
    if not isinstance(value, dict):
        raise PresetError(f"the table [{key}] is missing" if value is None else f"[{key}] is not a table", file=file)
    return value


class Entry:
    """One entry of a preset file, checked field by field.

    ``prefix`` names a nested table in messages (``"formants[2]."``). Every getter takes the field's name, checks its type (and range or choices), and returns
    the value; a missing field takes ``default`` when one is given. :meth:`done` then refuses
    fields nobody asked for (a misspelt key would otherwise be silently ignored).
    """

    def __init__(self, file: str, name: str, data: Any, *, prefix: str = "") -> None:
        if not isinstance(data, dict):
            raise PresetError(f"expected a table, found {data!r}", file=file, entry=name, field=prefix.rstrip(".") or None)
        self.file, self.name, self.data, self.prefix = file, name, data, prefix
        self._seen: set[str] = set()

    def error(self, field: str | None, message: str) -> PresetError:
        """A :class:`PresetError` naming this file, this entry and ``field``."""
        return PresetError(message, file=self.file, entry=self.name, field=field and self.prefix + field)

    def _get(self, field: str, default: Any) -> Any:
        self._seen.add(field)
        if field in self.data:
            return self.data[field]
        if default is _REQUIRED:
            raise self.error(field, "missing")
        return default

    def number(self, field: str, lo: float, hi: float, *, default: Any = _REQUIRED, integer: bool = False) -> Any:
        """A number in ``[lo, hi]``, as written (int or float); ``integer``: ints only."""
        value = self._get(field, default)
        if field not in self.data:
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (integer and not isinstance(value, int)):
            raise self.error(field, f"{value!r} is not {'an integer' if integer else 'a number'}")
        if not (math.isfinite(value) and lo <= value <= hi):
            raise self.error(field, f"{value!r} is outside {lo:g} to {hi:g}")
        return value

    def numbers(self, ranges: Mapping[str, tuple[float, float]]) -> dict[str, Any]:
        """The fields of ``ranges`` (name -> (lo, hi)) that this entry sets, checked; the ones
        left out are absent from the result, so a dataclass fills in its own defaults."""
        self._seen.update(ranges)
        return {k: self.number(k, lo, hi) for k, (lo, hi) in ranges.items() if k in self.data}

    def text(self, field: str, *, choices: Collection[str] | None = None, default: Any = _REQUIRED) -> Any:
        """A string, one of ``choices`` when given."""
        value = self._typed(field, str, "a string", default)
        if field in self.data and choices is not None and value not in choices:
            raise self.error(field, f"{value!r} is not one of {', '.join(sorted(choices))}")
        return value

    def _typed(self, field: str, kind: type, what: str, default: Any) -> Any:
        value = self._get(field, default)
        if field in self.data and not isinstance(value, kind):
            raise self.error(field, f"{value!r} is not {what}")
        return value

    def flag(self, field: str, *, default: Any = _REQUIRED) -> Any:
        """A boolean (``true`` or ``false``)."""
        return self._typed(field, bool, "true or false", default)

    def items(self, field: str, *, default: Any = _REQUIRED) -> Any:
        """An array."""
        return self._typed(field, list, "an array", default)

    def sub(self, field: str, *, default: Any = _REQUIRED) -> Any:
        """A table."""
        return self._typed(field, dict, "a table", default)

    def done(self) -> None:
        """Refuse fields that were never read (misspelt or unknown keys)."""
        unknown = sorted(set(self.data) - self._seen)
        if unknown:
            raise self.error(unknown[0], f"unknown field; known fields: {', '.join(sorted(self._seen))}")
