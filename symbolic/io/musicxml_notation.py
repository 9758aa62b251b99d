"""Octave lines, clef changes and cross-staff notes in MusicXML (:mod:`partita.symbolic.notation`).

music21 reads ``<octave-shift>`` and mid-part ``<clef>`` but partita's Score kept neither, and
music21 loses which staff a note of a grand staff was drawn on when its voice lives on the other
one. This module reads the three from the file itself and writes them back into the MusicXML
text music21 wrote, in the forms MuseScore 3 exports and imports:

- an 8va line is ``<direction><direction-type><octave-shift type="down" size="8"/>`` (the notes
  are drawn lower than they sound) with a ``type="stop"`` direction where it ends; 8vb is
  ``type="up"``; 15ma/22ma are ``size="15"``/``"22"``. The notes' ``<pitch>`` stays the sounding
  pitch, as MuseScore writes and reads it;
- a clef change is an ``<attributes><clef number="staff">`` at its position;
- a cross-staff note keeps its voice and gets the ``<staff>`` it is drawn on.

A mark inside a measure is put there with ``<forward>``/``<backup>`` (MuseScore 3.2 ignores
``<offset>``).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from fractions import Fraction
from typing import Any, Iterator
from xml.etree import ElementTree as ET

from partita.symbolic.notation import OCTAVE_SIZES, ClefChange, CrossStaff, OctaveLine

__all__ = ["read_notation", "with_notation", "write_notation"]

_STEPS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_SHIFT = {("down", 8): 1, ("up", 8): -1, ("down", 15): 2, ("up", 15): -2, ("down", 22): 3, ("up", 22): -3}


def _int(text: str | None, default: int = 0) -> int:
    try:
        return int(float((text or "").strip()))
    except ValueError:
        return default


def _walk(measure: ET.Element, divisions: list[int]) -> Iterator[tuple[ET.Element, Fraction]]:
    """Each child of a ``<measure>`` with the position (quarters from the measure's start) at
    which it stands; ``divisions`` is a one-item list carried from measure to measure."""
    pos = last = Fraction(0)
    for child in measure:
        tag = child.tag
        if tag == "attributes":
            d = child.find("divisions")
            if d is not None and _int(d.text) > 0:
                divisions[0] = _int(d.text)
        if tag == "note":
            chord = child.find("chord") is not None
            yield child, (last if chord else pos)
            if child.find("grace") is None and not chord:
                last = pos
                pos += Fraction(_int(child.findtext("duration")), divisions[0])
            continue
        yield child, pos
        if tag == "backup":
            pos -= Fraction(_int(child.findtext("duration")), divisions[0])
        elif tag == "forward":
            pos += Fraction(_int(child.findtext("duration")), divisions[0])


def _pitch(note: ET.Element) -> int | None:
    p = note.find("pitch")
    if p is None:
        return None
    step = (p.findtext("step") or "").strip()
    if step not in _STEPS:
        return None
    alter = round(float((p.findtext("alter") or "0").strip() or 0))
    return 12 * (_int(p.findtext("octave")) + 1) + _STEPS[step] + alter


# ---------------------------------------------------------------------------------------------
# reading


def read_notation(root: ET.Element, spans: list[tuple[Fraction, Fraction]]) -> list[dict[str, list]]:
    """Per ``<part>`` of the file, in order: ``{"octave_lines": [...], "clefs": [...]}``.

    ``spans``: (start, end) quarter-lengths of the measures, by index (the first part's). A
    part's first clef on each staff is its initial clef, not a change. A line never stopped
    ends with the part.
    """
    out = []
    for part in root.iter("part"):
        lines: list[OctaveLine] = []
        clefs: list[ClefChange] = []
        open_: dict[tuple[str, int], tuple[Fraction, int, int]] = {}
        seen: set[int] = set()
        divisions = [1]
        measures = part.findall("measure")
        for index, measure in enumerate(measures):
            if index >= len(spans):
                break
            start = spans[index][0]
            for el, pos in _walk(measure, divisions):
                if el.tag == "attributes":
                    for c in el.findall("clef"):
                        staff = _int(c.get("number"), 1)
                        if staff not in seen:
                            seen.add(staff)
                            continue
                        sign = (c.findtext("sign") or "").strip()
                        try:
                            clefs.append(ClefChange(start + pos, sign, _int(c.findtext("line")),
                                                    _int(c.findtext("clef-octave-change")), staff))  # fmt: skip
                        except Exception:  # an odd clef: the Score keeps what it can state
                            continue
                elif el.tag == "direction":
                    staff = _int(el.findtext("staff"), 1)
                    for shift in el.iter("octave-shift"):
                        kind, number = shift.get("type", ""), (shift.get("number", "1"), staff)
                        size = _int(shift.get("size"), 8)
                        if kind in ("up", "down") and (kind, size) in _SHIFT:
                            open_[number] = (start + pos, _SHIFT[(kind, size)], staff)
                        elif kind == "stop" and number in open_:
                            onset, octaves, on_staff = open_.pop(number)
                            lines.append(OctaveLine(onset, max(onset, start + pos), octaves, on_staff))
        end = spans[min(len(measures), len(spans)) - 1][1] if spans and measures else Fraction(0)
        for onset, octaves, on_staff in open_.values():
            lines.append(OctaveLine(onset, max(onset, end), octaves, on_staff))
        out.append({"octave_lines": lines, "clefs": clefs})
    return out


def with_notation(score: Any, found: list[dict[str, list]]) -> Any:
    """``score`` with each part's octave lines and clef changes from :func:`read_notation`
    (parts matched in file order; a file whose parts do not match the score's keeps none, and
    says so in the drop report)."""
    from partita.symbolic.report import Dropped

    if not any(f["octave_lines"] or f["clefs"] for f in found):
        return score
    if len(found) != len(score.parts):
        lost = [Dropped("clef change or octave line (parts do not match)", None, "")]
        return dataclasses.replace(score, dropped=(*score.dropped, *lost))
    parts = tuple(dataclasses.replace(p, octave_lines=tuple(f["octave_lines"]), clefs=tuple(f["clefs"]))
                  for p, f in zip(score.parts, found))  # fmt: skip
    return dataclasses.replace(score, parts=parts)


# ---------------------------------------------------------------------------------------------
# writing


def _el(tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    e = ET.Element(tag, attrs)
    if text is not None:
        e.text = text
    return e


def _shift_direction(line: OctaveLine | None, *, stop: bool, staff: int, size: int) -> ET.Element:
    d = _el("direction", placement="above" if line is None or line.shift > 0 else "below")
    dt = ET.SubElement(d, "direction-type")
    if stop:
        ET.SubElement(dt, "octave-shift", type="stop", size=str(size), number=str(staff))
    else:
        assert line is not None
        kind = "down" if line.shift > 0 else "up"
        ET.SubElement(dt, "octave-shift", type=kind, size=str(size), number=str(staff))
    d.append(_el("staff", str(staff)))
    return d


def _clef_attributes(c: ClefChange) -> ET.Element:
    a = _el("attributes")
    clef = ET.SubElement(a, "clef", number=str(c.staff))
    clef.append(_el("sign", c.sign))
    if c.line:
        clef.append(_el("line", str(c.line)))
    if c.octave:
        clef.append(_el("clef-octave-change", str(c.octave)))
    return a


def _insert(measure: ET.Element, at: Fraction, items: list[ET.Element], divisions: int) -> None:
    """Put ``items`` at ``at`` quarters into ``measure``: after its opening attributes, moved
    there with ``<forward>`` and back with ``<backup>``."""
    children = list(measure)
    index = 0
    while index < len(children) and children[index].tag in ("print", "attributes", "barline") and (
        children[index].tag != "barline" or children[index].get("location") == "left"
    ):
        index += 1
    ticks = round(at * divisions)
    block = list(items)
    if ticks > 0:
        fwd, back = _el("forward"), _el("backup")
        fwd.append(_el("duration", str(ticks)))
        back.append(_el("duration", str(ticks)))
        block = [fwd, *block, back]
    for offset, item in enumerate(block):
        measure.insert(index + offset, item)


def write_notation(text: str, score: Any, xml_ids: list[str], bars: list[tuple[int, Fraction, Fraction]]) -> str:
    """The MusicXML ``text`` music21 wrote for ``score`` with the parts' octave lines, clef
    changes and cross-staff notes added (see the module docstring); ``xml_ids`` are the
    parts' ``<part id>``s, ``bars`` the (number, start, end) of the written measures."""
    from partita import instruments

    wanted = {x: p for x, p in zip(xml_ids, score.parts) if p.octave_lines or p.clefs or p.cross_staff}
    if not wanted:
        return text
    head = text[: text.index("<score-partwise")]
    root = ET.fromstring(text)
    for part_el in root.iter("part"):
        part = wanted.get(part_el.get("id", ""))
        if part is None:
            continue
        measures = part_el.findall("measure")
        divisions = [1]
        for m in measures:  # the file's divisions (music21 writes one value for the part)
            for _ in _walk(m, divisions):
                pass
            break

        def where(onset: Fraction, *, at_end: bool = False) -> tuple[int, Fraction] | None:
            for i, (_, start, end) in enumerate(bars[: len(measures)]):
                if (start < onset <= end) if at_end else (start <= onset < end):
                    return i, onset - start
            return None

        inserts: dict[int, list[tuple[Fraction, ET.Element]]] = defaultdict(list)
        for line in part.octave_lines:
            size = OCTAVE_SIZES[abs(line.shift)]
            a, b = where(line.onset), where(line.end, at_end=True)
            if a is None or b is None:
                continue
            inserts[a[0]].append((a[1], _shift_direction(line, stop=False, staff=line.staff, size=size)))
            inserts[b[0]].append((b[1], _shift_direction(line, stop=True, staff=line.staff, size=size)))
        for c in part.clefs:
            a = where(c.onset)
            if a is not None:
                inserts[a[0]].append((a[1], _clef_attributes(c)))
        for i, items in inserts.items():
            for at, item in sorted(items, key=lambda x: x[0], reverse=True):
                _insert(measures[i], at, [item], divisions[0])
        if part.cross_staff:
            _restaff(measures, part, bars, instruments.get(part.instrument).transposition)
    body = ET.tostring(root, encoding="unicode")
    return head + body + "\n"


def _restaff(measures: list[ET.Element], part: Any, bars: list, transposition: int) -> None:
    """Give each cross-staff note the ``<staff>`` it is drawn on (its voice keeps its number)."""
    todo = {(c.onset, c.pitch - transposition): c for c in part.cross_staff}
    divisions = [1]
    for (_, start, _), measure in zip(bars, measures):
        for el, pos in _walk(measure, divisions):
            if el.tag != "note" or el.find("grace") is not None:
                continue
            key = (start + pos, _pitch(el))
            c = todo.get(key)
            staff = el.find("staff")
            if c is None or staff is None or _int(staff.text, 1) != (c.voice - 1) // 4 + 1:
                continue
            staff.text = str(c.staff)
            del todo[key]
