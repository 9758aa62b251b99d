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

__all__ = ["InstrumentTrainingResult", "Progress", "soundfont_target", "update_manifest"]

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
