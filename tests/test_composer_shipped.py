"""The shipped composer weights: pinned, documented, loadable offline, and they compose."""

from __future__ import annotations

from pathlib import Path

import pytest

from partita.symbolic.composer.model import load_checkpoint, sha256_of
from partita.symbolic.composer.planner import plan
from partita.symbolic.composer.sample import compose, load_model
from partita.symbolic.composer.weights_info import manifest, shipped_path, shipped_sha256
from partita.theory_rules import check


def test_manifest_card_and_pinned_sha256():
    m = manifest()
    path = shipped_path()
    assert path.is_file() and path.suffix == ".safetensors"
    assert sha256_of(path) == shipped_sha256() == m["sha256"]
    card = (path.parent / m["card"]).read_text()
    for needed in (m["sha256"], "partita train-composer", f"{m['n_params']:,}", "Essen", "## Metrics"):
        assert needed in card, needed
    model, header, extra = load_checkpoint(path, sha256=m["sha256"])
    assert model.n_params() == m["n_params"] <= 10_000_000
    assert extra == {}  # weights only
    assert header["training"]["corpus"]["spec"].startswith("music21:")
    assert header["data"]["spec"].startswith("music21:") and header["data"]["card"] == m["card"]
    assert header["kind"] == "composer" and header["vocabulary"]["size"] == header["config"]["vocab_size"]


def test_shipped_model_learned_something():
    """Held-out loss of the shipped model is far below a uniform guess over the vocabulary."""
    import math

    _, header, _ = load_checkpoint(shipped_path())
    hist = header["training"]["history"]
    assert hist and hist[-1]["heldout_loss"] < 0.6 * math.log(header["config"]["vocab_size"])


@pytest.mark.slow
@pytest.mark.parametrize("prompt, profile", [("calm chorale", "chorale"), ("pop song", "pop")])
def test_shipped_weights_compose_without_hard_errors(prompt, profile):
    model = load_model()
    p = plan(prompt, duration_s=20, seed=0)
    a = compose(p, model=model, seed=5, profile=profile)
    assert a == compose(p, model=model, seed=5, profile=profile)
    assert check(a, profile=profile).n_errors == 0
    assert sum(len(x.notes) for x in a.parts if x.instrument != "drum_kit") > 0
