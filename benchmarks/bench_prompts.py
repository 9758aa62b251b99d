"""Prompt benchmark (issue 11): the planner on everyday prompts, against what a musician
expects (benchmarks/data/prompts.toml: style, meter, instruments). A prompt is fully right
when all three match (instruments as a multiset of catalog ids).

    .venv/bin/python benchmarks/bench_prompts.py

writes benchmarks/results/prompts.json and prompts.md (whole, with command, commit, machine
and load).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
import tomllib
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    from partita._fileio import atomic_write_text
    from partita.symbolic.composer.planner import plan

    cases = tomllib.loads((HERE / "data" / "prompts.toml").read_text("utf-8"))["prompt"]
    rows = []
    t0 = time.perf_counter()
    for c in cases:
        p = plan(c["text"], seed=0)
        got = sorted(x.instrument for x in p.instrumentation)
        ok_i = Counter(got) == Counter(c["instruments"])
        ok_m = list(p.meter) == c["meter"]
        ok_s = p.genre == c["style"]
        rows.append({"prompt": c["text"], "style": p.genre, "meter": list(p.meter), "instruments": got,
                     "expected": {"style": c["style"], "meter": c["meter"], "instruments": sorted(c["instruments"])},
                     "instruments_ok": ok_i, "meter_ok": ok_m, "style_ok": ok_s, "right": ok_i and ok_m and ok_s,
                     "unknown_words": list(p.unknown_words), "notes": list(p.notes)})  # fmt: skip
    seconds = time.perf_counter() - t0
    n = len(rows)
    right = sum(r["right"] for r in rows)
    commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=HERE).stdout.strip()
    meta = {"command": "python benchmarks/bench_prompts.py", "commit": commit, "machine": platform.platform(),
            "cpu_count": os.cpu_count(), "load_average": list(os.getloadavg())}  # fmt: skip
    result = {**meta, "n_prompts": n, "fully_right": right, "share_right": right / n,
              "instruments_right": sum(r["instruments_ok"] for r in rows), "meter_right": sum(r["meter_ok"] for r in rows),
              "style_right": sum(r["style_ok"] for r in rows), "seconds": seconds, "rows": rows}  # fmt: skip
    out = HERE / "results"
    atomic_write_text(out / "prompts.json", json.dumps(result, indent=1) + "\n")
    lines = [
        "# Prompt benchmark (issue 11)", "",
        f"`{meta['command']}` at commit `{commit}` on {meta['machine']}, load {meta['load_average']}.", "",
        f"**{right}/{n} fully right ({100 * right / n:.1f} %)**: instruments {result['instruments_right']}/{n}, "
        f"meter {result['meter_right']}/{n}, style {result['style_right']}/{n}; {seconds:.2f} s for all.", "",
        "## Misses", "",
    ]  # fmt: skip
    misses = [r for r in rows if not r["right"]]
    for r in misses:
        lines.append(f"- \"{r['prompt']}\": got {r['style']} {r['meter']} {r['instruments']}; "
                     f"expected {r['expected']['style']} {r['expected']['meter']} {r['expected']['instruments']}")
    if not misses:
        lines.append("none")
    lines += ["", "## Rules applied (from the plans' notes)", ""]
    lines += [f"- \"{r['prompt']}\": {'; '.join(r['notes'])}" for r in rows if r["notes"]]
    atomic_write_text(out / "prompts.md", "\n".join(lines) + "\n")
    print("\n".join(lines[:6]))
    for r in misses:
        print("MISS", r["prompt"], r["style"], r["meter"], r["instruments"], "expected", r["expected"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
