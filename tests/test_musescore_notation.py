"""Octave lines, clef changes and cross-staff notes survive reading and writing, through MuseScore 3.

The fixture ``tests/data/musescore/notation.musicxml`` (and its ``.mid``) is MuseScore 3's own
export of a hand-written score (``make_fixtures.py notation``): a grand-staff piano with an 8va,
an 8vb on the lower staff, a 15ma, clef changes (one inside a bar, some on the lower staff) and
a note of voice 5 drawn on the upper staff; a cello moving to tenor, treble and bass clef.

The reference for where the lines and clefs stand is music21's own reading of the files
MuseScore wrote (its ``Ottava`` spanners and ``Clef`` objects, per staff), not partita's reader;
the reference for what sounds is MuseScore's MIDI export.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import zipfile
from collections import Counter
from fractions import Fraction
from pathlib import Path
from xml.etree import ElementTree

import mido
import pytest

from partita.symbolic.edits import slice_bars, transpose
from partita.symbolic.io import read, write
from partita.symbolic.score import Score

pytestmark = [pytest.mark.musescore, pytest.mark.slow]

FIXTURE = Path(__file__).parent / "data" / "musescore" / "notation.musicxml"


def mscore(src: Path, dst: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(dst.parent)}
    subprocess.run(["mscore3", str(src), "-o", str(dst)], env=env, check=True, capture_output=True, timeout=120)


def music21_marks(path: Path) -> dict:
    """music21's view of a file: per part name, the clef changes (measure number, beat offset,
    sign, line, staff) after each staff's first clef, the octave lines (type, first and last note's
    measure and offset, staff), and the cross-staff notes (voice 5+ on the upper staff)."""
    from music21 import clef, converter, spanner, stream

    s21 = converter.parse(str(path))
    out: dict = {}
    staff_of: dict[str, int] = {}
    for p21 in s21.parts:
        name = p21.partName
        staff = staff_of.get(name, 0) + 1
        staff_of[name] = staff
        got = out.setdefault(name, {"clefs": [], "lines": [], "cross": []})
        clefs = list(p21.recurse().getElementsByClass(clef.Clef))
        for c in clefs[1:]:
            m = c.getContextByClass(stream.Measure)
            got["clefs"].append((m.number, Fraction(c.offset), c.sign, c.line, staff))
        for sp in p21.spannerBundle.getByClass(spanner.Ottava):
            first, last = sp.getFirst(), sp.getLast()
            got["lines"].append((sp.type, first.measureNumber, Fraction(first.offset),
                                 last.measureNumber, Fraction(last.offset) + Fraction(last.quarterLength), staff))  # fmt: skip
        if staff == 1:
            for v in p21.recurse().getElementsByClass(stream.Voice):
                if str(v.id).isdigit() and int(v.id) > 4:
                    got["cross"] += [(v.getContextByClass(stream.Measure).number, n.pitch.midi) for n in v.notes]
    for got in out.values():
        for key in got:
            got[key].sort()
    return out


def partita_marks(score: Score) -> dict:
    """The same view of a partita Score (bar, offset in the bar)."""
    out: dict = {}
    names = {"8va": "8va", "8vb": "8vb", "15ma": "15ma"}
    for p in score.parts:
        def at(onset):
            bar = score.bar_of(onset).bar
            return bar, onset - score.bar_start(bar)

        got = out.setdefault(p.name, {"clefs": [], "lines": [], "cross": []})
        got["clefs"] = sorted((*at(c.onset), c.sign, c.line, c.staff) for c in p.clefs)
        for o in p.octave_lines:
            inside = [n for n in p.notes if o.onset <= n.onset < o.end and (n.voice - 1) // 4 + 1 == o.staff]
            last = max(inside, key=lambda n: n.end)
            end_bar, end_off = at(last.onset)
            got["lines"].append((names[o.name], *at(o.onset), end_bar, end_off + last.duration, o.staff))
        got["lines"].sort()
        got["cross"] = sorted((score.bar_of(c.onset).bar, c.pitch) for c in p.cross_staff if c.staff == 1)
    return out


def midi_notes(path: Path) -> Counter:
    mf = mido.MidiFile(str(path))
    ticks, out = 0, Counter()
    for msg in mido.merge_tracks(mf.tracks):
        ticks += msg.time
        if msg.type == "note_on" and msg.velocity > 0:
            out[(Fraction(ticks, mf.ticks_per_beat), msg.note)] += 1
    return out


def notes_of(score: Score) -> Counter:
    return Counter((n.onset, n.pitch) for p in score.parts for n in p.notes)


WANT = {
    "Piano": {
        "clefs": [(3, 0, "G", 2, 2), (3, 2, "F", 4, 1), (4, 0, "F", 4, 2), (4, 0, "G", 2, 1)],
        "lines": [("15ma", 4, 0, 4, 2, 1), ("8va", 2, 0, 2, 4, 1), ("8vb", 2, 0, 2, 4, 2)],
        "cross": [(1, 67)],
    },
    "Violoncello": {"clefs": [(2, 0, "C", 4, 1), (3, 2, "G", 2, 1), (4, 0, "F", 4, 1)], "lines": [], "cross": []},
}


def test_lines_clefs_and_cross_staff_notes_are_read_where_musescore_wrote_them():
    score = read(FIXTURE)
    # the hand-written score's marks, as music21 reads MuseScore's export of it
    assert music21_marks(FIXTURE) == WANT
    assert partita_marks(score) == WANT
    assert not score.dropped  # kept, so not reported
    # the notes stay at sounding pitch: MuseScore plays the same notes
    assert notes_of(score) == midi_notes(FIXTURE.with_suffix(".mid"))
    piano = score.parts[0]
    assert [o.name for o in piano.octave_lines] == ["8va", "8vb", "15ma"]
    assert max(n.pitch for n in piano.notes) == 103  # the G7 under the 15ma


def test_a_round_trip_through_musescore_keeps_them_at_the_same_bars_and_the_same_sound(tmp_path):
    score = read(FIXTURE)
    out = tmp_path / "partita.musicxml"
    write(score, out)
    again_xml = tmp_path / "again.musicxml"
    mscore(out, again_xml)  # MuseScore reads partita's file and writes its own
    mscore(out, tmp_path / "again.mid")
    assert music21_marks(again_xml) == WANT
    again = read(again_xml)
    assert partita_marks(again) == WANT
    assert [(p.octave_lines, p.clefs, p.cross_staff) for p in again.parts] == [
        (p.octave_lines, p.clefs, p.cross_staff) for p in score.parts
    ]
    assert notes_of(again) == notes_of(score) == midi_notes(tmp_path / "again.mid")
    assert not again.dropped


def mscx_view(path: Path) -> tuple:
    """Per staff of MuseScore's own .mscx: its octave lines, its clefs (first included) and the
    pitches of the chords moved to another staff (``staffMove``)."""
    with zipfile.ZipFile(path) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".mscx"))
        root = ElementTree.fromstring(zf.read(name))
    staves = root.find("Score").findall("Staff")
    ottavas = [[o.findtext("subtype") for o in st.iter("Ottava")] for st in staves]
    clefs = [[c.findtext("concertClefType") for c in st.iter("Clef")] for st in staves]
    moved = [[(c.findtext("staffMove"), c.find("Note").findtext("pitch")) for c in st.iter("Chord") if c.find("staffMove") is not None]
             for st in staves]  # fmt: skip
    return ottavas, clefs, moved


def test_musescores_own_file_holds_the_same_lines_clefs_and_cross_staff_note(tmp_path):
    score = read(FIXTURE)
    out = tmp_path / "again.mscz"
    write(score, out)  # through MuseScore 3 itself
    reference = tmp_path / "reference.mscz"
    mscore(FIXTURE, reference)  # MuseScore's reading of its own export
    ottavas, clefs, moved = mscx_view(out)
    assert ottavas == [["8va", "15ma"], ["8vb"], []]
    assert clefs[2] == ["F", "C4", "G", "F"]  # the cello: bass, tenor, treble, bass
    assert moved == [[], [("-1", "67")], []]  # voice 5's G4 drawn on the upper staff
    assert (ottavas, clefs, moved) == mscx_view(reference)
    # reading a .mscz goes through MuseScore's MusicXML export, which (MuseScore 3.2, measured
    # here on its own file) leaves out the clef changes that fall on a bar line: partita reads
    # our .mscz exactly as MuseScore's own
    again, own = partita_marks(read(out)), partita_marks(read(reference))
    assert again == own
    assert own["Piano"]["lines"] == WANT["Piano"]["lines"] and own["Piano"]["cross"] == WANT["Piano"]["cross"]
    assert own["Piano"]["clefs"] == [c for c in WANT["Piano"]["clefs"] if c[1] != 0]


def test_render_plays_sounding_pitch_whatever_the_lines_and_clefs(tmp_path):
    from partita.render import render

    score = read(FIXTURE)
    bare = dataclasses.replace(
        score, parts=tuple(dataclasses.replace(p, octave_lines=(), clefs=(), cross_staff=()) for p in score.parts)
    )
    a = render(score, tmp_path / "a", sample_rate=8000)
    b = render(bare, tmp_path / "b", sample_rate=8000)
    assert len(a.stems) == 2 and not any(s.cached for s in b.stems)
    assert [s.sha256 for s in a.stems] == [s.sha256 for s in b.stems]  # bit-identical audio


def test_the_notation_survives_dicts_and_slices():
    score = read(FIXTURE)
    assert Score.from_dict(score.to_dict()) == score
    piece = slice_bars(score, 2, 3)
    piano = piece.parts[0]
    assert [(o.name, o.onset, o.end) for o in piano.octave_lines] == [("8va", 0, 4), ("8vb", 0, 4)]
    assert [(c.onset, c.sign, c.staff) for c in piano.clefs] == [(4, "G", 2), (6, "F", 1)]
    assert piano.cross_staff == ()


@pytest.mark.parametrize("suffix", [".musicxml", ".mxl"])
def test_partitas_own_files_keep_the_notation_exactly(tmp_path, suffix):
    score = read(FIXTURE)
    out = tmp_path / f"again{suffix}"
    write(score, out)
    again = read(out)
    assert [(p.octave_lines, p.clefs, p.cross_staff) for p in again.parts] == [
        (p.octave_lines, p.clefs, p.cross_staff) for p in score.parts
    ]
    assert again.parts == score.parts


def test_played_out_repeats_carry_the_lines_and_clefs_where_they_are_heard():
    from partita.symbolic.form import FormMark
    from partita.symbolic.notation import ClefChange, CrossStaff, OctaveLine
    from partita.symbolic.playback import unroll
    from partita.symbolic.score import Note, Part

    notes = (Note(0, 4, 84), Note(4, 4, 48, voice=5), Note(5, 1, 60, voice=1))
    part = Part("pf", "Piano", "piano", notes=notes, octave_lines=(OctaveLine(0, 4, 1),),
                clefs=(ClefChange(6, "F", 4),), cross_staff=(CrossStaff(4, 5, 48, 1),))  # fmt: skip
    score = Score(parts=(part,), form=(FormMark(8, "repeat-end"),))
    played = unroll(score).parts[0]
    assert [(o.onset, o.end) for o in played.octave_lines] == [(0, 4), (8, 12)]
    assert [c.onset for c in played.clefs] == [6, 14]
    assert [c.onset for c in played.cross_staff] == [4, 12]
    assert transpose(score, 2).parts[0].cross_staff[0].pitch == 50
