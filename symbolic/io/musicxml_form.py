"""The written form in MusicXML: repeat bar lines, endings (voltas), segno, coda, Fine, To Coda,
D.C. and D.S., read from the file and written back through music21.

Reading looks at the file's first part itself, because that is where MuseScore, Finale and
music21 put the score-wide marks and music21 keeps no playback meaning for them: a
``<barline>`` with ``<repeat direction="forward|backward" times="n">`` and ``<ending
number="1, 2" type="start|stop|discontinue">``; a ``<direction>`` with ``<segno/>``, ``<coda/>``
or the playback attributes of ``<sound>`` (``segno``, ``coda``, ``tocoda``, ``fine``,
``dacapo``, ``dalsegno``), and, when ``<sound>`` says nothing, ``<words>`` such as "D.C. al
Fine", "D.S. al Coda", "Fine" and "To Coda" (MuseScore 3 reads the same texts).

Writing puts start/end repeat bar lines (with ``times`` when not 2) and ending brackets in every
part, and the jumps and markers in the first part as music21's repeat expressions, with the
``<sound>`` attributes MuseScore plays from added to the direction.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any, Sequence
from xml.etree import ElementTree

from partita.symbolic.form import FormMark, PlayMark

__all__ = ["read_form", "write_form", "form_text", "direction_kinds", "read_playing", "play_text"]


_JUMP_TEXT = tuple((re.compile(rf"^\s*{pattern}[\s.!]*$", re.I), kind) for pattern, kind in (
    (r"(d\.?\s*c\.?|da\s+capo)\s+al\s+fine", "dc-al-fine"),
    (r"(d\.?\s*c\.?|da\s+capo)\s+al\s+coda", "dc-al-coda"),
    (r"(d\.?\s*s\.?|dal\s+segno)\s+al\s+fine", "ds-al-fine"),
    (r"(d\.?\s*s\.?|dal\s+segno)\s+al\s+coda", "ds-al-coda"),
    (r"(d\.\s*c\.?|da\s+capo)", "dc"),
    (r"(d\.\s*s\.?|dal\s+segno)", "ds"),
    (r"to\s+coda", "to-coda"),
    (r"fine", "fine"),
))  # fmt: skip
#: (a whole text, as MuseScore 3's importer matches it: "After solos, D.C. al Coda" is no jump)
#: How each kind is printed when written back (the texts MuseScore 3 prints and reads).
_TEXT = {"dc": "D.C.", "dc-al-fine": "D.C. al Fine", "dc-al-coda": "D.C. al Coda", "ds": "D.S.",
         "ds-al-fine": "D.S. al Fine", "ds-al-coda": "D.S. al Coda", "fine": "Fine", "to-coda": "To Coda"}  # fmt: skip


def form_text(kind: str) -> str:
    """The printed text of a jump or text marker (``"dc-al-fine"`` -> ``"D.C. al Fine"``)."""
    return _TEXT[kind]


def _text_kind(text: str) -> str | None:
    for pattern, kind in _JUMP_TEXT:
        if pattern.search(text):
            return kind
    return None


def _jump_kind(base: str, words: str) -> str:
    """``dc`` or ``ds`` refined by the printed text ("al Fine", "al Coda")."""
    kind = _text_kind(words) if words else None
    if kind and kind.startswith(base):
        return kind
    return base


def direction_kinds(d: ElementTree.Element) -> list[str]:
    """The form marks a ``<direction>`` holds (``segno``, ``dc-al-fine``...): its ``<sound>``
    attributes and symbols, refined by its words as printed (all its ``<words>`` joined, lines
    too: "D.C." over "al Fine" is D.C. al Fine); words alone when it has neither."""
    sound = d.find("sound")
    words = " ".join((w.text or "").strip() for w in d.iter("words")).strip()
    attrs = sound.attrib if sound is not None else {}
    found: list[str] = []
    if d.find("direction-type/segno") is not None or "segno" in attrs:
        found.append("segno")
    if "tocoda" in attrs:
        found.append("to-coda")
    elif d.find("direction-type/coda") is not None or "coda" in attrs:
        found.append("coda")
    if "fine" in attrs:
        found.append("fine")
    if "dacapo" in attrs and attrs["dacapo"].lower() == "yes":
        found.append(_jump_kind("dc", words))
    if "dalsegno" in attrs:
        found.append(_jump_kind("ds", words))
    if not found and words:
        kind = _text_kind(words)
        if kind:
            found.append(kind)
    return found


def read_form(root: ElementTree.Element, spans: Sequence[tuple[Fraction, Fraction]]) -> tuple[FormMark, ...]:
    """The form marks of the first ``<part>`` of a parsed MusicXML file.

    ``spans`` are the (start, end) quarter-lengths of the part's measures in document order, as
    music21 laid them out.
    """
    part = root.find("part")
    if part is None:
        return ()
    measures = part.findall("measure")
    out: list[FormMark] = []
    open_endings: dict[str, tuple[Fraction, tuple[int, ...]]] = {}
    for k, m in enumerate(measures[: len(spans)]):
        start, end = spans[k]
        for bl in m.findall("barline"):
            rep = bl.find("repeat")
            if rep is not None:
                if rep.get("direction") == "forward":
                    out.append(FormMark(start, "repeat-start"))
                elif rep.get("direction") == "backward":
                    try:
                        times = int(rep.get("times") or 2)
                    except ValueError:
                        times = 2
                    out.append(FormMark(end, "repeat-end", times=min(max(times, 1), 64)))
            ending = bl.find("ending")
            if ending is not None:
                number = ending.get("number") or ""
                kind = ending.get("type")
                if kind == "start":
                    nums = tuple(int(x) for x in re.findall(r"\d+", number) if 0 < int(x) <= 64)
                    open_endings[number] = (start, nums or (1,))
                elif kind in ("stop", "discontinue") and number in open_endings:
                    first, nums = open_endings.pop(number)
                    out.append(FormMark(first, "volta", end=end, numbers=nums))
        for d in m.findall("direction"):
            for kind in direction_kinds(d):
                at = start if kind in ("segno", "coda") else end
                out.append(FormMark(at, kind))
    for first, nums in open_endings.values():  # an ending never closed: to the end of its bar
        out.append(FormMark(first, "volta", end=next(e for s, e in spans if s == first), numbers=nums))
    # one mark of a kind per bar line
    unique = {(f.onset, f.kind): f for f in out}
    return tuple(unique.values())


def write_form(score: Any, measures: Sequence[Any], bars: Sequence[tuple[int, Fraction, Fraction]], *,
               first_part: bool, part: Any) -> None:
    """Put ``score.form`` on the music21 ``measures`` of one part (``bars``: number, start, end)."""
    from music21 import bar, repeat, spanner

    index_at_start = {b[1]: i for i, b in enumerate(bars)}
    index_at_end = {b[2]: i for i, b in enumerate(bars)}
    for f in score.form:
        if f.kind == "repeat-start" and f.onset in index_at_start:
            measures[index_at_start[f.onset]].leftBarline = bar.Repeat(direction="start")
        elif f.kind == "repeat-end" and f.onset in index_at_end:
            rb = bar.Repeat(direction="end", times=f.times if f.times != 2 else None)
            measures[index_at_end[f.onset]].rightBarline = rb
        elif f.kind == "volta" and f.onset in index_at_start:
            last = max((i for s, i in index_at_start.items() if s < f.end), default=index_at_start[f.onset])
            inside = measures[index_at_start[f.onset] : last + 1]
            numbers = ", ".join(str(n) for n in f.numbers)
            part.insert(0, spanner.RepeatBracket(inside, number=numbers))
        elif first_part:
            if f.kind in ("segno", "coda") and f.onset in index_at_start:
                m = measures[index_at_start[f.onset]]
                m.insert(0, repeat.Segno() if f.kind == "segno" else repeat.Coda())
            elif f.onset in index_at_end or f.onset in index_at_start:
                i = index_at_end.get(f.onset, index_at_start.get(f.onset))
                m = measures[i]
                expr = _expression(f.kind)
                m.insert(m.barDuration.quarterLength if f.onset in index_at_end else 0, expr)


def _expression(kind: str) -> Any:
    from music21 import repeat

    cls = {"dc": repeat.DaCapo, "dc-al-fine": repeat.DaCapoAlFine, "dc-al-coda": repeat.DaCapoAlCoda,
           "ds": repeat.DalSegno, "ds-al-fine": repeat.DalSegnoAlFine, "ds-al-coda": repeat.DalSegnoAlCoda,
           "fine": repeat.Fine}.get(kind)  # fmt: skip
    if cls is not None:
        return cls(form_text(kind)) if kind != "fine" else cls()
    # To Coda: music21 has no class of its own; a Coda with its text is written as words
    return repeat.Coda(form_text(kind))


_WORDS = (
    (re.compile(r"^\s*(rit\.?|ritard\.?|ritardando|rall\.?|rallentando|ritenuto|riten\.?)\s*$", re.I), "ritardando"),
    (re.compile(r"^\s*(accel\.?|accelerando|stringendo|string\.?)\s*$", re.I), "accelerando"),
    (re.compile(r"^\s*(a\s+tempo|tempo\s+i|tempo\s+primo)\s*$", re.I), "a-tempo"),
    (re.compile(r"^\s*straight(\s+(eighths|8ths))?\s*$", re.I), "straight"),
)


def play_text(mark: Any) -> str:
    """The words a :class:`~partita.symbolic.form.PlayMark` is written as."""
    if mark.text:
        return mark.text
    if mark.kind == "swing":
        return "Swing" if abs(mark.ratio - 2 / 3) < 1e-3 else f"Swing {round(mark.ratio * 100)}%"
    return {"ritardando": "rit.", "accelerando": "accel.", "a-tempo": "a tempo", "straight": "Straight"}.get(mark.kind, mark.kind)


def _positions(measure: ElementTree.Element, divisions: list[int]) -> list[tuple[ElementTree.Element, Fraction]]:
    """Each ``<direction>`` of a measure with its position in quarter-lengths from the bar line
    (``<backup>``, ``<forward>``, note durations and ``<offset>`` followed)."""
    pos, out = Fraction(0), []
    for child in measure:
        tag = child.tag
        if tag == "attributes" and child.findtext("divisions"):
            try:
                divisions[0] = max(int(child.findtext("divisions") or 1), 1)
            except ValueError:
                pass
        dur = child.findtext("duration")
        step = Fraction(int(dur), divisions[0]) if dur and dur.strip().lstrip("-").isdigit() else Fraction(0)
        if tag == "note" and child.find("chord") is None and child.find("grace") is None:
            pos += step
        elif tag == "backup":
            pos -= step
        elif tag == "forward":
            pos += step
        elif tag == "direction":
            off = child.findtext("offset")
            shift = Fraction(int(off), divisions[0]) if off and off.strip().lstrip("-").isdigit() else Fraction(0)
            out.append((child, max(pos + shift, Fraction(0))))
    return out


def read_playing(root: ElementTree.Element, spans: Sequence[tuple[Fraction, Fraction]]) -> tuple[PlayMark, ...]:
    """Playing instructions of the first part: ``<sound><swing>`` and words (rit., accel.,
    a tempo, a tempo word without a metronome mark, Swing / Straight) at their positions.
    Words in a metronome mark's direction, or bold words at its position (as music21 writes a
    tempo's text), are that mark's text and are not read here."""
    from partita.symbolic.timing import swing_ratio_of, tempo_word_bpm

    part = root.find("part")
    out: list[PlayMark] = []
    if part is None:
        return ()
    divisions = [1]
    for k, m in enumerate(part.findall("measure")[: len(spans)]):
        start = spans[k][0]
        placed = _positions(m, divisions)
        timed = {at for d, at in placed if d.find("direction-type/metronome") is not None or d.find("sound[@tempo]") is not None}
        for d, at in placed:
            onset = start + at
            swing = d.find("sound/swing")
            if swing is not None:
                if swing.find("straight") is not None:
                    out.append(PlayMark(onset, "straight"))
                else:
                    try:
                        first, second = float(swing.findtext("first") or 2), float(swing.findtext("second") or 1)
                        ratio = min(max(first / (first + second), 0.5), 0.8)
                    except (ValueError, ZeroDivisionError):
                        ratio = 2 / 3
                    unit = Fraction(1, 4) if (swing.findtext("swing-type") or "eighth").strip() == "16th" else Fraction(1, 2)
                    out.append(PlayMark(onset, "swing", ratio=ratio, unit=unit))
                continue
            words = " ".join((w.text or "").strip() for w in d.iter("words")).strip()
            in_tempo = d.find("direction-type/metronome") is not None or (
                at in timed and any(w.get("font-weight") == "bold" for w in d.iter("words")))
            if not words or in_tempo:  # the printed text of a metronome mark (music21 writes it bold)
                continue
            kind = next((kind for pattern, kind in _WORDS if pattern.search(words)), None)
            if kind is not None:
                out.append(PlayMark(onset, kind, text=words))
            elif swing_ratio_of(words) is not None:
                out.append(PlayMark(onset, "swing", text=words, ratio=swing_ratio_of(words)))
            elif tempo_word_bpm(words) is not None:
                out.append(PlayMark(onset, "tempo-text", text=words))
    unique = {(p.onset, p.kind): p for p in out}
    return tuple(unique.values())
