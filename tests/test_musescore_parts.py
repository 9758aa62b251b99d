"""Parts as MuseScore 3 has them: grand staff, drum sets, transposing and unnamed instruments,
read from files MuseScore itself wrote and checked against MuseScore's own MIDI export.

The fixtures ``tests/data/musescore_*.mscz`` were made by MuseScore 3.2 from small MusicXML
files (``mscore3 in.musicxml -o fixture.mscz``); each test asks the same MuseScore for the
file's MIDI (``mscore3 fixture.mscz -o ref.mid``) as the reference for pitches and onsets.
"""

from __future__ import annotations

import warnings
import zipfile
from collections import Counter
from fractions import Fraction
from pathlib import Path
from xml.etree import ElementTree

import pytest

from partita.errors import LimitError
from partita.symbolic.io import musescore, read, write
from partita.symbolic.io.musicxml_parts import Limits

pytestmark = [pytest.mark.musescore, pytest.mark.slow]

DATA = Path(__file__).parent / "data"


def mscore_notes(path: Path, tmp: Path) -> Counter:
    """(onset in quarters, channel is drums, key) of every note in MuseScore's MIDI export."""
    import mido

    mid_path = tmp / f"{path.stem}.ref.mid"
    musescore.convert_with_mscore(path, mid_path)
    mid = mido.MidiFile(str(mid_path))
    out: Counter = Counter()
    for track in mid.tracks:
        tick = 0
        for msg in track:
            tick += msg.time
            if msg.type == "note_on" and msg.velocity > 0:
                out[(Fraction(tick, mid.ticks_per_beat), msg.channel == 9, msg.note)] += 1
    return out


def partita_notes(score) -> Counter:
    from partita import instruments

    return Counter(
        (n.onset, instruments.get(p.instrument).percussion, n.pitch) for p in score.parts for n in p.notes
    )


def mscx_parts(path: Path) -> list[ElementTree.Element]:
    with zipfile.ZipFile(path) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".mscx"))
        root = ElementTree.fromstring(zf.read(name))
    return root.find("Score").findall("Part")


def test_grand_staff_is_one_part_with_musescores_notes_and_writes_back_as_a_grand_staff(tmp_path):
    src = DATA / "musescore_grand_staff.mscz"
    score = read(src)
    assert [(p.name, p.instrument) for p in score.parts] == [("Piano", "piano")]
    piano = score.parts[0]
    assert partita_notes(score) == mscore_notes(src, tmp_path)
    # voices as MuseScore numbers them: 1-4 on the upper staff, 5-8 on the lower one; the
    # cross-staff C4 (voice 5, drawn on the upper staff) plays once, in its voice
    assert {n.voice for n in piano.notes} == {1, 2, 5}
    assert [n.voice for n in piano.notes if n.pitch == 60] == [5]
    # the note under the 8va line sounds an octave up, as in MuseScore's playback (84)
    assert 84 in {n.pitch for n in piano.notes}
    out = tmp_path / "again.mscz"
    write(score, out)
    parts = mscx_parts(out)
    assert len(parts) == 1 and len(parts[0].findall("Staff")) == 2
    again = read(out)
    assert again.parts == score.parts
    assert partita_notes(again) == mscore_notes(out, tmp_path)


def test_grand_staff_renders_as_one_stem(tmp_path):
    from partita.render.stems import render

    score = read(DATA / "musescore_grand_staff.mscz")
    result = render(score, tmp_path / "out", sample_rate=16000, seed=0, progress=False)
    assert len(result.stems) == 1


def test_drum_set_is_read_through_its_drum_map_rendered_and_written_back(tmp_path):
    src = DATA / "musescore_drumset.mscz"
    score = read(src)
    (drums,) = score.parts
    assert drums.instrument == "drum_kit"
    assert partita_notes(score) == mscore_notes(src, tmp_path)
    out = tmp_path / "again.mscz"
    write(score, out)
    (part,) = mscx_parts(out)
    assert part.find("Instrument/useDrumset").text == "1"  # MuseScore made it a drum set again
    assert partita_notes(read(out)) == mscore_notes(out, tmp_path) == mscore_notes(src, tmp_path)
    from partita.render.drums import render_drum_part

    audio = render_drum_part(drums, score, sample_rate=16000, seed=0, n_samples=16000 * 3)
    assert audio.shape == (1, 48000) and float(abs(audio).max()) > 0.05


def test_music21s_drum_sample_reads_with_musescores_keys(tmp_path):
    from music21 import corpus

    src = Path(corpus.getWork("demos/drum_sample.xml"))
    score = read(src)
    assert [p.instrument for p in score.parts] == ["drum_kit", "drum_kit"]
    # MuseScore plays each note's <instrument> (which music21 drops) on channel 10
    assert partita_notes(score) == mscore_notes(src, tmp_path)


def test_clarinet_in_a_reads_and_writes_back_as_clarinet_in_a(tmp_path):
    src = DATA / "musescore_clarinet_a_voice.mscz"
    score = read(src)
    clarinet, voice = score.parts
    assert clarinet.instrument == "clarinet_a"
    assert partita_notes(score) == mscore_notes(src, tmp_path)  # sounding C#5 from written E5
    # "Voice" is a catalog alias (a voice part; the fallback by clef and range, with its warning,
    # is tested with names the catalog lacks: Cantus, Gesang, MusicXML Part)
    assert voice.instrument in {"soprano", "mezzo_soprano", "alto"}
    out = tmp_path / "again.mscz"
    write(score, out)
    assert mscx_parts(out)[0].find("Instrument/transposeChromatic").text == "-3"
    assert read(out).parts[0].instrument == "clarinet_a"
    assert mscore_notes(out, tmp_path) == mscore_notes(src, tmp_path)


def test_parts_nobody_named_fall_back_never_refuse(tmp_path):
    src = DATA / "musescore_unknown_parts.mscz"
    with pytest.warns(UserWarning) as caught:
        score = read(src)
    from partita import instruments

    families = [instruments.get(p.instrument).family for p in score.parts]
    assert [p.name for p in score.parts] == ["Cantus", "Gesang", "MusicXML Part"]
    assert families[:2] == ["voice", "voice"]  # they carry lyrics
    assert instruments.get(score.parts[2].instrument).clef == "bass"
    assert {"Cantus", "Gesang", "MusicXML Part"} <= {m for w in caught for m in ("Cantus", "Gesang", "MusicXML Part") if m in str(w.message)}
    assert partita_notes(score) == mscore_notes(src, tmp_path)


def test_errors_name_the_users_mscz_never_a_temporary_file():
    src = DATA / "musescore_grand_staff.mscz"
    with pytest.raises(LimitError) as info:
        read(src, limits=Limits(max_bars=1))
    assert str(info.value).startswith(str(src))
    assert "partita-mscore" not in str(info.value) and "out.musicxml" not in str(info.value)


def test_every_lyric_verse_is_kept_through_musescore_and_the_sung_one_chosen(tmp_path):
    src = DATA / "musescore_unknown_parts.mscz"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        score = read(src)
    # MuseScore's own MusicXML export of the file is the reference: every <lyric> it holds
    ref = tmp_path / "ref.musicxml"
    musescore.convert_with_mscore(src, ref)
    root = ElementTree.parse(ref).getroot()
    want = sorted((lyric.get("number"), lyric.findtext("text")) for lyric in root.iter("lyric"))
    got = sorted([("1", n.lyric) for p in score.parts for n in p.notes if n.lyric]
                 + [(str(s.verse), s.text) for p in score.parts for s in p.verses])  # fmt: skip
    assert got == want and ("2", "Glo") in got
    out = tmp_path / "again.mscz"
    write(score, out)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        again = read(out)
    assert [p.verses for p in again.parts] == [p.verses for p in score.parts]
    cantus = score.with_verse(2).parts[0]
    assert [n.lyric for n in cantus.notes] == ["Glo", "ri"] and cantus.sung_verse == 2


def test_the_8va_line_is_kept_not_reported():
    score = read(DATA / "musescore_grand_staff.mscz")
    # the line over bar 2 (its note kept at sounding pitch, 84) and the cross-staff C4 are held
    assert [(o.name, score.bar_of(o.onset).bar, o.staff) for o in score.parts[0].octave_lines] == [("8va", 2, 1)]
    assert [(c.pitch, c.staff) for c in score.parts[0].cross_staff] == [(60, 1)]
    assert not score.dropped


def test_musescores_instrument_id_decides_before_the_names(tmp_path):
    # the fixture with its clarinet renamed to a name no catalog knows, its program a piano's,
    # and MuseScore's instrumentId added (as MuseScore writes it for an instrument chosen from
    # its own list): only the instrumentId says what it is
    with zipfile.ZipFile(DATA / "musescore_clarinet_a_voice.mscz") as zf:
        name = next(n for n in zf.namelist() if n.endswith(".mscx"))
        text = zf.read(name).decode()
    text = text.replace("Clarinet in A", "Instrument 1").replace(
        "<longName>Instrument 1</longName>", "<instrumentId>wind.reed.clarinet.a</instrumentId>\n        <longName>Instrument 1</longName>", 1
    )
    text = text.replace('<program value="71"/>', '<program value="0"/>', 1)
    src = tmp_path / "renamed.mscx"
    src.write_text(text)
    assert musescore.part_hints(src)[0] == {"staves": 1, "instrument_id": "wind.reed.clarinet.a", "transposition": -3}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        score = read(src)
    assert score.parts[0].name == "Instrument 1" and score.parts[0].instrument == "clarinet_a"
    assert not any("Instrument 1" in str(w.message) for w in caught)  # no guess: MuseScore said


_LOWER_STAFF_MARKS = """<?xml version="1.0" encoding="UTF-8"?>
<score-partwise version="3.1"><part-list><score-part id="P1"><part-name>Piano</part-name></score-part></part-list>
<part id="P1"><measure number="1"><attributes><divisions>1</divisions><time><beats>4</beats><beat-type>4</beat-type></time>
<staves>2</staves><clef number="1"><sign>G</sign><line>2</line></clef><clef number="2"><sign>F</sign><line>4</line></clef></attributes>
<note><pitch><step>C</step><octave>5</octave></pitch><duration>4</duration><voice>1</voice><type>whole</type><staff>1</staff></note>
<backup><duration>4</duration></backup>
<note><grace slash="yes"/><pitch><step>G</step><octave>2</octave></pitch><voice>5</voice><type>eighth</type><staff>2</staff></note>
<note><pitch><step>C</step><octave>3</octave></pitch><duration>2</duration><voice>5</voice><type>half</type><staff>2</staff>
<notations><ornaments><trill-mark/></ornaments></notations></note>
<note><pitch><step>G</step><octave>2</octave></pitch><duration>2</duration><voice>5</voice><type>half</type><staff>2</staff></note>
</measure></part></score-partwise>
"""


def test_a_lower_staffs_grace_notes_and_ornaments_are_kept(tmp_path):
    """The lower staff of a grand staff keeps its grace notes and ornaments when its notes join
    the upper staff's part (music21's weber concertino lost a left-hand grace note this way)."""
    from music21 import converter

    path = tmp_path / "lower.musicxml"
    path.write_text(_LOWER_STAFF_MARKS)
    score = read(path)
    (piano,) = score.parts
    assert sorted(n.pitch for n in piano.notes) == [43, 48, 72]
    assert [(g.pitch, g.onset, g.voice) for g in piano.graces] == [(43, 0, 5)]
    assert [(o.kind, o.onset, o.voice) for o in piano.ornaments] == [("trill", 0, 5)]
    m21 = converter.parse(str(path))
    assert sum(1 for n in m21.recurse().notes if n.duration.isGrace) == len(piano.graces)
    assert not any(d.kind.startswith("ornament") for d in score.dropped)
