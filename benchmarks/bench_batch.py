"""``partita batch render`` with 1 and 2 Dask workers on 40 scores, and a fault run.

The scores: the MuseScore 3 demos found on this machine (``/usr/share/mscore3*/demos``) and
music21 corpus pieces (Bach chorales first) up to 40, each cut to its first ``--bars`` bars (an
excerpt, so the run fits a shared machine) and written as MusicXML. Each run renders the same
excerpts into a fresh folder on a LocalCluster started before the clock starts (the workers'
start-up is reported on its own). Reported: wall time, items per minute, speed-up of 2 workers
over 1, the peak resident memory of each worker process, and whether the two datasets are
bit-identical. The fault run kills one worker process by its pid after the first item is done
(its nanny starts a new one; Dask reschedules its task) and compares every hash with the clean
run; then it kills the whole batch (the client process) mid-run, runs it again, and counts the
items the restart made.

    nice .venv/bin/python benchmarks/bench_batch.py [--n 40] [--bars 8] [--sample-rate 22050]

Writes ``benchmarks/results/batch.json`` and ``batch.md``.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def excerpts(folder: Path, n: int, bars: int) -> list[dict]:
    """Up to ``n`` excerpts (MuseScore demos first, then music21 corpus pieces) as MusicXML."""
    import music21

    from partita.errors import PartitaError
    from partita.symbolic import io as sio
    from partita.symbolic.edits import slice_bars

    candidates = sorted(glob.glob("/usr/share/mscore3*/demos/*.msc[xz]"))
    candidates += [str(p) for p in music21.corpus.getComposer("bach")[:80]]
    candidates += [str(p) for p in music21.corpus.getComposer("mozart")[:20]]
    out = []
    for path in candidates:
        if len(out) >= n:
            break
        try:
            score = sio.read(path)
            if score.n_bars < 2 or not any(p.notes for p in score.parts):
                continue
            cut = slice_bars(score, 1, min(bars, score.n_bars))
            target = folder / f"{len(out):02d}_{Path(path).stem}.musicxml"
            sio.write(cut, target)
        except (PartitaError, OSError) as exc:
            print(f"skipped {path}: {exc}", file=sys.stderr)
            continue
        out.append({"source": path.replace(str(Path(music21.__file__).parent), "music21"), "file": target.name,
                    "parts": len(cut.parts), "seconds": round(cut.duration_seconds, 2)})  # fmt: skip
    return out


def _rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _cpu_s() -> float:
    """CPU time (user + system) of this worker process so far."""
    import resource

    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def _warm(score_file: str, key_dir: str, sr: int) -> float:
    """One untimed render in a worker (its imports, music21's first parse, the numba kernels and
    the decoders loaded once per process), so the timed batch measures the steady state. Returns
    the seconds it took."""
    import tempfile as _tempfile

    from partita.pipeline import master_folder
    from partita.render.settings import RenderSettings
    from partita.symbolic import io as sio

    t0 = time.perf_counter()
    with _tempfile.TemporaryDirectory() as d:
        master_folder(Path(d) / "warm", sio.read(score_file), record={}, render_settings=RenderSettings(sample_rate=sr),
                      key_dir=key_dir, workers=1, c2pa=False)  # fmt: skip
    return time.perf_counter() - t0


def _hashes(out: Path) -> dict[str, str]:
    found = {}
    for item in sorted((out / "items").glob("*/item.json")):
        for rel, digest in json.loads(item.read_text())["files"].items():
            found[f"{item.parent.name}/{rel}"] = digest
    return found


def timed_run(src: Path, out: Path, *, workers: int, sr: int, keys: Path, kill_after_first: bool = False) -> dict:
    from partita._engine import Engine
    from partita.batch import render_batch

    t0 = time.perf_counter()
    eng = Engine(workers=workers)
    eng.start()
    try:
        eng.client.wait_for_workers(workers)
        first = str(sorted(src.glob("*.musicxml"))[0])
        warm = eng.client.run(_warm, first, str(keys), sr)
        startup = time.perf_counter() - t0
        killed = None
        if kill_after_first:
            pids = sorted(eng.client.run(os.getpid).values())

            def killer() -> None:
                nonlocal killed
                while not list((out / "items").glob("*/item.json")):
                    time.sleep(0.01)
                os.kill(pids[0], signal.SIGKILL)
                killed = {"pid": pids[0], "items_done_at_kill": len(list((out / "items").glob("*/item.json")))}

            threading.Thread(target=killer, daemon=True).start()
        cpu0 = eng.client.run(_cpu_s)
        t0 = time.perf_counter()
        r = render_batch(src, out, sample_rate=sr, scheduler=eng.scheduler_address, key_dir=keys)
        wall = time.perf_counter() - t0
        rss = sorted(round(v, 1) for v in eng.client.run(_rss_mb).values())
        cpu = sum(v - cpu0.get(k, 0.0) for k, v in eng.client.run(_cpu_s).items())
    finally:
        eng.close()
    audio_s = sum(row["duration_s"] or 0 for row in r.rows if row["duplicate_of"] is None)
    return {"workers": workers, "wall_s": round(wall, 2), "startup_s": round(startup, 2), "done": r.count("done"),
            "failed": r.count("failed"), "items_per_min": round(60 * r.count("done") / wall, 1),
            "audio_s": round(audio_s, 1), "peak_rss_mb_per_worker": rss, "workers_cpu_s": round(cpu, 1),
            "cores_obtained": round(cpu / wall, 2), "warm_up_s": sorted(round(v, 2) for v in warm.values()),
            "end_to_end_s": round(startup + wall, 2), "killed": killed if kill_after_first else None}  # fmt: skip


def restart_run(src: Path, out: Path, *, sr: int, keys: Path) -> dict:
    """The CLI killed (SIGKILL, whole process group) after 5 items, then run again."""
    from partita.batch import render_batch

    cmd = [str(Path(sys.executable).parent / "partita"), "batch", "render", str(src), "-o", str(out),
           "--sample-rate", str(sr), "--workers", "2", "--key-dir", str(keys), "--quiet"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    while len(list((out / "items").glob("*/item.json"))) < 5 and proc.poll() is None:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    time.sleep(2.0)
    done_before = len(list((out / "items").glob("*/item.json")))
    r = render_batch(src, out, sample_rate=sr, workers=2, key_dir=keys)
    return {"items_complete_after_kill": done_before, "items_made_by_restart": len(r.computed), "done": r.count("done")}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=40)
    ap.add_argument("--bars", type=int, default=8)
    ap.add_argument("--sample-rate", type=int, default=22050)
    ap.add_argument("--out", default=str(ROOT / "benchmarks/results/batch"))
    args = ap.parse_args(argv)
    load_start = [round(x, 2) for x in os.getloadavg()]
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    tmp = Path(tempfile.mkdtemp(prefix="partita-bench-batch-"))
    try:
        src, keys = tmp / "src", tmp / "keys"
        src.mkdir()
        pieces = excerpts(src, args.n, args.bars)
        print(f"{len(pieces)} excerpts", file=sys.stderr, flush=True)
        one = timed_run(src, tmp / "one", workers=1, sr=args.sample_rate, keys=keys)
        print(one, file=sys.stderr, flush=True)
        two = timed_run(src, tmp / "two", workers=2, sr=args.sample_rate, keys=keys)
        print(two, file=sys.stderr, flush=True)
        fault = timed_run(src, tmp / "fault", workers=2, sr=args.sample_rate, keys=keys, kill_after_first=True)
        print(fault, file=sys.stderr, flush=True)
        restart = restart_run(src, tmp / "restart", sr=args.sample_rate, keys=keys)
        h1 = _hashes(tmp / "one")
        result = {
            "meta": {
                "command": "nice .venv/bin/python benchmarks/bench_batch.py " + " ".join(argv if argv is not None else sys.argv[1:]),
                "commit": commit, "machine": f"{platform.machine()}, {os.cpu_count()} cores",
                "load_average_start": load_start, "load_average_end": [round(x, 2) for x in os.getloadavg()],
                "sample_rate": args.sample_rate, "bars": args.bars, "excerpts": pieces,
            },
            "one_worker": one, "two_workers": two, "speedup": round(one["wall_s"] / two["wall_s"], 2),
            "speedup_end_to_end": round(one["end_to_end_s"] / two["end_to_end_s"], 2),
            "bit_identical_1_vs_2": h1 == _hashes(tmp / "two") and len(h1) > 0,
            "fault": {**fault, "hashes_equal_clean_run": h1 == _hashes(tmp / "fault")},
            "restart": {**restart, "hashes_equal_clean_run": h1 == _hashes(tmp / "restart")},
        }  # fmt: skip
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out + ".json").write_text(json.dumps(result, indent=1) + "\n")
    m, one, two = result["meta"], result["one_worker"], result["two_workers"]
    lines = [
        "# Batch rendering on Dask: 1 and 2 workers, a killed worker, a killed run", "",
        f"Command: `{m['command']}` at commit {m['commit'][:12]}; {len(m['excerpts'])} excerpts (first {m['bars']} bars "
        f"of MuseScore demos and music21 corpus pieces), {m['sample_rate']} Hz, {one['audio_s']:.0f} s of audio.", "",
        "| | 1 worker | 2 workers |", "|---|---|---|",
        f"| wall time of the batch | {one['wall_s']:.1f} s | {two['wall_s']:.1f} s |",
        f"| items per minute | {one['items_per_min']:.1f} | {two['items_per_min']:.1f} |",
        f"| peak RSS per worker | {', '.join(f'{x:.0f} MB' for x in one['peak_rss_mb_per_worker'])} | "
        f"{', '.join(f'{x:.0f} MB' for x in two['peak_rss_mb_per_worker'])} |",
        f"| CPU time of the workers (user + system) | {one['workers_cpu_s']:.1f} s | {two['workers_cpu_s']:.1f} s |",
        f"| cores the workers obtained (CPU time / wall time) | {one['cores_obtained']:.2f} | {two['cores_obtained']:.2f} |",
        f"| cluster start-up with each worker's warm-up render (not in the wall time) | {one['startup_s']:.1f} s | "
        f"{two['startup_s']:.1f} s |",
        f"| of which the warm-up render, per worker | {', '.join(f'{x:.1f} s' for x in one['warm_up_s'])} | "
        f"{', '.join(f'{x:.1f} s' for x in two['warm_up_s'])} |",
        f"| end to end (start-up + batch) | {one['end_to_end_s']:.1f} s | {two['end_to_end_s']:.1f} s |", "",
        f"Speed-up of 2 workers over 1 on the batch (workers warm): **{result['speedup']:.2f}x** (target 1.7x); "
        f"end to end, a cold cluster's start-up included: {result['speedup_end_to_end']:.2f}x. Datasets "
        f"bit-identical: {result['bit_identical_1_vs_2']}.", "",
        "Each worker renders one excerpt before the clock starts: its first item otherwise carries the process's "
        "one-off costs (imports, music21's first parse, loading the numba kernels and decoders), about 2-3 s that "
        "every worker pays once at the same time, so on a 40-item run they weigh on the speed-up as they would not "
        "on the thousands of items a dataset build has. The end-to-end row keeps them.", "",
        f"Fault run (2 workers, one worker process SIGKILLed after {result['fault']['killed']['items_done_at_kill']} "
        f"items): {result['fault']['done']} done, {result['fault']['failed']} failed, every hash equal to the clean run: "
        f"{result['fault']['hashes_equal_clean_run']} ({result['fault']['wall_s']:.1f} s).", "",
        f"Restart: the CLI killed with its cluster after {result['restart']['items_complete_after_kill']} complete items; the "
        f"rerun made {result['restart']['items_made_by_restart']} items, {result['restart']['done']} done; hashes equal "
        f"the clean run: {result['restart']['hashes_equal_clean_run']}.", "",
        f"{m['machine']}; load average at the start {tuple(m['load_average_start'])}, at the end "
        f"{tuple(m['load_average_end'])}. The row 'cores the workers obtained' shows how much of the machine the "
        "batch got: with other jobs on these two cores a second worker competes with them rather than getting a "
        "free core." + (" The load at the start was above 1, so this speed-up understates the engine's; rerun on a "
                        "quiet machine." if m["load_average_start"][0] > 1.0 else ""), "",
    ]  # fmt: skip
    Path(args.out + ".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
