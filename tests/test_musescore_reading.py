"""Files that music21 misreads, read as MuseScore 3 reads them (its MIDI export, made here, is
the reference)."""

from __future__ import annotations

from collections import Counter
from fractions import Fraction

import pytest

from partita.symbolic.io import read
from tests.test_musescore_notation import midi_notes, mscore

pytestmark = [pytest.mark.musescore, pytest.mark.slow]

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<score-partwise version="3.1">
<identification><encoding><software>Finale 2002 for Windows</software></encoding></identification><part-list>
<score-part id="P1"><part-name>Violin</part-name></score-part>
<score-part id="P2"><part-name>Violoncello</part-name></score-part></part-list>
"""
ATTR = "<attributes><divisions>24</divisions><time><beats>4</beats><beat-type>4</beat-type></time><clef><sign>{s}</sign><line>{l}</line></clef></attributes>"


def note(step, octave, dur, voice=1, hidden=False):
    h = ' print-object="no"' if hidden else ""
    return f"<note{h}><pitch><step>{step}</step><octave>{octave}</octave></pitch><duration>{dur}</duration><voice>{voice}</voice></note>"


def musescore_notes(src, tmp_path) -> Counter:
    """(onset, pitch) of every note in MuseScore 3's MIDI export of ``src``, made here."""
    mscore(src, tmp_path / "ref.mid")
    return midi_notes(tmp_path / "ref.mid")


def test_an_overfull_measure_holds_every_part_back_as_in_musescore(tmp_path):
    # bar 2 of the violin holds 8 quarters in 4/4 (as in monteverdi/madrigal.3.2 of music21's
    # corpus); music21 alone would start the violin's bar 3 four quarters after the cello's
    src = tmp_path / "overfull.musicxml"
    violin = [ATTR.format(s="G", l=2) + note("C", 5, 96), note("D", 5, 96) + note("E", 5, 96), note("F", 5, 96)]
    cello = [ATTR.format(s="F", l=4) + note("C", 3, 96), note("D", 3, 96), note("E", 3, 96)]
    bars = lambda ms: "".join(f'<measure number="{i + 1}">{m}</measure>' for i, m in enumerate(ms))  # noqa: E731
    src.write_text(HEAD + f'<part id="P1">{bars(violin)}</part><part id="P2">{bars(cello)}</part></score-partwise>\n')
    score = read(src)
    got = Counter((n.onset, n.pitch) for p in score.parts for n in p.notes)
    assert got == musescore_notes(src, tmp_path)
    assert (Fraction(12), 77) in got and (Fraction(12), 52) in got  # bar 3 starts together, after 8 quarters
    assert [(d.kind.split(" (")[0], d.bar, d.part) for d in score.dropped] == [("overfull measure", 2, "Violin")]


def test_a_forward_of_duration_zero_moves_nothing_as_in_musescore(tmp_path):
    # as in two Haydn movements of music21's corpus (written by Finale 2002): a hidden second
    # voice closed by <forward> of duration 0, which music21 reads as a quarter rest in files
    # that name Finale as their software (a bar too long, the part's later bars out of step)
    bar1 = (ATTR.format(s="G", l=2) + note("C", 5, 96) + "<backup><duration>96</duration></backup>"
            "<forward><duration>72</duration><voice>2</voice></forward>" + note("D", 5, 23, 2, True)
            + "<forward><duration>0</duration><voice>2</voice></forward><forward><duration>1</duration><voice>2</voice></forward>")  # fmt: skip
    src = tmp_path / "zero_forward.musicxml"
    src.write_text(
        HEAD + f'<part id="P1"><measure number="1">{bar1}</measure><measure number="2">{note("E", 5, 96)}</measure></part>'
        f'<part id="P2"><measure number="1">{ATTR.format(s="F", l=4)}{note("C", 3, 96)}</measure>'
        f'<measure number="2">{note("G", 2, 96)}</measure></part></score-partwise>\n'
    )
    want = musescore_notes(src, tmp_path)
    score = read(src)
    got = Counter((n.onset, n.pitch) for p in score.parts for n in p.notes)
    assert got == want
    assert (Fraction(4), 76) in got and (Fraction(4), 43) in got  # bar 2 starts together in both parts
