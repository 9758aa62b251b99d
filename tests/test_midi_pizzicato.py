"""Pizzicato through a Standard MIDI file: a bowed part's plucked notes are written under General
MIDI's Pizzicato Strings (program 45 from 0) switched on the part's own channel, read back as the
same part with the notes marked ``pizzicato``; mido and pretty_midi see the switches where the
notes are, and the real fluidsynth plucks those notes while it bows the others."""

from __future__ import annotations

import dataclasses
import io
from fractions import Fraction as F
from pathlib import Path

import mido
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from partita.symbolic.io import read
from partita.symbolic.io.midi import score_from_bytes, score_to_bytes
from partita.symbolic.score import Note, Part, Score
from partita.symbolic.timeline import TempoMap, TempoMark
from tests.reference import drop_within_db

PIZZ = frozenset({"pizzicato"})
DATA = Path(__file__).parent / "data"
FLUID_R3 = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")  # scripts/setup.sh installs it


def _violin(pattern: str, *, length: int = 1, gap: int = 0, tempo: float = 120.0) -> Score:
    """A violin part of one note per letter of ``pattern``: ``a`` bowed (arco), ``p`` pizzicato;
    each ``length`` beats long, ``gap`` beats of rest between them."""
    notes = tuple(Note((length + gap) * i, length, 67 + 2 * (i % 4), velocity=90 - i,
                       articulations=PIZZ if c == "p" else frozenset())
                  for i, c in enumerate(pattern))  # fmt: skip
    return Score(parts=(Part("vn", "Violin", "violin", notes=notes),), tempo_map=TempoMap((TempoMark(0, tempo),)))


def _sounding(part: Part) -> list[tuple[F, F, int, int, bool]]:
    return sorted((n.onset, n.duration, n.pitch, n.velocity, "pizzicato" in n.articulations) for n in part.notes)


def _program_changes(data: bytes, track: int = 1) -> list[tuple[int, int, int]]:
    """(tick, channel, program) of each program change of a track, read by mido."""
    now, out = 0, []
    for msg in mido.MidiFile(file=io.BytesIO(data)).tracks[track]:
        now += msg.time
        if msg.type == "program_change":
            out.append((now, msg.channel, msg.program))
    return out


def test_a_violin_mixing_bowed_and_pizzicato_runs_comes_back_as_one_part_with_the_same_marks():
    score = _violin("aappppaaapa")
    back = score_from_bytes(score_to_bytes(score))
    assert [(p.name, p.instrument) for p in back.parts] == [("Violin", "violin")]
    assert _sounding(back.parts[0]) == _sounding(score.parts[0])
    assert [i for i, n in enumerate(back.parts[0].notes) if n.articulations == PIZZ] == [2, 3, 4, 5, 9]


def test_mido_sees_a_switch_to_pizzicato_strings_before_each_run_and_back_before_each_bowed_note_after():
    data = score_to_bytes(_violin("aappppaaapa"))
    tpq = mido.MidiFile(file=io.BytesIO(data)).ticks_per_beat
    # the part's own program at the start, 45 before notes 2 and 9, 40 before notes 6 and 10
    assert _program_changes(data) == [(0, 0, 40), (2 * tpq, 0, 45), (6 * tpq, 0, 40), (9 * tpq, 0, 45),
                                      (10 * tpq, 0, 40)]  # fmt: skip
    # ... and each switch comes before the note-on at its tick (after the note-off of the note before)
    now, order = 0, []
    for msg in mido.MidiFile(file=io.BytesIO(data)).tracks[1]:
        now += msg.time
        if now == 2 * tpq and msg.type in ("program_change", "note_on", "note_off"):
            order.append("on" if msg.type == "note_on" and msg.velocity else msg.type)
    assert order == ["note_off", "program_change", "on"]


def test_pretty_midi_hears_the_pizzicato_notes_on_pizzicato_strings():
    import pretty_midi

    score = _violin("aappppaaapa")  # 120 bpm: a beat is half a second
    pm = pretty_midi.PrettyMIDI(io.BytesIO(score_to_bytes(score)))
    by_program = {inst.program: sorted(round(n.start, 6) for n in inst.notes) for inst in pm.instruments}
    assert by_program == {40: [0.0, 0.5, 3.0, 3.5, 4.0, 5.0], 45: [1.0, 1.5, 2.0, 2.5, 4.5]}
    assert pretty_midi.program_to_instrument_name(45) == "Pizzicato Strings"


def test_a_part_that_starts_pizzicato_and_a_chord_mixing_both_keep_their_marks():
    score = _violin("pppa")
    chord = (Note(4, 1, 62, velocity=70), Note(4, 1, 69, velocity=70, articulations=PIZZ),
             Note(5, 1, 64, velocity=70, articulations=PIZZ), Note(5, 1, 71, velocity=70))  # fmt: skip
    score = score.with_part_notes("vn", score.parts[0].notes + chord)
    data = score_to_bytes(score)
    tpq = mido.MidiFile(file=io.BytesIO(data)).ticks_per_beat
    # the channel starts on the violin, switches at once; at the chords the notes of the current
    # program sound first, then the switch, then the others
    assert _program_changes(data) == [(0, 0, 40), (0, 0, 45), (3 * tpq, 0, 40), (4 * tpq, 0, 45),
                                      (5 * tpq, 0, 40)]  # fmt: skip
    back = score_from_bytes(data)
    assert len(back.parts) == 1 and back.parts[0].instrument == "violin"
    assert _sounding(back.parts[0]) == _sounding(score.parts[0])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), st.sampled_from([F(1, 2), F(1), F(3, 2)]),
                          st.lists(st.tuples(st.integers(55, 90), st.booleans()), min_size=1, max_size=3,
                                   unique_by=lambda x: x[0])),
                min_size=1, max_size=12),
       st.sampled_from(["violin", "viola", "cello", "contrabass"]))  # fmt: skip
def test_any_bowed_part_keeps_which_notes_are_pizzicato(chords, instrument):
    notes, t = [], F(0)
    for rest, duration, pitches in chords:
        t += rest
        notes += [Note(t, duration, p, velocity=80, articulations=PIZZ if pizz else frozenset()) for p, pizz in pitches]
        t += duration
    score = Score(parts=(Part("p", instrument.title(), instrument, notes=tuple(notes)),))
    back = score_from_bytes(score_to_bytes(score))
    assert [p.instrument for p in back.parts] == [instrument]
    assert _sounding(back.parts[0]) == _sounding(score.parts[0])


def _file(*tracks: list[tuple[int, int | None, int]]) -> bytes:
    """A file from elsewhere: per track, (channel, program or None, key) of one-beat notes played
    one after another, each after its program change."""
    mid = mido.MidiFile(type=1, ticks_per_beat=480)
    for notes in tracks:
        track = mido.MidiTrack()
        for channel, program, key in notes:
            if program is not None:
                track.append(mido.Message("program_change", channel=channel, program=program))
            track += [mido.Message("note_on", channel=channel, note=key, velocity=80),
                      mido.Message("note_off", channel=channel, note=key, velocity=0, time=480)]  # fmt: skip
        mid.tracks.append(track)
    buf = io.BytesIO()
    mid.save(file=buf)
    return buf.getvalue()


def test_a_channel_of_pizzicato_strings_alone_joins_its_track_only_when_the_track_is_one_bowed_part():
    back = score_from_bytes(_file(
        [(0, 45, 67), (1, 40, 69)],  # 45 on a channel of its own beside the violin: MuseScore 3's layout
        [(2, 45, 71), (3, 40, 72), (4, 73, 74)],  # ... but the track also holds a flute: as before
        [(5, 45, 60)],  # 45 alone: as before
    ))  # fmt: skip
    # one part per program, as the reader always did; 45 is the catalog's violin (gm_fallback.toml)
    assert [(p.instrument, [(n.pitch, bool(n.articulations)) for n in p.notes]) for p in back.parts] == [
        ("violin", [(67, True), (69, False)]),
        ("violin", [(71, False)]), ("violin", [(72, False)]), ("flute", [(74, False)]),
        ("violin", [(60, False)]),
    ]  # fmt: skip


def test_musescore_3s_own_midi_export_of_pizz_and_arco_reads_as_one_violin_with_the_same_marks():
    # violin_pizz.mscx: MuseScore 3's file of _violin's notes with the staff texts "pizz." and
    # "arco" switching the violin's channels (MuseScore's instruments.xml gives a violin an "arco"
    # channel, program 40, and a "pizzicato" one, program 45); violin_pizz.mid: MuseScore 3.2.3's
    # MIDI export of it (`mscore3 violin_pizz.mscx -o violin_pizz.mid`), which plays the
    # pizzicato on a second MIDI channel of the violin's track
    data = (DATA / "musescore" / "violin_pizz.mid").read_bytes()
    assert {(c, p) for _, c, p in _program_changes(data)} == {(0, 40), (1, 45)}
    back = score_from_bytes(data)
    assert [(p.name, p.instrument) for p in back.parts] == [("Violin", "violin")]
    assert [(n.onset, n.pitch, "pizzicato" in n.articulations) for n in back.parts[0].notes] == [
        (i, 67 + i % 5, 4 <= i < 10) for i in range(14)]  # fmt: skip


@pytest.mark.musescore
def test_the_musescore_fixture_is_what_musescore_3_exports_and_reads_like_its_musicxml(tmp_path):
    from partita.symbolic.io.musescore import convert_with_mscore

    convert_with_mscore(DATA / "musescore" / "violin_pizz.mscx", tmp_path / "ms.mid")
    mine = score_from_bytes((tmp_path / "ms.mid").read_bytes())
    assert mine == score_from_bytes((DATA / "musescore" / "violin_pizz.mid").read_bytes())
    # MuseScore's MusicXML export of the same file keeps only the words pizz. / arco: the same marks
    via_xml = read(DATA / "musescore" / "violin_pizz.mscx")
    assert [(n.onset, n.pitch, n.articulations) for n in via_xml.parts[0].notes] == [
        (n.onset, n.pitch, n.articulations) for n in mine.parts[0].notes]  # fmt: skip


def test_a_channel_that_starts_on_pizzicato_strings_and_turns_to_the_cello_is_one_cello_part():
    back = score_from_bytes(_file([(3, 45, 48), (3, None, 50), (3, 42, 52), (3, 45, 53), (3, 42, 55)]))
    assert [p.instrument for p in back.parts] == ["cello"]
    assert [(n.pitch, "pizzicato" in n.articulations) for n in back.parts[0].notes] == [
        (48, True), (50, True), (52, False), (53, True), (55, False)]  # fmt: skip


def test_a_part_without_pizzicato_is_written_byte_for_byte_as_before():
    # tests/data/bwv66.6_strings.mid: the chorale given to a string quartet, written by the
    # writer before pizzicato (main at fc32abc) from exactly the score below
    chorale = read(Path(__file__).parents[1] / "partita" / "examples" / "bwv66.6.musicxml")
    strings = (("Violin I", "violin"), ("Violin II", "violin"), ("Viola", "viola"), ("Violoncello", "cello"))
    chorale = dataclasses.replace(chorale, parts=tuple(dataclasses.replace(p, name=n, instrument=i)
                                                       for p, (n, i) in zip(chorale.parts, strings)))  # fmt: skip
    assert score_to_bytes(chorale) == (DATA / "bwv66.6_strings.mid").read_bytes()
    # pizzicato marked on an instrument that is not bowed changes nothing either
    flute = Part("fl", "Flute", "flute", notes=(Note(0, 1, 72), Note(1, 1, 74, articulations=PIZZ)))
    plain = flute.with_notes(dataclasses.replace(n, articulations=frozenset()) for n in flute.notes)
    assert score_to_bytes(Score(parts=(flute,))) == score_to_bytes(Score(parts=(plain,)))


def test_fluidsynth_plucks_the_pizzicato_notes_of_the_written_file_and_bows_the_others(tmp_path):
    from partita.render.drum_samples import _fluidsynth

    sr = 48000
    # two-second notes a second apart at 60 bpm over the violin's range, every other one pizzicato
    notes = tuple(Note(3 * i, 2, pitch, velocity=90, articulations=PIZZ if i % 2 else frozenset())
                  for i, pitch in enumerate(range(55, 92, 3)))  # fmt: skip
    score = Score(parts=(Part("vn", "Violin", "violin", notes=notes),), tempo_map=TempoMap((TempoMark(0, 60.0),)))
    mid = mido.MidiFile(file=io.BytesIO(score_to_bytes(score)))
    audio = _fluidsynth(FLUID_R3, mid, tmp_path / "pizz", sr).mean(axis=1)  # reverb and chorus off
    for note in notes:
        drop = drop_within_db(audio, int(float(note.onset) * sr), sample_rate=sr, within_s=0.5)
        # FluidR3's Pizzicato Strings falls 25 to 43 dB within 0.5 s, its bowed strings a few dB
        # (benchmarks/results/midi_pizzicato.md)
        if "pizzicato" in note.articulations:
            assert drop > 20, (note.pitch, drop)  # plucked: dies away
        else:
            assert drop < 10, (note.pitch, drop)  # bowed: holds its level
