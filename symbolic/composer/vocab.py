"""The planner's vocabulary (``planner.toml``): moods, Italian tempo terms, ensemble presets,
forms, progressions and defaults. Read by the planner and by the prompt reader, so it sits
below both.

>>> ensembles()["string_quartet"][0]
('vn1', 'Violin I', 'violin', 'melody')
"""

from __future__ import annotations

import functools
import tomllib
from importlib import resources
from typing import Any, Mapping

from partita.errors import ConfigError

__all__ = ["ensemble_name", "ensembles", "vocabulary"]


@functools.lru_cache(maxsize=1)
def vocabulary() -> Mapping[str, Any]:
    """The planner's vocabulary as read from ``planner.toml`` (moods, tempo_words, ensembles,
    forms, progressions, defaults)."""
    text = resources.files("partita.symbolic.composer").joinpath("planner.toml").read_text("utf-8")
    return tomllib.loads(text)


def ensembles() -> dict[str, tuple[tuple[str, str, str, str], ...]]:
    """Ensemble presets: name -> parts ``(id, name, instrument id, role)`` top to bottom."""
    return {k: tuple(tuple(p) for p in v["parts"]) for k, v in vocabulary()["ensembles"].items()}


def ensemble_name(ensemble: str) -> str:
    """The preset an ensemble name or one of its words names (``"string quartet"`` ->
    ``"string_quartet"``); :class:`~partita.errors.ConfigError` listing the known ones if none."""
    name = ensemble.strip().lower().replace("-", "_")
    table = vocabulary()["ensembles"]
    if name.replace(" ", "_") in table:
        return name.replace(" ", "_")
    hits = [k for k, v in table.items() if name.replace("_", " ") in v.get("words", [])]
    if not hits:
        raise ConfigError(f"unknown ensemble {ensemble!r}; known: {', '.join(table)}")
    return hits[0]
