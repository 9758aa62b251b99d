"""Pizzicato in MusicXML: the note attribute and the words a player reads.

Written: every pizzicato note carries ``<note pizzicato="yes">`` (music21's ``Pizzicato``
articulation), and the part shows the words ``pizz.`` where its notes turn pizzicato and
``arco`` where they turn back, as an engraver writes them.

Read: a note is pizzicato when it carries the attribute; in a part where no note does (a file
from MuseScore, Finale, Sibelius), the words rule: ``pizz.`` / ``pizzicato`` makes the notes
from there on pizzicato, ``arco`` (``col arco``, ``ord.``) bowed again. These words are not read
as a tempo's text.
"""

from __future__ import annotations

import bisect
import re
from fractions import Fraction
from typing import Any, Iterable

__all__ = ["is_technique_words", "pizzicato_changes", "pizzicato_at", "pizzicato_words"]  # read_pizzicato: musicxml_walk

_PIZZ = re.compile(r"^\s*pizz(?:\.|icato\b|\b)", re.IGNORECASE)
_ARCO = re.compile(r"^\s*(?:col\s+)?arco\b|^\s*ord(?:\.|inario\b)", re.IGNORECASE)


def is_technique_words(text: str) -> bool:
    """Whether ``text`` switches pizzicato on or off (``pizz.``, ``arco``...)."""
    return bool(_PIZZ.match(text) or _ARCO.match(text))


def pizzicato_changes(words: Iterable[tuple[Fraction, str]]) -> list[tuple[Fraction, bool]]:
    """(onset, pizzicato from there on) of each ``pizz.`` / ``arco`` in ``words`` ((onset,
    text) pairs), in onset order; a later word at one onset wins."""
    at: dict[Fraction, bool] = {}
    for onset, text in sorted(words, key=lambda w: w[0]):
        if _PIZZ.match(text):
            at[onset] = True
        elif _ARCO.match(text):
            at[onset] = False
    return sorted(at.items())


def pizzicato_at(changes: list[tuple[Fraction, bool]], onset: Fraction) -> bool:
    """Whether a note at ``onset`` is pizzicato by the words (:func:`pizzicato_changes`)."""
    k = bisect.bisect_right(changes, (onset, True)) - 1
    return k >= 0 and changes[k][1]


def pizzicato_words(notes: Iterable[Any]) -> list[tuple[Fraction, str]]:
    """(onset, ``"pizz."`` or ``"arco"``) where a part's notes, in onset order, turn pizzicato or
    back (an onset counts as pizzicato when all its notes are)."""
    by_onset: dict[Fraction, bool] = {}
    for n in notes:
        pizz = "pizzicato" in n.articulations
        by_onset[n.onset] = by_onset.get(n.onset, True) and pizz
    out, state = [], False
    for onset in sorted(by_onset):
        if by_onset[onset] != state:
            state = by_onset[onset]
            out.append((onset, "pizz." if state else "arco"))
    return out
