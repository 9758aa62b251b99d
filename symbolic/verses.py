"""Lyric verses: every verse a file holds is kept; one of them is sung.

``Note.lyric`` holds the syllable of the verse that is sung (``Part.sung_verse``, verse 1 by
default); the syllables of every other verse are ``Part.verses``, one :class:`Syllable` each
(onset, voice, verse number, text). :func:`with_verse` chooses another verse to sing: its
syllables move onto the notes and the verse sung before joins ``Part.verses``, so nothing is
lost either way and writing the score puts every verse back in the file.

>>> from partita.symbolic.score import Note, Part, Score
>>> part = Part("s", "Soprano", "soprano", (Note(0, 1, 67, lyric="Ky"), Note(1, 1, 69, lyric="ri")),
...             verses=(Syllable(0, 1, 2, "Glo"), Syllable(1, 1, 2, "ri")))
>>> sung = with_verse(Score(parts=(part,)), 2).parts[0]
>>> [n.lyric for n in sung.notes], sung.sung_verse, [s.text for s in sung.verses]
(['Glo', 'ri'], 2, ['Ky', 'ri'])
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from partita.errors import ScoreError
from partita.symbolic.timeline import as_ql

__all__ = ["Syllable", "with_verse", "verse_numbers"]


@dataclass(frozen=True, slots=True)
class Syllable:
    """One syllable of a verse that is not the sung one: on the note of ``voice`` starting at
    ``onset`` (quarter-lengths), verse number ``verse`` (1, 2, ...), text as written."""

    onset: Fraction
    voice: int
    verse: int
    text: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "onset", as_ql(self.onset, what="syllable onset"))
        if not isinstance(self.verse, int) or isinstance(self.verse, bool) or self.verse < 1:
            raise ScoreError(f"verse number {self.verse!r} must be a whole number from 1", onset=self.onset)
        if not isinstance(self.voice, int) or isinstance(self.voice, bool) or self.voice < 1:
            raise ScoreError(f"syllable voice {self.voice!r} must be a whole number from 1", onset=self.onset)
        if not isinstance(self.text, str) or not self.text:
            raise ScoreError("a syllable needs text", onset=self.onset)


def verse_numbers(part: Any) -> list[int]:
    """The verses a part holds, sung one included, in order (empty: no lyrics)."""
    found = {s.verse for s in part.verses}
    if any(n.lyric for n in part.notes):
        found.add(part.sung_verse)
    return sorted(found)


def with_verse(score: Any, verse: int) -> Any:
    """``score`` with verse ``verse`` sung in every part that has it (other parts unchanged).

    Raises
    ------
    ScoreError
        No part of the score has that verse.
    """
    parts, found = [], False
    for part in score.parts:
        if verse == part.sung_verse or verse not in {s.verse for s in part.verses}:
            found = found or (verse == part.sung_verse and any(n.lyric for n in part.notes))
            parts.append(part)
            continue
        found = True
        incoming = {(s.onset, s.voice): s.text for s in part.verses if s.verse == verse}
        outgoing = []
        notes = []
        first_of: set[tuple[Fraction, int]] = set()
        for n in part.notes:
            key = (n.onset, n.voice)
            if n.lyric and key not in first_of:
                outgoing.append(Syllable(n.onset, n.voice, part.sung_verse, n.lyric))
            text = incoming.get(key) if key not in first_of else None
            first_of.add(key)
            notes.append(dataclasses.replace(n, lyric=text))
        kept = tuple(s for s in part.verses if s.verse != verse)
        parts.append(dataclasses.replace(part, notes=tuple(notes), verses=kept + tuple(outgoing), sung_verse=verse))
    if not found:
        raise ScoreError(f"no part of the score has lyric verse {verse}")
    return dataclasses.replace(score, parts=tuple(parts))
