"""Fidelity of reading scores that others wrote: notes kept, played length, what was dropped.

Over three sets of scores:

1. MuseScore 3's own demo scores (Debian's ``musescore3``, ``/usr/share/mscore3-*/demos``), when on disk;
2. 38 works of the music21 corpus (MusicXML, listed in ``CORPUS``);
3. the small scores made in MuseScore 3 for the tests (``tests/data/musescore``).

For each score:

- **notes**: notes partita keeps (grace notes included, chord members one by one) against
  music21's count of the same MusicXML file (notes plus grace notes);
- **played seconds**: from the start to the end of the last note of partita's performed score
  (:func:`partita.symbolic.playback.performed`: repeats, voltas, D.C./D.S. played out) against
  the last note-off of MuseScore 3's own MIDI export of the same file (``mscore3 in -o out.mid``),
  with the written (no repeats) length beside it;
- **dropped**: the drop report (``Score.dropped``), by kind.

A demo score (``.mscx``/``.mscz``) is first exported by MuseScore to MusicXML, which both
partita and music21 read (that is what ``partita.symbolic.io.musescore.read`` does too).

Each row is a dict, so other columns can be added. Usage (writes
``benchmarks/results/fidelity.json`` and ``fidelity.md`` whole)::

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python benchmarks/bench_fidelity.py
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
#: The music21 corpus works (MusicXML), chosen for variety: chorales, string quartets with repeats
#: and grace notes, piano music with ornaments, a rag, songs, madrigals and music21's own demos.
CORPUS = ("bach/bwv66.6", "bach/bwv1.6", "bach/bwv101.7", "bach/bwv102.7", "bach/bwv103.6", "bach/bwv104.6",
          "beethoven/opus18no1/movement2", "beethoven/opus18no1/movement3",
          "haydn/opus1no1/movement1", "haydn/opus1no1/movement2", "haydn/opus1no1/movement3",
          "haydn/opus1no1/movement4", "haydn/opus1no1/movement5", "haydn/opus74no1/movement3",
          "mozart/k80/movement1", "mozart/k80/movement2", "mozart/k80/movement3", "mozart/k80/movement4",
          "mozart/k155/movement2", "mozart/k156/movement4", "mozart/k545/movement1_exposition",
          "schumann_clara/polonaise_op1n1", "schumann_clara/polonaise_op1n2", "schumann_robert/dichterliebe_no2",
          "joplin/maple_leaf_rag", "handel/rinaldo/Lascia_chio_pianga", "corelli/opus3no1/1grave", "cpebach/h186",
          "beach/prayer_of_a_tired_child", "johnson_j_r/lift_every_voice", "liliuokalani/aloha_oe",
          "monteverdi/madrigal.3.1", "monteverdi/madrigal.3.2", "leadSheet/fosterBrownHair",
          "demos/two-voices.xml", "demos/multiple-verses.xml", "demos/drum_sample.xml", "weber")  # fmt: skip


def mscore(src: Path, dst: Path) -> None:
    with tempfile.TemporaryDirectory() as rt:
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": rt, "XDG_CONFIG_HOME": rt,
               "XDG_DATA_HOME": rt, "XDG_CACHE_HOME": rt}  # fmt: skip
        subprocess.run(["mscore3", str(src), "-o", str(dst)], env=env, check=True, capture_output=True, timeout=300)
    if not dst.is_file():
        raise RuntimeError(f"MuseScore wrote no {dst.name}")


def midi_last_note_off_s(path: Path) -> float:
    import mido

    t, last = 0.0, 0.0
    for msg in mido.MidiFile(str(path)):  # iterating a MidiFile gives seconds, tempo changes included
        t += msg.time
        if msg.type in ("note_off", "note_on"):
            last = t
    return last


def respelled_copy(xml: Path, tmp: Path) -> tuple[Path, list[str]] | None:
    """A copy of a MusicXML file whose jump texts are spelt as MuseScore 3's importer matches
    them, when partita reads a jump's printed text as more than MuseScore does; else None.

    MuseScore 3.2 refines a ``<sound dacapo/dalsegno>`` by its words only when they are exactly
    "D.C. al Fine", "D.S. al Coda"...: "D.S. al Fine." (a period) or "D.C." over "al Fine" (two
    lines) play as a plain D.C./D.S. there. partita reads the instruction as printed
    (:func:`partita.symbolic.io.musicxml_form.direction_kinds`); the copy writes each such
    jump's words as partita writes them (``form_text``), so that MuseScore plays the same
    instruction. Returns the copy and the texts changed (``old -> new``).
    """
    import zipfile
    from xml.etree import ElementTree

    from partita.symbolic.form import JUMPS
    from partita.symbolic.io.musicxml_form import direction_kinds, form_text

    data = xml.read_bytes()
    if zipfile.is_zipfile(xml):
        with zipfile.ZipFile(xml) as zf:
            name = next(n for n in zf.namelist() if not n.startswith("META-INF") and n.endswith((".xml", ".musicxml")))
            data = zf.read(name)
    root = ElementTree.fromstring(data)
    changed = []
    for d in root.iter("direction"):
        words = [w for w in d.iter("words")]
        jumps = [k for k in direction_kinds(d) if k in JUMPS]
        if not words or len(jumps) != 1:
            continue
        text = " ".join((w.text or "") for w in words)
        want = form_text(jumps[0])
        if text == want:
            continue
        changed.append(f"{text.strip()!r} -> {want!r}")
        words[0].text = want
        for w in words[1:]:
            w.text = ""
    if not changed:
        return None
    out = tmp / f"{xml.stem}.respelled.musicxml"
    out.write_bytes(b'<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(root, encoding="utf-8"))
    return out, changed


def music21_count(path: Path) -> int:
    from music21 import converter, harmony

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = converter.parse(str(path), forceSource=True)
    n = 0
    for el in s.recurse().notes:
        if isinstance(el, harmony.Harmony):  # chord symbols are not notes
            continue
        n += len(el.notes) if el.isChord else 1
    return n


def sources() -> list[tuple[str, str, Path]]:
    out = []
    for demo_dir in sorted(Path("/usr/share").glob("mscore3*/demos")):
        for f in sorted(demo_dir.glob("*.msc[xz]")):
            out.append(("MuseScore demo", f.stem, f))
    from music21 import corpus

    for work in CORPUS:
        found = corpus.getWork(work, fileExtensions=("mxl", "musicxml", "xml"))
        path = Path(found[0] if isinstance(found, list) else found)
        out.append(("music21 corpus", str(path).split("/corpus/")[1], path))
    for f in sorted((ROOT / "tests" / "data" / "musescore").glob("*.musicxml")):
        out.append(("made in MuseScore 3", f.stem, f))
    return out


def measure(kind: str, name: str, path: Path, tmp: Path) -> dict:
    from partita.symbolic.io import read
    from partita.symbolic.playback import performed
    from partita.symbolic.report import drops_json

    row: dict = {"set": kind, "score": name}
    xml = path
    if path.suffix in (".mscx", ".mscz"):
        xml = tmp / f"{path.stem}.musicxml"
        mscore(path, xml)
    mid = tmp / f"{path.stem}.mid"
    if kind == "made in MuseScore 3" and path.with_suffix(".mid").is_file():
        mid = path.with_suffix(".mid")  # MuseScore's own export, committed beside it
    else:
        mscore(path, mid)
    t0 = time.perf_counter()
    try:
        score = read(xml)
    except Exception as exc:  # a score partita refuses: say why
        row.update(error=f"{type(exc).__name__}: {exc}"[:200], music21_notes=music21_count(xml))
        return row
    try:
        played = performed(score, words=False)  # MuseScore 3 plays no tempo words: compare like with like
        with_words = performed(score)
    except Exception as exc:
        row.update(error=f"performing: {type(exc).__name__}: {exc}"[:200], music21_notes=music21_count(xml))
        return row
    last_end = max((n.end for p in played.parts for n in p.notes), default=0)
    written_end = max((n.end for p in score.parts for n in p.notes), default=0)
    ms_s = midi_last_note_off_s(mid)
    partita_s = played.seconds_at(last_end)
    respelled = respelled_copy(xml, tmp)
    if respelled is not None:  # MuseScore playing the same instruction as printed
        copy, changed = respelled
        mscore(copy, tmp / f"{path.stem}.respelled.mid")
        same_s = midi_last_note_off_s(tmp / f"{path.stem}.respelled.mid")
        row.update(respelled=changed, musescore_same_instruction_s=round(same_s, 3),
                   same_instruction_error_pct=round(100 * (partita_s - same_s) / same_s, 2))  # fmt: skip
    row.update(
        parts=len(score.parts),
        bars_written=score.n_bars,
        bars_played=len(__import__("partita.symbolic.playback", fromlist=["play_order"]).play_order(score)),
        partita_notes=sum(len(p.notes) + len(p.graces) for p in score.parts),
        grace_notes=sum(len(p.graces) for p in score.parts),
        ornaments=sum(len(p.ornaments) for p in score.parts),
        music21_notes=music21_count(xml),
        played_s=round(partita_s, 3),
        played_with_tempo_words_s=round(with_words.seconds_at(max((n.end for p in with_words.parts for n in p.notes), default=0)), 3),
        written_s=round(score.seconds_at(written_end), 3),
        musescore_s=round(ms_s, 3),
        played_error_pct=round(100 * (partita_s - ms_s) / ms_s, 2) if ms_s else None,
        dropped={d["kind"]: d["count"] for d in drops_json(played.dropped)},
        playing=sorted({m.kind for m in score.playing}),
        read_s=round(time.perf_counter() - t0, 2),
    )
    return row


def main() -> int:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    started = time.time()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind, name, path in sources():
            print(f"{kind}: {name}", file=sys.stderr)
            rows.append(measure(kind, name, path, Path(tmp)))
    ok = [r for r in rows if "error" not in r]
    within = [r for r in ok if r["played_error_pct"] is not None and abs(r["played_error_pct"]) <= 1.0]
    same = [r for r in ok if abs(r.get("same_instruction_error_pct", r["played_error_pct"]) or 0) <= 1.0
            and r["played_error_pct"] is not None]  # fmt: skip
    counted = [r for r in ok if r["partita_notes"] == r["music21_notes"]]
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    result = {
        "command": "OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python benchmarks/bench_fidelity.py",
        "git_commit": commit,
        "machine": f"{platform.node()} {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
        "load_average_end": [round(x, 2) for x in os.getloadavg()],
        "wall_s": round(time.time() - started, 1),
        "summary": {"scores": len(rows), "read": len(ok), "played_within_1pct": len(within),
                    "played_within_1pct_same_instruction": len(same),
                    "respelled": sum(1 for r in ok if "respelled" in r),
                    "notes_equal_music21": len(counted)},  # fmt: skip
        "rows": rows,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "fidelity.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    (RESULTS / "fidelity.md").write_text(markdown(result))
    print(json.dumps(result["summary"]))
    return 0


def markdown(r: dict) -> str:
    s = r["summary"]
    lines = [
        "# Fidelity of reading others' scores", "",
        f"Command: `{r['command']}`; commit `{r['git_commit']}`; {r['machine']}; load average at the end "
        f"{tuple(r['load_average_end'])}; {r['wall_s']} s in all.", "",
        f"{s['scores']} scores, {s['read']} read; played length within 1% of MuseScore 3's own MIDI export: "
        f"{s['played_within_1pct']} of {s['read']}; notes (grace notes included) equal to music21's count: "
        f"{s['notes_equal_music21']} of {s['read']}.", "",
        f"Same instruction: {s['respelled']} scores print a jump whose text MuseScore 3's importer does not match "
        "exactly (\"D.S. al Fine.\" with a period, \"D.C.\" over \"al Fine\" on two lines): MuseScore plays them as a "
        "plain D.C./D.S., partita as printed. For those, MuseScore also played a copy whose jump text is respelled as "
        "its importer recognises it (the same instruction; column \"MuseScore, same instruction\"). Played length "
        f"within 1% of MuseScore playing the same instruction: {s['played_within_1pct_same_instruction']} of {s['read']}.", "",
        "Played: partita's performed score (repeats, voltas, D.C./D.S. played out), start to the last note's end; "
        "MuseScore: the last note-off of `mscore3 in -o out.mid`; written: each bar once (what partita played before "
        "the form was read).", "",
        "| set | score | bars written/played | notes partita / music21 | graces | ornaments | played s | MuseScore s | error % "
        "| MuseScore, same instruction s | error % | written s | dropped |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in r["rows"]:
        if "error" in row:
            lines.append(f"| {row['set']} | {row['score']} | | - / {row['music21_notes']} | | | | | | | | | not read: {row['error']} |")
            continue
        dropped = ", ".join(f"{k} ({v})" for k, v in row["dropped"].items()) or "nothing"
        lines.append(
            f"| {row['set']} | {row['score']} | {row['bars_written']}/{row['bars_played']} | "
            f"{row['partita_notes']} / {row['music21_notes']} | {row['grace_notes']} | {row['ornaments']} | "
            f"{row['played_s']} | {row['musescore_s']} | {row['played_error_pct']} | "
            f"{row.get('musescore_same_instruction_s', '')} | {row.get('same_instruction_error_pct', '')} | "
            f"{row['written_s']} | {dropped} |"
        )
    respelled = [r for r in r["rows"] if "respelled" in r]
    if respelled:
        lines += ["", "Jump texts respelled for MuseScore's same-instruction run:", ""]
        lines += [f"- {row['score']}: {'; '.join(row['respelled'])}" for row in respelled]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
