"""Originality and style similarity: reference profiles, the similarity calibration, and the
originality of pieces composed by the shipped weights.

Needs the parsed corpus cache (``python -m partita.symbolic.composer.corpus --corpus
music21:all --workers 2``, into data/composer, git-ignored) and, for ``--originality``, the
shipped n-gram index (``python -m partita.symbolic.composer.originality build``).

    .venv/bin/python benchmarks/bench_originality.py --profiles [--only NAME,...]  # -> symbolic/composer/styles/*.json
    .venv/bin/python benchmarks/bench_originality.py --compose N     # -> data/bench_originality/*.json (scores)
    .venv/bin/python benchmarks/bench_originality.py --calibrate     # -> results/similarity_calibration.{json,md}
    .venv/bin/python benchmarks/bench_originality.py --originality   # -> results/originality.{json,md}

Calibration: ``--draws`` bootstrap draws (default 1,000) per condition. Each draw picks
pieces with replacement from two pools and measures
:func:`partita.symbolic.composer.similarity.feature_overlaps` between their profile rows:
``set`` draws take ``--set-size`` pieces a side; ``piece`` draws take one piece against
``--set-size`` reference pieces (what ``partita compose`` records). Pools: Bach chorales split
in two halves by a hash of the piece id; Bach against the string quartets (Haydn, Mozart,
Beethoven) and against the fiddle tunes (Ryan's); fiddle tunes split in halves; the pieces
composed by ``--compose`` against their training style.

Originality: every composed piece checked against the shipped index; the longest shared
melodic and harmonic passage per piece, their distribution, every flagged piece with advice;
the time of each check (index loaded once, and the one-off load), and the index's sizes.
Timings are wall-clock on a shared CPU, reported with the load, never asserted.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
COMPOSED = ROOT / "data" / "bench_originality"
UNTRAINED = ROOT / "data" / "bench_originality_untrained"
PROMPTS = (("chorale", "a chorale for satb choir"), ("folk", "a folk tune for folk band"),
           ("classical", "a classical piece for string quartet"), ("jig", "a lively jig"),
           ("waltz", "a gentle waltz for string quartet"))  # fmt: skip


def _meta(command: str) -> dict:
    from partita.symbolic.composer.weights_info import shipped_sha256

    commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    return {"command": command, "git_commit": commit, "machine": platform.platform(), "cpus": os.cpu_count(),
            "loadavg_start": list(os.getloadavg()), "composer_weights_sha256": shipped_sha256()}  # fmt: skip


def _write(name: str, res: dict, md: str | None) -> None:
    from partita._fileio import atomic_write_text

    res["loadavg_end"] = list(os.getloadavg())
    atomic_write_text(RESULTS / f"{name}.json", json.dumps(res, indent=1, sort_keys=True) + "\n")
    if md is not None:
        atomic_write_text(RESULTS / f"{name}.md", md)


def _pool(collections: list[str], data_dir: str) -> list[tuple[str, object]]:
    from partita.symbolic.composer.corpus import cached_scores
    from partita.symbolic.score import Score

    out = []
    for _, piece, d in cached_scores(data_dir, collections_=collections):
        try:
            out.append((piece, Score.from_dict(d)))
        except Exception:  # noqa: BLE001 - a cached piece that no longer validates is left out
            continue
    return out


def build_profiles(data_dir: str, max_rows: int, only: list[str] | None = None) -> dict:
    from partita.symbolic.composer.profile import profile_scores
    from partita.symbolic.composer.styles import _table

    made = {}
    for name, entry in _table()["profiles"].items():
        if only and name not in only:
            continue
        pool = _pool(entry["collections"], data_dir)
        prof = profile_scores([s for _, s in pool], label=name, max_rows=max_rows)
        path = ROOT / "symbolic" / "composer" / "styles" / f"{name}.json"
        prof.save(path)
        made[name] = {"pieces": prof.n_pieces, "notes": prof.n_notes, "bytes": path.stat().st_size}
        print(name, made[name], file=sys.stderr)
    return made


def compose_pieces(n: int, seconds: float, *, untrained: bool = False) -> dict:
    """``n`` pieces from the shipped weights (genres in turn), or with ``untrained`` ``n``
    chorales from the random-weight test checkpoint (tests/data/composer_tiny.safetensors):
    the same masks and plans, no learning."""
    from partita.symbolic.composer.planner import plan
    from partita.symbolic.composer.sample import compose, load_model

    folder = UNTRAINED if untrained else COMPOSED
    folder.mkdir(parents=True, exist_ok=True)
    model = load_model(str(ROOT / "tests" / "data" / "composer_tiny.safetensors") if untrained else None)
    times = []
    for i in range(n):
        genre, prompt = PROMPTS[0] if untrained else PROMPTS[i % len(PROMPTS)]
        path = folder / f"{i:03d}_{genre}.json"
        if path.exists():
            continue
        t = time.perf_counter()
        p = plan(prompt, duration_s=seconds, seed=i)
        s = compose(p, seed=i, model=model)
        times.append(time.perf_counter() - t)
        path.write_text(json.dumps({"genre": genre, "prompt": prompt, "seed": i, "score": s.to_dict()}))
        print(f"composed {path.name} in {times[-1]:.1f} s", file=sys.stderr)
    return {"n": n, "seconds": seconds, "compose_s": times}


def composed(folder: Path = COMPOSED) -> list[dict]:
    from partita.symbolic.score import Score

    out = []
    for f in sorted(folder.glob("*.json")):
        d = json.loads(f.read_text())
        d["score"] = Score.from_dict(d["score"])
        d["name"] = f.stem
        out.append(d)
    return out


def _half(piece: str) -> int:
    return int(hashlib.sha256(piece.encode()).hexdigest()[:8], 16) % 2


def calibrate(data_dir: str, draws: int, set_size: int, seed: int) -> dict:
    from partita.symbolic.composer.profile import score_rows
    from partita.symbolic.composer.similarity import feature_overlaps

    def rows_of(items):
        return [{k: np.asarray(v) for k, v in score_rows(s).items() if v} for s in items]

    bach = _pool(["bach"], data_dir)
    fiddle = _pool(["ryans"], data_dir)
    quartets = _pool(["haydn", "mozart", "beethoven"], data_dir)
    comp = composed()
    pools = {
        "bach_half_1": rows_of(s for p, s in bach if _half(p) == 0),
        "bach_half_2": rows_of(s for p, s in bach if _half(p) == 1),
        "fiddle_half_1": rows_of(s for p, s in fiddle if _half(p) == 0),
        "fiddle_half_2": rows_of(s for p, s in fiddle if _half(p) == 1),
        "quartets": rows_of(s for _, s in quartets),
        "bach": rows_of(s for _, s in bach),
        "fiddle": rows_of(s for _, s in fiddle),
        "composed_chorales": rows_of(d["score"] for d in comp if d["genre"] == "chorale"),
        "composed_folk": rows_of(d["score"] for d in comp if d["genre"] in ("folk", "jig")),
        "untrained_chorales": rows_of(d["score"] for d in composed(UNTRAINED)),
    }
    conditions = [
        ("two halves of one composer's set (Bach chorales)", "bach_half_1", "bach_half_2"),
        ("two halves of one collection (Ryan's fiddle tunes)", "fiddle_half_1", "fiddle_half_2"),
        ("two composers: Haydn/Mozart/Beethoven quartets vs Bach chorales", "quartets", "bach"),
        ("two styles: Ryan's fiddle tunes vs Bach chorales", "fiddle", "bach"),
        ("composer output (shipped weights, chorale plans) vs Bach chorales", "composed_chorales", "bach"),
        ("composer output (shipped weights, folk and jig plans) vs Ryan's fiddle tunes", "composed_folk", "fiddle"),
        ("composer output (shipped weights, chorale plans) vs Ryan's fiddle tunes", "composed_chorales", "fiddle"),
        ("untrained composer (random weights, same masks, chorale plans) vs Bach chorales", "untrained_chorales", "bach"),
    ]
    rng = np.random.default_rng(seed)
    out = {"pools": {k: len(v) for k, v in pools.items()}, "conditions": []}

    def merged(rows):
        keys = set().union(*(r.keys() for r in rows))
        return {k: np.concatenate([r[k] for r in rows if k in r]) for k in keys}

    for label, a, b in conditions:
        if len(pools[a]) < 2 or len(pools[b]) < 2:
            out["conditions"].append({"condition": label, "a": a, "b": b, "skipped": "pool too small"})
            continue
        for mode in ("piece", "set"):
            t = time.perf_counter()
            scores, feats = [], {}
            for d in range(draws):
                na = 1 if mode == "piece" else set_size
                ra = merged([pools[a][i] for i in rng.integers(0, len(pools[a]), na)])
                rb = merged([pools[b][i] for i in rng.integers(0, len(pools[b]), set_size)])
                f, _ = feature_overlaps(ra, rb, seed=d)
                scores.append(float(np.mean(list(f.values()))))
                for k, v in f.items():
                    feats.setdefault(k, []).append(v)
            s = np.array(scores)
            row = {"condition": label, "a": a, "b": b, "mode": mode, "a_pieces": 1 if mode == "piece" else set_size,
                   "b_pieces": set_size, "draws": draws, "mean": float(s.mean()), "sd": float(s.std()),
                   "p05": float(np.percentile(s, 5)), "p50": float(np.median(s)), "p95": float(np.percentile(s, 95)),
                   "features": {k: float(np.mean(v)) for k, v in sorted(feats.items())},
                   "seconds": round(time.perf_counter() - t, 1)}  # fmt: skip
            out["conditions"].append(row)
            print(f"{label} [{mode}]: {row['mean']:.3f} +- {row['sd']:.3f} ({row['seconds']} s)", file=sys.stderr)
    return out


def calibration_md(res: dict) -> str:
    lines = ["# Style similarity: reference values (bootstrap calibration)", "",
             f"Command: `{res['command']}`  ", f"Commit {res['git_commit'][:12]}, {res['machine']}, load "
             f"{res['loadavg_start'][0]:.1f} at the start. Raw figures: `similarity_calibration.json`.", "",
             "Each row: `draws` bootstrap draws of pieces (with replacement) from pool A and pool B, "
             "`partita.symbolic.composer.similarity.feature_overlaps` between their rows, the mean over "
             "the features as the score. `piece`: one piece of A against a set of B (what `partita compose` "
             "records); `set`: a set against a set.", "",
             "| condition | A vs B pieces | mean | sd | 5 % | median | 95 % |", "| --- | --- | ---: | ---: | ---: | ---: | ---: |"]  # fmt: skip
    for r in res["conditions"]:
        if "skipped" in r:
            lines.append(f"| {r['condition']} | - | skipped: {r['skipped']} | | | | |")
            continue
        lines.append(f"| {r['condition']} | {r['a_pieces']} vs {r['b_pieces']} | {r['mean']:.3f} | {r['sd']:.3f} | "
                     f"{r['p05']:.3f} | {r['p50']:.3f} | {r['p95']:.3f} |")
    lines += ["", f"Pools (pieces): " + ", ".join(f"{k} {v}" for k, v in res["pools"].items()), ""]
    return "\n".join(lines)


def originality(threshold_advice: bool = True) -> dict:
    import resource
    import tracemalloc

    from partita.symbolic.composer.ngrams import NgramIndex
    from partita.symbolic.composer.originality import CORPUS_INDEX_FILE, check_originality, corpus_index, corpus_index_info

    path = ROOT / "symbolic" / "composer" / "weights" / CORPUS_INDEX_FILE
    tracemalloc.start()
    t = time.perf_counter()
    NgramIndex.load(path)
    load_s = time.perf_counter() - t
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    idx = corpus_index()
    rows, times = [], []
    for d in composed():
        t = time.perf_counter()
        rep = check_originality(d["score"])
        times.append(time.perf_counter() - t)
        lm, lh = rep.longest_melody, rep.longest_harmony
        row = {"piece": d["name"], "genre": d["genre"], "seed": d["seed"], "bars": d["score"].n_bars,
               "notes": sum(len(p.notes) for p in d["score"].parts), "verdict": rep.verdict,
               "longest_melody_notes": lm.length if lm else 0, "longest_melody": lm.describe() if lm else None,
               "longest_harmony_chords": lh.length if lh else 0, "longest_harmony": lh.describe() if lh else None,
               "flagged": [m.describe() for m in rep.flagged], "check_s": round(times[-1], 3)}  # fmt: skip
        if rep.flagged:
            row["advice"] = ("compose again with another seed, or regenerate the flagged bars "
                             "(" + ", ".join(f"{m.part or 'all parts'} bars {m.bars[0]}-{m.bars[1]}" for m in rep.flagged) + ") "
                             "so they are written anew")  # fmt: skip
        rows.append(row)
    lm = np.array([r["longest_melody_notes"] for r in rows])
    lh = np.array([r["longest_harmony_chords"] for r in rows])
    info = corpus_index_info()
    return {"pieces": rows, "n_pieces": len(rows), "n_flagged": sum(r["verdict"] == "flagged" for r in rows),
            "longest_melody_notes": {"median": float(np.median(lm)), "p90": float(np.percentile(lm, 90)), "max": int(lm.max()),
                                     "histogram": {str(k): int(v) for k, v in zip(*np.unique(lm, return_counts=True))}},
            "longest_harmony_chords": {"median": float(np.median(lh)), "p90": float(np.percentile(lh, 90)), "max": int(lh.max()),
                                       "histogram": {str(k): int(v) for k, v in zip(*np.unique(lh, return_counts=True))}},
            "check_s": {"median": float(np.median(times)), "max": float(np.max(times))},
            "index": {"file_bytes": path.stat().st_size, "arrays_bytes_in_memory": idx.nbytes,
                      "load_s": round(load_s, 3), "load_peak_python_bytes": peak,
                      "process_max_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                      "n_pieces": len(idx.pieces), "collections": info.get("collections"),
                      "melody_windows": int(len(idx.melody.hash)), "harmony_windows": int(len(idx.harmony.hash))},
            "thresholds": info.get("thresholds")}  # fmt: skip


def originality_md(res: dict) -> str:
    ix = res["index"]
    lines = ["# Originality of composed pieces against the training corpus", "",
             f"Command: `{res['command']}`  ", f"Commit {res['git_commit'][:12]}, {res['machine']}, load "
             f"{res['loadavg_start'][0]:.1f} at the start. Raw figures: `originality.json`.", "",
             f"{res['n_pieces']} pieces composed by the shipped weights (sha256 {res['composer_weights_sha256'][:12]}...), "
             f"{res['n_flagged']} flagged.", "",
             "| | median | 90 % | max |", "| --- | ---: | ---: | ---: |",
             f"| longest shared melody (notes) | {res['longest_melody_notes']['median']:g} | {res['longest_melody_notes']['p90']:g} | {res['longest_melody_notes']['max']} |",
             f"| longest shared chord sequence (chords) | {res['longest_harmony_chords']['median']:g} | {res['longest_harmony_chords']['p90']:g} | {res['longest_harmony_chords']['max']} |",
             f"| check time per piece (s, index loaded) | {res['check_s']['median']:.3f} | | {res['check_s']['max']:.3f} |", "",
             "Distribution of the longest shared melody (notes: pieces): " + ", ".join(f"{k}: {v}" for k, v in res["longest_melody_notes"]["histogram"].items()), "",
             f"Index: {ix['n_pieces']} pieces ({', '.join(f'{k} {v}' for k, v in (ix['collections'] or {}).items())}); "
             f"{ix['file_bytes'] / 1e6:.2f} MB on disk, {ix['arrays_bytes_in_memory'] / 1e6:.2f} MB of arrays in memory, "
             f"loaded in {ix['load_s']:.2f} s; {ix['melody_windows']} melodic and {ix['harmony_windows']} harmonic windows.", "",
             "## Flagged pieces", ""]  # fmt: skip
    flagged = [r for r in res["pieces"] if r["verdict"] == "flagged"]
    if not flagged:
        lines.append("None.")
    for r in flagged:
        lines.append(f"- {r['piece']} ({r['genre']}, seed {r['seed']}): " + "; ".join(r["flagged"]) + f". Advice: {r['advice']}.")
    lines += ["", "## Every piece", "", "| piece | bars | notes | longest melody | longest harmony | verdict |",
              "| --- | ---: | ---: | --- | --- | --- |"]  # fmt: skip
    for r in res["pieces"]:
        lines.append(f"| {r['piece']} | {r['bars']} | {r['notes']} | {r['longest_melody'] or '-'} | "
                     f"{r['longest_harmony'] or '-'} | {r['verdict']} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", default=str(ROOT / "data" / "composer"))
    ap.add_argument("--profiles", action="store_true")
    ap.add_argument("--max-rows", type=int, default=128)
    ap.add_argument("--only", default=None, help="with --profiles: these profiles (comma-separated) only")
    ap.add_argument("--compose", type=int, default=0, metavar="N")
    ap.add_argument("--compose-untrained", type=int, default=0, metavar="N")
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--calibrate", action="store_true")
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--set-size", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--originality", action="store_true")
    a = ap.parse_args(argv)
    command = "OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_originality.py " + " ".join(argv if argv is not None else sys.argv[1:])
    if a.profiles:
        print(json.dumps(build_profiles(a.data_dir, a.max_rows, a.only.split(",") if a.only else None)))
    if a.compose:
        print(json.dumps(compose_pieces(a.compose, a.seconds)))
    if a.compose_untrained:
        print(json.dumps(compose_pieces(a.compose_untrained, a.seconds, untrained=True)))
    if a.calibrate:
        res = {**_meta(command), "draws": a.draws, "set_size": a.set_size, "seed": a.seed,
               **calibrate(a.data_dir, a.draws, a.set_size, a.seed)}  # fmt: skip
        _write("similarity_calibration", res, calibration_md(res))
    if a.originality:
        res = {**_meta(command), **originality()}
        _write("originality", res, originality_md(res))
        print(originality_md(res)[:3000])
    return 0


if __name__ == "__main__":
    sys.exit(main())
