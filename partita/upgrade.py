"""Rewrite a checkpoint of an older format in the one checkpoint format (:mod:`partita.checkpoint`).

``partita upgrade-checkpoint OLD.safetensors NEW.safetensors [--card NAME]`` and
:func:`partita.upgrade_checkpoint` call :func:`upgrade_checkpoint`. It reads the two formats
partita wrote before: ``partita-composer`` version 1 (the composer's) and
``partita-neural-decoder`` version 2 (the instrument decoders'). The arrays are copied bit for
bit; the header moves into the new layout:

- composer: ``extra`` becomes the ``training`` record, its corpus the ``data`` record, and the
  ``vocabulary`` is that of this partita's composer when the sizes agree (the model was trained
  over it), else only the size (the loader then refuses the file);
- decoder: ``calibration`` and ``training`` stay, the tensors' hash is checked first.

It sits above the ground floor's :mod:`partita.checkpoint` because it needs both models' own
records (the composer's vocabulary, the decoder's kind).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from partita.checkpoint import read_safetensors, tensors_sha256, write_checkpoint
from partita.errors import CheckpointError

__all__ = ["upgrade_checkpoint"]


def upgrade_checkpoint(src: str | os.PathLike[str], dst: str | os.PathLike[str], *, card: str | None = None) -> str:
    """Convert ``src`` (an older format) into ``dst``, atomically; ``dst`` may be ``src``.

    Parameters
    ----------
    src, dst
        The old file and where the converted one goes.
    card
        The model card recorded as the data card (default: ``src``'s name with ``.md`` when
        that file exists beside it).

    Returns
    -------
    str
        The new file's sha256: update the manifest, model card and anything else that pins the old one.

    Raises
    ------
    CheckpointError
        Unreadable, not a partita checkpoint, corrupt, or not an older format (a file already
        in the current format included), naming the file.
    """
    src = Path(src)
    name = str(src)
    try:
        blob = src.read_bytes()
    except OSError as exc:
        raise CheckpointError(f"cannot read the checkpoint ({exc.strerror})", file=name) from None
    arrays, meta = read_safetensors(blob, name=name)
    try:
        old = json.loads(meta["partita"])
    except (KeyError, ValueError):
        raise CheckpointError("no partita header: not a partita checkpoint", file=name) from None
    if card is None and src.with_suffix(".md").exists():
        card = src.with_suffix(".md").name
    fmt, version = old.get("format"), old.get("format_version")
    if (fmt, version) == ("partita-composer", 1):
        from partita.symbolic.composer.controls import ComposerVocab
        from partita.symbolic.composer.model import KIND, vocabulary_record
        from partita.symbolic.composer.train import data_record

        training: dict[str, Any] = dict(old.get("extra") or {})
        data = data_record(training.get("corpus"))
        vocab = ComposerVocab.default()
        same = old["config"].get("vocab_size") == vocab.vocab_size
        fields = {"vocabulary": vocabulary_record(vocab) if same else {"size": old["config"].get("vocab_size"), "sha256": None}}
    elif (fmt, version) == ("partita-neural-decoder", 2):
        from partita.render.neural_infer import KIND

        if tensors_sha256(arrays) != old.get("data_sha256"):
            raise CheckpointError("corrupt file: the arrays do not match the header's data_sha256", file=name)
        training = dict(old.get("training") or {})
        data = {}
        fields = {"calibration": old.get("calibration") or {}}
    else:
        raise CheckpointError(f"format {fmt!r} version {version!r} is not an older partita format (nothing to upgrade)", file=name)
    if card:
        data["card"] = card
    return write_checkpoint(dst, arrays, kind=KIND, config=old["config"], data=data, training=training, fields=fields)
