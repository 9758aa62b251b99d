"""The one checkpoint format: both stacks write it, one reader refuses what it cannot use, the
older formats are refused with the conversion command, and that command converts them."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from partita.checkpoint import (
    CONVERT_COMMAND,
    read_checkpoint,
    read_header,
    tensors_sha256,
    write_checkpoint,
    write_safetensors,
)
from partita.errors import CheckpointError, PartitaError

ROOT = Path(__file__).resolve().parents[1]

ARRAYS = {"w": np.arange(6, dtype=np.float32).reshape(2, 3), "rng": np.arange(5, dtype=np.uint8), "n": np.int64(3) * np.ones(1, np.int64)}


def test_round_trip_keeps_arrays_dtypes_and_header(tmp_path):
    path = tmp_path / "m.safetensors"
    sha = write_checkpoint(path, ARRAYS, kind="composer", config={"n": 2}, data={"card": "m.md"},
                           training={"step": 4}, fields={"vocabulary": {"size": 3, "sha256": "x"}})  # fmt: skip
    assert sha == hashlib.sha256(path.read_bytes()).hexdigest()
    ck = read_checkpoint(path, kind="composer", sha256=sha)
    assert set(ck.arrays) == set(ARRAYS)
    for k, v in ARRAYS.items():
        assert ck.arrays[k].dtype == v.dtype and np.array_equal(ck.arrays[k], v)
    assert (ck.kind, ck.config, ck.data, ck.training) == ("composer", {"n": 2}, {"card": "m.md"}, {"step": 4})
    assert ck.header["vocabulary"] == {"size": 3, "sha256": "x"} and ck.header["tensors_sha256"] == tensors_sha256(ARRAYS)
    assert read_header(path, kind="composer") == dict(ck.header)
    # the file is plain safetensors: the safetensors library reads it too
    from safetensors.numpy import load_file

    assert np.array_equal(load_file(str(path))["w"], ARRAYS["w"])


def test_one_error_type_naming_the_file_and_what_is_wrong(tmp_path):
    path = tmp_path / "m.safetensors"
    write_checkpoint(path, ARRAYS, kind="instrument-decoder", config={})
    assert issubclass(CheckpointError, PartitaError)
    with pytest.raises(CheckpointError, match=r"m\.safetensors: wrong kind: a checkpoint of kind 'instrument-decoder', not 'composer'"):
        read_checkpoint(path, kind="composer")
    with pytest.raises(CheckpointError, match=r"m\.safetensors: sha256 .* is not the pinned"):
        read_checkpoint(path, kind=None, sha256="0" * 64)
    blob = bytearray(path.read_bytes())
    blob[-1] ^= 0xFF
    (tmp_path / "bad.safetensors").write_bytes(bytes(blob))
    with pytest.raises(CheckpointError, match=r"bad\.safetensors: corrupt file"):
        read_checkpoint(tmp_path / "bad.safetensors", kind=None)
    (tmp_path / "junk.safetensors").write_bytes(b"\x05\x00\x00\x00\x00\x00\x00\x00{nope")
    with pytest.raises(CheckpointError, match=r"junk\.safetensors: corrupt file"):
        read_checkpoint(tmp_path / "junk.safetensors", kind=None)
    with pytest.raises(CheckpointError, match=r"missing\.safetensors: cannot read"):
        read_checkpoint(tmp_path / "missing.safetensors", kind=None)
    for change, why in (({"format_version": 7}, "format version 7"), ({"format": "other"}, "format 'other'")):
        header = {**read_header(path), **change}
        other = tmp_path / "other.safetensors"
        other.write_bytes(write_safetensors(ARRAYS, metadata={"partita": json.dumps(header)}))
        with pytest.raises(CheckpointError, match=rf"other\.safetensors: {why}"):
            read_checkpoint(other, kind=None)


def _old_composer(path: Path) -> dict:
    """A file in the composer's old format (partita-composer v1), as the old writer laid it out."""
    import torch

    from partita.symbolic.composer.model import GPT, GPTConfig

    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=966, n_layer=1, n_head=2, n_embd=16, block_size=32))
    state = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    state["extra/rng/torch"] = torch.get_rng_state().numpy()
    header = {"format": "partita-composer", "format_version": 1, "config": model.config.to_dict(), "package_version": "0.1.0",
              "extra": {"step": 3, "corpus": {"spec": "toy", "train_pieces": 2}, "history": []}}  # fmt: skip
    path.write_bytes(write_safetensors(state, metadata={"partita": json.dumps(header)}))
    return state


def _old_decoder(path: Path) -> dict:
    arrays = {"inp.weight": np.ones((4, 3, 1), np.float32)}
    header = {"format": "partita-neural-decoder", "format_version": 2, "config": {"instrument": "flute"},
              "calibration": {"loudness_a": {"coef": [0.0, 0.0, 0.0, 0.0]}}, "package_version": "0.1.0",
              "data_sha256": tensors_sha256(arrays), "training": {"steps": 9}}  # fmt: skip
    path.write_bytes(write_safetensors(arrays, metadata={"partita": json.dumps(header)}))
    return arrays


def test_older_formats_are_refused_with_the_conversion_command_which_converts_them(tmp_path, capsys):
    import partita
    from partita.cli import main as cli
    from partita.render.neural_infer import load_weights
    from partita.symbolic.composer.controls import ComposerVocab
    from partita.symbolic.composer.model import load_checkpoint, vocabulary_record

    old_c, old_d = tmp_path / "c.safetensors", tmp_path / "flute.safetensors"
    state = _old_composer(old_c)
    arrays = _old_decoder(old_d)
    (tmp_path / "flute.md").write_text("# card\n")
    for path, fmt in ((old_c, "'partita-composer' version 1"), (old_d, "'partita-neural-decoder' version 2")):
        with pytest.raises(CheckpointError) as err:
            read_checkpoint(path, kind=None)
        assert str(path) in str(err.value) and fmt in str(err.value) and CONVERT_COMMAND in str(err.value)
    new_c = tmp_path / "c2.safetensors"
    assert CONVERT_COMMAND.startswith("partita upgrade-checkpoint ")
    assert cli(["upgrade-checkpoint", str(old_c), str(new_c)]) == 0
    assert capsys.readouterr().out.strip() == hashlib.sha256(new_c.read_bytes()).hexdigest()
    vocab = ComposerVocab.default()
    model, header, extra = load_checkpoint(new_c, vocab=vocab)
    assert header["kind"] == "composer" and header["training"]["step"] == 3 and header["data"] == {"spec": "toy"}
    assert header["vocabulary"] == vocabulary_record(vocab)
    assert all(np.array_equal(v.numpy(), state[k]) for k, v in model.state_dict().items())
    assert np.array_equal(extra["rng/torch"].numpy(), state["extra/rng/torch"])
    # in place, as the shipped weights were converted
    before = old_d.read_bytes()
    sha = partita.upgrade_checkpoint(old_d, old_d)
    assert sha == hashlib.sha256(old_d.read_bytes()).hexdigest() and old_d.read_bytes() != before
    w = load_weights(old_d)
    assert w.header["kind"] == "instrument-decoder" and w.header["data"] == {"card": "flute.md"}
    assert w.header["training"] == {"steps": 9} and np.array_equal(w.arrays["inp.weight"], arrays["inp.weight"])
    # a file already converted is not an older format: the command refuses it in one line, naming it
    assert cli(["upgrade-checkpoint", str(new_c), str(tmp_path / "c3.safetensors")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(new_c) in err and "not an older partita format" in err
    assert not (tmp_path / "c3.safetensors").exists()


def test_composer_refuses_another_vocabulary_and_a_decoder_file(tmp_path):
    import torch

    from partita.symbolic.composer.controls import ComposerVocab
    from partita.symbolic.composer.model import GPT, GPTConfig, load_checkpoint, save_checkpoint

    vocab = ComposerVocab.default()
    model = GPT(GPTConfig(vocab_size=vocab.vocab_size, n_layer=1, n_head=2, n_embd=16, block_size=32))
    path = tmp_path / "m.safetensors"
    save_checkpoint(path, model, vocab=vocab)
    assert load_checkpoint(path, vocab=vocab)[0].config == model.config

    class Renamed:  # the same size, one token renamed: still another vocabulary
        vocab_size = vocab.vocab_size

        def token_string(self, i: int) -> str:
            return "Renamed" if i == 5 else vocab.token_string(i)

    with pytest.raises(CheckpointError, match=r"m\.safetensors: vocabulary mismatch"):
        load_checkpoint(path, vocab=Renamed())
    unrecorded = tmp_path / "u.safetensors"
    save_checkpoint(unrecorded, model)
    with pytest.raises(CheckpointError, match=r"u\.safetensors: vocabulary mismatch"):
        load_checkpoint(unrecorded, vocab=vocab)
    with pytest.raises(CheckpointError, match=r"violin\.safetensors: wrong kind"):
        load_checkpoint(ROOT / "instruments" / "weights" / "violin.safetensors")
    del torch


def test_shipped_weights_are_in_the_one_format_with_their_data_cards():
    for manifest in (ROOT / "instruments" / "weights" / "manifest.json", ROOT / "symbolic" / "composer" / "weights" / "manifest.json"):
        entries = json.loads(manifest.read_text())
        entries = entries.values() if "file" not in entries else [entries]
        for e in entries:
            ck = read_checkpoint(manifest.parent / e["file"], kind=None, sha256=e["sha256"])
            assert ck.header["format"] == "partita-checkpoint" and ck.data["card"] == e["card"]
            assert (manifest.parent / e["card"]).is_file() and e["sha256"] in (manifest.parent / e["card"]).read_text()
