"""The decoder: KV-cache sampling equals full recompute, config and checkpoint round trips."""

from __future__ import annotations

import json

import pytest
import torch

from partita.errors import CheckpointError, ConfigError
from partita.symbolic.composer.model import (
    GPT,
    GPTConfig,
    load_checkpoint,
    read_header,
    save_checkpoint,
    sha256_of,
)

TINY = GPTConfig(vocab_size=40, n_layer=2, n_head=2, n_embd=16, block_size=64, dropout=0.0)


def test_config_round_trip_and_validation():
    for cfg in (GPTConfig(), TINY):
        assert GPTConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg
    with pytest.raises(ConfigError):
        GPTConfig(n_embd=30, n_head=4)
    with pytest.raises(ConfigError):
        GPTConfig.from_dict({**TINY.to_dict(), "wings": 2})
    with pytest.raises(ConfigError):
        GPTConfig(schema_version=99)


def test_parameter_count_formula_and_budget():
    for cfg in (GPTConfig(), TINY):
        assert GPT(cfg).n_params() == cfg.n_params()
    assert GPTConfig().n_params() <= 10_000_000


def test_kv_cache_logits_equal_full_recompute():
    torch.manual_seed(0)
    model = GPT(TINY).eval()
    ids = torch.randint(0, TINY.vocab_size, (2, 30))
    with torch.no_grad():
        full, _ = model(ids)
        # prefill 10, then one at a time, then a chunk of 5 after the cache
        logits, cache = model(ids[:, :10])
        steps = [logits]
        for t in range(10, 25):
            lo, cache = model(ids[:, t : t + 1], cache)
            steps.append(lo)
        lo, cache = model(ids[:, 25:30], cache)
        steps.append(lo)
    torch.testing.assert_close(torch.cat(steps, dim=1), full, rtol=1e-5, atol=1e-5)


def test_context_limit_is_an_error():
    model = GPT(TINY).eval()
    with pytest.raises(ConfigError):
        model(torch.zeros(1, 65, dtype=torch.long))


def test_checkpoint_round_trip(tmp_path):
    torch.manual_seed(1)
    model = GPT(TINY).eval()
    path = tmp_path / "m.safetensors"
    digest = save_checkpoint(path, model, training={"step": 7}, data={"card": "c.md"}, tensors={"note": torch.arange(3)})
    assert digest == sha256_of(path)
    back, header, extra = load_checkpoint(path, sha256=digest)
    assert back.config == TINY and header["training"] == {"step": 7} and header["data"] == {"card": "c.md"}
    assert header["format"] == "partita-checkpoint" and header["format_version"] == 1 and header["kind"] == "composer"
    torch.testing.assert_close(extra["note"], torch.arange(3))
    for (k, a), (_, b) in zip(model.state_dict().items(), back.state_dict().items()):
        assert torch.equal(a, b), k
    # the file is safetensors: no pickle anywhere
    assert path.read_bytes()[8:9] == b"{"


def test_loader_refuses_changed_bytes_and_unknown_versions(tmp_path):
    from safetensors.torch import load_file, save_file

    model = GPT(TINY)
    path = tmp_path / "m.safetensors"
    digest = save_checkpoint(path, model)
    with pytest.raises(CheckpointError, match="sha256"):
        load_checkpoint(path, sha256="0" * 64)
    header = read_header(path)
    for change in ({"format_version": 2}, {"format": "other"}):
        bad = tmp_path / "bad.safetensors"
        save_file(load_file(str(path)), str(bad), metadata={"partita": json.dumps({**header, **change})})
        with pytest.raises(CheckpointError, match="bad.safetensors"):
            load_checkpoint(bad)
    nometa = tmp_path / "nometa.safetensors"
    save_file(load_file(str(path)), str(nometa))
    with pytest.raises(CheckpointError, match="header"):
        load_checkpoint(nometa)
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="junk.safetensors"):
        load_checkpoint(junk)
    assert load_checkpoint(path, sha256=digest)[0].config == TINY
