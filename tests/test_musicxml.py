"""MusicXML (and ABC / Humdrum) I/O through music21: round trips, real files, bad input."""

from __future__ import annotations

import os
import tempfile
import zipfile
from fractions import Fraction
from pathlib import Path
from xml.etree import ElementTree

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partita.errors import FormatError, InstrumentError, PartitaError, ScoreError
from partita.symbolic import io as score_io
from partita.symbolic.dynamics import Hairpin
from partita.symbolic.io import musicxml
from partita.symbolic.io.musicxml import score_from_music21, score_to_music21
from partita.symbolic.score import ChordSymbol, Note, Part, Score
from partita.symbolic.timeline import BarPosition, TimeSignature
from tests.strategies import scores

DATA = Path(__file__).parent / "data"


def _corpus_path(name: str) -> Path:
    from music21 import corpus

    found = corpus.getWork(name)
    return Path(found[0] if isinstance(found, list) else found)


def _write_read(score: Score, suffix: str = ".musicxml") -> Score:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / f"score{suffix}"
        musicxml.write(score, path)
        assert [p.name for p in Path(d).iterdir()] == [path.name]  # no temporary file left
        return musicxml.read(path)


def _first_difference(a: Score, b: Score) -> str:
    """A readable account of where two scores differ (for assertion messages)."""
    for field in ("title", "tempo_map", "time_signatures", "key_signatures", "sections", "chords",
                  "pickup", "metadata"):  # fmt: skip
        if getattr(a, field) != getattr(b, field):
            return f"{field}: {getattr(a, field)} != {getattr(b, field)}"
    if len(a.parts) != len(b.parts):
        return f"{len(a.parts)} parts != {len(b.parts)}"
    for pa, pb in zip(a.parts, b.parts):
        for field in ("id", "name", "instrument", "dynamics", "hairpins"):
            if getattr(pa, field) != getattr(pb, field):
                return f"part {pa.id} {field}: {getattr(pa, field)} != {getattr(pb, field)}"
        if len(pa.notes) != len(pb.notes):
            return f"part {pa.id}: {len(pa.notes)} notes != {len(pb.notes)}"
        for x, y in zip(pa.notes, pb.notes):
            if x != y:
                return f"part {pa.id}: {x} != {y}"
    return "equal"


# ---------------------------------------------------------------------------------------------
# round trips


@given(scores())
def test_round_trip_through_a_musicxml_file_is_exact(score):
    back = _write_read(score)
    assert back == score, _first_difference(score, back)


def test_slurs_of_two_voices_that_overlap_keep_their_own_ends():
    # found by the dev hypothesis profile (shrunk): a voice-2 slur starting while voice 1's is
    # open got the same <slur number> from music21, and the reader paired them across the voices
    # (the voice-2 start at 19/2 and the voice-1 stop at 16 were lost)
    f = Fraction
    notes = [Note(f(1, 3), f(2, 3), 75, slur="start", voice=1), Note(f(1, 3), f(2, 3), 48, slur="start", voice=2),
             Note(1, f(2, 3), 53, slur="stop", voice=1), Note(f(5, 4), f(1, 4), 48, slur="stop", voice=2),
             Note(f(3, 2), f(1, 2), 48, slur="start", voice=2), Note(2, f(3, 2), 72, slur="stop", voice=2),
             Note(f(7, 2), 1, 76, slur="start", voice=2), Note(f(9, 2), f(1, 2), 68, slur="stop", voice=2),
             Note(f(23, 4), f(1, 4), 51, slur="start", voice=1), Note(f(23, 4), f(1, 4), 48, slur="start", voice=2),
             Note(6, f(3, 2), 48, slur="stop", voice=2), Note(f(17, 2), f(1, 4), 48, slur="start", voice=2),
             Note(f(35, 4), f(3, 4), 48, slur="stop", voice=2), Note(f(19, 2), f(1, 2), 48, slur="start", voice=2),
             Note(13, 1, 48, slur="stop", voice=2), Note(16, 1, 78, slur="stop", voice=1)]  # fmt: skip
    score = Score(parts=(Part("va", "Viola", "viola", notes=tuple(notes)),),
                  time_signatures=(TimeSignature(0, 2, 2), TimeSignature(6, 4, 4)), pickup=Fraction(2))  # fmt: skip
    back = _write_read(score)
    assert back == score, _first_difference(score, back)


@settings(max_examples=5)
@given(scores(max_parts=2), st.sampled_from([".mxl", ".xml"]))
def test_round_trip_through_mxl_and_xml(score, suffix):
    back = _write_read(score, suffix)
    assert back == score, _first_difference(score, back)


def test_mxl_is_a_compressed_archive(tmp_path):
    score = Score(parts=(Part("fl", "Flute", "flute", notes=(Note(0, 1, 72),)),))
    musicxml.write(score, tmp_path / "a.mxl")
    assert zipfile.is_zipfile(tmp_path / "a.mxl")


@settings(max_examples=10)
@given(scores(max_parts=2))
def test_round_trip_through_music21_objects(score):
    assert score_from_music21(score_to_music21(score)) == score


def test_every_velocity_survives_exactly():
    # music21 writes <note dynamics> as a percentage with two decimals; each 1..127 comes back
    notes = tuple(Note(onset=i, duration=1, pitch=60 + i % 12, velocity=i + 1) for i in range(127))
    score = Score(parts=(Part("pno", "Piano", "piano", notes=notes + (Note(127, 1, 60),)),))
    back = _write_read(score)
    assert [n.velocity for n in back.parts[0].notes] == list(range(1, 128)) + [None]


def test_note_crossing_a_bar_line_comes_back_as_tied_pieces():
    score = Score(parts=(Part("vc", "Cello", "cello", notes=(Note(3, 2, 48, spelling="C3"),)),))
    back = _write_read(score).parts[0].notes
    assert [(n.onset, n.duration, n.pitch, n.tie) for n in back] == [
        (Fraction(3), Fraction(1), 48, "start"),
        (Fraction(4), Fraction(1), 48, "stop"),
    ]


def test_hairpin_is_anchored_on_notes():
    notes = tuple(Note(i, 1, 60 + i) for i in range(4))
    inside = Hairpin(Fraction(1, 2), Fraction(7, 2), "crescendo")  # ends are not note boundaries
    score = Score(parts=(Part("vn", "Violin", "violin", notes=notes, hairpins=(inside,)),))
    back = _write_read(score).parts[0].hairpins
    assert back == (Hairpin(Fraction(1), Fraction(3), "crescendo"),)


# ---------------------------------------------------------------------------------------------
# transposing instruments


def _written_notes(path: Path) -> dict[str, list[tuple[str, int, int]]]:
    """(step, alter, octave) of each note per part id, read from the file text itself."""
    root = ElementTree.parse(path).getroot()
    out = {}
    for part in root.iter("part"):
        notes = []
        for n in part.iter("note"):
            p = n.find("pitch")
            if p is not None:
                alter = p.findtext("alter")
                notes.append((p.findtext("step"), int(float(alter)) if alter else 0, int(p.findtext("octave"))))
        out[part.get("id")] = notes
    return out


def _transpose_chromatic(path: Path) -> dict[str, int | None]:
    root = ElementTree.parse(path).getroot()
    return {
        part.get("id"): (int(part.find(".//transpose/chromatic").text) if part.find(".//transpose") is not None else None)
        for part in root.iter("part")
    }


def test_trumpet_and_horn_are_written_at_written_pitch(tmp_path):
    c4 = (Note(0, 4, 60, spelling="C4"),)
    score = Score(
        parts=(
            Part("tpt", "Trumpet", "trumpet", notes=c4),
            Part("hn", "Horn", "horn", notes=c4),
            Part("fl", "Flute", "flute", notes=c4),
        )
    )
    path = tmp_path / "brass.musicxml"
    musicxml.write(score, path)
    written = _written_notes(path)
    assert written["tpt"] == [("D", 0, 4)]  # B-flat trumpet: a major second above sounding
    assert written["hn"] == [("G", 0, 4)]  # horn in F: a fifth above sounding
    assert written["fl"] == [("C", 0, 4)]
    assert _transpose_chromatic(path) == {"tpt": -2, "hn": -7, "fl": None}
    back = musicxml.read(path)
    assert [p.notes[0].pitch for p in back.parts] == [60, 60, 60]
    assert [p.notes[0].spelling for p in back.parts] == ["C4", "C4", "C4"]
    assert back == score


def test_hand_written_transposing_file_reads_sounding_pitch():
    score = musicxml.read(DATA / "transposing_trumpet_horn.musicxml")
    assert [p.instrument for p in score.parts] == ["trumpet", "horn"]
    for part in score.parts:
        assert [n.pitch for n in part.notes] == [60, 64, 67], part.id
        assert [n.spelling for n in part.notes] == ["C4", "E4", "G4"], part.id
    # the written keys (D major, G major) are C major sounding
    assert [(k.fifths, k.mode) for k in score.key_signatures] == [(0, "major")]
    assert score.title == "Fanfare for tests"


# ---------------------------------------------------------------------------------------------
# real files nobody here wrote: the music21 corpus


def _music21_note_count(path: Path, number: int | None = None) -> tuple[int, int]:
    """(sounding notes, grace notes) counted by music21 alone.

    A chord counts one note per pitch; tied notes count once per written note (the Score keeps
    tied pieces as notes too); chord symbols (``harmony.Harmony``, which music21 files among
    ``.notes``) and rests are not notes; grace notes are counted apart because the reader drops
    them; repeats are not expanded.
    """
    from music21 import converter, harmony, stream

    kwargs = {"forceSource": True} if number is None else {"forceSource": True, "number": number}
    s = converter.parse(str(path), **kwargs)
    if isinstance(s, stream.Opus):
        s = s.scores[0]
    notes = graces = 0
    for el in s.recurse().notes:
        if isinstance(el, harmony.Harmony):
            continue
        k = len(el.pitches) if el.isChord else 1
        if el.duration.isGrace:
            graces += k
        else:
            notes += k
    return notes, graces


@pytest.mark.parametrize(
    "work, instruments",
    [
        ("bach/bwv66.6", ["soprano", "alto", "tenor", "bass"]),
        ("haydn/opus74no1/movement3", ["violin", "violin", "viola", "cello"]),
    ],
)
def test_corpus_works_load_with_music21s_note_count(work, instruments):
    path = _corpus_path(work)
    score = score_io.read(path)
    notes, graces = _music21_note_count(path)
    assert sum(len(p.notes) for p in score.parts) == notes
    assert sum(len(p.graces) for p in score.parts) == graces  # kept, not dropped
    assert [p.instrument for p in score.parts] == instruments


def test_bach_chorale_has_its_pickup_and_key():
    score = score_io.read(_corpus_path("bach/bwv66.6"))
    assert score.pickup == 1  # the chorale starts on the last beat of a 4/4 bar
    assert (score.key_signatures[0].fifths, score.key_signatures[0].mode) == (3, "minor")
    first_full = next(n for n in score.parts[0].notes if n.onset >= 1)
    assert score.bar_of(score.parts[0].notes[0].onset).bar == 0
    assert score.bar_of(first_full.onset) == BarPosition(1, Fraction(1))


def test_abc_tune_book_reads_first_tune_or_the_one_asked_for():
    import re

    path = _corpus_path("oneills1850/0721-0730.abc")  # ten fiddle tunes in one file: an opus
    numbers = [int(x) for x in re.findall(r"^X:\s*(\d+)", path.read_text(errors="replace"), re.M)]
    assert len(numbers) == 10
    first = musicxml.read(path)
    assert sum(len(p.notes) for p in first.parts) == _music21_note_count(path, number=numbers[0])[0]
    second = musicxml.read(path, number=numbers[1])
    assert sum(len(p.notes) for p in second.parts) == _music21_note_count(path, number=numbers[1])[0]
    assert second != first


# ---------------------------------------------------------------------------------------------
# bad input


def _valid_file(tmp_path: Path) -> Path:
    score = Score(
        title="Valid",
        parts=(Part("vn", "Violin", "violin", notes=tuple(Note(i, 1, 67 + i % 5) for i in range(8))),),
    )
    path = tmp_path / "valid.musicxml"
    musicxml.write(score, path)
    return path


def test_truncated_file(tmp_path):
    data = _valid_file(tmp_path).read_bytes()
    bad = tmp_path / "truncated.musicxml"
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(FormatError, match="truncated.musicxml"):
        musicxml.read(bad)


def test_malformed_xml(tmp_path):
    bad = tmp_path / "malformed.musicxml"
    bad.write_text("<score-partwise><part-list></score-partwise>")
    with pytest.raises(FormatError, match="malformed.musicxml"):
        musicxml.read(bad)


def test_unknown_encoding_in_the_xml_declaration(tmp_path):
    """A declaration naming an encoding Python does not know (found by the mutation test in CI:
    ``encoding="Atf-8"``) is a FormatError naming the file, not a LookupError from the parser."""
    data = _valid_file(tmp_path).read_bytes()
    assert b'encoding="UTF-8"' in data[:100] or b"encoding='UTF-8'" in data[:100] or b'encoding="utf-8"' in data[:100]
    bad = tmp_path / "encoding.musicxml"
    bad.write_bytes(data.replace(b"UTF-8", b"Atf-8", 1).replace(b"utf-8", b"Atf-8", 1))
    with pytest.raises(FormatError, match="encoding.musicxml") as info:
        musicxml.read(bad)
    assert "\n" not in str(info.value)


def test_midi_file_renamed_musicxml(tmp_path):
    import mido

    midi = mido.MidiFile()
    track = mido.MidiTrack()
    track += [mido.Message("note_on", note=60, velocity=64, time=0), mido.Message("note_off", note=60, time=480)]
    midi.tracks.append(track)
    bad = tmp_path / "song.musicxml"
    midi.save(str(bad))
    with pytest.raises(FormatError, match="song.musicxml") as info:
        score_io.read(bad)
    assert "\n" not in str(info.value)


def test_empty_file(tmp_path):
    bad = tmp_path / "empty.musicxml"
    bad.write_bytes(b"")
    with pytest.raises(FormatError, match="empty.musicxml"):
        score_io.read(bad)


def test_unknown_instrument_falls_back_with_a_notice_naming_the_part():
    # no catalog name and no program: the nearest instrument by clef and range, never a refusal
    with pytest.warns(UserWarning, match="Kazoo Deluxe"):
        score = score_io.read(DATA / "unknown_instrument.musicxml")
    from partita import instruments

    guessed = instruments.get(score.parts[0].instrument)
    assert guessed.in_comfortable_range(72) and not guessed.percussion  # its one note is C5
    assert "Kazoo Deluxe" in score.metadata["partita.notices"]


def test_pitch_out_of_range_names_file_part_and_bar():
    with pytest.raises(FormatError) as info:
        score_io.read(DATA / "pitch_out_of_range.musicxml")
    err = info.value
    assert "pitch_out_of_range.musicxml" in str(err)
    assert (err.part, err.bar) == ("Flute", 3)


def test_unpitched_drums_read_through_the_parts_drum_map():
    # music21 drops each note's <instrument>; the reader takes it from the file itself
    score = score_io.read(DATA / "drums_unpitched.musicxml")
    part = score.parts[0]
    assert part.instrument == "drum_kit"
    assert [(n.onset, n.pitch) for n in part.notes] == [(0, 36), (0, 42), (1, 38), (2, 36), (3, 38)]


def test_drum_kit_part_round_trips_as_gm_keys():
    notes = (Note(0, 1, 36), Note(0, 1, 42), Note(1, 1, 38), Note(2, 2, 49))
    score = Score(parts=(Part("dr", "Drums", "drum_kit", notes=notes),))
    assert _write_read(score) == score


def test_missing_file_and_wrong_extension(tmp_path):
    with pytest.raises(FormatError, match="no such file"):
        musicxml.read(tmp_path / "absent.musicxml")
    other = tmp_path / "score.txt"
    other.write_text("hello")
    with pytest.raises(FormatError):
        musicxml.read(other)


def test_reading_leaves_the_file_and_its_folder_alone(tmp_path):
    path = _valid_file(tmp_path)
    old = os.stat(path).st_mtime_ns - 10_000_000_000
    os.utime(path, ns=(old, old))
    before = path.read_bytes()
    listing = sorted(p.name for p in tmp_path.iterdir())
    musicxml.read(path)
    assert path.read_bytes() == before
    assert os.stat(path).st_mtime_ns == old
    assert sorted(p.name for p in tmp_path.iterdir()) == listing  # no cache written beside it


def test_failed_write_leaves_the_old_file(tmp_path):
    path = _valid_file(tmp_path)
    before = path.read_bytes()
    bad = Score(
        parts=(Part("vn", "Violin", "violin", notes=(Note(0, 1, 67),)),),
        chords=(ChordSymbol(0, "Xyz"),),
    )
    with pytest.raises(ScoreError, match="Xyz"):
        musicxml.write(bad, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["valid.musicxml"]


def test_written_pitch_out_of_range_is_refused(tmp_path):
    # a sounding G9 on a piccolo would be written an octave lower: fine; on a tenor voice
    # (written an octave higher) a sounding 120 would be written 132
    score = Score(parts=(Part("t", "Tenor", "tenor", notes=(Note(0, 1, 120),)),))
    with pytest.raises(ScoreError) as info:
        musicxml.write(score, tmp_path / "x.musicxml")
    assert info.value.part == "Tenor" and info.value.bar == 1


_VALID_BYTES: list[bytes] = []


def _valid_bytes() -> bytes:
    if not _VALID_BYTES:
        with tempfile.TemporaryDirectory() as d:
            score = Score(
                title="Mutant",
                time_signatures=(TimeSignature(0, 3, 4),),
                parts=(
                    Part("tpt", "Trumpet", "trumpet", notes=(Note(0, 1, 60), Note(1, Fraction(1, 3), 62))),
                    Part("vc", "Cello", "cello", notes=(Note(0, 3, 48, tie="start"), Note(3, 3, 48, tie="stop"))),
                ),
            )
            path = Path(d) / "m.musicxml"
            musicxml.write(score, path)
            _VALID_BYTES.append(path.read_bytes())
    return _VALID_BYTES[0]


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_files_raise_only_partita_errors(data):
    blob = bytearray(_valid_bytes())
    kind = data.draw(st.sampled_from(["truncate", "flip", "splice", "delete"]))
    if kind == "truncate":
        blob = blob[: data.draw(st.integers(0, len(blob) - 1))]
    elif kind == "flip":
        for _ in range(data.draw(st.integers(1, 8))):
            i = data.draw(st.integers(0, len(blob) - 1))
            blob[i] = data.draw(st.integers(0, 255))
    elif kind == "splice":
        i = data.draw(st.integers(0, len(blob)))
        blob[i:i] = data.draw(st.binary(min_size=1, max_size=40))
    else:
        i = data.draw(st.integers(0, len(blob) - 1))
        blob[i : i + data.draw(st.integers(1, 200))] = b""
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "mutant.musicxml"
        path.write_bytes(bytes(blob))
        try:
            score = musicxml.read(path)
        except PartitaError as exc:
            assert "mutant.musicxml" in str(exc)
            assert "\n" not in str(exc)
        else:
            assert isinstance(score, Score)
        assert path.read_bytes() == bytes(blob)


def test_a_read_leaves_its_objects_in_the_collector_s_oldest_generation(tmp_path):
    """What a read made goes to the cycle collector's oldest generation as it returns (left in
    the youngest, the next allocation walked all of it); the collector is on again after, off
    if it was off, and objects the program froze itself stay frozen."""
    import gc

    path = tmp_path / "s.musicxml"
    score_io.write(Score(parts=(Part("p", "Flute", "flute", notes=tuple(Note(i, 1, 60 + i % 12) for i in range(400))),)), path)
    assert gc.isenabled()
    score = score_io.read(path)
    assert gc.isenabled() and len(score.parts[0].notes) == 400
    note = score.parts[0].notes[17]
    assert gc.is_tracked(note)
    assert any(o is note for o in gc.get_objects(generation=2))
    gc.disable()
    try:
        score_io.read(path)
        assert not gc.isenabled()
    finally:
        gc.enable()
    held = [[k] for k in range(100)]
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        score_io.read(path)
        assert gc.get_freeze_count() == frozen >= len(held)
    finally:
        gc.unfreeze()
