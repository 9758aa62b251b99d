"""A render folder in, ``mix.wav`` out: :func:`mix_folder` reads ``render.json`` and its stems
(never writing them), mixes and masters them, and writes ``mix.wav`` (32-bit float,
deterministic bytes, optional RIFF ``LIST/INFO`` record) and ``mix.json`` (the settings used),
both atomically.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from partita.render.wavfile import add_info_chunk, wav_bytes

from partita._fileio import atomic_path
from partita.errors import FormatError
from partita.mixing.bus import (
    _read_stem,
    mix_stems,
    read_render_manifest,
    stems_from_folder,
)
from partita.mixing.master import MasterReport, master_bus
from partita.mixing.settings import MixSettings, load_mix_settings, save_mix_settings

__all__ = ["MixResult", "mix_folder"]


@dataclass(frozen=True, slots=True)
class MixResult:
    """A finished mix: the file written, its sha256, the master report and each stem's gain."""

    path: Path
    sha256: str
    report: MasterReport
    stem_gain_db: Mapping[str, float] = field(default_factory=dict)
    stem_lufs: Mapping[str, float | None] = field(default_factory=dict)
    stem_pan: Mapping[str, float] = field(default_factory=dict)
    elapsed_s: float = 0.0

    def summary(self) -> str:
        r = self.report
        status = "met" if r.meets_target else "NOT met"
        return (f"mix: {r.integrated_lufs:.2f} LUFS integrated (target {r.target_lufs:g}), true peak "
                f"{r.true_peak_dbtp:.2f} dBTP (ceiling {r.true_peak_ceiling_dbtp:g}); targets {status}, "
                f"{r.iterations} pass(es), {self.elapsed_s:.1f} s")  # fmt: skip




def mix_folder(
    out_dir: str | os.PathLike[str],
    *,
    settings: MixSettings | None = None,
    score: Any = None,
    info: Mapping[str, str] | None = None,
) -> MixResult:
    """Mix the stems of a render folder into ``out_dir/mix.wav``; write ``out_dir/mix.json``.

    Parameters
    ----------
    out_dir
        A folder written by :func:`partita.render.render` (``render.json`` and ``stems/``).
        The stems are read, never written.
    settings
        Mix settings; default: ``out_dir/mix.json`` if it exists, else :class:`MixSettings()`.
    score
        The score the stems were rendered from (for the parts' dynamics); default:
        ``out_dir/score.json`` if it exists.
    info
        Fields of a ``LIST/INFO`` chunk to write into ``mix.wav`` (see :func:`add_info_chunk`).

    Returns
    -------
    MixResult
    """
    import hashlib


    t0 = time.perf_counter()
    out = Path(out_dir)
    manifest = read_render_manifest(out)
    if settings is None:
        settings = load_mix_settings(out / "mix.json") if (out / "mix.json").exists() else MixSettings()
    if score is None and (out / "score.json").exists():
        from partita.symbolic.score import Score

        try:
            score = Score.from_dict(json.loads((out / "score.json").read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            raise FormatError(f"cannot read score.json: {exc}", file=str(out / "score.json")) from None
    sr = int(manifest["sample_rate"])
    stems = stems_from_folder(out, settings=settings, score=score)
    loaded = []
    for s in stems:
        audio = None
        for file in s.files or (s.file,):  # a part rendered by group: its stems summed
            part_audio, rate = _read_stem(out / file)
            if rate != sr:
                raise FormatError(f"stem is at {rate} Hz, render.json says {sr} Hz", file=str(out / file))
            audio = part_audio if audio is None else audio + part_audio
        loaded.append((s, audio))
    bus, gains, lufs = mix_stems(loaded, sample_rate=sr, settings=settings)
    del loaded
    master, report = master_bus(bus, sample_rate=sr, settings=settings)
    del bus
    data = wav_bytes(master, sample_rate=sr, subtype="float")
    if info:
        data = add_info_chunk(data, info)
    with atomic_path(out / "mix.wav") as tmp:
        tmp.write_bytes(data)
    save_mix_settings(settings, out / "mix.json")
    return MixResult(
        path=out / "mix.wav", sha256=hashlib.sha256(data).hexdigest(), report=report,
        stem_gain_db=gains, stem_lufs=lufs, stem_pan={s.part_id: s.pan for s in stems},
        elapsed_s=time.perf_counter() - t0,
    )  # fmt: skip
