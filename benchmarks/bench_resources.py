"""Time and peak memory of ``partita info`` and ``partita check`` as scores grow: linear, not
quadratic, in parts x bars.

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python benchmarks/bench_resources.py [--quick]

Synthetic scores, written directly (mido for MIDI, text for MusicXML) so that making them costs
nothing next to reading them:

- **parts**: a MIDI file of 100, 1,000 and 10,000 tracks of 10 bars each (one violin part per
  track, a quarter note per beat, each part a random walk by steps of one or two semitones
  from its own starting pitch in G3-G5, seeded by the part's number: lines that cross and
  meet as in a large ensemble, not all moving together);
- **bars**: a MIDI file of 4 parts and a MusicXML file of 1 part, of 100, 1,000 and 10,000
  bars each (music21 builds its objects for MusicXML at about 0.5 ms a note on this machine, so
  the MusicXML sweep has one part).

Each command runs in a fresh process (``python -m partita.cli ... --max-parts 0 --max-bars 0``)
under ``/usr/bin/time``, which gives wall time and peak resident memory. Linear growth shows as
time and memory per part x bar that stay flat while the size grows 100-fold; the "growth"
columns give time(10 x size) / time(size), about 10 for linear and 100 for quadratic work; a
"rules only" column times ``theory_rules.check`` alone on the read score (no start-up, reading
or JSON), in a fresh process.
Timings are wall-clock on a shared CPU; they are reported, never asserted. Results:
``benchmarks/results/resources.json`` and ``.md``, written whole by this script.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from _results import write_results  # benchmarks/ is sys.path[0] when a benchmark runs

ROOT = Path(__file__).resolve().parent.parent
SIZES = (100, 1_000, 10_000)


def write_midi(path: Path, n_parts: int, n_bars: int) -> None:
    import mido

    tpq = 480
    mid = mido.MidiFile(ticks_per_beat=tpq)
    meta = mido.MidiTrack()
    meta.append(mido.MetaMessage("time_signature", numerator=4, denominator=4, time=0))
    meta.append(mido.MetaMessage("set_tempo", tempo=500_000, time=0))
    mid.tracks.append(meta)
    for p in range(n_parts):
        track = mido.MidiTrack()
        track.append(mido.MetaMessage("track_name", name="Violin", time=0))
        channel = p % 16 if p % 16 != 9 else 10
        track.append(mido.Message("program_change", program=40, channel=channel, time=0))
        for pitch in _walk(p, 4 * n_bars):
            track.append(mido.Message("note_on", note=pitch, velocity=80, channel=channel, time=0))
            track.append(mido.Message("note_off", note=pitch, velocity=0, channel=channel, time=tpq))
        mid.tracks.append(track)
    mid.save(str(path))


def _walk(seed: int, n: int) -> list[int]:
    """``n`` pitches: a random walk by 1-2 semitones inside G3-G5 from a start set by ``seed``."""
    import numpy as np

    rng = np.random.default_rng(seed)
    pitch, out = 55 + int(rng.integers(0, 25)), []
    for step in rng.choice([-2, -1, 1, 2], size=n):
        pitch = min(max(pitch + int(step), 55), 79)
        out.append(pitch)
    return out


def write_musicxml(path: Path, n_parts: int, n_bars: int) -> None:
    names = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n<score-partwise version="3.1">\n<part-list>\n')
        for p in range(n_parts):
            fh.write(f'<score-part id="P{p + 1}"><part-name>Violin</part-name></score-part>\n')
        fh.write("</part-list>\n")
        for p in range(n_parts):
            fh.write(f'<part id="P{p + 1}">\n')
            walk = _walk(p, 4 * n_bars)
            for b in range(n_bars):
                fh.write(f'<measure number="{b + 1}">')
                if b == 0:
                    fh.write("<attributes><divisions>1</divisions><time><beats>4</beats>"
                             "<beat-type>4</beat-type></time><clef><sign>G</sign><line>2</line></clef></attributes>")  # fmt: skip
                for i in range(4):
                    pitch = walk[4 * b + i]
                    name = names[pitch % 12]
                    alter = "<alter>1</alter>" if len(name) > 1 else ""
                    fh.write(f"<note><pitch><step>{name[0]}</step>{alter}<octave>{pitch // 12 - 1}</octave></pitch>"
                             "<duration>1</duration><type>quarter</type></note>")  # fmt: skip
                fh.write("</measure>\n")
            fh.write("</part>\n")
        fh.write("</score-partwise>\n")


def measure(args: list[str]) -> dict:
    """Wall seconds and peak RSS (MiB) of ``python -m partita.cli ARGS`` in a fresh process."""
    cmd = ["/usr/bin/time", "-f", "%e %M", sys.executable, "-m", "partita.cli", *args,
           "--max-parts", "0", "--max-bars", "0"]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    last = proc.stderr.strip().splitlines()[-1]
    wall, rss_kb = last.split()
    if proc.returncode not in (0, 1):  # check exits 1 when it finds errors
        raise RuntimeError(f"{' '.join(args)} failed: {proc.stderr[-500:]}")
    return {"wall_s": float(wall), "peak_mib": round(int(rss_kb) / 1024, 1)}


_RULES_ONLY = """
import sys, time
from partita.symbolic.io import read
from partita.symbolic.io.musicxml_parts import Limits
from partita.theory_rules import check
score = read(sys.argv[1], limits=Limits(max_bars=None, max_parts=None))
t = time.perf_counter()
report = check(score, profile="chorale")
print(time.perf_counter() - t, len(report.violations))
"""


def rules_only(path: Path) -> dict:
    """Seconds of :func:`partita.theory_rules.check` alone (no reading, no JSON), in a fresh process."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, "-c", _RULES_ONLY, str(path)], capture_output=True, text=True, env=env, check=True)
    seconds, n = out.stdout.split()
    return {"wall_s": round(float(seconds), 2), "violations": int(n)}


def sweep(kind: str, sizes: tuple[int, ...], tmp: Path) -> list[dict]:
    rows = []
    for n in sizes:
        if kind == "parts (MIDI, 10 bars)":
            n_parts, n_bars, ext = n, 10, ".mid"
        elif kind == "bars (MIDI, 4 parts)":
            n_parts, n_bars, ext = 4, n, ".mid"
        else:
            n_parts, n_bars, ext = 1, n, ".musicxml"
        path = tmp / f"p{n_parts}_b{n_bars}{ext}"
        (write_midi if ext == ".mid" else write_musicxml)(path, n_parts, n_bars)
        row = {"parts": n_parts, "bars": n_bars, "notes": 4 * n_parts * n_bars, "file_mib": round(path.stat().st_size / 2**20, 2)}
        for command in ("info", "check"):
            got = measure([command, str(path), "--json"] if command == "info" else [command, str(path), "--json", "--profile", "chorale"])
            row[command] = got
            row[command]["us_per_part_bar"] = round(1e6 * got["wall_s"] / (n_parts * n_bars), 1)
        row["rules_only"] = rules_only(path)
        print(json.dumps(row), flush=True)
        rows.append(row)
    for a, b in zip(rows, rows[1:]):
        for command in ("info", "check", "rules_only"):
            b[command]["growth_vs_previous"] = round(b[command]["wall_s"] / max(a[command]["wall_s"], 1e-9), 2)
    return rows


def to_markdown(result: dict) -> list[str]:
    lines = [
        "Wall time and peak resident memory of a fresh `python -m partita.cli` process "
        "(`/usr/bin/time`), Python start and imports included.",
        "",
    ]
    for kind, rows in result["sweeps"].items():
        lines += [f"## {kind}", "", "| parts | bars | notes | info s | info MiB | info growth | check s | check MiB | check growth | rules only s | rules growth |",
                  "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]  # fmt: skip
        for r in rows:
            lines.append(
                f"| {r['parts']:,} | {r['bars']:,} | {r['notes']:,} | {r['info']['wall_s']:.2f} | {r['info']['peak_mib']:.0f} "
                f"| {r['info'].get('growth_vs_previous', '')} | {r['check']['wall_s']:.2f} | {r['check']['peak_mib']:.0f} "
                f"| {r['check'].get('growth_vs_previous', '')} | {r['rules_only']['wall_s']:.2f} "
                f"| {r['rules_only'].get('growth_vs_previous', '')} |"
            )
        lines.append("")
    lines.append("Growth: wall time over the previous row's, for 10 times the size (10: linear, 100: quadratic). "
                 "`info` and `check` are whole commands (start, imports, reading, JSON output); \"rules only\" is "
                 "`theory_rules.check` on the read score, timed inside a fresh process. MusicXML is parsed by "
                 "music21's importer as `symbolic/io/musicxml_m21.py` runs it, without the walk over the part's "
                 "earlier measures that music21 makes at every measure it inserts (quadratic in the bars of a part).")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="sizes 100 and 1,000 only (not committed)")
    args = parser.parse_args()
    sizes = SIZES[:2] if args.quick else SIZES
    with tempfile.TemporaryDirectory(prefix="partita-bench-") as tmp:
        sweeps = {kind: sweep(kind, sizes, Path(tmp))
                  for kind in ("parts (MIDI, 10 bars)", "bars (MIDI, 4 parts)", "bars (MusicXML, 1 part)")}  # fmt: skip
    result = {"sweeps": sweeps}
    if args.quick:
        print("\n".join(to_markdown(result)))
        return 0
    write_results("resources", result, to_markdown(result), title="Resources of `info` and `check` as scores grow")
    print("\n".join(to_markdown(result)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
