"""Two versions of partita rendering the same MIDI, side by side: a git commit (``--base``)
against the working tree, whole process against whole process, each round beside the fluidsynth
CLI on the same MIDI.

Why a second render benchmark: on the shared hosts this project runs on, the same code's time
moves by 10-25 % from one hour to the next (``docs/render.md``, "Session 20" and "Session 22"),
more than most changes to the render. ``bench_render_stems.py`` gives the targets' rows, best
of three at one hour; a change is measured here, old and new interleaved in every round (their
order swapped each round), so that both meet the same hour.

* The score: ``bench_render_stems.build_score()`` (3.5 minutes, 8 parts), written as MIDI.
* ``base``: the commit's tracked files (``git archive``), arranged as the editable install
  arranges the working tree (``pyproject.toml``'s ``package-dir``: a folder of links), its
  kernels built ahead of time and its bytecode compiled, as ``scripts/setup.sh`` leaves an
  installation; run as ``python -m partita`` with that folder first on ``PYTHONPATH``.
* ``new``: the working tree, as installed (``.venv``).
* Each round: ``fluidsynth -ni -q -r 48000 -F out.wav FluidR3_GM.sf2 score.mid``, then
  ``partita render score.mid -o OUT --quiet [--jobs N]`` by base and by new. Wall time by the
  clock around the process, CPU time (user + system) from ``getrusage`` of the children. The
  first round also compares the two versions' stems (sha256).

Usage::

    .venv/bin/python benchmarks/bench_render_ab.py --base REF [--rounds 8] [--jobs N]

writes ``benchmarks/results/render_ab.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

from _results import write_results  # benchmarks/ is sys.path[0] when a benchmark runs
from bench_render_stems import SF2, build_score, timed, within_rounds

ROOT = Path(__file__).resolve().parents[1]


def _base_install(ref: str, work: Path) -> tuple[Path, str]:
    """The commit's tree under ``work/tree`` and its package folder (links, as the editable
    install maps the tree) under ``work/pkg``: kernels built, bytecode compiled. Returns the
    folder for ``PYTHONPATH`` and the full commit id."""
    commit = subprocess.run(["git", "rev-parse", "--verify", f"{ref}^{{commit}}"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout.strip()  # fmt: skip
    tree = work / "tree"
    tree.mkdir()
    archive = subprocess.run(["git", "archive", commit], cwd=ROOT, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    dirs = tomllib.loads((tree / "pyproject.toml").read_text())["tool"]["setuptools"]["package-dir"]
    pkg = work / "pkg"
    top = pkg / "partita"
    top.mkdir(parents=True)
    for entry in (tree / dirs["partita"]).iterdir():  # the top package's own files and folders
        (top / entry.name).symlink_to(entry)
    for name, folder in dirs.items():  # sub-packages kept in folders of their own
        parts = name.split(".")
        if len(parts) == 2 and folder != f"partita/{parts[1]}":
            (top / parts[1]).unlink(missing_ok=True)
            (top / parts[1]).symlink_to(tree / folder)
    env = {"PYTHONPATH": str(pkg)}
    found = _run([sys.executable, "-c", "import partita; print(partita.__file__)"], env, capture=True).strip()
    if not found.startswith(str(pkg)):
        raise SystemExit(f"the base's partita did not import from {pkg}: {found}")
    _run([sys.executable, "-m", "partita.render.aot"], env)
    _run([sys.executable, "-m", "compileall", "-q", "-j", "0", str(top), *(str(tree / f) for f in set(dirs.values()))], env)
    return pkg, commit


def _run(cmd: list[str], env: dict[str, str] | None = None, *, capture: bool = False) -> str:
    full = {**os.environ, **(env or {})}
    r = subprocess.run(cmd, env=full, check=True, capture_output=True, text=True, cwd=tempfile.gettempdir())
    return r.stdout if capture else ""


def _stems_sha(out: Path) -> list[str]:
    return [hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((out / "stems").glob("*.wav"))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base", required=True, help="the git commit (or any ref) to measure the working tree against")
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--jobs", type=int, default=None, help="partita's --jobs (default: its default, one per core)")
    args = ap.parse_args()
    from partita.symbolic.io import write

    with tempfile.TemporaryDirectory(prefix="partita-ab-") as tmp:
        work = Path(tmp)
        midi = work / "score.mid"
        write(build_score(), midi)
        pkg, base_commit = _base_install(args.base, work)
        jobs = ["--jobs", str(args.jobs)] if args.jobs else []
        runs = {
            "base": ([sys.executable, "-m", "partita"], {"PYTHONPATH": str(pkg)}),
            "new": ([str(ROOT / ".venv" / "bin" / "partita")], {}),
        }
        times: dict[str, list[tuple[float, float]]] = {"fluidsynth": [], "base": [], "new": []}
        same = None
        for r in range(args.rounds):
            times["fluidsynth"].append(timed(["fluidsynth", "-ni", "-q", "-r", "48000", "-F", str(work / "fluid.wav"), str(SF2),
                                              str(midi)]))  # fmt: skip
            for name in (["base", "new"] if r % 2 == 0 else ["new", "base"]):
                out = work / f"out-{name}"
                shutil.rmtree(out, ignore_errors=True)
                prog, env = runs[name]
                times[name].append(timed([*prog, "render", str(midi), "-o", str(out), "--quiet", *jobs], env))
            if r == 0:
                same = _stems_sha(work / "out-base") == _stems_sha(work / "out-new")
    med = {k: {"wall_s": statistics.median(w for w, _ in v), "cpu_s": statistics.median(c for _, c in v),
               "best_wall_s": min(w for w, _ in v)} for k, v in times.items()}  # fmt: skip
    fs = [w for w, _ in times["fluidsynth"]]
    ratio = {k: within_rounds([w for w, _ in times[k]], fs)["median"] for k in ("base", "new")}
    new_over_base = [n[0] / b[0] for n, b in zip(times["new"], times["base"])]
    result = {
        "base_commit": base_commit,
        "rounds": args.rounds,
        "jobs": args.jobs or "default",
        "stems_same_bits": same,
        "median": med,
        "median_ratio_to_fluidsynth": ratio,
        "new_over_base_wall": {"median": statistics.median(new_over_base), "min": min(new_over_base), "max": max(new_over_base)},
        "rounds_s": {k: [[round(w, 3), round(c, 3)] for w, c in v] for k, v in times.items()},
    }
    md = [
        f"Base: commit {base_commit}; new: the working tree (the commit below). {args.rounds} rounds; in each, "
        "fluidsynth (`fluidsynth -ni -q -r 48000 -F out.wav FluidR3_GM.sf2 score.mid`), then `partita render "
        f"score.mid -o OUT --quiet{' --jobs ' + str(args.jobs) if args.jobs else ''}` by each version, their order "
        "swapped every round. Medians over the rounds; the ratio to fluidsynth is taken within each round. "
        f"The two versions' stems, first round: {'the same bits' if same else 'differ'}.",
        "",
        "| process | wall s (median) | best wall s | CPU s (median) | / fluidsynth (median of rounds) |",
        "|---|---|---|---|---|",
    ]
    for k in ("fluidsynth", "base", "new"):
        r_ = "1.00" if k == "fluidsynth" else f"{ratio[k]:.3f}"
        md.append(f"| {k} | {med[k]['wall_s']:.3f} | {med[k]['best_wall_s']:.3f} | {med[k]['cpu_s']:.3f} | {r_} |")
    nb = result["new_over_base_wall"]
    md += ["", f"New against base, wall time within each round: median {nb['median']:.3f} (range {nb['min']:.3f}-{nb['max']:.3f})."]
    write_results("render_ab", result, md, title="Two versions of partita rendering the 8-part benchmark MIDI, side by side")
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
