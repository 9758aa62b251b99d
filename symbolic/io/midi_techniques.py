"""Pizzicato in a Standard MIDI file: a bowed part's channel switched to General MIDI's
"Pizzicato Strings" for its plucked notes.

MIDI has no message for a playing technique. A bowed string part (its instrument's GM program
is a violin, viola, cello, contrabass or string ensemble; ``midi_techniques.toml`` lists them)
whose notes carry the ``pizzicato`` articulation is written with a ``program_change`` to
program 45 (46 "Pizzicato Strings" counted from 1) on the part's channel before the first
note of each pizzicato run, and one back to the part's own program before the first bowed
note after it, so any General MIDI synthesizer plucks those notes. A chord whose notes
differ sounds the notes of the channel's current program first, then switches.

Reading, a channel of a track that plays both a bowed program and program 45 keeps one part:
the notes it plays under 45 belong to the bowed program it played last (before the channel's
first bowed program: the first one it plays after), marked ``pizzicato``. A channel that only
ever plays program 45 joins the bowed part of its track when every other pitched note of the
track plays one bowed program (MuseScore 3 exports a violin's ``pizz.`` so: its instrument's
"pizzicato" channel, program 45, on a MIDI channel of its own in the violin's track); else it
is a part of its own, of the instrument the catalog gives program 45, as before.

>>> from partita.symbolic.sounding import Sounding
>>> notes = [Sounding(0, 1, 67, 80), Sounding(1, 1, 69, 80, frozenset({"pizzicato"}))]
>>> note_on_orders(notes, [0, 480], 40)
([2, 4], [(480, 3, 45)])
"""

from __future__ import annotations

import functools
import tomllib
from importlib import resources
from typing import Any, Sequence

__all__ = ["PIZZICATO", "fold_pizzicato", "note_on_orders", "programs"]

PIZZICATO = frozenset({"pizzicato"})
_DRUM_CHANNEL = 9


@functools.cache
def programs() -> tuple[int, frozenset[int]]:
    """(the pizzicato program, the bowed programs), counted from 0, from ``midi_techniques.toml``."""
    with resources.files("partita.symbolic.io").joinpath("midi_techniques.toml").open("rb") as fh:
        data = tomllib.load(fh)["pizzicato"]
    return int(data["program"]), frozenset(int(p) for p in data["bowed"])


def note_on_orders(notes: Sequence[Any], on_ticks: Sequence[int], program: int) -> tuple[list[int], list[tuple[int, int, int]]]:
    """Where each note-on of a part goes within its tick, and the program changes pizzicato needs.

    Parameters
    ----------
    notes
        The part's sounding notes (:class:`~partita.symbolic.sounding.Sounding`), in any order.
    on_ticks
        The tick of each note's note-on.
    program
        The part's own GM program (from 0).

    Returns
    -------
    orders, changes
        ``orders[i]`` is 2 for a note-on sounding under the program the channel has when its tick
        begins, 4 for one after a switch at that tick; ``changes`` holds ``(tick, 3, program)``
        per switch. Order 1 is the note-offs', so at one tick: note-offs, note-ons under the
        current program, the switch, the other note-ons. A part that is not bowed, or has no
        pizzicato note, gets all 2 and no changes.
    """
    pizz_program, bowed = programs()
    pizz = [bool(n.articulations & PIZZICATO) for n in notes]
    if program not in bowed or not any(pizz):
        return [2] * len(notes), []
    orders = [2] * len(notes)
    changes: list[tuple[int, int, int]] = []
    by_tick: dict[int, list[int]] = {}
    for i, t in enumerate(on_ticks):
        by_tick.setdefault(t, []).append(i)
    plucked = False  # the channel's state: the part's own program
    for t in sorted(by_tick):
        others = [i for i in by_tick[t] if pizz[i] != plucked]
        if others:
            plucked = not plucked
            changes.append((t, 3, pizz_program if plucked else program))
            for i in others:
                orders[i] = 4
    return orders, changes


def fold_pizzicato(track: Sequence[tuple[int, str, Any, Any, Any]], groups: dict[tuple[bool, int], list[list[Any]]]) -> None:
    """Move the notes a track's channel plays under program 45 into the group of the bowed
    program the same channel plays, marked pizzicato (in place).

    ``track`` holds the track's events as :func:`partita.symbolic.io.midi_smf.events` gives
    them; ``groups`` maps (percussion, program) to the track's notes ``[onset, end, pitch,
    velocity]`` in the order of their note-ons, as the MIDI reader collects them. A note that
    moves is appended a fifth item, ``frozenset({"pizzicato"})``.
    """
    pizz_program, bowed = programs()
    under = groups.get((False, pizz_program))
    if not under:
        return
    program: dict[int, int] = {}
    last_bowed: dict[int, int] = {}
    first_bowed: dict[int, int] = {}
    channels: list[tuple[int, int | None]] = []  # per note-on under 45: channel, its bowed program
    for _, kind, channel, a, b in track:
        if kind == "program_change":
            program[channel] = a
            if a in bowed:
                last_bowed[channel] = a
                first_bowed.setdefault(channel, a)
        elif kind == "note_on" and b and channel != _DRUM_CHANNEL and program.get(channel, 0) == pizz_program:
            channels.append((channel, last_bowed.get(channel)))
    # a channel that only plays 45, in a track whose other pitched notes all play one bowed
    # program: MuseScore 3 writes a violin's pizz. so, on a channel of its own in the violin's track
    track_bowed = set(first_bowed.values())
    others = [p for (percussion, p), ns in groups.items() if ns and not percussion and p not in bowed and p != pizz_program]
    track_home = next(iter(track_bowed)) if len(track_bowed) == 1 and not others else None
    kept = []
    for note, (channel, home) in zip(under, channels, strict=True):
        home = home if home is not None else first_bowed.get(channel, track_home)
        if home is None:
            kept.append(note)
        else:
            note.append(PIZZICATO)
            groups.setdefault((False, home), []).append(note)
    if kept:
        groups[(False, pizz_program)] = kept
    else:
        del groups[(False, pizz_program)]
