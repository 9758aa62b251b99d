"""The theory_rules modules' examples run (doctests)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "partita.theory_rules",
    "partita.theory_rules.core",
    "partita.theory_rules.engine",
    "partita.theory_rules.lines",
    "partita.theory_rules.sketch",
    "partita.theory_rules.rules_key",
    "partita.theory_rules.rules_rhythm",
    "partita.theory_rules.rules_voice",
    "partita.theory_rules.rules_harmony",
    "partita.theory_rules.fixes",
]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no runnable example"
    assert result.failed == 0


def test_theory_rules_doc_examples_run():
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "theory_rules.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 2
    for block in blocks:
        exec(compile(block, "docs/theory_rules.md", "exec"), {})


def test_doc_names_every_rule():
    from pathlib import Path

    from partita.theory_rules import rule_ids

    text = (Path(__file__).resolve().parents[1] / "docs" / "theory_rules.md").read_text()
    for rid in rule_ids():
        assert f"| `{rid}` |" in text, rid
