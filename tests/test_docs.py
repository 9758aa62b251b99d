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
    "partita.symbolic.score",
    "partita.symbolic.io",
    "partita.symbolic.report",
    "partita.symbolic.form",
    "partita.symbolic.ornaments",
    "partita.symbolic.playback",
    "partita.symbolic.realize",
    "partita.symbolic.timing",
    "partita.theory_rules.played",
    "partita.instruments.catalog",
]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no runnable example"
    assert result.failed == 0


def test_readme_python_example_runs(tmp_path, monkeypatch):
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks, "the README has a Python example"
    monkeypatch.chdir(ROOT)
    code = blocks[0].replace('"out/', f'"{tmp_path}/')
    exec(compile(code, "README.md", "exec"), {})
    assert (tmp_path / "octave-up.mid").stat().st_size > 0
