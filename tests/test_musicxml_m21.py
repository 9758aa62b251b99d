"""The linear-time music21 import (symbolic/io/musicxml_m21.py) makes the same music21 score as
music21's own ``converter.parse``: every element of every part, at the same offset, with the
same duration and pitches, and the same movement name."""

from __future__ import annotations

import glob
import warnings
import zipfile
from pathlib import Path

import pytest

from partita.symbolic.io import musicxml_m21

DATA = Path(__file__).resolve().parent / "data"


def _elements(score):
    rows = []
    for part in score.parts:
        for el in part.recurse():
            d = getattr(el, "duration", None)
            pitches = tuple(p.nameWithOctave for p in getattr(el, "pitches", ()))
            rows.append((type(el).__name__, float(el.getOffsetInHierarchy(part)),
                         None if d is None else float(d.quarterLength), pitches))  # fmt: skip
    return rows


def _files():
    from music21 import corpus

    found = [str(corpus.getWork("bwv66.6")), str(corpus.getWork("haydn/opus74no1/movement3"))]
    found += sorted(glob.glob(str(DATA / "musescore" / "*.musicxml")))[:6]
    return found


@pytest.mark.parametrize("path", _files(), ids=lambda p: Path(p).name)
def test_same_score_as_music21s_own_parser(path):
    from music21 import converter

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = musicxml_m21.parse(path)
        theirs = converter.parse(path, format="musicxml", forceSource=True)
    assert len(ours.parts) == len(theirs.parts) > 0
    assert _elements(ours) == _elements(theirs)
    assert ours.metadata.movementName == theirs.metadata.movementName


def test_compressed_file_reads_like_the_plain_one(tmp_path):
    plain = DATA / "musescore" / "grace_notes.musicxml"
    mxl = tmp_path / "bwv66.mxl"
    with zipfile.ZipFile(mxl, "w") as zf:
        zf.writestr("META-INF/container.xml",
                    '<?xml version="1.0" encoding="UTF-8"?><container><rootfiles>'
                    '<rootfile full-path="score.xml"/></rootfiles></container>')  # fmt: skip
        zf.writestr("score.xml", plain.read_bytes())
    assert _elements(musicxml_m21.parse(mxl)) == _elements(musicxml_m21.parse(plain))


def test_a_long_part_keeps_every_bar_in_order(tmp_path):
    bars = 1500
    measures = "".join(
        f'<measure number="{i + 1}">' + ("<attributes><divisions>1</divisions><time><beats>4</beats><beat-type>4</beat-type>"
                                         "</time><clef><sign>G</sign><line>2</line></clef></attributes>" if i == 0 else "")
        + f"<note><pitch><step>{'CDEFGAB'[i % 7]}</step><octave>4</octave></pitch><duration>4</duration></note></measure>"
        for i in range(bars)
    )  # fmt: skip
    path = tmp_path / "long.musicxml"
    path.write_text('<?xml version="1.0" encoding="UTF-8"?><score-partwise version="3.1"><part-list>'
                    f'<score-part id="P1"><part-name>Flute</part-name></score-part></part-list><part id="P1">{measures}'
                    "</part></score-partwise>")  # fmt: skip
    part = musicxml_m21.parse(path).parts[0]
    ms = list(part.getElementsByClass("Measure"))
    assert [m.number for m in ms] == list(range(1, bars + 1))
    assert [float(m.offset) for m in ms] == [4.0 * i for i in range(bars)]
    assert [m.notes[0].pitch.step for m in ms] == ["CDEFGAB"[i % 7] for i in range(bars)]
    assert float(part.highestTime) == 4.0 * bars
