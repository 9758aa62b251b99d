"""What an instrument training writes and how it finds its source: the result record, the GM
program and range to render from a soundfont, and the weights folder's manifest. Shared by the
neural decoders' training (:mod:`partita.render.instrument_training`) and the string models'
(:mod:`partita.render.strings_training`), below both.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from partita.errors import ConfigError

__all__ = ["InstrumentTrainingResult", "Progress", "preset_name", "soundfont_credit", "soundfont_target", "update_manifest"]

#: ``progress(stage, message)``: stages ``"data"``, ``"train"`` and ``"export"``.
Progress = Callable[[str, str], None]


@dataclass(frozen=True, slots=True)
class InstrumentTrainingResult:
    """What :func:`train_instrument` wrote and reached.

    Attributes
    ----------
    weights, sha256
        The exported weight file (an ``instrument-decoder`` checkpoint) and its sha256.
    card, manifest
        Its model card and the folder's manifest (instrument -> file, sha256, card).
    steps, seconds, val_loss
        Optimizer steps, training time (s) and the validation regression loss.
    curve
        ``[step, seconds, train loss, validation loss]`` rows.
    calibration
        The loudness calibration saved in the header.
    """

    weights: Path
    sha256: str
    card: Path
    manifest: Path
    steps: int
    seconds: float
    val_loss: float
    curve: tuple[tuple[float, ...], ...]
    calibration: Mapping[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly fields (paths as strings)."""
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in dataclasses.asdict(self).items()}


def soundfont_target(name: str, program: int | None, *, default_range: tuple[int, int]) -> tuple[int, tuple[int, int]]:
    """(GM program, sounding MIDI range) to render from a soundfont for instrument ``name``: the
    catalog's (``program`` given wins); a name outside the catalog needs ``program`` and gets
    ``default_range``."""
    from partita import instruments
    from partita.errors import InstrumentError

    try:
        inst = instruments.get(name)
    except (InstrumentError, KeyError):
        inst = None
    if program is None:
        if inst is None or inst.gm_program is None:
            raise ConfigError(f"--program is needed: {name!r} is not a catalog instrument with a GM program")
        program = int(inst.gm_program)
    return int(program), (tuple(inst.sounding_range) if inst is not None else tuple(default_range))


def preset_name(soundfont: str | os.PathLike[str], program: int, bank: int = 0) -> str:
    """The name the soundfont gives ``program`` of ``bank`` (refusals as :func:`~partita.render.dataset.open_soundfont`)."""
    from partita.render.dataset import open_soundfont

    fs, sfid = open_soundfont(soundfont, program, bank)
    try:
        return str(fs.sfpreset_name(sfid, int(bank), int(program)))
    finally:
        fs.delete()


def soundfont_credit(soundfont: str | os.PathLike[str]) -> tuple[str, str]:
    """(who made it, its licence) of the two soundfonts the project trains from; other files
    get their own name and "that of the soundfont" (docs/licences.md)."""
    low = Path(soundfont).name.lower()
    if "fluidr3" in low:
        return "FluidR3_GM by Frank Wen", "MIT (FluidR3_GM)"
    if "musescore_general" in low:
        return "MuseScore_General by S. Christian Collins", "MIT (MuseScore_General)"
    return Path(soundfont).name, "that of the soundfont"


def update_manifest(out_dir: Path, name: str, entry: Mapping[str, Any]) -> Path:
    """Set ``name``'s entry of ``out_dir/manifest.json`` (folder locked: several trainings may
    finish at once); returns the manifest's path."""
    import fcntl

    from partita._fileio import atomic_write_text

    manifest_path = Path(out_dir) / "manifest.json"
    lock = os.open(out_dir, os.O_RDONLY)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
        manifest[name] = dict(entry)
        atomic_write_text(manifest_path, json.dumps(dict(sorted(manifest.items())), indent=1) + "\n")
    finally:
        os.close(lock)
    return manifest_path
