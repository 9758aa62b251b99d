"""Score -> music21, the first half of writing MusicXML (:func:`partita.symbolic.io.musicxml.write`).

Parts become measures (a pickup is measure 0), voices, ties, slurs, wedges and marks; a part on
two staves becomes music21 ``PartStaff`` objects (:mod:`~partita.symbolic.io.musicxml_fixup`); the
form, graces and ornaments go through :mod:`~partita.symbolic.io.musicxml_form` and
:mod:`~partita.symbolic.io.musicxml_marks`. See :mod:`partita.symbolic.io.musicxml` for the layout.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from fractions import Fraction
from typing import Any

from partita.errors import ScoreError
from partita.symbolic.io.musicxml_fields import (
    CLEFS,
    EXPRESSION_FIELD,
    M21_ACCIDENTAL,
    METADATA_FIELD,
    NATIVE_METADATA,
    PART_IDS_FIELD,
    XML_ID,
)
from partita.symbolic.io.musicxml_form import play_text, write_form
from partita.symbolic.io.musicxml_marks import add_ornaments, grace_element
from partita.symbolic.io.musicxml_techniques import pizzicato_words
from partita.symbolic.pitch import spell_pitch
from partita.symbolic.score import Score

__all__ = ["score_to_music21", "xml_part_ids", "bar_layout"]


def score_to_music21(score: Score) -> Any:
    """This score as a music21 ``stream.Score`` marked at sounding pitch.

    Parts hold measures (a pickup is measure 0), voices, ties, slurs, wedges and the marks; the
    instruments carry the catalog's transposition, so music21's MusicXML writer puts the written
    pitch in the file. See the module docstring for the layout.

    Raises
    ------
    ScoreError
        ``score`` is not a Score, a written pitch leaves 0-127, or a chord figure does not parse.

    Examples
    --------
    >>> from partita.symbolic.score import Note, Part, Score
    >>> s21 = score_to_music21(Score(parts=(Part("cl", "Clarinet", "clarinet", notes=(Note(0, 1, 60),)),)))
    >>> s21.toWrittenPitch().recurse().notes[0].nameWithOctave
    'D4'
    """
    if not isinstance(score, Score):
        raise ScoreError(f"expected a partita Score, got {type(score).__name__}")
    from music21 import metadata, stream

    bars = bar_layout(score)
    s21 = stream.Score()
    md = metadata.Metadata()
    md.title = score.title
    md.movementName = score.title
    extra_meta = {}
    for key, value in score.metadata.items():
        if key in NATIVE_METADATA:
            setattr(md, key, value)
        else:
            extra_meta[key] = value
    if extra_meta:
        md.addCustom(METADATA_FIELD, json.dumps(extra_meta, ensure_ascii=False, sort_keys=True))

    xml_ids = xml_part_ids(score)
    if any(x != p.id for x, p in zip(xml_ids, score.parts)):
        md.addCustom(PART_IDS_FIELD, json.dumps(dict(zip(xml_ids, (p.id for p in score.parts)))))
    from partita import instruments

    transposing = [instruments.get(p.instrument).transposition != 0 for p in score.parts]
    chord_part = transposing.index(False) if False in transposing else 0
    expression: dict[str, dict[str, dict[str, Any]]] = {}
    from partita.symbolic.io import musicxml_fixup

    for index, (part, xml_id) in enumerate(zip(score.parts, xml_ids)):
        staves = musicxml_fixup.split_staves(part)
        staffs21 = []
        for staff, staff_part in enumerate(staves):
            p21, extras = _part_to_music21(
                score, staff_part, xml_id, bars, marks=index == 0 and staff == 0,
                chords=index == chord_part and staff == 0,
            )  # fmt: skip
            if extras:
                expression.setdefault(xml_id, {}).update(musicxml_fixup.restaff_extras(extras, staff))
            s21.insert(0, p21)
            staffs21.append(p21)
        if len(staffs21) > 1:
            musicxml_fixup.group_staves(s21, staffs21, staves)
    if expression:
        md.addCustom(EXPRESSION_FIELD, json.dumps({"version": 1, "parts": expression}, sort_keys=True))
    s21.metadata = md
    s21.atSoundingPitch = True
    return s21


def xml_part_ids(score: Score) -> list[str]:
    out: list[str] = []
    taken = {p.id for p in score.parts if XML_ID.match(p.id)}
    for i, part in enumerate(score.parts):
        if XML_ID.match(part.id):
            out.append(part.id)
            continue
        k, candidate = i + 1, f"P{i + 1}"
        while candidate in taken:
            k += 100
            candidate = f"P{k}"
        taken.add(candidate)
        out.append(candidate)
    return out


def bar_layout(score: Score) -> list[tuple[int, Fraction, Fraction]]:
    """(number, start, end) of every bar the notes and marks need; at least one."""
    horizon = score.end
    last_mark = [m.onset for m in score.tempo_map.marks]
    last_mark += [t.onset for t in score.time_signatures] + [k.onset for k in score.key_signatures]
    last_mark += [s.onset for s in score.sections] + [c.onset for c in score.chords]
    last_mark += [m.onset for m in score.playing]
    for p in score.parts:
        last_mark += [d.onset for d in p.dynamics] + [h.onset for h in p.hairpins]
    mark_end = max(last_mark, default=Fraction(0))
    bars = []
    number = 0 if score.pickup else 1
    while True:
        start = score.bar_start(number)
        if bars and not (start < horizon or start <= mark_end):
            break
        end = score.pickup if number == 0 else start + score.time_signature_at(start).bar_length
        bars.append((number, start, end))
        number += 1
    return bars


def _m21_pitch(spelling: str) -> Any:
    from music21 import pitch

    m = re.match(r"^([A-G])(#{1,2}|b{1,2})?(-?\d+)$", spelling)
    assert m, spelling  # Note normalises its spelling
    return pitch.Pitch(f"{m.group(1)}{M21_ACCIDENTAL[m.group(2) or '']}{m.group(3)}")


def _m21_figure(figure: str) -> str:
    """Score chord figure -> music21 figure: flats of root and bass as ``-``."""
    return re.sub(r"(^|/)([A-G])b", r"\1\2-", figure)


def _split_at_bars(notes, bars):
    """Notes cut at bar lines into tied pieces: [(piece, original)]."""
    starts = [b[1] for b in bars] + [bars[-1][2]]
    out = []
    import bisect
    import dataclasses

    for n in notes:
        i = bisect.bisect_right(starts, n.onset) - 1
        cuts = [s for s in starts[i + 1 :] if n.onset < s < n.end]
        if not cuts:
            out.append((n, n))
            continue
        edges = [n.onset, *cuts, n.end]
        k = len(edges) - 1
        for j in range(k):
            first, last = j == 0, j == k - 1
            tie_in = not first or n.tie in ("stop", "continue")
            tie_out = not last or n.tie in ("start", "continue")
            tie = {(False, True): "start", (True, True): "continue", (True, False): "stop"}.get((tie_in, tie_out))
            slur = n.slur
            if slur == "start" and not first or slur == "stop" and not last:
                slur = "continue"
            piece = dataclasses.replace(
                n, onset=edges[j], duration=edges[j + 1] - edges[j], tie=tie, slur=slur,
                articulations=n.articulations if first else frozenset(),
                lyric=n.lyric if first else None,
            )  # fmt: skip
            out.append((piece, n))
    return out


def _part_to_music21(score, part, xml_id, bars, *, marks, chords):
    from music21 import (
        articulations,
        chord,
        clef,
        dynamics,
        expressions,
        harmony,
        instrument,
        interval,
        key,
        meter,
        note,
        spanner,
        stream,
        tempo,
        tie,
    )

    from partita import instruments

    inst = instruments.get(part.instrument)
    p21 = stream.Part()
    p21.id = xml_id
    p21.partName = part.name
    p21.partAbbreviation = inst.abbreviation
    i21 = instrument.Instrument()
    i21.partId = xml_id
    # music21 draws a random id otherwise: the same score must give the same bytes
    i21.instrumentId = f"{xml_id}-I1"
    i21.partName = part.name
    i21.partAbbreviation = inst.abbreviation
    i21.instrumentName = inst.name
    i21.instrumentAbbreviation = inst.abbreviation
    i21.midiProgram = inst.gm_program
    if inst.percussion:
        i21.midiChannel = 9
    if inst.sound:
        i21.instrumentSound = inst.sound
    if inst.transposition:
        i21.transposition = interval.Interval(inst.transposition)

    def bar_number(onset):
        return score.bar_of(onset).bar

    other_verses: dict[tuple[Fraction, int], list] = defaultdict(list)
    for syllable in part.verses:
        other_verses[(syllable.onset, syllable.voice)].append(syllable)

    # notes -> music21 events, grouped by (bar, voice)
    extras: dict[str, dict[str, Any]] = {}
    pieces = _split_at_bars(part.notes, bars)
    groups: dict[tuple[Fraction, int], list] = defaultdict(list)
    for piece, orig in pieces:
        written = piece.pitch - inst.transposition
        if not 0 <= written <= 127:
            raise ScoreError(
                f"written pitch {written} of sounding {piece.pitch} on {inst.name} is outside MIDI's 0-127",
                part=part.name, bar=bar_number(piece.onset),
            )  # fmt: skip
        groups[(piece.onset, piece.voice)].append((piece, orig))
    events = []  # (onset, end, voice, m21 element, [pieces])
    for (onset, voice), members in sorted(groups.items()):
        m21_notes = []
        for piece, orig in members:
            spelling = piece.spelling
            if spelling is None:
                ks = score.key_signature_at(piece.onset)
                spelling = spell_pitch(piece.pitch, fifths=ks.fifths if ks else 0)
            n21 = note.Note(_m21_pitch(spelling))
            if piece.tie:
                n21.tie = tie.Tie(piece.tie)
            m21_notes.append(n21)
            info: dict[str, Any] = {}
            if piece.spelling is None:
                info["u"] = 1
            if piece.velocity is not None and len(members) > 1:
                info["v"] = piece.velocity
            for name, short in (("vibrato_depth_cents", "vd"), ("vibrato_rate_hz", "vr"), ("brightness", "b")):
                value = getattr(piece, name)
                if value is not None:
                    info[short] = value
            if info:
                extras[f"{piece.onset}|{piece.voice}|{piece.pitch}"] = info
        head = members[0][0]
        if len(m21_notes) == 1:
            el = m21_notes[0]
            if head.velocity is not None:
                el.volume.velocity = head.velocity
        else:
            el = chord.Chord(m21_notes)
        el.duration.quarterLength = head.duration
        arts = frozenset().union(*(p.articulations for p, _ in members))
        for name, cls in (("staccato", articulations.Staccato), ("staccatissimo", articulations.Staccatissimo),
                          ("tenuto", articulations.Tenuto), ("accent", articulations.Accent),
                          ("marcato", articulations.StrongAccent), ("pizzicato", articulations.Pizzicato)):  # fmt: skip
            if name in arts:
                el.articulations.append(cls())
        if "fermata" in arts:
            el.expressions.append(expressions.Fermata())
        lyric = next((p.lyric for p, _ in members if p.lyric), None)
        if lyric:
            _add_lyric(el, lyric, part.sung_verse)
        for syllable in other_verses.get((head.onset, head.voice), ()):
            _add_lyric(el, syllable.text, syllable.verse)
        on_note = [o for o in part.ornaments if o.onset == onset and o.voice == voice and o.end is None]
        if on_note and head.onset == members[0][1].onset:
            add_ornaments(el, on_note)
        events.append((onset, head.end, voice, el, [p for p, _ in members]))

    # measures
    technique_words = pizzicato_words(part.notes)
    ts_at = {t.onset: t for t in score.time_signatures}
    measures = []
    by_bar: dict[int, list] = defaultdict(list)
    bar_starts = [b[1] for b in bars]
    import bisect

    for ev in events:
        by_bar[bisect.bisect_right(bar_starts, ev[0]) - 1].append(ev)
    for index, (number, start, end) in enumerate(bars):
        m = stream.Measure(number=number)
        if number == 0:
            m.paddingLeft = float(score.time_signatures[0].bar_length - (end - start))
        if index == 0:
            m.insert(0, i21)
            clef_name = CLEFS.get(inst.clef)
            if clef_name:
                m.insert(0, getattr(clef, clef_name)())
        if start in ts_at:
            t = ts_at[start]
            m.insert(0, meter.TimeSignature(f"{t.numerator}/{t.denominator}"))
        for ks in score.key_signatures:
            if start <= ks.onset < end or (index == len(bars) - 1 and ks.onset >= end):
                m.insert(ks.onset - start, key.KeySignature(ks.fifths).asKey(ks.mode))
        bar_events = by_bar.get(index, [])
        voices = sorted({ev[2] for ev in bar_events})
        if voices in ([], [1]):
            containers = {1: m}
        else:
            containers = {}
            for v in sorted(set(voices) | {1}):
                containers[v] = stream.Voice(id=str(v))
                m.insert(0, containers[v])
        def rest(length):
            r = note.Rest(quarterLength=length)
            if number == 0:  # music21 would write a whole-bar rest, read back as a full bar
                r.fullMeasure = False
            return r

        grace_groups: dict[tuple[Fraction, int, int], list] = defaultdict(list)
        for g in part.graces:
            if start <= g.onset < end:
                grace_groups[(g.onset, g.voice if g.voice in containers else 1, g.order)].append(g)
        for (g_onset, g_voice, _), group in sorted(grace_groups.items()):
            containers[g_voice].insert(g_onset - start, grace_element(group, lambda g: _m21_pitch(
                g.spelling or spell_pitch(g.pitch, fifths=getattr(score.key_signature_at(g.onset), "fifths", 0)))))
        for v, container in containers.items():
            t = start
            for ev in sorted((e for e in bar_events if e[2] == v), key=lambda e: e[0]):
                if ev[0] > t:
                    container.insert(t - start, rest(ev[0] - t))
                container.insert(ev[0] - start, ev[3])
                t = ev[1]
            if t == start and number == 0:
                # a pickup bar holding one whole rest reads back as a full bar: use two rests
                half = (end - start) / 2
                container.insert(0, rest(half))
                container.insert(half, rest(half))
            elif t < end:
                container.insert(t - start, rest(end - t))
        for d in part.dynamics:
            if start <= d.onset < end or (index == len(bars) - 1 and d.onset >= end):
                m.insert(d.onset - start, dynamics.Dynamic(d.mark))
        for onset, words in technique_words:  # pizz. / arco where the notes turn
            if start <= onset < end:
                m.insert(onset - start, expressions.TextExpression(words))
        if marks:
            for tm in score.tempo_map.marks:
                if start <= tm.onset < end:
                    bpm = int(tm.bpm) if float(tm.bpm).is_integer() else tm.bpm
                    mm = tempo.MetronomeMark(number=bpm, referent=1.0, text=tm.text)
                    m.insert(tm.onset - start, mm)
            for sec in score.sections:
                if start <= sec.onset < end:
                    m.insert(sec.onset - start, expressions.RehearsalMark(sec.name))
            for pm in score.playing:
                if start <= pm.onset < end:
                    m.insert(pm.onset - start, expressions.TextExpression(play_text(pm)))
        if chords:
            for cs in score.chords:
                if start <= cs.onset < end:
                    try:
                        h = harmony.ChordSymbol(_m21_figure(cs.figure))
                    except Exception:
                        raise ScoreError(
                            f"chord symbol {cs.figure!r} is not one music21 can write", bar=bar_number(cs.onset)
                        ) from None
                    m.insert(cs.onset - start, h)
        measures.append(m)
    for m in measures:
        p21.append(m)

    # slurs and hairpins
    for voice in part.voices:
        open_el = None
        last_el = None
        for ev in sorted((e for e in events if e[2] == voice), key=lambda e: e[0]):
            state = ev[4][0].slur
            if state == "start":
                if open_el is not None and last_el is not open_el:
                    p21.insert(0, spanner.Slur(open_el, last_el))
                open_el = ev[3]
            elif state == "stop" and open_el is not None:
                p21.insert(0, spanner.Slur(open_el, ev[3]))
                open_el = None
            last_el = ev[3]
    for h in part.hairpins:
        starting = sorted((e for e in events if h.onset <= e[0] and e[1] <= h.end), key=lambda e: (e[0], e[2]))
        if not starting:
            continue
        first = starting[0]
        ending = [e for e in starting if e[0] >= first[0]]
        last = max(ending, key=lambda e: (e[1], -e[2], e[0]))
        cls = dynamics.Crescendo if h.kind == "crescendo" else dynamics.Diminuendo
        wedge = cls(first[3], last[3]) if last[3] is not first[3] else cls(first[3])
        p21.insert(0, wedge)
    _span_ornaments(part, events, p21)
    if score.form:
        write_form(score, measures, bars, first_part=marks, part=p21)
    p21.atSoundingPitch = True
    return p21, extras


def _span_ornaments(part, events, p21) -> None:
    """Glissandi, pedals and two-note tremolos as music21 spanners between the part's elements."""
    from music21 import expressions, spanner

    for o in part.ornaments:
        if o.kind in ("glissando", "portamento", "tremolo-two"):
            voice_events = sorted((e for e in events if e[2] == o.voice), key=lambda e: e[0])
            first = next((e for e in voice_events if e[0] == o.onset), None)
            later = [e for e in voice_events if first is not None and e[0] >= first[1]]
            if first is None or not later:
                continue
            if o.kind == "tremolo-two":
                sp = expressions.TremoloSpanner([first[3], later[0][3]])
                sp.numberOfMarks = o.strokes or 3
            else:
                sp = spanner.Glissando([first[3], later[0][3]])
                if o.kind == "portamento":
                    sp.slideType = "continuous"
            p21.insert(0, sp)
        elif o.kind == "pedal" and o.end is not None:
            inside = sorted((e for e in events if o.onset <= e[0] and e[1] <= o.end), key=lambda e: (e[0], e[2]))
            if inside:
                p21.insert(0, expressions.PedalMark([e[3] for e in inside]))




def _add_lyric(el, text: str, number: int) -> None:
    """Write one verse's syllable (hyphens for begin/middle/end, see
    :func:`partita.symbolic.lyrics.encode_syllable`) as MusicXML lyric ``number``."""
    from music21 import note as m21note

    if text.strip():
        syllabic = None
        core = text.strip()
        if len(core) > 1 and core.endswith("-") and core.startswith("-"):
            syllabic, core = "middle", core[1:-1]
        elif len(core) > 1 and core.endswith("-"):
            syllabic, core = "begin", core[:-1]
        elif len(core) > 1 and core.startswith("-"):
            syllabic, core = "end", core[1:]
        ly = m21note.Lyric(text=core, number=number, applyRaw=True)
        if syllabic:
            ly.syllabic = syllabic
        el.lyrics.append(ly)
