"""Command to classroom report: a Bach chorale and a 5-minute string quartet movement for wind
quintet, and ten corpus scores engraved.

    nice .venv/bin/python benchmarks/bench_report.py [--out benchmarks/results/report]

1. Runs ``partita orchestrate SCORE --for "wind quintet" --fit -o OUT`` as a fresh process
   (imports, rendering of both versions at 22.05 kHz, MuseScore's .mscz and the report
   included) on BWV 66.6 (chorale profile) and on Haydn's Op. 74 No. 1, fourth movement (4:45
   of music; classical profile), and
   reads each stage's time from the summary the command prints.
2. The peer for the notation step, side by side: MuseScore 3 engraving the same MusicXML to a
   PDF (``mscore3 score.musicxml -o score.pdf``, a fresh process), against
   ``partita engrave`` (a fresh process too).
3. Engraves ten scores of the music21 corpus and records verovio's messages for each.

Writes ``OUT.json`` and ``OUT.md`` whole, with the command, commit, machine and load averages.
The machine is shared: wall times vary with the other jobs; CPU times say more.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: piece -> (music21 corpus name, rule profile of the check)
PIECES = {"Bach chorale BWV 66.6": ("bach/bwv66.6", "chorale"),
          "Haydn Op. 74 No. 1, IV (string quartet)": ("haydn/opus74no1/movement4", "classical")}
CORPUS = ["bach/bwv66.6", "bach/bwv84.5", "bach/bwv1.6", "haydn/opus1no1/movement1", "haydn/opus74no1/movement3",
          "mozart/k80/movement1", "corelli/opus3no1/1grave", "monteverdi/madrigal.3.1.mxl",
          "handel/rinaldo/Lascia_chio_pianga", "bach/bwv26.6"]  # fmt: skip


def _child_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(wall s, CPU s of the process, stdout) of one fresh process; fails loudly."""
    cpu0, t0 = _child_cpu(), time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    wall, cpu = time.perf_counter() - t0, _child_cpu() - cpu0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {proc.stderr.strip()[-500:]}")
    return wall, cpu, proc.stdout


def _commit() -> str:
    out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False)
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True, check=False)
    return out.stdout.strip() + (" (with uncommitted changes)" if dirty.stdout.strip() else "")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "report"))
    args = ap.parse_args()
    from music21 import corpus

    from partita.engraving import engrave
    from partita.symbolic.io import write
    from partita.symbolic.io.musicxml import score_from_music21

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "OMP_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1"}
    partita = str(Path(sys.executable).with_name("partita"))
    load_start = os.getloadavg()
    runs = []
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        for label, (name, profile) in PIECES.items():
            score = score_from_music21(corpus.parse(name))
            src = write(score, Path(tmp) / f"{name.replace('/', '_')}.musicxml")
            out = Path(tmp) / f"out_{len(runs)}"
            cmd = ["orchestrate", str(src), "--for", "wind quintet", "--fit", "--profile", profile, "-o", str(out)]
            wall, cpu, text = _timed([partita, *cmd], env)
            stages = {m.group(1): float(m.group(2)) for m in re.finditer(r"(\w+) ([\d.]+) s", text.split("took", 1)[1])}
            stages.pop(None, None)
            e_wall, e_cpu, _ = _timed([partita, "engrave", str(src), "-o", str(Path(tmp) / "e.svg"), "--max-pages", "100"], env)
            peer = None
            if shutil.which("mscore3"):
                p_wall, p_cpu, _ = _timed(["mscore3", str(src), "-o", str(Path(tmp) / "peer.pdf")], env)
                if (Path(tmp) / "peer.pdf").stat().st_size > 1000:
                    peer = {"wall_s": round(p_wall, 2), "cpu_s": round(p_cpu, 2)}
            check = json.loads((out / "check.json").read_text())
            runs.append({
                "piece": label, "corpus": name, "parts": len(score.parts), "bars": score.n_bars,
                "notes": sum(len(p.notes) for p in score.parts), "music_s": round(score.duration_seconds, 1),
                "command": f"partita orchestrate {src.name} --for 'wind quintet' --fit --profile {profile} -o OUT",
                "profile": profile,
                "wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "stages_s": stages,
                "report_bytes": (out / "report.html").stat().st_size,
                "errors_left": check["summary"]["n_errors"], "warnings_left": check["summary"]["n_warnings"],
                "engrave_all_pages": {"wall_s": round(e_wall, 2), "cpu_s": round(e_cpu, 2)},
                "peer_mscore3_pdf": peer,
            })  # fmt: skip
            print(runs[-1], flush=True)
    engraved = []
    for name in CORPUS:
        t0 = time.perf_counter()
        try:
            eng = engrave(score_from_music21(corpus.parse(name)), max_pages=None)
            engraved.append({"score": name, "ok": True, "pages": eng.n_pages, "noteheads": len(eng.note_ids),
                             "unmatched": len(eng.unmatched), "warnings": list(eng.warnings),
                             "s": round(time.perf_counter() - t0, 2)})  # fmt: skip
        except Exception as exc:  # recorded, not hidden
            engraved.append({"score": name, "ok": False, "error": f"{type(exc).__name__}: {exc}"})
    result = {
        "what": "command to classroom report (partita orchestrate ... --fit), render of both versions included",
        "command": "nice .venv/bin/python benchmarks/bench_report.py",
        "commit": _commit(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores (shared), {platform.python_version()}",
        "load_average_start": [round(x, 2) for x in load_start],
        "load_average_end": [round(x, 2) for x in os.getloadavg()],
        "runs": runs,
        "corpus_engraving": engraved,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    out.with_suffix(".md").write_text(_markdown(result))
    print(_markdown(result))


def _markdown(r: dict) -> str:
    lines = ["# Command to classroom report", "", f"Command: `{r['command']}` (commit {r['commit'][:12]})", "",
             "Each run is `partita orchestrate SCORE --for 'wind quintet' --fit --profile P -o OUT` as a fresh process: "
             "orchestrate, write score.musicxml + score.mscz (MuseScore 3) + JSON, render stems and mix of both "
             "versions at 22.05 kHz, engrave both with verovio and write the self-contained report.html.", "",
             "| | " + " | ".join(x["piece"] for x in r["runs"]) + " |", "|---|" + "---|" * len(r["runs"])]  # fmt: skip
    rows = [("music", lambda x: f"{x['music_s']:.0f} s, {x['parts']} parts, {x['bars']} bars, {x['notes']} notes")]
    stage_names = list(dict.fromkeys(k for x in r["runs"] for k in x["stages_s"]))
    for k in stage_names:
        rows.append((k, lambda x, k=k: f"{x['stages_s'].get(k, 0):.1f} s"))
    rows += [
        ("**command to report, wall**", lambda x: f"**{x['wall_s']:.1f} s**"),
        ("CPU time of the process", lambda x: f"{x['cpu_s']:.1f} s"),
        ("report.html", lambda x: f"{x['report_bytes'] / 1e6:.1f} MB"),
        ("left after --fit", lambda x: f"{x['errors_left']} errors, {x['warnings_left']} warnings ({x['profile']} profile)"),
        ("`partita engrave` all pages (process)", lambda x: f"{x['engrave_all_pages']['wall_s']:.1f} s wall, {x['engrave_all_pages']['cpu_s']:.1f} s CPU"),
        ("peer: `mscore3 -o score.pdf` (process)", lambda x: "not installed" if not x["peer_mscore3_pdf"] else
         f"{x['peer_mscore3_pdf']['wall_s']:.1f} s wall, {x['peer_mscore3_pdf']['cpu_s']:.1f} s CPU"),
        ("engrave CPU / MuseScore CPU", lambda x: "-" if not x["peer_mscore3_pdf"] else
         f"{x['engrave_all_pages']['cpu_s'] / max(x['peer_mscore3_pdf']['cpu_s'], 1e-9):.2f}"),
    ]  # fmt: skip
    for name, fn in rows:
        lines.append(f"| {name} | " + " | ".join(fn(x) for x in r["runs"]) + " |")
    lines += ["", "## Ten corpus scores engraved (all pages)", "", "| score | ok | pages | noteheads | unmatched | verovio messages | s |",
              "|---|---|---:|---:|---:|---|---:|"]  # fmt: skip
    for e in r["corpus_engraving"]:
        if e["ok"]:
            msgs = "; ".join(e["warnings"]) or "none"
            lines.append(f"| {e['score']} | yes | {e['pages']} | {e['noteheads']} | {e['unmatched']} | {msgs} | {e['s']} |")
        else:
            lines.append(f"| {e['score']} | **no**: {e['error']} | | | | | |")
    lines += ["", f"{r['machine']}; load average at the start {tuple(r['load_average_start'])}, at the end "
              f"{tuple(r['load_average_end'])}: other engineers' jobs share the cores, so wall times vary.", ""]  # fmt: skip
    return "\n".join(lines)


if __name__ == "__main__":
    main()
