"""Documentation that runs: every module's doctests and the README's Python example."""

from __future__ import annotations

import doctest
import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

MODULES = [
    "partita",
    "partita.errors",
    "partita._fileio",
    "partita._presets",
    "partita.checkpoint",
    "partita.symbolic.score",
    "partita.symbolic.timeline",
    "partita.symbolic.pitch",
    "partita.symbolic.dynamics",
    "partita.symbolic.edits",
    "partita.symbolic.sounding",
    "partita.symbolic.io",
    "partita.symbolic.io.midi_techniques",
    "partita.symbolic.io.musicxml_m21",
    "partita.symbolic.report",
    "partita.symbolic.form",
    "partita.symbolic.notation",
    "partita.symbolic.ornaments",
    "partita.symbolic.playback",
    "partita.symbolic.realize",
    "partita.symbolic.timing",
    "partita.theory_rules.played",
    "partita.instruments.catalog",
    "partita.render.coverage",
]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no runnable example"
    assert result.failed == 0


def test_readme_python_examples_run(tmp_path, monkeypatch):
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 2, "the README has its Python examples"
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("PARTITA_KEY_DIR", str(tmp_path / "keys"))
    for i, block in enumerate(blocks):
        code = block.replace('"out/', f'"{tmp_path}/')
        exec(compile(code, f"README.md (example {i + 1})", "exec"), {})
    # the five-line main job wrote a whole, signed folder; the editing example its MIDI
    assert (tmp_path / "folk" / "mix.wav").stat().st_size > 0 and (tmp_path / "folk" / "provenance.json").is_file()
    assert (tmp_path / "octave-up.mid").stat().st_size > 0
