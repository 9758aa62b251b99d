"""The arranger's and the prompt reader's documentation runs: module doctests."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "partita.symbolic.arranger.library",
    "partita.symbolic.arranger.voicing",
    "partita.symbolic.arranger.arrange",
    "partita.symbolic.arranger.stats",
    "partita.symbolic.composer.prompt",
]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no runnable example"
    assert result.failed == 0
