"""Standard MIDI files: Score -> MIDI -> Score, an independent check with mido, bad input."""

from __future__ import annotations

import hashlib
import io
import warnings
from collections import Counter
from fractions import Fraction as F
from pathlib import Path

import mido
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from partita import instruments
from partita.errors import FormatError, InstrumentError, PartitaError
from partita.symbolic import io as score_io
from partita.symbolic.dynamics import DYNAMIC_MARKS, Dynamic
from partita.symbolic.io.midi import score_from_bytes, score_from_midifile, score_to_bytes
from partita.symbolic.io.midi import score_from_pretty_midi, score_to_pretty_midi
from partita.symbolic.pitch import KeySignature
from partita.symbolic.score import Note, Part, Score, Section
from partita.symbolic.timeline import TempoMap, TempoMark, TimeSignature
from tests.reference import sounding_notes
from tests.strategies import scores as shared_scores

# -- a strategy for scores whose MIDI image is unambiguous ------------------------------------------
#
# Two voices per part draw from disjoint registers, so no two notes of one pitch ever overlap in a
# part (MIDI cannot tell which note-off ends which of two sounding notes of one pitch). The strategy
# returns the score and, computed while drawing, the notes as they must sound: tied chains joined.

_DURATIONS = [F(1, 4), F(1, 3), F(1, 2), F(2, 3), F(1), F(3, 2), F(2), F(3)]
_NAMES = ["Violin I", "Violin II", "Viola", "Violoncello", "Flute", "Clarinet in B♭", "Melody",
          "Bass line", "Piano", "Horn in F", "Drums"]  # fmt: skip
_INSTRUMENTS = ["violin", "viola", "cello", "flute", "clarinet", "piano", "horn", "trumpet", "drum_kit"]


@st.composite
def _voice(draw, *, low: int, high: int, length: F, dynamics: tuple[Dynamic, ...], voice: int):
    """(notes, sounding) of one voice between onsets 0 and ``length``."""
    notes, sounding, t = [], [], F(0)
    probe = Part("x", "x", "piano", dynamics=dynamics)
    while True:
        d = draw(st.sampled_from(_DURATIONS))
        if t + d > length:
            break
        kind = draw(st.sampled_from(["note", "note", "chord", "rest", "tie"]))
        velocity = draw(st.none() | st.integers(1, 127))
        if kind == "rest":
            t += d
            continue
        if kind == "tie":
            d2 = draw(st.sampled_from(_DURATIONS))
            if t + d + d2 > length:
                break
            p = draw(st.integers(low, high))
            a = Note(t, d, p, velocity=velocity, tie="start", voice=voice)
            b = Note(t + d, d2, p, velocity=draw(st.none() | st.integers(1, 127)), tie="stop", voice=voice)
            notes += [a, b]
            sounding.append((t, d + d2, p, probe.velocity_of(a)))
            t += d + d2
            continue
        size = draw(st.integers(2, 3)) if kind == "chord" else 1
        pitches = draw(st.lists(st.integers(low, high), min_size=size, max_size=size, unique=True))
        for p in pitches:
            n = Note(t, d, p, velocity=velocity, voice=voice)
            notes.append(n)
            sounding.append((t, d, p, probe.velocity_of(n)))
        t += d
    return notes, sounding


@st.composite
def midi_scores(draw):
    """(score, {part id: Counter of sounding (onset, duration, pitch, velocity)})."""
    # meter: a few spans of bars; an optional pickup of whole sixteenths
    spans = draw(st.lists(st.tuples(st.sampled_from([(4, 4), (3, 4), (6, 8), (2, 2), (5, 8)]),
                                    st.integers(1, 3)), min_size=1, max_size=3))  # fmt: skip
    first = TimeSignature(0, *spans[0][0])
    pickup = draw(st.sampled_from([F(0), F(0), F(1), F(1, 2), F(3, 4)]))
    if pickup >= first.bar_length:
        pickup = F(0)
    tss, t = [], F(0)
    for i, ((num, den), n_bars) in enumerate(spans):
        ts = TimeSignature(t, num, den)
        tss.append(ts)
        t += (pickup if i == 0 else 0) + n_bars * ts.bar_length
    length = t
    n_parts = draw(st.integers(1, 4))
    parts, expected = [], {}
    for i in range(n_parts):
        inst = draw(st.sampled_from(_INSTRUMENTS))
        name = draw(st.sampled_from(_NAMES))
        dyn_onsets = draw(st.lists(st.integers(0, int(length) - 1), max_size=3, unique=True))
        dynamics = tuple(Dynamic(o, draw(st.sampled_from(sorted(DYNAMIC_MARKS)))) for o in dyn_onsets)
        n1, s1 = draw(_voice(low=60, high=84, length=length, dynamics=dynamics, voice=1))
        n2, s2 = ([], [])
        if draw(st.booleans()):
            n2, s2 = draw(_voice(low=36, high=59, length=length, dynamics=dynamics, voice=2))
        pid = f"part{i}"
        parts.append(Part(pid, name, inst, tuple(n1 + n2), dynamics=dynamics))
        expected[pid] = Counter(s1 + s2)
    assume(any(p.notes for p in parts))  # a MIDI file without notes is bad input
    q = st.integers(0, int(length * 4)).map(lambda x: F(x, 4))  # sixteenth-note positions
    tempo_onsets = sorted(set(draw(st.lists(q, max_size=3))) | {F(0)})
    tempos = tuple(TempoMark(o, draw(st.floats(5, 1000))) for o in tempo_onsets)
    key_onsets = sorted(set(draw(st.lists(q, max_size=2))))
    keys = tuple(KeySignature(o, draw(st.integers(-7, 7)), draw(st.sampled_from(["major", "minor", "dorian"])))
                 for o in key_onsets)  # fmt: skip
    sec_onsets = sorted(set(draw(st.lists(q, max_size=2))))
    sections = tuple(Section(o, draw(st.sampled_from(["A", "B", "Coda", "Verse 2"]))) for o in sec_onsets)
    score = Score(
        title=draw(st.sampled_from(["", "Sketch", "Étude nº 3"])),
        parts=tuple(parts),
        tempo_map=TempoMap(tempos),
        time_signatures=tuple(tss),
        key_signatures=keys,
        sections=sections,
        pickup=pickup,
    )
    return score, expected


def _expected_meters(score: Score) -> list[tuple[F, int, int]]:
    """Time signatures MIDI holds: a pickup becomes a short bar of its own (1/4, 1/8, 3/16 ...)."""
    tss = [(ts.onset, ts.numerator, ts.denominator) for ts in score.time_signatures]
    if score.pickup:
        first = score.time_signatures[0]
        for den in sorted({first.denominator, 4, 8, 16, 32, 64}):
            num = score.pickup * den / 4
            if num.denominator == 1:
                break
        tss = [(F(0), int(num), den), (score.pickup, first.numerator, first.denominator)] + [
            t for t in tss[1:] if t[0] != score.pickup
        ]
    return tss


# What a MIDI file holds, and so what a Score -> MIDI -> Score round trip must keep:
#   the title; per part, in order: its name, the multiset of sounding notes (onset, duration,
#   sounding pitch, velocity) with ties merged and velocities taken from dynamics where a note
#   has none, its GM program (and percussion), and its instrument when the catalog's lookup of
#   the part's name gives that instrument; tempo marks (onset exact, bpm to MIDI's whole
#   microseconds per quarter: round(6e7 / bpm) is kept, which is within 1e-5 relative at 1000 bpm);
#   time signatures (a pickup becomes a bar of its own meter); key signatures (onset, fifths,
#   major or minor: aeolian -> minor, other modes -> major); sections (onset, name).
# Not kept: spelling, articulations, slurs, lyrics, dynamic marks, hairpins, voices, expression
# overrides, chord symbols, tempo texts, metadata, part ids, the pickup itself.
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(midi_scores())
def test_score_midi_score_keeps_what_midi_holds(case):
    score, expected = case
    back = score_from_bytes(score_to_bytes(score))
    assert back.title == score.title
    assert len(back.parts) == len(score.parts)
    for orig, got in zip(score.parts, back.parts):
        assert got.name == orig.name
        got_notes = Counter((n.onset, n.duration, n.pitch, n.velocity) for n in got.notes)
        assert got_notes == expected[orig.id]
        a, b = instruments.get(orig.instrument), instruments.get(got.instrument)
        assert (b.gm_program, b.percussion) == (a.gm_program, a.percussion) or a.percussion
        assert b.percussion == a.percussion
        try:
            named = instruments.lookup(orig.name).id
        except InstrumentError:
            named = None
        if named == orig.instrument:
            assert got.instrument == orig.instrument
    assert [m.onset for m in back.tempo_map.marks] == [m.onset for m in score.tempo_map.marks]
    for m_orig, m_back in zip(score.tempo_map.marks, back.tempo_map.marks):
        assert round(6e7 / m_back.bpm) == round(6e7 / m_orig.bpm)
        assert m_back.bpm == pytest.approx(m_orig.bpm, rel=1e-5)
    assert [(t.onset, t.numerator, t.denominator) for t in back.time_signatures] == _expected_meters(score)
    minorish = {"minor": "minor", "aeolian": "minor"}
    assert [(k.onset, k.fifths, k.mode) for k in back.key_signatures] == [
        (k.onset, k.fifths, minorish.get(k.mode, "major")) for k in score.key_signatures
    ]
    assert [(s.onset, s.name) for s in back.sections] == [(s.onset, s.name) for s in score.sections]
    assert back.pickup == 0


def _same_pitch_overlap(counter: Counter) -> bool:
    notes = sorted(counter.elements(), key=lambda x: (x[2], x[0]))
    return any(a[2] == b[2] and b[0] < a[0] + a[1] for a, b in zip(notes, notes[1:]))


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(shared_scores(max_parts=3, notation=True, expression=True))
def test_shared_strategy_scores_keep_their_sounding_notes(score):
    # the same projection as above on the project-wide strategy (articulations, lyrics, hairpins,
    # spelling ... all present and all dropped); scores where two voices of a part sound one pitch
    # at once are left out: MIDI cannot say which note-off ends which note
    expected = [sounding_notes(p) for p in score.parts]
    assume(any(expected) and not any(_same_pitch_overlap(c) for c in expected))
    back = score_from_bytes(score_to_bytes(score))
    assert [p.name for p in back.parts] == [p.name for p in score.parts]
    for want, got in zip(expected, back.parts):
        assert Counter((n.onset, n.duration, n.pitch, n.velocity) for n in got.notes) == want
    assert [(t.onset, t.numerator, t.denominator) for t in back.time_signatures] == _expected_meters(score)
    assert [(s.onset, s.name) for s in back.sections] == [(s.onset, s.name) for s in score.sections]
    assert [round(6e7 / m.bpm) for m in back.tempo_map.marks] == [round(6e7 / m.bpm) for m in score.tempo_map.marks]


# -- an independent check: read the written file with mido and compare with ticks worked out by hand -


def test_written_file_matches_hand_computed_events(tmp_path):
    score = Score(
        title="Check",
        parts=(
            Part("vn", "Violin I", "violin", (
                Note(0, F(1, 3), 76, velocity=100),
                Note(F(1, 3), F(2, 3), 74, tie="start"),    # tied into the next: one MIDI note
                Note(1, 1, 74, tie="stop"),
                Note(2, 2, 72),
            ), dynamics=(Dynamic(0, "p"),)),
            Part("vc", "Violoncello", "cello", (Note(0, 4, 48, velocity=64),)),
            Part("kit", "Drums", "drum_kit", (Note(0, F(1, 2), 36, velocity=110),)),
        ),
        tempo_map=TempoMap((TempoMark(0, 100), TempoMark(2, 75))),
        time_signatures=(TimeSignature(0, 4, 4),),
        key_signatures=(KeySignature(0, -3, "minor"),),
        sections=(Section(0, "Intro"), Section(2, "A")),
    )  # fmt: skip
    path = score_io.write(score, tmp_path / "check.mid")
    mid = mido.MidiFile(path)
    assert mid.type == 1 and mid.ticks_per_beat == 480
    conductor = [(m.type, m) for m in mido.midifiles.tracks._to_abstime(mid.tracks[0])]
    tempos = [(m.time, m.tempo) for t, m in conductor if t == "set_tempo"]
    assert tempos == [(0, 600_000), (960, 800_000)]  # 60e6/100 and 60e6/75 microseconds
    assert [(m.time, m.key) for t, m in conductor if t == "key_signature"] == [(0, "Cm")]
    assert [(m.time, m.text) for t, m in conductor if t == "marker"] == [(0, "Intro"), (960, "A")]
    assert [m.name for t, m in conductor if t == "track_name"] == ["Check"]

    def events(track):
        out, now = [], 0
        for m in track:
            now += m.time
            if m.type == "note_on" and m.velocity > 0:
                out.append(("on", now, m.channel, m.note, m.velocity))
            elif m.type in ("note_on", "note_off"):
                out.append(("off", now, m.channel, m.note))
        return sorted(out, key=lambda e: (e[1], e[0], e[3]))

    names = [next(m.name for m in tr if m.type == "track_name") for tr in mid.tracks[1:]]
    assert names == ["Violin I", "Violoncello", "Drums"]
    programs = [[(m.channel, m.program) for m in tr if m.type == "program_change"] for tr in mid.tracks[1:]]
    assert programs == [[(0, 40)], [(1, 42)], [(9, 0)]]  # GM violin 41, cello 43 (from 1); drums ch 10
    assert events(mid.tracks[1]) == sorted([
        ("on", 0, 0, 76, 100), ("off", 160, 0, 76),
        ("on", 160, 0, 74, 49), ("off", 960, 0, 74),      # tie merged; velocity of "p" is 49
        ("on", 960, 0, 72, 49), ("off", 1920, 0, 72),
    ], key=lambda e: (e[1], e[0], e[3]))  # fmt: skip
    assert events(mid.tracks[2]) == [("on", 0, 1, 48, 64), ("off", 1920, 1, 48)]
    assert events(mid.tracks[3]) == [("on", 0, 9, 36, 110), ("off", 240, 9, 36)]


def test_many_parts_skip_the_drum_channel_then_share():
    parts = tuple(Part(f"p{i}", f"Flute {i}", "flute", (Note(0, 1, 72),)) for i in range(17))
    mid = mido.MidiFile(file=io.BytesIO(score_to_bytes(Score(parts=parts))))
    channels = [next(m.channel for m in tr if m.type == "note_on") for tr in mid.tracks[1:]]
    assert channels == [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15, 0, 1]


def test_resolution_grows_to_hold_septuplets():
    s = Score(parts=(Part("a", "Flute", "flute", (Note(F(1, 7), F(1, 7), 72),)),))
    mid = mido.MidiFile(file=io.BytesIO(score_to_bytes(s)))
    assert mid.ticks_per_beat == 3360  # lcm(480, 7)
    assert score_from_bytes(score_to_bytes(s)).parts[0].notes[0].onset == F(1, 7)


def test_pretty_midi_bridge_agrees_with_pretty_midi():
    score = Score(parts=(Part("a", "Oboe", "oboe", (Note(0, 1, 70, velocity=77), Note(1, F(1, 2), 72))),),
                  tempo_map=TempoMap((TempoMark(0, 60),)))  # fmt: skip
    pm = score_to_pretty_midi(score)
    (inst,) = pm.instruments
    assert inst.program == instruments.get("oboe").gm_program and inst.name == "Oboe"
    assert [(n.start, n.end, n.pitch, n.velocity) for n in inst.notes] == [(0.0, 1.0, 70, 77), (1.0, 1.5, 72, 80)]
    back = score_from_pretty_midi(pm)
    assert [(n.onset, n.duration, n.pitch) for n in back.parts[0].notes] == [(0, 1, 70), (1, F(1, 2), 72)]
    clarinet = Score(parts=(Part("a", "Clarinet in B♭", "clarinet", (Note(0, 1, 60),)),))
    pm = score_to_pretty_midi(clarinet)
    assert pm.instruments[0].name == "Clarinet in B♭"
    back = score_from_pretty_midi(pm)
    assert (back.parts[0].name, back.parts[0].instrument) == ("Clarinet in B♭", "clarinet")
    assert pm.instruments[0].name == "Clarinet in B♭"  # the caller's object is unchanged


# -- reading files nobody here wrote --------------------------------------------------------------

_M21_MIDI = sorted((Path(mido.__file__).parents[1] / "music21" / "midi" / "testPrimitive").glob("*.mid"))


@pytest.mark.parametrize("path", _M21_MIDI, ids=lambda p: p.name)
def test_music21_test_files_load_with_pretty_midis_note_count(path):
    import pretty_midi

    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            reference = pretty_midi.PrettyMIDI(str(path))
        except Exception:
            reference = None
        try:
            score = score_io.read(path)
        except FormatError as exc:
            assert str(path) in str(exc)
            score = None
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    if score is not None and reference is not None:
        ref_count = sum(1 for i in reference.instruments for n in i.notes if n.end > n.start)
        assert sum(len(p.notes) for p in score.parts) == ref_count


def test_track_with_two_programs_splits_and_names_fall_back():
    mid = mido.MidiFile(type=0, ticks_per_beat=96)
    mid.tracks.append(mido.MidiTrack([
        mido.Message("program_change", channel=0, program=73),
        mido.Message("program_change", channel=1, program=40),
        mido.Message("note_on", channel=0, note=72, velocity=50),
        mido.Message("note_on", channel=1, note=64, velocity=60),
        mido.Message("note_off", channel=0, note=72, time=96),
        mido.Message("note_off", channel=1, note=64, time=0),
        mido.Message("note_on", channel=0, note=74, velocity=50),
        mido.Message("note_on", channel=0, note=74, velocity=0, time=48),
    ]))  # fmt: skip
    buf = io.BytesIO()
    mid.save(file=buf)
    score = score_from_bytes(buf.getvalue())
    assert [(p.id, p.name, p.instrument) for p in score.parts] == [("p1", "Flute", "flute"), ("p2", "Violin", "violin")]
    assert [(n.onset, n.duration, n.pitch, n.velocity) for n in score.parts[0].notes] == [
        (0, 1, 72, 50), (1, F(1, 2), 74, 50)]  # fmt: skip


def test_overlapping_notes_are_dealt_into_voices():
    mid = mido.MidiFile(ticks_per_beat=4)
    mid.tracks.append(mido.MidiTrack([
        mido.MetaMessage("track_name", name="Piano"),
        mido.Message("note_on", note=60, velocity=70),
        mido.Message("note_on", note=64, velocity=70),
        mido.Message("note_on", note=67, velocity=70, time=2),   # starts while 60/64 sound
        mido.Message("note_off", note=60, time=2),
        mido.Message("note_off", note=64, time=0),
        mido.Message("note_off", note=67, time=2),
    ]))  # fmt: skip
    buf = io.BytesIO()
    mid.save(file=buf)
    (part,) = score_from_bytes(buf.getvalue()).parts
    assert part.instrument == "piano"
    assert sorted((n.onset, n.duration, n.pitch, n.voice) for n in part.notes) == [
        (0, 1, 60, 1), (0, 1, 64, 1), (F(1, 2), 1, 67, 2)]  # fmt: skip


def test_time_signature_off_the_bar_line_moves_to_the_next_one_with_a_warning():
    mid = mido.MidiFile(ticks_per_beat=1)
    mid.tracks.append(mido.MidiTrack([
        mido.MetaMessage("time_signature", numerator=4, denominator=4),
        mido.Message("note_on", note=60, velocity=70),
        mido.MetaMessage("time_signature", numerator=3, denominator=4, time=6),  # bar 2, beat 3
        mido.Message("note_off", note=60, time=10),
    ]))  # fmt: skip
    buf = io.BytesIO()
    mid.save(file=buf)
    with pytest.warns(UserWarning, match="odd.mid: bar 2: time signature 3/4 does not start on a bar line"):
        score = score_from_bytes(buf.getvalue(), name="odd.mid")
    assert [(t.onset, t.numerator) for t in score.time_signatures] == [(0, 4), (8, 3)]


# -- bad input ------------------------------------------------------------------------------------


def _bytes(*tracks, ticks_per_beat=480, type_=1) -> bytes:
    mid = mido.MidiFile(type=type_, ticks_per_beat=ticks_per_beat)
    for t in tracks:
        mid.tracks.append(mido.MidiTrack(t))
    buf = io.BytesIO()
    mid.save(file=buf)
    return buf.getvalue()


_NOTE = [mido.Message("note_on", note=60, velocity=64), mido.Message("note_off", note=60, time=480)]


def test_no_tracks():
    with pytest.raises(FormatError, match="empty.mid: the file has no tracks"):
        score_from_bytes(b"MThd\x00\x00\x00\x06\x00\x01\x00\x00\x01\xe0", name="empty.mid")


def test_only_meta_events():
    data = _bytes([mido.MetaMessage("track_name", name="x"), mido.MetaMessage("set_tempo", tempo=500000)])
    with pytest.raises(FormatError, match="meta.mid: the file has no notes"):
        score_from_bytes(data, name="meta.mid")


@pytest.mark.parametrize("tempo", [0, 1, 59_999, 12_000_001, 16_777_215])
def test_zero_or_absurd_tempo(tempo):
    data = _bytes([mido.MetaMessage("set_tempo", tempo=500000),
                   mido.MetaMessage("set_tempo", tempo=tempo, time=1920 * 2)], _NOTE)  # fmt: skip
    with pytest.raises(FormatError, match=r"t.mid, bar 3: .*tempo"):
        score_from_bytes(data, name="t.mid")


def test_impossible_time_signature():
    data = _bytes([mido.MetaMessage("time_signature", numerator=3, denominator=128)], _NOTE)
    with pytest.raises(FormatError, match="ts.mid, bar 1: time signature denominator 128"):
        score_from_bytes(data, name="ts.mid")


def test_pitch_outside_0_127():
    # a hand-made track whose note-on carries pitch 200 (a data byte with the high bit set)
    track = b"\x00\x90\xc8\x40\x83\x60\x80\xc8\x00\x00\xff\x2f\x00"
    data = b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x01\xe0" + b"MTrk" + len(track).to_bytes(4, "big") + track
    with pytest.raises(FormatError, match="pitch.mid: "):
        score_from_bytes(data, name="pitch.mid")


def test_truncated_file():
    data = score_to_bytes(Score(parts=(Part("a", "Flute", "flute", (Note(0, 1, 72), Note(1, 1, 74))),)))
    with pytest.raises(FormatError, match="cut.mid: not a readable MIDI file"):
        score_from_bytes(data[:-9], name="cut.mid")


def test_text_file_named_mid(tmp_path):
    path = tmp_path / "notes.mid"
    path.write_text("these are not MIDI bytes\n")
    with pytest.raises(FormatError, match=r"notes\.mid: not a Standard MIDI file"):
        score_io.read(path)
    assert path.read_text() == "these are not MIDI bytes\n"


def test_smpte_division_and_type_2():
    with pytest.raises(FormatError, match="division"):
        score_from_bytes(b"MThd\x00\x00\x00\x06\x00\x01\x00\x01\xe7\x28" + b"MTrk\x00\x00\x00\x04\x00\xff\x2f\x00")
    with pytest.raises(FormatError, match="type-2"):
        score_from_bytes(_bytes(_NOTE, type_=2))


_VALID = score_to_bytes(
    Score(
        title="Fuzz",
        parts=(Part("a", "Flute", "flute", (Note(0, 1, 72), Note(1, F(1, 3), 74, velocity=30))),
               Part("b", "Drums", "drum_kit", (Note(0, F(1, 2), 38),))),
        tempo_map=TempoMap((TempoMark(0, 90), TempoMark(1, 120))),
        time_signatures=(TimeSignature(0, 3, 4),),
        key_signatures=(KeySignature(0, 2),),
        sections=(Section(0, "A"),),
    )
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    cut=st.integers(0, len(_VALID)) | st.just(len(_VALID)),
    edits=st.lists(st.tuples(st.integers(0, len(_VALID) - 1), st.integers(0, 255)), max_size=6),
)
def test_mutated_and_truncated_bytes_raise_only_partita_errors(cut, edits):
    data = bytearray(_VALID)
    for i, b in edits:
        data[i] = b
    data = bytes(data[:cut])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            score = score_from_bytes(data, name="fuzz.mid")
    except PartitaError as exc:
        assert "fuzz.mid" in str(exc)
    else:
        assert isinstance(score, Score)


# -- the fast event reader against mido -----------------------------------------------------------


def _through_mido(data: bytes) -> str:
    """What reading ``data`` gives when mido parses it (the reader's path before midi_smf)."""

    def read():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                mid = mido.MidiFile(file=io.BytesIO(data))
        except Exception as exc:
            raise FormatError(f"not a readable MIDI file ({type(exc).__name__}: {exc})", file="x.mid") from None
        return score_from_midifile(mid, name="x.mid")

    return _outcome(read)


def _outcome(read) -> str:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = repr(read())
        except Exception as exc:  # mido's own errors, or partita's
            result = f"{type(exc).__name__}: {exc}"
    return result + "".join(f" | {w.message}" for w in caught)


@pytest.mark.parametrize("path", _M21_MIDI, ids=lambda p: p.name)
def test_the_event_reader_gives_mido_s_events(path):
    from partita.symbolic.io import midi_smf
    from partita.symbolic.io.midi import _mido_events

    data = path.read_bytes()
    try:
        mid = mido.MidiFile(file=io.BytesIO(data))
    except Exception:
        with pytest.raises(Exception):
            midi_smf.events(data)
        return
    kind, tpq, tracks = midi_smf.events(data)
    assert (kind, tpq) == (mid.type, mid.ticks_per_beat)
    assert _plain(tracks) == _plain([_mido_events(t) for t in mid.tracks])


def _plain(tracks):
    """Events with each meta message as its fields (mido's MetaMessage and the reader's own
    Meta compare by them)."""
    return [[(d, t, c, a.dict() if getattr(a, "is_meta", False) else a, b) for d, t, c, a, b in track]
            for track in tracks]  # fmt: skip


@pytest.mark.parametrize("meta_type", [0x03, 0x06, 0x2F, 0x51, 0x58, 0x59])
def test_the_reader_s_own_meta_events_are_mido_s(meta_type):
    """Every body of the meta events the reader decodes itself (a track name, a marker, the end
    of a track, a tempo, a meter, a key) gives mido's type and fields, or goes to mido."""
    from mido.midifiles.meta import build_meta_message, meta_charset

    from partita.symbolic.io.midi_smf import Meta, _meta

    bodies = [b"", b"\x00", b"Flute \xe9", b"\x07\xa1\x20", b"\xff\xff\xff\x01", b"\x06\x03\x18\x08"]
    bodies += [bytes((a, b)) for a in range(256) for b in range(4)]  # every key, modes 0 to 3
    bodies += [bytes((a, b, 24, 8)) for a in (0, 3, 255) for b in (0, 2, 9, 255)]
    own = 0
    for body in bodies:
        try:
            with meta_charset("latin1"):
                expected = build_meta_message(meta_type, list(body), 7).dict()
        except Exception as exc:
            expected = type(exc)
        try:
            msg = _meta(meta_type, body, 7)
            got = msg.dict()
            own += isinstance(msg, Meta)
        except Exception as exc:
            got = type(exc)
        assert got == expected, body
    assert own > 0  # the reader decoded some itself


def test_reading_a_plain_midi_file_does_not_import_mido(tmp_path):
    """mido (30 ms to import, a tenth of a render's start) is imported only for a file with an
    event the reader leaves to it."""
    import subprocess
    import sys

    path = tmp_path / "plain.mid"
    path.write_bytes(_VALID)
    code = "import sys; from partita.symbolic.io import midi; print(repr(midi.read(sys.argv[1])), 'mido' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True)
    assert out.stdout == f"{score_from_bytes(_VALID)!r} False\n"


@settings(max_examples=300, deadline=None)
@given(
    cut=st.integers(0, len(_VALID)) | st.just(len(_VALID)),
    edits=st.lists(st.tuples(st.integers(0, len(_VALID) - 1), st.integers(0, 255)), max_size=6),
)
def test_mutated_bytes_read_as_through_mido(cut, edits):
    """The fast event reader hands what it does not read as mido does to mido: every file,
    broken or not, reads to the same score (or the same error) and warnings as through mido."""
    data = bytearray(_VALID)
    for i, b in edits:
        data[i] = b
    data = bytes(data[:cut])
    if not data.startswith(b"MThd"):
        return
    assert _outcome(lambda: score_from_bytes(data, name="x.mid")) == _through_mido(data)
