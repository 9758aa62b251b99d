"""Where the shipped composer weights are and the sha256 they are pinned to.

``weights/manifest.json`` names the file and its sha256; :func:`shipped_path` and
:func:`shipped_sha256` read it. The loader refuses a file whose bytes differ.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from partita.errors import ConfigError

__all__ = ["manifest", "shipped_path", "shipped_sha256"]


def manifest() -> dict:
    """The manifest of the shipped weights (file, sha256, n_params, ...)."""
    ref = resources.files("partita.symbolic.composer").joinpath("weights/manifest.json")
    try:
        return json.loads(ref.read_text(encoding="utf-8"))
    except (FileNotFoundError, OSError, ValueError):
        raise ConfigError("no shipped composer weights in this installation (weights/manifest.json)") from None


def shipped_path() -> Path:
    """Path of the shipped weights file."""
    ref = resources.files("partita.symbolic.composer").joinpath("weights").joinpath(manifest()["file"])
    return Path(str(ref))


def shipped_sha256() -> str:
    """The sha256 the shipped weights are pinned to."""
    return manifest()["sha256"]
