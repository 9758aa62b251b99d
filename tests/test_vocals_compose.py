"""Composing for lyrics: every word in order, stress on strong beats (by music21's beat
strength), lines as phrases, the voice's comfortable range; the main job with --lyrics."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest
import soundfile as sf

import praat_reference as pr
from partita.cli import main
from partita.instruments import catalog
from partita.symbolic.composer.lyrics import vocal_melody, with_voice
from partita.symbolic.composer.planner import plan
from partita.symbolic.underlay import text_syllables

TINY_CKPT = "tests/data/composer_tiny.safetensors"
WORDS = """Hold the light and carry me home
through the long and quiet night
every river finds the sea
and I will find my way to you
"""


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("prompt", ["a pop ballad for female vocals and piano", "a waltz in 3/4 for male voice"])
def test_the_melody_carries_every_syllable_in_order_in_range(prompt, seed):
    p = with_voice(plan(prompt, seed=seed))
    score, info = vocal_melody(p, WORDS, seed=seed)
    voice = score.parts[0]
    sung = [n.lyric for n in voice.notes if n.lyric]
    assert sung == [s.text for s in text_syllables(WORDS)]
    assert info["syllables"] == len(sung) and info["lines"] == 4
    lo, hi = catalog.get(voice.instrument).comfortable_range
    assert all(lo <= n.pitch <= hi for n in voice.notes)
    # notes without a syllable are melismas: slurred from the syllable before
    for a, b in zip(voice.notes, voice.notes[1:]):
        if b.lyric is None:
            assert a.slur == "start" and b.slur == "stop" and a.end == b.onset
    # lines are phrases: a rest between the last note of a line and the next line's first
    firsts = {}
    for n, s in zip([n for n in voice.notes if n.lyric], text_syllables(WORDS)):
        firsts.setdefault(s.line, n)
    for line in range(1, 4):
        first = firsts[line]
        before = max(n.end for n in voice.notes if n.onset < first.onset)
        assert first.onset - before >= 0.5


def test_stressed_syllables_fall_on_strong_beats_by_music21(tmp_path):
    from music21 import converter

    from partita.symbolic import io as sio

    stressed, unstressed = [], []
    for seed in range(3):
        p = with_voice(plan("a pop ballad for female vocals and piano", seed=seed))
        score, _ = vocal_melody(p, WORDS, seed=seed)
        path = tmp_path / f"m{seed}.musicxml"
        sio.write(score, path)
        notes = [n for n in converter.parse(str(path)).recurse().notes if n.lyrics]
        sylls = text_syllables(WORDS)
        assert len(notes) == len(sylls)
        for n, s in zip(notes, sylls):
            multi = s.text.startswith("-") or s.text.endswith("-")  # stress is lexical in polysyllables
            if multi:
                (stressed if s.stress == 1 else unstressed).append(n.beatStrength)
    assert np.mean(stressed) > np.mean(unstressed) + 0.2
    assert np.mean(np.array(stressed) >= 0.5) >= 0.8  # music21: 1 downbeat, 0.5 beat 3 of 4/4


def test_a_plan_without_voices_gets_one_and_a_planned_voice_takes_the_melody():
    p = with_voice(plan("a string quartet"))
    melody = [x for x in p.instrumentation if x.role == "melody"]
    assert len(melody) == 1 and catalog.get(melody[0].instrument).family == "voice"
    assert with_voice(plan("a song for male voice and guitar")).instrumentation[0].instrument == "tenor"
    again = with_voice(p)
    assert [x.instrument for x in again.instrumentation] == [x.instrument for x in p.instrumentation]


@pytest.mark.slow
def test_compose_with_lyrics_writes_renders_mixes_and_signs_a_sung_song(tmp_path, capsys):
    from partita.provenance import verify

    words = tmp_path / "words.txt"
    words.write_text("Hold the light\nand carry me home\n", encoding="utf-8")
    out = tmp_path / "song"
    rc = main(["compose", "a pop ballad for female vocals and piano", "--lyrics", str(words), "--weights", TINY_CKPT,
               "-o", str(out), "--sample-rate", "16000", "--key-dir", str(tmp_path / "k"), "--jobs", "1"])  # fmt: skip
    err = capsys.readouterr().err
    assert rc == 0, err
    assert "lyrics: 2 lines, 8 syllables" in err
    score = json.loads((out / "score.json").read_text())
    voice = next(p for p in score["parts"] if catalog.get(p["instrument"]).family == "voice")
    assert [n["lyric"] for n in voice["notes"] if n.get("lyric")] == [s.text for s in text_syllables(words.read_text())]
    render = json.loads((out / "render.json").read_text())
    stem = next(s for s in render["stems"] if s["part_id"] == voice["id"])
    audio, sr = sf.read(out / stem["file"], dtype="float32")
    # it sings: Praat finds the pitch of the first syllable's note
    first = voice["notes"][0]
    t0 = float(Fraction(str(first["onset"]))) * 60.0 / json.loads((out / "plan.json").read_text())["tempo_bpm"]
    cents = pr.pitch_cents(audio, sr, t0 + 0.05, t0 + 0.25, first["pitch"])
    assert abs(np.nanmedian(cents)) <= 25
    assert verify(out, key_dir=tmp_path / "k").ok
    record = json.loads((out / "provenance.json").read_text())["record"]
    assert record["compose"]["lyrics"]["syllables"] == 8


def test_compose_with_a_non_utf8_lyrics_file_fails_in_one_line(tmp_path, capsys):
    bad = tmp_path / "w.txt"
    bad.write_bytes(b"caf\xe9")
    rc = main(["compose", "a song", "--lyrics", str(bad), "--weights", TINY_CKPT, "-o", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert rc != 0 and "not UTF-8" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()
