"""The notebooks run from top to bottom without error (so they cannot rot)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def run_notebook(name: str) -> tuple[list, str]:
    """Execute a notebook; return its outputs (no errors among them) and its printed text."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    return outputs, "".join(o.get("text", "") for o in outputs if o.output_type == "stream")


def svgs(outputs) -> list[str]:
    return [o["data"]["image/svg+xml"] for o in outputs if "image/svg+xml" in o.get("data", {})]


@pytest.mark.slow
def test_chorale_notebook_runs():
    outputs, text = run_notebook("reorchestrate_chorale.ipynb")
    # the arrangement names range problems by part and bar, and the fixes leave no error
    assert "below the playable range of Oboe" in text
    assert "0 errors" in text
    assert any("image/png" in o.get("data", {}) for o in outputs), "the piano roll is drawn"
    # the engraved notation inline, with the remaining problems coloured, and the audio inline
    marked = [s for s in svgs(outputs) if 'class="note v-' in s]
    assert marked, "the marked verovio SVG is shown"
    assert sum("<audio" in o.get("data", {}).get("text/html", "") for o in outputs) == 2


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


@pytest.mark.slow
def test_orchestration_lab_runs():
    outputs, text = run_notebook("orchestration_lab.ipynb")
    for name in ("wind quintet", "brass quintet", "sax quartet"):
        assert f"{name}: " in text and text.count(name) >= 3, name
    rows = re.findall(r"^(.+?)\s+(as written|fit|-)\s+(\d+)\s+(\d+)$", text, flags=re.M)
    assert len(rows) == 7
    assert any('class="note' in s for s in svgs(outputs))
    assert any("image/png" in o.get("data", {}) for o in outputs), "the spectrograms are drawn"
    assert len(re.findall(r"spectral centroid\s+\d+ Hz", text)) == 4
