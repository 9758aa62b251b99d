"""Re-rendering after an edit made in the file real MuseScore saved.

Score -> MusicXML (partita) -> .mscx (the real ``mscore3``) -> render; then one note of one part
is changed in the .mscx text (a whole tone up: ``<pitch>`` + 2, ``<tpc>`` + 2) and the edited
file is rendered into the same folder. Exactly one stem changes, the other parts come from the
cache, and the changed samples all lie inside the edited note's phrase (release and noise
tail included).
"""

from __future__ import annotations

import os
import re
import subprocess
from fractions import Fraction as F

import numpy as np
import pytest
import soundfile as sf

import partita
from partita.render.performance import perform_part
from partita.render.stems import _decoder_for  # the decoder render() picks for a part
from partita.render.synth import _segment_start, synthesize
from partita.symbolic.dynamics import Dynamic
from partita.symbolic.score import Note, Part, Score
from partita.symbolic.timeline import TempoMap, TempoMark

pytestmark = [
    pytest.mark.musescore,
    pytest.mark.slow,
]
SR = 16000


def _score() -> Score:
    slur = {2: "start", 3: "continue", 4: "stop"}
    return Score(
        title="Edit me",
        parts=(
            Part("fl", "Flute", "flute", tuple(Note(F(i), F(1), (72, 74, 76, 77, 79, 77, 76, 74)[i], slur=slur.get(i))
                                               for i in range(8)), dynamics=(Dynamic(0, "mf"),)),  # fmt: skip
            Part("vc", "Cello", "cello", tuple(Note(F(2 * i), F(2), (48, 43, 45, 41)[i]) for i in range(4))),
            Part("cl", "Clarinet", "clarinet", tuple(Note(F(i), F(1), (64, 65, 67, 65)[i % 4]) for i in range(8))),
        ),
        tempo_map=TempoMap((TempoMark(0, 100),)),
    )  # fmt: skip


def _edit_nth_note_of_staff(text: str, staff: int, n: int) -> str:
    """Raise the n-th note (from 0) of staff ``staff`` (from 1) by a whole tone: the pitch by 2,
    each tonal pitch class by 2 (two fifths up: C -> D, F -> G)."""
    body = text.index("</Part>", text.rindex("<Part"))  # the music follows the part list
    start = text.index(f'<Staff id="{staff}">', body)
    end = text.index("</Staff>", start)
    # <tpc2> (the written spelling) is there for transposing instruments: move it too
    notes = list(re.finditer(r"<pitch>(\d+)</pitch>\s*<tpc>(-?\d+)</tpc>(\s*<tpc2>(-?\d+)</tpc2>)?", text[start:end]))
    m = notes[n]
    new = f"<pitch>{int(m.group(1)) + 2}</pitch><tpc>{int(m.group(2)) + 2}</tpc>"
    if m.group(3):
        new += f"<tpc2>{int(m.group(4)) + 2}</tpc2>"
    a, b = start + m.start(), start + m.end()
    return text[:a] + new + text[b:]


def _phrase_span(score: Score, part: Part, note: Note) -> tuple[int, int]:
    for c in perform_part(part, score):
        if c.onset_s - 1e-9 <= score.seconds_at(note.onset) <= c.end_s:
            start = int(_segment_start(c.start_frame, 250.0 / SR))
            n = synthesize(_decoder_for(part, None).decode(c, sample_rate=SR), sample_rate=SR).shape[1]
            return start, start + n
    raise AssertionError("no phrase holds the edited note")


@pytest.mark.parametrize("staff, index", [(1, 3), (3, 5)])  # a note inside a slur; a clarinet note
def test_an_edit_in_musescore_changes_one_stem_only_around_the_note(tmp_path, staff, index):
    xml = tmp_path / "score.musicxml"
    partita.save(_score(), xml)
    mscx = tmp_path / "score.mscx"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    subprocess.run(["mscore3", str(xml), "-o", str(mscx)], check=True, capture_output=True, env=env, timeout=120)
    assert mscx.stat().st_size > 0

    out = tmp_path / "out"
    before_score = partita.load(mscx)
    before = partita.render(before_score, out, sample_rate=SR, progress=False)
    old = {s.part_id: sf.read(out / s.file, dtype="float32")[0] for s in before.stems}

    edited_path = tmp_path / "edited.mscx"
    edited_path.write_text(_edit_nth_note_of_staff(mscx.read_text(), staff, index))
    after_score = partita.load(edited_path)
    after = partita.render(after_score, out, sample_rate=SR, progress=False)

    changed = [a.part_id for a, b in zip(after.stems, before.stems) if a.sha256 != b.sha256]
    assert len(changed) == 1
    part_id = changed[0]
    assert after.rendered_parts == (part_id,)  # everything else came from the cache
    new = sf.read(out / next(s.file for s in after.stems if s.part_id == part_id), dtype="float32")[0]

    # the note MuseScore saved and we edited is the one the reader reports as changed
    old_part, new_part = before_score.part(part_id), after_score.part(part_id)
    diffs = [(a, b) for a, b in zip(old_part.notes, new_part.notes) if a.pitch != b.pitch]
    assert len(diffs) == 1 and diffs[0][1].pitch == diffs[0][0].pitch + 2
    lo0, hi0 = _phrase_span(before_score, old_part, diffs[0][0])
    lo1, hi1 = _phrase_span(after_score, new_part, diffs[0][1])
    where = np.flatnonzero(old[part_id] != new)
    assert where.size > 0
    assert where.min() >= min(lo0, lo1) and where.max() < max(hi0, hi1)
    assert where.size < 0.5 * new.size
