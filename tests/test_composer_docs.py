"""The composer's documentation runs: module doctests and the Python example of docs/composer.md."""

from __future__ import annotations

import doctest
import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODULES = [
    "partita.symbolic.composer",
    "partita.symbolic.composer.planner",
    "partita.symbolic.composer.chords",
    "partita.symbolic.composer.vocab",
    "partita.symbolic.composer.controls",
    "partita.symbolic.composer.corpus",
    "partita.symbolic.composer.model",
    "partita.symbolic.composer.train",
    "partita.symbolic.composer.training",
    "partita.symbolic.composer.sample",
    "partita.symbolic.composer.decoding",
    "partita.symbolic.composer.critic",
    "partita.symbolic.composer.evaluate",
    "partita.symbolic.composer.edit",
    "partita.symbolic.composer.chordmask",
    "partita.symbolic.composer.masks",
    "partita.symbolic.composer.decode",
    "partita.symbolic.composer.prompt",
    "partita.symbolic.arranger.library",
    "partita.symbolic.arranger.voicing",
    "partita.symbolic.arranger.arrange",
    "partita.symbolic.arranger.stats",
]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no runnable example"
    assert result.failed == 0


def test_composer_md_python_example_runs(monkeypatch):
    text = (ROOT / "docs" / "composer.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks
    monkeypatch.chdir(ROOT)
    exec(compile(blocks[0], "docs/composer.md", "exec"), {})


def test_composer_md_states_the_real_figures():
    from partita.symbolic.composer.controls import ComposerVocab
    from partita.symbolic.composer.model import GPTConfig

    text = (ROOT / "docs" / "composer.md").read_text()
    cv = ComposerVocab.default()
    assert f"{GPTConfig().n_params():,} parameters" in text
    assert f"with {len(cv.control_names)} control tokens appended ({cv.vocab_size} in all)" in text
    assert f"({cv.n_remi} ids" in text
