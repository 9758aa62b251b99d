"""Neural instrument decoders in torch: config, network, losses, training and export.

The decoder maps per-frame (f0, A-weighted loudness, time since the note's onset) to the
synthesis parameters of the numba kernels (amplitude, harmonic distribution, noise band
magnitudes). It is a causal dilated
convolutional network (:class:`CausalDecoder`, about 100k parameters with the defaults), so it
can stream; the render path runs it in numpy from the exported arrays
(:mod:`partita.render.neural_infer`), never in torch.

This module holds the config, the networks, checkpoints and the training loop; the losses and
the differentiable 16 kHz synthesis are in :mod:`partita.render.neural_losses`, the whole job
(data, training, export, model card) in :mod:`partita.render.instrument_training`.

Training has two stages (see ``docs/neural_renderers.md``):

1. **Regression** on targets measured from the audio (:mod:`partita.render.dataset`):
   log harmonic amplitudes and log noise band magnitudes, L1 in the log domain. No synthesis in
   the loop: thousands of steps a minute on one CPU core.
2. **Spectral** fine-tuning: the decoder's parameters are synthesised at 16 kHz by the torch
   twins (:mod:`partita.render.twin`) and compared with the recording by the multi-scale
   spectral loss (:func:`partita.render.neural_losses.spectral_loss`, DDSP's definition).

>>> cfg = DecoderConfig(instrument="flute")
>>> DecoderConfig.from_dict(cfg.to_dict()) == cfg, CausalDecoder(cfg).n_params() <= 300_000
(True, True)
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import torch
from torch import nn

from partita.errors import ConfigError, PartitaError
from partita.checkpoint import write_checkpoint
from partita.render.neural_infer import INPUTS, KIND, load_weights, onset_feature
from partita.render.neural_eval import (_batch_features, _improved, _split_starts, _synthesis_and_target, _tensor_batch,
                                       evaluate_regression, evaluate_spectral, torch_features)
from partita.render.neural_losses import regression_loss, spectral_loss

__all__ = [
    "SCHEMA_VERSION",
    "DecoderConfig",
    "DecoderTrainConfig",
    "CausalDecoder",
    "BaselineGRUDecoder",
    "TrainingError",
    "torch_features",
    "evaluate_regression",
    "evaluate_spectral",
    "decoder_inputs",
    "fit_loudness_calibration",
    "train",
    "export_weights",
]

SCHEMA_VERSION = 2

#: Half the spectral stage's sample rate (it compares 16 kHz audio): what it cannot hear begins here.
UPPER_HZ = 8000.0


class TrainingError(PartitaError):
    """Training could not go on (diverged, no data); the last good checkpoint is kept."""


@dataclass(frozen=True, slots=True)
class DecoderConfig:
    """Shape of a neural decoder; saved inside every checkpoint and weight file.

    Parameters
    ----------
    instrument
        Catalog instrument id (or a user's name) the decoder is trained for.
    n_harmonics, n_bands
        Harmonics 1..n_harmonics; noise bands evenly spaced from 0 Hz to 24 kHz.
    channels, kernel_size, dilations
        Width, kernel and dilation per residual block; the receptive field is
        ``1 + (kernel_size - 1) * sum(dilations)`` frames (4 ms each). 32 channels since
        session 10: on the violin's held-out notes they matched 64 in 3 minutes of training
        (spectral 5.75 against 5.77) at 0.58 of the decode time (docs/neural_renderers.md).
    frame_rate
        Control frames per second (Hz); the render grid is 250.
    inputs
        The per-frame inputs, in order (only :data:`~partita.render.neural_infer.INPUTS`:
        pitch, A-weighted loudness, onset feature).
    """

    instrument: str = ""
    n_harmonics: int = 60
    n_bands: int = 17
    channels: int = 32
    kernel_size: int = 3
    dilations: tuple[int, ...] = (1, 2, 4, 8, 16, 32)
    frame_rate: float = 250.0
    inputs: tuple[str, ...] = INPUTS
    schema_version: int = SCHEMA_VERSION

    def __post_init__(self) -> None:
        object.__setattr__(self, "dilations", tuple(int(d) for d in self.dilations))
        object.__setattr__(self, "inputs", tuple(str(i) for i in self.inputs))
        if self.inputs != INPUTS:
            raise ConfigError(f"decoder inputs {list(self.inputs)} are not the supported {list(INPUTS)}")
        if self.schema_version != SCHEMA_VERSION:
            raise ConfigError(f"decoder config schema_version {self.schema_version} is not {SCHEMA_VERSION}")
        if not (1 <= self.n_harmonics <= 256 and 2 <= self.n_bands <= 257):
            raise ConfigError(f"n_harmonics {self.n_harmonics} / n_bands {self.n_bands} out of range")
        if self.channels < 1 or self.kernel_size < 1 or not self.dilations or min(self.dilations) < 1:
            raise ConfigError("channels, kernel_size and dilations must be positive")

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly dict."""
        d = dataclasses.asdict(self)
        d["dilations"] = list(self.dilations)
        d["inputs"] = list(self.inputs)
        return d

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DecoderConfig:
        """Inverse of :meth:`to_dict`; unknown keys are refused."""
        names = {f.name for f in dataclasses.fields(cls)}
        extra = set(data) - names
        if extra:
            raise ConfigError(f"unknown decoder config keys: {sorted(extra)}")
        return cls(**dict(data))


@dataclass(frozen=True, slots=True)
class DecoderTrainConfig:
    """Settings of one instrument-decoder training run (saved in checkpoints for the model card)."""

    minutes: float = 10.0
    spectral_fraction: float = 0.2
    batch_size: int = 8
    segment_frames: int = 256
    learning_rate: float = 3e-3
    spectral_batch: int = 4
    spectral_frames: int = 125
    seed: int = 0
    validate_every_s: float = 20.0
    validate_every_steps: int | None = None
    """Validate every N steps instead of every ``validate_every_s`` seconds. The validations, and
    so where ``patience`` ends a stage and which weights are the best, then fall on the same steps
    on any machine: a run that ends by its plateaus (not by the ``minutes`` budget, nor the
    regression stage by its share of it) gives the same weights wherever it runs. Every 20
    seconds, the default, the steps between validations depend on the machine's speed."""
    max_steps: int | None = None
    spectral_from_step: int | None = None
    """When set, the spectral stage starts at this step instead of at ``1 - spectral_fraction`` of
    the time budget: a run that must match another's steps (the GRU baseline of
    ``benchmarks/bench_neural.py``) matches its schedule in steps too."""
    patience: int | None = None
    """Train while the held-out loss still improves: with ``patience`` N, a stage ends after N
    validations in a row without a new best (by more than ``min_improvement``), or at its share of
    the budget; the regression stage then hands its best weights to the spectral stage, and the
    run returns the spectral stage's best weights by the held-out spectral loss (the regression
    loss's best where there is no audio). ``None``: the whole budget, the last weights."""
    min_improvement: float = 0.002
    """Relative improvement of the held-out loss that counts as a new best (with ``patience``)."""
    upper_weight: float = 0.0
    """In the spectral stage, the weight of the regression loss on what the 16 kHz spectral loss
    cannot see: the harmonics' share and the noise bands at or above 8 kHz
    (``regression_loss(..., above_hz=8000)``); the spectral stage's held-out measure (with
    ``patience``) adds the held-out value of the same term at the same weight. 0: the spectral
    stage keeps only the whole regression loss at 0.1, and longer training lets the upper band
    drift (docs/neural_renderers.md, "Above 8 kHz")."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly dict."""
        return dataclasses.asdict(self)


class _Block(nn.Module):
    def __init__(self, channels: int, kernel_size: int, dilation: int) -> None:
        super().__init__()
        self.pad = (kernel_size - 1) * dilation
        self.conv = nn.Conv1d(channels, channels, kernel_size, dilation=dilation)
        self.mix = nn.Conv1d(channels, channels, 1)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        y = torch.relu(self.conv(nn.functional.pad(h, (self.pad, 0))))
        return h + self.mix(y)


class CausalDecoder(nn.Module):
    """Causal dilated-convolution decoder: features [B, T, 3] -> heads [B, T, 1 + K + B_n]."""

    def __init__(self, config: DecoderConfig) -> None:
        super().__init__()
        self.config = config
        c = config.channels
        self.inp = nn.Conv1d(len(config.inputs), c, 1)
        self.blocks = nn.ModuleList(_Block(c, config.kernel_size, d) for d in config.dilations)
        self.head = nn.Conv1d(c, 1 + config.n_harmonics + config.n_bands, 1)
        with torch.no_grad():  # start near "a sine at the loudness": small head weights
            self.head.weight.mul_(0.1)
            self.head.bias.zero_()

    def n_params(self) -> int:
        """Number of trainable parameters."""
        return sum(p.numel() for p in self.parameters())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.inp(x.transpose(1, 2))
        for b in self.blocks:
            h = b(h)
        return self.head(h).transpose(1, 2)


class BaselineGRUDecoder(nn.Module):
    """The published DDSP decoder shape (``RnnFcDecoder``): one MLP per input (3 x 512, layer
    norm, leaky ReLU; here pitch, A-weighted loudness and the onset feature, the inputs the
    causal decoder gets), a 512-unit GRU, an output MLP and a linear head. Used only as a baseline."""

    def __init__(self, config: DecoderConfig, *, units: int = 512) -> None:
        super().__init__()
        self.config = config

        def mlp(n_in: int) -> nn.Sequential:
            layers: list[nn.Module] = []
            for i in range(3):
                layers += [nn.Linear(n_in if i == 0 else units, units), nn.LayerNorm(units), nn.LeakyReLU()]
            return nn.Sequential(*layers)

        n_in = len(config.inputs)
        self.in_mlps = nn.ModuleList(mlp(1) for _ in range(n_in))
        self.gru = nn.GRU(n_in * units, units, batch_first=True)
        self.out_mlp = mlp((n_in + 1) * units)
        self.head = nn.Linear(units, 1 + config.n_harmonics + config.n_bands)

    def n_params(self) -> int:
        """Number of trainable parameters."""
        return sum(p.numel() for p in self.parameters())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ins = [m(x[..., i : i + 1]) for i, m in enumerate(self.in_mlps)]
        h, _ = self.gru(torch.cat(ins, -1))
        return self.head(self.out_mlp(torch.cat([h, *ins], -1)))


def decoder_inputs(data: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Add the onset feature (``onset`` [N], float32) to a dataset: :func:`onset_feature` of the
    measured f0 and RMS level, run item by item (``data["item"]``) so no note spans two items."""
    out = dict(data)
    if "onset" in out:
        return out
    f0, loud = data["f0_hz"], data["loudness_db"]
    items = data.get("item")
    onset = np.ones(len(f0), np.float32)
    if items is None or len(items) == 0:
        onset[:] = onset_feature(f0, loud)
    else:
        cuts = np.r_[0, np.nonzero(np.diff(items))[0] + 1, len(items)]
        for lo, hi in zip(cuts[:-1], cuts[1:]):
            onset[lo:hi] = onset_feature(f0[lo:hi], loud[lo:hi])
    out["onset"] = onset
    return out


def fit_loudness_calibration(data: Mapping[str, np.ndarray]) -> dict[str, Any]:
    """Least-squares fit of A-weighted loudness from RMS level and pitch on the voiced training
    frames (``weight > 0``, ``split == 0``), for
    :func:`~partita.render.neural_infer.calibrated_loudness_a`.

    Returns ``{"coef": [c0, c1, c2, c3], "rmse_db": ..., "n_frames": ..., "terms": ...}``.
    """
    from partita.render.neural_infer import calibrated_loudness_a, pitch_feature

    sel = (data["weight"] > 0) & (data["split"] == 0)
    if not sel.any():
        sel = data["weight"] > 0
    L = np.maximum(data["loudness_db"][sel].astype(np.float64), -120.0)
    p = pitch_feature(data["f0_hz"][sel])
    y = data["loudness_a_db"][sel].astype(np.float64) - L
    a = np.stack([np.ones_like(L), (L + 40.0) / 20.0, p, p * p], axis=1)
    coef = np.linalg.lstsq(a, y, rcond=None)[0] if len(y) >= 4 else np.zeros(4)
    coef = [round(float(c), 6) for c in coef]
    resid = calibrated_loudness_a(data["loudness_db"][sel], data["f0_hz"][sel], coef) - data["loudness_a_db"][sel]
    return {"coef": coef, "rmse_db": round(float(np.sqrt(np.mean(resid**2))) if len(resid) else 0.0, 3),
            "n_frames": int(sel.sum()),
            "terms": "L_A = L + c0 + c1 (L + 40) / 20 + c2 p + c3 p^2; L = RMS level (dB re a full-scale sine), p = (midi(f0) - 60) / 24"}  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Checkpoints


def _state_arrays(model: nn.Module) -> dict[str, np.ndarray]:
    return {k: v.detach().cpu().numpy().astype(np.float32) for k, v in model.state_dict().items()}


def export_weights(model: CausalDecoder, path: str | os.PathLike[str], *, calibration: Mapping[str, Any],
                   training: Mapping[str, Any] | None = None, data: Mapping[str, Any] | None = None) -> str:  # fmt: skip
    """Write the decoder's arrays (CPU copies) as an ``instrument-decoder`` checkpoint
    (:mod:`partita.checkpoint`) with the loudness calibration
    (``{"loudness_a": fit_loudness_calibration(data)}``), atomically.

    ``data`` describes the training data (description, licence, ``card``: the model card's
    file name). Returns the file's sha256.
    """
    return write_checkpoint(path, _state_arrays(model), kind=KIND, config=model.config.to_dict(), data=data,
                            training=training, fields={"calibration": dict(calibration)})  # fmt: skip


def load_decoder(path: str | os.PathLike[str], *, sha256: str | None = None) -> CausalDecoder:
    """Load a weight file (checked as :func:`~partita.render.neural_infer.load_weights`) into torch."""
    w = load_weights(path, sha256=sha256)
    model = CausalDecoder(DecoderConfig.from_dict(w.config))
    model.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in w.arrays.items()})
    return model


def _save_checkpoint(path: Path, model: CausalDecoder, opt: torch.optim.Optimizer, state: Mapping[str, Any],
                     calibration: Mapping[str, Any]) -> None:  # fmt: skip
    """Model and Adam state as CPU float32 arrays (a checkpoint loads on any device)."""
    arrays = _state_arrays(model)
    names = dict(model.named_parameters())
    for name, p in names.items():
        st = opt.state.get(p, {})
        if "exp_avg" in st:
            arrays[f"opt.{name}.m"] = st["exp_avg"].detach().cpu().numpy().astype(np.float32)
            arrays[f"opt.{name}.v"] = st["exp_avg_sq"].detach().cpu().numpy().astype(np.float32)
    training = dict(state)
    training["opt_step"] = int(next(iter(opt.state.values()))["step"]) if opt.state else 0
    write_checkpoint(path, arrays, kind=KIND, config=model.config.to_dict(), training=training,
                     fields={"calibration": dict(calibration)})  # fmt: skip


def _load_checkpoint(path: Path, model: CausalDecoder, opt: torch.optim.Optimizer) -> dict[str, Any]:
    w = load_weights(path)
    if DecoderConfig.from_dict(w.config) != model.config:
        raise TrainingError("checkpoint was made with another decoder config", file=str(path))
    try:
        _load_model_arrays(w.arrays, model)
    except RuntimeError as exc:  # another architecture's arrays (the baseline's against the decoder's)
        raise TrainingError(f"checkpoint does not fit this model: {str(exc).splitlines()[0]}", file=str(path)) from exc
    step = int(w.header["training"].get("opt_step", 0))
    for name, p in model.named_parameters():
        if f"opt.{name}.m" in w.arrays:
            opt.state[p] = {"step": torch.tensor(float(step)), "exp_avg": torch.from_numpy(np.array(w.arrays[f"opt.{name}.m"])).to(p.device),
                            "exp_avg_sq": torch.from_numpy(np.array(w.arrays[f"opt.{name}.v"])).to(p.device)}  # fmt: skip
    return dict(w.header["training"])


# ---------------------------------------------------------------------------------------------
# Training


def train(
    data: Mapping[str, np.ndarray],
    *,
    config: DecoderConfig,
    train_config: DecoderTrainConfig,
    out_dir: str | os.PathLike[str],
    resume: bool = False,
    model: nn.Module | None = None,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
    device: str = "cpu",
) -> dict[str, Any]:
    """Train a decoder on a dataset from :mod:`partita.render.dataset`.

    Parameters
    ----------
    data
        Arrays over frames: ``f0_hz`` [N], ``loudness_db`` [N] (RMS level: the amplitude
        anchor), ``loudness_a_db`` [N] (A-weighted loudness: the network's loudness input),
        ``harm_log`` [N, K], ``noise_log`` [N, B], ``weight`` [N], ``split`` [N] (1 =
        validation), optionally ``item`` [N] (for the onset feature, :func:`decoder_inputs`)
        and ``audio16`` [N * 64] (the recording at 16 kHz, 64 samples per frame) for stage 2.
        The arrays stay on the CPU; each batch moves to ``device``.
    device
        ``"cpu"`` or ``"cuda"``: where the model, the batches and the twin synthesis live.
        Checkpoints and the returned model are CPU copies.
    out_dir
        ``checkpoint.safetensors`` (model, optimizer, step, curves) is written there every
        validation; with ``resume`` training continues from it.
    model
        A model to train instead of a new :class:`CausalDecoder` (the baseline); it is
        checkpointed in ``out_dir`` like the default one, and ``resume`` continues it.

    Returns
    -------
    dict with ``model`` (on the CPU), ``steps``, ``seconds``, ``curve`` (list of (step, s,
    train, val)), ``val_loss`` and ``calibration`` (:func:`fit_loudness_calibration`); with
    ``train_config.patience`` also ``spectral_curve`` (list of (step, s, held-out spectral
    loss)), ``best`` ({stage: (step, held-out loss)}: the weights returned are the last stage's
    best) and ``stopped`` (why each stage ended).

    Raises
    ------
    TrainingError
        The loss became NaN or infinite: training stops; the last good checkpoint stays.
    """
    device = _check_device(device)
    torch.manual_seed(train_config.seed)
    rng = np.random.default_rng(train_config.seed)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ckpt = out / "checkpoint.safetensors"
    data = decoder_inputs(data)
    calibration = {"loudness_a": fit_loudness_calibration(data)}
    net = (CausalDecoder(config) if model is None else model).to(device)
    opt = torch.optim.Adam(net.parameters(), lr=train_config.learning_rate)
    state: dict[str, Any] = {"step": 0, "seconds": 0.0, "curve": [], "stage": "regression"}
    if resume and ckpt.exists():
        state.update(_load_checkpoint(ckpt, net, opt))
        # a resumed run draws new batches from where it stopped, not the first steps' again
        rng = np.random.default_rng([train_config.seed, int(state["step"])])
    t = train_config.segment_frames
    starts = _split_starts(data, t, val=False)
    if len(starts) == 0:
        raise TrainingError(f"not enough training frames for one {t}-frame window", file=str(out))
    budget = train_config.minutes * 60.0
    spectral_at = budget * (1.0 - train_config.spectral_fraction) if "audio16" in data else math.inf
    spectral_step = train_config.spectral_from_step if "audio16" in data else None
    gen = torch.Generator().manual_seed(train_config.seed + 1_000_003 * int(state["step"]))
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=int(budget), unit="s", desc=f"train {config.instrument or 'decoder'}", leave=False)
        bar.update(int(state["seconds"]))
    t_start = time.monotonic() - float(state["seconds"])
    last_val = time.monotonic()
    running = None
    sp_starts = _split_starts(data, train_config.spectral_frames, val=False)
    patience = train_config.patience
    best_path = out / "best.safetensors"
    two_stages = "audio16" in data and len(sp_starts) > 0
    if patience is not None:
        state.setdefault("best", {})  # stage -> [step, held-out loss]
        state.setdefault("since_best", 0)
        state.setdefault("stopped", {})
        state.setdefault("spectral_curve", [])

    def to_spectral(why: str) -> None:
        """End the regression stage (``why``); the spectral stage starts from its best weights."""
        state["stopped"]["regression"] = why
        _restore(best_path, net)
        state["stage"] = "spectral"
        state["since_best"] = 0

    def held_out(val: float) -> float:
        """The stage's held-out measure: the regression loss ``val``, then the spectral loss."""
        if state["stage"] == "regression":
            return val
        held = evaluate_spectral(net, data, config, device=device, t=train_config.spectral_frames)
        if train_config.upper_weight:
            held += train_config.upper_weight * evaluate_regression(net, data, config, device=device, above_hz=UPPER_HZ)
        return held
    every = train_config.validate_every_steps  # None: every validate_every_s seconds
    while True:
        elapsed = time.monotonic() - t_start
        if elapsed >= budget or (train_config.max_steps is not None and state["step"] >= train_config.max_steps):
            state.get("stopped", {}).setdefault(state["stage"], "budget")
            break
        if patience is not None and state["since_best"] >= patience:
            plateau = f"no better held-out loss in {patience} validations"
            if state["stage"] == "spectral" or not two_stages:
                state["stopped"][state["stage"]] = plateau
                break
            to_spectral(plateau)
            state["plateau_step"] = state["step"]
        # a stage once spectral stays so (the schedule's point, a plateau, or a resumed checkpoint's)
        due = state["stage"] == "spectral" or (state["step"] >= spectral_step if spectral_step is not None
                                               else elapsed >= spectral_at)  # fmt: skip
        if patience is not None and due and two_stages and state["stage"] == "regression":  # the budget's split point
            to_spectral("its share of the budget")
        spectral = due and len(sp_starts) > 0
        if spectral:
            state["stage"] = "spectral"
            idx = rng.choice(sp_starts, size=train_config.spectral_batch)
            b, o, y, target = _synthesis_and_target(net, data, idx, train_config.spectral_frames, config, device, gen)
            loss = spectral_loss(y, target) + 0.1 * regression_loss(o, b, config)
            if train_config.upper_weight:
                loss = loss + train_config.upper_weight * regression_loss(o, b, config, above_hz=UPPER_HZ)
        else:
            idx = rng.choice(starts, size=train_config.batch_size)
            b = _tensor_batch(data, idx, t, device)
            loss = regression_loss(net(_batch_features(b)), b, config)
        if not torch.isfinite(loss):
            if bar is not None:
                bar.close()
            raise TrainingError(
                f"loss became {float(loss.detach())} at step {state['step']}: training stopped; the last good checkpoint is kept",
                file=str(ckpt),
            )
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        state["step"] += 1
        lv = float(loss.detach())
        running = lv if running is None or spectral != (state.get("_was_spectral", False)) else 0.98 * running + 0.02 * lv
        state["_was_spectral"] = spectral
        now = time.monotonic()
        if bar is not None:
            bar.n = min(int(now - t_start), int(budget))
            bar.set_postfix_str(f"{state['stage']} loss {running:.4f}", refresh=False)
            bar.refresh()
        if (now - last_val >= train_config.validate_every_s) if every is None else state["step"] % every == 0:
            last_val = now
            val = evaluate_regression(net, data, config, device=device)
            state["seconds"] = now - t_start
            state["curve"].append([state["step"], round(state["seconds"], 1), round(running, 5), round(val, 5)])
            note = ""
            if patience is not None:
                held = held_out(val)
                if state["stage"] == "spectral":
                    state["spectral_curve"].append([state["step"], round(state["seconds"], 1), round(held, 5)])
                best = state["best"].get(state["stage"])
                if _improved(held, None if best is None else best[1], train_config.min_improvement):
                    state["best"][state["stage"]] = [state["step"], round(held, 6)]
                    state["since_best"] = 0
                    _save_checkpoint(best_path, net, opt, {"step": state["step"], "stage": state["stage"]}, calibration)
                else:
                    state["since_best"] += 1
                note = f" held-out {held:.4f} (best {state['best'][state['stage']][1]:.4f} at step {state['best'][state['stage']][0]})"
            if log:
                log(f"step {state['step']} {state['stage']} train {running:.4f} val {val:.4f}{note}")
            _save_checkpoint(ckpt, net, opt, {k: v for k, v in state.items() if not k.startswith("_")}, calibration)
    if bar is not None:
        bar.close()
    state["seconds"] = time.monotonic() - t_start
    val = evaluate_regression(net, data, config, device=device)
    state["curve"].append([state["step"], round(state["seconds"], 1), round(running or float("nan"), 5), round(val, 5)])
    extra: dict[str, Any] = {}
    if patience is not None:
        # the last validation's weights may not be the stage's best: a final measure decides
        held = held_out(val)
        best = state["best"].get(state["stage"])
        if best is not None and not _improved(held, best[1], 0.0):
            _restore(best_path, net)
            val = evaluate_regression(net, data, config, device=device)
        elif math.isfinite(held):
            state["best"][state["stage"]] = [state["step"], round(held, 6)]
        extra = {"spectral_curve": state["spectral_curve"], "best": dict(state["best"]), "stopped": dict(state["stopped"])}
    _save_checkpoint(ckpt, net, opt, {k: v for k, v in state.items() if not k.startswith("_")}, calibration)
    return {"model": net.cpu(), "steps": state["step"], "seconds": state["seconds"], "curve": state["curve"],
            "val_loss": val, "calibration": calibration, **extra}  # fmt: skip


def _restore(path: Path, net: nn.Module) -> None:
    """Load the weights of a checkpoint ``_save_checkpoint`` wrote (the optimizer's state stays)."""
    if path.exists():
        _load_model_arrays(load_weights(path).arrays, net)


def _load_model_arrays(arrays: Mapping[str, np.ndarray], model: nn.Module) -> None:
    """A checkpoint's model arrays (not the optimizer's ``opt.*``) into ``model``, on its device."""
    device = next(model.parameters()).device
    model.load_state_dict({k: torch.from_numpy(np.array(v)).to(device) for k, v in arrays.items() if not k.startswith("opt.")})


def _check_device(device: str) -> str:
    """``cpu`` or ``cuda`` (``cuda:N``); :class:`ConfigError` when CUDA is asked for and absent."""
    if device == "cpu":
        return device
    if device == "cuda" or device.startswith("cuda:"):
        if not torch.cuda.is_available():
            raise ConfigError(f"--device {device}: this torch has no CUDA device (torch.cuda.is_available() is False); "
                              "use --device cpu or install a CUDA build of torch")  # fmt: skip
        return device
    raise ConfigError(f"--device {device!r}: use cpu or cuda")
