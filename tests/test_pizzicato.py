"""Pizzicato: read and written in MusicXML (the note attribute and the words pizz. / arco, which
MuseScore 3 keeps), and rendered by a plucked string model fitted to MuseScore_General's
pizzicato while the rest of the part is bowed, in the part's one stem."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from partita.symbolic.io import read, write
from partita.symbolic.score import Note, Part, Score
from partita.symbolic.timeline import TempoMap, TempoMark

PIZZ = frozenset({"pizzicato"})
MSG = Path("/usr/share/sounds/sf3/MuseScore_General.sf3")  # scripts/setup.sh installs it (the drum kit's source)


def _score(instrument: str = "violin", low: int = 67) -> Score:
    notes = tuple(Note(i, 1, low + (i % 5), articulations=PIZZ if 4 <= i < 10 else frozenset()) for i in range(14))
    return Score(parts=(Part("vn", instrument.title(), instrument, notes=notes),))


def _pizz_indexes(score: Score) -> list[int]:
    return [i for i, n in enumerate(score.parts[0].notes) if "pizzicato" in n.articulations]


def test_pizzicato_is_written_as_the_note_attribute_and_the_words_a_player_reads(tmp_path):
    write(_score(), tmp_path / "p.musicxml")
    text = (tmp_path / "p.musicxml").read_text()
    assert text.count('pizzicato="yes"') == 6
    assert re.findall(r"<words[^>]*>([^<]*)</words>", text) == ["pizz.", "arco"]
    assert _pizz_indexes(read(tmp_path / "p.musicxml")) == [4, 5, 6, 7, 8, 9]


@pytest.mark.musescore
def test_pizzicato_survives_musescore_3_which_keeps_only_the_words(tmp_path):
    from partita.symbolic.io.musescore import convert_with_mscore

    write(_score(), tmp_path / "p.musicxml")
    convert_with_mscore(tmp_path / "p.musicxml", tmp_path / "ms.musicxml")
    text = (tmp_path / "ms.musicxml").read_text()
    assert 'pizzicato="yes"' not in text  # MuseScore drops the attribute ...
    assert re.findall(r"<words[^>]*>([^<]*)</words>", text) == ["pizz.", "arco"]  # ... and keeps the words
    assert _pizz_indexes(read(tmp_path / "ms.musicxml")) == [4, 5, 6, 7, 8, 9]


def test_words_alone_switch_pizzicato_and_are_not_taken_for_a_tempo_text(tmp_path):
    score = Score(parts=_score().parts, tempo_map=TempoMap((TempoMark(0, 100.0, None), TempoMark(4, 80.0, None))))
    write(score, tmp_path / "p.musicxml")
    # a file from elsewhere: the words only, in other spellings, and no attribute on the notes
    text = (tmp_path / "p.musicxml").read_text().replace(' pizzicato="yes"', "")
    text = text.replace(">pizz.<", ">Pizzicato<").replace(">arco<", ">col arco<")
    (tmp_path / "words.musicxml").write_text(text)
    back = read(tmp_path / "words.musicxml")
    assert _pizz_indexes(back) == [4, 5, 6, 7, 8, 9]
    assert [m.text for m in back.tempo_map.marks] == [None, None]  # "Pizzicato" at beat 4 is not the tempo's word


def test_a_bowed_part_plays_its_pizzicato_notes_with_the_plucked_model_in_one_stem():
    from partita.render.neural_infer import shipped_decoder
    from partita.render.settings import RenderSettings
    from partita.render.stems import _decoder_for, render_part
    from partita.render.techniques import TechniqueDecoder, split_by_technique

    score = _score()
    part = score.parts[0]
    dec = _decoder_for(part, None)
    assert isinstance(dec, TechniqueDecoder)
    pizz_model = dict(dec.by_technique)["pizzicato"]
    assert pizz_model.fingerprint() == shipped_decoder("violin_pizzicato").fingerprint()
    settings = RenderSettings(sample_rate=24000)
    audio = render_part(part, score, settings)
    # the stem is the bowed notes' render plus the plucked notes' render, sample for sample
    pieces = split_by_technique(part, dec)
    assert [(len(sub.notes), style) for sub, _, style in pieces] == [(8, None), (6, None)]
    bowed = render_part(pieces[0][0], score, settings, decoder=dec.main)
    plucked = render_part(pieces[1][0], score, settings, decoder=pizz_model)
    total = np.zeros(max(bowed.shape[1], plucked.shape[1]), np.float32)
    total[: bowed.shape[1]] += bowed[0]
    total[: plucked.shape[1]] += plucked[0]
    # (to float32 rounding: the part adds its plucked phrases into its one buffer one by one)
    assert audio.shape[1] == total.size and np.max(np.abs(audio[0] - total)) < 1e-6
    # musically: a pizzicato note dies away within its beat, a bowed note holds its level
    sr = settings.sample_rate

    def level_db(t0: float, t1: float) -> float:
        x = audio[0, int(t0 * sr) : int(t1 * sr)]
        return 10 * np.log10(np.mean(x.astype(np.float64) ** 2) + 1e-20)

    beat = 0.5  # 120 bpm
    for i in (5, 6, 7):  # pizzicato
        assert level_db(i * beat + 0.30, i * beat + 0.40) < level_db(i * beat + 0.02, i * beat + 0.10) - 15
    for i in (1, 2, 11):  # bowed
        assert abs(level_db(i * beat + 0.30, i * beat + 0.40) - level_db(i * beat + 0.10, i * beat + 0.18)) < 3


@pytest.mark.parametrize("index, pitch", [(6, 60), (2, 62)])  # a pizzicato note; a bowed note
def test_an_edit_renders_again_only_the_phrases_it_touches_bowed_or_plucked(tmp_path, monkeypatch, index, pitch):
    from partita.render import stems

    score = _score()
    notes = list(score.parts[0].notes)
    notes[index] = dataclasses.replace(notes[index], pitch=pitch)
    edited = dataclasses.replace(score, parts=(dataclasses.replace(score.parts[0], notes=tuple(notes)),))
    before = stems.render(score, tmp_path / "inc", sample_rate=24000, progress=False)
    old = sf.read(tmp_path / "inc" / before.stems[0].file, dtype="float32")[0]
    made = []  # the phrases each render synthesizes (counted on the way through)
    from partita.render import part_audio

    phrase_audio = part_audio._phrase_audio
    monkeypatch.setattr(part_audio, "_phrase_audio", lambda dec, curves, sr: made.append(dec.decoder_id) or phrase_audio(dec, curves, sr))
    incremental = stems.render(edited, tmp_path / "inc", sample_rate=24000, progress=False)
    n_incremental, made[:] = list(made), []
    scratch = stems.render(edited, tmp_path / "new", sample_rate=24000, progress=False)
    assert len(made) == 14  # every note is a phrase: 8 bowed, 6 plucked
    # the edited note's phrase and those its sound overlaps: a plucked note rings on after its
    # note-off as MuseScore_General's does (to -60 dB some 0.8 s after the pluck; the models fitted
    # before session 21 cut it at the note-off), so up to two plucked phrases either side of it
    assert 1 <= len(n_incremental) <= 5
    plucked = "strings:violin"  # the plucked model (the bowed notes: neural:violin)
    assert (plucked in n_incremental) == (index == 6)
    # and the kept phrases give the render from scratch bit for bit
    assert incremental.stems[0].sha256 == scratch.stems[0].sha256 != before.stems[0].sha256
    new = sf.read(tmp_path / "inc" / incremental.stems[0].file, dtype="float32")[0]
    diff = np.flatnonzero(old != new)
    beat = int(0.5 * 24000)  # 120 bpm
    assert diff.min() >= (index - 1) * beat and diff.max() < (index + 3) * beat


def test_pizzicato_on_a_wind_instrument_is_not_plucked_and_the_designed_fallback_plucks(monkeypatch):
    from partita.render.stems import _decoder_for
    from partita.render.techniques import TechniqueDecoder, technique_decoder
    from partita.render.timbres import TIMBRES

    assert not isinstance(_decoder_for(_score("flute", 72).parts[0], None), TechniqueDecoder)
    monkeypatch.setenv("PARTITA_NO_NEURAL", "1")
    assert technique_decoder("cello", "pizzicato") is TIMBRES["plucked"]


def test_the_stem_cache_keys_on_the_pizzicato_model_too():
    from partita.render.settings import RenderSettings
    from partita.render.stem_cache import part_cache_key
    from partita.render.stems import _decoder_for
    from partita.render.techniques import TechniqueDecoder, technique_decoder

    score = _score()
    part = score.parts[0]
    dec = _decoder_for(part, None)
    other = TechniqueDecoder(dec.main, (("pizzicato", technique_decoder("cello", "pizzicato")),))
    s = RenderSettings()
    assert part_cache_key(part, score, s, dec) != part_cache_key(part, score, s, other)


def test_train_instrument_reads_another_bank_and_says_what_a_bank_lacks(tmp_path):
    from partita.render.dataset import DataError, open_soundfont
    from partita.render.training_io import preset_name

    assert preset_name(MSG, 45, 40) == "Celli Pizzicato"
    with pytest.raises(DataError, match=r"no preset for program 45 in bank 41; the soundfont has 3 program\(s\) in bank 41: 44 \(Celli Trem Expr\.\), 48 \(Celli Fast Expr\.\)"):
        open_soundfont(MSG, 45, 41)
    from partita.cli import main

    before = MSG.stat().st_mtime
    assert main(["train-instrument", str(tmp_path), "--name", "viola", "--technique", "pizzicato", "--out", str(tmp_path / "w"), "--quiet"]) != 0
    assert not (tmp_path / "w").exists() and MSG.stat().st_mtime == before
