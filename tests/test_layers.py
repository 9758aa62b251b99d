"""scripts/layers.py: the import graph and file sizes it reports are the tree's."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("layers", ROOT / "scripts" / "layers.py")
layers = importlib.util.module_from_spec(spec)
spec.loader.exec_module(layers)


def test_circles_are_the_strongly_connected_components():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": {"e"}, "e": {"d"}, "f": {"a"}, "g": set()}
    assert layers.circles(graph) == [["a", "b", "c"], ["d", "e"]]
    assert layers.circles({"a": {"b"}, "b": set()}) == []


def test_function_level_and_relative_imports_count(tmp_path):
    src = tmp_path / "m.py"
    src.write_text("def f():\n    from partita.symbolic import score\n    from . import tokens\n    import partita.errors\n")
    known = {"partita.symbolic.score", "partita.symbolic.tokens", "partita.errors", "partita.symbolic", "partita.symbolic.m"}
    assert layers.imports_of("partita.symbolic.m", src, known) == {"partita.symbolic.score", "partita.symbolic.tokens", "partita.errors"}


def test_the_report_matches_the_files_on_disk():
    report = layers.report()
    lines = {str(p.relative_to(ROOT)): len(p.read_text(encoding="utf-8").splitlines()) for p in layers.modules().values()}
    assert report["longest"]["lines"] == max(lines.values())
    assert sorted(f for f, _ in report["over_limit"]) == sorted(f for f, n in lines.items() if n > layers.LIMIT)
    # the data model imports nothing above it (the pipeline, the renderer, the CLI)
    assert not [m for m in report["graph"]["partita.symbolic.score"] if m.startswith(("partita.render", "partita.pipeline", "partita.cli"))]
    # the layers of docs/architecture.md hold: no rule of layers.FORBIDDEN is broken
    assert report["crossings"] == []
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "layers.py")], capture_output=True, text=True, check=True)
    assert f"longest file: {report['longest']['file']}" in out.stdout


def test_crossings_are_the_forbidden_imports():
    graph = {"partita.render.stems": {"partita.mixing.bus", "partita.symbolic.score"},
             "partita.mixing.bus": {"partita.render.wavfile", "partita.pipeline"},
             "partita.checkpoint": {"partita.errors"}, "partita.pipeline": {"partita.mixing", "partita"},
             "partita.commands.mix": {"partita"}}  # fmt: skip
    assert layers.crossings(graph) == [["partita.mixing.bus", "partita.pipeline"], ["partita.pipeline", "partita"],
                                       ["partita.render.stems", "partita.mixing.bus"]]  # fmt: skip


#: The Score model and what it is built from: the ground floor (docs/architecture.md).
GROUND = {
    "partita.errors", "partita._presets", "partita.instruments", "partita.instruments.catalog",
    "partita.symbolic.score", "partita.symbolic.timeline", "partita.symbolic.pitch", "partita.symbolic.dynamics",
    "partita.symbolic.form", "partita.symbolic.ornaments", "partita.symbolic.verses", "partita.symbolic.report",
    "partita.symbolic.notation", "partita.symbolic.note_checks",
}  # fmt: skip


def test_the_score_model_imports_only_the_ground():
    graph = layers.report()["graph"]
    reached, todo = set(), ["partita.symbolic.score"]
    while todo:  # everything the Score model imports, directly or not, at any level
        m = todo.pop()
        if m not in reached:
            reached.add(m)
            todo.extend(graph[m])
    assert reached <= GROUND, sorted(reached - GROUND)


def test_the_only_circle_is_the_rule_registry():
    circles = layers.report()["circles"]
    assert all(all(m.startswith("partita.theory_rules.") for m in c) for c in circles), circles
    assert len(circles) <= 1


def test_no_file_over_the_limit():
    assert layers.report()["over_limit"] == []
