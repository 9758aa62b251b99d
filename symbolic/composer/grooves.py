"""The drum kit part the composer writes by rule: one groove per section from its energy.

The corpus teaches no drum kit, so :func:`_drum_part` writes it from :data:`GROOVES`
(``grooves.toml``: per energy level, one bar of 4/4 in eighths) with a crash on the first beat
of each section from energy level 2. :mod:`~partita.symbolic.composer.sample` re-exports both.
"""

from __future__ import annotations

import os
from fractions import Fraction
from typing import Any

from partita._presets import Entry, load, table
from partita.errors import PresetError

__all__ = ["GROOVES", "load_grooves"]


def load_grooves(path: str | os.PathLike[str] | None = None) -> dict[int, list[list[int]]]:
    """Energy level -> one bar of 4/4 in eighths: the GM keys that play at each step, from
    ``grooves.toml`` (package data, read once) or the file at ``path``. A level missing, a step
    that is not a list of GM percussion keys (35-81) raises
    :class:`~partita.errors.PresetError` naming the file, the level and the step.

    >>> load_grooves()[1][:3]
    [[36, 42], [], [38, 42]]
    """
    return load("partita.symbolic.composer", "grooves.toml", _parse_grooves, path)


def _parse_grooves(data: dict, file: str) -> dict[int, list[list[int]]]:
    raw = table(data, "groove", file=file)
    grooves = {}
    for level, steps in raw.items():
        e = Entry(file, f"level {level}", {"steps": steps})
        steps = e.items("steps")
        if not 1 <= len(steps) <= 64:
            raise e.error("steps", f"{len(steps)} steps; a groove has 1 to 64")
        for i, keys in enumerate(steps, start=1):
            bad = [k for k in keys if isinstance(k, bool) or not isinstance(k, int) or not 35 <= k <= 81] \
                if isinstance(keys, list) else [keys]  # fmt: skip
            if bad:
                raise e.error(f"step {i}", f"{bad[0]!r} is not a GM percussion key (35-81)")
        grooves[level] = steps
    if not raw or set(raw) != {str(k) for k in range(len(raw))}:
        raise PresetError(f"the levels are {', '.join(raw) or 'none'}; they must run 0, 1, 2 ... without a gap", file=file)
    return {int(k): v for k, v in grooves.items()}


#: Drum grooves by energy level (0-4), one bar of 4/4 in eighths (8 steps): which GM keys play
#: at each step (``grooves.toml``). In other meters the pattern repeats per beat pair.
GROOVES = load_grooves()


def _drum_part(plan: Any, part: Any, bars: Any = None) -> Any:
    """The drum kit part by rule (:data:`GROOVES`): one groove per section from its energy, a
    crash on the first beat of each section from energy level 2. ``bars``: ``(onset_ql,
    bar_ql, (numerator, denominator))`` of each bar to fill (default: the plan's bars); the
    plan's sections are laid over them in order, the last one holding to the end."""
    from partita.symbolic.score import Note, Part

    from partita.symbolic.composer.controls import ENERGY_LEVELS

    if bars is None:
        bars = [(k * plan.bar_ql, plan.bar_ql, plan.meter) for k in range(plan.n_bars)]
    section_of: list[tuple[Any, bool]] = []  # per bar: its section, and whether it opens it
    for section in plan.sections:
        section_of.extend((section, j == 0) for j in range(section.bars))
    notes = []
    for k, (start, bar_ql, meter) in enumerate(bars):
        section, opens = section_of[min(k, len(section_of) - 1)]
        opens = opens and k < len(section_of)
        level = min(ENERGY_LEVELS - 1, int(section.energy * ENERGY_LEVELS))
        groove = GROOVES[level]
        step = Fraction(1, 2) if meter[1] == 4 else Fraction(4, meter[1])
        for i in range(int(Fraction(bar_ql) / step)):
            keys = set(groove[i % len(groove)])
            if opens and i == 0 and level >= 2:
                keys.add(49)
            for key in sorted(keys):
                notes.append(Note(start + i * step, step, key))
    return Part(part.id, part.name, part.instrument, tuple(notes))
