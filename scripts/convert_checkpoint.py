"""Rewrite a checkpoint of an older format in the one checkpoint format (partita.checkpoint).

    .venv/bin/python scripts/convert_checkpoint.py OLD.safetensors NEW.safetensors [--card NAME]

Reads the two formats partita wrote before: ``partita-composer`` version 1 (the composer's) and
``partita-neural-decoder`` version 2 (the instrument decoders'). The arrays are copied bit for
bit; the header moves into the new layout:

- composer: ``extra`` becomes the ``training`` record, its corpus the ``data`` record, and the
  ``vocabulary`` is that of this partita's composer when the sizes agree (the model was trained
  over it), else only the size (the loader then refuses the file);
- decoder: ``calibration`` and ``training`` stay, the tensors' hash is checked first.

``--card`` names the model card recorded as the data card (default: ``OLD``'s name with ``.md``
when that file exists beside it). ``NEW`` may be ``OLD`` (written atomically). Prints the new
file's sha256 -- update the manifest, model card and anything else that pins the old one.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from partita.checkpoint import read_safetensors, tensors_sha256, write_checkpoint
from partita.errors import CheckpointError, PartitaError


def convert(src: str | Path, dst: str | Path, *, card: str | None = None) -> str:
    """Convert ``src`` (an older format) into ``dst``; returns ``dst``'s sha256."""
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
        raise CheckpointError(f"format {fmt!r} version {version!r} is not one this script converts", file=name)
    if card:
        data["card"] = card
    return write_checkpoint(dst, arrays, kind=KIND, config=old["config"], data=data, training=training, fields=fields)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--card", default=None, help="the model card recorded as the data card")
    a = ap.parse_args(argv)
    try:
        print(convert(a.old, a.new, card=a.card))
    except PartitaError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
