"""Round trips through the real MuseScore 3 (``mscore3``, run headless)."""

from __future__ import annotations

import shutil
import zipfile
from fractions import Fraction as F
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partita.errors import ExternalToolError, FormatError, PartitaError
from partita.symbolic.dynamics import Dynamic, Hairpin
from partita.symbolic.io import musescore, read, write
from partita.symbolic.pitch import KeySignature
from partita.symbolic.score import ChordSymbol, Note, Part, Score
from partita.symbolic.timeline import TempoMap, TempoMark, TimeSignature

pytestmark = [pytest.mark.musescore, pytest.mark.slow]


def quartet() -> Score:
    """Four parts with everything MuseScore is asked to keep: ties, slurs, articulations,
    dynamics, hairpins, a tempo change, a meter change, a key change, a transposing part."""
    vn = (
        Note(0, 1, 76, slur="start", articulations={"accent"}, lyric="Ky"),
        Note(1, 1, 74, slur="continue", lyric="ri"),
        Note(2, 1, 72, slur="stop"),
        Note(3, 1, 71, articulations={"staccato"}),
        Note(4, 2, 72, tie="start"),
        Note(6, 1, 72, tie="stop"),
        Note(7, 1, 74, articulations={"tenuto"}),
        Note(8, 3, 79, articulations={"fermata"}),
    )
    cl = (  # clarinet in B-flat: sounding pitches, written a tone higher in the file
        Note(0, 2, 67),
        Note(2, 2, 65, articulations={"staccatissimo"}),
        Note(4, 4, 64),
        Note(8, F(3, 2), 62, articulations={"marcato"}),
        Note(F(19, 2), F(3, 2), 62),
    )
    va = tuple(Note(F(i), F(1), 60 + (i % 3)) for i in range(11))
    vc = (Note(0, 4, 48), Note(4, 4, 43), Note(8, 3, 50))
    return Score(
        title="MuseScore round trip",
        parts=(
            Part("vn", "Violin", "violin", vn, dynamics=(Dynamic(0, "p"), Dynamic(4, "f")),
                 hairpins=(Hairpin(0, 3, "crescendo"),)),  # fmt: skip
            Part("cl", "Clarinet in B♭", "clarinet", cl, dynamics=(Dynamic(0, "mf"),)),
            Part("va", "Viola", "viola", va),
            Part("vc", "Violoncello", "cello", vc, dynamics=(Dynamic(8, "ff"),)),
        ),
        tempo_map=TempoMap((TempoMark(0, 96), TempoMark(8, 72))),
        time_signatures=(TimeSignature(0, 4, 4), TimeSignature(8, 3, 4)),
        key_signatures=(KeySignature(0, 0), KeySignature(8, 2)),
        chords=(ChordSymbol(0, "C"), ChordSymbol(4, "Am7")),
    )


def sounding(score: Score):
    return [[(n.onset, n.duration, n.pitch, n.tie) for n in p.notes] for p in score.parts]


@pytest.fixture(scope="module")
def through_musescore(tmp_path_factory) -> tuple[Score, Score, Path]:
    tmp = tmp_path_factory.mktemp("mscore")
    score = quartet()
    write(score, tmp / "a.musicxml")
    mscx = tmp / "a.mscx"
    musescore.convert_with_mscore(tmp / "a.musicxml", mscx)
    back = tmp / "b.musicxml"
    musescore.convert_with_mscore(mscx, back)
    return score, read(back), mscx


def test_notes_and_ties_survive(through_musescore):
    score, back, _ = through_musescore
    assert sounding(back) == sounding(score)


def test_transposing_part_stays_at_sounding_pitch(through_musescore):
    score, back, mscx = through_musescore
    # MuseScore renames parts' ids (P1, P2, ...): parts are matched by position
    assert back.parts[1].instrument == "clarinet"
    assert [n.pitch for n in back.parts[1].notes] == [n.pitch for n in score.part("cl").notes]
    # MuseScore stores the clarinet with its transposition: written a major second up
    text = mscx.read_text()
    assert "<transposeChromatic>-2</transposeChromatic>" in text


def test_articulations_slurs_and_dynamics_survive(through_musescore):
    score, back, _ = through_musescore
    for want, got in zip(score.parts, back.parts):
        assert [n.articulations for n in got.notes] == [n.articulations for n in want.notes]
        assert [n.slur for n in got.notes] == [n.slur for n in want.notes]
        assert got.dynamics == want.dynamics
        assert [h.kind for h in got.hairpins] == [h.kind for h in want.hairpins]


def test_tempo_meter_keys_names_and_instruments_survive(through_musescore):
    score, back, _ = through_musescore
    assert [(m.onset, m.bpm) for m in back.tempo_map.marks] == [(m.onset, m.bpm) for m in score.tempo_map.marks]
    assert back.time_signatures == score.time_signatures
    assert [(k.onset, k.fifths) for k in back.key_signatures] == [(k.onset, k.fifths) for k in score.key_signatures]
    assert [p.name for p in back.parts] == [p.name for p in score.parts]
    assert [p.instrument for p in back.parts] == [p.instrument for p in score.parts]


def test_title_lyrics_and_chord_symbols_survive(through_musescore):
    score, back, _ = through_musescore
    assert back.title == score.title
    assert [n.lyric for n in back.parts[0].notes] == [n.lyric for n in score.parts[0].notes]
    assert back.chords == score.chords


def test_partita_reads_and_writes_mscz(tmp_path):
    score = quartet()
    path = write(score, tmp_path / "q.mscz")
    assert zipfile.is_zipfile(path)
    assert sounding(read(path)) == sounding(score)


def test_not_a_musescore_file_is_refused_before_musescore_runs(tmp_path):
    bad = tmp_path / "bad.mscx"
    bad.write_text("<html>not a score</html>")
    with pytest.raises(FormatError, match="bad.mscx") as info:
        read(bad)
    assert "not a MuseScore file" in str(info.value)
    zipped = tmp_path / "bad.mscz"
    zipped.write_bytes(b"PK\x03\x04 broken")
    with pytest.raises(FormatError, match="bad.mscz"):
        read(zipped)


def test_missing_musescore_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PARTITA_MSCORE", str(tmp_path / "no-such-mscore"))
    with pytest.raises(ExternalToolError, match="MuseScore 3 is not installed"):
        write(quartet(), tmp_path / "x.mscx")
    assert not (tmp_path / "x.mscx").exists()


def test_musescore_writing_an_empty_score_is_caught(tmp_path):
    # MuseScore says "success" and writes an empty score for input it cannot read
    src = tmp_path / "garbage.musicxml"
    src.write_text("this is not MusicXML")
    out = tmp_path / "garbage.mscx"
    musescore.convert_with_mscore(src, out)
    assert out.exists() and musescore.count_mscx_notes(out) == 0
    with pytest.raises(PartitaError):
        read(src)


def test_mscore_is_really_there():
    assert shutil.which("mscore3"), "setup installs Debian's musescore3"


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_mscx_gives_only_partita_errors(tmp_path, data):
    """Truncated or corrupted MuseScore files: nothing but a PartitaError escapes."""
    original = _small_mscx(tmp_path)
    blob = bytearray(original.read_bytes())
    cut = data.draw(st.integers(0, len(blob)), label="truncate at")
    blob = blob[:cut]
    for _ in range(data.draw(st.integers(0, 4), label="flips")):
        if blob:
            i = data.draw(st.integers(0, len(blob) - 1))
            blob[i] = data.draw(st.integers(0, 255))
    bad = tmp_path / "mutated.mscx"
    bad.write_bytes(bytes(blob))
    try:
        read(bad)
    except PartitaError as exc:
        assert "mutated.mscx" in str(exc)
    assert bad.read_bytes() == bytes(blob)


def _small_mscx(tmp_path: Path) -> Path:
    path = tmp_path / "small.mscx"
    if not path.exists():
        score = Score(parts=(Part("fl", "Flute", "flute", (Note(0, 1, 72), Note(1, 1, 74))),))
        write(score, path)
    return path
