"""How every benchmark writes its result files: whole, from the script, saying what made them.

Each result pair ``benchmarks/results/NAME.json`` and ``NAME.md`` is written by
:func:`write_results` in one go (atomically), with a provenance block: the command as run, the
git commit (``-dirty`` when tracked files differ from it), the date, the machine, the load average
when the script started and when it wrote, and the sha256 of the shipped weights it could use
(composer and every instrument decoder). Prose that interprets a result belongs in docs/ and
names the file; nothing here is edited by hand.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any, Sequence

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
#: Load average when this module was imported (the benchmark's start).
LOAD_AT_START = tuple(round(x, 2) for x in os.getloadavg())


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def shipped_weights() -> dict[str, Any]:
    """sha256 of the shipped composer weights and of each shipped instrument decoder (from their
    pinned manifests)."""
    out: dict[str, Any] = {}
    composer = ROOT / "symbolic/composer/weights/manifest.json"
    if composer.is_file():
        out["composer"] = json.loads(composer.read_text())["sha256"]
    instruments = ROOT / "instruments/weights/manifest.json"
    if instruments.is_file():
        out["instruments"] = {k: v["sha256"] for k, v in sorted(json.loads(instruments.read_text()).items())}
    return out


def provenance(command: str | None = None) -> dict[str, Any]:
    """What made a result: command, commit, date, machine, load, weights."""
    commit = _git("rev-parse", "HEAD") or "unknown"
    if _git("status", "--porcelain", "--untracked-files=no"):
        commit += "-dirty"
    if command is None:
        script = Path(sys.argv[0]).resolve()
        shown = script.relative_to(ROOT).as_posix() if script.is_relative_to(ROOT) else str(script)
        command = shlex.join([".venv/bin/python", shown, *sys.argv[1:]])
        flags = " ".join(f"{k}={os.environ[k]}" for k in ("OMP_NUM_THREADS", "NUMBA_NUM_THREADS") if k in os.environ)
        command = f"{flags} {command}".strip()
    return {
        "command": command,
        "commit": commit,
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.platform()}, Python {platform.python_version()}",
        "load_average_start": list(LOAD_AT_START),
        "load_average_end": [round(x, 2) for x in os.getloadavg()],
        "weights_sha256": shipped_weights(),
    }


def provenance_lines(prov: dict[str, Any]) -> list[str]:
    """The provenance block as Markdown lines (for the top of a ``.md`` result)."""
    w = prov["weights_sha256"]
    inst = w.get("instruments", {})
    return [
        f"Command: `{prov['command']}`",
        "",
        f"Commit {prov['commit']}, {prov['date']}; {prov['machine']}; load average "
        f"{' '.join(map(str, prov['load_average_start']))} at the start, "
        f"{' '.join(map(str, prov['load_average_end']))} at the end (the 1-, 5- and 15-minute figures; "
        "more runnable jobs than cores inflate wall times, CPU times are the work's own cost).",
        "",
        f"Shipped weights: composer `{w.get('composer', '-')[:16]}`; instrument decoders "
        + (", ".join(f"{k} `{v[:12]}`" for k, v in inst.items()) or "-")
        + " (sha256 prefixes; the full hashes are in the JSON).",
        "",
    ]


def write_results(name: str | Path, data: dict[str, Any], markdown: Sequence[str], *, title: str,
                  command: str | None = None) -> tuple[Path, Path]:  # fmt: skip
    """Write ``NAME.json`` (``data`` plus ``provenance``) and ``NAME.md`` (the title, the
    provenance block, then ``markdown``), each atomically. ``name``: a bare name goes to
    ``benchmarks/results/``; a path (``--out`` of a script) is used as given, without suffix.
    Returns both paths."""
    from partita._fileio import atomic_write_text

    prov = provenance(command)
    stem = RESULTS / name if isinstance(name, str) and "/" not in name else Path(name)
    stem.parent.mkdir(parents=True, exist_ok=True)
    js = stem.with_name(stem.name + ".json")
    md = stem.with_name(stem.name + ".md")
    atomic_write_text(js, json.dumps({"provenance": prov, **data}, indent=1, default=str) + "\n")
    atomic_write_text(md, "\n".join([f"# {title}", "", *provenance_lines(prov), *markdown]).rstrip() + "\n")
    return js, md
