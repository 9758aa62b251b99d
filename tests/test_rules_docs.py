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
    "partita.theory_rules.masks",
]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no runnable example"
    assert result.failed == 0
