"""Print the shape of the library: file sizes and the import graph between its modules.

    .venv/bin/python scripts/layers.py [--graph] [--json]

For the library folders (partita/, symbolic/, theory_rules/, instruments/, render/) it prints the
longest file, the files over 600 lines, and every import circle between modules -- function-level
imports included, since they are circles all the same -- found as the strongly connected
components of the graph (Tarjan), and every layer crossing: an import that a rule of
:data:`FORBIDDEN` rules out (the renderer importing the mix, the mix importing the pipeline, the
checkpoint format importing anything above the ground floor) or a library module importing the
facade. ``--graph`` also prints each module's imports of other partita modules. The target
(docs/architecture.md): no file over 600 lines, no circle but the rule registry's, no crossing.

Reads the source with :mod:`ast`; imports nothing from partita, so it runs on a broken tree too.
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Folder -> the package name it installs as (pyproject.toml's package-dir).
FOLDERS = {"partita": "partita", "symbolic": "partita.symbolic", "theory_rules": "partita.theory_rules",
           "instruments": "partita.instruments", "render": "partita.render"}  # fmt: skip
LIMIT = 600
#: Layer rules (docs/architecture.md): modules under the key may not import modules under any
#: of the prefixes. ``partita`` alone is the facade (``partita/__init__.py``).
FORBIDDEN = {
    "partita.checkpoint": ("partita.symbolic", "partita.render", "partita.theory_rules", "partita.instruments",
                           "partita.mixing", "partita.pipeline", "partita.cli", "partita.commands"),
    "partita.render": ("partita.mixing", "partita.pipeline", "partita.cli", "partita.commands", "partita.batch"),
    "partita.mixing": ("partita.pipeline", "partita.cli", "partita.commands", "partita.batch", "partita.provenance",
                       "partita.daw"),
}  # fmt: skip


def modules() -> dict[str, Path]:
    """Dotted module name -> file, for every .py file of the library folders."""
    out = {}
    for folder, package in FOLDERS.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT / folder).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            out[".".join([package, *parts])] = path
    return out


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The partita modules that ``name`` imports anywhere in its file (module or function level)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    found = set()
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            # "from X import name": the submodule X.name where there is one, else X itself
            targets = [f"{mod}.{a.name}" if f"{mod}.{a.name}" in known else mod for a in node.names]
        for t in targets:
            while t and t not in known:  # "partita.symbolic.score.Note" -> "partita.symbolic.score"
                t = t.rpartition(".")[0]
            if t and t != name:
                found.add(t)
    return found


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            v, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[v] = min(low[v], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return sorted(out)


def _under(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def crossings(graph: dict[str, set[str]]) -> list[list[str]]:
    """``[module, imported]`` pairs that break a rule of :data:`FORBIDDEN`, or import the facade
    ``partita`` from inside the library."""
    out = []
    for m, deps in graph.items():
        for d in deps:
            bad = any(_under(m, k) and any(_under(d, f) for f in v) for k, v in FORBIDDEN.items())
            if bad or (d == "partita" and m not in ("partita.cli", "partita.__main__") and not m.startswith("partita.commands")):
                out.append([m, d])
    return sorted(out)


def report() -> dict:
    mods = modules()
    known = set(mods)
    graph = {m: imports_of(m, p, known) for m, p in mods.items()}
    # a package's __init__ importing its own submodules is how packages re-export, not a layer
    # crossing; a submodule importing its package's __init__ for that re-export is a circle
    lines = {str(p.relative_to(ROOT)): sum(1 for _ in p.open(encoding="utf-8")) for p in mods.values()}
    longest = max(lines.items(), key=lambda kv: kv[1])
    return {
        "longest": {"file": longest[0], "lines": longest[1]},
        "over_limit": sorted(([f, n] for f, n in lines.items() if n > LIMIT), key=lambda x: -x[1]),
        "limit": LIMIT,
        "n_modules": len(mods),
        "n_edges": sum(len(v) for v in graph.values()),
        "circles": circles(graph),
        "crossings": crossings(graph),
        "graph": {m: sorted(v) for m, v in sorted(graph.items())},
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--graph", action="store_true", help="also print every module's partita imports")
    ap.add_argument("--json", action="store_true", help="print the whole report as JSON")
    args = ap.parse_args(argv)
    r = report()
    if args.json:
        print(json.dumps(r, indent=1))
        return 0
    print(f"{r['n_modules']} modules, {r['n_edges']} imports between them")
    print(f"longest file: {r['longest']['file']} ({r['longest']['lines']} lines)")
    print(f"files over {LIMIT} lines: {len(r['over_limit'])}")
    for f, n in r["over_limit"]:
        print(f"  {f} ({n})")
    print(f"import circles: {len(r['circles'])}")
    for c in r["circles"]:
        print("  " + " <-> ".join(c))
    print(f"layer crossings: {len(r['crossings'])}")
    for m, d in r["crossings"]:
        print(f"  {m} imports {d}")
    if args.graph:
        for m, deps in r["graph"].items():
            print(f"{m}: {', '.join(deps) or '-'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
