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
    "partita.render.drum_samples",
    "partita.render.drum_sampler",
    "partita.render.stems",
    "partita.render.settings",
    "partita.render.stem_cache",
    "partita.render.wavfile",
]


@pytest.mark.parametrize("name", MODULES)
def test_render_doctests(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no runnable example"
    assert result.failed == 0


def test_partita_render_is_callable_even_after_importing_the_package(tmp_path):
    import partita
    import partita.render  # rebinds partita.render to the package

    from partita.symbolic.score import Note, Part, Score

    score = Score(parts=(Part("a", "Oboe", "oboe", notes=(Note(0, 1, 70),)),))
    result = partita.render(score, tmp_path, sample_rate=8000, progress=False)
    assert (tmp_path / result.stems[0].file).exists()
