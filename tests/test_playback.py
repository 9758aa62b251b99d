"""Playback order, grace notes and ornaments against MuseScore 3's own playback.

The fixtures in tests/data/musescore/ are small scores opened and exported by the real MuseScore 3
(``make_fixtures.py`` there): ``<case>.musicxml`` is its MusicXML export, ``<case>.mid`` its
MIDI export, which is what MuseScore plays.
"""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from fractions import Fraction
from pathlib import Path

import mido
import pytest

from partita.cli import main
from partita.symbolic.io import musescore, read, write
from partita.symbolic.playback import performed, play_order, unroll
from partita.symbolic.report import DropLog, drop_lines

DATA = Path(__file__).parent / "data" / "musescore"
FORM_CASES = ["repeat_volta", "ds_al_coda", "dc_al_fine"]
needs_mscore = pytest.mark.skipif(shutil.which("mscore3") is None, reason="setup installs Debian's musescore3")


def midi_notes(path: Path) -> tuple[list[tuple[Fraction, int]], float]:
    """(onset in quarters, pitch) of every note MuseScore played, and the time of its last note-off."""
    mf = mido.MidiFile(str(path))
    ticks, seconds, last_off, out = 0, 0.0, 0.0, []
    for msg in mido.merge_tracks(mf.tracks):
        ticks += msg.time
        seconds += mido.tick2second(msg.time, mf.ticks_per_beat, 500000)  # the fixtures play at 120
        if msg.type == "note_on" and msg.velocity > 0:
            out.append((Fraction(ticks, mf.ticks_per_beat), msg.note))
        elif msg.type in ("note_off", "note_on"):
            last_off = seconds
    return sorted(out), last_off


def played_notes(score) -> list[tuple[Fraction, int]]:
    return sorted((n.onset, n.pitch) for p in score.parts for n in p.notes)


@pytest.mark.parametrize("case", FORM_CASES)
def test_form_is_played_as_musescore_plays_it(case):
    score = read(DATA / f"{case}.musicxml")
    expected, seconds = midi_notes(DATA / f"{case}.mid")
    played = unroll(score)
    assert played_notes(played) == expected
    assert played.duration_seconds == pytest.approx(seconds, rel=0.01)
    # the Score keeps the written form: each bar once
    assert score.n_bars == 5 if case != "dc_al_fine" else score.n_bars == 3
    assert len(play_order(score)) == len(expected)


@needs_mscore
@pytest.mark.parametrize("case", FORM_CASES)
def test_writing_back_keeps_the_repeat_signs_musescore_plays(case, tmp_path):
    score = read(DATA / f"{case}.musicxml")
    write(score, tmp_path / "back.musicxml")
    assert read(tmp_path / "back.musicxml").form == score.form
    musescore.convert_with_mscore(tmp_path / "back.musicxml", tmp_path / "back.mid")
    assert midi_notes(tmp_path / "back.mid")[0] == midi_notes(DATA / f"{case}.mid")[0]


def test_trailing_rests_are_bars_of_the_score():
    score = read(DATA / "trailing_rests.musicxml")
    assert score.n_bars == 3 and score.end == 12
    assert sum(len(p.notes) for p in score.parts) == 1


def test_info_shows_written_and_played_length_and_no_repeats(capsys):
    assert main(["info", str(DATA / "ds_al_coda.musicxml"), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert (info["n_bars"], info["played"]["n_bars"]) == (5, 7)
    assert info["played"]["bars"] == [1, 2, 3, 4, 2, 3, 5]
    assert info["played"]["duration_seconds"] == pytest.approx(14.0)
    assert main(["info", str(DATA / "ds_al_coda.musicxml"), "--json", "--no-repeats"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["played"]["n_bars"] == 5
    assert main(["info", str(DATA / "ds_al_coda.musicxml")]) == 0
    text = capsys.readouterr().out
    assert "played:  7 bars" in text and "written: 5 bars" in text


def test_render_plays_the_form_and_no_repeats_plays_as_written(tmp_path):
    src = DATA / "dc_al_fine.musicxml"
    assert main(["render", str(src), "-o", str(tmp_path / "a"), "--sample-rate", "8000", "--quiet"]) == 0
    assert main(["render", str(src), "-o", str(tmp_path / "b"), "--sample-rate", "8000", "--quiet", "--no-repeats"]) == 0
    a = json.loads((tmp_path / "a" / "render.json").read_text())
    b = json.loads((tmp_path / "b" / "render.json").read_text())
    # 5 bars played (10 s) against 3 written (6 s), plus the same tail
    assert a["duration_s"] - b["duration_s"] == pytest.approx(4.0, abs=0.01)


def test_grace_notes_are_kept_and_played_as_musescore_counts_them():
    score = read(DATA / "grace_notes.musicxml")
    graces = score.parts[0].graces
    assert [(g.pitch, g.slash) for g in graces] == [(74, True), (77, False), (81, False), (83, False)]
    expected, seconds = midi_notes(DATA / "grace_notes.mid")
    played = performed(score)
    assert Counter(p for _, p in played_notes(played)) == Counter(p for _, p in expected)
    # appoggiaturas play on the beat and share half the principal note, as MuseScore plays them
    appoggiaturas = [x for x in played_notes(played) if x[1] in (77, 76, 81, 83, 79)]
    assert appoggiaturas == [x for x in expected if x[1] in (77, 76, 81, 83, 79)]
    assert played.duration_seconds == pytest.approx(seconds, rel=0.01)


def test_ornaments_are_kept_and_played_note_for_note_as_musescore_does():
    score = read(DATA / "ornaments.musicxml")
    kinds = [o.kind for o in score.parts[0].ornaments]
    assert kinds == ["trill", "mordent", "inverted-mordent", "turn", "tremolo", "arpeggio", "glissando",
                     "pedal", "breath", "caesura"]  # fmt: skip
    expected, seconds = midi_notes(DATA / "ornaments.mid")
    played = played_notes(performed(score))
    assert len(played) == len(expected)
    assert Counter(p for _, p in played) == Counter(p for _, p in expected)
    close = sum(any(q == p and abs(t - s) <= Fraction(1, 8) for s, q in expected) for t, p in played)
    assert close / len(played) >= 0.9


@needs_mscore
@pytest.mark.parametrize("case", ["grace_notes", "ornaments"])
def test_grace_notes_and_ornaments_survive_a_round_trip_through_musescore(case, tmp_path):
    score = read(DATA / f"{case}.musicxml")
    write(score, tmp_path / "out.musicxml")
    musescore.convert_with_mscore(tmp_path / "out.musicxml", tmp_path / "ms.musicxml")
    back = read(tmp_path / "ms.musicxml")
    assert back.parts[0].graces == score.parts[0].graces
    assert [o.kind for o in back.parts[0].ornaments] == [o.kind for o in score.parts[0].ornaments]
    assert [(n.onset, n.pitch) for n in back.parts[0].notes] == [(n.onset, n.pitch) for n in score.parts[0].notes]


def test_tempo_words_are_kept_written_back_and_bend_the_tempo(tmp_path):
    text = (DATA / "dc_al_fine.musicxml").read_text()
    rit = '<direction placement="above"><direction-type><words>rit.</words></direction-type></direction>'
    head = re.search(r'<measure number="3"[^>]*>', text).group(0)  # rit. at the start of bar 3
    src = tmp_path / "rit.musicxml"
    src.write_text(text.replace(head, head + rit))
    score = read(src)
    assert [(m.kind, m.text, m.onset) for m in score.playing] == [("ritardando", "rit.", 8)]
    write(score, tmp_path / "back.musicxml")
    assert read(tmp_path / "back.musicxml").playing == score.playing
    # bar 3 slows beat by beat to 3/4 of the tempo; the D.C. goes back to bar 1's metronome mark
    plain, bent = performed(score, words=False), performed(score)
    assert plain.duration_seconds == pytest.approx(10.0)
    bar3 = [bent.tempo_map.bpm_at(Fraction(8 + i)) for i in range(4)]
    assert bar3 == sorted(bar3, reverse=True) and bar3[-1] == 90 and bent.tempo_map.bpm_at(Fraction(12)) == 120
    assert bent.duration_seconds == pytest.approx(10.0 + sum(60 / b - 0.5 for b in bar3))


def test_swing_text_swings_the_off_beat_eighths(tmp_path):
    from partita.symbolic.form import PlayMark
    from partita.symbolic.score import Note, Part, Score

    notes = tuple(Note(Fraction(i, 2), Fraction(1, 2), 60 + i) for i in range(8))
    score = Score(parts=(Part("sx", "Sax", "alto_sax", notes=notes),), playing=(PlayMark(0, "swing", text="Swing"),))
    write(score, tmp_path / "swing.musicxml")
    back = read(tmp_path / "swing.musicxml")
    assert [(m.kind, m.ratio) for m in back.playing] == [("swing", pytest.approx(2 / 3, abs=1e-3))]
    onsets = [n.onset for n in performed(back).parts[0].notes]
    assert onsets[:4] == [0, Fraction(2, 3), 1, Fraction(5, 3)]


def test_what_is_not_kept_is_reported_once_by_kind_and_bar(tmp_path, capsys):
    text = (DATA / "ornaments.musicxml").read_text()
    # a schleifer and an up-bow, which the Score has no place for, on the first note of bar 4
    marked = text.replace("<articulations>", "<technical><up-bow/></technical><articulations>", 1)
    marked = marked.replace("<mordent", "<schleifer/><mordent", 1)
    src = tmp_path / "marked.musicxml"
    src.write_text(marked)
    score = read(src)
    assert {(d.kind, d.bar) for d in score.dropped} == {("articulation UpBow", 4), ("ornament Schleifer", 1)}
    assert main(["convert", str(src), str(tmp_path / "out.mid"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)["dropped"]
    assert {(r["kind"], tuple(r["bars"]), r["count"]) for r in report} == {
        ("articulation UpBow", (4,), 1), ("ornament Schleifer", (1,), 1)}  # fmt: skip
    assert main(["info", str(src)]) == 0
    out = capsys.readouterr().out
    assert "ornament Schleifer in part 'Piano': bar 1" in out and "articulation UpBow in part 'Piano': bar 4" in out


def test_drop_log_merges_each_kind_part_and_bar_once():
    log = DropLog()
    for bar in (3, 3, 1):
        log.add("grace note", bar=bar, part="Flute")
    assert [(d.bar, d.count) for d in log.entries()] == [(1, 1), (3, 2)]
    assert drop_lines(log.entries()) == ["grace note (3) in part 'Flute': bars 1, 3"]


@needs_mscore
def test_check_follows_the_repeat_and_reports_where_written(tmp_path, capsys):
    from partita.symbolic.form import FormMark
    from partita.symbolic.pitch import KeySignature
    from partita.symbolic.score import Note, Part, Score

    # G/C, A/F, then A/D; repeated, D/A goes back to C/G: parallel fifths only as played
    up = Part("s", "Soprano", "soprano", notes=(Note(0, 2, 67), Note(2, 2, 69), Note(4, 4, 69)))
    low = Part("b", "Bass", "bass", notes=(Note(0, 2, 48), Note(2, 2, 53), Note(4, 4, 50)))
    score = Score(parts=(up, low), key_signatures=(KeySignature(0, 0),), form=(FormMark(8, "repeat-end"),))
    write(score, tmp_path / "a.musicxml")
    musescore.convert_with_mscore(tmp_path / "a.musicxml", tmp_path / "ms.musicxml")
    main(["check", str(tmp_path / "ms.musicxml"), "--json", "--enable", "parallel-fifths"])
    found = [v for v in json.loads(capsys.readouterr().out)["violations"] if v["rule"] == "parallel-fifths"]
    assert [(v["bar"], v["message"].split(", ", 1)[1]) for v in found] == [(2, "bar 2 beat 1 → bar 1 beat 1")]
    main(["check", str(tmp_path / "ms.musicxml"), "--json", "--enable", "parallel-fifths", "--no-repeats"])
    assert not [v for v in json.loads(capsys.readouterr().out)["violations"] if v["rule"] == "parallel-fifths"]


@needs_mscore
def test_mscz_keeps_the_written_form(tmp_path):
    score = read(DATA / "ds_al_coda.musicxml")
    write(score, tmp_path / "ds.mscz")
    back = read(tmp_path / "ds.mscz")
    assert back.form == score.form
    assert [b.number for b in play_order(back)] == [1, 2, 3, 4, 2, 3, 5]


@needs_mscore
def test_mid_bar_marks_and_a_fractional_tempo_survive_musescore(tmp_path):
    from partita.symbolic.dynamics import Dynamic
    from partita.symbolic.score import Note, Part, Score
    from partita.symbolic.timeline import TempoMap, TempoMark

    notes = (Note(0, 4, 60), Note(4, 2, 62), Note(6, 2, 64))
    # marks inside notes, on the quarter grid that MuseScore's export keeps
    dynamics = (Dynamic(0, "p"), Dynamic(5, "f"), Dynamic(7, "mp"))
    tempo = TempoMap((TempoMark(0, 120), TempoMark(3, 70.9998, "Slower"), TempoMark(5, 90)))
    score = Score(parts=(Part("fl", "Flute", "flute", notes=notes, dynamics=dynamics),), tempo_map=tempo)
    write(score, tmp_path / "marks.musicxml")
    assert "<offset" not in (tmp_path / "marks.musicxml").read_text()
    musescore.convert_with_mscore(tmp_path / "marks.musicxml", tmp_path / "ms.musicxml")
    musescore.convert_with_mscore(tmp_path / "marks.musicxml", tmp_path / "ms.mid")
    back = read(tmp_path / "ms.musicxml")
    assert back.parts[0].dynamics == dynamics
    assert back.tempo_map == tempo
    played = [round(mido.tempo2bpm(m.tempo), 3) for m in mido.merge_tracks(mido.MidiFile(str(tmp_path / "ms.mid")).tracks)
              if m.type == "set_tempo"]  # fmt: skip
    assert played == [120.0, 71.0, 90.0]


def test_a_trill_on_a_timpani_is_a_roll_on_its_pitch():
    """A timpanist reads "tr" as a roll: single strokes on the written pitch in the trill's
    thirty-seconds (MuseScore 3 plays the note above, which a drum tuned to one pitch cannot);
    any other instrument's trill still alternates with its upper note."""
    from partita.symbolic.ornaments import Ornament
    from partita.symbolic.realize import realize
    from partita.symbolic.score import Note, Part, Score

    def played(instrument: str, pitch: int) -> list[tuple[Fraction, int]]:
        part = Part("p", "P", instrument, notes=(Note(0, 2, pitch, velocity=90), Note(2, 1, pitch - 5)),
                    ornaments=(Ornament("trill", 0),))  # fmt: skip
        return [(n.onset, n.pitch) for n in realize(Score(parts=(part,))).parts[0].notes]

    roll = played("timpani", 45)
    assert roll[:-1] == [(Fraction(k, 8), 45) for k in range(16)] and roll[-1] == (2, 40)
    trill = played("marimba", 69)
    assert [p for _, p in trill[:4]] == [69, 71, 69, 71] and len(trill) == 17
