"""Make the small MuseScore 3 fixtures of tests/test_playback.py and benchmarks/bench_fidelity.py.

Each case is a small MusicXML score written here by hand (or with music21 for the ornaments),
then opened and exported by the real MuseScore 3: ``<case>.musicxml`` is MuseScore's own
MusicXML export and ``<case>.mid`` its own MIDI export (what MuseScore plays). Run from the
repository root::

    .venv/bin/python tests/data/musescore/make_fixtures.py
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

OUT = Path(__file__).resolve().parent
HEAD = '''<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE score-partwise PUBLIC "-//Recordare//DTD MusicXML 3.1 Partwise//EN" "http://www.musicxml.org/dtds/partwise.dtd">
<score-partwise version="3.1"><work><work-title>{title}</work-title></work>
<part-list><score-part id="P1"><part-name>Flute</part-name><score-instrument id="P1-I1"><instrument-name>Flute</instrument-name></score-instrument><midi-instrument id="P1-I1"><midi-channel>1</midi-channel><midi-program>74</midi-program></midi-instrument></score-part></part-list>
<part id="P1">
'''
ATTR = '<attributes><divisions>2</divisions><key><fifths>0</fifths></key><time><beats>4</beats><beat-type>4</beat-type></time><clef><sign>G</sign><line>2</line></clef></attributes><direction placement="above"><direction-type><metronome><beat-unit>quarter</beat-unit><per-minute>120</per-minute></metronome></direction-type><sound tempo="120"/></direction>'
def note(step, octv=5, dur=8, typ="whole", extra="", alter=None, notations=""):
    a = f"<alter>{alter}</alter>" if alter is not None else ""
    n = f"<notations>{notations}</notations>" if notations else ""
    return f'<note>{extra}<pitch><step>{step}</step>{a}<octave>{octv}</octave></pitch><duration>{dur}</duration><type>{typ}</type>{n}</note>'
def rest(dur=8): return f'<note><rest measure="yes"/><duration>{dur}</duration></note>'
def measure(i, body, left="", right="", first=False):
    return f'<measure number="{i}">{left}{ATTR if first else ""}{body}{right}</measure>\n'
def words(t, sound=""):
    return f'<direction placement="above"><direction-type><words>{t}</words></direction-type>{sound}</direction>'
def write(name, measures, title=None):
    (SRC / name).write_text(HEAD.format(title=title or name.split(".")[0]) + "".join(measures) + "</part></score-partwise>\n")
FWD = '<barline location="left"><bar-style>heavy-light</bar-style><repeat direction="forward"/></barline>'
BWD = '<barline location="right"><bar-style>light-heavy</bar-style><repeat direction="backward"/></barline>'
def ending(num, typ, loc): return f'<barline location="{loc}"><ending number="{num}" type="{typ}"/></barline>'

def hand_written():
    write("repeat_volta.musicxml", [
        measure(1, note("C"), first=True),
        measure(2, note("D"), left=FWD),
        measure(3, note("E"), left=ending("1", "start", "left"), right='<barline location="right"><bar-style>light-heavy</bar-style><ending number="1" type="stop"/><repeat direction="backward"/></barline>'),
        measure(4, note("F"), left=ending("2", "start", "left"), right='<barline location="right"><ending number="2" type="discontinue"/></barline>'),
        measure(5, note("G"), right='<barline location="right"><bar-style>light-heavy</bar-style></barline>'),
    ])
    write("ds_al_coda.musicxml", [
        measure(1, note("C"), first=True),
        measure(2, '<direction placement="above"><direction-type><segno/></direction-type><sound segno="segno"/></direction>' + note("D")),
        measure(3, note("E") + words("To Coda", '<sound tocoda="coda"/>')),
        measure(4, note("F") + words("D.S. al Coda", '<sound dalsegno="segno"/>'), right='<barline location="right"><bar-style>light-light</bar-style></barline>'),
        measure(5, '<direction placement="above"><direction-type><coda/></direction-type><sound coda="coda"/></direction>' + note("G"), right='<barline location="right"><bar-style>light-heavy</bar-style></barline>'),
    ])
    write("dc_al_fine.musicxml", [
        measure(1, note("C"), first=True),
        measure(2, note("D") + words("Fine", '<sound fine="yes"/>'), right='<barline location="right"><bar-style>light-light</bar-style></barline>'),
        measure(3, note("E") + words("D.C. al Fine", '<sound dacapo="yes"/>'), right='<barline location="right"><bar-style>light-heavy</bar-style></barline>'),
    ])
    write("trailing_rests.musicxml", [
        measure(1, note("C"), first=True), measure(2, rest()), measure(3, rest()),
    ])
    G = '<grace slash="yes"/>'
    A = '<grace/>'
    def gnote(step, octv=5, typ="eighth", slash=True, alter=None):
        a = f"<alter>{alter}</alter>" if alter is not None else ""
        sl = ' slash="yes"' if slash else ''
        return f'<note><grace{sl}/><pitch><step>{step}</step>{a}<octave>{octv}</octave></pitch><type>{typ}</type></note>'
    write("grace_notes.musicxml", [
        measure(1, gnote("D") + note("C", dur=4, typ="half") + gnote("F", slash=False, typ="quarter") + note("E", dur=4, typ="half"), first=True),
        measure(2, gnote("A", typ="16th") + gnote("B", typ="16th") + note("G", dur=8)),
    ])
    notation()


def notation():
    """A grand-staff piano and a cello: 8va/8vb/15ma lines, clef changes (one inside a bar, one
    on the lower staff) and a cross-staff note; pitches written as sounding, as MusicXML does."""
    def pn(step, octv, dur, typ, voice, staff, extra=""):
        return (f'<note><pitch><step>{step}</step><octave>{octv}</octave></pitch><duration>{dur}</duration>'
                f'<voice>{voice}</voice><type>{typ}</type>{extra}<staff>{staff}</staff></note>')
    def shift(kind, staff, size=8, number=1):
        return (f'<direction placement="{"below" if kind == "up" else "above"}"><direction-type>'
                f'<octave-shift type="{kind}" size="{size}" number="{number}"/></direction-type><staff>{staff}</staff></direction>')
    def clef(sign, line, staff=None, octave=0):
        num = f' number="{staff}"' if staff else ""
        oc = f"<clef-octave-change>{octave}</clef-octave-change>" if octave else ""
        return f"<attributes><clef{num}><sign>{sign}</sign><line>{line}</line>{oc}</clef></attributes>"
    back = "<backup><duration>8</duration></backup>"
    head = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE score-partwise PUBLIC "-//Recordare//DTD MusicXML 3.1 Partwise//EN" "http://www.musicxml.org/dtds/partwise.dtd">
<score-partwise version="3.1"><work><work-title>notation</work-title></work>
<part-list><score-part id="P1"><part-name>Piano</part-name><score-instrument id="P1-I1"><instrument-name>Piano</instrument-name></score-instrument><midi-instrument id="P1-I1"><midi-channel>1</midi-channel><midi-program>1</midi-program></midi-instrument></score-part>
<score-part id="P2"><part-name>Violoncello</part-name><score-instrument id="P2-I1"><instrument-name>Violoncello</instrument-name></score-instrument><midi-instrument id="P2-I1"><midi-channel>2</midi-channel><midi-program>43</midi-program></midi-instrument></score-part></part-list>
"""
    piano = [
        # bar 1: voice 5 (lower staff) crosses to the upper staff for its second quarter
        '<measure number="1"><attributes><divisions>2</divisions><key><fifths>0</fifths></key><time><beats>4</beats><beat-type>4</beat-type></time><staves>2</staves>'
        '<clef number="1"><sign>G</sign><line>2</line></clef><clef number="2"><sign>F</sign><line>4</line></clef></attributes>'
        '<direction placement="above"><direction-type><metronome><beat-unit>quarter</beat-unit><per-minute>120</per-minute></metronome></direction-type><staff>1</staff><sound tempo="120"/></direction>'
        + pn("E", 5, 4, "half", 1, 1) + pn("D", 5, 4, "half", 1, 1) + back
        + pn("C", 3, 2, "quarter", 5, 2) + pn("G", 4, 2, "quarter", 5, 1) + pn("G", 2, 4, "half", 5, 2) + "</measure>\n",
        # bar 2: 8va over the upper staff, 8vb over the lower one
        '<measure number="2">' + shift("down", 1) + pn("C", 6, 4, "half", 1, 1) + pn("E", 6, 4, "half", 1, 1) + shift("stop", 1)
        + back + shift("up", 2, number=2) + pn("C", 2, 8, "whole", 5, 2) + shift("stop", 2, number=2) + "</measure>\n",
        # bar 3: the upper staff changes to bass clef on beat 3; the lower staff to treble at the bar's start
        '<measure number="3">' + pn("C", 5, 4, "half", 1, 1) + clef("F", 4, 1) + pn("C", 3, 4, "half", 1, 1)
        + back + clef("G", 2, 2) + pn("E", 4, 8, "whole", 5, 2) + "</measure>\n",
        # bar 4: back to treble and bass; a 15ma over the first half
        '<measure number="4">' + clef("G", 2, 1) + shift("down", 1, size=15) + pn("G", 7, 4, "half", 1, 1) + shift("stop", 1, size=15)
        + pn("G", 5, 4, "half", 1, 1) + back + clef("F", 4, 2) + pn("C", 3, 8, "whole", 5, 2)
        + '<barline location="right"><bar-style>light-heavy</bar-style></barline></measure>\n',
    ]
    def cn(step, octv, dur=8, typ="whole"):
        return f'<note><pitch><step>{step}</step><octave>{octv}</octave></pitch><duration>{dur}</duration><voice>1</voice><type>{typ}</type></note>'
    cello = [
        '<measure number="1"><attributes><divisions>2</divisions><key><fifths>0</fifths></key><time><beats>4</beats><beat-type>4</beat-type></time>'
        '<clef><sign>F</sign><line>4</line></clef></attributes>' + cn("C", 3) + "</measure>\n",
        '<measure number="2">' + clef("C", 4) + cn("A", 3) + "</measure>\n",
        '<measure number="3">' + cn("D", 4, 4, "half") + clef("G", 2) + cn("A", 4, 4, "half") + "</measure>\n",
        '<measure number="4">' + clef("F", 4) + cn("C", 3) + '<barline location="right"><bar-style>light-heavy</bar-style></barline></measure>\n',
    ]
    (SRC / "notation.musicxml").write_text(head + '<part id="P1">\n' + "".join(piano) + "</part>\n<part id=\"P2\">\n"
                                           + "".join(cello) + "</part></score-partwise>\n")


def build():
    from music21 import stream, note, chord, expressions, articulations, spanner, meter, tempo, pitch, clef
    p = stream.Part(); p.partName = "Piano"
    m1 = stream.Measure(number=1); m1.append(meter.TimeSignature("4/4")); m1.insert(0, tempo.MetronomeMark(number=120))
    n = note.Note("C5", quarterLength=2); tr = expressions.Trill(); tr.accidental = pitch.Accidental("sharp"); n.expressions.append(tr); m1.append(n)
    n = note.Note("E5", quarterLength=1); n.expressions.append(expressions.Mordent()); m1.append(n)
    n = note.Note("F5", quarterLength=1); n.expressions.append(expressions.InvertedMordent()); m1.append(n)
    m2 = stream.Measure(number=2)
    n = note.Note("G5", quarterLength=2); n.expressions.append(expressions.Turn()); m2.append(n)
    n = note.Note("A5", quarterLength=2); t = expressions.Tremolo(); t.numberOfMarks = 3; n.expressions.append(t); m2.append(n)
    m3 = stream.Measure(number=3)
    c = chord.Chord(["C4", "E4", "G4"], quarterLength=2); c.expressions.append(expressions.ArpeggioMark()); m3.append(c)
    a = note.Note("C5", quarterLength=1); b = note.Note("G5", quarterLength=1); m3.append(a); m3.append(b)
    m4 = stream.Measure(number=4)
    ns = [note.Note(x, quarterLength=1) for x in ("C4", "E4", "G4", "C5")]
    ns[2].articulations.append(articulations.BreathMark()); ns[3].articulations.append(articulations.Caesura())
    for x in ns: m4.append(x)
    for m in (m1, m2, m3, m4): p.append(m)
    p.insert(0, spanner.Glissando(a, b))
    p.insert(0, expressions.PedalMark(ns))
    s = stream.Score(); s.insert(0, p); s.metadata = __import__("music21").metadata.Metadata(title="ornaments")
    return s



def main(only=()):
    """Make every fixture, or only the cases named (``make_fixtures.py notation``)."""
    global SRC
    with tempfile.TemporaryDirectory() as tmp:
        SRC = Path(tmp)
        hand_written()
        build().write("musicxml", fp=str(SRC / "ornaments.musicxml"))
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": tmp}
        for src in sorted(SRC.glob("*.musicxml")):
            if only and src.stem not in only:
                continue
            for ext in (".musicxml", ".mid"):
                dst = OUT / (src.stem + ext)
                subprocess.run(["mscore3", str(src), "-o", str(dst)], env=env, check=True, capture_output=True)
                print(dst, file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
