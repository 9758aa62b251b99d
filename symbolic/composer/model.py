"""A small GPT-style decoder over the composer vocabulary, with a KV cache for sampling, and
self-describing safetensors checkpoints.

The network follows nanoGPT's layout: token and learned position embeddings, ``n_layer``
pre-LayerNorm blocks of causal self-attention and a GELU MLP, a final LayerNorm, and an output
projection tied to the token embedding.

Checkpoints are ``composer`` checkpoints in the one format of :mod:`partita.checkpoint`
(safetensors plus a JSON header with kind, format version, config, training data, training
record and tensors' sha256). The composer's header adds its ``vocabulary`` (size and sha256 of
the token strings, :func:`vocabulary_record`); :func:`load_checkpoint` refuses a checkpoint made
over another vocabulary, and everything :func:`partita.checkpoint.read_checkpoint` refuses (a
pinned sha256 that differs, another format, version or kind, a corrupt file). Nothing is
unpickled.

>>> import torch
>>> cfg = GPTConfig(vocab_size=50, n_layer=1, n_head=2, n_embd=16, block_size=32)
>>> model = GPT(cfg)
>>> logits, cache = model(torch.tensor([[1, 2, 3]]))
>>> tuple(logits.shape)
(1, 3, 50)
>>> GPTConfig.from_dict(cfg.to_dict()) == cfg
True
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import os
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from partita._fileio import sha256_file
from partita.errors import CheckpointError, ConfigError

__all__ = [
    "KIND",
    "GPT",
    "GPTConfig",
    "KVCache",
    "load_checkpoint",
    "save_checkpoint",
    "sha256_of",
    "vocabulary_record",
]

CONFIG_SCHEMA_VERSION = 1
#: The checkpoint kind of composer weights (:mod:`partita.checkpoint`).
KIND = "composer"


@dataclass(frozen=True, slots=True)
class GPTConfig:
    """Shape of the decoder; saved inside every checkpoint.

    Parameters
    ----------
    vocab_size
        Number of token ids.
    n_layer, n_head, n_embd
        Blocks, attention heads, width (``n_embd`` divisible by ``n_head``).
    block_size
        Longest context in tokens.
    dropout
        Dropout probability while training (0-0.5).
    schema_version
        Format version of this config.
    """

    vocab_size: int = 966
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 192
    block_size: int = 512
    dropout: float = 0.1
    schema_version: int = CONFIG_SCHEMA_VERSION

    def __post_init__(self) -> None:
        if self.schema_version != CONFIG_SCHEMA_VERSION:
            raise ConfigError(f"model config schema {self.schema_version!r}; this partita reads {CONFIG_SCHEMA_VERSION}")
        for name in ("vocab_size", "n_layer", "n_head", "n_embd", "block_size"):
            v = getattr(self, name)
            if not (isinstance(v, int) and not isinstance(v, bool) and v >= 1):
                raise ConfigError(f"model config {name} {v!r} must be a positive whole number")
        if self.n_embd % self.n_head:
            raise ConfigError(f"n_embd {self.n_embd} is not divisible by n_head {self.n_head}")
        if not 0.0 <= float(self.dropout) <= 0.5:
            raise ConfigError(f"dropout {self.dropout} is outside 0-0.5")
        object.__setattr__(self, "dropout", float(self.dropout))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict; :meth:`from_dict` inverts it."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GPTConfig:
        """Inverse of :meth:`to_dict`; unknown keys raise ConfigError."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ConfigError(f"unknown model config keys: {', '.join(sorted(unknown))}")
        return cls(**data)

    def n_params(self) -> int:
        """Parameter count of a model of this shape (tied output weights counted once)."""
        e, l_, v, b = self.n_embd, self.n_layer, self.vocab_size, self.block_size
        per_block = 2 * 2 * e + (3 * e * e + 3 * e) + (e * e + e) + (4 * e * e + 4 * e) + (4 * e * e + e)
        return v * e + b * e + l_ * per_block + 2 * e


#: Per layer: (keys, values), each float [batch, n_head, n_past, head_dim].
KVCache = list[tuple[torch.Tensor, torch.Tensor]]


class _Attention(nn.Module):
    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        self.n_head = cfg.n_head
        self.qkv = nn.Linear(cfg.n_embd, 3 * cfg.n_embd)
        self.proj = nn.Linear(cfg.n_embd, cfg.n_embd)
        self.dropout = cfg.dropout

    def forward(self, x: torch.Tensor, past: tuple[torch.Tensor, torch.Tensor] | None):
        b, t, c = x.shape
        q, k, v = self.qkv(x).split(c, dim=2)
        shape = (b, t, self.n_head, c // self.n_head)
        q, k, v = (z.view(shape).transpose(1, 2) for z in (q, k, v))
        if past is not None:
            k = torch.cat([past[0], k], dim=2)
            v = torch.cat([past[1], v], dim=2)
        n_past = k.shape[2] - t
        p = self.dropout if self.training else 0.0
        if n_past == 0:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True, dropout_p=p)
        elif t == 1:
            y = F.scaled_dot_product_attention(q, k, v, dropout_p=p)
        else:  # several new tokens after a cache: causal with an offset
            i = torch.arange(t, device=x.device)[:, None] + n_past
            j = torch.arange(k.shape[2], device=x.device)[None, :]
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=j <= i, dropout_p=p)
        y = y.transpose(1, 2).contiguous().view(b, t, c)
        return self.proj(y), (k, v)


class _Block(nn.Module):
    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        self.ln1 = nn.LayerNorm(cfg.n_embd)
        self.attn = _Attention(cfg)
        self.ln2 = nn.LayerNorm(cfg.n_embd)
        self.fc = nn.Linear(cfg.n_embd, 4 * cfg.n_embd)
        self.out = nn.Linear(4 * cfg.n_embd, cfg.n_embd)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x, past):
        a, kv = self.attn(self.ln1(x), past)
        x = x + self.drop(a)
        x = x + self.drop(self.out(F.gelu(self.fc(self.ln2(x)))))
        return x, kv


class GPT(nn.Module):
    """The decoder.

    ``model(idx, cache=None)`` takes token ids ``int64 [batch, n_new]`` (the positions after
    the cache's ``n_past``) and returns ``(logits float32 [batch, n_new, vocab_size], cache)``.
    With a cache the logits equal those of running the whole sequence at once.
    """

    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        self.config = cfg
        self.tok = nn.Embedding(cfg.vocab_size, cfg.n_embd)
        self.pos = nn.Embedding(cfg.block_size, cfg.n_embd)
        self.drop = nn.Dropout(cfg.dropout)
        self.blocks = nn.ModuleList([_Block(cfg) for _ in range(cfg.n_layer)])
        self.ln_f = nn.LayerNorm(cfg.n_embd)
        self.apply(self._init)
        for name, p in self.named_parameters():
            if name.endswith("proj.weight") or name.endswith("out.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * cfg.n_layer))

    @staticmethod
    def _init(m: nn.Module) -> None:
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, mean=0.0, std=0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, mean=0.0, std=0.02)

    def n_params(self) -> int:
        """Number of parameters."""
        return sum(p.numel() for p in self.parameters())

    def forward(self, idx: torch.Tensor, cache: KVCache | None = None) -> tuple[torch.Tensor, KVCache]:
        b, t = idx.shape
        n_past = 0 if not cache else cache[0][0].shape[2]
        if n_past + t > self.config.block_size:
            raise ConfigError(f"{n_past + t} tokens exceed the model's context of {self.config.block_size}")
        pos = torch.arange(n_past, n_past + t, device=idx.device)
        x = self.drop(self.tok(idx) + self.pos(pos)[None])
        new: KVCache = []
        for i, block in enumerate(self.blocks):
            x, kv = block(x, cache[i] if cache else None)
            new.append(kv)
        x = self.ln_f(x)
        return x @ self.tok.weight.T, new


# ---------------------------------------------------------------------------------------------
# Checkpoints


#: Hex sha256 of a file's bytes (the one implementation lives in partita._fileio).
sha256_of = sha256_file


def vocabulary_record(vocab: Any) -> dict[str, Any]:
    """``{"size", "sha256"}`` of a :class:`~partita.symbolic.composer.controls.ComposerVocab`:
    the sha256 of its token strings in id order, one per line."""
    text = "\n".join(vocab.token_string(i) for i in range(vocab.vocab_size))
    return {"size": int(vocab.vocab_size), "sha256": hashlib.sha256(text.encode()).hexdigest()}


def save_checkpoint(
    path: str | os.PathLike[str],
    model: GPT,
    *,
    training: Mapping[str, Any] | None = None,
    data: Mapping[str, Any] | None = None,
    tensors: Mapping[str, torch.Tensor] | None = None,
    vocab: Any = None,
) -> str:
    """Write ``model``'s weights (plus optional extra ``tensors``, e.g. optimizer state, stored
    as ``extra/NAME``) as a ``composer`` checkpoint, atomically. Returns the file's sha256.

    ``training`` is the training record, ``data`` the training data (corpus, data card), ``vocab``
    the vocabulary the model was trained over (recorded by :func:`vocabulary_record`; without it
    only the size is recorded and :func:`load_checkpoint` with a ``vocab`` refuses the file).
    """
    from partita.checkpoint import write_checkpoint

    def arr(t: torch.Tensor) -> np.ndarray:
        return t.detach().contiguous().cpu().numpy()

    state = {k: arr(v) for k, v in model.state_dict().items()}
    for k, v in (tensors or {}).items():
        state[f"extra/{k}"] = arr(torch.as_tensor(v))
    voc = vocabulary_record(vocab) if vocab is not None else {"size": model.config.vocab_size, "sha256": None}
    return write_checkpoint(path, state, kind=KIND, config=model.config.to_dict(), data=data, training=training,
                            fields={"vocabulary": voc})  # fmt: skip


def read_header(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The JSON header of a composer checkpoint, checked for format, version and kind."""
    from partita.checkpoint import read_header as read

    return read(path, kind=KIND)


def load_checkpoint(
    path: str | os.PathLike[str], *, sha256: str | None = None, device: str = "cpu", vocab: Any = None
) -> tuple[GPT, dict[str, Any], dict[str, torch.Tensor]]:
    """Load a checkpoint: the model (eval mode), its header and any extra tensors.

    Parameters
    ----------
    path
        A ``composer`` checkpoint.
    sha256
        The pinned sha256 of the file's bytes (shipped weights).
    device
        Where the model goes.
    vocab
        The vocabulary the caller will feed the model; the checkpoint's must be the same.

    Raises
    ------
    CheckpointError
        Naming the file: everything :func:`partita.checkpoint.read_checkpoint` refuses, another
        vocabulary, or weights that do not fit the config.
    """
    from partita.checkpoint import read_checkpoint

    ck = read_checkpoint(path, kind=KIND, sha256=sha256)
    name = ck.path
    header = dict(ck.header)
    if vocab is not None:
        want, got = vocabulary_record(vocab), header.get("vocabulary") or {}
        if got != want:
            raise CheckpointError(f"vocabulary mismatch: the checkpoint's ({got.get('size')} tokens, sha256 "
                                  f"{str(got.get('sha256'))[:12]}...) is not this partita's ({want['size']} tokens, "
                                  f"sha256 {want['sha256'][:12]}...)", file=name)  # fmt: skip
    try:
        cfg = GPTConfig.from_dict(header["config"])
    except ConfigError as exc:
        raise CheckpointError(f"the header's config is not a composer config: {exc.message}", file=name) from None
    state = {k: torch.from_numpy(np.array(v)).to(device) for k, v in ck.arrays.items()}
    extra = {k[len("extra/") :]: v for k, v in state.items() if k.startswith("extra/")}
    weights = {k: v for k, v in state.items() if not k.startswith("extra/")}
    model = GPT(cfg).to(device)
    try:
        model.load_state_dict(weights)
    except RuntimeError as exc:
        raise CheckpointError(f"weights do not fit the config: {str(exc).splitlines()[0]}", file=name) from None
    model.eval()
    return model, header, extra
