"""The render modules' examples run (imported as partita.render.*, never as top-level 'render')."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "partita.render.controls",
    "partita.render.synth",
    "partita.render.timbres",
    "partita.render.performance",
    "partita.render.drums",
    "partita.render.stems",
]


@pytest.mark.parametrize("name", MODULES)
def test_render_doctests(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no runnable example"
    assert result.failed == 0
