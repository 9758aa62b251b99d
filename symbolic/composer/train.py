"""Training the composer: windows of token sequences, transposition on the fly, AdamW with a
cosine schedule, held-out loss, and resumable checkpoints.

A run writes ``out_dir/last.safetensors`` (weights, optimizer moments, random states, step,
elapsed time) every ``ckpt_every`` steps and when it stops, atomically, so a run cut off at any
moment continues from its last checkpoint with ``resume=True`` and, on the same machine and
thread count, reaches the same weights as a run that was never cut off.

Windows: a window starts at a ``Bar`` of a piece (pieces drawn in proportion to their length)
and is prefixed with the piece's header (``BOS Key Tempo Role...``), so every window knows its
key and parts. Loss is next-token cross-entropy on REMI tokens only: the control tokens are
inputs the composer always writes itself, never predictions.

>>> cfg = ComposerTrainConfig(max_steps=10)
>>> ComposerTrainConfig.from_dict(cfg.to_dict()) == cfg
True
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

from partita.errors import ConfigError

__all__ = ["ComposerTrainConfig", "TrainResult", "train", "evaluate_loss", "stages"]

TRAIN_SCHEMA_VERSION = 1


@dataclass(frozen=True, slots=True)
class ComposerTrainConfig:
    """Settings of one composer training run (saved in every checkpoint's header).

    Parameters
    ----------
    model
        :class:`~partita.symbolic.composer.model.GPTConfig` as a dict (``vocab_size`` is set
        from the vocabulary).
    batch_size
        Windows per step.
    lr, min_lr, warmup_steps, weight_decay
        AdamW learning rate (cosine decay to ``min_lr`` over ``max_steps``), warm-up steps and
        decoupled weight decay.
    max_steps
        Optimizer steps in total (a resumed run counts from where it stopped).
    ckpt_every, eval_every
        Steps between checkpoints and between held-out evaluations.
    transpose
        ``(lowest, highest)`` semitones of the on-the-fly transposition.
    seed
        Seeds the model's initialisation, window choice and dropout.
    eval_windows
        Held-out windows evaluated (fixed: the first windows of the held-out pieces).
    """

    model: Mapping[str, Any] = field(default_factory=lambda: {"n_layer": 4, "n_head": 4, "n_embd": 192, "block_size": 512, "dropout": 0.1})
    batch_size: int = 8
    lr: float = 1e-3
    min_lr: float = 1e-4
    warmup_steps: int = 100
    weight_decay: float = 0.1
    max_steps: int = 4000
    ckpt_every: int = 25
    eval_every: int = 100
    transpose: tuple[int, int] = (-5, 6)
    seed: int = 0
    eval_windows: int = 64
    schema_version: int = TRAIN_SCHEMA_VERSION

    def __post_init__(self) -> None:
        object.__setattr__(self, "model", dict(self.model))
        object.__setattr__(self, "transpose", (int(self.transpose[0]), int(self.transpose[1])))
        if self.schema_version != TRAIN_SCHEMA_VERSION:
            raise ConfigError(f"train config schema {self.schema_version!r}; this partita reads {TRAIN_SCHEMA_VERSION}")
        for name in ("batch_size", "max_steps", "ckpt_every", "eval_every", "eval_windows"):
            v = getattr(self, name)
            if not (isinstance(v, int) and v >= 1):
                raise ConfigError(f"{name} {v!r} must be a positive whole number")
        if not (0 < self.min_lr <= self.lr <= 1.0):
            raise ConfigError(f"learning rates {self.min_lr}, {self.lr} are not 0 < min_lr <= lr <= 1")
        if self.transpose[0] > self.transpose[1]:
            raise ConfigError(f"transpose range {self.transpose} is empty")

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["transpose"] = list(self.transpose)
        return d

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ComposerTrainConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ConfigError(f"unknown train config keys: {', '.join(sorted(unknown))}")
        return cls(**{k: tuple(v) if k == "transpose" else v for k, v in data.items()})


@dataclass(frozen=True, slots=True)
class TrainResult:
    """What a run reached: ``step``, the last ``train_loss`` and ``heldout_loss`` (nats per
    REMI token), total ``elapsed_s`` over all resumed chunks, the checkpoint ``path`` and its
    ``sha256``."""

    step: int
    train_loss: float
    heldout_loss: float | None
    elapsed_s: float
    path: Path
    sha256: str


class _Windows:
    """Draws training windows from a :class:`~partita.symbolic.composer.corpus.TokenSet`."""

    def __init__(self, ts: Any, vocab: Any, block: int) -> None:
        self.ts = ts
        self.vocab = vocab
        self.block = block
        self.bars = []
        for i in range(len(ts)):
            piece = ts.piece(i)
            h = int(ts.header[i])
            self.bars.append(np.flatnonzero(piece[h:] == vocab.bar) + h)
        lengths = np.diff(ts.offsets).astype(np.float64)
        self.p = lengths / lengths.sum()
        self.loss_mask = ~vocab.is_control  # targets that count
        self.loss_mask[vocab.pad] = False

    def window(self, i: int, start_bar: int, shift: int) -> np.ndarray:
        piece = self.ts.piece(i)
        h = int(self.ts.header[i])
        start = int(self.bars[i][start_bar]) if len(self.bars[i]) else h
        body = piece[start : start + self.block + 1 - h]
        w = np.concatenate([piece[:h], body]).astype(np.int64)
        if shift:
            moved = self.vocab.transpose_ids(w, shift)
            if moved is not None:
                w = moved
        out = np.full(self.block + 1, self.vocab.pad, dtype=np.int64)
        out[: len(w)] = w
        return out

    def batch(self, gen: Any, n: int, transpose: tuple[int, int]) -> tuple[Any, Any]:
        import torch

        rows = []
        u = torch.rand(n, 3, generator=gen).numpy()
        cdf = np.cumsum(self.p)
        for r in range(n):
            i = min(int(np.searchsorted(cdf, u[r, 0] * cdf[-1], side="right")), len(self.p) - 1)
            nb = max(1, len(self.bars[i]))
            b = min(int(u[r, 1] * nb), nb - 1)
            shift = transpose[0] + min(int(u[r, 2] * (transpose[1] - transpose[0] + 1)), transpose[1] - transpose[0])
            rows.append(self.window(i, b, shift))
        return self._xy(np.stack(rows))

    def _xy(self, rows: np.ndarray) -> tuple[Any, Any]:
        import torch

        x = torch.from_numpy(rows[:, :-1].copy())
        y = rows[:, 1:].copy()
        y[~self.loss_mask[y]] = -100
        return x, torch.from_numpy(y)

    def fixed(self, n: int) -> list[tuple[Any, Any]]:
        """Deterministic evaluation windows: each piece's windows from its first bar on, in
        steps of about one block, round-robin over pieces, up to ``n`` windows, batches of 8."""
        rows = []
        k = 0
        while len(rows) < n and k < 64:
            for i in range(len(self.ts)):
                bars = self.bars[i]
                if not len(bars):
                    continue
                # the bar about k blocks into the piece
                target = int(bars[0]) + k * (self.block - int(self.ts.header[i]))
                j = int(np.searchsorted(bars, target))
                if j >= len(bars) or (k and bars[j] < target):
                    continue
                rows.append(self.window(i, j, 0))
                if len(rows) >= n:
                    break
            k += 1
        return [self._xy(np.stack(rows[a : a + 8])) for a in range(0, len(rows), 8)]


def evaluate_loss(model: Any, batches: list[tuple[Any, Any]], device: str = "cpu") -> float:
    """Mean cross-entropy (nats per counted target token) of ``model`` over fixed batches."""
    import torch
    from torch.nn import functional as F

    was = model.training
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for x, y in batches:
            logits, _ = model(x.to(device))
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.to(device).reshape(-1),
                                   ignore_index=-100, reduction="sum")  # fmt: skip
            total += float(loss)
            count += int((y != -100).sum())
    model.train(was)
    return total / max(count, 1)


def _earlier_stage(extra: Mapping[str, Any], sha256: str) -> dict[str, Any]:
    """What a fine-tuning run started from: the ``--init`` file's sha256, steps, training time,
    corpus and loss history, and (nested) the stage before that, so a model card can state the
    whole training time of a model trained in stages."""
    info: dict[str, Any] = {"sha256": sha256}
    for key in ("step", "elapsed_s", "corpus", "history", "train_config", "command"):
        if key in extra:
            info[key] = extra[key]
    if "init" in extra:
        info["init"] = extra["init"]
    return info


def data_record(corpus_info: Mapping[str, Any] | None) -> dict[str, Any]:
    """The checkpoint's training-data record: the corpus spec, collections and token folder
    (the full counts stay in the training record, stage by stage)."""
    c = dict(corpus_info or {})
    return {k: c[k] for k in ("spec", "collections", "tokens_dir") if k in c}


def stages(extra: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The training stages of a checkpoint's header, earliest first (the last is the run itself)."""
    chain: list[Mapping[str, Any]] = []
    node: Mapping[str, Any] | None = extra
    while node is not None:
        chain.append(node)
        node = node.get("init")
    return chain[::-1]


def _lr_at(cfg: ComposerTrainConfig, step: int) -> float:
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    frac = min(1.0, (step - cfg.warmup_steps) / max(1, cfg.max_steps - cfg.warmup_steps))
    return cfg.min_lr + 0.5 * (cfg.lr - cfg.min_lr) * (1 + math.cos(math.pi * frac))


def train(
    cfg: ComposerTrainConfig,
    *,
    train_set: Any,
    heldout_set: Any | None,
    out_dir: str | os.PathLike[str],
    resume: bool = False,
    init: str | os.PathLike[str] | None = None,
    minutes: float | None = None,
    device: str = "cpu",
    progress: bool = True,
    log: Callable[[str], None] | None = None,
    corpus_info: Mapping[str, Any] | None = None,
    on_step: Callable[[int], None] | None = None,
) -> TrainResult:
    """Train (or continue training) a composer model.

    Parameters
    ----------
    cfg
        The run's settings; a resumed run keeps the checkpoint's model shape.
    train_set, heldout_set
        :class:`~partita.symbolic.composer.corpus.TokenSet` of training and held-out pieces.
    out_dir
        Where ``last.safetensors`` goes.
    resume
        Continue from ``out_dir/last.safetensors`` when it exists.
    init
        Start from these weights (fine-tuning on one's own music); ignored when resuming.
    minutes
        Stop (with a checkpoint) after this much wall-clock time in this call.
    device
        ``"cpu"`` or ``"cuda"``.
    on_step
        Called with the step number after each step (and its checkpoint); an exception it
        raises ends the run there, as a cut would.

    Returns
    -------
    TrainResult
    """
    import torch
    from torch.nn import functional as F

    from partita.symbolic.composer.controls import ComposerVocab
    from partita.symbolic.composer.model import GPT, GPTConfig, load_checkpoint, save_checkpoint

    if device == "cuda" and not torch.cuda.is_available():
        raise ConfigError("--device cuda asked for, but torch sees no CUDA device")
    if len(train_set) == 0:
        raise ConfigError("the training set holds no pieces")
    vocab = ComposerVocab.default()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ckpt = out / "last.safetensors"
    step, elapsed, train_loss, held_loss = 0, 0.0, float("nan"), None
    init_info: dict[str, Any] | None = None
    gen = torch.Generator().manual_seed(cfg.seed)
    history: list[dict[str, float]] = []
    if resume and ckpt.exists():
        model, header, extra = load_checkpoint(ckpt, device=device, vocab=vocab)
        ex = header["training"]
        # the checkpoint's settings, with the total number of steps asked for now
        cfg = dataclasses.replace(ComposerTrainConfig.from_dict(ex["train_config"]), max_steps=cfg.max_steps)
        step, elapsed = int(ex["step"]), float(ex["elapsed_s"])
        train_loss, held_loss = float(ex.get("train_loss", "nan")), ex.get("heldout_loss")
        history = list(ex.get("history", []))
        init_info = ex.get("init")
        gen.set_state(extra["rng/windows"])
        torch.set_rng_state(extra["rng/torch"])
    else:
        torch.manual_seed(cfg.seed)
        if init is not None:
            from partita.symbolic.composer.model import sha256_of

            model, init_header, _ = load_checkpoint(init, device=device, vocab=vocab)
            init_info = _earlier_stage(init_header["training"], sha256_of(init))
        else:
            model = GPT(GPTConfig.from_dict({**cfg.model, "vocab_size": vocab.vocab_size})).to(device)
        extra = {}
    if model.config.vocab_size != vocab.vocab_size:
        raise ConfigError(f"model vocabulary {model.config.vocab_size} differs from the composer's {vocab.vocab_size}")
    model.train()
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=cfg.lr, betas=(0.9, 0.95),
    )  # fmt: skip
    if resume and "opt/state" in str(list(extra)):
        params = list(model.parameters())
        for i, p in enumerate(params):
            if f"opt/state/{i}/exp_avg" in extra:
                opt.state[p] = {
                    "step": extra[f"opt/state/{i}/step"].clone(),
                    "exp_avg": extra[f"opt/state/{i}/exp_avg"].to(device).clone(),
                    "exp_avg_sq": extra[f"opt/state/{i}/exp_avg_sq"].to(device).clone(),
                }
    block = model.config.block_size
    windows = _Windows(train_set, vocab, block)
    held_batches = _Windows(heldout_set, vocab, block).fixed(cfg.eval_windows) if heldout_set is not None and len(heldout_set) else []

    def save() -> str:
        tensors = {"rng/windows": gen.get_state(), "rng/torch": torch.get_rng_state()}
        for i, p in enumerate(model.parameters()):
            st = opt.state.get(p)
            if st:
                tensors[f"opt/state/{i}/step"] = torch.as_tensor(st["step"]).reshape(())
                tensors[f"opt/state/{i}/exp_avg"] = st["exp_avg"]
                tensors[f"opt/state/{i}/exp_avg_sq"] = st["exp_avg_sq"]
        meta = {
            "train_config": cfg.to_dict(), "step": step, "elapsed_s": elapsed,
            "train_loss": train_loss, "heldout_loss": held_loss, "history": history,
            "corpus": dict(corpus_info or {}), "device": device, "threads": torch.get_num_threads(),
        }  # fmt: skip
        if init_info is not None:
            meta["init"] = init_info
        return save_checkpoint(ckpt, model, training=meta, data=data_record(corpus_info), tensors=tensors, vocab=vocab)

    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=cfg.max_steps, initial=step, desc="train", unit="step")
    t0 = time.monotonic()
    t_last = t0
    digest = ""
    losses: list[float] = []
    while step < cfg.max_steps:
        for g in opt.param_groups:
            g["lr"] = _lr_at(cfg, step)
        x, y = windows.batch(gen, cfg.batch_size, cfg.transpose)
        logits, _ = model(x.to(device))
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.to(device).reshape(-1), ignore_index=-100)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        losses.append(float(loss.detach()))
        now = time.monotonic()
        elapsed += now - t_last
        t_last = now
        train_loss = float(np.mean(losses[-50:]))
        if held_batches and (step % cfg.eval_every == 0 or step == cfg.max_steps):
            held_loss = evaluate_loss(model, held_batches, device)
            history.append({"step": step, "train_loss": train_loss, "heldout_loss": held_loss, "elapsed_s": elapsed})
            if log:
                log(f"step {step}: train {train_loss:.3f}, held-out {held_loss:.3f} nats/token")
            t_last = time.monotonic()  # evaluation time is not training time
        if bar:
            bar.update(1)
            bar.set_postfix(loss=f"{train_loss:.3f}", held=f"{held_loss:.3f}" if held_loss is not None else "-")
        out_of_time = minutes is not None and (time.monotonic() - t0) >= minutes * 60
        if step % cfg.ckpt_every == 0 or step == cfg.max_steps or out_of_time:
            digest = save()
        if on_step is not None:
            on_step(step)
        if out_of_time:
            break
    if bar:
        bar.close()
    if not digest:
        digest = save()
    return TrainResult(step, train_loss, held_loss, elapsed, ckpt, digest)


def export_weights(ckpt: str | os.PathLike[str], dst: str | os.PathLike[str], *, extra: Mapping[str, Any] | None = None,
                   card: str | None = None) -> str:  # fmt: skip
    """Write only the weights (no optimizer state) of a training checkpoint, with its header,
    ``extra`` added to its training record and ``card`` (the model card's file name) to its
    data record; returns the new file's sha256. This is what ships."""
    from partita.symbolic.composer.controls import ComposerVocab
    from partita.symbolic.composer.model import load_checkpoint, save_checkpoint

    vocab = ComposerVocab.default()
    model, header, _ = load_checkpoint(ckpt, vocab=vocab)
    meta = dict(header["training"])
    meta.update(extra or {})
    data = dict(header.get("data") or {})
    if card is not None:
        data["card"] = card
    return save_checkpoint(dst, model, training=meta, data=data, vocab=vocab)
