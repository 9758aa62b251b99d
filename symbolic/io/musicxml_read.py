"""music21 -> Score, the second half of reading MusicXML (:func:`partita.symbolic.io.musicxml.read`).

music21 parses the file; this turns its parts (a grand staff's ``PartStaff`` objects joined into
one part), notes, grace notes, ornaments, lyrics, dynamics and score-wide marks into a Score, with
what it cannot keep in the drop report. See :mod:`partita.symbolic.io.musicxml` for what is kept.
"""

from __future__ import annotations

import bisect
import dataclasses
import json
import warnings
from collections import defaultdict
from fractions import Fraction
from typing import Any

from partita.errors import FormatError, ScoreError
from partita.symbolic.io.musicxml_fields import (
    ALTER_SIGN,
    EXPRESSION_FIELD,
    FILE_METADATA,
    METADATA_FIELD,
    NATIVE_METADATA,
    PART_IDS_FIELD,
)
from partita.symbolic.io.musicxml_walk import children, collect_marks, ql, read_pizzicato, snap, walk
from partita.symbolic.io.musicxml_marks import continue_slurs, grace_notes_of, is_kept, ornaments_of, spanner_ornaments
from partita.symbolic.lyrics import encode_syllable
from partita.symbolic.notation import CrossStaff
from partita.symbolic.verses import Syllable
from partita.symbolic.report import DropLog
from partita.symbolic.dynamics import DYNAMIC_MARKS, Dynamic, Hairpin
from partita.symbolic.pitch import KeySignature, pitch_from_spelling
from partita.symbolic.score import ChordSymbol, Note, Part, Score, Section
from partita.symbolic.timeline import TempoMap, TempoMark, TimeSignature, as_ql

__all__ = ["score_from_music21", "score_from_parsed"]


def score_from_music21(stream_: Any) -> Score:
    """A Score from a music21 ``Score`` (a ``Part`` is a one-part score; an ``Opus``: its first).

    Written pitch in transposing parts is turned into sounding pitch; see the module docstring
    for what is read and what is dropped.

    Raises
    ------
    InstrumentError
        A part names an instrument the catalog does not know.
    FormatError
        A percussion note with no known drum key, a pitch outside 0-127, an unknown meter.

    Examples
    --------
    >>> from music21 import corpus
    >>> score = score_from_music21(corpus.parse("bach/bwv66.6"))
    >>> score.pickup, len(score.parts)
    (Fraction(1, 1), 4)
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return score_from_parsed(stream_, other_dynamics={})


def _custom(md: Any, name: str) -> Any:
    if md is None:
        return None
    try:
        values = md.getCustom(name)
    except Exception:
        return None
    if not values:
        return None
    try:
        return json.loads(str(values[0]))
    except ValueError:
        return None


def score_from_parsed(s21: Any, *, other_dynamics: dict, context: Any = None, owned: bool = False) -> Score:
    """A Score of a parsed music21 stream. ``owned``: the stream is the caller's own fresh parse,
    so it is brought to sounding pitch in place (copying a large score cost more than parsing it)."""
    from music21 import stream

    if isinstance(s21, stream.Opus):
        found = list(s21.scores)
        if not found:
            raise FormatError("the opus holds no score")
        s21 = found[0]
    if not isinstance(s21, stream.Score):
        if isinstance(s21, stream.Part):
            wrapper = stream.Score()
            wrapper.insert(0, s21)
            wrapper.metadata = s21.metadata if hasattr(s21, "metadata") else None
            s21 = wrapper
        else:
            raise FormatError(f"expected a music21 Score, got {type(s21).__name__}")
    md = s21.metadata
    expression = _custom(md, EXPRESSION_FIELD) or {}
    part_ids = _custom(md, PART_IDS_FIELD) or {}
    extra_meta = _custom(md, METADATA_FIELD)

    if s21.parts and owned:
        s21.toSoundingPitch(inPlace=True)
        sounding = s21
    else:
        sounding = s21.toSoundingPitch() if s21.parts else s21
    parts21 = list(sounding.parts)
    if not parts21 and sounding.recurse().notes:
        parts21 = [sounding]

    drops = DropLog()
    parts = []
    marks = _Marks()
    used_ids: set[str] = set()
    from partita.symbolic.io import musicxml_parts

    if context is None:
        context = musicxml_parts.ReadContext(None, None, None)
    staff_of = musicxml_parts.staff_indices(parts21, context.instrument_of)
    for index, p21 in enumerate(parts21):
        if context.progress is not None:
            context.progress(index, len(parts21), "parts")
        part = _part_from_music21(
            p21, index, used_ids, part_ids, expression.get("parts", {}) if isinstance(expression, dict) else {},
            drops, marks, other_dynamics, context=context, staff=staff_of[index],
        )  # fmt: skip
        parts.append(part)
    parts = musicxml_parts.join_staves(parts, staff_of)

    metadata = _read_metadata(md, extra_meta)
    title = ""
    if md is not None:
        title = str(md.title or md.movementName or "")
    pickup = marks.pickup or Fraction(0)
    score = Score(
        title=title,
        parts=tuple(parts),
        tempo_map=_tempo_map(marks.tempi),
        time_signatures=tuple(marks.time_signatures) or (TimeSignature(Fraction(0), 4, 4),),
        key_signatures=tuple(marks.keys),
        sections=tuple(marks.sections.values()),
        chords=tuple(marks.chords.values()),
        pickup=pickup,
        metadata=metadata,
        dropped=drops.entries(),
    )
    length = _trailing_length(parts21[0], score) if parts21 else Fraction(0)
    return dataclasses.replace(score, length=length) if length else score


def _tempo_map(tempi: dict[Fraction, TempoMark]) -> TempoMap:
    """The tempo marks read; before the first one the music goes at 120 quarters per minute,
    the tempo MuseScore 3 and music21 play when a file names none (measured: MuseScore's MIDI
    of Clara Schumann's Polonaise op. 1 no. 2 plays 120 until its first mark, and again when a
    D.C. returns there)."""
    if tempi and min(tempi) > 0:
        tempi = {Fraction(0): TempoMark(Fraction(0), 120.0), **tempi}
    return TempoMap(tuple(tempi.values())) if tempi else TempoMap()


def _trailing_length(p21: Any, score: Score) -> Fraction:
    """Where a part's last measure ends, when whole measures of rests follow the measures that
    the notes and marks need (a 3-bar score with 2 bars of rests is 3 bars long); else 0."""
    from music21 import stream

    notes_end = max((p.end for p in score.parts), default=Fraction(0))
    marks = [m.onset for m in score.tempo_map.marks] + [t.onset for t in score.time_signatures]
    marks += [k.onset for k in score.key_signatures] + [x.onset for x in score.sections + score.chords]
    for p in score.parts:
        marks += [d.onset for d in p.dynamics] + [h.onset for h in p.hairpins]
    mark_end = max(marks, default=Fraction(0))

    spans = [(as_ql(m.offset), as_ql(m.offset) + as_ql(m.duration.quarterLength))
             for m in p21.getElementsByClass(stream.Measure)]  # fmt: skip
    if not spans:
        return Fraction(0)
    last = max(e for _, e in spans)
    holding = [e for s, e in spans if s < notes_end <= e or s <= mark_end < e] or [spans[0][1]]
    return last if last > max(holding) else Fraction(0)


def _read_metadata(md: Any, extra: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    if md is None:
        return out
    collected: dict[str, list[str]] = defaultdict(list)
    try:
        items = md.all()
    except Exception:
        items = ()
    software = " ".join(str(v) for n, v in items if n == "software")
    for name, value in items:
        if name in FILE_METADATA or name.startswith("partita-"):
            continue
        if extra is not None and name not in NATIVE_METADATA:
            continue  # a file partita wrote: its other fields are in the JSON field
        text = str(value).strip()
        if text and text not in collected[name]:
            collected[name].append(text)
    if collected.get("composer") == ["Music21"] and "music21" in software:
        del collected["composer"]  # music21's writer puts this in when a work has no composer
    out.update({k: "; ".join(v) for k, v in collected.items()})
    if isinstance(extra, dict):
        out.update({str(k): str(v) for k, v in extra.items()})
    return out


class _Marks:
    """Score-wide marks collected from the parts (the first part to give one wins)."""

    def __init__(self) -> None:
        self.tempi: dict[Fraction, TempoMark] = {}
        self.time_signatures: list[TimeSignature] = []
        self.keys: list[KeySignature] = []
        self.keys_from_transposing = True
        self.sections: dict[Fraction, Section] = {}
        self.chords: dict[Fraction, ChordSymbol] = {}
        self.pickup: Fraction | None = None


def _spelling_of(p: Any, midi: int) -> str | None:
    alter = p.accidental.alter if p.accidental is not None else 0
    if alter != int(alter) or int(alter) not in ALTER_SIGN:
        return None
    octave = p.octave if p.octave is not None else p.implicitOctave
    spelling = f"{p.step}{ALTER_SIGN[int(alter)]}{octave}"
    try:
        return spelling if pitch_from_spelling(spelling) == midi else None
    except ScoreError:
        return None


def _part_from_music21(p21, index, used_ids, part_ids, expression, drops, marks, other_dynamics, *, context, staff=0):
    from music21 import (
        articulations,
        chord,
        dynamics,
        expressions,
        harmony,
        key,
        meter,
        note,
        spanner,
        stream,
        tempo,
    )

    # music21 renames a part after its instrument; the <score-part id> stays on the instrument
    i21 = context.instrument_of(p21)
    xml_id = getattr(i21, "partId", None) if i21 is not None else None
    if not (isinstance(xml_id, str) and xml_id):
        xml_id = p21.id if isinstance(p21.id, str) and p21.id else f"P{index + 1}"
    part_id = str(part_ids.get(xml_id, xml_id))
    while part_id in used_ids:
        part_id = f"{part_id}_{index + 1}"
    used_ids.add(part_id)
    name = p21.partName if isinstance(getattr(p21, "partName", None), str) and p21.partName else ""
    part_extras = expression.get(xml_id, {}) if isinstance(expression, dict) else {}
    first_part = not marks.time_signatures

    measures = [m for m, _ in children(p21, stream.Measure)] or [p21]
    walked = walk(p21)
    pizz_by_words = read_pizzicato(walked)  # pizz. / arco in a file whose notes do not say
    graces: list = []
    ornaments: list = []
    grace_order: dict[tuple[Fraction, int], int] = defaultdict(int)
    records = []  # dicts of note fields, with m21 element and bar
    verses: list = []  # syllables of the verses other than the sung one
    by_element: dict[int, list[dict]] = {}
    has_unpitched = False
    for m in measures:
        m_off = ql(p21.elementOffset(m)) if m is not p21 else Fraction(0)
        bar = m.number if m is not p21 else None
        containers = [(1 + 4 * staff, m, Fraction(0))]
        for vi, (v, v_off) in enumerate(children(m, stream.Voice)):
            vid = str(v.id)
            number = int(vid) if vid.isdigit() and int(vid) > 0 else vi + 1
            if staff and number <= 4:  # a lower staff's voices are 5-8, as MuseScore numbers them
                number += 4 * staff
            containers.append((number, v, ql(v_off)))
        for voice, container, c_off in containers:
            base = m_off + c_off  # (m_off + c_off) + offset: the sum as written before, one add a note
            for el, el_off in children(container, note.GeneralNote):
                if isinstance(el, (note.Rest, harmony.Harmony)):
                    continue
                onset = base + ql(el_off)
                if el.duration.isGrace or el.quarterLength == 0:
                    members = list(el.notes) if isinstance(el, chord.ChordBase) else [el]
                    if any(isinstance(n21, note.Unpitched) for n21 in members):
                        drops.add("unpitched grace note", bar=bar, part=name or part_id, count=len(members))
                        continue
                    key_ = (onset, voice)
                    graces.extend(grace_notes_of(el, onset, voice, grace_order[key_], _pitch_and_spelling))
                    grace_order[key_] += 1
                    continue
                ornaments.extend(ornaments_of(el, onset, voice))
                members = list(el.notes) if isinstance(el, chord.ChordBase) else [el]
                arts = set()
                for a in el.articulations:
                    for cls, label in ((articulations.Staccatissimo, "staccatissimo"),
                                       (articulations.Staccato, "staccato"),
                                       (articulations.StrongAccent, "marcato"),
                                       (articulations.Accent, "accent"),
                                       (articulations.Tenuto, "tenuto"),
                                       (articulations.Pizzicato, "pizzicato")):  # fmt: skip
                        if isinstance(a, cls):
                            arts.add(label)
                            break
                    else:
                        if not is_kept(a):
                            drops.add(f"articulation {type(a).__name__}", bar=bar, part=name or part_id)
                if any(isinstance(x, expressions.Fermata) for x in el.expressions):
                    arts.add("fermata")
                if pizz_by_words is not None and pizz_by_words(onset):
                    arts.add("pizzicato")
                for x in el.expressions:
                    if not is_kept(x):
                        drops.add(f"ornament {type(x).__name__}", bar=bar, part=name or part_id)
                lyric = None
                for ly in el.lyrics:  # verse 1 (or the first one written) is sung; the rest kept
                    number = int(ly.number) if str(ly.number).isdigit() and int(ly.number) > 0 else 1
                    text = encode_syllable(ly.text, ly.syllabic) if ly.text else ly.text  # hyphens for begin/middle/end
                    if text and lyric is None and (number == 1 or len(el.lyrics) == 1 or ly is el.lyrics[0]):
                        lyric = text
                    elif text:
                        verses.append(Syllable(onset, voice, number, text))
                chord_velocity = None
                if isinstance(el, chord.ChordBase) and el.hasVolumeInformation():
                    chord_velocity = el.volume.velocity
                recs = []
                for n21 in members:
                    if isinstance(n21, note.Unpitched):
                        has_unpitched = True
                        midi = context.drum_key(xml_id, measures, m, onset - m_off, n21)
                        if midi is None:
                            stored = getattr(n21, "storedInstrument", None)
                            midi = getattr(stored, "percMapPitch", None)
                        if midi is None:
                            raise FormatError(
                                f"unpitched note {n21.displayName} has no drum key (no instrument names one)",
                                part=name or part_id, bar=bar,
                            )  # fmt: skip
                        midi, spelling = int(midi), None
                    else:
                        ps = n21.pitch.ps
                        midi = int(round(ps))
                        if not 0 <= midi <= 127:
                            raise FormatError(
                                f"pitch {n21.pitch.nameWithOctave} (MIDI {midi}) is outside MIDI's 0-127",
                                part=name or part_id, bar=bar,
                            )  # fmt: skip
                        spelling = _spelling_of(n21.pitch, midi) if midi == ps else None
                    velocity = None
                    if n21.hasVolumeInformation() and n21.volume.velocity is not None:
                        velocity = n21.volume.velocity
                    elif chord_velocity is not None:
                        velocity = chord_velocity
                    if velocity is not None:
                        velocity = min(max(int(velocity), 1), 127)
                    tie_state = n21.tie.type if n21.tie is not None else None
                    if tie_state not in ("start", "stop", "continue"):
                        tie_state = None
                    rec = dict(
                        onset=onset, duration=ql(el.quarterLength), pitch=midi, spelling=spelling,
                        velocity=velocity, articulations=frozenset(arts), tie=tie_state, slur=None,
                        voice=voice, lyric=lyric, _bar=bar,
                    )  # fmt: skip
                    recs.append(rec)
                records.extend(recs)
                by_element[id(el)] = recs

    # slurs: start and stop from the spanner, continue on the voice's notes between them
    def ends_of(sp):
        first, last = sp.getFirst(), sp.getLast()
        return by_element.get(id(first)), by_element.get(id(last))

    spanners = list(p21.spannerBundle)
    # each voice's records in onset order, so a slur looks only at the notes under it
    # (scanning every record per slur was quadratic: 0.4 s on a part of 900 slurs)
    by_voice: dict[Any, list[dict]] = {}
    for r in records:
        by_voice.setdefault(r["voice"], []).append(r)
    for recs in by_voice.values():
        recs.sort(key=lambda r: r["onset"])
    voice_onsets = {v: [r["onset"] for r in recs] for v, recs in by_voice.items()}
    for sp in spanners:
        if not isinstance(sp, spanner.Slur):
            continue
        a, b = ends_of(sp)
        if not a or not b or a is b:
            continue
        for r in a:
            r["slur"] = "start"
        for r in b:
            r["slur"] = "stop"
        if a[0]["voice"] == b[0]["voice"]:
            v, lo, hi = a[0]["voice"], a[0]["onset"], b[0]["onset"]
            onsets = voice_onsets[v]
            for r in by_voice[v][bisect.bisect_right(onsets, lo) : bisect.bisect_left(onsets, hi)]:
                if r["slur"] is None:
                    r["slur"] = "continue"
    continue_slurs(records)

    def where(el):
        recs = by_element.get(id(el))
        if not recs:
            return None
        return recs[0]["onset"], recs[0]["onset"] + recs[0]["duration"], recs[0]["voice"], [r["pitch"] for r in recs]

    ornaments.extend(spanner_ornaments(spanners, where))
    hairpins = []
    for sp in spanners:
        if not isinstance(sp, dynamics.DynamicWedge):
            continue
        try:
            first, last = sp.getFirst(), sp.getLast()
            # a note read above has its offset in the part as its onset (searching the
            # hierarchy for it again was a tenth of this function's time on the bench score)
            a, b = by_element.get(id(first)), by_element.get(id(last))
            start = a[0]["onset"] if a else as_ql(first.getOffsetInHierarchy(p21))
            end = (b[0]["onset"] if b else as_ql(last.getOffsetInHierarchy(p21))) + as_ql(last.quarterLength)
        except Exception:
            continue
        if end > start:
            kind = "crescendo" if isinstance(sp, dynamics.Crescendo) else "diminuendo"
            hairpins.append(Hairpin(start, end, kind))

    # dynamics (and <other-dynamics> texts from the file)
    dyns = []
    in_measure: dict[int, list[tuple[Fraction, Any]]] = defaultdict(list)  # id(measure) -> its dynamics
    for el, off, top in walked:
        if isinstance(el, dynamics.Dynamic):
            in_measure[id(top) if top is not None else id(p21)].append((off, el))
    for m in measures:
        m_off = ql(p21.elementOffset(m)) if m is not p21 else Fraction(0)
        texts = list(other_dynamics.get((xml_id, str(m.number) if m is not p21 else ""), []))
        for off, d in sorted(in_measure.get(id(m), ()), key=lambda x: x[0]):
            mark = d.value
            if mark == "other-dynamics":
                mark = texts.pop(0) if texts else ""
            if mark in DYNAMIC_MARKS:
                dyns.append(Dynamic(snap(off), mark))

    # expression overrides and flags from partita's own field
    for r in records:
        info = part_extras.get(f"{r['onset']}|{r['voice']}|{r['pitch']}") if isinstance(part_extras, dict) else None
        if not isinstance(info, dict):
            continue
        if info.get("u"):
            r["spelling"] = None
        if "v" in info:
            r["velocity"] = info["v"]
        for name_, short in (("vibrato_depth_cents", "vd"), ("vibrato_rate_hz", "vr"), ("brightness", "b")):
            if short in info:
                r[name_] = info[short]

    notes = []
    for r in records:
        bar = r.pop("_bar")
        try:
            notes.append(Note(**r))
        except ScoreError as exc:
            raise FormatError(exc.message, part=name or part_id, bar=bar) from None

    # score-wide marks, from this part where earlier parts gave none
    collect_marks(p21, measures, walked, marks, first_part, i21)

    instrument_id = context.instrument(p21, xml_id, name, has_unpitched, records, staff=staff)
    if not name:
        from partita import instruments

        name = instruments.get(instrument_id).name
    try:
        return Part(
            id=part_id, name=name, instrument=instrument_id, notes=tuple(notes),
            dynamics=tuple(dyns), hairpins=tuple(hairpins), graces=tuple(graces), ornaments=tuple(ornaments),
            verses=tuple(verses), cross_staff=tuple(_cross_staff(notes, staff)),
        )  # fmt: skip
    except ScoreError as exc:
        raise exc.located(part=name) from None


def _cross_staff(notes: list[Note], staff: int) -> list[CrossStaff]:
    """The notes of a grand staff's ``staff`` (0: the upper) whose voice lives on another staff
    (MuseScore writes a cross-staff note of voice 5 with ``<staff>1``)."""
    return [CrossStaff(n.onset, n.voice, n.pitch, staff + 1) for n in notes if (n.voice - 1) // 4 != staff]


def _pitch_and_spelling(n21: Any) -> tuple[int, str | None]:
    """Sounding MIDI pitch and spelling of a pitched music21 note (grace notes)."""
    ps = n21.pitch.ps
    midi = min(max(int(round(ps)), 0), 127)
    return midi, (_spelling_of(n21.pitch, midi) if midi == ps else None)
