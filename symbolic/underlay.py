"""Putting words under notes: plain text onto a part, and one voice's words onto the others.

* :func:`set_lyrics` lays a text under a part's notes, one syllable per note in order (a note
  tied from or slurred from the one before is a melisma and takes none); syllables left over
  and notes left without one are reported.
* :func:`underlay_missing` gives a voice part that has no words the words of the first voice
  part that has them, on the notes that start together -- how hymnals and the Bach chorales in
  the music21 corpus print one text for four voices.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from partita.errors import PartitaError
from partita.symbolic.lyrics import normalise_word, pronounce_many, split_word, verse_of
from partita.symbolic.score import Part, Score

__all__ = ["TextSyllable", "text_syllables", "set_lyrics", "LyricsFit", "underlay_missing", "is_voice", "lyrics_onto_score"]


def is_voice(part: Part) -> bool:
    """Whether the part's instrument is a voice (catalog family ``voice``)."""
    from partita.instruments import catalog

    try:
        return catalog.get(part.instrument).family == "voice"
    except PartitaError:  # an unknown instrument is reported where it is rendered
        return False


@dataclass(frozen=True, slots=True)
class TextSyllable:
    """One syllable of a text: as written under a note (with hyphens), its stress, its line."""

    text: str
    stress: int
    line: int
    word: str
    source: str  # "cmudict", "espeak-ng" or "rules"


def text_syllables(text: str) -> list[TextSyllable]:
    """A text's syllables in order, lines numbered from 0 (empty lines skipped).

    >>> [(s.text, s.stress, s.line) for s in text_syllables("Hello love\\nthe night")]
    [('hel-', 0, 0), ('-lo', 1, 0), ('love', 1, 0), ('the', 0, 1), ('night', 1, 1)]
    """
    lines = [ln.split() for ln in text.splitlines() if ln.strip()]
    words = [normalise_word(w) for ln in lines for w in ln]
    prons = pronounce_many([w for w in words if w])
    out: list[TextSyllable] = []
    for li, ln in enumerate(lines):
        for raw in ln:
            w = normalise_word(raw)
            if not w:
                continue
            pron = prons[w]
            sylls = pron.syllables or ()
            n = max(len(sylls), 1)
            pieces = split_word(w, n)
            for k in range(n):
                stress = sylls[k].stress if k < len(sylls) else 0
                if n == 1 and stress == 0 and len(pron.stresses) == 1 and pron.source != "cmudict":
                    stress = 1
                piece = pieces[k] or w
                shown = ("-" if k else "") + piece + ("-" if k < n - 1 else "")
                out.append(TextSyllable(shown, stress, li, w, pron.source))
    return out


@dataclass(frozen=True, slots=True)
class LyricsFit:
    """How a text fitted a part: syllables left over, notes left without one."""

    left_over: tuple[str, ...]
    bare_notes: int

    def lines(self, part_name: str) -> list[str]:
        out = []
        if self.left_over:
            out.append(f"part {part_name!r}: the lyrics are longer than the music: {len(self.left_over)} syllable(s) "
                       f"not sung, from {' '.join(self.left_over[:6])!r}")  # fmt: skip
        if self.bare_notes:
            out.append(f"part {part_name!r}: {self.bare_notes} note(s) after the end of the lyrics, sung on the last vowel")
        return out


def set_lyrics(part: Part, text: str, *, verse: int = 1) -> tuple[Part, LyricsFit]:
    """``part`` with ``text`` as verse ``verse`` of its lyrics, one syllable per note.

    A note that continues a tie or a slur takes no syllable (a melisma); other verses already
    on the notes are kept.

    >>> from partita.symbolic.score import Note, Part
    >>> p = Part("v", "Voice", "soprano", notes=(Note(0, 1, 67), Note(1, 1, 69), Note(2, 2, 67)))
    >>> q, fit = set_lyrics(p, "hello world again")
    >>> [n.lyric for n in q.notes], fit.left_over
    (['hel-', '-lo', 'world'], ('a-', '-gain'))
    """
    sylls = text_syllables(text)
    notes = sorted(part.notes, key=lambda n: (n.onset, n.voice, -n.pitch))
    out = []
    i = 0
    bare = 0
    taken_onsets: dict[tuple[int, object], str] = {}
    for n in notes:
        melisma = n.tie in ("stop", "continue") or n.slur in ("continue", "stop")
        key = (n.voice, n.onset)
        if key in taken_onsets:  # a chord takes its first note's syllable
            out.append(dataclasses.replace(n, lyric=_with_verse(n.lyric, taken_onsets[key], verse)))
            continue
        if melisma:
            out.append(n)
            continue
        if i < len(sylls):
            taken_onsets[key] = sylls[i].text
            out.append(dataclasses.replace(n, lyric=_with_verse(n.lyric, sylls[i].text, verse)))
            i += 1
        else:
            bare += 1
            out.append(n)
    left = tuple(s.text for s in sylls[i:])
    return dataclasses.replace(part, notes=tuple(out)), LyricsFit(left, bare)


def _with_verse(lyric: str | None, text: str, verse: int) -> str:
    lines = (lyric or "").split("\n") if lyric else []
    while len(lines) < verse:
        lines.append("")
    lines[verse - 1] = text
    return "\n".join(lines)


def underlay_missing(score: Score, *, verse: int = 1) -> tuple[Score, list[str]]:
    """Voice parts without words in ``verse`` take the words of the first voice part that has
    them, note by note where onsets coincide. Returns the score and one line per part changed.

    >>> from partita.symbolic.score import Note, Part, Score
    >>> s = Part("s", "Soprano", "soprano", notes=(Note(0, 1, 72, lyric="Ah"), Note(1, 1, 71, lyric="men")))
    >>> b = Part("b", "Bass", "bass", notes=(Note(0, 2, 48),))
    >>> new, said = underlay_missing(Score(parts=(s, b)))
    >>> [n.lyric for n in new.parts[1].notes], said
    (['Ah'], ["part 'Bass' has no words: it sings those of 'Soprano' on the notes that start together"])
    """
    voices = [p for p in score.parts if is_voice(p)]
    has = [p for p in voices if any(verse_of(n.lyric, verse) for n in p.notes)]
    if not has or len(has) == len(voices):
        return score, []
    src = has[0]
    by_onset: dict[object, str] = {}
    for n in sorted(src.notes, key=lambda n: (n.onset, n.voice)):
        if n.lyric and n.onset not in by_onset:
            by_onset[n.onset] = n.lyric
    said = []
    parts = []
    for p in score.parts:
        if p in voices and p not in has:
            notes = tuple(dataclasses.replace(n, lyric=by_onset.get(n.onset)) if n.onset in by_onset else n
                          for n in p.notes)  # fmt: skip
            p = dataclasses.replace(p, notes=notes)
            said.append(f"part {p.name or p.id!r} has no words: it sings those of {src.name or src.id!r} on the "
                        "notes that start together")  # fmt: skip
        parts.append(p)
    return dataclasses.replace(score, parts=tuple(parts)), said



def lyrics_onto_score(score: Score, path, *, part: str | None = None, verse: int = 1) -> tuple[Score, list[str]]:
    """Read a UTF-8 lyrics file and lay it under ``part`` (id or name; default the first voice
    part, else the first part with notes). Returns the score and what to tell the user.

    Raises :class:`~partita.errors.FormatError` for a file that is not UTF-8 text and
    :class:`~partita.errors.ConfigError` for an unknown part.
    """
    from partita.errors import ConfigError
    from partita.symbolic.lyrics import read_lyrics_text

    text = read_lyrics_text(path)
    if part is not None:
        target = next((p for p in score.parts if part in (p.id, p.name)), None)
        if target is None:
            raise ConfigError(f"no part {part!r}; parts: {', '.join(p.id for p in score.parts)}", file=str(path))
    else:
        target = next((p for p in score.parts if is_voice(p) and p.notes), None) or next(
            (p for p in score.parts if p.notes), None)
        if target is None:
            raise ConfigError("the score has no notes to put words under", file=str(path))
    new, fit = set_lyrics(target, text, verse=verse)
    parts = tuple(new if p is target else p for p in score.parts)
    return dataclasses.replace(score, parts=parts), fit.lines(target.name or target.id)
