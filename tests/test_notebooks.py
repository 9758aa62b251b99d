"""The notebooks run from top to bottom without error (so they cannot rot)."""

from __future__ import annotations

from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


@pytest.mark.slow
@pytest.mark.parametrize("name", ["reorchestrate_chorale.ipynb"])
def test_notebook_runs(name):
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    # the arrangement names range problems by part and bar, and the fixes leave no error
    assert "below the playable range of Oboe" in text
    assert "0 errors" in text
    assert any("image/png" in o.get("data", {}) for o in outputs), "the piano roll is drawn"


@pytest.mark.slow
def test_sung_chorale_notebook_renders_four_sung_stems_with_formant_tracks():
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOKS / "sung_chorale.ipynb", as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "4 stems" in text and text.count("sings those of 'Soprano'") == 3
    cents = [float(x) for x in __import__("re").findall(r"([+-]\d+\.\d) cents", text)]
    assert len(cents) == 4 and max(abs(c) for c in cents) <= 25
    assert any("image/png" in o.get("data", {}) for o in outputs), "the spectrograms are drawn"
