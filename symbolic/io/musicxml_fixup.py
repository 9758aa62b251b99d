"""The writer's side of parts on several staves and of drum sets: how a Score's part becomes
music21 staves, and touches to the MusicXML file music21 has written, for what music21 cannot
say itself.

- **Voices on a lower staff**: music21 numbers the voices of a multi-staff part's lower staff
  on from the upper staff's, differently in every measure; MuseScore 3 then moves notes between
  voices. Each note on staff *k* gets voice ``4 (k - 1) + i``, *i* its voice's rank among that
  staff's voices in the measure (1-4 on the upper staff, 5-8 on the lower one: MuseScore's own
  numbering).
- **Slur numbers**: music21 may give a slur of one voice the number of a slur still open in
  another, so that a reader pairs the starts and stops across the voices. Each voice's slurs
  (partita writes a slur inside one voice) get the lowest number free at their start.
- **Drum sets**: a ``drum_kit`` part is written as unpitched notes: one
  ``<score-instrument>``/``<midi-instrument>`` per drum key with its ``<midi-unpitched>``
  (key + 1) and General MIDI name, and on each note ``<unpitched>`` with the key's display
  position and an ``<instrument id>`` naming its sound, as MuseScore, Finale and Sibelius
  write them; MuseScore reads it back into its drum set.

Both are text edits of music21's regular output (one element per line), done before the file
is renamed into place.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

__all__ = ["fix_staff_voices", "write_instrument_sounds", "write_unpitched", "split_staves", "restaff_extras", "group_staves", "renumber_slurs"]

_PART = re.compile(r'(<part id="([^"]+)">)(.*?)(</part>)', re.S)
_MEASURE = re.compile(r"(<measure\b[^>]*>)(.*?)(</measure>)", re.S)
_NOTE = re.compile(r"<note\b[^>]*>.*?</note>", re.S)
_VOICE = re.compile(r"<voice>(\d+)</voice>")
_STAFF = re.compile(r"<staff>(\d+)</staff>")
_PITCH = re.compile(r"<pitch>\s*<step>([A-G])</step>\s*(?:<alter>(-?[\d.]+)</alter>\s*)?<octave>(\d+)</octave>\s*</pitch>", re.S)
_STEPS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


def fix_staff_voices(text: str, part_ids: Iterable[str]) -> str:
    """Renumber the voices of the multi-staff parts ``part_ids`` (see the module docstring)."""
    wanted = set(part_ids)
    if not wanted:
        return text

    def fix_measure(m: re.Match) -> str:
        body = m.group(2)
        notes = [(n, _VOICE.search(n.group(0)), _STAFF.search(n.group(0))) for n in _NOTE.finditer(body)]
        ranks: dict[str, list[int]] = {}
        for _, v, st in notes:
            if v and st:
                ranks.setdefault(st.group(1), [])
                if int(v.group(1)) not in ranks[st.group(1)]:
                    ranks[st.group(1)].append(int(v.group(1)))
        for staff in ranks:
            ranks[staff].sort()

        def fix_note(n: re.Match) -> str:
            s = n.group(0)
            v, st = _VOICE.search(s), _STAFF.search(s)
            if not (v and st):
                return s
            staff = st.group(1)
            new = 4 * (int(staff) - 1) + ranks[staff].index(int(v.group(1))) + 1
            return s[: v.start()] + f"<voice>{new}</voice>" + s[v.end():]

        return m.group(1) + _NOTE.sub(fix_note, body) + m.group(3)

    def fix_part(p: re.Match) -> str:
        if p.group(2) not in wanted:
            return p.group(0)
        return p.group(1) + _MEASURE.sub(fix_measure, p.group(3)) + p.group(4)

    return _PART.sub(fix_part, text)


def _display(key: int) -> tuple[str, int]:
    from partita.symbolic.io import drums

    for (step, octave), k in drums.display_table().items():
        if k == key:
            return step, octave
    return "C", 5  # the snare's line: any key without a position of its own


def write_instrument_sounds(text: str, sounds: dict[str, str]) -> str:
    """Give each part's ``<score-instrument>`` its MusicXML standard ``<instrument-sound>``
    (``sounds``: xml part id -> sound id, e.g. ``pluck.bass.electric``), which music21 does not
    write: the id says the instrument when a part's name does not ("Bass" is a voice by name,
    an electric bass by its sound). The element goes after the instrument's name and
    abbreviation, as the schema orders them."""

    def fix(m: re.Match) -> str:
        pid, body = m.group(1), m.group(0)
        sound = sounds.get(pid)
        if not sound or "<instrument-sound>" in body:
            return body
        at = max(body.rfind("</instrument-name>"), body.rfind("</instrument-abbreviation>"))
        if at < 0:
            return body
        at = body.index(">", at) + 1
        return body[:at] + f"<instrument-sound>{sound}</instrument-sound>" + body[at:]

    return re.sub(r'<score-instrument id="([^"]+)-I1">.*?</score-instrument>', fix, text, flags=re.S)


def write_unpitched(text: str, part_ids: Iterable[str]) -> str:
    """Write the notes of the drum parts ``part_ids`` as unpitched notes of named sounds."""
    from partita.symbolic.io import drums

    wanted = set(part_ids)
    if not wanted:
        return text
    used: dict[str, set[int]] = {pid: set() for pid in wanted}

    def fix_part(p: re.Match) -> str:
        pid = p.group(2)
        if pid not in wanted:
            return p.group(0)

        def fix_note(n: re.Match) -> str:
            s = n.group(0)
            m = _PITCH.search(s)
            if m is None:
                return s
            step, alter, octave = m.group(1), m.group(2), int(m.group(3))
            key = 12 * (octave + 1) + _STEPS[step] + int(float(alter or 0))
            used[pid].add(key)
            d_step, d_oct = _display(key)
            s = s[: m.start()] + (f"<unpitched><display-step>{d_step}</display-step>"
                                  f"<display-octave>{d_oct}</display-octave></unpitched>") + s[m.end():]  # fmt: skip
            s = re.sub(r"\s*<accidental\b[^>]*>.*?</accidental>", "", s, flags=re.S)
            inst = f'<instrument id="{pid}-D{key}"/>'
            tie_or_duration = list(re.finditer(r"</duration>|<tie [^>]*/>", s))
            at = tie_or_duration[-1].end() if tie_or_duration else s.index(">") + 1
            return s[:at] + inst + s[at:]

        return p.group(1) + _NOTE.sub(fix_note, p.group(3)) + p.group(4)

    text = _PART.sub(fix_part, text)
    for pid, keys in used.items():
        text = _drum_part_list(text, pid, sorted(keys), drums)
    return text


def _drum_part_list(text: str, pid: str, keys: list[int], drums) -> str:
    block = re.search(rf'<score-part id="{re.escape(pid)}">.*?</score-part>', text, re.S)
    if block is None or not keys:
        return text
    s = block.group(0)
    s = re.sub(r"\s*<score-instrument\b.*?</score-instrument>", "", s, flags=re.S)
    s = re.sub(r"\s*<midi-instrument\b.*?</midi-instrument>", "", s, flags=re.S)
    insts = "".join(
        f'\n      <score-instrument id="{pid}-D{k}"><instrument-name>'
        f"{(drums.gm_drum_name(k) or f'drum {k}').title()}</instrument-name></score-instrument>"
        for k in keys
    )
    midis = "".join(
        f'\n      <midi-instrument id="{pid}-D{k}"><midi-channel>10</midi-channel>'
        f"<midi-program>1</midi-program><midi-unpitched>{k + 1}</midi-unpitched></midi-instrument>"
        for k in keys
    )
    end = s.rindex("</score-part>")
    head = s[:end]
    # score-instrument goes after part-name/part-abbreviation, midi-instrument after it
    s = head + insts + midis + "\n    " + s[end:]
    return text[: block.start()] + s + text[block.end():]


# ---------------------------------------------------------------------------------------------
# the writer's side: a part on several staves


def split_staves(part: Any) -> list:
    """A part as the staves it is written on: one Part per staff, the lower staves' voices
    (5-8, 9-12, ...) renumbered 1-4. A part with only voices 1-4 is one staff."""
    import dataclasses

    n_staves = max(((n.voice - 1) // 4 for n in part.notes), default=0) + 1
    if n_staves == 1:
        return [part]
    out = []
    for staff in range(n_staves):
        notes = tuple(dataclasses.replace(n, voice=n.voice - 4 * staff)
                      for n in part.notes if (n.voice - 1) // 4 == staff)  # fmt: skip
        verses = tuple(dataclasses.replace(v, voice=v.voice - 4 * staff)
                       for v in part.verses if (v.voice - 1) // 4 == staff)  # fmt: skip
        if staff == 0:
            out.append(dataclasses.replace(part, notes=notes, verses=verses))
        else:
            out.append(dataclasses.replace(part, notes=notes, verses=verses, dynamics=(), hairpins=()))
    return out


def restaff_extras(extras: dict[str, Any], staff: int) -> dict[str, Any]:
    """The writer's per-note expression keys (``onset|voice|pitch``) with the staff's voices
    put back to the part's numbering (5-8 on the second staff)."""
    if not staff:
        return extras
    out = {}
    for key, value in extras.items():
        onset, voice, pitch = key.split("|")
        out[f"{onset}|{int(voice) + 4 * staff}|{pitch}"] = value
    return out


def group_staves(s21: Any, staffs21: list, staves: list) -> None:
    """Make music21 parts one multi-staff part (``PartStaff`` objects in a braced
    ``StaffGroup``, which music21 writes as one ``<part>`` with ``<staves>``), the lower
    staves in bass clef when their notes lie low (median below middle C)."""
    from music21 import clef, layout, stream

    for staff, (p21, part) in enumerate(zip(staffs21, staves)):
        p21.__class__ = stream.PartStaff  # PartStaff adds no state to Part
        if staff == 0:
            continue
        pitches = sorted(n.pitch for n in part.notes)
        if pitches and pitches[(len(pitches) - 1) // 2] < 60:
            first = p21.getElementsByClass(stream.Measure).first()
            if first is not None:
                for old in list(first.getElementsByClass(clef.Clef)):
                    first.remove(old)
                first.insert(0, clef.BassClef())
    s21.insert(0, layout.StaffGroup(staffs21, symbol="brace", barTogether=True))


_SLUR = re.compile(r'<slur\b([^>]*?)type="(start|stop|continue)"([^>]*?)/?>')
_NUMBER = re.compile(r'\snumber="\d+"')


def renumber_slurs(text: str) -> str:
    """Give every slur of each part a number that no other slur open at the time holds, pairing
    each start with the next stop of its voice (see the module docstring)."""

    def fix_part(m: re.Match) -> str:
        body = m.group(3)
        open_by_voice: dict[str, list[int]] = {}
        in_use: set[int] = set()
        voice = "1"

        def fix_note(n: re.Match) -> str:
            nonlocal voice
            s = n.group(0)
            v = _VOICE.search(s)
            if v:
                voice = v.group(1)
            elif "<chord" not in s:
                voice = "1"
            if "<slur" not in s:
                return s
            slurs = list(_SLUR.finditer(s))
            numbers: dict[int, int] = {}
            for k, sl in enumerate(slurs):  # stops first: a note may end one slur and start the next
                if sl.group(2) == "stop" and open_by_voice.get(voice):
                    numbers[k] = open_by_voice[voice].pop(0)
                    in_use.discard(numbers[k])
            for k, sl in enumerate(slurs):
                if sl.group(2) == "start":
                    free = next(i for i in range(1, 100) if i not in in_use)
                    in_use.add(free)
                    open_by_voice.setdefault(voice, []).append(free)
                    numbers[k] = free
            out, last = [], 0
            for k, sl in enumerate(slurs):
                if k not in numbers:
                    continue
                attrs = _NUMBER.sub("", sl.group(1) + sl.group(3))
                out.append(s[last:sl.start()] + f'<slur type="{sl.group(2)}" number="{numbers[k]}"{attrs.rstrip()} />')
                last = sl.end()
            return "".join(out) + s[last:]

        return m.group(1) + _NOTE.sub(fix_note, body) + m.group(4)

    return _PART.sub(lambda m: fix_part(m) if "<slur" in m.group(3) else m.group(0), text)
