"""Which renderer plays each catalog instrument by default, and, for a designed timbre, why.

>>> renderer_of("violin")[0], renderer_of("piano")[0], renderer_of("drum_kit")[0], renderer_of("tenor")[0]
('neural decoder', 'string model', 'drum sampler', 'singer')
>>> renderer_of("marimba")[0], renderer_of("synth_pad")[0]
('string model', 'designed timbre')

``python -m partita.render.coverage`` prints the table that docs/render.md holds.
"""

from __future__ import annotations

import functools
import tomllib
from importlib import resources

from partita.errors import ConfigError

__all__ = ["renderer_of", "designed_reasons", "coverage_table"]


@functools.lru_cache(maxsize=1)
def designed_reasons() -> dict[str, str]:
    """Instrument id -> why it plays its designed timbre (``renderers.toml``)."""
    f = resources.files("partita.render").joinpath("renderers.toml")
    try:
        data = tomllib.loads(f.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"renderers.toml: {exc}") from None
    return {str(k): str(v) for k, v in data.get("designed", {}).items()}


def renderer_of(instrument_id: str) -> tuple[str, str]:
    """(kind, detail) of the renderer that plays ``instrument_id`` by default.

    kind is ``"neural decoder"``, ``"string model"`` (shipped weights, detail: the weight file),
    ``"drum sampler"``, ``"singer"`` or ``"designed timbre"`` (detail: the reason from
    ``renderers.toml``, empty when none is recorded)."""
    from partita import instruments
    from partita.render.neural_infer import shipped_manifest
    from partita.render.timbres import style_of

    inst = instruments.get(instrument_id)
    if style_of(inst.id) == "drums":
        return "drum sampler", "one-shots of MuseScore_General's kit rendered by fluidsynth (designed drum where a sample is missing)"
    if inst.family == "voice":
        return "singer", "formant synthesis of the words or a neutral vowel"
    entry = shipped_manifest().get(inst.id)
    if entry is not None:
        kind = "string model" if entry.get("kind") == "string-model" else "neural decoder"
        return kind, entry["file"]
    return "designed timbre", designed_reasons().get(inst.id, "")


def coverage_table() -> str:
    """The Markdown table of every catalog instrument's renderer (docs/render.md holds it)."""
    from partita import instruments

    rows = ["| instrument | family | renderer | weights, or why designed |", "| --- | --- | --- | --- |"]
    for inst in instruments.all_instruments():
        kind, detail = renderer_of(inst.id)
        rows.append(f"| {inst.id} | {inst.family} | {kind} | {detail} |")
    return "\n".join(rows)


if __name__ == "__main__":  # pragma: no cover
    print(coverage_table())
