"""The vocals modules' examples run, and docs/vocals.md quotes its results file truly."""

from __future__ import annotations

import doctest
import importlib
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODULES = ["partita.symbolic.lyrics", "partita.symbolic.underlay", "partita.render.singing",
           "partita.render.singer", "partita.symbolic.composer.lyrics"]  # fmt: skip


@pytest.mark.parametrize("name", MODULES)
def test_vocals_doctests(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_docs_quote_the_committed_results():
    data = json.loads((ROOT / "benchmarks/results/vocals.json").read_text())
    doc = (ROOT / "docs/vocals.md").read_text()
    s = data["summary"]
    assert data["provenance"]["commit"][:7] in doc
    assert f"{s['pitch_worst_abs_median_error_cents']} cents" in doc
    assert f"{s['formants_in_range_at_test_pitches']} in range" in doc
    assert f"{s['formants_in_range']} in range" in doc
    assert f"worst {s['onset_worst_abs_error_ms']} ms" in doc
    assert f"({s['sung_over_instrument_cpu']}x)" in doc
    assert f"≥ {s['s_ratio_min']:g}x" in doc
    cost = {r["stem"]: r["cpu_s_per_audio_s"] for r in data["render_cost"]}
    assert re.search(rf"{cost['tenor']} vs {cost['flute']} s", doc)
