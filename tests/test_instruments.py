"""The instrument catalog, checked against music21 and MuseScore 3 as independent references."""

from __future__ import annotations

import dataclasses
import doctest
import glob
import tomllib
import xml.etree.ElementTree as ET
from importlib import resources

import music21.instrument as music21_instrument
import pytest

import partita.instruments
import partita.instruments.catalog as catalog
from partita.errors import InstrumentError
from partita.instruments import Instrument, all_instruments, by_program, get, lookup

REQUIRED_IDS = {
    "violin", "viola", "cello", "contrabass", "flute", "piccolo", "oboe", "english_horn",
    "clarinet", "clarinet_a", "bass_clarinet", "bassoon", "horn", "trumpet", "trumpet_c",
    "trombone", "bass_trombone", "tuba", "piano", "harp", "acoustic_guitar", "electric_guitar",
    "electric_bass", "acoustic_bass", "soprano", "alto", "tenor", "baritone", "bass", "organ",
    "harpsichord", "marimba", "xylophone", "glockenspiel", "vibraphone", "timpani", "drum_kit",
    "soprano_sax", "alto_sax", "tenor_sax", "baritone_sax", "recorder",
}  # fmt: skip


def _raw_catalog() -> dict:
    text = resources.files("partita.instruments").joinpath("catalog.toml").read_text("utf-8")
    return tomllib.loads(text)


# --- every entry loads and validates ------------------------------------------------------


def test_catalog_has_the_required_ids_and_each_entry_is_valid():
    ids = [i.id for i in all_instruments()]
    assert REQUIRED_IDS <= set(ids)
    assert len(ids) == len(set(ids)) == len(_raw_catalog())
    for instrument in all_instruments():
        assert isinstance(instrument, Instrument)
        assert get(instrument.id) is instrument
        assert instrument.family in catalog.FAMILIES
        assert instrument.clef in catalog.CLEFS
        assert 0 <= instrument.gm_program <= 127
        assert -1.0 <= instrument.pan <= 1.0
        # Rebuilding the entry runs __post_init__'s checks again.
        assert dataclasses.replace(instrument) == instrument


def test_every_sounding_range_contains_its_comfortable_range():
    for instrument in all_instruments():
        low, high = instrument.sounding_range
        c_low, c_high = instrument.comfortable_range
        assert 0 <= low <= c_low <= c_high <= high <= 127, instrument.id
        assert instrument.in_range(c_low) and instrument.in_range(c_high)
        assert not instrument.in_range(low - 1) and not instrument.in_range(high + 1)
        assert instrument.in_comfortable_range(c_low)
        assert not instrument.in_comfortable_range(c_high + 1)


def test_every_name_of_an_entry_finds_that_entry():
    for instrument in all_instruments():
        names = [instrument.id, instrument.name, instrument.abbreviation, *instrument.aliases]
        if instrument.sound:
            names.append(instrument.sound)
        for name in names:
            assert lookup(name).id == instrument.id, name
            assert lookup(name.upper()).id == instrument.id, name


def test_only_the_drum_kit_plays_on_the_percussion_channel():
    assert [i.id for i in all_instruments() if i.percussion] == ["drum_kit"]
    assert get("drum_kit").clef == "percussion"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"comfortable_range": (50, 93)}, "comfortable_range [50, 93] is not inside"),
        ({"sounding_range": (105, 55)}, "0 <= low <= high <= 127"),
        ({"sounding_range": (55, 128), "comfortable_range": (55, 93)}, "<= 127"),
        ({"pan": 1.5}, "pan must be"),
        ({"family": "bowed"}, "family 'bowed'"),
        ({"clef": "soprano"}, "clef 'soprano'"),
        ({"gm_program": 128}, "gm_program"),
        ({"aliases": ("Violin",)}, "lowercase"),
    ],
)
def test_invalid_entries_raise_instrument_error_naming_the_entry(change, message):
    with pytest.raises(InstrumentError, match=r"instrument 'violin'.*") as error:
        dataclasses.replace(get("violin"), **change)
    assert message in str(error.value)


def test_a_malformed_toml_table_is_reported_with_its_id():
    with pytest.raises(InstrumentError, match=r"'kazoo'.*missing keys"):
        catalog._entry("kazoo", {"name": "Kazoo"})
    table = dict(_raw_catalog()["violin"], colour="brown")
    with pytest.raises(InstrumentError, match=r"'violin'.*unknown keys \['colour'\]"):
        catalog._entry("violin", table)


# --- facts from orchestration references ----------------------------------------------------


@pytest.mark.parametrize(
    ("instrument_id", "sounding_range", "transposition", "clef"),
    [
        ("violin", (55, 105), 0, "treble"),  # G3-A7
        ("viola", (48, 93), 0, "alto"),  # C3
        ("cello", (36, 88), 0, "bass"),  # C2
        ("contrabass", (24, 67), -12, "bass"),  # C1 with extension; E1 without
        ("flute", (59, 98), 0, "treble"),  # B3 foot - D7
        ("piccolo", (74, 108), 12, "treble"),  # D5-C8 sounding
        ("clarinet", (50, 94), -2, "treble"),  # written E3-C7
        ("horn", (34, 77), -7, "treble"),
        ("trumpet", (52, 84), -2, "treble"),  # written F#3-D6
        ("tuba", (26, 65), 0, "bass"),
        ("piano", (21, 108), 0, "treble"),  # A0-C8, 88 keys
        ("glockenspiel", (79, 108), 24, "treble"),
        ("xylophone", (65, 108), 12, "treble"),
        ("acoustic_guitar", (40, 86), -12, "treble8vb"),
        ("electric_bass", (28, 67), -12, "bass"),
        ("tenor", (48, 72), -12, "treble8vb"),
    ],
)
def test_ranges_transpositions_and_clefs(instrument_id, sounding_range, transposition, clef):
    instrument = get(instrument_id)
    assert instrument.sounding_range == sounding_range
    assert instrument.transposition == transposition
    assert instrument.clef == clef
    low, high = sounding_range
    assert instrument.written_to_sounding(instrument.sounding_to_written(low)) == low
    assert instrument.sounding_to_written(high) == high - transposition


def test_written_and_sounding_pitch():
    assert get("clarinet").written_to_sounding(62) == 60  # written D4 sounds C4
    assert get("horn").sounding_to_written(60) == 67  # concert C4 is written G4
    assert get("piccolo").written_to_sounding(74) == 86
    assert get("contrabass").sounding_to_written(28) == 40  # low E1 is written E2
    assert get("violin").written_to_sounding(69) == 69


def test_orchestra_seating_puts_violins_left_and_basses_right():
    violin, viola, cello, bass = (get(i).pan for i in ("violin", "viola", "cello", "contrabass"))
    assert violin < 0 < viola < cello < bass
    assert get("harp").pan < 0
    voices = [get(i).pan for i in ("soprano", "alto", "tenor", "baritone", "bass")]
    assert voices == sorted(voices)


# --- lookup of real-world spellings --------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Violin I", "violin"), ("Violin II", "violin"), ("Violin 2", "violin"),
        ("Violins 1", "violin"), ("2nd Violin", "violin"), ("Vln. 1", "violin"),
        ("Vln.", "violin"), ("Vl. II", "violin"), ("Violino I", "violin"), ("Violine", "violin"),
        ("Viola", "viola"), ("Vla.", "viola"), ("Violas", "viola"), ("Bratsche", "viola"),
        ("Vc.", "cello"), ("Vlc.", "cello"), ("Violoncello", "cello"), ("Cellos", "cello"),
        ("Contrabass", "contrabass"), ("Cb.", "contrabass"), ("Kb.", "contrabass"),
        ("Double Bass", "contrabass"), ("Kontrabass", "contrabass"),
        ("Flute 1", "flute"), ("Fl.", "flute"), ("Flûte", "flute"), ("Flöte", "flute"),
        ("Piccolo", "piccolo"), ("Picc.", "piccolo"), ("Oboe II", "oboe"), ("Oboes", "oboe"),
        ("English Horn", "english_horn"), ("Cor anglais", "english_horn"),
        ("Clarinet in B♭", "clarinet"), ("Clarinet in Bb", "clarinet"),
        ("Clarinet in B-flat", "clarinet"), ("Clarinet in B flat 2", "clarinet"),
        ("B♭ Clarinet", "clarinet"), ("Clarinet", "clarinet"), ("Cl. 1", "clarinet"),
        ("Clarinet in A", "clarinet_a"), ("Clarinet (A)", "clarinet_a"),
        ("A Clarinet", "clarinet_a"), ("Bass Clarinet", "bass_clarinet"),
        ("Bass Clarinet in B♭", "bass_clarinet"), ("B. Cl.", "bass_clarinet"),
        ("Bassoon", "bassoon"), ("Fagott", "bassoon"), ("Contrabassoon", "contrabassoon"),
        ("Horn in F", "horn"), ("Horn in F 1", "horn"), ("Horn (F)", "horn"),
        ("French Horn", "horn"), ("Hn. 3", "horn"), ("Horns", "horn"), ("Corno", "horn"),
        ("Trumpet in B♭", "trumpet"), ("Trumpet in Bb", "trumpet"),
        ("Trumpet in B-flat", "trumpet"), ("B♭ Trumpet", "trumpet"), ("Tpt. II", "trumpet"),
        ("Trumpet in C", "trumpet_c"), ("C Trumpet", "trumpet_c"),
        ("Trombone 1", "trombone"), ("Tbn.", "trombone"), ("Posaune", "trombone"),
        ("Bass Trombone", "bass_trombone"), ("Tuba", "tuba"),
        ("Piano", "piano"), ("Pno.", "piano"), ("Acoustic Grand Piano", "piano"),
        ("Pianoforte", "piano"), ("Harp", "harp"), ("Harpsichord", "harpsichord"),
        ("Cembalo", "harpsichord"), ("Organ", "organ"), ("Pipe Organ", "organ"),
        ("Celesta", "celesta"),
        ("Acoustic Guitar", "acoustic_guitar"), ("Classical Guitar", "nylon_guitar"),
        ("Guitar", "acoustic_guitar"), ("Electric Guitar", "electric_guitar"),
        ("El. Guit.", "electric_guitar"), ("Electric Bass", "electric_bass"),
        ("Bass Guitar", "electric_bass"), ("Acoustic Bass", "acoustic_bass"),
        ("Soprano", "soprano"), ("Sopran", "soprano"), ("Alto", "alto"),
        ("Contralto", "alto"), ("Tenor", "tenor"), ("Tenor 2", "tenor"),
        ("Baritone", "baritone"), ("Bass", "bass"), ("Basses", "bass"),
        ("Mezzo-soprano", "mezzo_soprano"), ("Choir", "choir"), ("Choir Aahs", "choir"),
        ("Marimba", "marimba"), ("Xylophone", "xylophone"), ("Glockenspiel", "glockenspiel"),
        ("Glock.", "glockenspiel"), ("Vibraphone", "vibraphone"), ("Vibes", "vibraphone"),
        ("Tubular Bells", "tubular_bells"), ("Chimes", "tubular_bells"),
        ("Timpani", "timpani"), ("Timp.", "timpani"), ("Pauken", "timpani"),
        ("Drumset", "drum_kit"), ("Drum Set", "drum_kit"), ("Drums", "drum_kit"),
        ("Drum Kit", "drum_kit"),
        ("Alto Saxophone", "alto_sax"), ("Alto Sax", "alto_sax"),
        ("Tenor Saxophone", "tenor_sax"), ("Baritone Saxophone", "baritone_sax"),
        ("Soprano Saxophone", "soprano_sax"), ("Recorder", "recorder"),
        # MusicXML standard sound ids, as MuseScore 3 writes them in <instrument-sound>.
        ("strings.violin", "violin"), ("strings.cello", "cello"),
        ("wind.flutes.flute", "flute"), ("wind.reed.clarinet.bflat", "clarinet"),
        ("brass.french-horn", "horn"), ("brass.trumpet.bflat", "trumpet"),
        ("drum.group.set", "drum_kit"), ("keyboard.piano", "piano"),
        ("pluck.guitar.acoustic", "acoustic_guitar"), ("voice.soprano", "soprano"),
        ("  violin  ", "violin"), ("VIOLONCELLO", "cello"), ("violin", "violin"),
    ],
)  # fmt: skip
def test_lookup_real_world_spellings(name, expected):
    assert lookup(name).id == expected


@pytest.mark.parametrize(
    ("name", "suggested"),
    [("violn", "violin"), ("Trumpt", "trumpet"), ("Clarinette in B", "clarinet"),
     ("Bazoon", "bassoon")],
)  # fmt: skip
def test_unknown_names_raise_with_suggestions(name, suggested):
    with pytest.raises(InstrumentError) as error:
        lookup(name)
    message = str(error.value)
    assert f"unknown instrument {name!r}" in message
    assert "closest:" in message
    assert suggested in message.split("closest:")[1]


def test_unknown_ids_raise_with_the_closest_ids():
    with pytest.raises(InstrumentError) as error:
        get("violn")
    assert str(error.value) == "unknown instrument 'violn'; closest: violin, viola"
    with pytest.raises(InstrumentError, match="unknown instrument 'Violin'"):
        get("Violin")  # get() takes exact ids only; lookup() takes names
    with pytest.raises(InstrumentError, match="unknown instrument 'kazoo'"):
        lookup("kazoo")


def test_names_are_unambiguous():
    """A normalised name belongs to one entry; the loader refuses the catalog otherwise."""
    owners: dict[str, str] = {}
    for instrument in all_instruments():
        names = [instrument.id, instrument.name, instrument.abbreviation, *instrument.aliases]
        for name in names + ([instrument.sound] if instrument.sound else []):
            key = catalog._normalize(name)
            assert owners.setdefault(key, instrument.id) == instrument.id, (name, key)


# --- General MIDI programs ----------------------------------------------------------------


def test_by_program_covers_all_128_programs():
    for program in range(128):
        instrument = by_program(program)
        assert isinstance(instrument, Instrument)
        assert not instrument.percussion
    for instrument_id in ("violin", "viola", "cello", "contrabass", "flute", "trumpet",
                          "oboe", "clarinet", "horn", "tuba", "piano", "harp", "organ"):
        instrument = get(instrument_id)
        assert by_program(instrument.gm_program) is instrument  # fmt: skip
    # Programs without their own entry map into the same GM family (blocks of 8).
    assert by_program(44).id == "violin"  # tremolo strings
    assert by_program(61).family == "brass"  # brass section
    assert by_program(25).id == "acoustic_guitar"  # steel-string guitar
    assert by_program(35).id == "electric_bass"  # fretless
    assert by_program(52).family == by_program(54).family == "voice"
    assert by_program(64).id == "soprano_sax"
    assert by_program(74).id == "recorder"
    assert by_program(90).id == "piano"  # synth pads: documented fallback


def test_by_program_percussion_and_bad_programs():
    assert by_program(0, percussion=True).id == "drum_kit"
    assert by_program(40, percussion=True).id == "drum_kit"
    for bad in (-1, 128, 40.0, True, "40"):
        with pytest.raises(InstrumentError, match="0-127"):
            by_program(bad)  # type: ignore[arg-type]


# --- music21 as an independent reference ----------------------------------------------------

# music21 class -> our id. music21 10.x writes these instrumentName values into MusicXML and
# MIDI; lookup() must read them back.
MUSIC21 = {
    "Violin": "violin", "Viola": "viola", "Violoncello": "cello", "Contrabass": "contrabass",
    "Flute": "flute", "Piccolo": "piccolo", "Oboe": "oboe", "EnglishHorn": "english_horn",
    "Clarinet": "clarinet", "BassClarinet": "bass_clarinet", "Bassoon": "bassoon",
    "Contrabassoon": "contrabassoon", "Horn": "horn", "Trumpet": "trumpet",
    "Trombone": "trombone", "BassTrombone": "bass_trombone", "Tuba": "tuba", "Piano": "piano",
    "Harpsichord": "harpsichord", "Organ": "organ", "PipeOrgan": "organ", "Celesta": "celesta",
    "Harp": "harp", "AcousticGuitar": "acoustic_guitar", "ElectricGuitar": "electric_guitar",
    "ElectricBass": "electric_bass", "AcousticBass": "acoustic_bass", "Soprano": "soprano",
    "Alto": "alto", "Tenor": "tenor", "Baritone": "baritone", "Bass": "bass",
    "Choir": "choir", "Marimba": "marimba", "Xylophone": "xylophone",
    "Glockenspiel": "glockenspiel", "Vibraphone": "vibraphone",
    "TubularBells": "tubular_bells", "Timpani": "timpani",
    "SopranoSaxophone": "soprano_sax", "AltoSaxophone": "alto_sax",
    "TenorSaxophone": "tenor_sax", "BaritoneSaxophone": "baritone_sax", "Recorder": "recorder",
}  # fmt: skip

# Where music21 and the catalog disagree on purpose.
MUSIC21_PROGRAM_DIFFERS = {
    # music21 uses GM 26 "Electric Guitar (jazz)"; GM 27 "Electric Guitar (clean)" is the
    # generic electric guitar, and MuseScore 3 plays it first.
    "ElectricGuitar": 27,
}
# music21 leaves the octave transposition of guitars, bass guitars, celesta, glockenspiel,
# xylophone and contrabassoon implicit (transposition None); notation writes them an octave
# (two for glockenspiel) from sounding pitch, and so does MuseScore 3 (treble8vb clef for the
# guitars, transposeChromatic -12 for the basses and contrabassoon, 12 and 24 for the rest).
MUSIC21_TRANSPOSITION_DIFFERS = {
    "AcousticGuitar": -12, "ElectricGuitar": -12, "ElectricBass": -12, "AcousticBass": -12,
    "Contrabassoon": -12, "Celesta": 12, "Glockenspiel": 24, "Xylophone": 12,
    "Tenor": -12,  # written in treble clef with an 8 below
}  # fmt: skip


@pytest.mark.parametrize(("class_name", "instrument_id"), sorted(MUSIC21.items()))
def test_music21_names_programs_and_transpositions(class_name, instrument_id):
    reference = getattr(music21_instrument, class_name)()
    ours = get(instrument_id)
    assert lookup(reference.instrumentName).id == instrument_id
    if reference.instrumentAbbreviation:
        assert lookup(reference.instrumentAbbreviation).id == instrument_id
    if reference.instrumentSound and class_name != "Contrabassoon":
        # (music21 gives Contrabassoon bassoon's sound id, "wind.reed.bassoon")
        assert lookup(reference.instrumentSound).id == instrument_id
    expected_program = MUSIC21_PROGRAM_DIFFERS.get(class_name, reference.midiProgram)
    assert ours.gm_program == expected_program
    semitones = reference.transposition.semitones if reference.transposition else 0
    assert ours.transposition == MUSIC21_TRANSPOSITION_DIFFERS.get(class_name, semitones)


@pytest.mark.parametrize(
    "class_name",
    ["Clarinet", "Horn", "Trumpet", "Piccolo", "Contrabass", "EnglishHorn", "BassClarinet",
     "AltoSaxophone", "TenorSaxophone", "BaritoneSaxophone"],
)  # fmt: skip
def test_music21_transposing_instruments(class_name):
    reference = getattr(music21_instrument, class_name)()
    ours = get(MUSIC21[class_name])
    assert ours.transposition == reference.transposition.semitones != 0


@pytest.mark.parametrize(
    "class_name",
    # music21's lowestNote is written pitch. Left out on purpose: Contrabass, BassClarinet,
    # BaritoneSaxophone (we include the low C / low C / low A extensions that modern
    # professional instruments have), Horn (music21 gives the written pedal C2) and Flute
    # (we include the B foot).
    ["Violin", "Viola", "Violoncello", "Piccolo", "Oboe", "EnglishHorn", "Clarinet",
     "Bassoon", "Trumpet", "Trombone", "Tuba", "Piano", "Harpsichord", "AcousticGuitar",
     "ElectricGuitar", "ElectricBass", "AcousticBass", "SopranoSaxophone", "AltoSaxophone",
     "TenorSaxophone", "Recorder"],
)  # fmt: skip
def test_lowest_notes_agree_with_music21(class_name):
    reference = getattr(music21_instrument, class_name)()
    ours = get(MUSIC21[class_name])
    # music21 gives lowestNote in written pitch for the instruments it transposes, in
    # sounding pitch for the rest (guitars and electric bass included).
    low = reference.lowestNote.midi
    if reference.transposition is not None:
        low += reference.transposition.semitones
    assert ours.sounding_range[0] == low
    if reference.highestNote is not None:
        assert ours.sounding_range[1] == reference.highestNote.midi


# --- MuseScore 3 as an independent reference ------------------------------------------------

MUSESCORE_XML = sorted(glob.glob("/usr/share/mscore3*/instruments/instruments.xml"))

# MuseScore 3 instrument id -> our id.
MUSESCORE = {
    "violin": "violin", "viola": "viola", "violoncello": "cello", "contrabass": "contrabass",
    "flute": "flute", "piccolo": "piccolo", "oboe": "oboe", "english-horn": "english_horn",
    "bb-clarinet": "clarinet", "a-clarinet": "clarinet_a", "bass-clarinet": "bass_clarinet",
    "bassoon": "bassoon", "contrabassoon": "contrabassoon", "horn": "horn",
    "bb-trumpet": "trumpet", "c-trumpet": "trumpet_c", "trombone": "trombone",
    "bass-trombone": "bass_trombone", "tuba": "tuba", "piano": "piano", "harp": "harp",
    "harpsichord": "harpsichord", "organ": "organ", "celesta": "celesta",
    "guitar-nylon": "nylon_guitar", "guitar-steel": "acoustic_guitar",
    "electric-guitar": "electric_guitar", "electric-bass": "electric_bass",
    "bass-guitar": "electric_bass", "acoustic-bass": "acoustic_bass", "soprano": "soprano",
    "mezzo-soprano": "mezzo_soprano", "alto": "alto", "contralto": "alto", "tenor": "tenor",
    "baritone": "baritone", "bass": "bass", "marimba": "marimba", "xylophone": "xylophone",
    "glockenspiel": "glockenspiel", "vibraphone": "vibraphone",
    "tubular-bells": "tubular_bells", "timpani": "timpani", "drumset": "drum_kit",
    "soprano-saxophone": "soprano_sax", "alto-saxophone": "alto_sax",
    "tenor-saxophone": "tenor_sax", "baritone-saxophone": "baritone_sax",
}  # fmt: skip


@pytest.mark.musescore
def test_musescore_names_sounds_and_transpositions():
    assert MUSESCORE_XML, "MuseScore 3's instruments.xml (Debian musescore3-common) is missing"
    found = {}
    for element in ET.parse(MUSESCORE_XML[-1]).iter("Instrument"):
        if element.get("id") in MUSESCORE:
            found[element.get("id")] = element
    assert set(found) == set(MUSESCORE)
    for musescore_id, element in found.items():
        ours = get(MUSESCORE[musescore_id])
        for tag in ("longName", "shortName", "trackName", "musicXMLid"):
            for node in element.findall(tag):
                if (musescore_id, node.text) == ("acoustic-bass", "Bass"):
                    continue  # MuseScore's short name for it; "Bass" is the bass voice
                if (musescore_id, node.text) == ("guitar-nylon", "Guit."):
                    continue  # MuseScore's short name for both guitars; "Guit." is the steel-string one
                assert lookup(node.text).id == ours.id, (musescore_id, tag, node.text)
        transpose = element.findtext("transposeChromatic")
        if ours.id not in ("acoustic_guitar", "nylon_guitar", "electric_guitar", "tenor"):
            # MuseScore writes guitars and tenors in a treble8vb clef, which carries the
            # octave, instead of transposing.
            assert ours.transposition == int(transpose or 0), musescore_id


# --- docs ---------------------------------------------------------------------------------


@pytest.mark.parametrize("module", [catalog, partita.instruments])
def test_docstring_examples_run(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
