"""Every instrument the planner can choose renders with a trained or sampled model, or states
why it plays a designed timbre (#13); docs/render.md holds the current table."""

from __future__ import annotations

import json
from pathlib import Path

from partita import instruments
from partita.render.coverage import coverage_table, designed_reasons, renderer_of
from partita.render.stems import _decoder_for
from partita.symbolic.score import Part

ROOT = Path(__file__).resolve().parents[1]


def test_every_designed_instrument_says_why_and_no_reason_outlives_its_model():
    manifest = json.loads((ROOT / "instruments" / "weights" / "manifest.json").read_text())
    designed = [i.id for i in instruments.all_instruments() if renderer_of(i.id)[0] == "designed timbre"]
    assert designed, "the table would be vacuous"
    assert all(renderer_of(i)[1] for i in designed), [i for i in designed if not renderer_of(i)[1]]
    stale = sorted(set(designed_reasons()) - set(designed))
    assert not stale, f"reasons kept for instruments that no longer play a designed timbre: {stale}"
    for inst in instruments.all_instruments():  # a shipped model is what renderer_of reports
        if inst.id in manifest:
            assert renderer_of(inst.id)[1] == manifest[inst.id]["file"]


def test_the_table_says_what_the_renderer_really_uses():
    # renderer_of against the stem renderer's own choice of decoder, part by part
    for inst in instruments.all_instruments():
        kind, _ = renderer_of(inst.id)
        dec = _decoder_for(Part(id="P1", name=inst.id, instrument=inst.id), None)
        got = type(dec).__name__ if dec is not None else "None"
        want = {"neural decoder": "NeuralDecoder", "string model": "StringDecoder", "singer": "SingerDecoder",
                "designed timbre": "DesignedTimbre", "drum sampler": "None"}[kind]  # fmt: skip
        assert got == want, (inst.id, kind, got)


def test_docs_hold_the_current_table():
    text = (ROOT / "docs" / "render.md").read_text(encoding="utf-8")
    assert coverage_table() in text, "docs/render.md: re-paste `python -m partita.render.coverage`"
