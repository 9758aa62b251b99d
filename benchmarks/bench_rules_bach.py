"""Bach as the yardstick: the ``chorale`` profile's rate of each rule per 100 notes over the
Bach chorales of the music21 corpus.

Each chorale file is read with music21, turned into a partita Score
(:func:`~partita.symbolic.io.musicxml.score_from_music21`), cut down to its four voices (the parts named Soprano, Alto, Tenor
and Bass; files without all four are skipped and counted, instrumental parts that double the
voices are left out) and checked with the ``chorale`` profile.

The script is resumable and safe to run twice at once: each chorale's result is appended as
one JSON line to a cache file (``--cache``); chorales already in the cache are not checked
again. At the end it writes ``docs/results/bach_rule_rates.json`` and ``.md``.

Usage::

    nice .venv/bin/python benchmarks/bench_rules_bach.py            # every chorale (~15 min)
    .venv/bin/python benchmarks/bench_rules_bach.py --limit 20      # a quick subset
    .venv/bin/python benchmarks/bench_rules_bach.py --report-only   # rebuild the outputs
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VOICES = ("Soprano", "Alto", "Tenor", "Bass")


def check_one(path: Path) -> dict:
    from music21 import corpus

    from partita.symbolic.io.musicxml import score_from_music21
    from partita.theory_rules import check

    t0 = time.perf_counter()
    stream = corpus.parse(str(path))
    score = score_from_music21(stream)
    by_name = {p.name: p for p in score.parts}
    if not all(v in by_name for v in VOICES):
        return {"file": path.name, "skipped": f"parts are {[p.name for p in score.parts]}"}
    score = dataclasses.replace(score, parts=tuple(by_name[v] for v in VOICES))
    t1 = time.perf_counter()
    report = check(score, profile="chorale")
    t2 = time.perf_counter()
    return {
        "file": path.name,
        "n_notes": report.n_notes,
        "n_bars": score.n_bars,
        "counts": dict(report.counts),
        "skipped_rules": [n.rule for n in report.notices],
        "read_s": round(t1 - t0, 3),
        "check_s": round(t2 - t1, 4),
    }


def content_key() -> str:
    """What a cached row depends on: the source of the rules and of the readers that make the
    score they check (theory_rules/, symbolic/score.py, symbolic/io/), and partita's version. A
    change to any of them makes every cached row stale."""
    import hashlib

    from partita._version import __version__

    h = hashlib.sha256(__version__.encode())
    files = sorted((ROOT / "theory_rules").glob("*.py")) + [ROOT / "symbolic/score.py"] + sorted((ROOT / "symbolic/io").glob("*.py"))
    for f in files:
        h.update(f.relative_to(ROOT).as_posix().encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:16]


def load_cache(cache: Path, key: str) -> dict[str, dict]:
    """Rows of the cache made under ``key`` (rows of other rule or reader code are dropped)."""
    done = {}
    if cache.exists():
        for line in cache.read_text().splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut by an interrupted run
            if row.get("key") == key:
                done[row["file"]] = row
    return done


def write_outputs(rows: list[dict], n_files: int, out_stem: Path) -> dict:
    from partita._fileio import atomic_write_text
    from partita.theory_rules import get_profile, rule_class

    checked = [r for r in rows if "counts" in r]
    skipped = [r for r in rows if "skipped" in r]
    errors = [r for r in rows if "error" in r]
    rules = list(get_profile("chorale").rules)
    n_notes = sum(r["n_notes"] for r in checked)
    rates = {}
    for rid in rules:
        runs = [r for r in checked if rid not in r["skipped_rules"]]
        total = sum(r["counts"].get(rid, 0) for r in runs)
        notes = sum(r["n_notes"] for r in runs)
        rates[rid] = {
            "severity": rule_class(rid).default_severity,
            "count": total,
            "per_100_notes": round(100.0 * total / notes, 4) if notes else None,
            "chorales_with_any": sum(1 for r in runs if r["counts"].get(rid, 0) > 0),
            "chorales_checked": len(runs),
        }
    check_s = sorted(r["check_s"] for r in checked)
    summary = {
        "what": "chorale profile on the Bach chorales of the music21 corpus, four voices (S, A, T, B)",
        "command": "nice .venv/bin/python benchmarks/bench_rules_bach.py",
        "files_in_corpus": n_files,
        "files_seen": len(rows),
        "chorales_checked": len(checked),
        "files_skipped_not_satb": len(skipped),
        "files_failed": [{"file": r["file"], "error": r["error"]} for r in errors],
        "n_notes": n_notes,
        "median_check_s": check_s[len(check_s) // 2] if check_s else None,
        "rates": rates,
    }
    atomic_write_text(out_stem.with_suffix(".json"), json.dumps(summary, indent=2) + "\n")
    lines = [
        "# Bach chorales: rule rates per 100 notes",
        "",
        f"{summary['what']}. {len(checked)} chorales checked ({n_notes} notes); "
        f"{len(skipped)} files without all four voices skipped; {len(errors)} files failed to read. "
        f"Files seen: {len(rows)} of {n_files}.",
        "",
        f"Command: `{summary['command']}`",
        "",
        "| rule | severity | violations | per 100 notes | chorales with any |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for rid, r in sorted(rates.items(), key=lambda kv: -(kv[1]["per_100_notes"] or 0)):
        rate = "skipped" if r["per_100_notes"] is None else f"{r['per_100_notes']:.3f}"
        lines.append(
            f"| {rid} | {r['severity']} | {r['count']} | {rate} | {r['chorales_with_any']} / {r['chorales_checked']} |"
        )
    lines.append("")
    lines.append(
        "non-chord-tone needs chord symbols, which the chorales do not carry: it is skipped. "
        "See docs/theory_rules.md for what each rule counts."
    )
    atomic_write_text(out_stem.with_suffix(".md"), "\n".join(lines) + "\n")
    return summary


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cache", type=Path, default=ROOT / "benchmarks/results/rules_bach_cache.jsonl")
    ap.add_argument("--out", type=Path, default=ROOT / "docs/results/bach_rule_rates")
    ap.add_argument("--limit", type=int, default=None, help="check at most this many new files")
    ap.add_argument("--report-only", action="store_true")
    args = ap.parse_args(argv)

    from music21 import corpus

    paths = sorted(Path(p) for p in corpus.getComposer("bach"))
    args.cache.parent.mkdir(parents=True, exist_ok=True)
    key = content_key()
    done = load_cache(args.cache, key)
    todo = [] if args.report_only else [p for p in paths if p.name not in done]
    if args.limit is not None:
        todo = todo[: args.limit]
    with open(args.cache, "a", encoding="utf-8") as fh:
        for i, path in enumerate(todo, 1):
            try:
                row = check_one(path)
            except Exception as exc:  # a file the reader cannot take: recorded, not fatal
                row = {"file": path.name, "error": f"{type(exc).__name__}: {exc}"[:300]}
            row["key"] = key
            fh.write(json.dumps(row) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
            done[path.name] = row
            print(f"[{i}/{len(todo)}] {path.name}: {row.get('n_notes', row.get('skipped') or row.get('error'))}",
                  flush=True)  # fmt: skip
    rows = [done[p.name] for p in paths if p.name in done]
    summary = write_outputs(rows, len(paths), args.out)
    print(json.dumps({k: v for k, v in summary.items() if k != "rates"}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
