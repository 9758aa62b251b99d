"""Grace notes and ornaments between music21 and the Score (:mod:`partita.symbolic.ornaments`).

Read: a music21 grace note or chord (zero duration) becomes :class:`GraceNote` entries (slash:
acciaccatura); on a note or chord, ``Trill`` (with its accidental), ``Mordent`` /
``InvertedMordent``, ``Turn`` / ``InvertedTurn``, single-note ``Tremolo`` (its marks),
``ArpeggioMark``, ``BreathMark`` and ``Caesura`` become :class:`Ornament` entries; spanners
``Glissando`` (with its line type: wavy/solid glissando, or portamento when music21 names it
so), ``PedalMark`` (sustain from its first note to its last note's end) and two-note
``TremoloSpanner`` likewise. Written back the same way.
"""

from __future__ import annotations

import re
from collections import defaultdict
from fractions import Fraction
from typing import Any, Iterable

from partita.symbolic.ornaments import GraceNote, Ornament
from partita.symbolic.timeline import as_ql

__all__ = ["KEPT_MARK_CLASSES", "is_kept", "for_musescore", "exact_tempos", "with_exact_tempos", "grace_slashes", "with_grace_slashes", "grace_notes_of", "ornaments_of", "spanner_ornaments", "add_ornaments", "grace_element", "continue_slurs"]

_EXPRESSIONS = (("InvertedMordent", "inverted-mordent"), ("Mordent", "mordent"), ("InvertedTurn", "inverted-turn"),
                ("Turn", "turn"), ("Trill", "trill"), ("Tremolo", "tremolo"), ("ArpeggioMark", "arpeggio"))  # fmt: skip
_ARTICULATIONS = (("BreathMark", "breath"), ("Caesura", "caesura"))
#: music21 classes of marks on notes this module keeps (the reader reports any other as dropped).
KEPT_MARK_CLASSES = frozenset(c for c, _ in _EXPRESSIONS + _ARTICULATIONS) | {
    "Staccato", "Staccatissimo", "Tenuto", "Accent", "StrongAccent", "Fermata", "Pizzicato"}  # fmt: skip


def is_kept(mark: Any) -> bool:
    """Whether the Score keeps this music21 articulation or expression (its class or its parent's)."""
    return any(c.__name__ in KEPT_MARK_CLASSES for c in type(mark).__mro__[:2])


def _value(el: Any) -> Fraction:
    from music21 import duration

    try:
        ql = duration.convertTypeToQuarterLength(el.duration.type, el.duration.dots)
        return as_ql(ql) if ql > 0 else Fraction(1, 2)
    except Exception:
        return Fraction(1, 2)


def grace_notes_of(el: Any, onset: Fraction, voice: int, order: int, pitch_of) -> list[GraceNote]:
    """The :class:`GraceNote` entries of one music21 grace note or grace chord.

    ``pitch_of(n21)`` gives (MIDI pitch, spelling) of one music21 note.
    """
    members = list(el.notes) if hasattr(el, "notes") and el.isChord else [el]
    slash = bool(getattr(el.duration, "slash", False))
    value = _value(el)
    out = []
    for n21 in members:
        midi, spelling = pitch_of(n21)
        out.append(GraceNote(onset=onset, pitch=midi, spelling=spelling, voice=voice, slash=slash, value=value, order=order))
    return out


def _accidental(trill: Any) -> int | None:
    acc = getattr(trill, "accidental", None)
    if acc is None:
        return None
    alter = getattr(acc, "alter", None)
    return int(alter) if alter is not None and float(alter).is_integer() and -2 <= alter <= 2 else None


def ornaments_of(el: Any, onset: Fraction, voice: int) -> list[Ornament]:
    """The single-note ornaments on a music21 note or chord."""
    out = []
    for x in list(el.expressions):
        for cls, kind in _EXPRESSIONS:
            if type(x).__name__ == cls or any(c.__name__ == cls for c in type(x).__mro__[:2]):
                if kind == "tremolo":
                    out.append(Ornament(kind, onset, voice, strokes=min(max(int(getattr(x, "numberOfMarks", 3)), 1), 5)))
                elif kind == "arpeggio":
                    direction = {"down": "down"}.get(str(getattr(x, "type", "")), None)
                    out.append(Ornament(kind, onset, voice, direction=direction))
                else:
                    acc = _accidental(x) if kind in ("trill", "mordent", "inverted-mordent") else None
                    out.append(Ornament(kind, onset, voice, accidental=acc))
                break
    for a in list(el.articulations):
        for cls, kind in _ARTICULATIONS:
            if type(a).__name__ == cls:
                out.append(Ornament(kind, onset, voice))
    return out


def spanner_ornaments(spanners: Iterable[Any], where) -> list[Ornament]:
    """Ornaments from a part's spanners; ``where(el)`` gives (onset, end, voice, [pitches]) of
    an element or None when it is not one of the part's notes."""
    from music21 import expressions, spanner

    out = []
    for sp in spanners:
        name = type(sp).__name__
        if isinstance(sp, spanner.Glissando) or name == "Glissando":
            a, b = where(sp.getFirst()), where(sp.getLast())
            if a and b and b[0] > a[0]:
                kind = "portamento" if str(getattr(sp, "slideType", "")) == "continuous" and name != "Glissando" else "glissando"
                out.append(Ornament(kind, a[0], a[2], pitch=max(b[3]) if b[3] else None, end=b[0]))
        elif name == "PedalMark" or (hasattr(expressions, "PedalMark") and isinstance(sp, getattr(expressions, "PedalMark"))):
            a, b = where(sp.getFirst()), where(sp.getLast())
            if a and b and b[1] > a[0]:
                out.append(Ornament("pedal", a[0], 1, end=b[1]))
        elif name == "TremoloSpanner":
            a, b = where(sp.getFirst()), where(sp.getLast())
            if a and b and b[3]:
                strokes = min(max(int(getattr(sp, "numberOfMarks", 3)), 1), 5)
                out.append(Ornament("tremolo-two", a[0], a[2], strokes=strokes, pitch=b[3][0]))
    return out


def grace_element(graces: list[GraceNote], spell) -> Any:
    """A music21 grace note or chord for the grace notes of one order (``spell(g)``: a music21 pitch)."""
    from music21 import chord, note

    first = graces[0]
    members = [note.Note(spell(g)) for g in graces]
    el = members[0] if len(members) == 1 else chord.Chord(members)
    el.duration.quarterLength = first.value
    el = el.getGrace(appoggiatura=not first.slash, inPlace=False)
    el.duration.slash = first.slash
    return el


def add_ornaments(el: Any, ornaments: Iterable[Ornament]) -> None:
    """Put single-note ornaments on a music21 note or chord."""
    from music21 import articulations, expressions, pitch

    for o in ornaments:
        if o.kind == "trill":
            x = expressions.Trill()
            if o.accidental is not None:
                x.accidental = pitch.Accidental(o.accidental)
        elif o.kind == "mordent":
            x = expressions.Mordent()
        elif o.kind == "inverted-mordent":
            x = expressions.InvertedMordent()
        elif o.kind == "turn":
            x = expressions.Turn()
        elif o.kind == "inverted-turn":
            x = expressions.InvertedTurn()
        elif o.kind == "tremolo":
            x = expressions.Tremolo()
            x.numberOfMarks = o.strokes or 3
        elif o.kind == "arpeggio":
            x = expressions.ArpeggioMark(o.direction or "normal")
        elif o.kind == "breath":
            el.articulations.append(articulations.BreathMark())
            continue
        elif o.kind == "caesura":
            el.articulations.append(articulations.Caesura())
            continue
        else:
            continue
        el.expressions.append(x)


def grace_slashes(root: Any) -> dict[str, list[bool]]:
    """Per ``<part id>``, the ``slash`` of each grace note or grace chord in document order.

    music21 reads every grace note as slashed (an acciaccatura); the file says which are.
    """
    out: dict[str, list[bool]] = {}
    for part in root.iter("part"):
        flags = []
        for n in part.iter("note"):
            g = n.find("grace")
            if g is not None and n.find("chord") is None:
                flags.append(g.get("slash") == "yes")
        if flags:
            out[part.get("id", "")] = flags
    return out


def with_grace_slashes(score: Any, slashes: dict[str, list[bool]]) -> Any:
    """``score`` with each part's grace notes slashed as its file says (parts whose grace notes
    match the file's one for one, in written order)."""
    import dataclasses

    parts = []
    for p in score.parts:
        flags = slashes.get(p.id)
        groups = sorted({(g.voice, g.onset, g.order) for g in p.graces})
        if not flags or len(flags) != len(groups):
            parts.append(p)
            continue
        flag_of = dict(zip(groups, flags))
        graces = tuple(dataclasses.replace(g, slash=flag_of[(g.voice, g.onset, g.order)]) for g in p.graces)
        parts.append(dataclasses.replace(p, graces=graces))
    return dataclasses.replace(score, parts=tuple(parts))


_DIRECTION = re.compile(r"([ \t]*)<direction\b[^>]*>.*?</direction>", re.S)
_OFFSET = re.compile(r"\s*<offset\b[^>]*>\s*(-?\d+)\s*</offset>")
_PER_MINUTE = re.compile(r"<per-minute>\s*(\d+\.\d+)\s*</per-minute>")


def for_musescore(xml: str) -> str:
    """A MusicXML text as MuseScore 3 reads it back in place.

    - A direction placed with ``<offset>`` (music21 writes one for a mark that falls inside a
      note) is moved there with ``<backup>``/``<forward>`` instead: MuseScore 3.2 ignores
      ``<offset>`` and would put the mark at the note's start.
    - A non-integer tempo is printed rounded (``<per-minute>71</per-minute>``) and played exactly
      (``<sound tempo="70.9998">``), as MuseScore writes its own: MuseScore reads a printed
      ``70.9998`` as the tempo 70 followed by the text ".9998".
    """

    def move(m: re.Match) -> str:
        block, indent = m.group(0), m.group(1)
        off = _OFFSET.search(block)
        if not off:
            return block
        shift = int(off.group(1))
        block = block[: off.start()] + block[off.end():]
        if shift == 0:
            return block
        there, back = ("backup", "forward") if shift < 0 else ("forward", "backup")
        go = f"{indent}<{there}><duration>{abs(shift)}</duration></{there}>\n"
        ret = f"\n{indent}<{back}><duration>{abs(shift)}</duration></{back}>"
        return go + block + ret

    xml = _DIRECTION.sub(move, xml)
    return _PER_MINUTE.sub(lambda m: f"<per-minute>{round(float(m.group(1)))}</per-minute>", xml)


def exact_tempos(root: Any) -> list[float]:
    """The ``<sound tempo>`` of each metronome direction of the first part, in document order."""
    part = root.find("part")
    out = []
    if part is None:
        return out
    for d in part.iter("direction"):
        sound = d.find("sound")
        if d.find("direction-type/metronome") is not None and sound is not None and sound.get("tempo"):
            try:
                out.append(float(sound.get("tempo")))
            except ValueError:
                out.append(float("nan"))
    return out


def with_exact_tempos(score: Any, tempos: list[float]) -> Any:
    """``score`` with its tempo marks set to the file's ``<sound tempo>`` where the printed
    metronome mark is that tempo rounded (marks and sounds matched in order)."""
    import dataclasses
    import math

    marks = list(score.tempo_map.marks)
    if not tempos or len(tempos) > len(marks):
        return score
    out = marks[: len(marks) - len(tempos)]  # a mark put at 0 by the tempo map itself
    for m, exact in zip(marks[len(marks) - len(tempos):], tempos):
        if math.isfinite(exact) and exact != m.bpm and abs(exact - m.bpm) <= 0.5 + 1e-9:
            m = dataclasses.replace(m, bpm=round(exact, 6))
        out.append(m)
    return dataclasses.replace(score, tempo_map=dataclasses.replace(score.tempo_map, marks=tuple(out)))


def continue_slurs(records: list[dict]) -> None:
    """Mark ``continue`` the notes of a voice between a slur's start and the next stop in that
    voice. Two slurs that start together in two voices may come back paired across the voices
    (music21 numbers them alike), which leaves the spanners' own walk above with nothing to fill."""
    by_voice: dict[int, list[dict]] = defaultdict(list)
    for r in records:
        by_voice[r["voice"]].append(r)
    for recs in by_voice.values():
        recs.sort(key=lambda r: r["onset"])
        opened: Fraction | None = None
        pending: list[dict] = []
        for r in recs:
            if r["slur"] == "start":
                opened, pending = r["onset"], []
            elif r["slur"] == "stop" and opened is not None and r["onset"] > opened:
                for x in pending:
                    if x["onset"] < r["onset"]:
                        x["slur"] = "continue"
                opened, pending = None, []
            elif r["slur"] is None and opened is not None and r["onset"] > opened:
                pending.append(r)
