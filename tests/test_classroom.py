"""Re-orchestration for the classroom: ensembles, part assignment, octave fits and the changes
they record, verovio engraving whose noteheads map to the score's notes (held against
verovio's own MIDI values and music21's note count), the report's marks, the CLI and its bad
input. The browser test of the report is tests/test_report_browser.py."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest

from partita import instruments
from partita.cli import main
from partita.errors import ConfigError, InstrumentError
from partita.instruments.ensembles import ensemble, presets
from partita.orchestration import orchestrate_score
from partita.symbolic.io import write
from partita.symbolic.io.musicxml import score_from_music21
from partita.theory_rules import check, sketch

ROOT = Path(__file__).resolve().parents[1]
# Soprano dips to G3, below a flute; parallel fifths between the outer voices in bar 1
SATB = sketch(
    {"Soprano": "C5 D5 G3 C5 B4 C5", "Alto": "E4 F4 E4 E4 D4 E4", "Tenor": "G3 A3 C4 G3 G3 G3",
     "Bass": "F3 G3 C3 C3 G2 C3"},
    key="C major", title="Four voices",
)  # fmt: skip


@pytest.fixture(scope="module")
def chorale():
    from music21 import corpus

    return score_from_music21(corpus.parse("bach/bwv66.6"))


def test_presets_and_lists_name_catalog_instruments():
    assert ensemble("wind quintet").instruments == ("flute", "oboe", "clarinet", "horn", "bassoon")
    assert ensemble("Brass-Quintet").instruments.count("trumpet") == 2
    assert ensemble("sax quartet").preset == "sax_quartet"
    assert ensemble("flute, oboe, Clarinet in B♭, Horn in F, bassoon") .instruments == ensemble("wind quintet").instruments
    assert {"wind_quintet", "brass_quintet", "string_quartet", "sax_quartet"} <= {e.preset for e in presets()}
    with pytest.raises(InstrumentError, match="kazoo.*wind quintet"):
        ensemble("flute, kazoo")


def test_parts_go_high_to_low_and_assign_fixes_a_part():
    o = orchestrate_score(SATB, "wind quintet")
    got = [o.assignment[p.id] for p in SATB.parts]
    order = ["flute", "oboe", "clarinet", "horn", "bassoon"]
    assert [order.index(i) for i in got] == sorted(order.index(i) for i in got)
    assert len(o.unused) == 1 and o.changes == ()  # without --fit nothing moves
    assert [p.instrument for p in o.score.parts] == got
    o2 = orchestrate_score(SATB, "wind quintet", assign="Soprano=flute, Bass=bassoon")
    assert o2.assignment[SATB.part("Soprano").id] == "flute"
    assert o2.assignment[SATB.part("Bass").id] == "bassoon"


def test_fit_records_every_moved_note_with_its_place(chorale):
    o = orchestrate_score(SATB, "flute, clarinet, horn, bassoon", assign="Soprano=flute", fit=True)
    sop = SATB.part("Soprano").id
    moved = [c for c in o.changes if c.part == sop]
    assert [(c.bar, int(c.beat), c.from_pitch, c.to_pitch, c.reason) for c in moved] == [(1, 3, 55, 67, "into range")]
    # every change agrees with the two scores, and every other note kept its pitch
    for part in SATB.parts:
        new = o.score.part(part.id)
        changed = {c.index: c for c in o.changes if c.part == part.id}
        for n, m in zip(part.notes, new.notes):
            assert m.onset == n.onset
        for i, m in enumerate(new.notes):
            if i in changed:
                assert (changed[i].onset, changed[i].to_pitch) == (m.onset, m.pitch)
        assert sorted(m.pitch for i, m in enumerate(new.notes) if i not in changed) == sorted(
            n.pitch for n in part.notes if not any(c.onset == n.onset and c.from_pitch == n.pitch for c in changed.values()))
    d = o.to_dict()
    assert d["changes"][0] | {} and {"part", "bar", "beat", "from", "to"} <= set(d["changes"][0])
    assert d["changes"][0]["from"] == "G3" and d["changes"][0]["to"] == "G4"
    # the real chorale in every preset: ranges left are only warnings once fitted
    for name in ("wind quintet", "brass quintet", "string quartet", "sax quartet"):
        fitted = orchestrate_score(chorale, name, fit=True).score
        assert check(fitted, profile="orchestration").n_errors == 0, name


def test_missing_part_lists_the_parts():
    with pytest.raises(ConfigError) as err:
        orchestrate_score(SATB, "wind quintet", assign="Sopran=flute")
    assert "'Sopran'" in str(err.value) and all(n in str(err.value) for n in ("Soprano", "Alto", "Tenor", "Bass"))


def test_an_ensemble_that_cannot_cover_names_the_part_and_the_nearest_fit():
    with pytest.raises(InstrumentError) as err:
        orchestrate_score(SATB, "flute, oboe, clarinet")
    msg = str(err.value)
    assert "Bass" in msg and "nowhere to go" in msg and "wind quintet" in msg
    # a line of four octaves fits no trumpet at any octave
    wide = sketch({"Melody": "C6 C2 C6 C2 E3 G5"}, title="Wide")
    with pytest.raises(InstrumentError) as err:
        orchestrate_score(wide, "trumpet, horn")
    msg = str(err.value)
    assert "part 'Melody'" in msg and "nowhere to go" in msg and "nearest fit:" in msg


def test_engraved_noteheads_are_the_scores_notes_by_verovios_own_midi(chorale):
    """Every notehead id maps to a note whose written pitch verovio itself reports (clarinet
    in B-flat and horn in F included), and the noteheads number what music21 counts in the same MusicXML."""
    import verovio
    from music21 import converter

    from partita.engraving import engrave

    score = orchestrate_score(chorale, "wind quintet", fit=True).score  # clarinet in B-flat, horn in F
    eng = engrave(score, prefix="t")
    assert eng.unmatched == () and not eng.truncated
    tk = verovio.toolkit()
    tk.loadData(eng.musicxml)
    tk.renderToTimemap()  # verovio computes MIDI values with the timemap
    for eid, (pid, i) in eng.note_ids.items():  # verovio's MIDI values are the written pitch
        part = score.part(pid)
        written = part.notes[i].pitch - instruments.get(part.instrument).transposition
        assert tk.getMIDIValuesForElement(eid)["pitch"] == written, eid
    m21 = converter.parseData(eng.musicxml, format="musicxml")
    n_heads = sum(len(n.pitches) for n in m21.recurse().notes)
    assert len(eng.note_ids) == n_heads
    assert {k for k in eng.note_ids.values()} == {(p.id, i) for p in score.parts for i in range(len(p.notes))}


def test_report_marks_exactly_the_violating_and_moved_notes():
    from partita.report import Version, report_html

    o = orchestrate_score(SATB, "flute, clarinet, horn, bassoon", assign="Soprano=flute", fit=True)
    rep = check(o.score, profile="chorale")
    moved = frozenset((c.part, c.index) for c in o.changes if c.reason == "into range")
    html = report_html([Version("Before", SATB), Version("After", o.score, rep, moved=moved)], title="t")
    after = html.split('<section class="version" data-slot="1"', 1)[1]
    got = set()
    for m in re.finditer(r'class="note([^"]*)" data-part="([^"]+)" data-index="(\d+)"', after):
        classes = m.group(1).split()
        sev = "error" if "v-error" in classes else "warning" if "v-warning" in classes else None
        if sev:
            got.add((m.group(2), int(m.group(3)), sev))
    want: dict[tuple[str, int], str] = {}
    for v in rep.violations:
        for n in v.notes:
            for pid in v.parts:
                notes = o.score.part(pid).notes
                if n in notes:
                    key = (pid, notes.index(n))
                    want[key] = "error" if "error" in (want.get(key), v.severity) else v.severity
                    break
    assert got == {(p, i, s) for (p, i), s in want.items()}
    assert len(re.findall(r'class="note[^"]*\bmoved\b', after)) == len(moved) == 1
    assert "parallel-fifths" in html and "Bach per 100 notes" in html


def test_bach_reference_equals_the_measured_rates():
    ref = tomllib.loads((ROOT / "theory_rules" / "bach_reference.toml").read_text())
    measured = json.loads((ROOT / "docs" / "results" / "bach_rule_rates.json").read_text())
    for rid, r in measured["rates"].items():
        if r["per_100_notes"] is None:
            assert rid not in ref
            continue
        assert ref[rid]["per_100_notes"] == r["per_100_notes"], rid
    assert ref["notes"] == measured["n_notes"]


def test_cli_orchestrate_writes_the_folder_and_fails_in_one_line(tmp_path, capsys):
    src = write(SATB, tmp_path / "satb.musicxml")
    out = tmp_path / "out"
    rc = main(["orchestrate", str(src), "--for", "flute, clarinet, horn, bassoon", "--assign", "Soprano=flute",
               "--fit", "--no-audio", "--no-mscz", "-o", str(out)])  # fmt: skip
    assert rc == 0
    for name in ("score.musicxml", "changes.json", "check.json", "original_check.json", "report.html"):
        assert (out / name).is_file(), name
    changes = json.loads((out / "changes.json").read_text())
    assert [(c["part_name"], c["bar"], c["beat"], c["from"], c["to"]) for c in changes["changes"]] == [("Flute", 1, 3, "G3", "G4")]
    assert json.loads((out / "check.json").read_text())["summary"]["n_notes"] == 24
    capsys.readouterr()
    rc = main(["orchestrate", str(src), "--for", "wind quintet", "--assign", "Sopran=flute", "--no-audio", "-o", str(out)])
    err = capsys.readouterr().err
    assert rc == 2 and len(err.strip().splitlines()) == 1 and "Soprano, Alto, Tenor, Bass" in err


def test_cli_engrave_cuts_long_scores_and_says_so(tmp_path, capsys):
    from partita.symbolic.score import Score

    long = sketch({"Flute": " ".join(["C5 D5 E5 F5 G5 A5 B5 C6"] * 60)}, title="Long")
    assert isinstance(long, Score)
    src = write(long, tmp_path / "long.musicxml")
    rc = main(["engrave", str(src), "-o", str(tmp_path / "long.svg"), "--max-pages", "2", "--page-height", "100"])
    out = capsys.readouterr().out
    assert rc == 0 and re.search(r"first 2 of \d+ pages", out)
    assert sorted(p.name for p in tmp_path.glob("long-*.svg")) == ["long-1.svg", "long-2.svg"]
    rc = main(["engrave", str(src), "-o", str(tmp_path / "one.svg"), "--max-pages", "1"])
    svg = (tmp_path / "one.svg").read_text()
    assert svg.startswith("<svg") or svg.startswith("<?xml")
    assert 'class="note' in svg


@pytest.mark.slow
def test_ten_corpus_scores_engrave():
    """Ten scores of the music21 corpus engrave without error; verovio's messages are kept."""
    from music21 import corpus

    from partita.engraving import engrave

    names = ["bach/bwv66.6", "bach/bwv84.5", "bach/bwv1.6", "haydn/opus1no1/movement1", "haydn/opus74no1/movement3",
             "mozart/k80/movement1", "corelli/opus3no1/1grave", "monteverdi/madrigal.3.1.mxl",
             "handel/rinaldo/Lascia_chio_pianga", "bach/bwv26.6"]  # fmt: skip
    for name in names:
        score = score_from_music21(corpus.parse(name))
        eng = engrave(score, max_pages=2)
        assert eng.pages and eng.unmatched == (), name
        assert isinstance(eng.warnings, tuple)


@pytest.mark.parametrize("name", ["partita.engraving", "partita.orchestration", "partita.report", "partita.instruments.ensembles"])
def test_doctests(name):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_teachers_doc_python_runs():
    text = (ROOT / "docs" / "teachers.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks and (ROOT / "docs" / "img" / "teacher_report.png").is_file()
    for block in blocks:
        exec(compile(block, "docs/teachers.md", "exec"), {})


def test_cli_check_report_marks_the_parallel_fifths(tmp_path, capsys):
    fifths = sketch({"Violin": "C5 D5 E5 F5", "Cello": "F3 G3 C4 D4"}, key="C major", title="Fifths")
    src = write(fifths, tmp_path / "fifths.musicxml")
    rc = main(["check", str(src), "--report", str(tmp_path / "r.html"), "--no-audio"])
    assert rc == 1  # the exit code still says errors were found
    html = (tmp_path / "r.html").read_text()
    marked = re.findall(r'class="note v-error" data-part="([^"]+)" data-index="(\d+)"', html)
    assert sorted(marked) == [("cello", "0"), ("cello", "1"), ("violin", "0"), ("violin", "1")]
    assert "parallel fifths, bar 1 beat 1" in html and "<audio" not in html


@pytest.mark.slow
def test_verovio_messages_reach_the_report_and_long_scores_are_cut():
    from music21 import corpus

    from partita.report import Version, report_html

    haydn = score_from_music21(corpus.parse("haydn/opus74no1/movement3"))  # verovio: "ties left open"
    html = report_html([Version("Haydn", haydn, profile="classical")], title="Haydn", max_pages=2)
    section = html.split("Engraver messages", 1)[1]
    assert "ties left open" in section
    assert re.search(r"engraved the first 2 of \d+ pages", section)
    assert html.count('<div class="page">') == 2


def test_a_drum_part_keeps_its_kit():
    band = sketch({"Flute": "C5 D5 E5 F5", "Drum Kit": "C2 D2 C2 D2"}, title="Band")
    o = orchestrate_score(band, "oboe")
    assert [(p.name, p.instrument) for p in o.score.parts] == [("Oboe", "oboe"), ("Drum Kit", "drum_kit")]
