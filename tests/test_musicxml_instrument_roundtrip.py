"""A part keeps its instrument through a MusicXML round trip, through MuseScore too, whatever its
part is called: the writer gives each part its MusicXML standard sound id, and the reader weighs
a name that means several instruments against the file's own GM program."""

from __future__ import annotations

import re
import shutil
import subprocess
from fractions import Fraction as F

import pytest

import partita
from partita.instruments import all_instruments, get
from partita.symbolic.score import Note, Part, Score
from partita.symbolic.timeline import TempoMap, TempoMark


def _score(parts: list[tuple[str, str]]) -> Score:
    out = []
    for k, (name, inst_id) in enumerate(parts):
        inst = get(inst_id)
        lo, hi = inst.comfortable_range
        out.append(Part(f"P{k}", name, inst_id, (Note(F(0), F(1), 36 if inst.percussion else (lo + hi) // 2),)))
    return Score(title="instruments", parts=tuple(out), tempo_map=TempoMap((TempoMark(0, 100),)))


# names people write that, alone, mean another instrument of the catalog
AMBIGUOUS = [("Bass", "electric_bass"), ("Bass", "bass"), ("Guitar 1", "electric_guitar"), ("Guitar", "nylon_guitar"),
             ("Bass", "acoustic_bass"), ("Piano", "electric_piano")]  # fmt: skip


def test_every_catalog_instrument_and_ambiguous_names_round_trip(tmp_path):
    parts = [(i.name, i.id) for i in all_instruments()] + AMBIGUOUS
    path = tmp_path / "all.musicxml"
    partita.save(_score(parts), path)
    got = [p.instrument for p in partita.load(path).parts]
    assert got == [i for _, i in parts], [(n, want, g) for (n, want), g in zip(parts, got) if want != g]
    text = path.read_text(encoding="utf-8")
    assert text.count("<instrument-sound>pluck.bass.electric</instrument-sound>") == 2  # its own and "Bass"


def test_a_file_without_sound_ids_is_read_by_its_program(tmp_path):
    # another program's file: no <instrument-sound>, the part called "Bass", GM program 34 (1-based)
    path = tmp_path / "plain.musicxml"
    partita.save(_score([("Bass", "electric_bass"), ("Bass", "bass")]), path)
    text = re.sub(r"<instrument-sound>[^<]*</instrument-sound>", "", path.read_text(encoding="utf-8"))
    text = text.replace("<instrument-name>Electric Bass</instrument-name>", "<instrument-name>Bass</instrument-name>")
    path.write_text(text, encoding="utf-8")
    assert [p.instrument for p in partita.load(path).parts] == ["electric_bass", "bass"]


@pytest.mark.skipif(shutil.which("mscore3") is None, reason="MuseScore 3 is installed by scripts/test.sh")
def test_musescore_keeps_the_instruments(tmp_path):
    # (MuseScore 3 itself re-exports the nylon guitar as its "Acoustic Guitar": both are GM 24)
    parts = [p for p in AMBIGUOUS if p[1] != "nylon_guitar"] + [("Drums", "drum_kit"), ("Vln.", "violin")]
    src, out = tmp_path / "in.musicxml", tmp_path / "out.musicxml"
    partita.save(_score(parts), src)
    subprocess.run(["mscore3", "-o", str(out), str(src)], check=True, capture_output=True, timeout=120,
                   env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})  # fmt: skip
    assert [p.instrument for p in partita.load(out).parts] == [i for _, i in parts]
