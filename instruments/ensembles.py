"""Ensembles: the presets of ``ensembles.toml`` ("wind quintet") or a list of instruments
("flute, oboe, clarinet, horn, bassoon").

>>> from partita.instruments.ensembles import ensemble
>>> ensemble("wind quintet").instruments
('flute', 'oboe', 'clarinet', 'horn', 'bassoon')
>>> ensemble("Flute, Oboe, Horn in F").instruments
('flute', 'oboe', 'horn')
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass
from importlib import resources

from partita.errors import InstrumentError
from partita.instruments.catalog import get, lookup

__all__ = ["Ensemble", "ensemble", "presets"]


@dataclass(frozen=True, slots=True)
class Ensemble:
    """A line-up: its name and one catalog id per player, highest-sounding first.

    ``preset`` is the preset's key (``"wind_quintet"``), or None for a list given by hand.
    """

    name: str
    instruments: tuple[str, ...]
    preset: str | None = None

    def __post_init__(self) -> None:
        if not self.instruments:
            raise InstrumentError(f"ensemble {self.name!r} has no instruments")
        for inst in self.instruments:
            get(inst)  # raises on an unknown id


def _key(text: str) -> str:
    return re.sub(r"[\s\-_]+", "_", text.strip().lower())


@functools.cache
def _presets() -> dict[str, Ensemble]:
    data = tomllib.loads(resources.files("partita.instruments").joinpath("ensembles.toml").read_text(encoding="utf-8"))
    return {key: Ensemble(t["name"], tuple(t["instruments"]), key) for key, t in data.items()}


@functools.cache
def _aliases() -> dict[str, str]:
    data = tomllib.loads(resources.files("partita.instruments").joinpath("ensembles.toml").read_text(encoding="utf-8"))
    out: dict[str, str] = {}
    for key, t in data.items():
        for name in (key, t["name"], *t.get("aliases", ())):
            out[_key(name)] = key
    return out


def presets() -> tuple[Ensemble, ...]:
    """Every preset, in the order of ``ensembles.toml``."""
    return tuple(_presets().values())


def ensemble(text: str) -> Ensemble:
    """The ensemble ``text`` names: a preset name, or instruments separated by commas.

    Parameters
    ----------
    text
        ``"wind quintet"``, ``"brass_quintet"``, or ``"flute, oboe, clarinet, horn, bassoon"``
        (any names :func:`partita.instruments.lookup` understands).

    Returns
    -------
    Ensemble

    Raises
    ------
    InstrumentError
        Nothing of that name; the message lists the presets.
    """
    if not isinstance(text, str) or not text.strip():
        raise InstrumentError(f"no ensemble given; presets: {', '.join(e.name.lower() for e in presets())}")
    key = _aliases().get(_key(text))
    if key is not None:
        return _presets()[key]
    names = [t.strip() for t in text.split(",") if t.strip()]
    ids = []
    for name in names:
        try:
            ids.append(lookup(name).id)
        except InstrumentError as exc:
            known = ", ".join(e.name.lower() for e in presets())
            raise InstrumentError(f"ensemble {text!r}: {exc.message}; or name a preset: {known}") from None
    return Ensemble(", ".join(get(i).name for i in ids), tuple(ids))
