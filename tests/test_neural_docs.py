"""The neural-renderer modules' examples run, and the docs page names what exists."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

MODULES = ["partita.render.twin", "partita.render.neural", "partita.render.neural_infer", "partita.render.neural_losses", "partita.render.dataset",
           "partita.render.instrument_training", "partita.render.training_sources"]
ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", MODULES)
def test_neural_doctests(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no runnable example"
    assert result.failed == 0


def test_every_shipped_weight_file_has_a_card_and_its_pinned_sha256():
    import hashlib
    import json

    folder = ROOT / "instruments" / "weights"
    manifest_path = folder / "manifest.json"
    if not manifest_path.exists():
        pytest.fail("instruments/weights/manifest.json is missing")
    manifest = json.loads(manifest_path.read_text())
    total = 0
    for name, entry in manifest.items():
        blob = (folder / entry["file"]).read_bytes()
        total += len(blob)
        assert hashlib.sha256(blob).hexdigest() == entry["sha256"], name
        card = (folder / entry["card"]).read_text()
        assert entry["sha256"] in card and "MIT" in card and "partita train-instrument" in card
    assert total <= 30 * 1024 * 1024


@pytest.mark.slow
def test_training_notebook_runs_and_learns_the_colour():
    import re

    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(ROOT / "notebooks" / "train_instrument.ipynb", as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    got, want = map(float, re.search(r"harmonic 2 vs 1: (-?[\d.]+) dB \(recordings: (-?[\d.]+) dB\)", text).groups())
    assert abs(got - want) < 3.0
