"""Parts as MuseScore has them: per score, what partita reads against MuseScore 3 and music21.

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python benchmarks/bench_parts_fidelity.py

Scores: the fixtures made in MuseScore 3 for ``tests/test_musescore_parts.py`` (grand staff,
drum set, clarinet in A with a voice, unnamed sung parts), music21's ``demos/drum_sample.xml``
(Finale) and ``demos/multiple-verses.xml``, and piano and song works of the music21 corpus
(grand staves). For each:

- **parts**: partita's parts against the file's ``<score-part>`` count (a grand staff is one
  of each), and how many are on two staves;
- **notes**: partita's notes (grace notes included) against music21's count;
- **pitches as MuseScore plays them**: the multiset of (pitch, is-drum) of partita's performed
  score (repeats played out; a tied note counted once) against the note-ons of MuseScore 3's own MIDI export
  (``mscore3 in -o out.mid``); equal or not, and how many differ;
- **lyrics**: syllables partita keeps (all verses) against the file's ``<lyric>`` elements;
- **instruments** partita chose, and what it reported as dropped.

Results: ``benchmarks/results/parts_fidelity.json`` and ``.md``, written whole by this script.
"""

from __future__ import annotations

import sys
import tempfile
import warnings
from collections import Counter
from pathlib import Path
from xml.etree import ElementTree

from _results import write_results  # benchmarks/ is sys.path[0] when a benchmark runs

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ("demos/drum_sample.xml", "demos/multiple-verses.xml", "schumann_robert/dichterliebe_no2",
          "joplin/maple_leaf_rag", "mozart/k545/movement1_exposition", "beach/prayer_of_a_tired_child",
          "schumann_clara/polonaise_op1n1", "liliuokalani/aloha_oe", "cpebach/h186")  # fmt: skip


def sources() -> list[tuple[str, Path]]:
    from music21 import corpus

    out = [(p.stem, p) for p in sorted((ROOT / "tests" / "data").glob("musescore_*.mscz"))]
    for work in CORPUS:
        found = corpus.getWork(work, fileExtensions=("mxl", "musicxml", "xml"))
        out.append((work, Path(found[0] if isinstance(found, list) else found)))
    return out


def musicxml_root(path: Path) -> ElementTree.Element:
    import zipfile

    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            name = next(n for n in zf.namelist() if not n.startswith("META-INF") and n.endswith((".xml", ".musicxml")))
            return ElementTree.fromstring(zf.read(name))
    return ElementTree.parse(path).getroot()


def midi_pitches(path: Path) -> Counter:
    import mido

    out: Counter = Counter()
    for track in mido.MidiFile(str(path)).tracks:
        for msg in track:
            if msg.type == "note_on" and msg.velocity > 0:
                out[(msg.note, msg.channel == 9)] += 1
    return out


def measure(name: str, path: Path, tmp: Path) -> dict:
    from music21 import converter

    from partita import instruments
    from partita.symbolic.io import musescore, read
    from partita.symbolic.playback import performed
    from partita.symbolic.report import drops_json

    xml = path
    if path.suffix == ".mscz":
        xml = tmp / f"{path.stem}.musicxml"
        musescore.convert_with_mscore(path, xml)
    mid = tmp / f"{path.stem}.mid"
    musescore.convert_with_mscore(path, mid)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        score = read(path)
        s21 = converter.parse(str(xml), forceSource=True)
    root = musicxml_root(xml)
    from music21 import chord

    # chords counted note by note (a drum chord is a PercussionChord, not a Chord)
    m21_notes = sum(len(el.notes) if isinstance(el, chord.ChordBase) else 1 for el in s21.recurse().notes)
    played = performed(score, words=False)
    # a tied note sounds once (MuseScore's MIDI has one note-on): count only where ties start
    ours = Counter((n.pitch, instruments.get(p.instrument).percussion)
                   for p in played.parts for n in p.notes if n.tie in (None, "start"))  # fmt: skip
    ours.update((g.pitch, False) for p in played.parts for g in getattr(p, "graces", ()))
    theirs = midi_pitches(mid)
    return {
        "score": name,
        "parts": len(score.parts),
        "file_parts": len(root.findall("part-list/score-part")),
        "two_staves": sum(1 for p in score.parts if any(n.voice > 4 for n in p.notes)),
        "notes": sum(len(p.notes) + len(getattr(p, "graces", ())) for p in score.parts),
        "music21_notes": m21_notes,
        "pitches_equal_musescore": ours == theirs,
        "pitches_differing": sum(((ours - theirs) + (theirs - ours)).values()),
        # one syllable per chord (its notes all carry it), plus the other verses' syllables
        "syllables": sum(len({(n.onset, n.voice) for n in p.notes if n.lyric}) + len(p.verses) for p in score.parts),
        "file_lyrics": sum(1 for ly in root.iter("lyric") if (ly.findtext("text") or "").strip()),
        "instruments": [p.instrument for p in score.parts],
        "form_marks": len(getattr(score, "form", ())),
        "ornaments": sum(len(getattr(p, "ornaments", ())) for p in score.parts),
        "dropped": {d["kind"]: d["count"] for d in drops_json(score.dropped)},
    }


def main() -> int:
    rows = []
    with tempfile.TemporaryDirectory(prefix="partita-bench-") as tmp:
        for name, path in sources():
            print(name, file=sys.stderr, flush=True)
            try:
                rows.append(measure(name, path, Path(tmp)))
            except Exception as exc:  # report, never hide
                rows.append({"score": name, "error": f"{type(exc).__name__}: {exc}"[:300]})
    lines = [
        "Parts: partita's / the file's `<score-part>`s (two staves: parts read as a grand staff). Notes: partita's "
        "(grace notes included) / music21's. Pitches: the multiset of (pitch, drum or not) of partita's performed "
        "score against the note-ons of MuseScore 3's own MIDI export. Lyrics: syllables kept (every verse) / the "
        "file's `<lyric>`s. Form marks and ornaments: where the performed pitches depend on playback "
        "(repeats, D.C./D.S., trills), which the other half of issue 18 owns (see fidelity.md).", "",
        "| score | parts | two staves | notes | pitches as MuseScore plays | form marks / ornaments | lyrics | instruments | dropped |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['score']} | error: {r['error']} | | | | | | | |")
            continue
        same = "equal" if r["pitches_equal_musescore"] else f"{r['pitches_differing']} differ"
        dropped = ", ".join(f"{k} ({v})" for k, v in r["dropped"].items()) or "none"
        lines.append(f"| {r['score']} | {r['parts']} / {r['file_parts']} | {r['two_staves']} | {r['notes']} / {r['music21_notes']} "
                     f"| {same} | {r['form_marks']} / {r['ornaments']} | {r['syllables']} / {r['file_lyrics']} | {', '.join(sorted(set(r['instruments'])))} | {dropped} |")  # fmt: skip
    write_results("parts_fidelity", {"rows": rows}, lines, title="Parts as MuseScore has them: fidelity")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
